package ipdb_test

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
)

// A silentCase is one change that makes the kernel change other state
// without a notification for it (the list in doc.go, "What the kernel
// does not announce"): set-up commands, then the change, each step compared
// with ip -j.
type silentCase struct {
	name  string
	setup []string // ip -batch lines
	steps [][]string
}

// silentBase is a namespace with a veth pair up, IPv4 and IPv6 addresses,
// routes of every kind through v0 and neighbours on it.
var silentBase = []string{
	"link set lo up",
	"link add v0 type veth peer name v1",
	"link set v0 up", "link set v1 up",
	"addr add 192.0.2.1/24 dev v0",
	"addr add 2001:db8::1/64 dev v0 nodad",
	"route add 198.51.100.0/24 via 192.0.2.254 dev v0",
	"route add 203.0.113.0/24 dev v0 metric 7",
	"route add 203.0.113.0/25 via 192.0.2.253 table 100",
	"route add 198.51.100.128/25 nexthop via 192.0.2.2 nexthop via 192.0.2.3",
	"route add 2001:db8:2::/64 via 2001:db8::2 dev v0",
	"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev v0 nud permanent",
	"neigh add 192.0.2.8 lladdr 02:00:00:00:00:08 dev v0 nud stale",
	"neigh add 2001:db8::7 lladdr 02:00:00:00:00:17 dev v0 nud permanent",
}

func TestSilentKernelChanges(t *testing.T) {
	cases := []silentCase{
		{"last IPv4 address removed (fib_disable_ip)", silentBase, [][]string{
			{"addr", "del", "192.0.2.1/24", "dev", "v0"},
		}},
		{"last IPv4 address flushed", silentBase, [][]string{
			{"addr", "flush", "dev", "v0"},
		}},
		{"one of two IPv4 addresses removed", append(slicesClone(silentBase), "addr add 192.0.2.9/24 dev v0"), [][]string{
			{"addr", "del", "192.0.2.9/24", "dev", "v0"},
			{"addr", "del", "192.0.2.1/24", "dev", "v0"},
		}},
		{"primary IPv4 address removed with its secondary", append(slicesClone(silentBase), "addr add 192.0.2.9/24 dev v0"), [][]string{
			{"addr", "del", "192.0.2.1/24", "dev", "v0"},
		}},
		{"preferred source removed (fib_sync_down_addr)", append(slicesClone(silentBase),
			"addr add 192.0.2.9/24 dev v0", "route add 192.0.2.128/26 dev v0 src 192.0.2.9 table 100"), [][]string{
			{"addr", "del", "192.0.2.9/24", "dev", "v0"},
		}},
		{"link down and up (fib_sync_down_dev, addrconf_ifdown)", silentBase, [][]string{
			{"link", "set", "v0", "down"},
			{"link", "set", "v0", "up"},
		}},
		{"carrier lost (peer down: linkdown routes)", silentBase, [][]string{
			{"link", "set", "v1", "down"},
			{"link", "set", "v1", "up"},
		}},
		{"link deleted", silentBase, [][]string{
			{"link", "del", "v1"},
		}},
		{"MTU below 1280 tears IPv6 down (addrconf_notify NETDEV_CHANGEMTU)", silentBase, [][]string{
			{"link", "set", "v0", "mtu", "1200"},
			{"link", "set", "v0", "mtu", "1500"},
		}},
		{"goto target comes and goes (rule unresolved)", []string{"rule add pref 100 goto 200"}, [][]string{
			{"rule", "add", "pref", "200", "table", "10"},
			{"rule", "del", "pref", "200"},
		}},
		{"iif link comes, is renamed and goes (rule detached)", []string{"rule add iif x0 table 10 pref 300", "rule add oif x1 table 11 pref 301"}, [][]string{
			{"link", "add", "x0", "type", "ifb"},
			{"link", "set", "x0", "name", "x1"},
			{"link", "del", "x1"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				ns.Batch(c.setup...)
				db := dbtest.Open(t, ns)
				settle(t, ns, db, "the set-up")
				for _, step := range c.steps {
					ns.IP(step...)
					settle(t, ns, db, strings.Join(step, " "))
				}
			})
		})
	}
}

// TestDisableIPv6 turns IPv6 off on a link, which removes its addresses and
// routes (addrconf_disable_ipv6, addrconf_ifdown), and on again.
func TestDisableIPv6(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(silentBase...)
		db := dbtest.Open(t, ns)
		settle(t, ns, db, "the set-up")
		sysctl(t, ns, "net/ipv6/conf/v0/disable_ipv6", "1")
		settle(t, ns, db, "disable_ipv6 1")
		sysctl(t, ns, "net/ipv6/conf/v0/disable_ipv6", "0")
		settle(t, ns, db, "disable_ipv6 0")
	})
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }
