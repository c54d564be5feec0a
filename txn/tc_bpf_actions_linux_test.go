package txn

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// bpfRedirect is a classic bpf filter that takes every packet, with a
// mirred egress redirect whose target the spec names (MirredDevs);
// classid 0 for none.
func bpfRedirect(classid netlink.Handle) *netlink.BPFFilter {
	return &netlink.BPFFilter{ClassID: classid, Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffffffff}}, Actions: netlink.TCActions{
		{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen}, Eaction: netlink.MirredEgressRedirect}}}}
}

// checkTCOptionsOracle is checkTCOracle with the filters' options and
// actions compared key for key (oracle.CompareFilterOptions).
func checkTCOptionsOracle(t *testing.T, ns *nstest.NS, db *ipdb.DB) {
	t.Helper()
	checkTCOracle(t, ns, db)
	if err := oracle.CompareFilterOptions(ns, slices.Collect(db.Snapshot().Filters())); err != nil {
		t.Errorf("the database's filter options differ from tc -j:\n%v", err)
	}
}

// TestTCBPFActions: bpf filters with a mirred redirect to an ifb the
// same transaction creates, as the CNI bandwidth plugin sends a link's
// ingress to an ifb: on v1's clsact the existing bpf filter gains the
// action, and a new one on its egress; a fault at every step rolls back
// exactly; the commit agrees with tc -j, options and actions key for key,
// and a second plan is empty. Then another target is one replace of the
// filter; a spec without actions (nil) and a new flowid keeps the
// actions; an empty list takes them away; each time a second plan is
// empty.
func TestTCBPFActions(t *testing.T) {
	mk := func(db *ipdb.DB, c *netlink.Conn, cfg *Config, target string) *Txn {
		return New(db, c, cfg).
			Link(LinkSpec{Name: "ifb0", Info: &netlink.LinkInfo{InfoKind: "ifb"}, Up: bptr(true)}).
			Filter(FilterSpec{Dev: "v1", Parent: netlink.HandleIngressBlock, Priority: 3, Protocol: unix.ETH_P_ALL, Handle: 7,
				Options: bpfRedirect(0), MirredDevs: map[int]string{0: target}}).
			Filter(FilterSpec{Dev: "v1", Parent: netlink.HandleEgressBlock, Priority: 4, Protocol: unix.ETH_P_ALL, Handle: 1,
				Options: bpfRedirect(h(1, 5)), MirredDevs: map[int]string{0: target}})
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		ns.NeedKind(t, "ifb")
		ns.NeedTC(t, "action", "mirred", "egress", "redirect", "dev", "lo") // CONFIG_NET_ACT_MIRRED
		db, c := setup(t, ns)
		plan, err := mk(db, c, nil, "ifb0").Plan()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"~ filter dev v1 ingress protocol all pref 3 chain 0 handle 0x7 bpf bytecode '1,6 0 0 4294967295' action mirred egress redirect dev ifb0: " +
				"bytecode '1,6 0 0 65535' -> bytecode '1,6 0 0 4294967295', actions (none) -> [action mirred egress redirect dev ifb0]\n",
			"+ filter dev v1 egress protocol all pref 4 chain 0 handle 0x1 bpf bytecode '1,6 0 0 4294967295' flowid 1:5 action mirred egress redirect dev ifb0\n",
		} {
			if !strings.Contains(plan.String(), want) {
				t.Errorf("plan:\n%s\nwant the step %q", plan, want)
			}
		}
		t.Run("faults", func(t *testing.T) {
			c := txnFaults(tcBase, func(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn { return mk(db, c, cfg, "ifb0") },
				tcState, checkTCOptionsOracle, len(plan.Steps))
			c.failing = failingTC
			c.more = linkGoneAfterRollback("ifb0")
			faultEveryStepIn(t, nstest.New(t), c)
		})

		if err := mk(db, c, nil, "ifb0").Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		show := func() string {
			return tc(t, ns, "filter", "show", "dev", "v1", "ingress") + tc(t, ns, "filter", "show", "dev", "v1", "egress")
		}
		if f := show(); strings.Count(f, "mirred (Egress Redirect to device ifb0) stolen") != 2 {
			t.Errorf("tc filter show, want two redirects to ifb0:\n%s", f)
		}
		checkTCOptionsOracle(t, ns, db)
		if again, err := mk(db, c, nil, "ifb0").Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}

		// Another target: one replace of each filter.
		plan, err = mk(db, c, nil, "v0").Plan()
		if err != nil {
			t.Fatal(err)
		}
		want := "~ filter dev v1 ingress protocol all pref 3 chain 0 handle 0x7 bpf bytecode '1,6 0 0 4294967295' action mirred egress redirect dev v0: " +
			"actions [action mirred egress redirect dev ifb0] -> [action mirred egress redirect dev v0]\n"
		if len(plan.Steps) != 2 || !strings.Contains(plan.String(), want) {
			t.Errorf("another target:\n%s\nwant two steps, one %q", plan, want)
		}
		if err := mk(db, c, nil, "v0").Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := show(); strings.Count(f, "mirred (Egress Redirect to device v0) stolen") != 2 || strings.Contains(f, "ifb0") {
			t.Errorf("tc filter show, want two redirects to v0:\n%s", f)
		}
		checkTCOptionsOracle(t, ns, db)
		if again, err := mk(db, c, nil, "v0").Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}

		// No actions in the spec (nil), a new flowid: the filter keeps
		// its redirect (the kernel would drop what the request lacks).
		keep := FilterSpec{Dev: "v1", Parent: netlink.HandleIngressBlock, Priority: 3, Protocol: unix.ETH_P_ALL, Handle: 7,
			Options: &netlink.BPFFilter{ClassID: h(1, 9), Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffffffff}}}}
		plan, err = New(db, c, nil).Filter(keep).Plan()
		if err != nil {
			t.Fatal(err)
		}
		want = "~ filter dev v1 ingress protocol all pref 3 chain 0 handle 0x7 bpf bytecode '1,6 0 0 4294967295' flowid 1:9 action mirred egress redirect dev v0: " +
			"(none) -> flowid 1:9\n"
		if plan.String() != want {
			t.Errorf("a new flowid:\n%s\nwant\n%s", plan, want)
		}
		if err := New(db, c, nil).Filter(keep).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v1", "ingress"); !strings.Contains(f, "flowid 1:9") ||
			!strings.Contains(f, "mirred (Egress Redirect to device v0) stolen") {
			t.Errorf("a spec without actions lost them:\n%s", f)
		}
		checkTCOptionsOracle(t, ns, db)
		if again, err := New(db, c, nil).Filter(keep).Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}

		// An empty list takes the actions away.
		none := keep
		o := *keep.Options.(*netlink.BPFFilter)
		o.Actions = netlink.TCActions{}
		none.Options = &o
		plan, err = New(db, c, nil).Filter(none).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan.String(), "actions [action mirred egress redirect dev v0] -> (none)") {
			t.Errorf("no actions:\n%s", plan)
		}
		if err := New(db, c, nil).Filter(none).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v1", "ingress"); strings.Contains(f, "mirred") || !strings.Contains(f, "flowid 1:9") {
			t.Errorf("an empty action list left:\n%s", f)
		}
		checkTCOptionsOracle(t, ns, db)
		if again, err := New(db, c, nil).Filter(none).Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}
	})
}
