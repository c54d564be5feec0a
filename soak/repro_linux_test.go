package soak_test

import (
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/soak"
)

// TestReproReplaceAfterReread: `ip route replace` of a blackhole route by
// a unicast one with the same table, prefix and metric, right after a
// change that makes the database re-read the link's routes. The kernel
// keeps one route; the database must too. Reduced from
// TestSoakPlanCommitPlan, which found it (a blackhole route the database
// kept after the kernel had replaced it).
//
// The cause: a re-read of the link's routes runs before the replace's
// RTM_NEWROUTE (NLM_F_REPLACE) is applied and already stores the new
// route; when the notification comes, DB.applyUpdate finds it equal and
// returns before replaceSiblings, so the replaced sibling (a blackhole
// route, outside the re-read's scope of one link) is never removed.
// Calling replaceSiblings before the equality check makes this pass.
func TestReproReplaceAfterReread(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add v0 type veth peer name v1", "link set v0 addrgenmode none",
			"link set v1 addrgenmode none", "link set v0 up", "link set v1 up",
			"addr add 192.0.2.129/25 dev v0")
		db := dbtest.Open(t, ns)
		for i := range 20 {
			ns.Batch("addr add 192.0.2.130/25 dev v0", "route add blackhole 198.51.100.64/26 table 3000 metric 10")
			// The secondary address's removal and a link flap make the
			// database re-read routes; the replace follows at once.
			ns.Batch("addr del 192.0.2.130/25 dev v0", "link set v1 down", "link set v1 up",
				"route replace 198.51.100.64/26 via 192.0.2.201 dev v0 table 3000 metric 10")
			if _, _, err := soak.Settle(ns, db, 5*time.Second); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			ns.Batch("route flush table 3000")
		}
	})
}
