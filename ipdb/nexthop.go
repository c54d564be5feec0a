package ipdb

import (
	"context"
	"fmt"
	"iter"
	"reflect"

	"github.com/ipdb-go/ipdb/netlink"
)

var nexthopDef = kindDef{
	kind:  netlink.KindNexthop,
	table: "nexthops",
	key:   func(o netlink.Object) []byte { return nexthopKey(o.(*netlink.Nexthop).ID) },
	// Every nexthop is kept whatever WithFamilies says: a group has no
	// family, and an IPv4 route may use an IPv6 gateway's nexthop.
	keep: func(*options, netlink.Object) bool { return true },
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		f := &netlink.NexthopFilter{Family: s.family, OIF: s.ifindex}
		return c.NexthopDump(ctx, f, func(n *netlink.Nexthop) error { return fn(n) })
	},
	inScope: func(o netlink.Object, s scope) bool {
		n := o.(*netlink.Nexthop)
		return (s.family == 0 || n.Family == s.family) && (s.ifindex == 0 || n.OIF == s.ifindex)
	},
	// A resilient group's unbalanced time is the kernel's clock.
	equal: func(a, b netlink.Object) bool {
		return reflect.DeepEqual(a.(*netlink.Nexthop).Stable(), b.(*netlink.Nexthop).Stable())
	},
	groups: kindGroups{any: netlink.GroupNexthop},
	// A link going down or away takes its nexthops silently.
	follows: []netlink.Kind{netlink.KindLink},
	effects: kindEffects{onChange: nexthopChanged},
}

// nexthopKey is the nexthop's id, its identity (nexthop_find_by_id in
// net/ipv4/nexthop.c).
func nexthopKey(id uint32) []byte { return appendU32(make([]byte, 0, 4), id) }

// Nexthops iterates the nexthop objects, by id.
func (s *Snapshot) Nexthops() iter.Seq[*netlink.Nexthop] {
	return objects[*netlink.Nexthop](s, nexthopDef.table, "id")
}

// Nexthop returns the nexthop object with this id. A missing one is
// ErrNotFound; id 0 (no nexthop has it) is ErrInvalid.
func (s *Snapshot) Nexthop(id uint32) (*netlink.Nexthop, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, fmt.Errorf("%w: nexthop id 0", ErrInvalid)
	}
	raw, err := s.txn.First(nexthopDef.table, "id", nexthopKey(id))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: nexthop %d", ErrNotFound, id)
	}
	return raw.(*netlink.Nexthop), nil
}

// RoutesUsingNexthop iterates the routes (IPv4 and IPv6, every table) that
// use the nexthop object id directly (their nhid), not through a group.
// It scans the routes table.
func (s *Snapshot) RoutesUsingNexthop(id uint32) iter.Seq[*netlink.Route] {
	return func(yield func(*netlink.Route) bool) {
		for r := range s.Routes() {
			if routeNHID(r) == id && !yield(r) {
				return
			}
		}
	}
}

// GroupsContaining iterates the nexthop groups that have id as a member.
func (s *Snapshot) GroupsContaining(id uint32) iter.Seq[*netlink.Nexthop] {
	return func(yield func(*netlink.Nexthop) bool) {
		for n := range s.Nexthops() {
			for _, m := range n.Group {
				if m.ID == id {
					if !yield(n) {
						return
					}
					break
				}
			}
		}
	}
}

// routeNHID is the id of the nexthop object r uses, 0 if none.
func routeNHID(r *netlink.Route) uint32 {
	if r.Extra == nil {
		return 0
	}
	return r.Extra.NHID
}

// nexthopsJob re-reads every nexthop object.
var nexthopsJob = reconcileJob{kind: netlink.KindNexthop}

// nexthopRoutesJob re-reads the routes that use a nexthop object, of both
// families and every table: the kernel filters route dumps by table and
// device, not by nexthop.
var nexthopRoutesJob = reconcileJob{kind: netlink.KindRoute, nexthops: true}
