package txn

import (
	"context"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestTCActionsKept: a filter spec that leaves the actions out (nil)
// does not ask to change them, so a change of the filter for another
// reason keeps them: a u32 node's new match (removed and added again)
// and a new flowid come back with the mirred action tc gave the filter;
// the plan's line shows it, tc shows it, and a second plan is empty. An
// empty list takes them away.
func TestTCActionsKept(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		ns.NeedTC(t, "action", "mirred", "egress", "mirror", "dev", "v1") // CONFIG_NET_ACT_MIRRED
		tc(t, ns, strings.Fields("filter replace dev v0 parent 1: protocol ip prio 1 handle 800::800 u32 match ip dst 192.0.2.0/24 flowid 1:10 action mirred egress mirror dev v1")...)
		db, c := setup(t, ns)
		spec := FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, Handle: 0x80000800,
			Options: u32Dst(0xc6336400, 0xffffff00, h(1, 0x20))}
		tx := New(db, c, nil).Filter(spec)
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		want := "+ filter dev v0 parent 1: protocol ip pref 1 chain 0 handle 800::800 u32 match ip dst 198.51.100.0/24 flowid 1:20 action mirred egress mirror dev v1: " +
			"match ip dst 192.0.2.0/24 -> match ip dst 198.51.100.0/24, flowid 1:10 -> flowid 1:20"
		if !strings.Contains(plan.String(), strings.TrimPrefix(want, "+ ")) {
			t.Errorf("plan:\n%s\nwant a step %q", plan, want)
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:")
		for _, w := range []string{"flowid 1:20", "match c6336400/ffffff00 at 16", "mirred (Egress Mirror to device v1) pipe"} {
			if !strings.Contains(f, w) {
				t.Errorf("tc filter show lacks %q:\n%s", w, f)
			}
		}
		checkTCOracle(t, ns, db)
		if again, err := New(db, c, nil).Filter(spec).Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}

		none := spec
		u := *spec.Options.(*netlink.U32)
		u.Actions = netlink.TCActions{}
		none.Options = &u
		if err := New(db, c, nil).Filter(none).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:"); strings.Contains(f, "mirred") || !strings.Contains(f, "flowid 1:20") {
			t.Errorf("an empty action list left:\n%s", f)
		}
		checkTCOracle(t, ns, db)
	})
}

// TestTCFieldsKept: a spec without Exact that leaves a field at zero
// leaves it as the filter has it, also when the filter changes for
// another reason: the kernel builds a changed filter from the request
// alone (cls_bpf_change; u32 is removed and added again), so the request
// carries the filter's flowid and direct-action. Before, the plan said
// "bytecode ... -> ..." and the commit dropped both. With Exact, a zero
// field is none: the same spec takes them away.
func TestTCFieldsKept(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		tc(t, ns, strings.Fields("filter replace dev v0 parent 1: protocol ip prio 1 handle 800::800 u32 match ip dst 192.0.2.0/24 flowid 1:10")...)
		tc(t, ns, "filter", "replace", "dev", "v0", "parent", "1:", "protocol", "all", "prio", "2", "handle", "1", "bpf", "bytecode", "1,6 0 0 0", "flowid", "1:20", "da")
		db, c := setup(t, ns)
		u32 := FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, Handle: 0x80000800,
			Options: u32Dst(0xc6336400, 0xffffff00, 0)}
		bpf := FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 2, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.BPFFilter{Ops: []netlink.BPFInstruction{{Code: 6, K: 1}}}}
		tx := New(db, c, nil).Filter(u32).Filter(bpf)
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"match ip dst 198.51.100.0/24 flowid 1:10: match ip dst 192.0.2.0/24 -> match ip dst 198.51.100.0/24",
			"handle 0x1 bpf bytecode '1,6 0 0 1' direct-action flowid 1:20: bytecode '1,6 0 0 0' -> bytecode '1,6 0 0 1'"} {
			if !strings.Contains(plan.String(), w) {
				t.Errorf("plan lacks %q:\n%s", w, plan)
			}
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:")
		for _, w := range []string{"*flowid 1:10", "match c6336400/ffffff00 at 16", "handle 0x1 flowid 1:20 direct-action", "bytecode '1,6 0 0 1'"} {
			if !strings.Contains(f, w) {
				t.Errorf("tc filter show lacks %q:\n%s", w, f)
			}
		}
		checkTCOracle(t, ns, db)
		if again, err := New(db, c, nil).Filter(u32).Filter(bpf).Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}

		u32.Exact, bpf.Exact = true, true
		plan, err = New(db, c, nil).Filter(u32).Filter(bpf).Plan()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"flowid 1:10 -> (none)", "flowid 1:20 -> (none)", "direct-action -> (none)"} {
			if !strings.Contains(plan.String(), w) {
				t.Errorf("exact plan lacks %q:\n%s", w, plan)
			}
		}
		if err := New(db, c, nil).Filter(u32).Filter(bpf).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:"); strings.Contains(f, "flowid 1:") || strings.Contains(f, "direct-action") {
			t.Errorf("exact specs left:\n%s", f)
		}
		checkTCOracle(t, ns, db)
		if again, err := New(db, c, nil).Filter(u32).Filter(bpf).Plan(); err != nil || !again.Empty() {
			t.Errorf("exact plan again: %v %v", again, err)
		}
	})
}

// TestTCFilterFlagsChanged: the kernel refuses a bpf filter's replace
// with other skip_hw/skip_sw flags (try13: EINVAL at commit, rolled
// back), so a change of them is the filter's removal and creation, and
// commits; so is their removal.
func TestTCFilterFlagsChanged(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		db, c := setup(t, ns)
		spec := func(flags uint32) FilterSpec {
			return FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 2, Protocol: unix.ETH_P_ALL, Handle: 1, Exact: true,
				Options: &netlink.BPFFilter{ClassID: h(1, 0x20), Ops: []netlink.BPFInstruction{{Code: 6}}, GenFlags: flags}}
		}
		for _, flags := range []uint32{netlink.TCClsFlagsSkipHW, 0} {
			tx := New(db, c, nil).Filter(spec(flags))
			plan, err := tx.Plan()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(plan.String(), "(to add it again changed: the kernel does not change it in place)") {
				t.Errorf("flags %#x: plan:\n%s", flags, plan)
			}
			if err := tx.Commit(context.Background()); err != nil {
				t.Fatalf("flags %#x: %v", flags, err)
			}
			if f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:"); strings.Contains(f, "skip_hw") != (flags != 0) {
				t.Errorf("flags %#x: tc filter show:\n%s", flags, f)
			}
			checkTCOracle(t, ns, db)
			if again, err := New(db, c, nil).Filter(spec(flags)).Plan(); err != nil || !again.Empty() {
				t.Errorf("flags %#x: plan again: %v %v", flags, again, err)
			}
		}
	})
}
