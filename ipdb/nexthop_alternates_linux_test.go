package ipdb_test

import (
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestNexthopReplaceWithAlternates: IPv4 alternate routes (ip route
// append, same dst/table/tos/metric) over nexthop objects; an `ip nexthop
// replace` of one of them is a change of the routes over it only: the
// kernel's re-announcements (with NLM_F_REPLACE) replace no alternate.
// (Found by a new user's try: they were deleted and re-added.)
func TestNexthopReplaceWithAlternates(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(nexthopBase...)
		ns.Batch(
			"nexthop add id 101 via 192.0.2.4 dev n0",
			"nexthop add id 102 via 192.0.2.5 dev n0",
			"nexthop add id 200 group 101/102",
			"route add 203.0.113.0/24 nhid 200",
			"route append 203.0.113.0/24 nhid 102",
			"route add 198.51.100.128/25 nhid 102",
			"route append 198.51.100.128/25 nhid 101",
		)
		db := dbtest.Open(t, ns)
		settle(t, ns, db, "the set-up")
		rev := db.Revision()
		ns.IP("nexthop", "replace", "id", "102", "via", "192.0.2.6", "dev", "n0")
		settle(t, ns, db, "nexthop replace")
		time.Sleep(300 * time.Millisecond)
		changes, _, _, err := db.ChangesSince(rev, 0)
		if err != nil {
			t.Fatal(err)
		}
		overNexthop := func(o netlink.Object) bool {
			r, ok := o.(*netlink.Route)
			return ok && r.Extra != nil && r.Extra.NHID != 0
		}
		changed := 0
		for _, c := range changes {
			// IPv6's link-local routes settle on their own meanwhile:
			// only the routes over nexthops are the replace's.
			if c.Kind != netlink.KindRoute || !overNexthop(c.Old) && !overNexthop(c.New) {
				continue
			}
			if c.Op != ipdb.OpChange {
				t.Errorf("%s after a nexthop replace: %v -> %v", c.Op, c.Old, c.New)
			}
			changed++
		}
		// The routes over nexthop 102 directly or through group 200.
		if changed != 3 {
			t.Errorf("%d changes of routes over nexthops after the replace, want 3", changed)
		}
	})
}
