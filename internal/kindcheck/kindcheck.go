// Package kindcheck is the exhaustiveness check of the kind tables: every
// layer (netlink, ipdb, watch, txn, the command, internal/oracle) keeps a
// small table with one row per object kind, and each layer's
// TestKindTableComplete calls Complete with a function that says whether its
// table has a row for a kind. A kind added to netlink.Kinds without a row in
// some layer fails that layer's test, naming the layer and the kind, instead
// of compiling and being silently wrong (not subscribed, not replayed, not
// rolled back, not shown).
package kindcheck

import (
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// Complete reports an error on t for every kind in netlink.Kinds() for which
// has returns false. layer names the table in the message, for example
// "ipdb kindDefs" or "txn stages".
func Complete(t testing.TB, layer string, has func(netlink.Kind) bool) {
	t.Helper()
	for _, k := range netlink.Kinds() {
		if !has(k) {
			t.Errorf("%s: no row for kind %s (every kind netlink knows needs one; see ARCHITECTURE.md, \"Adding a kind\")", layer, k)
		}
	}
}
