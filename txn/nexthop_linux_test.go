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
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// nexthopBase is the namespace before the nexthop transactions: link n0
// with an IPv4 and an IPv6 address, single nexthops 100 and 101, group 200
// of both, and routes over 100 and over 200.
func nexthopBase(t *testing.T, ns *nstest.NS) {
	t.Helper()
	prepNS(t, ns)
	ns.Batch(
		"link set lo up",
		"link add n0 type veth peer name n1",
		"link set n0 up",
		"link set n1 up",
		"addr add 192.0.2.1/24 dev n0",
		"addr add 2001:db8::1/64 dev n0 nodad",
		"nexthop add id 100 via 192.0.2.2 dev n0",
		"nexthop add id 101 via 192.0.2.3 dev n0",
		"nexthop add id 200 group 100/101",
		"route add 198.51.100.0/24 nhid 100",
		"route add 203.0.113.0/24 nhid 200",
	)
	ns.SettleDAD()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) &&
		strings.Contains(ns.IP("-o", "link", "show", "type", "veth"), "NO-CARRIER"); {
		time.Sleep(20 * time.Millisecond)
	}
}

// nexthopTxn creates, replaces and removes nexthops of every shape and
// routes over them, on nexthopBase.
func nexthopTxn(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn {
	a := netip.MustParseAddr
	return New(db, c, cfg).
		Nexthop(NexthopSpec{ID: 100, Absent: true}). // takes 198.51.100.0/24 with it
		Nexthop(NexthopSpec{ID: 101, Gateway: a("192.0.2.5"), Dev: "n0"}).
		Nexthop(NexthopSpec{ID: 102, Blackhole: true}).
		Nexthop(NexthopSpec{ID: 103, Gateway: a("192.0.2.4"), Dev: "n0", Protocol: netlink.ProtoStatic}).
		Nexthop(NexthopSpec{ID: 104, Gateway: a("2001:db8::2"), Dev: "n0"}).
		Nexthop(NexthopSpec{ID: 200, Group: []NexthopMemberSpec{{ID: 101}, {ID: 103, Weight: 3}}}).
		Nexthop(NexthopSpec{ID: 202, Group: []NexthopMemberSpec{{ID: 102}}}).
		Nexthop(NexthopSpec{ID: 300, Group: []NexthopMemberSpec{{ID: 101, Weight: 2}, {ID: 103}},
			GroupType: netlink.GroupResilient, Buckets: 8, IdleTimer: ptr(60 * time.Second)}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/25"), NHID: 300}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.128/25"), NHID: 202}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("2001:db8:5::/64"), NHID: 104})
}

// nexthopState is ipState with the nexthop objects as ip -j -d prints
// them, without a resilient group's unbalanced time (a clock).
func nexthopState(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	var v []map[string]any
	ns.IPJSON(&v, "-d", "nexthop", "show")
	lines := make([]string, len(v))
	for i, e := range v {
		if r, ok := e["resilient_args"].(map[string]any); ok {
			delete(r, "unbalanced_time")
		}
		out, _ := json.Marshal(e)
		lines[i] = string(out)
	}
	slices.Sort(lines)
	return ipState(t, ns) + strings.Join(lines, "\n") + "\n"
}

// checkNexthopOracle compares the database with ip -j, nexthops too
// (checkOracleKinds).
func checkNexthopOracle(t *testing.T, ns *nstest.NS, db *ipdb.DB) {
	t.Helper()
	checkOracleKinds(t, ns, db, append(slices.Clip(ipKinds), netlink.KindNexthop), nil)
}

