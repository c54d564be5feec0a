package ipdb_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// tcEventSummary counts changes by kind and op, "class add 1, filter
// delete 4, ...", sorted.
func tcEventSummary(changes []ipdb.Change) string {
	n := map[string]int{}
	for _, c := range changes {
		n[fmt.Sprintf("%s %s", c.Kind, c.Op)]++
	}
	var out []string
	for k, v := range n {
		out = append(out, fmt.Sprintf("%s %d", k, v))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// tcChangesSince returns the qdisc, class and filter changes after rev.
func tcChangesSince(t *testing.T, db *ipdb.DB, rev uint64) []ipdb.Change {
	t.Helper()
	all, _, _, err := db.ChangesSince(rev, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []ipdb.Change
	for _, c := range all {
		switch c.Kind {
		case netlink.KindQdisc, netlink.KindClass, netlink.KindFilter:
			out = append(out, c)
		}
	}
	return out
}

// TestTCOneRevision: the tc objects the kernel creates or destroys along
// with the one a tc command names, without telling (a replaced qdisc's
// classes, leaf qdiscs and filters, tbf's class, a priority's entry, an
// htb parent's leaf qdisc and level), change in the command's own
// revision (tc_effects.go): each step's events are one revision, with the
// counts given, and the database agrees with tc -j and a fresh dump
// after it. Refresh off: nothing but the effects and their re-reads
// follows the kernel.
func TestTCOneRevision(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add h2 type veth peer name h3", "link set h2 up", "link set h3 up")
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settleTC(t, ns, db, "the set-up")
		bpf := []string{"bpf", "bytecode", "1,6 0 0 0,"}
		steps := []struct {
			args []string
			want string // "": not one revision (u32's hash table, the default qdisc: re-read)
		}{
			// noqueue's deletion is announced beside htb.
			{[]string{"qdisc add dev h2 root handle 1: htb default 10"}, "qdisc add 1, qdisc delete 1"},
			{[]string{"class add dev h2 parent 1: classid 1:10 htb rate 1mbit"}, "class add 1"},
			{[]string{"qdisc add dev h2 parent 1:10 handle 10: pfifo"}, "qdisc add 1"},
			// A new priority brings its entry; a second filter does not.
			{append([]string{"filter add dev h2 parent 1: protocol ip prio 1"}, bpf...), "filter add 2"},
			{append([]string{"filter add dev h2 parent 1: protocol ip prio 1"}, bpf...), "filter add 1"},
			{append([]string{"filter add dev h2 parent 1:10 protocol ip prio 2"}, bpf...), "filter add 2"},
			// The qdisc's first u32 filter: its priority, the table 800:
			// and the node.
			{[]string{"filter add dev h2 parent 1: protocol ip prio 3 u32 match ip dst 192.0.2.1/32 flowid 1:10"}, "filter add 3"},
			// One of two filters, then the last with its priority.
			{[]string{"filter del dev h2 parent 1: protocol ip prio 1 handle 2 bpf"}, "filter delete 1"},
			{[]string{"filter del dev h2 parent 1: protocol ip prio 1 handle 1 bpf"}, "filter delete 2"},
			// 1:10 turns inner: its leaf qdisc goes, its level changes,
			// its filters stay.
			{[]string{"class add dev h2 parent 1:10 classid 1:20 htb rate 1mbit"}, "class add 1, class change 1, qdisc delete 1"},
			{[]string{"class add dev h2 parent 1: classid 1:30 htb rate 1mbit"}, "class add 1"},
			{[]string{"qdisc add dev h2 parent 1:30 handle 30: pfifo"}, "qdisc add 1"},
			{append([]string{"filter add dev h2 parent 1:30 protocol all prio 4"}, bpf...), "filter add 2"},
			// A class takes its leaf qdisc and its filters.
			{[]string{"class del dev h2 classid 1:30"}, "class delete 1, filter delete 2, qdisc delete 1"},
			// 1:10 is a leaf again.
			{[]string{"class del dev h2 classid 1:20"}, "class change 1, class delete 1"},
			{append([]string{"filter add dev h2 parent 1:10 protocol ip prio 5"}, bpf...), "filter add 2"},
			{append([]string{"filter add dev h2 parent 1:10 protocol ip prio 5"}, bpf...), "filter add 1"},
			{append([]string{"filter add dev h2 parent 1:10 protocol ip prio 6 chain 3"}, bpf...), "filter add 2"},
			// A priority deleted whole, then a chain (one priority: one
			// message).
			{[]string{"filter del dev h2 parent 1:10 protocol ip prio 5"}, "filter delete 3"},
			{[]string{"filter del dev h2 parent 1:10 chain 3"}, "filter delete 2"},
			{append([]string{"filter add dev h2 parent 1:10 protocol ip prio 7"}, bpf...), "filter add 2"},
			// The brief's case: the htb tree with its class, leaf and
			// filters (u32's priority, hash table and node, bpf's
			// priority and filter) goes, tbf comes with its class.
			{[]string{"qdisc replace dev h2 root handle 2: tbf rate 1mbit burst 10k latency 50ms"},
				"class add 1, class delete 1, filter delete 7, qdisc add 1, qdisc delete 1"},
			// tbf's class goes with it; the default qdisc comes back by a
			// re-read.
			{[]string{"qdisc del dev h2 root"}, ""},
			{[]string{"qdisc add dev h2 clsact"}, "qdisc add 1"},
			{append([]string{"filter add dev h2 ingress protocol all prio 1"}, bpf...), "filter add 2"},
			{append([]string{"filter add dev h2 egress protocol all prio 1"}, bpf...), "filter add 2"},
			{[]string{"qdisc del dev h2 clsact"}, "filter delete 4, qdisc delete 1"},
			{[]string{"qdisc add dev h2 ingress"}, "qdisc add 1"},
			{append([]string{"filter add dev h2 parent ffff: protocol all prio 2"}, bpf...), "filter add 2"},
			{[]string{"filter add dev h2 parent ffff: protocol all prio 3 u32 match u32 0 0"}, "filter add 3"},
			// Not the first u32 of the qdisc: a re-read.
			{[]string{"filter add dev h2 parent ffff: protocol ip prio 4 u32 match u32 0 0"}, ""},
			{[]string{"qdisc del dev h2 ingress"}, "filter delete 8, qdisc delete 1"},
			// A shared block's first u32 filter, keyed by the block.
			{[]string{"qdisc add dev h2 ingress_block 7 ingress"}, "qdisc add 1"},
			{[]string{"filter add block 7 protocol all prio 1 u32 match u32 0 0"}, "filter add 3"},
			{append([]string{"filter add block 7 protocol all prio 2"}, bpf...), "filter add 2"},
			{[]string{"filter del block 7 protocol all prio 2"}, "filter delete 2"},
			// A block lives while a qdisc is bound to it, and dies with
			// its filters when the last one goes (tcBlockDeaths).
			{[]string{"qdisc add dev h3 ingress_block 7 clsact"}, "qdisc add 1"},
			{[]string{"qdisc del dev h2 ingress"}, "qdisc delete 1"},
			{[]string{"qdisc del dev h3 clsact"}, "filter delete 3, qdisc delete 1"},
		}
		for _, s := range steps {
			args := strings.Fields(s.args[0])
			if len(s.args) > 1 {
				args = append(args, s.args[1:]...)
			}
			step := "tc " + strings.Join(args, " ")
			rev := db.Revision()
			runTC(t, ns, args...)
			settleTC(t, ns, db, step)
			if s.want == "" {
				continue
			}
			// A re-read still due would land here.
			time.Sleep(200 * time.Millisecond)
			settleTC(t, ns, db, step)
			changes := tcChangesSince(t, db, rev)
			if got := tcEventSummary(changes); got != s.want {
				t.Errorf("%s: events %q, want %q", step, got, s.want)
			}
			seen := map[string]bool{}
			for _, c := range changes {
				o := c.New
				if o == nil {
					o = c.Old
				}
				if c.Rev != changes[0].Rev {
					t.Errorf("%s: %s %v in revision %d, the first event in %d", step, c.Op, o, c.Rev, changes[0].Rev)
				}
				if k := ipdb.Key(o); seen[k] {
					t.Errorf("%s: a second event for %v", step, o)
				} else {
					seen[k] = true
				}
			}
		}
	})
}
