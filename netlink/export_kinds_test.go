package netlink

// HasKindRow reports whether the kind table has a complete row for k: a
// name, message types, groups and a decoder. Exported for the external
// TestKindTableComplete only (this file is part of the test build alone).
func HasKindRow(k Kind) bool {
	r := k.row()
	return r != nil && r.newType != 0 && r.delType != 0 && r.getType != 0 &&
		r.groups != 0 && r.decode != nil
}
