//go:build linux

package oracle

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// Line renders o as the comparators of this package see it: the fields
// they compare with iproute2, in one canonical line, and nothing that
// changes by itself (counters, timers, remaining lifetimes, cache-info
// timestamps, route expiry). Two versions of an object with equal lines
// differ in nothing ip shows, so an event between them is no change.
// Links of other indexes are named "ifN".
func Line(o netlink.Object) string {
	switch o := o.(type) {
	case *netlink.Link:
		m := linkLibFields(o, nil)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		fmt.Fprintf(&b, "link %d", o.Index)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%q", k, m[k])
		}
		// State the cache keeps that ip's link JSON hides: the carrier
		// (shown by ip only as NO-CARRIER on a link that is up) and its
		// change counts, and a bridge port's settings and state
		// (IFLA_INFO_SLAVE_DATA, without its timers).
		st := o.Stable()
		fmt.Fprintf(&b, " carrier=%t carrier_changes=%d/%d/%d", st.Carrier, st.CarrierChanges, st.CarrierUpCount, st.CarrierDownCount)
		if st.Info != nil && len(st.Info.SlaveData) > 0 {
			fmt.Fprintf(&b, " slave_data=%x", st.Info.SlaveData)
		}
		// And the attributes the library keeps raw (IFLA_HEADROOM, a
		// bridge's STP state, ...).
		for _, a := range st.Unknown {
			fmt.Fprintf(&b, " attr%d=%x", a.Type, a.Data)
		}
		if st.Info != nil {
			if br, ok := st.Info.Data.(*netlink.Bridge); ok {
				for _, a := range br.Unknown {
					fmt.Fprintf(&b, " br_attr%d=%x", a.Type, a.Data)
				}
			}
		}
		return b.String()
	case *netlink.Addr:
		return fmt.Sprintf("addr dev %d family %d %s peer %v brd %v any %v scope %d label %q flags %#x metric %d proto %d",
			o.Index, o.Family, o.Prefix, o.Peer, o.Broadcast, o.Anycast, o.Scope, o.Label, o.Flags, o.Metric, o.Proto)
	case *netlink.Route:
		return routeStripExpires(routeLibLine(o))
	case *netlink.Neigh:
		return neighLibLine(o, nil)
	case *netlink.FDB:
		return fdbLibLine(o, nil)
	case *netlink.Rule:
		return ruleLibLine(o)
	case *netlink.Nexthop:
		return "nexthop " + NexthopLine(o)
	case *netlink.Qdisc:
		st := o.Stable()
		return fmt.Sprintf("qdisc %s blocks %d/%d%s%s", QdiscLine(st), st.IngressBlock, st.EgressBlock, tcOptionsText(st.Options), tcAttrsText(st.Unknown))
	case *netlink.Class:
		st := o.Stable()
		return fmt.Sprintf("class %s%s%s", ClassLine(st), tcOptionsText(st.Options), tcAttrsText(st.Unknown))
	case *netlink.Filter:
		st := o.Stable()
		return fmt.Sprintf("filter %s%s%s", FilterLine(st), tcOptionsText(st.Options), tcAttrsText(st.Unknown))
	}
	return fmt.Sprintf("%T %v", o, o)
}

// tcOptionsText is the text of a tc object's options in Line: the bytes
// of raw options, the options' own text otherwise.
func tcOptionsText(o netlink.TCOptions) string {
	switch o := o.(type) {
	case nil:
		return ""
	case *netlink.RawTCOptions:
		if o == nil {
			return ""
		}
		return fmt.Sprintf(" options %s %x", o.Kind, o.Data)
	}
	return fmt.Sprintf(" options %v", o)
}

// tcAttrsText is the text of a tc object's undecoded attributes in Line.
func tcAttrsText(attrs []netlink.Attribute) string {
	var b strings.Builder
	for _, a := range attrs {
		fmt.Fprintf(&b, " attr%d=%x", a.Type, a.Data)
	}
	return b.String()
}
