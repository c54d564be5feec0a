package main

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
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

// TestNexthopStateFile: the nexthops section converts to txn's specs
// (ip's group words and the list form alike), routes take nhid, and bad
// entries are refused with their line, before anything is done.
func TestNexthopStateFile(t *testing.T) {
	st, err := parseStateFile([]byte(`
nexthops:
  - {id: 100, gateway: 192.0.2.2, dev: v0, protocol: static, onlink: true}
  - {id: 101, dev: v0, family: inet6}
  - {id: 102, blackhole: true}
  - {id: 103, gateway: 192.0.2.4, fdb: true}
  - {id: 200, group: "100,3/101"}
  - id: 201
    group: [{id: 100, weight: 3}, {id: 101}]
    type: resilient
    buckets: 8
    idle_timer: 60
    unbalanced_timer: 0
  - {id: 104, absent: true}
routes:
  - {dst: 198.51.100.0/24, nhid: 200}
`))
	if err != nil {
		t.Fatal(err)
	}
	var ss specSet
	if err := st.nexthopSpecs(&ss); err != nil {
		t.Fatal(err)
	}
	if err := st.routeSpecs(&ss); err != nil {
		t.Fatal(err)
	}
	sixty, zero := 60*time.Second, time.Duration(0)
	group := []txn.NexthopMemberSpec{{ID: 100, Weight: 3}, {ID: 101}}
	want := []txn.NexthopSpec{
		{ID: 100, Gateway: netip.MustParseAddr("192.0.2.2"), Dev: "v0", Protocol: netlink.ProtoStatic, Onlink: true},
		{ID: 101, Dev: "v0", Family: unix.AF_INET6},
		{ID: 102, Blackhole: true},
		{ID: 103, Gateway: netip.MustParseAddr("192.0.2.4"), FDB: true},
		{ID: 200, Group: group},
		{ID: 201, Group: group, GroupType: netlink.GroupResilient, Buckets: 8, IdleTimer: &sixty, UnbalancedTimer: &zero},
		{ID: 104, Absent: true},
	}
	if !reflect.DeepEqual(ss.nexthops, want) {
		t.Errorf("specs\n got %+v\nwant %+v", ss.nexthops, want)
	}
	if len(ss.routes) != 1 || ss.routes[0].NHID != 200 {
		t.Errorf("route specs %+v, want one with nhid 200", ss.routes)
	}

	for _, c := range []struct{ name, text, want string }{
		{"no id", "nexthops:\n  - {dev: lo}\n", ":2: a nexthop needs an id"},
		{"nothing", "nexthops:\n  - {id: 5}\n", ":2: a nexthop needs a gateway, a dev, blackhole or a group"},
		{"bad member", "nexthops:\n  - {id: 5, group: \"1/x\"}\n", `:2: bad group member "x"`},
		{"bad weight", "nexthops:\n  - {id: 5, group: \"1,0/2\"}\n", `:2: bad weight "0" of group member 1`},
		{"member without id", "nexthops:\n  - id: 5\n    group:\n      - {weight: 2}\n", ":4: a group member needs an id"},
		{"member key", "nexthops:\n  - id: 5\n    group:\n      - {id: 1, wieght: 2}\n", `:4: unknown key "wieght" of a group member`},
		{"group mapping", "nexthops:\n  - id: 5\n    group: {id: 1}\n", ":3: want a group"},
		{"unknown type", "nexthops:\n  - {id: 5, group: \"1/2\", type: fancy}\n", `:2: unknown group type "fancy"`},
		{"type without group", "nexthops:\n  - {id: 5, dev: lo, type: resilient}\n", ":2: type resilient needs a group"},
		{"fractional timer", "nexthops:\n  - {id: 5, group: \"1/2\", type: resilient, idle_timer: 1.5}\n", ":2: idle_timer: 1.5 is not an integer"},
		{"bad timer", "nexthops:\n  - {id: 5, group: \"1/2\", type: resilient, idle_timer: -3}\n", `:2: bad timer "-3"`},
		{"bad family", "nexthops:\n  - {id: 5, dev: lo, family: ipx}\n", `:2: unknown family "ipx"`},
		{"family of gateway", "nexthops:\n  - {id: 5, dev: lo, family: inet6, gateway: 192.0.2.1}\n", ":2: gateway 192.0.2.1 is not of family inet6"},
		{"bad protocol", "nexthops:\n  - {id: 5, dev: lo, protocol: nope}\n", `:2: unknown nexthop protocol "nope"`},
		{"unknown key", "nexthops:\n  - {id: 5, dev: lo, via: 192.0.2.1}\n", `unknown key "via"`},
		{"nhid and gateway", "routes:\n  - {dst: 198.51.100.0/24, nhid: 5, gateway: 192.0.2.1}\n", ":2: nhid 5 with gateway"},
		{"nhid on unreachable", "routes:\n  - {dst: 198.51.100.0/24, nhid: 5, type: unreachable}\n", ":2: a route of type unreachable cannot use a nexthop object"},
	} {
		file := filepath.Join(t.TempDir(), "state.yaml")
		if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readStateFile(file)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q, want one line with %q", c.name, msg, c.want)
		}
	}
}
