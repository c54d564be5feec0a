package netlink

// Neigh is a placeholder; its owner replaces this file.
type Neigh struct{}

// Kind implements Object.
func (*Neigh) Kind() Kind { return KindNeigh }

// String implements Object.
func (*Neigh) String() string { return "neigh" }

func (x *Neigh) decode(b []byte) error { return nil }
