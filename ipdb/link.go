package ipdb

import (
	"context"
	"reflect"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

var linkDef = kindDef{
	kind:  netlink.KindLink,
	table: "links",
	key: func(o netlink.Object) []byte {
		l := o.(*netlink.Link)
		if l.Index <= 0 {
			return nil
		}
		return linkKey(l.Index)
	},
	keep: func(_ *options, o netlink.Object) bool {
		// AF_BRIDGE link messages describe bridge port state, not links.
		return o.(*netlink.Link).Family != unix.AF_BRIDGE
	},
	// Links are always kept: the unannounced effects of every kind hang
	// on link events.
	always: true,
	notObject: func(o netlink.Object) bool {
		// Bridge port state, not a link; its RTM_DELLINK means the port
		// left the bridge, not that the link is gone.
		return o.(*netlink.Link).Family == unix.AF_BRIDGE
	},
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		return c.LinkDump(ctx, &netlink.LinkFilter{Index: int(s.ifindex)}, func(l *netlink.Link) error { return fn(l) })
	},
	inScope: func(o netlink.Object, s scope) bool {
		return s.ifindex == 0 || uint32(o.(*netlink.Link).Index) == s.ifindex
	},
	equal: func(a, b netlink.Object) bool {
		// Counters and timers change all the time; they are not a change
		// of the link (netlink's list of volatile attributes).
		x, y := a.(*netlink.Link).Stable(), b.(*netlink.Link).Stable()
		return reflect.DeepEqual(x, y)
	},
	indexes: map[string]*memdb.IndexSchema{
		"name": {Name: "name", Unique: false, Indexer: keyIndexer{key: func(o netlink.Object) []byte {
			return linkNameKey(o.(*netlink.Link).Name)
		}}},
	},
	groups: kindGroups{any: netlink.GroupLink},
	// A link's silent changes (an alias written through sysfs, a
	// bridge's ageing time after a topology change) come with link
	// activity, if with any.
	effects: kindEffects{onChange: linkChanged, inTxn: linkDeleted, refresh: true,
		refreshWakers: []netlink.Kind{netlink.KindLink}},
}

// linkKey is the ifindex.
func linkKey(index int) []byte { return appendU32(make([]byte, 0, 4), uint32(index)) }

func linkNameKey(name string) []byte {
	if name == "" {
		return nil
	}
	return append([]byte(name), 0)
}

// linkIndex returns the ifindex of a link object.
func linkIndex(o netlink.Object) uint32 {
	if l, ok := o.(*netlink.Link); ok {
		return uint32(l.Index)
	}
	return 0
}
