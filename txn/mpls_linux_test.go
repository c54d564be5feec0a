package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// MPLS routes and encapsulations need mpls_router and mpls_iptunnel:
// these tests run in the guest's full kernel (.ci/vm), and skip where the
// kernel lacks MPLS (nstest.NeedMPLS).

// mplsBaseState is baseState with MPLS routes (one multipath) and an IP
// route with an MPLS encapsulation.
func mplsBaseState(t *testing.T, ns *nstest.NS) {
	t.Helper()
	ns.NeedMPLS(t, 1000)
	baseState(t, ns)
	for _, l := range []string{
		"-f mpls route add 101 via inet 192.0.2.3 dev a0",
		"-f mpls route add 102 as to 300/301 via inet 203.0.113.2 dev c0 proto static",
		"-f mpls route add 105 nexthop as to 500 via inet 192.0.2.5 dev a0 nexthop via inet 203.0.113.5 dev c0",
		"route add 198.51.100.0/26 encap mpls 600 via 192.0.2.2 dev a0",
	} {
		ns.IP(strings.Fields(l)...)
	}
}

// mplsTxn creates, changes and removes MPLS routes (one over a link the
// transaction creates) and IPv4 and IPv6 routes with MPLS encapsulations.
func mplsTxn(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn {
	a := netip.MustParseAddr
	t := New(db, c, cfg)
	t.Link(LinkSpec{Name: "v0", Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: "v1"}}},
		Up: bptr(true)})
	t.MPLSRoute(MPLSRouteSpec{Label: 100, As: []uint32{200}, Via: a("192.0.2.2"), Dev: "a0"})
	t.MPLSRoute(MPLSRouteSpec{Label: 101, As: []uint32{201, 202}, Via: a("192.0.2.3"), Dev: "a0",
		TTLPropagate: netlink.MPLSTTLPropDisabled})
	t.MPLSRoute(MPLSRouteSpec{Label: 102, Absent: true})
	t.MPLSRoute(MPLSRouteSpec{Label: 103, Protocol: netlink.RouteProtocol(unix.RTPROT_STATIC), Multipath: []MPLSHopSpec{
		{As: []uint32{300}, Via: a("192.0.2.4"), Dev: "a0"}, {Via: a("203.0.113.4"), Dev: "c0"}}})
	t.MPLSRoute(MPLSRouteSpec{Label: 104, Dev: "v0", TTLPropagate: netlink.MPLSTTLPropEnabled})
	t.Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/26"), Gateway: a("192.0.2.2"), Dev: "a0",
		MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{601, 602}, TTL: 7}})
	t.Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.64/26"), Gateway: a("203.0.113.2"),
		MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{700}}})
	t.Route(RouteSpec{Dst: netip.MustParsePrefix("2001:db8:5::/64"), Dev: "c0",
		MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{800}}})
	t.Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.192/26"), Multipath: []RouteHopSpec{
		{Gateway: a("192.0.2.2"), Dev: "a0", MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{900}, TTL: 3}},
		{Gateway: a("203.0.113.2"), Dev: "c0"}}})
	return t
}

// mplsIPState is ipState with the MPLS routes (ip -j -f mpls route show).
func mplsIPState(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	var v []any
	ns.IPJSON(&v, "-f", "mpls", "route", "show")
	lines := make([]string, len(v))
	for i, e := range v {
		out, _ := json.Marshal(e)
		lines[i] = string(out)
	}
	slices.Sort(lines)
	return ipState(t, ns) + strings.Join(lines, "\n") + "\n"
}

// checkMPLSOracle compares the DB's IP routes (with their
// encapsulations) and MPLS routes with ip -j.
func checkMPLSOracle(t *testing.T, ns *nstest.NS, db *ipdb.DB) {
	t.Helper()
	checkOracleKinds(t, ns, db, ipKinds, func(s *ipdb.Snapshot) error {
		if err := oracle.CompareMPLSRoutes(ns, slices.Collect(s.Routes())); err != nil {
			return fmt.Errorf("MPLS routes: %w", err)
		}
		return nil
	})
}

