// Package oracle compares the library's view with iproute2's `ip -j`
// output.
//
// Each Compare function runs `ip -j -n NS ...` in a test namespace (see
// package nstest), decodes its JSON and compares it object for object with
// what package netlink returned, covering every field that ip prints and
// the library decodes. The result is nil or an error listing each
// difference in words, so that a failing test says which object and field
// disagree. The database's differential tests reuse these functions.
//
// The oracle keeps a kind table (kinds.go), one row per object kind:
// iproute2's JSON listing of the kind and its comparator. Compare and
// ListJSON dispatch through it, for tests that go over every kind (for
// example with netlink.Kinds); a kind without a row fails
// TestKindTableComplete.
//
// CompareJSON compares two JSON documents directly, keeping the key order
// of objects: the command's output against ip's, where ipdb may only add
// the keys it names, numbers may differ within per-key tolerances
// (timers, lifetimes), and arrays compare in order or as multisets.
package oracle
