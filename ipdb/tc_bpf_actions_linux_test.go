package ipdb_test

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestTCBPFActionsFollowed: classic bpf filters with mirred actions to
// ifbs (the CNI way of sending a link's ingress to an ifb) on clsact and
// under an htb, added, replaced, changed (the actions only, and to none)
// and deleted, followed by the database; the targets deleted and moved
// away, which the kernel does not announce for the filters that send to
// them (mirredFollowsLink must see a bpf filter's actions); each step
// compared with tc -j, options and actions key for key.
func TestTCBPFActionsFollowed(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedKind(t, "ifb")
		ns.NeedTC(t, "filter", "bpf", "bytecode", "1,6 0 0 0")
		ns.NeedTC(t, "action", "mirred", "egress", "redirect", "dev", "lo")
		other := nstest.New(t)
		ns.Batch(
			"link add t0 type veth peer name t1", "link set t0 up", "link set t1 up",
			"link add i0 type ifb", "link add i1 type ifb", "link add i2 type ifb",
			"link set i0 up", "link set i1 up", "link set i2 up",
		)
		// Refresh off: nothing repairs what the effects miss.
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settleTCOptions(t, ns, db, "the set-up")
		bpf := func(s string, rest ...string) tcStep {
			return append(tcStep(strings.Fields("filter "+s)), rest...)
		}
		const accept = "1,6 0 0 4294967295"
		runTCSteps(t, ns, db, []tcStep{
			{"qdisc", "add", "dev", "t0", "clsact"},
			bpf("add dev t0 ingress pref 1 protocol all handle 1 bpf bytecode", accept, "flowid", "1:1", "action", "mirred", "egress", "redirect", "dev", "i0"),
			bpf("add dev t0 egress pref 2 protocol all handle 1 bpf bytecode", accept, "action", "mirred", "ingress", "mirror", "dev", "i0",
				"action", "mirred", "egress", "redirect", "dev", "i1"),
			{"qdisc", "add", "dev", "t1", "root", "handle", "1:", "htb"},
			bpf("add dev t1 parent 1: pref 1 protocol ip handle 5 bpf bytecode", accept, "action", "mirred", "egress", "mirror", "dev", "i2"),
			// The target changes, then the verdict, then the actions go.
			bpf("replace dev t0 ingress pref 1 protocol all handle 1 bpf bytecode", accept, "flowid", "1:1", "action", "mirred", "egress", "redirect", "dev", "i2"),
			bpf("change dev t0 ingress pref 1 protocol all handle 1 bpf bytecode", accept, "flowid", "1:1", "action", "mirred", "egress", "mirror", "dev", "i2", "pipe"),
			bpf("replace dev t0 ingress pref 1 protocol all handle 1 bpf bytecode", accept, "flowid", "1:1"),
			bpf("replace dev t0 ingress pref 1 protocol all handle 1 bpf bytecode", accept, "flowid", "1:2", "action", "mirred", "egress", "redirect", "dev", "i0"),
		})
		// The targets go: i0 deleted (both of t0's filters), i2 moved away
		// (t1's filter), i1 deleted last.
		runTCSteps(t, ns, db, []tcStep{
			{"ip", "link", "del", "i0"},
			{"ip", "link", "set", "i2", "netns", other.Name},
			{"ip", "link", "del", "i1"},
		})
		zero := 0
		for f := range db.Snapshot().Filters() {
			if o, ok := f.Options.(*netlink.BPFFilter); ok {
				for _, a := range o.Actions {
					if m, ok := a.Options.(*netlink.Mirred); ok && m.Ifindex == 0 {
						zero++
					}
				}
			}
		}
		if zero != 4 {
			t.Errorf("%d mirred actions of bpf filters to no device in the database, want 4", zero)
		}
		runTCSteps(t, ns, db, []tcStep{bpf("del dev t0 egress pref 2"), {"ip", "link", "del", "t0"}})
	})
}
