package ipdb

import (
	"fmt"
	"iter"
	"net/netip"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// A Snapshot is a consistent, read-only view of the database at one
// revision. It never changes, never blocks the writer, and needs no
// release. Objects it returns are shared: do not modify them.
type Snapshot struct {
	txn    *memdb.Txn
	rev    uint64
	synced bool
}

// Snapshot returns a view of the current state.
func (db *DB) Snapshot() *Snapshot {
	synced := false
	select {
	case <-db.synced:
		synced = true
	default:
	}
	db.commitMu.RLock()
	s := &Snapshot{txn: db.mem.Txn(false), rev: db.rev.Load(), synced: synced}
	db.commitMu.RUnlock()
	return s
}

// Revision is the revision the snapshot shows: exactly the changes up to
// and including it, so ChangesSince(Revision()) continues without a gap or
// a duplicate.
func (s *Snapshot) Revision() uint64 { return s.rev }

// Synced reports whether the snapshot holds a full picture.
func (s *Snapshot) Synced() bool { return s.synced }

func (s *Snapshot) check() error {
	if !s.synced {
		return ErrNotSynced
	}
	return nil
}

// objects iterates a table's index, with args as the key prefix.
func objects[T netlink.Object](s *Snapshot, table, index string, args ...any) iter.Seq[T] {
	return func(yield func(T) bool) {
		it, err := s.txn.Get(table, index, args...)
		if err != nil {
			return
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if !yield(raw.(T)) {
				return
			}
		}
	}
}

// Links iterates the links in ifindex order.
func (s *Snapshot) Links() iter.Seq[*netlink.Link] {
	return objects[*netlink.Link](s, linkDef.table, "id")
}

// Addrs iterates the addresses, grouped by link.
func (s *Snapshot) Addrs() iter.Seq[*netlink.Addr] {
	return objects[*netlink.Addr](s, addrDef.table, "id")
}

// Routes iterates the routes, grouped by family and table, by
// destination, TOS and priority, and the alternates of a destination
// (same table, TOS and priority: `ip route append`) in the kernel's list
// order, as `ip route show` lists them (route_order.go).
func (s *Snapshot) Routes() iter.Seq[*netlink.Route] {
	return listedRoutes(s.txn, objects[*netlink.Route](s, routeDef.table, "id"))
}

// Neighs iterates the ARP and NDP entries (proxy entries included),
// grouped by link. Forwarding database entries are in FDB.
func (s *Snapshot) Neighs() iter.Seq[*netlink.Neigh] {
	return objects[*netlink.Neigh](s, neighDef.table, "id")
}

// Rules iterates the rules, by family and priority.
func (s *Snapshot) Rules() iter.Seq[*netlink.Rule] {
	return objects[*netlink.Rule](s, ruleDef.table, "id")
}

// LinkByIndex returns the link with ifindex index.
func (s *Snapshot) LinkByIndex(index int) (*netlink.Link, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if index <= 0 {
		return nil, fmt.Errorf("%w: ifindex %d", ErrInvalid, index)
	}
	raw, err := s.txn.First(linkDef.table, "id", linkKey(index))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: link %d", ErrNotFound, index)
	}
	return raw.(*netlink.Link), nil
}

// LinkByName returns the link named name.
func (s *Snapshot) LinkByName(name string) (*netlink.Link, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if name == "" || len(name) > 15 {
		return nil, fmt.Errorf("%w: link name %q", ErrInvalid, name)
	}
	raw, err := s.txn.First(linkDef.table, "name", linkNameKey(name))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: link %q", ErrNotFound, name)
	}
	return raw.(*netlink.Link), nil
}

// AddrsOf iterates the addresses of link index.
func (s *Snapshot) AddrsOf(index int) iter.Seq[*netlink.Addr] {
	return objects[*netlink.Addr](s, addrDef.table, "id_prefix", linkKey(index))
}

// NeighsOf iterates the ARP and NDP entries of link index.
func (s *Snapshot) NeighsOf(index int) iter.Seq[*netlink.Neigh] {
	return objects[*netlink.Neigh](s, neighDef.table, "id_prefix", linkKey(index))
}

// RoutesOf iterates the routes through link index (as output interface or
// as one of the next hops). It scans the routes table: routes carry no
// per-link index, which would cost about 400 bytes a route.
func (s *Snapshot) RoutesOf(index int) iter.Seq[*netlink.Route] {
	return func(yield func(*netlink.Route) bool) {
		for r := range s.Routes() {
			if routeUsesLink(r, uint32(index)) && !yield(r) {
				return
			}
		}
	}
}

// RoutesInTable iterates the routes of one family (unix.AF_INET or
// unix.AF_INET6) and table.
func (s *Snapshot) RoutesInTable(family uint8, table uint32) iter.Seq[*netlink.Route] {
	prefix := appendU32([]byte{family}, table)
	return listedRoutes(s.txn, objects[*netlink.Route](s, routeDef.table, "id_prefix", prefix))
}

// RoutesTo iterates the routes of table whose destination is exactly dst
// (of any TOS, priority or next hop).
func (s *Snapshot) RoutesTo(table uint32, dst netip.Prefix) iter.Seq[*netlink.Route] {
	if !dst.IsValid() {
		return func(func(*netlink.Route) bool) {}
	}
	return listedRoutes(s.txn, objects[*netlink.Route](s, routeDef.table, "id_prefix", routeDstKey(table, dst)))
}

func routeDstKey(table uint32, dst netip.Prefix) []byte {
	family := uint8(unix.AF_INET)
	if dst.Addr().Is6() {
		family = unix.AF_INET6
	}
	return appendPrefix(appendU32([]byte{family}, table), dst)
}

// Lookup returns the route that table would pick for addr by longest
// prefix match among the cached routes, as the kernel would for that one
// table: the most specific destination, then TOS 0, then the lowest
// priority, then the first of its alternates in the kernel's list order
// (see Routes). Routes whose only next hops are dead are skipped.
func (s *Snapshot) Lookup(table uint32, addr netip.Addr) (*netlink.Route, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if !addr.IsValid() {
		return nil, fmt.Errorf("%w: invalid address", ErrInvalid)
	}
	if table == 0 {
		return nil, fmt.Errorf("%w: table 0", ErrInvalid)
	}
	addr = addr.Unmap()
	for bits := addr.BitLen(); bits >= 0; bits-- {
		var best *netlink.Route
		for r := range s.RoutesTo(table, netip.PrefixFrom(addr, bits).Masked()) {
			if routeDead(r) || r.TOS != 0 {
				continue
			}
			if best == nil || r.Priority < best.Priority {
				best = r
			}
		}
		if best != nil {
			return best, nil
		}
	}
	return nil, fmt.Errorf("%w: no route to %s in table %d", ErrNotFound, addr, table)
}

// routeDead reports whether every next hop of r is dead or link-down.
func routeDead(r *netlink.Route) bool {
	const dead = unix.RTNH_F_DEAD | unix.RTNH_F_LINKDOWN
	if len(r.Multipath) == 0 {
		return r.Flags&dead == unix.RTNH_F_DEAD
	}
	for _, h := range r.Multipath {
		if h.Flags&unix.RTNH_F_DEAD == 0 {
			return false
		}
	}
	return true
}