func TestMPLSCommitAndIdempotence(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		mplsBaseState(t, ns)
		db, c := setup(t, ns)
		ctx := context.Background()
		tx := mplsTxn(db, c, nil)
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("plan (%s):\n%s", plan.Summary(), plan)
		for _, want := range []string{
			"+ route mpls 100 as to 200 via inet 192.0.2.2 dev a0\n",
			"~ route mpls 101 as to 201/202 via inet 192.0.2.3 dev a0: as to (none) -> 201/202, ttl-propagate default -> disabled\n",
			"- route mpls 102 as to 300/301 via inet 203.0.113.2 dev c0\n",
			"+ route mpls 103 nexthop as to 300 via inet 192.0.2.4 dev a0 nexthop via inet 203.0.113.4 dev c0 proto static\n",
			"+ route mpls 104 dev v0 ttl-propagate enabled\n",
			"~ route 198.51.100.0/26 encap mpls 601/602 ttl 7 via 192.0.2.2 dev a0: encap mpls 600 -> mpls 601/602 ttl 7\n",
			"+ route 2001:db8:5::/64 encap mpls 800 dev c0\n",
		} {
			if !strings.Contains(plan.String(), want) {
				t.Errorf("plan lacks %q", want)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if tx.Writes() != uint64(len(plan.Steps)) {
			t.Errorf("writes %d, plan has %d steps", tx.Writes(), len(plan.Steps))
		}
		out := ns.IP("-f", "mpls", "route", "show")
		for _, want := range []string{
			// iproute2 spells it ttl-propogate.
			"100 as to 200 via inet 192.0.2.2 dev a0", "101 as to 201/202 via inet 192.0.2.3 dev a0 ttl-propogate disabled",
			"103 proto static", "104 dev v0 (linkdown )?ttl-propogate enabled",
		} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("ip -f mpls route show lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "102 ") {
			t.Errorf("label 102 left:\n%s", out)
		}
		if out := ns.IP("route", "show", "198.51.100.0/26"); !strings.Contains(out, "encap mpls  601/602 ttl 7") {
			t.Errorf("198.51.100.0/26: %q", out)
		}
		checkMPLSOracle(t, ns, db)

		// The same specs again: an empty plan and no writes.
		tx2 := mplsTxn(db, c, nil)
		plan2, err := tx2.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if !plan2.Empty() {
			t.Errorf("second plan not empty:\n%s", plan2)
		}
		if err := tx2.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if w := tx2.Writes(); w != 0 {
			t.Errorf("second commit made %d writes", w)
		}

		// A route changed behind the transaction's back: the specs plan
		// it back, as a change of what differs.
		ns.IP("-f", "mpls", "route", "replace", "100", "as", "to", "250", "via", "inet", "203.0.113.9", "dev", "c0")
		ns.IP("route", "replace", "198.51.100.64/26", "via", "203.0.113.2")
		if err := nstest.Eventually(5*time.Second, func() error {
			p, err := mplsTxn(db, c, nil).Plan()
			if err != nil {
				return err
			}
			if len(p.Steps) != 2 {
				return fmt.Errorf("plan:\n%s", p)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		p, _ := mplsTxn(db, c, nil).Plan()
		for _, want := range []string{
			"~ route mpls 100 as to 200 via inet 192.0.2.2 dev a0: as to 250 -> 200, via inet 203.0.113.9 -> inet 192.0.2.2, dev c0 -> a0\n",
			"~ route 198.51.100.64/26 encap mpls 700 via 203.0.113.2: encap (none) -> mpls 700\n",
		} {
			if !strings.Contains(p.String(), want) {
				t.Errorf("plan lacks %q:\n%s", want, p)
			}
		}
		if err := mplsTxn(db, c, nil).Commit(ctx); err != nil {
			t.Fatal(err)
		}
		checkMPLSOracle(t, ns, db)
	})
}

// TestMPLSFaultInjection fails each operation of mplsTxn in turn: the
// commit rolls back, and the namespace is as before, MPLS routes and
// encapsulations included.
func TestMPLSFaultInjection(t *testing.T) {
	faultEveryStep(t, txnFaults(mplsBaseState, mplsTxn, mplsIPState, checkMPLSOracle, 9))
}

// TestMPLSRollbackOfLinkDeletion: deleting a link drops the MPLS routes
// through it (mpls_ifdown, NETDEV_UNREGISTER) with no notification of
// their own; a failed transaction brings them back with the link.
func TestMPLSRollbackOfLinkDeletion(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		mplsBaseState(t, ns)
		db, c := setup(t, ns)
		// The veths come back under new indexes.
		ifindex := regexp.MustCompile(`"ifindex":[0-9]+,`)
		state := func() string { return ifindex.ReplaceAllString(mplsIPState(t, ns), "") }
		before := state()
		tx := New(db, c, &Config{inject: failKind(netlink.KindRoute, failing)})
		tx.Link(LinkSpec{Name: "c0", Absent: true})
		tx.Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.64/26"), Gateway: netip.MustParseAddr("192.0.2.2"),
			MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{700}}})
		err := tx.Commit(context.Background())
		var ce *CommitError
		if !errors.As(err, &ce) || !ce.RolledBack {
			t.Fatalf("commit: %v", err)
		}
		waitRestored(t, "", before, state)
		checkMPLSOracle(t, ns, db)
	})
}
