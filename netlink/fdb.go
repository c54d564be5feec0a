package netlink

import (
	"context"

	"golang.org/x/sys/unix"
)

// FDB is a forwarding database entry: a bridge's entry for a MAC address
// (and VLAN) on one of its ports, a device's own unicast or multicast
// address ("self" entries, from its address lists), or a vxlan device's
// remote for a MAC address. The kernel sends it as a neighbour message
// (struct ndmsg) of family AF_BRIDGE (net/core/rtnetlink.c rtnl_fdb_dump,
// net/bridge/br_fdb.c fdb_fill_info, drivers/net/vxlan/vxlan_core.c
// vxlan_fdb_info), so it has Neigh's fields; the ones that apply are
// Index (the port or device), State (unix.NUD_PERMANENT for local
// entries, unix.NUD_NOARP for static ones, unix.NUD_REACHABLE or
// NUD_STALE for learned ones), Flags (unix.NTF_SELF for the device's own
// table, NTF_EXT_LEARNED, NTF_OFFLOADED, NTF_ROUTER, NeighFlagSticky),
// LLAddr (the MAC address), VLAN, Master (the bridge, for entries of a
// bridge's table), and for vxlan Dst, Port, VNI, SrcVNI, Via, LinkNetNSID
// and NHID. Family is unix.AF_BRIDGE; requests may leave it zero.
//
// *Neigh and *FDB convert freely ((*Neigh)(f), (*FDB)(n)). Notifications
// (DecodeUpdate) and FDBDump always give *FDB for family AF_BRIDGE.
type FDB Neigh

// Kind implements Object.
func (*FDB) Kind() Kind { return KindFDB }

// String describes the entry as `bridge fdb` prints it (with link indexes
// for names): "fdb 02:00:00:00:00:01 dev 3 master 2 vlan 10 static".
func (f *FDB) String() string { return (*Neigh)(f).String() }

// neigh returns f as a neighbour message of family AF_BRIDGE, or an
// ErrInvalid error for another family.
func (f *FDB) neigh() (*Neigh, error) {
	if f == nil {
		return nil, invalidf("nil FDB entry")
	}
	n := (*Neigh)(f)
	switch f.Family {
	case unix.AF_BRIDGE:
		return n, nil
	case 0:
		c := *n
		c.Family = unix.AF_BRIDGE
		return &c, nil
	}
	return nil, invalidf("FDB entry of family %d (want AF_BRIDGE)", f.Family)
}

// FDBRequest builds a request that adds (Add), replaces (Replace), changes an
// existing (Change), appends (Append: another vxlan remote for the same MAC
// address) or deletes (Delete) entry f, as `bridge fdb
// add|replace|append|del` do. Flags
// say whose table: unix.NTF_SELF the device's own (a vxlan device, or a
// device's address list), unix.NTF_MASTER or neither the bridge's (Index
// is then the bridge port, or the bridge itself). A zero State means
// unix.NUD_NOARP ("static") for writes other than Delete. Invalid input (no
// link index, a MAC address of other than 6 bytes, a VLAN beyond 4094, a
// VNI beyond 24 bits, a family other than AF_BRIDGE) makes a Request that
// reports ErrInvalid and sends nothing.
func FDBRequest(v Verb, f *FDB) Request {
	n, err := f.neigh()
	if err != nil {
		return Request{Verb: v, Object: "fdb", err: &OpError{Op: v.String(), Object: "fdb", Err: err}}
	}
	return NeighRequest(v, n)
}

// FDBAdd adds an FDB entry (`bridge fdb add`); it fails with EEXIST if the
// entry exists.
func (c *Conn) FDBAdd(ctx context.Context, f *FDB) error { return c.Do(ctx, FDBRequest(Add, f)) }

// FDBReplace adds an FDB entry or replaces the existing one (`bridge fdb
// replace`): a bridge entry for the same MAC address and VLAN moves to
// f's port; a vxlan entry's first remote becomes f's.
func (c *Conn) FDBReplace(ctx context.Context, f *FDB) error {
	return c.Do(ctx, FDBRequest(Replace, f))
}

// FDBAppend adds another remote to a vxlan FDB entry (`bridge fdb
// append`), e.g. another flooding destination for the all-zero address.
func (c *Conn) FDBAppend(ctx context.Context, f *FDB) error { return c.Do(ctx, FDBRequest(Append, f)) }

// FDBDel deletes an FDB entry (`bridge fdb del`); for vxlan with a Dst,
// only that remote.
func (c *Conn) FDBDel(ctx context.Context, f *FDB) error { return c.Do(ctx, FDBRequest(Delete, f)) }

// FDBFilter selects entries in FDBDump. The zero value selects all.
type FDBFilter struct {
	// Index, if not zero, keeps the entries of this bridge port or device
	// (`bridge fdb show brport DEV`).
	Index int
	// Master, if not zero, keeps the entries of this bridge's ports
	// (`bridge fdb show br DEV`); filtered in the kernel.
	Master int
	// State, if not zero, keeps the entries with any of these NUD_* bits.
	State uint16
}

// FDBDump streams the FDB entries that match f (nil for all) to fn, one
// freshly allocated *FDB per call, in the kernel's order (by device, as
// `bridge fdb show` lists them). If the dump is interrupted by concurrent
// changes it is repeated, so fn may see an entry again.
func (c *Conn) FDBDump(ctx context.Context, f *FDBFilter, fn func(*FDB) error) error {
	return c.fdbDump(ctx, f, nil, fn)
}

func (c *Conn) fdbDump(ctx context.Context, f *FDBFilter, restart func(), fn func(*FDB) error) error {
	nf := &NeighFilter{Family: unix.AF_BRIDGE}
	if f != nil {
		nf.Index, nf.Master, nf.State = f.Index, f.Master, f.State
	}
	return c.neighDump(ctx, nf, restart, func(n *Neigh) error { return fn((*FDB)(n)) })
}

// FDBs returns the FDB entries that match f (nil for all).
func (c *Conn) FDBs(ctx context.Context, f *FDBFilter) ([]*FDB, error) {
	var out []*FDB
	err := c.fdbDump(ctx, f, func() { out = out[:0] }, func(e *FDB) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FDBGet asks the kernel for one entry (`bridge fdb get`): key needs
// LLAddr, VLAN if any, and Index (the port or device, with unix.NTF_SELF in
// Flags for the device's own table) or Master (the bridge). A missing entry
// is an *OpError wrapping unix.ENOENT.
func (c *Conn) FDBGet(ctx context.Context, key *FDB) (*FDB, error) {
	n, err := key.neigh()
	if err != nil {
		return nil, &OpError{Op: "get", Object: "fdb", Err: err}
	}
	got, err := c.NeighGet(ctx, n)
	if err != nil {
		return nil, err
	}
	return (*FDB)(got), nil
}