func TestNexthopCommit(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		nexthopBase(t, ns)
		db, c := setup(t, ns)
		ctx := context.Background()
		tx := nexthopTxn(db, c, nil)
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("plan (%s):\n%s", plan.Summary(), plan)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if tx.Writes() != uint64(len(plan.Steps)) {
			t.Errorf("writes %d, plan has %d steps", tx.Writes(), len(plan.Steps))
		}
		checkNexthopOracle(t, ns, db)
		var nh []struct {
			ID       int    `json:"id"`
			Gateway  string `json:"gateway"`
			Protocol string `json:"protocol"`
			Group    []struct {
				ID     int `json:"id"`
				Weight int `json:"weight"`
			} `json:"group"`
			Type      string           `json:"type"`
			Blackhole *json.RawMessage `json:"blackhole"`
			Res       *struct {
				Buckets int     `json:"buckets"`
				Idle    float64 `json:"idle_timer"`
			} `json:"resilient_args"`
		}
		ns.IPJSON(&nh, "-d", "nexthop", "show")
		got := map[int]string{}
		for _, n := range nh {
			s := n.Gateway + " " + n.Protocol
			for _, m := range n.Group {
				s += fmt.Sprintf(" %d,%d", m.ID, max(m.Weight, 1))
			}
			if n.Type != "" {
				s += " " + n.Type
			}
			if n.Res != nil {
				s += fmt.Sprintf(" buckets %d idle %g", n.Res.Buckets, n.Res.Idle)
			}
			got[n.ID] = s
		}
		want := map[int]string{
			101: "192.0.2.5 unspec", 102: " unspec", 103: "192.0.2.4 static", 104: "2001:db8::2 unspec",
			200: " unspec 101,1 103,3", 202: " unspec 102,1", 300: " unspec 101,2 103,1 resilient buckets 8 idle 60",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ip nexthop show:\n%v\nwant\n%v", got, want)
		}
		routes := ns.IP("route", "show") + ns.IP("-6", "route", "show")
		for _, w := range []string{"198.51.100.0/25 nhid 300", "198.51.100.128/25 nhid 202", "203.0.113.0/24 nhid 200",
			"2001:db8:5::/64 nhid 104"} {
			if !strings.Contains(routes, w) {
				t.Errorf("no route %q in\n%s", w, routes)
			}
		}
		if strings.Contains(routes, "198.51.100.0/24") {
			t.Errorf("the route over the removed nexthop 100 is still there:\n%s", routes)
		}

		// The same specs again: an empty plan and no writes.
		tx2 := nexthopTxn(db, c, nil)
		if plan2, err := tx2.Plan(); err != nil || !plan2.Empty() {
			t.Errorf("second plan: %v, %v", plan2, err)
		}
		if err := tx2.Commit(ctx); err != nil || tx2.Writes() != 0 {
			t.Errorf("second commit: %v, %d writes", err, tx2.Writes())
		}

		// A replace of a nexthop in use: one step naming what changes,
		// and the routes over it follow (the kernel re-announces them).
		rep := New(db, c, nil).Nexthop(NexthopSpec{ID: 103, Gateway: netip.MustParseAddr("192.0.2.6"), Dev: "n0"})
		p, err := rep.Plan()
		if err != nil || p.String() != "~ nexthop id 103 via 192.0.2.6 dev n0: via 192.0.2.4 -> 192.0.2.6\n" {
			t.Errorf("replace plan: %v %v", p, err)
		}
		if err := rep.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if out := ns.IP("route", "show", "203.0.113.0/24"); !strings.Contains(out, "192.0.2.6") {
			t.Errorf("the route over group 200 does not follow the replace:\n%s", out)
		}
		checkNexthopOracle(t, ns, db)

		// A resilient group replaced: new weights and idle timer, the
		// same buckets (which the kernel cannot change).
		res := New(db, c, nil).Nexthop(NexthopSpec{ID: 300, Group: []NexthopMemberSpec{{ID: 101}, {ID: 103}},
			GroupType: netlink.GroupResilient, IdleTimer: ptr(30 * time.Second)})
		if p, err := res.Plan(); err != nil || p.String() !=
			"~ nexthop id 300 group 101/103 type resilient idle_timer 30: group [101,2/103] -> [101/103], idle_timer 60 -> 30\n" {
			t.Errorf("resilient replace plan: %v %v", p, err)
		}
		if err := res.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if out := ns.IP("-d", "nexthop", "show", "id", "300"); !strings.Contains(out, "buckets 8 idle_timer 30") ||
			!strings.Contains(out, "group 101/103 ") {
			t.Errorf("resilient group after replace: %q", out)
		}
		checkNexthopOracle(t, ns, db)

		// Removing what the transaction made leaves the base's link and
		// addresses, and no nexthop.
		del := New(db, c, nil)
		for _, id := range []uint32{101, 102, 103, 104, 200, 202, 300} {
			del.Nexthop(NexthopSpec{ID: id, Absent: true})
		}
		if p, err := del.Plan(); err != nil {
			t.Fatal(err)
		} else {
			t.Logf("removal plan:\n%s", p)
		}
		if err := del.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if out := ns.IP("nexthop", "show"); strings.TrimSpace(out) != "" {
			t.Errorf("nexthops left:\n%s", out)
		}
		if out := ns.IP("route", "show"); strings.Contains(out, "nhid") {
			t.Errorf("routes over nexthops left:\n%s", out)
		}
		checkNexthopOracle(t, ns, db)
	})
}

