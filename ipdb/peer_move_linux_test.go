package ipdb_test

import (
	"testing"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
)

// TestVethPeerMovedAway: when one end of a veth pair moves to another
// namespace (announced here as its deletion), the other end's link and
// link-netnsid change without a notification of their own; the database
// re-reads it and equals ip -j at once, not at the next periodic refresh
// (a user's try saw the stale peer name for seconds).
func TestVethPeerMovedAway(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		other := nstest.New(t)
		ns.Batch("link add mzx type veth peer name mzy", "link set mzy up")
		// Without the periodic refresh, which would mend it later.
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settle(t, ns, db, "the set-up")
		ns.IP("link", "set", "mzx", "netns", other.Name)
		settle(t, ns, db, "moving one end away")
		other.IP("link", "set", "mzx", "netns", ns.Name)
		settle(t, ns, db, "moving it back")
		ns.IP("link", "del", "mzx")
		settle(t, ns, db, "deleting the pair")
	})
}
