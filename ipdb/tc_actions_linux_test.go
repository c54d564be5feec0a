package ipdb_test

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// The database following the qdiscs, filters and actions this machine's
// kernel may lack, step by step, each step compared with tc -j: the
// identities (settleTC), a fresh dump object for object, and the options
// of the kinds oracle covers key for key. Kinds the kernel lacks are left
// out ("this kernel lacks ..."); in the full-kernel guest (.ci/vm) all
// run.

// settleTCOptions waits until the database's tc objects equal a fresh
// dump (sameAsDump, cheap), then compares them with tc -j, as settleTC
// does (identities), and their qdisc and filter options key for key: the
// tc commands, slow under emulation, run once the database has settled.
func settleTCOptions(t *testing.T, ns *nstest.NS, db *ipdb.DB, step string) {
	t.Helper()
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := nstest.Eventually(10*time.Second, func() error { return sameAsDump(c, db.Snapshot()) }); err != nil {
		t.Fatalf("after %s: %v\nstats %+v", step, err, db.Stats())
	}
	err = nstest.Eventually(10*time.Second, func() error {
		s := db.Snapshot()
		if err := sameAsDump(c, s); err != nil {
			return err
		}
		for _, k := range []netlink.Kind{netlink.KindQdisc, netlink.KindClass, netlink.KindFilter} {
			if err := oracle.Compare(ns, k, slices.Collect(s.Objects(k))); err != nil {
				return err
			}
		}
		if err := oracle.CompareQdiscOptions(ns, slices.Collect(s.Qdiscs())); err != nil {
			return err
		}
		return oracle.CompareFilterOptions(ns, slices.Collect(s.Filters()))
	})
	if err != nil {
		t.Fatalf("after %s the database's tc objects differ from tc -j:\n%v", step, err)
	}
}

// tcStep is one change: a tc command, or an ip command when it starts
// with "ip".
type tcStep []string

// runTCSteps runs each step and settles the database after it.
func runTCSteps(t *testing.T, ns *nstest.NS, db *ipdb.DB, steps []tcStep) {
	t.Helper()
	for _, s := range steps {
		if s[0] == "ip" {
			ns.IP(s[1:]...)
		} else {
			runTC(t, ns, s...)
		}
		settleTCOptions(t, ns, db, strings.Join(s, " "))
	}
}

// haveTC filters kinds down to those the kernel has (object, kind and the
// probe's options as nstest.HaveTC takes them), logging the others; with
// nstest.AllKindsEnv set a lacking kind fails the test, and a test left
// with none skips.
func haveTC(t *testing.T, ns *nstest.NS, probes [][]string) map[string]bool {
	t.Helper()
	have := map[string]bool{}
	var lack []string
	for _, p := range probes {
		err := ns.HaveTC(p[0], p[1], p[2:]...)
		switch {
		case err == nil:
			have[p[1]] = true
		case errors.Is(err, nstest.ErrLacksTC):
			if os.Getenv(nstest.AllKindsEnv) != "" {
				t.Fatalf("this kernel lacks the %s %s (%v), but %s is set", p[1], p[0], err, nstest.AllKindsEnv)
			}
			lack = append(lack, p[1]+" "+p[0])
		default:
			t.Fatalf("probing the %s %s: %v", p[1], p[0], err)
		}
	}
	if len(have) == 0 {
		t.Skipf("this kernel lacks the %s", strings.Join(lack, ", the "))
	}
	if len(lack) > 0 {
		t.Logf("this kernel lacks the %s: their steps are left out", strings.Join(lack, ", the "))
	}
	return have
}

// tcActionCount counts the actions of kind in the namespace's action
// table (`tc actions ls action KIND`).
func tcActionCount(t *testing.T, ns *nstest.NS, kind string) int {
	t.Helper()
	out, err := exec.Command("tc", "-n", ns.Name, "actions", "ls", "action", kind).CombinedOutput()
	if err != nil {
		t.Fatalf("tc actions ls action %s: %v: %s", kind, err, out)
	}
	return strings.Count(string(out), "index ")
}

