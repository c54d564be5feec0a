package watch

import (
	"testing"

	"github.com/ipdb-go/ipdb/internal/kindcheck"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestKindTableComplete: every kind netlink knows has a row in kindRows
// with a typed event and the link its objects belong to (the filters and
// Event.LinkName need it); replay covers every kind through
// ipdb.Snapshot.All (TestInitialHasEveryKind).
func TestKindTableComplete(t *testing.T) {
	kindcheck.Complete(t, "watch kindRows", func(k netlink.Kind) bool {
		return int(k) < len(kindRows) && kindRows[k] != nil
	})
	for k, r := range kindRows {
		if r == nil {
			continue
		}
		if r.typed == nil || r.link == nil {
			t.Errorf("watch kindRows: the row of %s lacks its typed event or its link", netlink.Kind(k))
			continue
		}
		// The typed event carries the event's revision and op.
		if ev := r.typed(&Event{Rev: 7, Kind: netlink.Kind(k)}); ev == nil {
			t.Errorf("the row of %s makes no typed event", netlink.Kind(k))
		}
	}
}
