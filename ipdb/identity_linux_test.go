package ipdb_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestIdentity: for each kind, two objects that differ in one identity
// field only are two objects in the kernel and in the cache, and deleting
// one leaves the other. The identities are written down at each kind's key
// (ipdb/kinds.go), with the kernel function that compares them.
func TestIdentity(t *testing.T) {
	type pair struct {
		name      string
		a, b, del []string
	}
	pairs := []pair{
		// Rules (rule_exists in net/core/fib_rules.c).
		{"rule protocol", split("rule add from 203.0.113.0/24 table 113 pref 112 protocol bgp"), split("rule add from 203.0.113.0/24 table 113 pref 112"), split("rule del pref 112 protocol bgp")},
		{"rule table", split("rule add from 203.0.113.0/24 table 113 pref 112"), split("rule add from 203.0.113.0/24 table 114 pref 112"), split("rule del from 203.0.113.0/24 table 114 pref 112")},
		{"rule from", split("rule add from 203.0.113.0/24 table 113 pref 112"), split("rule add from 198.51.100.0/24 table 113 pref 112"), split("rule del from 198.51.100.0/24 table 113 pref 112")},
		{"rule to", split("rule add to 203.0.113.0/24 table 113 pref 112"), split("rule add to 203.0.113.0/25 table 113 pref 112"), split("rule del to 203.0.113.0/25 table 113 pref 112")},
		{"rule tos", split("rule add tos 0x10 table 113 pref 112"), split("rule add tos 0x08 table 113 pref 112"), split("rule del tos 0x08 table 113 pref 112")},
		{"rule fwmark", split("rule add fwmark 0x10 table 113 pref 112"), split("rule add fwmark 0x10/0xff table 113 pref 112"), split("rule del fwmark 0x10/0xff table 113 pref 112")},
		{"rule iif", split("rule add iif v0 table 113 pref 112"), split("rule add iif v1 table 113 pref 112"), split("rule del iif v1 table 113 pref 112")},
		{"rule oif", split("rule add oif v0 table 113 pref 112"), split("rule add oif v1 table 113 pref 112"), split("rule del oif v1 table 113 pref 112")},
		{"rule ipproto", split("rule add ipproto tcp table 113 pref 112"), split("rule add ipproto udp table 113 pref 112"), split("rule del ipproto udp table 113 pref 112")},
		{"rule dport", split("rule add ipproto tcp dport 80 table 113 pref 112"), split("rule add ipproto tcp dport 80-81 table 113 pref 112"), split("rule del ipproto tcp dport 80-81 table 113 pref 112")},
		{"rule sport", split("rule add ipproto tcp sport 80 table 113 pref 112"), split("rule add ipproto tcp sport 81 table 113 pref 112"), split("rule del ipproto tcp sport 81 table 113 pref 112")},
		{"rule action", split("rule add from 203.0.113.0/24 blackhole pref 112"), split("rule add from 203.0.113.0/24 unreachable pref 112"), split("rule del from 203.0.113.0/24 unreachable pref 112")},
		{"rule suppress_prefixlength", split("rule add table 113 suppress_prefixlength 0 pref 112"), split("rule add table 113 suppress_prefixlength 1 pref 112"), split("rule del table 113 suppress_prefixlength 1 pref 112")},
		{"rule uidrange", split("rule add uidrange LO-HI table 113 pref 112"), split("rule add uidrange LO-HI1 table 113 pref 112"), split("rule del uidrange LO-HI1 table 113 pref 112")},
		{"rule6 from", split("-6 rule add from 2001:db8::/32 table 113 pref 112"), split("-6 rule add from 2001:db8::/48 table 113 pref 112"), split("-6 rule del from 2001:db8::/48 table 113 pref 112")},
		// IPv4 addresses (__inet_insert_ifa, find_matching_ifa).
		{"addr prefix length", split("addr add 192.0.2.1/24 dev v0"), split("addr add 192.0.2.1/25 dev v0"), split("addr del 192.0.2.1/25 dev v0")},
		{"addr peer", split("addr add 192.0.2.1 peer 192.0.2.2 dev v0"), split("addr add 192.0.2.1 peer 192.0.2.3 dev v0"), split("addr del 192.0.2.1 peer 192.0.2.3 dev v0")},
		{"addr link", split("addr add 192.0.2.1/24 dev v0"), split("addr add 192.0.2.1/24 dev v1"), split("addr del 192.0.2.1/24 dev v1")},
		// IPv4 routes (fib_table_insert, fib_find_alias).
		{"route tos", split("route add 198.51.100.0/24 dev v0 tos 0x10"), split("route add 198.51.100.0/24 dev v0"), split("route del 198.51.100.0/24 dev v0 tos 0x10")},
		{"route metric", split("route add 198.51.100.0/24 dev v0 metric 5"), split("route add 198.51.100.0/24 dev v0"), split("route del 198.51.100.0/24 dev v0 metric 5")},
		{"route table", split("route add 198.51.100.0/24 dev v0 table 100"), split("route add 198.51.100.0/24 dev v0"), split("route del 198.51.100.0/24 dev v0 table 100")},
		{"route metrics", split("route add 198.51.100.0/24 via 192.0.2.2 mtu 1400"), split("route append 198.51.100.0/24 via 192.0.2.2 mtu 1300"), split("route del 198.51.100.0/24 via 192.0.2.2 mtu 1300")},
		{"route realm", split("route add 198.51.100.0/24 via 192.0.2.2 realm 7"), split("route append 198.51.100.0/24 via 192.0.2.2"), split("route del 198.51.100.0/24 via 192.0.2.2 realm 7")},
		{"route next-hop weights", split("route add 198.51.100.0/24 nexthop via 192.0.2.2 weight 1 nexthop via 192.0.2.3 weight 2"),
			split("route append 198.51.100.0/24 nexthop via 192.0.2.2 weight 2 nexthop via 192.0.2.3 weight 1"),
			split("route del 198.51.100.0/24 nexthop via 192.0.2.2 weight 2 nexthop via 192.0.2.3 weight 1")},
		{"route onlink", split("route add 198.51.100.0/24 via 192.0.2.2 dev v0 onlink"), split("route append 198.51.100.0/24 via 192.0.2.2 dev v0"), split("route del 198.51.100.0/24 via 192.0.2.2 dev v0 onlink")},
		{"route appended next hop", split("route add 198.51.100.0/24 via 192.0.2.2"), split("route append 198.51.100.0/24 via 192.0.2.3"), split("route del 198.51.100.0/24 via 192.0.2.3")},
		// IPv6 routes (fib6_add_rt2: prefix, source, metric, next hop).
		{"route6 link", split("route add 2001:db8:5::/64 dev v0"), split("route append 2001:db8:5::/64 dev v1"), split("route del 2001:db8:5::/64 dev v1")},
		{"route6 from", split("route add 2001:db8:5::/64 from 2001:db8:9::/64 dev v0"), split("route add 2001:db8:5::/64 dev v0"), split("route del 2001:db8:5::/64 from 2001:db8:9::/64 dev v0")},
		{"route6 metric", split("route add 2001:db8:5::/64 dev v0 metric 5"), split("route add 2001:db8:5::/64 dev v0"), split("route del 2001:db8:5::/64 dev v0 metric 5")},
		// Neighbours (neigh_lookup: table, link, destination; proxies apart).
		{"neigh link", split("neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev v0"), split("neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev v1"), split("neigh del 192.0.2.7 dev v1")},
		{"neigh proxy", split("neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev v0"), split("neigh add proxy 192.0.2.7 dev v0"), split("neigh del proxy 192.0.2.7 dev v0")},
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add v0 type veth peer name v1",
			"link set v0 up", "link set v1 up",
			"addr add 192.0.2.100/24 dev v0",
			"addr add 2001:db8::100/64 dev v0 nodad",
		)
		db := dbtest.Open(t, ns)
		settle(t, ns, db, "the set-up")
		// Uid ranges this namespace maps (in a user namespace only 0).
		lo, hi := nstest.UIDRange()
		uids := strings.NewReplacer("LO", fmt.Sprint(lo), "HI1", fmt.Sprint(hi-1), "HI", fmt.Sprint(hi))
		for _, p := range pairs {
			if p.name == "rule uidrange" {
				if hi-lo < 2 {
					t.Logf("%s: this user namespace maps no two uid ranges", p.name)
					continue
				}
				for _, c := range [][]string{p.a, p.b, p.del} {
					for i := range c {
						c[i] = uids.Replace(c[i])
					}
				}
			}
			for _, step := range [][]string{p.a, p.b, p.del} {
				ns.IP(step...)
				settle(t, ns, db, p.name+": "+strings.Join(step, " "))
			}
			// Remove the one the delete command left.
			undo := asDelete(p.b)
			if _, err := ns.IPErr(undo...); err != nil {
				undo = asDelete(p.a)
				ns.IP(undo...)
			}
			settle(t, ns, db, p.name+": "+strings.Join(undo, " "))
		}
		// An IPv6 address is one per link and address: a replace changes
		// its prefix length (inet6_addr_modify).
		ns.IP("addr", "add", "2001:db8:7::1/64", "dev", "v0", "nodad")
		settle(t, ns, db, "IPv6 address /64")
		ns.IP("addr", "change", "2001:db8:7::1/80", "dev", "v0", "nodad")
		settle(t, ns, db, "IPv6 address changed to /80")
	})
}

func split(s string) []string { return strings.Fields(s) }

// asDelete turns an ip add or append command into the matching delete.
func asDelete(cmd []string) []string {
	out := append([]string(nil), cmd...)
	for i, w := range out {
		if w == "add" || w == "append" {
			out[i] = "del"
			break
		}
	}
	return out
}
