package txn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// conflict compares what two plans of the same specs looked at. Only what
// a spec can set counts (settable): counters, timers, ages and attributes
// no spec sets change without anyone acting against the transaction. The
// error names the first attribute that differs, with both values.
func conflict(old, cur *Plan) error {
	if len(old.obsEnd) != len(cur.obsEnd) {
		return fmt.Errorf("%w: specs changed", ErrConflict)
	}
	start := int32(0)
	for i, end := range old.obsEnd {
		a, b := old.obs[start:end], cur.obs[startOf(cur, i):cur.obsEnd[i]]
		start = end
		if len(a) != len(b) {
			return fmt.Errorf("%w: %s", ErrConflict, describeObs(a, b))
		}
		for j := range a {
			if d := settableDiff(a[j], b[j]); d != "" {
				return fmt.Errorf("%w: %s", ErrConflict, d)
			}
		}
	}
	return nil
}

func startOf(p *Plan, i int) int32 {
	if i == 0 {
		return 0
	}
	return p.obsEnd[i-1]
}

func describeObs(a, b []netlink.Object) string {
	str := func(os []netlink.Object) string {
		if len(os) == 0 {
			return "nothing"
		}
		var s []string
		for _, o := range os {
			s = append(s, o.Kind().String()+" "+o.String())
		}
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("planned on %s, now %s", str(a), str(b))
}

// settableDiff describes how two versions of an object differ in what a
// spec can set: "link br0: mtu 1500 -> 1400". Empty if they do not.
func settableDiff(a, b netlink.Object) string {
	if a == b {
		return ""
	}
	if a.Kind() != b.Kind() {
		return describeObs([]netlink.Object{a}, []netlink.Object{b})
	}
	x, y := settable(a), settable(b)
	for i := range x {
		if x[i].value != y[i].value {
			return fmt.Sprintf("%s %s: %s %s -> %s", a.Kind(), a, x[i].name, x[i].value, y[i].value)
		}
	}
	return ""
}

// An attr is one settable attribute of an object, named and printed as
// ip(8) does.
type attr struct{ name, value string }

// settable lists, in a fixed order per kind, the attributes of an object
// that the specs of its kind can set (LinkSpec, AddrSpec, RouteSpec,
// NeighSpec, RuleSpec); what identifies the object is not among them.
func settable(o netlink.Object) []attr {
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	switch o := o.(type) {
	case *netlink.Link:
		l := o
		kind, data := "", ""
		if l.Info != nil {
			kind = l.Info.InfoKind
			if l.Info.Data != nil {
				data = fmt.Sprint(l.Info.Data)
			}
		}
		return []attr{
			{"name", l.Name}, {"mtu", u(l.MTU)}, {"address", l.Address.String()},
			{"txqlen", u(l.TxQueueLen)}, {"alias", strconv.Quote(l.Alias)},
			{"up", strconv.FormatBool(l.Flags&unix.IFF_UP != 0)}, {"master", strconv.Itoa(l.Master)},
			{"link", strconv.Itoa(l.ParentIndex)}, {"type", kind}, {"kind data", data},
		}
	case *netlink.Addr:
		return []attr{
			{"peer", o.Peer.String()}, {"broadcast", o.Broadcast.String()}, {"label", o.Label},
			{"scope", strconv.Itoa(int(o.Scope))}, {"metric", u(o.Metric)},
		}
	case *netlink.Route:
		var metrics, hops []string
		if o.Extra != nil && o.Extra.Metrics != nil {
			metrics = append(metrics, fmt.Sprintf("%+v", *o.Extra.Metrics))
		}
		for _, h := range o.Multipath {
			// The kernel's own flags (linkdown, dead) are not set by specs.
			hops = append(hops, fmt.Sprintf("via %s dev %d weight %d onlink %t",
				h.Gateway, h.IfIndex, h.Weight(), h.Flags&unix.RTNH_F_ONLINK != 0))
		}
		return []attr{
			{"type", o.Type.String()}, {"via", o.Gateway.String()}, {"dev", u(o.OIF)},
			{"onlink", strconv.FormatBool(o.Flags&unix.RTNH_F_ONLINK != 0)}, {"src", o.PrefSrc.String()},
			{"proto", o.Protocol.String()}, {"scope", o.Scope.String()},
			{"metrics", strings.Join(metrics, " ")}, {"nexthops", strings.Join(hops, "; ")},
		}
	case *netlink.Neigh:
		return []attr{{"lladdr", o.LLAddr.String()}, {"nud", u(uint32(o.State))}}
	}
	// Rules: everything a spec gives is the rule's identity; the protocol
	// and anything else are compared as the kernel prints them.
	return []attr{{"rule", o.String()}}
}
