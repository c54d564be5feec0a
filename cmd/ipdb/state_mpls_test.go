package main

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
	"golang.org/x/sys/unix"
)

// TestStateMPLS: the mpls_routes section and route encaps become the txn
// specs they say; bad entries are errors naming their line.
func TestStateMPLS(t *testing.T) {
	ss := mustSpecs(t, `
mpls_routes:
  - label: 100
    as: 200/300
    via: 192.0.2.2
    dev: v0
    ttl_propagate: disabled
    protocol: static
  - label: 101
    nexthops:
      - {as: 201, via: "2001:db8::2", dev: v0}
      - {dev: w0}
  - {label: 102, absent: true}
routes:
  - dst: 198.51.100.0/24
    gateway: 192.0.2.2
    encap: {mpls: 16/17, ttl: 5}
  - dst: 203.0.113.0/24
    nexthops:
      - {gateway: 192.0.2.2, encap: {mpls: 18}}
      - {gateway: 192.0.2.3}
`)
	a := netip.MustParseAddr
	want := []txn.MPLSRouteSpec{
		{Label: 100, As: []uint32{200, 300}, Via: a("192.0.2.2"), Dev: "v0", TTLPropagate: netlink.MPLSTTLPropDisabled,
			Protocol: netlink.RouteProtocol(unix.RTPROT_STATIC)},
		{Label: 101, Multipath: []txn.MPLSHopSpec{{As: []uint32{201}, Via: a("2001:db8::2"), Dev: "v0"}, {Dev: "w0"}}},
		{Label: 102, Absent: true},
	}
	if !reflect.DeepEqual(ss.mplsRoutes, want) {
		t.Errorf("MPLS specs\n got %+v\nwant %+v", ss.mplsRoutes, want)
	}
	if !reflect.DeepEqual(ss.mplsLines, []int{3, 9, 13}) {
		t.Errorf("lines %v", ss.mplsLines)
	}
	if e := ss.routes[0].MPLSEncap; e == nil || !reflect.DeepEqual(*e, netlink.MPLSEncap{Labels: []uint32{16, 17}, TTL: 5}) {
		t.Errorf("route encap %+v", e)
	}
	if e := ss.routes[1].Multipath[0].MPLSEncap; e == nil || !reflect.DeepEqual(e.Labels, []uint32{18}) || ss.routes[1].Multipath[1].MPLSEncap != nil {
		t.Errorf("hop encaps %+v", ss.routes[1].Multipath)
	}
	// A txn error about an MPLS spec names its entry's line.
	if got := ss.specLine(&txn.SpecError{Kind: netlink.KindRoute, MPLS: true, Index: 1, Err: txn.ErrInvalid}); got != 9 {
		t.Errorf("specLine of MPLS spec 1: %d, want 9", got)
	}

	for _, c := range []struct{ file, want string }{
		{"mpls_routes:\n  - {via: 192.0.2.2}\n", "line 2: an MPLS route needs label"},
		{"mpls_routes:\n  - {label: 100, as: 1/x, via: 192.0.2.2}\n", `line 2: bad MPLS labels "1/x"`},
		{"mpls_routes:\n  - {label: 100, as: 1048576, via: 192.0.2.2}\n", `bad MPLS labels "1048576"`},
		{"mpls_routes:\n  - {label: 100, via: 192.0.2.2, ttl_propagate: yes}\n", `line 2: ttl_propagate "yes"`},
		{"mpls_routes:\n  - {label: 100, via: 192.0.2.2, weight: 2}\n", `line 2: unknown key "weight"`},
		{"mpls_routes:\n  - {label: 100, dev: v0, absent: true}\n", "line 2: an absent MPLS route is named by its label alone"},
		{"routes:\n  - {dst: 192.0.2.0/24, dev: v0, encap: {ttl: 3}}\n", "line 2: encap needs mpls"},
		{"routes:\n  - {dst: 192.0.2.0/24, dev: v0, encap: {mpls: [1, 2]}}\n", "want MPLS labels such as 200/300"},
	} {
		st, err := parseStateFile([]byte(c.file))
		if err == nil {
			_, err = st.specs()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.file, err, c.want)
		}
	}
}

// TestShowMPLSUsage: -M and -f are refused where they select nothing, with
// a message that says why (no kernel needed: the command line is checked
// first).
func TestShowMPLSUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "link", "-M"}, "-M (-f mpls) selects MPLS routes, not links"},
		{[]string{"-M", "show", "fdb"}, "-M (-f mpls) selects MPLS routes, not fdb"},
		{[]string{"show", "-M"}, "-M (-f mpls) selects MPLS routes: show routes"},
		{[]string{"show", "route", "-M", "192.0.2.0/24"}, "no prefix"},
		{[]string{"show", "route", "-M", "-4"}, "-M (-f mpls) and -4 exclude each other"},
		{[]string{"show", "route", "-f", "mpls", "-6"}, "exclude each other"},
		{[]string{"show", "route", "-f", "link"}, "-f link: want inet, inet6 or mpls"},
		{[]string{"monitor", "-M"}, "-M is not an option of monitor"},
	} {
		code, _, errs := runCmd(t, c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, errs, exitUsage, c.want)
		}
	}
}