// TestNexthopFaultInjection fails each step of nexthopTxn in turn: the
// rollback brings back the namespace as ip -j shows it, the nexthop the
// transaction removed, the group it shrank and the route the kernel
// dropped with it included.
func TestNexthopFaultInjection(t *testing.T) {
	faultEveryStep(t, txnFaults(nexthopBase, nexthopTxn, nexthopState, checkNexthopOracle, 10))
}

// TestNexthopConflict: someone else replaces a nexthop the transaction
// looked at between Plan and Commit; Commit reports the attribute and
// writes nothing.
func TestNexthopConflict(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		nexthopBase(t, ns)
		db, c := setup(t, ns)
		tx := nexthopTxn(db, c, nil)
		if _, err := tx.Plan(); err != nil {
			t.Fatal(err)
		}
		ns.IP("nexthop", "replace", "id", "101", "via", "192.0.2.9", "dev", "n0")
		before := nexthopState(t, ns)
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		err := tx.Commit(context.Background())
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "via 192.0.2.3 -> 192.0.2.9") {
			t.Fatalf("got %v, want ErrConflict naming via", err)
		}
		if tx.Writes() != 0 {
			t.Errorf("%d writes despite the conflict", tx.Writes())
		}
		checkRestored(t, ns, nexthopState, before)
		// A change of the kernel's own (the route's expanded hop follows
		// the replace) is no conflict for a route spec over a nexthop.
		rt := New(db, c, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.0/24"), NHID: 200, Protocol: netlink.ProtoStatic})
		if _, err := rt.Plan(); err != nil {
			t.Fatal(err)
		}
		ns.IP("nexthop", "replace", "id", "101", "via", "192.0.2.8", "dev", "n0")
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := rt.Commit(context.Background()); err != nil {
			t.Fatalf("route over a replaced nexthop: %v", err)
		}
		checkNexthopOracle(t, ns, db)
	})
}

// TestNexthopRollbackLinkDown: a transaction takes n0 down, which makes
// the kernel drop the nexthops on it, the group of them and the routes
// over them, then fails. The rollback brings all of them back.
func TestNexthopRollbackLinkDown(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		nexthopBase(t, ns)
		db, c := setup(t, ns)
		before := nexthopState(t, ns)
		cfg := &Config{inject: failKind(netlink.KindRoute, failing)}
		err := New(db, c, cfg).
			Link(LinkSpec{Name: "n0", Up: bptr(false)}).
			Route(RouteSpec{Dst: netip.MustParsePrefix("192.0.2.128/25"), Type: netlink.RouteBlackhole}).
			Commit(context.Background())
		var ce *CommitError
		if !errors.As(err, &ce) || !ce.RolledBack {
			t.Fatalf("got %v, want a rolled back *CommitError", err)
		}
		checkRestored(t, ns, nexthopState, before)
		checkNexthopOracle(t, ns, db)
	})
}

