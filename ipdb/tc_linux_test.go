package ipdb_test

import (
	"context"
	"fmt"
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

// runTC runs `tc -n NS args...` and fails the test on an error.
func runTC(t *testing.T, ns *nstest.NS, args ...string) {
	t.Helper()
	out, err := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// settleTC waits until the database's qdiscs, classes and filters agree
// with tc -j (identities, kinds, parents) and, option for option, with a
// fresh dump of the kernel's (ipdb.Equal: the options tc -j prints are
// checked against tc by netlink's own tests).
func settleTC(t *testing.T, ns *nstest.NS, db *ipdb.DB, step string) {
	t.Helper()
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = nstest.Eventually(10*time.Second, func() error {
		s := db.Snapshot()
		for _, k := range []netlink.Kind{netlink.KindQdisc, netlink.KindClass, netlink.KindFilter} {
			if err := oracle.Compare(ns, k, slices.Collect(s.Objects(k))); err != nil {
				return err
			}
		}
		return sameAsDump(c, s)
	})
	if err != nil {
		t.Fatalf("after %s the database's tc objects differ from tc -j:\n%v\nstats %+v", step, err, db.Stats())
	}
}

// sameAsDump compares the snapshot's tc objects with a fresh netlink dump,
// object for object by ipdb.Key and ipdb.Equal.
func sameAsDump(c *netlink.Conn, s *ipdb.Snapshot) error {
	ctx := context.Background()
	var fresh []netlink.Object
	qs, err := c.Qdiscs(ctx, nil)
	if err != nil {
		return err
	}
	cls, err := c.Classes(ctx, nil)
	if err != nil {
		return err
	}
	fs, err := c.Filters(ctx, nil)
	if err != nil {
		return err
	}
	for _, q := range qs {
		fresh = append(fresh, q)
	}
	for _, cl := range cls {
		fresh = append(fresh, cl)
	}
	for _, f := range fs {
		fresh = append(fresh, f)
	}
	have := map[string]netlink.Object{}
	for _, k := range []netlink.Kind{netlink.KindQdisc, netlink.KindClass, netlink.KindFilter} {
		for o := range s.Objects(k) {
			have[ipdb.Key(o)] = o
		}
	}
	var diffs []string
	for _, o := range fresh {
		k := ipdb.Key(o)
		switch h, ok := have[k]; {
		case !ok:
			diffs = append(diffs, "missing "+o.String())
		case !ipdb.Equal(h, o):
			diffs = append(diffs, fmt.Sprintf("stale %v\n    kernel %v", h, o))
		}
		delete(have, k)
	}
	for _, o := range have {
		diffs = append(diffs, "extra "+o.String())
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return fmt.Errorf("the cache differs from a fresh dump:\n  %s", strings.Join(diffs, "\n  "))
	}
	return nil
}

// TestTCSilentKernelChanges follows what the kernel does to qdiscs,
// classes and filters without telling (found with `tc monitor` beside
// each step; tcChanged, tcFollowsLink and tcDeletedWith in effects.go),
// each step compared with tc -j: a link's default qdisc when it comes up,
// a root qdisc replaced or deleted with its tree, htb's leaf qdisc
// destroyed when the class gets a child, u32's hash table and the
// priority entries, a priority and a chain deleted whole, mq's children,
// a link going down and away.
func TestTCSilentKernelChanges(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add t0 type veth peer name t1",
			"link add m0 numtxqueues 4 type veth peer name m1 numtxqueues 4",
			"link add br0 type bridge",
			"link set t0 up", "link set t1 up", "link set m0 up", "link set br0 up",
		)
		// Refresh off: nothing repairs what the effects miss.
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settleTC(t, ns, db, "the set-up")
		steps := [][]string{
			{"qdisc", "add", "dev", "t0", "root", "handle", "1:", "htb", "default", "10"},
			{"class", "add", "dev", "t0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit"},
			{"qdisc", "add", "dev", "t0", "parent", "1:10", "handle", "10:", "pfifo", "limit", "10"},
			// 1:10 becomes an inner class and loses its leaf qdisc 10:.
			{"class", "add", "dev", "t0", "parent", "1:10", "classid", "1:20", "htb", "rate", "1mbit"},
			{"qdisc", "add", "dev", "t0", "parent", "1:20", "handle", "20:", "bfifo", "limit", "10000"},
			{"class", "change", "dev", "t0", "parent", "1:10", "classid", "1:20", "htb", "rate", "2mbit"},
			{"qdisc", "replace", "dev", "t0", "parent", "1:20", "handle", "20:", "bfifo", "limit", "20000"},
			{"filter", "add", "dev", "t0", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "192.0.2.1/32", "flowid", "1:20"},
			{"filter", "add", "dev", "t0", "parent", "1:", "protocol", "ip", "prio", "2", "u32", "match", "ip", "dst", "192.0.2.2/32", "flowid", "1:20"},
			{"filter", "add", "dev", "t0", "parent", "1:10", "protocol", "ip", "prio", "1", "u32", "match", "ip", "src", "192.0.2.3/32", "flowid", "1:20"},
			{"filter", "add", "dev", "t0", "parent", "1:", "protocol", "all", "prio", "3", "chain", "5", "u32", "match", "u32", "0", "0"},
			{"qdisc", "add", "dev", "t0", "ingress"},
			{"filter", "add", "dev", "t0", "parent", "ffff:", "protocol", "all", "prio", "2", "u32", "match", "u32", "0", "0"},
			{"filter", "add", "dev", "t0", "ingress", "protocol", "all", "prio", "4", "bpf", "bytecode", "1,6 0 0 0,"},
			// The ingress qdisc takes an egress filter into its one block;
			// the notification says ffff:fff3, and the kernel's dumps then
			// echo that parent for every filter of the block.
			{"filter", "add", "dev", "t0", "egress", "protocol", "all", "prio", "5", "bpf", "bytecode", "1,6 0 0 0,"},
			// One priority, then a chain, deleted whole.
			{"filter", "del", "dev", "t0", "parent", "1:", "protocol", "ip", "prio", "1"},
			{"filter", "del", "dev", "t0", "parent", "1:", "chain", "5"},
			// The last filter of a priority goes with its priority.
			{"filter", "del", "dev", "t0", "ingress", "protocol", "all", "prio", "4", "handle", "1", "bpf"},
			// The old root, its classes, child qdiscs and filters go; tbf
			// brings a class of its own.
			{"qdisc", "replace", "dev", "t0", "root", "handle", "2:", "tbf", "rate", "1mbit", "burst", "10k", "latency", "50ms"},
			// The default qdisc comes back.
			{"qdisc", "del", "dev", "t0", "root"},
			{"qdisc", "add", "dev", "t0", "root", "handle", "3:", "htb"},
			{"class", "add", "dev", "t0", "parent", "3:", "classid", "3:1", "htb", "rate", "1mbit"},
			{"qdisc", "add", "dev", "t0", "parent", "3:1", "handle", "31:", "pfifo"},
			// The class takes its leaf qdisc.
			{"class", "del", "dev", "t0", "classid", "3:1"},
			// A qdisc deleted under a class.
			{"class", "add", "dev", "t0", "parent", "3:", "classid", "3:2", "htb", "rate", "1mbit"},
			{"qdisc", "add", "dev", "t0", "parent", "3:2", "handle", "32:", "pfifo"},
			{"qdisc", "del", "dev", "t0", "parent", "3:2", "handle", "32:"},
			// mq's classes and children, one per transmit queue.
			{"qdisc", "add", "dev", "m0", "root", "handle", "1:", "mq"},
			{"qdisc", "add", "dev", "br0", "clsact"},
			{"filter", "add", "dev", "br0", "egress", "prio", "3", "bpf", "bytecode", "1,6 0 0 0,"},
			{"filter", "add", "dev", "br0", "ingress", "prio", "3", "bpf", "bytecode", "1,6 0 0 0,"},
			{"qdisc", "del", "dev", "br0", "clsact"},
		}
		for _, s := range steps {
			runTC(t, ns, s...)
			settleTC(t, ns, db, "tc "+strings.Join(s, " "))
		}
		ipSteps := [][]string{
			{"link", "set", "t0", "down"},
			{"link", "set", "t0", "up"},
			{"link", "del", "m0"},
			{"link", "add", "t2", "type", "veth", "peer", "name", "t3"},
			{"link", "set", "t2", "up"},
			{"link", "set", "t2", "down"},
			{"tc", "qdisc", "add", "dev", "t2", "ingress"},
			// A link deleted while down: no flag changes first.
			{"link", "del", "t2"},
			{"link", "del", "t0"},
			{"link", "del", "br0"},
		}
		for _, s := range ipSteps {
			if s[0] == "tc" {
				runTC(t, ns, s[1:]...)
			} else {
				ns.IP(s...)
			}
			settleTC(t, ns, db, strings.Join(s, " "))
		}
	})
}

