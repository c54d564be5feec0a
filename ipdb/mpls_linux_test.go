package ipdb_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"golang.org/x/sys/unix"
)

// mplsBase is two veth pairs with addresses, MPLS routes over them (one
// multipath route with a hop on each) and IP routes with MPLS
// encapsulation; the caller sets net.mpls.platform_labels first.
var mplsBase = []string{
	"link add v0 type veth peer name v1", "link add w0 type veth peer name w1",
	"link set v0 up", "link set v1 up", "link set w0 up", "link set w1 up",
	"addr add 192.0.2.1/24 dev v0", "addr add 198.51.100.1/24 dev w0",
	"-f mpls route add 20 as to 200/300 via inet 192.0.2.2 dev v0 proto static",
	"-f mpls route add 21 ttl-propagate disabled nexthop as to 201 via inet 192.0.2.3 dev v0 nexthop via inet 198.51.100.3 dev w0",
	"-f mpls route add 60 via inet 198.51.100.2 dev w0",
	"-f mpls route add 61 dev w0 ttl-propagate enabled",
	"route add 203.0.113.0/24 encap mpls 16/17 ttl 5 via 192.0.2.2 dev v0",
	"route add 203.0.113.128/25 nexthop encap mpls 18 via 192.0.2.2 dev v0 nexthop via 198.51.100.2 dev w0",
}

// mplsSetup makes mplsBase in ns, or skips where the kernel lacks MPLS.
func mplsSetup(t *testing.T, ns *nstest.NS) {
	ns.NeedMPLS(t, 100)
	for _, l := range mplsBase {
		ns.IP(strings.Fields(l)...)
	}
}

// TestMPLSSilentKernelChanges: what the kernel does to MPLS routes
// without a notification, each step compared with ip -j -f mpls route
// show (and ip -j route show for the encapsulated IP routes).
func TestMPLSSilentKernelChanges(t *testing.T) {
	for _, c := range []struct {
		name  string
		steps [][]string
	}{
		{"carrier lost and back (mpls_ifdown NETDEV_CHANGE: linkdown)", [][]string{
			{"link", "set", "v1", "down"}, {"link", "set", "v1", "up"},
		}},
		{"link down and up (mpls_ifdown NETDEV_DOWN: dead, mpls_ifup)", [][]string{
			{"link", "set", "v0", "down"}, {"link", "set", "v0", "up"},
		}},
		{"link deleted (mpls_ifdown NETDEV_UNREGISTER)", [][]string{
			{"link", "del", "v0"},
		}},
		{"route replaced and deleted", [][]string{
			{"-f", "mpls", "route", "replace", "20", "via", "inet", "198.51.100.9", "dev", "w0"},
			{"-f", "mpls", "route", "del", "60"},
		}},
		{"platform_labels lowered (resize_platform_label_table)", [][]string{{"sysctl", "50"}}},
		{"MPLS input enabled", [][]string{{"input", "v0"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				mplsSetup(t, ns)
				db := dbtest.Open(t, ns)
				settle(t, ns, db, "the set-up")
				if n := mplsCount(db); n != 4 {
					t.Fatalf("%d MPLS routes in the database after the set-up, want 4", n)
				}
				for _, step := range c.steps {
					switch step[0] {
					case "sysctl":
						if err := ns.SetMPLSPlatformLabels(50); err != nil {
							t.Fatal(err)
						}
					case "input":
						if err := ns.SetMPLSInput(step[1], true); err != nil {
							t.Fatal(err)
						}
					default:
						ns.IP(step...)
					}
					settle(t, ns, db, strings.Join(step, " "))
				}
			})
		})
	}
}

// TestMPLSFamilies: WithFamilies(AF_MPLS) keeps the MPLS routes and no IP
// route, and follows their changes.
func TestMPLSFamilies(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		mplsSetup(t, ns)
		db := dbtest.Open(t, ns, ipdb.WithFamilies(unix.AF_MPLS))
		if err := nstest.Eventually(10*time.Second, func() error {
			if n := mplsCount(db); n != 4 {
				return fmt.Errorf("%d MPLS routes, want 4", n)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for r := range db.Snapshot().Routes() {
			if !r.IsMPLS() {
				t.Errorf("an IP route with WithFamilies(AF_MPLS): %v", r)
			}
		}
		ns.IP("-f", "mpls", "route", "add", "70", "dev", "w0")
		if err := nstest.Eventually(10*time.Second, func() error {
			if n := mplsCount(db); n != 5 {
				return fmt.Errorf("%d MPLS routes after an add, want 5", n)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func mplsCount(db *ipdb.DB) int {
	n := 0
	for r := range db.Snapshot().Routes() {
		if r.IsMPLS() {
			n++
		}
	}
	return n
}
