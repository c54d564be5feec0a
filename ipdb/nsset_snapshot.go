package ipdb

import (
	"iter"
	"net/netip"
	"slices"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// SetSnapshot is a consistent view of a Set at one set revision: one
// database snapshot per attached, synced namespace (see Set,
// "Consistency"). It never changes.
type SetSnapshot struct {
	rev uint64
	ns  []NSSnapshot // by name
}

// NSSnapshot is one namespace's part of a SetSnapshot.
type NSSnapshot struct {
	NS NetNS
	*Snapshot
}

// Snapshot returns the set's view at its newest revision.
func (s *Set) Snapshot() *SetSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := &SetSnapshot{rev: s.rev}
	for _, m := range s.members {
		if m.pub != nil && !m.gone {
			ss.ns = append(ss.ns, NSSnapshot{NS: m.ns, Snapshot: m.pub})
		}
	}
	slices.SortFunc(ss.ns, func(a, b NSSnapshot) int { return strings.Compare(a.NS.Name, b.NS.Name) })
	return ss
}

// Revision is the set revision the snapshot shows: ChangesSince of it
// continues without a gap or a duplicate.
func (ss *SetSnapshot) Revision() uint64 { return ss.rev }

// Namespaces returns each namespace's snapshot, by name.
func (ss *SetSnapshot) Namespaces() []NSSnapshot { return ss.ns }

// NS returns the snapshot of the namespace named name.
func (ss *SetSnapshot) NS(name string) (*Snapshot, bool) {
	for _, n := range ss.ns {
		if n.NS.Name == name {
			return n.Snapshot, true
		}
	}
	return nil, false
}

// LinksNamed yields every link named name (or with that alternative
// name) in any namespace, with its namespace, in namespace name order.
func (ss *SetSnapshot) LinksNamed(name string) iter.Seq2[NetNS, *netlink.Link] {
	return func(yield func(NetNS, *netlink.Link) bool) {
		for _, n := range ss.ns {
			if l, err := n.LinkByName(name); err == nil {
				if !yield(n.NS, l) {
					return
				}
			}
		}
	}
}

// AddrHolders yields every address object whose local address is a (the
// local address of Addr.Prefix: IFA_LOCAL, or IFA_ADDRESS without one), with the
// namespace that holds it: the answer to "which namespace holds
// 192.0.2.1".
func (ss *SetSnapshot) AddrHolders(a netip.Addr) iter.Seq2[NetNS, *netlink.Addr] {
	return func(yield func(NetNS, *netlink.Addr) bool) {
		for _, n := range ss.ns {
			for ad := range n.Addrs() {
				if ad.Prefix.Addr() == a {
					if !yield(n.NS, ad) {
						return
					}
				}
			}
		}
	}
}
