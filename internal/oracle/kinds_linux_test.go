//go:build linux

package oracle

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/kindcheck"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestKindTableComplete: every kind netlink knows has a listing and a
// comparator in the oracle's kind table.
func TestKindTableComplete(t *testing.T) {
	kindcheck.Complete(t, "oracle comparators", func(k netlink.Kind) bool {
		o, ok := kindOracles[k]
		return ok && o.compare != nil && (len(o.list) > 0 || o.listAll != nil) && o.count != nil
	})
	for k, o := range kindOracles {
		for _, c := range o.list {
			if len(c) < 2 || (c[0] != "ip" && c[0] != "bridge" && c[0] != "tc") || !slices.Contains(c, "-j") {
				t.Errorf("%s: listing %q is not a JSON listing of ip, bridge or tc", k, c)
			}
		}
	}
}

// TestKindTableLive: in a namespace with objects of every kind, each
// kind's comparator accepts what the library dumps and rejects it with an
// object left out, and each listing is a non-empty JSON array.
func TestKindTableLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add v0 type veth peer name v1",
			"link set v0 master br0",
			"addr add 192.0.2.1/24 dev br0",
			"link set br0 up", "link set v0 up", "link set v1 up",
			"route add 198.51.100.0/24 via 192.0.2.254 dev br0 table 100",
			"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0 nud permanent",
			"rule add from 203.0.113.0/24 table 100 pref 100",
		)
		ns.WaitCarrier("br0")
		ns.Batch("nexthop add id 7 via 192.0.2.254 dev br0")
		for _, c := range [][]string{
			{"qdisc", "add", "dev", "v1", "root", "handle", "1:", "htb", "default", "10"},
			{"class", "add", "dev", "v1", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit"},
			{"filter", "add", "dev", "v1", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "192.0.2.1/32", "flowid", "1:10"},
			{"qdisc", "add", "dev", "v0", "clsact"},
			{"filter", "add", "dev", "v0", "egress", "prio", "3", "bpf", "bytecode", "1,6 0 0 0,"},
		} {
			if out, err := iproute2(ns, "tc", c...); err != nil {
				t.Fatal(err, out)
			}
		}
		if out, err := iproute2(ns, "bridge", "fdb", "add", "02:00:00:00:00:09", "dev", "v0", "master", "static"); err != nil {
			t.Fatal(err, out)
		}
		c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := context.Background()
		dump := func(k netlink.Kind) []netlink.Object {
			t.Helper()
			var out []netlink.Object
			var err error
			switch k {
			case netlink.KindLink:
				out, err = objects(c.Links(ctx, nil))
			case netlink.KindAddr:
				out, err = objects(c.Addrs(ctx, nil))
			case netlink.KindRoute:
				out, err = objects(c.Routes(ctx, nil))
			case netlink.KindNeigh:
				out, err = objects(c.Neighs(ctx, nil))
			case netlink.KindRule:
				out, err = objects(c.Rules(ctx, nil))
			case netlink.KindFDB:
				out, err = objects(c.FDBs(ctx, nil))
			case netlink.KindNexthop:
				out, err = objects(c.Nexthops(ctx, nil))
			case netlink.KindQdisc:
				out, err = objects(c.Qdiscs(ctx, nil))
			case netlink.KindClass:
				out, err = objects(c.Classes(ctx, nil))
			case netlink.KindFilter:
				out, err = objects(c.Filters(ctx, nil))
			default:
				t.Fatalf("the test cannot dump kind %s", k)
			}
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		for _, k := range netlink.Kinds() {
			err := nstest.Eventually(10*time.Second, func() error { return Compare(ns, k, dump(k)) })
			if err != nil {
				t.Errorf("%s: %v", k, err)
				continue
			}
			got := dump(k)
			if len(got) == 0 {
				t.Errorf("%s: the setup has no object of this kind", k)
				continue
			}
			if err := Compare(ns, k, got[1:]); err == nil {
				t.Errorf("%s: the comparator accepts the library's objects with one left out", k)
			}
			b, err := ListJSON(ns, k)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			var list []json.RawMessage
			if err := json.Unmarshal(b, &list); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			if len(list) == 0 {
				t.Errorf("%s: ListJSON gave no entries: %s", k, b)
			}
			// ip lists what the library dumps (the comparator agreed
			// above), rules only of IPv4 and IPv6 (ip rule lists no
			// multicast routing rules); the kernel may still be adding
			// multicast neighbours and FDB entries.
			err = nstest.Eventually(10*time.Second, func() error {
				n, err := Count(ns, k)
				if err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				want := 0
				for _, o := range dump(k) {
					if r, ok := o.(*netlink.Rule); !ok || r.Family == unix.AF_INET || r.Family == unix.AF_INET6 {
						want++
					}
				}
				if n != want {
					return fmt.Errorf("%s: Count = %d, the library dumps %d", k, n, want)
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}
		if err := Compare(ns, netlink.KindLink, dump(netlink.KindAddr)); err == nil || !strings.Contains(err.Error(), "*netlink.Addr") {
			t.Errorf("addresses compared as links: %v", err)
		}
		if _, err := ListJSON(ns, netlink.Kind(200)); err == nil {
			t.Error("ListJSON of an unknown kind: no error")
		}
	})
}

// objects turns a dump of one kind into netlink.Objects.
func objects[T netlink.Object](v []T, err error) ([]netlink.Object, error) {
	out := make([]netlink.Object, len(v))
	for i, o := range v {
		out[i] = o
	}
	return out, err
}
