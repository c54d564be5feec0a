package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// setup prepares ns (no IPv6 autoconfiguration, so that ip -j output is
// stable) and opens a DB and a Conn on it.
func setup(t *testing.T, ns *nstest.NS) (*ipdb.DB, *netlink.Conn) {
	t.Helper()
	return openEnv(t, ns)
}

// prepNS turns off IPv6 autoconfiguration and DAD in ns, so that ip -j
// output is stable across a rollback.
func prepNS(t *testing.T, ns *nstest.NS) {
	t.Helper()
	if err := ns.Do(func() error {
		for _, f := range []string{"default/addr_gen_mode", "default/accept_dad", "all/accept_dad"} {
			v := "0"
			if strings.HasSuffix(f, "addr_gen_mode") {
				v = "1"
			}
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+f, []byte(v), 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func openEnv(t testing.TB, ns *nstest.NS) (*ipdb.DB, *netlink.Conn) {
	t.Helper()
	db := dbtest.Open(t, ns)
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return db, c
}

// ipState captures ip -j output of everything a transaction can touch,
// without fields that change by themselves (bridge timers).
func ipState(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	var b strings.Builder
	for _, args := range [][]string{
		{"-d", "link", "show"}, {"addr", "show"}, {"-4", "route", "show", "table", "all"},
		{"-6", "route", "show", "table", "all"}, {"neigh", "show", "nud", "permanent"},
		{"neigh", "show", "nud", "noarp"}, {"-4", "rule", "show"}, {"-6", "rule", "show"},
	} {
		var v []any
		ns.IPJSON(&v, args...)
		if args[len(args)-1] == "noarp" {
			v = slices.DeleteFunc(v, kernelNoARP)
		}
		scrub(v)
		// As a set: the kernel may list equal routes in another order
		// after a link went down and up again.
		lines := make([]string, len(v))
		for i, e := range v {
			out, _ := json.Marshal(e)
			lines[i] = string(out)
		}
		slices.Sort(lines)
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteByte('\n')
	}
	return b.String()
}

// kernelNoARP reports whether e, an entry of `ip -j neigh show nud noarp`,
// is one the kernel makes by itself, for a multicast or broadcast
// destination (and without a link-layer address on lo): it comes and goes
// with traffic, unlike the NOARP entries a user adds, which the kernel
// flushes when their link goes down and a rollback must bring back.
func kernelNoARP(e any) bool {
	m, _ := e.(map[string]any)
	lladdr, _ := m["lladdr"].(string)
	mac, err := net.ParseMAC(lladdr)
	return err != nil || len(mac) == 0 || mac[0]&1 != 0
}

func scrub(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.HasSuffix(k, "_timer") || k == "operstate" {
				delete(x, k)
				continue
			}
			scrub(e)
		}
	case []any:
		for _, e := range x {
			scrub(e)
		}
	}
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var d []string
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			d = append(d, fmt.Sprintf("line %d: before %q, after %q", i, x, y))
		}
		if len(d) > 12 {
			break
		}
	}
	return strings.Join(d, "\n")
}

// ipKinds are the kinds checkOracle compares: what ip -j shows of the
// namespaces the transactions change.
var ipKinds = []netlink.Kind{netlink.KindLink, netlink.KindAddr, netlink.KindRoute, netlink.KindRule}

// checkOracle compares the database with ip -j for ipKinds.
func checkOracle(t *testing.T, ns *nstest.NS, db *ipdb.DB) {
	t.Helper()
	checkOracleKinds(t, ns, db, ipKinds, nil)
}

