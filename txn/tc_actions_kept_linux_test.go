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
