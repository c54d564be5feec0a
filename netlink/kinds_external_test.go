package netlink_test

import (
	"testing"

	"github.com/ipdb-go/ipdb/internal/kindcheck"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestKindTableComplete fails when a kind netlink knows has no complete row
// in netlink's kind table (name, message types, groups, decoder).
func TestKindTableComplete(t *testing.T) {
	kindcheck.Complete(t, "netlink kinds", netlink.HasKindRow)
}