// checkOracleKinds compares the database with iproute2 (oracle.Compare:
// ip -j, bridge -j, tc -j) for kinds, and with extra's comparison when it
// is not nil, until they agree or 10 s pass (nstest.Eventually). The
// kernel goes on changing what a commit made after the commit returned,
// and the database follows it then: linkwatch sets a new link's operstate
// and carrier up to a second later (net/core/link_watch.c, seconds in the
// emulated guest), and with them the linkdown flag of the link's routes,
// silently (fib_sync_down_dev, mpls_ifdown). The test fails only when the
// database does not follow.
func checkOracleKinds(t *testing.T, ns *nstest.NS, db *ipdb.DB, kinds []netlink.Kind, extra func(*ipdb.Snapshot) error) {
	t.Helper()
	err := nstest.Eventually(10*time.Second, func() error {
		s := db.Snapshot()
		var errs []error
		for _, k := range kinds {
			if err := oracle.Compare(ns, k, slices.Collect(s.Objects(k))); err != nil {
				errs = append(errs, fmt.Errorf("%ss: %w", k, err))
			}
		}
		if extra != nil {
			errs = append(errs, extra(s))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Errorf("database and iproute2 differ: %v", err)
	}
}

func u32(v uint32) *uint32 { return &v }
func bptr(v bool) *bool    { return &v }
func sptr(v string) *string {
	return &v
}

var mac9 = net.HardwareAddr{0x02, 0, 0, 0, 0, 9}

// baseState is the namespace before the transactions of the tests.
func baseState(t *testing.T, ns *nstest.NS) {
	prepNS(t, ns)
	ns.Batch(
		"link set lo up",
		"link add a0 type veth peer name a1",
		"link set a0 up",
		"link set a1 up",
		"addr add 192.0.2.1/24 dev a0",
		"link add c0 type veth peer name c1",
		"link set c0 up",
		"link set c1 up",
		"addr add 203.0.113.1/24 dev c0",
		"route add 198.51.100.128/25 via 203.0.113.2 dev c0",
		"link add br0 type bridge",
		"link set br0 up",
		"route add 198.51.100.0/24 via 192.0.2.2 table 300",
		"route add blackhole 198.51.100.200/29 table 300",
		"neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev a0 nud permanent",
		// Flushed by the kernel when bigTxn takes c0 down, and brought
		// back by a rollback.
		"neigh add 203.0.113.9 lladdr 02:00:00:00:00:0a dev c0 nud noarp",
		"rule add pref 100 from 203.0.113.0/24 lookup 300",
	)
	// The kernel makes the local routes of IPv6 addresses when DAD ends,
	// and a veth's carrier comes up asynchronously: the state the tests
	// compare against is taken after both.
	ns.SettleDAD()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) &&
		strings.Contains(ns.IP("-o", "link", "show", "type", "veth"), "NO-CARRIER"); {
		time.Sleep(20 * time.Millisecond)
	}
}

// bigTxn touches every kind: creates, changes and removes.
func bigTxn(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn {
	t := New(db, c, cfg)
	t.Link(LinkSpec{Name: "br1", Info: &netlink.LinkInfo{InfoKind: "bridge"}, Up: bptr(true)})
	t.Link(LinkSpec{Name: "v0", Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: "v1"}}},
		MTU: u32(1400), Master: sptr("br1"), Up: bptr(true)})
	t.Link(LinkSpec{Name: "v1", Up: bptr(true), MTU: u32(1400)})
	t.Link(LinkSpec{Name: "a0", MTU: u32(1400)})
	t.Link(LinkSpec{Name: "c0", Up: bptr(false)})
	t.Addr(AddrSpec{Link: "br1", Prefix: netip.MustParsePrefix("198.51.100.1/26")})
	t.Addr(AddrSpec{Link: "br1", Prefix: netip.MustParsePrefix("2001:db8:1::1/64")})
	t.Addr(AddrSpec{Link: "a0", Prefix: netip.MustParsePrefix("192.0.2.77/24")})
	t.Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.64/26"), Gateway: netip.MustParseAddr("198.51.100.2"), Dev: "br1"})
	t.Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: 300, Gateway: netip.MustParseAddr("192.0.2.3")})
	t.Route(RouteSpec{Dst: netip.MustParsePrefix("2001:db8:2::/64"), Gateway: netip.MustParseAddr("2001:db8:1::2"), Dev: "br1"})
	t.Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.200/29"), Table: 300, Absent: true})
	t.Neigh(NeighSpec{Link: "br1", Dst: netip.MustParseAddr("198.51.100.9"), LLAddr: mac9})
	t.Neigh(NeighSpec{Link: "a0", Dst: netip.MustParseAddr("192.0.2.9"), Absent: true})
	t.Rule(RuleSpec{Rule: netlink.Rule{Priority: 200, Src: netip.MustParsePrefix("198.51.100.0/24"), Table: 300}})
	t.Rule(RuleSpec{Rule: netlink.Rule{Priority: 100, Src: netip.MustParsePrefix("203.0.113.0/24"), Table: 300}, Absent: true})
	return t
}

// failing returns a request of the same kind as o that the kernel refuses.
func failing(o *Step) netlink.Request {
	const noLink = 0x7ffffff0
	switch o.Kind {
	case netlink.KindLink:
		return netlink.LinkRequest(netlink.Set, &netlink.Link{Index: noLink, MTU: 1500})
	case netlink.KindAddr:
		return netlink.AddrRequest(netlink.Add, &netlink.Addr{Index: noLink, Prefix: netip.MustParsePrefix("192.0.2.200/24")})
	case netlink.KindRoute:
		// A gateway on no connected subnet: ENETUNREACH.
		return netlink.RouteRequest(netlink.Add, &netlink.Route{Dst: netip.MustParsePrefix("198.51.100.248/29"),
			Gateway: netip.MustParseAddr("198.51.100.250"), Table: 301})
	case netlink.KindNeigh:
		return netlink.NeighRequest(netlink.Add, &netlink.Neigh{Family: unix.AF_INET, Index: noLink, Dst: netip.MustParseAddr("192.0.2.10"), LLAddr: mac9})
	case netlink.KindNexthop:
		// A device that does not exist: ENODEV.
		return netlink.NexthopRequest(netlink.Add, &netlink.Nexthop{ID: 999, OIF: noLink})
	default:
		// A goto backwards: EINVAL.
		return netlink.RuleRequest(netlink.Add, &netlink.Rule{Family: unix.AF_INET, Priority: 500, Action: netlink.RuleGoto, Goto: 400})
	}
}

func TestCommitAndIdempotence(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		baseState(t, ns)
		db, c := setup(t, ns)
		ctx := context.Background()
		tx := bigTxn(db, c, nil)
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
		var v0 []struct {
			MTU    int    `json:"mtu"`
			Master string `json:"master"`
		}
		ns.IPJSON(&v0, "link", "show", "v0")
		if len(v0) != 1 || v0[0].MTU != 1400 || v0[0].Master != "br1" {
			t.Errorf("v0: %+v", v0)
		}
		if out := ns.IP("route", "show", "table", "300"); !strings.Contains(out, "via 192.0.2.3") || strings.Contains(out, "blackhole") {
			t.Errorf("table 300:\n%s", out)
		}
		if out := ns.IP("rule", "show"); !strings.Contains(out, "200:") || strings.Contains(out, "100:") {
			t.Errorf("rules:\n%s", out)
		}
		checkOracle(t, ns, db)

		// The same specs again: an empty plan and no writes.
		tx2 := bigTxn(db, c, nil)
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
	})
}

// TestFaultInjection fails each step of bigTxn in turn: the commit
// reports it and the rollback brings back what ip -j showed before.
func TestFaultInjection(t *testing.T) {
	faultEveryStep(t, txnFaults(baseState, bigTxn, ipState, checkOracle, 1))
}
