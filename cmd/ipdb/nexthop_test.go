package main

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestResolveNexthop: a route's hops come from the nexthop table, not from
// the hops the route carries: a single nexthop (with its onlink flag), a
// group (weights as rtnh_hops), a one-member group as a single hop; a
// route without nhid, over a blackhole, or over a nexthop the table lacks
// is returned as it is; the route given is never modified.
func TestResolveNexthop(t *testing.T) {
	a := netip.MustParseAddr
	table := map[uint32]*netlink.Nexthop{
		1:  {ID: 1, Family: unix.AF_INET, Gateway: a("192.0.2.2"), OIF: 3, Flags: unix.RTNH_F_ONLINK},
		2:  {ID: 2, Family: unix.AF_INET, Gateway: a("192.0.2.3"), OIF: 4},
		3:  {ID: 3, Blackhole: true},
		10: {ID: 10, Group: []netlink.NexthopGroupMember{{ID: 1, Weight: 3}, {ID: 2, Weight: 1}}},
		11: {ID: 11, Group: []netlink.NexthopGroupMember{{ID: 2, Weight: 1}}},
		12: {ID: 12, Group: []netlink.NexthopGroupMember{{ID: 2, Weight: 1}, {ID: 99, Weight: 1}}},
	}
	get := func(id uint32) (*netlink.Nexthop, error) {
		if n, ok := table[id]; ok {
			return n, nil
		}
		return nil, errors.New("no such nexthop")
	}
	stale := func(nhid uint32) *netlink.Route {
		return &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix("198.51.100.0/24"),
			Gateway: a("192.0.2.99"), OIF: 9, Extra: &netlink.RouteExtra{NHID: nhid}}
	}
	for _, c := range []struct {
		nhid  uint32
		gw    string
		oif   uint32
		flags uint32
		multi []netlink.RouteHop
		same  bool
	}{
		{nhid: 1, gw: "192.0.2.2", oif: 3, flags: unix.RTNH_F_ONLINK},
		{nhid: 2, gw: "192.0.2.3", oif: 4},
		{nhid: 11, gw: "192.0.2.3", oif: 4},
		{nhid: 10, multi: []netlink.RouteHop{{Gateway: a("192.0.2.2"), IfIndex: 3, Hops: 2, Flags: unix.RTNH_F_ONLINK}, {Gateway: a("192.0.2.3"), IfIndex: 4}}},
		{nhid: 3, same: true},
		{nhid: 12, same: true},
		{nhid: 50, same: true},
		{nhid: 0, same: true},
	} {
		r := stale(c.nhid)
		if c.nhid == 0 {
			r.Extra = nil
		}
		before := *r
		got := resolveNexthop(get, r)
		if !reflect.DeepEqual(*r, before) {
			t.Errorf("nhid %d: the route given was modified", c.nhid)
		}
		if c.same {
			if got != r {
				t.Errorf("nhid %d: got %v, want the route as it was", c.nhid, got)
			}
			continue
		}
		var gw netip.Addr
		if c.gw != "" {
			gw = a(c.gw)
		}
		if got.Gateway != gw || got.OIF != c.oif || got.Flags != c.flags || !reflect.DeepEqual(got.Multipath, c.multi) {
			t.Errorf("nhid %d: got via %v dev %d flags %#x hops %+v, want via %v dev %d flags %#x hops %+v",
				c.nhid, got.Gateway, got.OIF, got.Flags, got.Multipath, gw, c.oif, c.flags, c.multi)
		}
	}
}

// TestNexthopRendering: the JSON and words of the shapes the live test
// cannot make here (a resilient group with fractional timers and a weight
// above 256, which ip 6.1 cannot set) are ip's.
func TestNexthopRendering(t *testing.T) {
	n := &netlink.Nexthop{ID: 7, Group: []netlink.NexthopGroupMember{{ID: 1, Weight: 1}, {ID: 2, Weight: 300}},
		GroupType: netlink.GroupResilient, Resilient: &netlink.NexthopResilient{Buckets: 16,
			IdleTimer: 1500 * time.Millisecond, UnbalancedTimer: 2 * time.Hour, UnbalancedTime: 10 * time.Millisecond}}
	var b bytes.Buffer
	j := newJSONOut(&b)
	writeNexthop(j, n, newLinkNames(nil), false)
	j.flush()
	want := `{"id":7,"group":[{"id":1},{"id":2,"weight":300}],"type":"resilient","resilient_args":{"buckets":16,"idle_timer":1.5,"unbalanced_timer":7200,"unbalanced_time":0.01},"flags":[]}`
	if b.String() != want {
		t.Errorf("JSON\n got %s\nwant %s", b.String(), want)
	}
	if got, want := nexthopWords(n, nil).text(), "id 7 group 1/2,300 type resilient buckets 16 idle_timer 1.5 unbalanced_timer 7200 unbalanced_time 0.01"; got != want {
		t.Errorf("words\n got %s\nwant %s", got, want)
	}
	n = &netlink.Nexthop{ID: 8, Group: []netlink.NexthopGroupMember{{ID: 1, Weight: 1}}, Protocol: 4}
	if got, want := nexthopWords(n, nil).text(), "id 8 group 1 proto static"; got != want {
		t.Errorf("words\n got %s\nwant %s", got, want)
	}
}