// TestTCMirredTargetDeleted: u32 filters with mirred actions to ifbs,
// added, replaced, changed and deleted, followed by the database; a
// filter's bound actions go with it while a shared one stays; and what
// the kernel does without telling when a mirred target goes (deleted, or
// moved to another namespace): the actions point at no device (ifindex 0,
// tc's "*"), in the filters of other links, which the database re-reads
// (mirredFollowsLink).
func TestTCMirredTargetDeleted(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedKind(t, "ifb")
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
		u32 := func(s string) tcStep { return tcStep(strings.Fields("filter " + s)) }
		runTCSteps(t, ns, db, []tcStep{
			{"qdisc", "add", "dev", "t0", "clsact"},
			u32("add dev t0 ingress pref 1 protocol ip u32 match ip dst 192.0.2.1/32 action mirred egress redirect dev i0"),
			u32("add dev t0 egress pref 2 protocol all u32 match u32 0 0 action mirred ingress mirror dev i0 action mirred egress redirect dev i1"),
			{"qdisc", "add", "dev", "t1", "root", "handle", "1:", "htb"},
			u32("add dev t1 parent 1: pref 1 protocol ip u32 match ip src 198.51.100.0/24 action mirred egress mirror dev i2"),
			u32("replace dev t0 ingress pref 1 handle 800::800 protocol ip u32 match ip dst 192.0.2.1/32 action mirred egress mirror dev i2"),
			u32("change dev t0 ingress pref 1 handle 800::800 protocol ip u32 match ip dst 192.0.2.1/32 action mirred egress redirect dev i0"),
		})
		// A shared action (as root: `tc actions add` wants CAP_NET_ADMIN in
		// the initial user namespace, tc_ctl_action's netlink_capable).
		out, err := exec.Command("tc", "-n", ns.Name, "actions", "add", "action", "mirred", "egress", "mirror", "dev", "i0", "index", "77").CombinedOutput()
		shared := err == nil
		switch {
		case err != nil && strings.Contains(string(out), "Operation not permitted"):
			t.Logf("no shared action here (%s): its steps are left out", strings.TrimSpace(string(out)))
		case err != nil:
			t.Fatalf("tc actions add: %v: %s", err, out)
		default:
			runTCSteps(t, ns, db, []tcStep{u32("add dev t1 parent 1: pref 3 protocol all u32 match u32 0 0 action mirred index 77")})
		}
		// A filter's bound action goes with it; the shared one stays.
		before := tcActionCount(t, ns, "mirred")
		runTCSteps(t, ns, db, []tcStep{u32("del dev t0 ingress pref 1")})
		if shared {
			runTCSteps(t, ns, db, []tcStep{u32("del dev t1 parent 1: pref 3")})
		}
		if n := tcActionCount(t, ns, "mirred"); n != before-1 {
			t.Errorf("%d mirred actions after deleting a filter with one bound and one with a shared one, want %d", n, before-1)
		}
		// The targets go: i0 deleted (t0's egress filter and the shared
		// action), i2 moved away (t1's filter), i1 deleted last.
		runTCSteps(t, ns, db, []tcStep{
			{"ip", "link", "del", "i0"},
			{"ip", "link", "set", "i2", "netns", other.Name},
			{"ip", "link", "del", "i1"},
		})
		zero := 0
		for f := range db.Snapshot().Filters() {
			zero += strings.Count(f.String(), "to device #0)")
		}
		if zero != 3 {
			t.Errorf("%d mirred actions to no device in the database, want 3", zero)
		}
		runTCSteps(t, ns, db, []tcStep{{"ip", "link", "del", "t0"}})
	})
}

// TestTCQdiscKindsFollowed: fq_codel, sfq and netem under a prio, changed;
// prio's bands cut (a band's child goes unannounced); fq, then cake
// replacing the root; the root deleted (the default comes back); each
// step followed by the database.
func TestTCQdiscKindsFollowed(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		have := haveTC(t, ns, [][]string{{"qdisc", "prio"}, {"qdisc", "fq_codel"}, {"qdisc", "sfq"}, {"qdisc", "netem"},
			{"qdisc", "fq"}, {"qdisc", "cake"}})
		ns.Batch("link add t0 type veth peer name t1", "link set t0 up", "link set t1 up")
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settleTCOptions(t, ns, db, "the set-up")
		var steps []tcStep
		add := func(kind string, s ...string) {
			if have[kind] {
				steps = append(steps, strings.Fields(strings.Join(s, " ")))
			}
		}
		if have["prio"] {
			add("prio", "qdisc add dev t0 root handle 1: prio bands 3")
			add("fq_codel", "qdisc add dev t0 parent 1:1 handle 10: fq_codel limit 1000")
			add("sfq", "qdisc add dev t0 parent 1:2 handle 20: sfq perturb 10")
			add("netem", "qdisc add dev t0 parent 1:3 handle 30: netem delay 10ms loss 1%")
			add("fq_codel", "qdisc change dev t0 parent 1:1 handle 10: fq_codel limit 2000 target 4ms")
			add("netem", "qdisc change dev t0 parent 1:3 handle 30: netem delay 20ms")
			add("prio", "filter add dev t0 parent 1: protocol ip pref 1 u32 match ip dst 192.0.2.0/24 flowid 1:3")
			// Two bands: band 3's netem goes with its class, unannounced.
			add("prio", "qdisc change dev t0 root handle 1: prio bands 2 priomap 0 1 1 1 0 1 0 0 1 1 1 1 1 1 1 1")
		}
		// A replace by another kind needs another handle ("Invalid qdisc
		// name" for the same one).
		add("fq", "qdisc replace dev t0 root handle 5: fq limit 500 flow_limit 50")
		add("fq", "qdisc change dev t0 root handle 5: fq flow_limit 70 nopacing")
		add("cake", "qdisc replace dev t0 root handle 2: cake bandwidth 100mbit")
		add("cake", "qdisc change dev t0 root handle 2: cake bandwidth 50mbit diffserv4")
		add("netem", "qdisc add dev t1 root handle 3: netem delay 5ms")
		steps = append(steps, tcStep{"qdisc", "del", "dev", "t0", "root"}, tcStep{"ip", "link", "del", "t1"})
		runTCSteps(t, ns, db, steps)
	})
}

