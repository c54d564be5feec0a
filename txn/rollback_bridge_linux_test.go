package txn

import (
	"context"
	"errors"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestRollbackRecreatesBridge: a transaction deletes a bridge whose MTU
// came from its port (9000) and then fails; the rollback must bring the
// bridge back. Reduced from TestSoakTxnUnderFire, where the re-creation
// failed with EOPNOTSUPP (mtu 9000) or EADDRNOTAVAIL (a bridge whose
// address had become 00:00:00:00:00:00 after its last port left), leaving
// the rollback incomplete.
func TestRollbackRecreatesBridge(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup []string
	}{
		{"mtu from a port", []string{"link add txbr0 type bridge", "link add txv0 type veth peer name txv1",
			"link set txv0 mtu 9000", "link set txv0 master txbr0", "link set txbr0 up"}},
		{"port came and went", []string{"link add txbr0 type bridge", "link add txv0 type veth peer name txv1",
			"link set txv0 master txbr0", "link set txv0 nomaster", "link set txbr0 up"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				prepNS(t, ns)
				ns.Batch(append([]string{"link set lo up"}, c.setup...)...)
				db, conn := setup(t, ns)
				cfg := &Config{inject: failKind(netlink.KindRule, failing)}
				tx := New(db, conn, cfg)
				tx.Link(LinkSpec{Name: "txbr0", Absent: true})
				tx.Rule(RuleSpec{Rule: netlink.Rule{Priority: 2000, Table: 3000}})
				err := tx.Commit(context.Background())
				var ce *CommitError
				if !errors.As(err, &ce) {
					t.Fatalf("got %v, want a CommitError", err)
				}
				if !ce.RolledBack {
					t.Fatalf("the rollback did not bring the bridge back: %v", err)
				}
			})
		})
	}
}
