package txn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/watch"
)

// TestConflictOnlySettable: a bridge that is up reports timers that change
// in every message; waiting between Plan and Commit on an idle namespace
// is no conflict. A change of an attribute the specs set is one, and the
// error names it with both values.
func TestConflictOnlySettable(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		prepNS(t, ns)
		ns.Batch(
			"link add br0 type bridge stp_state 1",
			"link add v0 type veth peer name v1",
			"link set v0 master br0",
			"link set br0 up", "link set v0 up", "link set v1 up",
		)
		db, c := setup(t, ns)
		mtu := uint32(1400)
		tx := New(db, c, nil).Link(LinkSpec{Name: "br0", MTU: &mtu})
		if _, err := tx.Plan(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatalf("commit after 3 s on an idle namespace: %v", err)
		}

		mtu2 := uint32(1300)
		tx = New(db, c, nil).Link(LinkSpec{Name: "br0", MTU: &mtu2})
		if _, err := tx.Plan(); err != nil {
			t.Fatal(err)
		}
		ns.IP("link", "set", "br0", "mtu", "1200")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := watch.WaitFor(ctx, db, func(s *ipdb.Snapshot) bool {
			l, err := s.LinkByName("br0")
			return err == nil && l.MTU == 1200
		}); err != nil {
			t.Fatal(err)
		}
		err := tx.Commit(context.Background())
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("got %v, want ErrConflict", err)
		}
		if want := "mtu 1400 -> 1200"; !strings.Contains(err.Error(), want) {
			t.Errorf("conflict %q does not name %q", err, want)
		}
	})
}
