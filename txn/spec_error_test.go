package txn

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestSpecErrorNamesTheSpec: an error about one spec says its kind and
// index, so that a caller can name the entry it came from, and still
// wraps ErrInvalid.
func TestSpecErrorNamesTheSpec(t *testing.T) {
	st := replayState(t)
	for _, c := range []struct {
		tx    *Txn
		kind  netlink.Kind
		index int
	}{
		{New(nil, nil, nil).Link(LinkSpec{Name: "br0"}).Link(LinkSpec{Name: "v0"}).Link(LinkSpec{Name: "br0"}), netlink.KindLink, 2},
		{New(nil, nil, nil).Link(LinkSpec{Name: "v0"}).Link(LinkSpec{Name: "bad/name"}), netlink.KindLink, 1},
		{New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), Dev: "v0"}).
			Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.1/24"), Dev: "v0"}), netlink.KindRoute, 1},
	} {
		_, err := c.tx.PlanAgainst(st)
		var se *SpecError
		if !errors.As(err, &se) || se.Kind != c.kind || se.Index != c.index || !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: %+v, want kind %v index %d", err, se, c.kind, c.index)
		}
	}
}
