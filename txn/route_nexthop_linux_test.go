package txn

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestRemoveRouteOverNexthop: removing a route that uses a nexthop
// object (Absent, with or without NHID) must work as `ip route del` does.
// The delete request carried the hops next to RTA_NH_ID and the kernel
// refused it: "Nexthop specification and nexthop id are mutually
// exclusive" (found by a new user's try; netlink now leaves them out).
func TestRemoveRouteOverNexthop(t *testing.T) {
	for _, dst := range []string{"198.51.100.0/24", "203.0.113.0/24"} { // over nhid 100, over group 200
		t.Run(dst, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				nexthopBase(t, ns)
				db, c := setup(t, ns)
				tx := New(db, c, nil).Route(RouteSpec{Dst: netip.MustParsePrefix(dst), Absent: true})
				if err := tx.Commit(context.Background()); err != nil {
					t.Fatalf("remove route %s: %v", dst, err)
				}
				if out := ns.IP("route", "show", dst); strings.TrimSpace(out) != "" {
					t.Errorf("route still there: %s", out)
				}
			})
		})
	}
}

// TestLinkMasterMissing: a link spec whose master does not exist must be
// refused with an error, not panic (infoKind(nil) in planLink).
func TestLinkMasterMissing(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		nexthopBase(t, ns)
		db, c := setup(t, ns)
		m := "nosuch"
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Plan panicked: %v", r)
			}
		}()
		if _, err := New(db, c, nil).Link(LinkSpec{Name: "n0", Master: &m}).Plan(); err == nil {
			t.Error("no error for a master that does not exist")
		}
	})
}