// TestNexthopLastMember: removing the last member of group 300 makes the
// kernel remove the group and the route over it; a transaction that
// also wants the group (with another member) and the route gets both,
// and its rollback brings back the group of the old member and the
// route.
func TestNexthopLastMember(t *testing.T) {
	txn := func(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn {
		return New(db, c, cfg).
			Nexthop(NexthopSpec{ID: 100, Absent: true}).
			Nexthop(NexthopSpec{ID: 300, Group: []NexthopMemberSpec{{ID: 101}}}).
			Route(RouteSpec{Dst: netip.MustParsePrefix("192.0.2.128/25"), NHID: 300})
	}
	base := func(t *testing.T, ns *nstest.NS) {
		nexthopBase(t, ns)
		ns.Batch("nexthop add id 300 group 100", "route add 192.0.2.128/25 nhid 300")
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		base(t, ns)
		db, c := setup(t, ns)
		before := nexthopState(t, ns)
		plan, err := txn(db, c, nil).Plan()
		if err != nil {
			t.Fatal(err)
		}
		want := `- nexthop id 100 via 192.0.2.2 dev n0 (the kernel removes the route using it)
~ nexthop id 300 group 101: group [100] -> [101]
~ route 192.0.2.128/25 nhid 300: (added again: the kernel drops it with nexthop id 300)
`
		if plan.String() != want {
			t.Errorf("plan:\n%s\nwant:\n%s", plan, want)
		}
		// Fail the route: the rollback restores group 300 of 100.
		cfg := &Config{inject: failKind(netlink.KindRoute, failing)}
		var ce *CommitError
		if err := txn(db, c, cfg).Commit(context.Background()); !errors.As(err, &ce) || !ce.RolledBack {
			t.Fatalf("got %v, want a rolled back *CommitError", err)
		}
		checkRestored(t, ns, nexthopState, before)
		checkNexthopOracle(t, ns, db)

		if err := txn(db, c, nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if out := ns.IP("route", "show", "192.0.2.128/25"); !strings.Contains(out, "nhid 300") {
			t.Errorf("route over group 300 missing: %q", out)
		}
		if out := ns.IP("nexthop", "show", "id", "300"); !strings.Contains(out, "group 101") {
			t.Errorf("group 300: %q", out)
		}
		checkNexthopOracle(t, ns, db)
		if p, err := txn(db, c, nil).Plan(); err != nil || !p.Empty() {
			t.Errorf("re-plan: %v %v", p, err)
		}
	})
}

// TestNexthopLinkLifecycle: one transaction creates a veth, brings it
// up, addresses it and puts nexthops and routes on it; a failed one that
// deletes the veth (taking the nexthops, group and routes with it) is
// rolled back to all of them on the recreated link.
func TestNexthopLinkLifecycle(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		nexthopBase(t, ns)
		db, c := setup(t, ns)
		ctx := context.Background()
		mk := func() *Txn {
			return New(db, c, nil).
				Link(LinkSpec{Name: "m0", Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: "m1"}}},
					Up: bptr(true)}).
				Link(LinkSpec{Name: "m1", Up: bptr(true)}).
				Addr(AddrSpec{Link: "m0", Prefix: netip.MustParsePrefix("198.51.100.1/28")}).
				Nexthop(NexthopSpec{ID: 500, Gateway: netip.MustParseAddr("198.51.100.2"), Dev: "m0"}).
				Nexthop(NexthopSpec{ID: 501, Group: []NexthopMemberSpec{{ID: 500}, {ID: 101}}}).
				Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.128/25"), NHID: 501})
		}
		if err := mk().Commit(ctx); err != nil {
			t.Fatal(err)
		}
		checkNexthopOracle(t, ns, db)
		if p, err := mk().Plan(); err != nil || !p.Empty() {
			t.Errorf("re-plan: %v %v", p, err)
		}

		before := nexthopState(t, ns)
		cfg := &Config{inject: failKind(netlink.KindRoute, failing)}
		err := New(db, c, cfg).
			Link(LinkSpec{Name: "m0", Absent: true}).
			Route(RouteSpec{Dst: netip.MustParsePrefix("192.0.2.128/25"), Type: netlink.RouteBlackhole}).
			Commit(ctx)
		var ce *CommitError
		if !errors.As(err, &ce) || !ce.RolledBack {
			t.Fatalf("got %v, want a rolled back *CommitError", err)
		}
		// The veth comes back with new indexes: compare without them.
		indexes := regexp.MustCompile(`"(ifindex|link_index)":[0-9]+`)
		noIndex := func(s string) string {
			lines := strings.Split(indexes.ReplaceAllString(s, `"$1":0`), "\n")
			slices.Sort(lines) // the links' order is their indexes'
			return strings.Join(lines, "\n")
		}
		waitRestored(t, "", noIndex(before), func() string { return noIndex(nexthopState(t, ns)) })
		checkNexthopOracle(t, ns, db)
		if p, err := mk().Plan(); err != nil || !p.Empty() {
			t.Errorf("re-plan after the rollback: %v %v", p, err)
		}
	})
}

// TestNexthopAwaitsCarrier: the kernel refuses a nexthop object on a link
// without a carrier ("Carrier for nexthop device is down", ENETDOWN), and
// a link a transaction creates, brings up or gives a port gets its carrier
// after the acknowledgements: a bridge's follows its port's through the
// kernel's linkwatch work (found by a user's try: the first apply of a
// state file with a bridge, its veth port and nexthops over the bridge
// failed now and then). Commit waits for the carrier, a bounded time.
// Here it comes 300 ms after the commit starts: the peer of the
// nexthop's veth comes up then.
func TestNexthopAwaitsCarrier(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		prepNS(t, ns)
		ns.Batch("link set lo up", "link add k0 type veth peer name k1", "link set k0 up",
			"addr add 192.0.2.1/24 dev k0")
		db, c := setup(t, ns)
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(300 * time.Millisecond)
			ns.IP("link", "set", "k1", "up")
		}()
		start := time.Now()
		err := New(db, c, nil).
			Link(LinkSpec{Name: "k0", MTU: u32(1400)}).
			Nexthop(NexthopSpec{ID: 100, Gateway: netip.MustParseAddr("192.0.2.2"), Dev: "k0"}).
			Nexthop(NexthopSpec{ID: 200, Group: []NexthopMemberSpec{{ID: 100}}}).
			Commit(context.Background())
		<-done
		if err != nil {
			t.Fatalf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		}
		checkNexthopOracle(t, ns, db)
	})
}
