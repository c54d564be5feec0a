package ipdb_test

import (
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestTCOneRevisionU32PriorityDelete (found by a new user's try): `tc filter del
// dev X ingress pref 1` of a u32 priority (the qdisc's only one, table
// 800:) is one kernel message, but ipdb deletes the priority's entry in
// one revision and its hash table and node in the next (a re-read) was the fault: the
// first revision holds u32 filters without their priority, a state the
// kernel never had. `ipdb monitor` prints "[N] filter delete ... pref 1
// u32 chain 0" and then "[N+1] filter delete ... fh 800: ..." and
// "[N+1] ... fh 800::800 ...".
func TestTCOneRevisionU32PriorityDelete(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add h2 type veth peer name h3", "link set h2 up", "link set h3 up")
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		runTC(t, ns, "qdisc", "add", "dev", "h2", "clsact")
		runTC(t, ns, "filter", "add", "dev", "h2", "ingress", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "198.51.100.0/24")
		settleTC(t, ns, db, "the set-up")
		time.Sleep(200 * time.Millisecond)
		settleTC(t, ns, db, "the set-up")
		rev := db.Revision()
		runTC(t, ns, "filter", "del", "dev", "h2", "ingress", "prio", "1")
		settleTC(t, ns, db, "the deletion")
		time.Sleep(200 * time.Millisecond)
		settleTC(t, ns, db, "the deletion")
		changes := tcChangesSince(t, db, rev)
		if got := tcEventSummary(changes); got != "filter delete 3" {
			t.Errorf("events %q, want %q", got, "filter delete 3")
		}
		for _, c := range changes {
			if c.Rev != changes[0].Rev {
				t.Errorf("%s %v in revision %d, the first event in %d", c.Op, c.Old, c.Rev, changes[0].Rev)
			}
		}
	})
}

// TestTCRootQdiscLinkSameRevision (found by a new user's try): a new root
// qdisc is also the link's qdisc (IFLA_QDISC), which the kernel changes
// without a link notification; it came a re-read later, seconds after on a
// busy namespace. Now the link changes in the qdisc's revision.
func TestTCRootQdiscLinkSameRevision(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add f0 type veth peer name f1", "link set f0 up", "link set f1 up")
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settleTC(t, ns, db, "the set-up")
		time.Sleep(1500 * time.Millisecond) // the links' settle re-reads
		rev := db.Revision()
		runTC(t, ns, "qdisc", "replace", "dev", "f0", "root", "handle", "3:", "tbf", "rate", "1mbit", "burst", "10k", "latency", "50ms")
		settleTC(t, ns, db, "the replace")
		changes, _, _, err := db.ChangesSince(rev, 0)
		if err != nil {
			t.Fatal(err)
		}
		var linkRev, qdiscRev uint64
		for _, c := range changes {
			switch o := c.New.(type) {
			case *netlink.Link:
				if o.Name == "f0" && o.Qdisc == "tbf" {
					linkRev = c.Rev
				}
			case *netlink.Qdisc:
				if o.TCKind == "tbf" {
					qdiscRev = c.Rev
				}
			}
		}
		if linkRev == 0 || linkRev != qdiscRev {
			t.Errorf("f0's qdisc tbf in revision %d, the tbf in %d; want one revision", linkRev, qdiscRev)
		}
	})
}
