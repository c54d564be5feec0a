package ipdb_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// hopsOfIP lists, in ip's order, "gateway dev" of the routes that
// `ip -j [-6] route show dst` prints.
func hopsOfIP(ns *nstest.NS, family, dst string) []string {
	var routes []struct {
		Gateway string `json:"gateway"`
		Dev     string `json:"dev"`
	}
	args := []string{"route", "show", "exact", dst}
	if family == "-6" {
		args = append([]string{"-6"}, args...)
	}
	ns.IPJSON(&routes, args...)
	var out []string
	for _, r := range routes {
		out = append(out, r.Gateway+" "+r.Dev)
	}
	return out
}

// hopsOfDB lists the same from the database's RoutesTo (table main).
func hopsOfDB(s *ipdb.Snapshot, dst string) []string {
	names := map[int]string{}
	for l := range s.Links() {
		names[l.Index] = l.Name
	}
	var out []string
	for r := range s.RoutesTo(254, netip.MustParsePrefix(dst)) {
		gw := ""
		if r.Gateway.IsValid() {
			gw = r.Gateway.String()
		}
		out = append(out, gw+" "+names[int(r.OIF)])
	}
	return out
}

// TestRouteAlternatesOrder: IPv4 alternates (`ip route append`,
// `prepend`, and `replace`, which replaces the first) and IPv6 routes
// that differ only by device are listed and looked up in the kernel's
// list order, not in the order of their next hops: after notifications,
// in a database opened afterwards (the first dump), and after a resync.
// (Found by a new user's try: lookup picked the alternate with the lowest
// gateway, where `ip route get` picks the first.)
func TestRouteAlternatesOrder(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add v0 type veth peer name v1",
			"link add v2 type veth peer name v3",
			"link set v0 up", "link set v1 up", "link set v2 up", "link set v3 up",
			"addr add 192.0.2.1/24 dev v0",
		)
		db := dbtest.Open(t, ns)
		const dst4, dst6 = "198.51.100.0/24", "2001:db8:5::/64"
		check := func(db *ipdb.DB, step string) {
			t.Helper()
			err := nstest.Eventually(10*time.Second, func() error {
				s := db.Snapshot()
				for _, c := range []struct{ family, dst string }{{"-4", dst4}, {"-6", dst6}} {
					if want, got := hopsOfIP(ns, c.family, c.dst), hopsOfDB(s, c.dst); !slices.Equal(want, got) {
						return fmt.Errorf("%s: ip lists %q, the database %q", c.dst, want, got)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("after %s: %v", step, err)
			}
			// The lookup takes the first alternate, as the kernel does.
			var got []struct {
				Gateway string `json:"gateway"`
			}
			ns.IPJSON(&got, "route", "get", "198.51.100.7", "fibmatch")
			r, err := db.Snapshot().Lookup(254, netip.MustParseAddr("198.51.100.7"))
			if err != nil {
				t.Fatal(err)
			}
			a, err := db.Snapshot().RouteGet(ipdb.RouteQuery{Dst: netip.MustParseAddr("198.51.100.7")})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || r.Gateway.String() != got[0].Gateway || a.Route.Gateway.String() != got[0].Gateway {
				t.Errorf("after %s: ip route get answers %+v, Lookup %v, RouteGet %v", step, got, r.Gateway, a.Route.Gateway)
			}
		}
		steps := []struct {
			name  string
			lines []string
		}{
			{"add, append, prepend", []string{
				"route add 198.51.100.0/24 via 192.0.2.3",
				"route append 198.51.100.0/24 via 192.0.2.4",
				"route prepend 198.51.100.0/24 via 192.0.2.5",
				"route append 198.51.100.0/24 via 192.0.2.2",
				"route add 2001:db8:5::/64 dev v2",
				"route append 2001:db8:5::/64 dev v0",
			}},
			{"replace of the first", []string{"route replace 198.51.100.0/24 via 192.0.2.6"}},
			{"delete of the first", []string{"route del 198.51.100.0/24 via 192.0.2.6"}},
			{"prepend once more", []string{"route prepend 198.51.100.0/24 via 192.0.2.7"}},
			{"delete down to one", []string{
				"route del 198.51.100.0/24 via 192.0.2.7",
				"route del 198.51.100.0/24 via 192.0.2.3",
				"route del 198.51.100.0/24 via 192.0.2.2",
			}},
			{"append after one", []string{"route append 198.51.100.0/24 via 192.0.2.1"}},
			{"prepend after the rest", []string{"route prepend 198.51.100.0/24 via 192.0.2.9"}},
		}
		for _, st := range steps {
			for _, l := range st.lines {
				ns.Batch(l)
			}
			check(db, st.name)
		}
		fresh := dbtest.Open(t, ns)
		check(fresh, "a first dump")
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		check(db, "a resync")
		// A re-read of one link's routes sees part of a group only: the
		// order it knows stays.
		ns.Batch("link set v3 down", "link set v3 up")
		check(db, "a link's carrier down and up")
		if n := db.Stats().Objects[netlink.KindRoute]; n == 0 {
			t.Fatal("no routes")
		}
	})
}
