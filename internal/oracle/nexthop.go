package oracle

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// CompareNexthops compares nexthop objects with `ip -j -d nexthop show` of
// the namespace: id, family, group members with weights, group type and
// resilient parameters (buckets, idle and unbalanced timers; not the
// unbalanced time, a clock), blackhole, gateway, device, scope, protocol,
// flags and fdb. Nexthops are compared as a set keyed by id.
func CompareNexthops(ns *nstest.NS, got []*netlink.Nexthop) error {
	out, err := ns.IPErr("-d", "-j", "nexthop", "show")
	if err != nil {
		return err
	}
	var objs []map[string]any
	if strings.TrimSpace(out) != "" {
		if err := json.Unmarshal([]byte(out), &objs); err != nil {
			return fmt.Errorf("ip -j nexthop show: %v\n%s", err, out)
		}
	}
	idx, err := routeLinkIndexes(ns)
	if err != nil {
		return err
	}
	var want []string
	for _, o := range objs {
		line, err := nexthopIPLine(o, idx)
		if err != nil {
			return fmt.Errorf("ip -j nexthop: %v in %v", err, o)
		}
		want = append(want, line)
	}
	lines := make([]string, 0, len(got))
	for _, n := range got {
		lines = append(lines, NexthopLine(n))
	}
	sort.Strings(want)
	sort.Strings(lines)
	return routeDiff("nexthops", lines, want)
}

// NexthopLine is the oracle's canonical text of a nexthop object, the one
// CompareNexthops builds from ip's JSON too.
func NexthopLine(n *netlink.Nexthop) string {
	var b strings.Builder
	fmt.Fprintf(&b, "id %d", n.ID)
	if len(n.Group) > 0 {
		b.WriteString(" group")
		for _, m := range n.Group {
			fmt.Fprintf(&b, " %d,%d", m.ID, m.Weight)
		}
		fmt.Fprintf(&b, " type %s", n.GroupType)
		if r := n.Resilient; r != nil {
			fmt.Fprintf(&b, " buckets %d idle_timer %g unbalanced_timer %g", r.Buckets, r.IdleTimer.Seconds(), r.UnbalancedTimer.Seconds())
		}
	}
	if n.Blackhole {
		b.WriteString(" blackhole")
	}
	if n.Gateway.IsValid() {
		fmt.Fprintf(&b, " via %s", n.Gateway)
	}
	if n.OIF != 0 {
		fmt.Fprintf(&b, " dev %d", n.OIF)
	}
	fmt.Fprintf(&b, " scope %d proto %d flags %s", n.Scope, n.Protocol, routeFlagsText(n.Flags))
	if n.FDB {
		b.WriteString(" fdb")
	}
	return b.String()
}

// seconds converts ip's seconds (clock_t / USER_HZ) to a duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func nexthopIPLine(o map[string]any, idx map[string]int) (string, error) {
	id, ok := o["id"].(float64)
	if !ok {
		return "", fmt.Errorf("no id")
	}
	n := &netlink.Nexthop{ID: uint32(id)}
	if g, ok := o["group"].([]any); ok {
		for _, e := range g {
			m, _ := e.(map[string]any)
			mid, _ := m["id"].(float64)
			w := 1.0
			if x, ok := m["weight"].(float64); ok {
				w = x
			}
			n.Group = append(n.Group, netlink.NexthopGroupMember{ID: uint32(mid), Weight: uint32(w)})
		}
		switch t, _ := o["type"].(string); t {
		case "", "mpath":
		case "resilient":
			n.GroupType = netlink.GroupResilient
			r := &netlink.NexthopResilient{}
			args, _ := o["resilient_args"].(map[string]any)
			if x, ok := args["buckets"].(float64); ok {
				r.Buckets = uint16(x)
			}
			idle, _ := args["idle_timer"].(float64)
			unbalanced, _ := args["unbalanced_timer"].(float64)
			r.IdleTimer, r.UnbalancedTimer = seconds(idle), seconds(unbalanced)
			n.Resilient = r
		default:
			return "", fmt.Errorf("unknown group type %q", t)
		}
	}
	if _, ok := o["blackhole"]; ok {
		n.Blackhole = true
	}
	if gw, ok := o["gateway"].(string); ok {
		a, err := netip.ParseAddr(gw)
		if err != nil {
			return "", err
		}
		n.Gateway = a
	}
	if dev, ok := o["dev"].(string); ok {
		i, ok := idx[dev]
		if !ok {
			return "", fmt.Errorf("unknown dev %q", dev)
		}
		n.OIF = uint32(i)
	}
	scope, err := routeNumber(o["scope"], nil, routeBuiltinScopes)
	if err != nil {
		return "", err
	}
	n.Scope = netlink.Scope(scope)
	proto, err := routeNumber(o["protocol"], routeProtos, routeBuiltinProtos)
	if err != nil {
		return "", err
	}
	n.Protocol = netlink.RouteProtocol(proto)
	flags, err := routeIPFlags(o["flags"])
	if err != nil {
		return "", err
	}
	n.Flags = flags &^ unix.RTM_F_NOTIFY
	if _, ok := o["fdb"]; ok {
		n.FDB = true
	}
	return NexthopLine(n), nil
}