// TestTCWithoutKinds: a database opened without the tc kinds neither
// holds nor counts them.
func TestTCWithoutKinds(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add t0 type veth peer name t1", "link set t0 up", "link set t1 up")
		runTC(t, ns, "qdisc", "add", "dev", "t0", "root", "handle", "1:", "htb")
		db := dbtest.Open(t, ns, ipdb.WithKinds(netlink.KindLink, netlink.KindAddr))
		runTC(t, ns, "class", "add", "dev", "t0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit")
		ns.IP("link", "set", "t1", "down")
		ns.IP("link", "set", "t1", "up")
		time.Sleep(200 * time.Millisecond)
		s := db.Snapshot()
		st := db.Stats()
		for _, k := range []netlink.Kind{netlink.KindQdisc, netlink.KindClass, netlink.KindFilter} {
			if n := len(slices.Collect(s.Objects(k))); n != 0 || st.Objects[k] != 0 {
				t.Errorf("%s: %d objects, Stats %d, want none", k, n, st.Objects[k])
			}
		}
	})
}

// TestTCQueries: QdiscsOf, ClassesOf and FiltersOf select one link's
// objects; a filter added with parent ffff: is kept under the ingress
// block's parent ffff:fff2, as dumps report it.
func TestTCQueries(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add t0 type veth peer name t1", "link set t0 up", "link set t1 up")
		db := dbtest.Open(t, ns)
		runTC(t, ns, "qdisc", "add", "dev", "t0", "root", "handle", "1:", "htb")
		runTC(t, ns, "class", "add", "dev", "t0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit")
		runTC(t, ns, "qdisc", "add", "dev", "t0", "ingress")
		runTC(t, ns, "filter", "add", "dev", "t0", "parent", "ffff:", "protocol", "all", "prio", "2", "u32", "match", "u32", "0", "0")
		settleTC(t, ns, db, "the set-up")
		s := db.Snapshot()
		a, err := s.LinkByName("t0")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.LinkByName("t1")
		if err != nil {
			t.Fatal(err)
		}
		var qa, qb []string
		for q := range s.QdiscsOf(a.Index) {
			qa = append(qa, q.TCKind)
		}
		for q := range s.QdiscsOf(b.Index) {
			qb = append(qb, q.TCKind)
		}
		slices.Sort(qa)
		if strings.Join(qa, ",") != "htb,ingress" || strings.Join(qb, ",") != "noqueue" {
			t.Errorf("QdiscsOf(a) = %v, QdiscsOf(b) = %v", qa, qb)
		}
		if n := len(slices.Collect(s.ClassesOf(a.Index))); n != 1 {
			t.Errorf("ClassesOf(a): %d classes, want 1", n)
		}
		if n := len(slices.Collect(s.ClassesOf(b.Index))); n != 0 {
			t.Errorf("ClassesOf(b): %d classes, want 0", n)
		}
		fs := slices.Collect(s.FiltersOf(a.Index))
		if len(fs) != 3 {
			t.Fatalf("FiltersOf(a): %v, want the priority, the hash table and the filter", fs)
		}
		for _, f := range fs {
			if f.Parent != netlink.HandleIngressBlock {
				t.Errorf("filter %v: parent %s, want ffff:fff2", f, f.Parent)
			}
		}
		if st := db.Stats(); st.Objects[netlink.KindFilter] != 3 || st.Objects[netlink.KindClass] != 1 {
			t.Errorf("Stats.Objects = %v", st.Objects)
		}
	})
}
