package netlink

// Addr is a placeholder; its owner replaces this file.
type Addr struct{}

// Kind implements Object.
func (*Addr) Kind() Kind { return KindAddr }

// String implements Object.
func (*Addr) String() string { return "addr" }

func (x *Addr) decode(b []byte) error { return nil }