// TestTCFilterActionsFollowed: flower, matchall and basic filters with
// gact, mirred, police and bpf actions on clsact and under a prio's
// classes, added, changed, replaced and deleted; a mirred target deleted;
// the prio deleted with its filters; each step followed by the database.
func TestTCFilterActionsFollowed(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedKind(t, "ifb")
		have := haveTC(t, ns, [][]string{
			{"filter", "flower"}, {"filter", "matchall", "classid", "1:1"},
			{"filter", "basic", "match", "cmp(u16 at 2 layer transport eq 22)", "classid", "1:1"},
			{"action", "gact", "pass"}, {"action", "police", "rate", "1mbit", "burst", "10k"},
			{"action", "bpf", "bytecode", "1,6 0 0 0"}, {"action", "mirred", "egress", "redirect", "dev", "lo"},
			{"qdisc", "prio"},
		})
		ns.Batch("link add t0 type veth peer name t1", "link set t0 up", "link set t1 up", "link add i0 type ifb", "link set i0 up")
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settleTCOptions(t, ns, db, "the set-up")
		steps := []tcStep{{"qdisc", "add", "dev", "t0", "clsact"}}
		// add appends the step s (split at spaces, then the arguments
		// more) when the kernel has every kind of kinds.
		add := func(kinds string, s string, more ...string) {
			for _, k := range strings.Fields(kinds) {
				if !have[k] {
					return
				}
			}
			steps = append(steps, append(tcStep(strings.Fields(s)), more...))
		}
		add("flower gact", "filter add dev t0 ingress pref 1 protocol ip flower ip_proto tcp dst_port 80 action gact drop")
		add("flower mirred", "filter add dev t0 ingress pref 2 protocol ipv6 flower dst_ip 2001:db8::/32 action mirred egress redirect dev i0")
		add("flower gact", "filter change dev t0 ingress pref 1 handle 1 protocol ip flower ip_proto tcp dst_port 80 action gact pass")
		add("flower mirred gact", "filter replace dev t0 ingress pref 2 handle 1 protocol ipv6 flower dst_ip 2001:db8::/32 action gact pipe action mirred egress mirror dev i0")
		add("matchall police gact", "filter add dev t0 egress pref 3 matchall action police rate 1mbit burst 10k conform-exceed drop/pipe action gact pass")
		add("basic gact", "filter add dev t0 egress pref 4 protocol ip basic match cmp(u16 at 2 layer transport eq 22) action gact drop")
		add("basic bpf", "filter add dev t0 egress pref 5 protocol all basic classid 1:1 action bpf bytecode", "1,6 0 0 0")
		add("basic gact", "filter change dev t0 egress pref 4 handle 1 protocol ip basic match cmp(u16 at 2 layer transport eq 23) action gact pass")
		add("flower", "filter del dev t0 ingress pref 1")
		add("matchall", "filter del dev t0 egress pref 3 handle 1 matchall")
		add("prio", "qdisc add dev t1 root handle 1: prio")
		add("prio flower police", "filter add dev t1 parent 1: pref 1 protocol ip flower ip_proto udp action police rate 2mbit burst 20k drop")
		// prio's classes have no filter blocks (prio_tcf_block): the
		// filters go on the qdisc.
		add("prio matchall mirred", "filter add dev t1 parent 1: pref 2 matchall action mirred egress mirror dev i0")
		// The ifb goes: t0's and t1's redirects point nowhere, unannounced.
		steps = append(steps, tcStep{"ip", "link", "del", "i0"})
		// The prio goes with its filters and its classes' filters.
		add("prio", "qdisc del dev t1 root")
		steps = append(steps, tcStep{"ip", "link", "del", "t0"})
		runTCSteps(t, ns, db, steps)
	})
}
