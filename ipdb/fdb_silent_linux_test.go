package ipdb_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
)

// settleFDB waits until the cache's FDB equals `bridge fdb show`.
func settleFDB(t *testing.T, ns *nstest.NS, db *ipdb.DB, step string) {
	t.Helper()
	if err := nstest.Eventually(10*time.Second, func() error {
		return oracle.CompareFDB(ns, slices.Collect(db.Snapshot().FDB()))
	}); err != nil {
		t.Fatalf("after %s the FDB differs from bridge fdb:\n%v\nstats %+v", step, err, db.Stats())
	}
}

// TestFDBFollowsLinkChanges: link changes that add, move or remove FDB
// entries (a port's or bridge's MAC address, a port going down, leaving
// and joining its bridge, a bridge's fdb_flush, a vxlan device going down)
// and an IPv6 address that joins a multicast group (a new "self
// permanent" entry, never announced) leave the cache's FDB equal to `bridge fdb show`, without the periodic
// refresh (which would repair what this test checks is followed).
func TestFDBFollowsLinkChanges(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add p0 type veth peer name q0",
			"link add p1 type veth peer name q1",
			"link set p0 master br0",
			"link set p1 master br0",
			"link add vx0 type vxlan id 7 dstport 4789 nolearning",
			"link set br0 up", "link set p0 up", "link set p1 up", "link set q0 up", "link set q1 up", "link set vx0 up",
		)
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settleFDB(t, ns, db, "the setup")
		bridgeRun(t, ns, "fdb", "add", "02:00:00:00:00:aa", "dev", "p0", "master", "static")
		bridgeRun(t, ns, "fdb", "add", "02:00:00:00:00:ab", "dev", "p1", "master", "dynamic")
		bridgeRun(t, ns, "fdb", "add", "02:00:00:00:00:ac", "dev", "vx0", "dst", "198.51.100.5")
		settleFDB(t, ns, db, "adding entries")
		for _, step := range []struct {
			name string
			cmd  []string
		}{
			{"changing a port's MAC address", []string{"link", "set", "p0", "address", "02:00:00:00:01:01"}},
			{"changing the bridge's MAC address", []string{"link", "set", "br0", "address", "02:00:00:00:01:02"}},
			{"flushing the bridge's dynamic entries", []string{"link", "set", "br0", "type", "bridge", "fdb_flush"}},
			{"adding an IPv6 address (a multicast group)", []string{"addr", "add", "2001:db8::1/64", "dev", "p1", "nodad"}},
			{"removing it", []string{"addr", "del", "2001:db8::1/64", "dev", "p1"}},
			{"taking a port down", []string{"link", "set", "p1", "down"}},
			{"taking it up", []string{"link", "set", "p1", "up"}},
			{"releasing a port", []string{"link", "set", "p0", "nomaster"}},
			{"enslaving it again", []string{"link", "set", "p0", "master", "br0"}},
			{"taking the vxlan down", []string{"link", "set", "vx0", "down"}},
			{"taking the bridge down", []string{"link", "set", "br0", "down"}},
			{"taking the bridge up", []string{"link", "set", "br0", "up"}},
			{"flushing a port's entries", []string{"link", "set", "p0", "type", "bridge_slave", "fdb_flush"}},
			{"deleting a port's peer", []string{"link", "del", "q1"}},
			{"deleting the vxlan", []string{"link", "del", "vx0"}},
			{"deleting the bridge", []string{"link", "del", "br0"}},
		} {
			ns.IP(step.cmd...)
			settleFDB(t, ns, db, step.name)
		}
	})
}
