package netlink

// Rule is a placeholder; its owner replaces this file.
type Rule struct{}

// Kind implements Object.
func (*Rule) Kind() Kind { return KindRule }

// String implements Object.
func (*Rule) String() string { return "rule" }

func (x *Rule) decode(b []byte) error { return nil }
