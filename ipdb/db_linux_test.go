package ipdb_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// compareAll compares every table of a snapshot with iproute2's JSON,
// kind by kind through the oracle's kind table.
func compareAll(ns *nstest.NS, s *ipdb.Snapshot) error {
	var errs []error
	for _, k := range netlink.Kinds() {
		if err := oracle.Compare(ns, k, slices.Collect(s.Objects(k))); err != nil {
			errs = append(errs, fmt.Errorf("%ss: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// settle waits until the database agrees with ip -j object for object. The
// kernel state is fixed while it waits, so a database that never agrees
// fails with the last difference.
func settle(t *testing.T, ns *nstest.NS, db *ipdb.DB, step string) {
	t.Helper()
	settleWithin(t, ns, db, step, 15*time.Second)
}

// settleWithin is settle with its own deadline, for steps whose catching
// up takes long on a loaded machine (a resync after an overflow).
func settleWithin(t *testing.T, ns *nstest.NS, db *ipdb.DB, step string, d time.Duration) {
	t.Helper()
	if err := nstest.Eventually(d, func() error { return compareAll(ns, db.Snapshot()) }); err != nil {
		t.Fatalf("after %s the database differs from ip -j:\n%v\nstats %+v", step, err, db.Stats())
	}
}

func TestDifferential(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "set", "lo", "up")
		db := dbtest.Open(t, ns)
		settle(t, ns, db, "the initial sync")
		// A user namespace maps only some uids (see nstest.UIDRange).
		uidStart, uidEnd := nstest.UIDRange()
		uidRange := fmt.Sprintf("%d-%d", uidStart, uidEnd)
		steps := []struct {
			name string
			cmds [][]string
		}{
			{"creating links of each kind", [][]string{
				{"link", "add", "br0", "type", "bridge"},
				{"link", "add", "v0", "type", "veth", "peer", "name", "v1"},
				{"link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", "192.0.2.1", "nolearning"},
				{"link", "add", "mv0", "link", "v0", "type", "macvlan", "mode", "bridge"},
				{"link", "add", "ifb0", "type", "ifb"},
				{"tuntap", "add", "tap0", "mode", "tap"},
				{"tuntap", "add", "tun0", "mode", "tun"},
			}},
			{"bringing links up and enslaving", [][]string{
				{"link", "set", "br0", "up"}, {"link", "set", "v0", "up"}, {"link", "set", "v1", "up"},
				{"link", "set", "vx0", "up"}, {"link", "set", "mv0", "up"},
				{"link", "set", "v1", "master", "br0"}, {"link", "set", "v0", "mtu", "1400"},
				{"link", "set", "ifb0", "alias", "test alias"},
			}},
			{"adding addresses", [][]string{
				{"addr", "add", "192.0.2.1/24", "dev", "v0"},
				{"addr", "add", "192.0.2.9/24", "dev", "v0"}, // secondary
				{"addr", "add", "198.51.100.1/24", "dev", "br0", "label", "br0:1"},
				{"addr", "add", "203.0.113.1", "peer", "203.0.113.2", "dev", "mv0"},
				{"addr", "add", "2001:db8::1/64", "dev", "v0", "nodad"},
				{"addr", "add", "2001:db8:1::1/64", "dev", "br0", "nodad", "valid_lft", "300", "preferred_lft", "200"},
			}},
			{"adding routes", [][]string{
				{"route", "add", "203.0.113.128/25", "via", "192.0.2.2"},
				{"route", "add", "198.51.100.128/25", "via", "192.0.2.3", "table", "300", "metric", "10"},
				{"route", "add", "198.51.100.128/25", "via", "192.0.2.4", "table", "1000", "mtu", "1300", "advmss", "1260"},
				{"route", "add", "192.0.2.128/25", "nexthop", "via", "192.0.2.2", "weight", "2", "nexthop", "via", "198.51.100.2"},
				{"route", "add", "blackhole", "203.0.113.64/26"},
				{"route", "add", "unreachable", "203.0.113.32/27", "table", "300"},
				{"route", "add", "prohibit", "203.0.113.16/28"},
				{"route", "append", "203.0.113.8/29", "via", "192.0.2.2"},
				{"route", "append", "203.0.113.8/29", "via", "192.0.2.3"},
				{"route", "add", "2001:db8:2::/48", "via", "2001:db8::2", "metric", "100"},
				{"route", "add", "2001:db8:3::/48", "nexthop", "via", "2001:db8::2", "nexthop", "via", "2001:db8:1::2"},
				{"-6", "route", "add", "2001:db8:4::/48", "via", "2001:db8::3", "table", "300"},
				{"-6", "route", "append", "2001:db8:4::/48", "via", "2001:db8::4", "table", "300"},
				{"route", "add", "default", "via", "192.0.2.254", "src", "192.0.2.9"},
			}},
			{"adding neighbours and FDB entries", [][]string{
				{"neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:02", "dev", "v0", "nud", "permanent"},
				{"neigh", "add", "192.0.2.3", "lladdr", "02:00:00:00:00:03", "dev", "v0", "nud", "stale"},
				{"neigh", "add", "2001:db8::2", "lladdr", "02:00:00:00:00:12", "dev", "v0", "nud", "reachable"},
				{"neigh", "add", "proxy", "192.0.2.77", "dev", "v0"},
			}},
			{"adding rules", [][]string{
				{"rule", "add", "from", "192.0.2.0/24", "table", "300", "priority", "100"},
				{"rule", "add", "fwmark", "0x10/0xff", "table", "1000", "priority", "101"},
				{"rule", "add", "not", "to", "198.51.100.0/24", "iif", "v0", "table", "300", "priority", "102"},
				{"-6", "rule", "add", "from", "2001:db8::/32", "table", "300", "priority", "100"},
				{"rule", "add", "ipproto", "tcp", "dport", "80-90", "uidrange", uidRange, "table", "1000", "priority", "103"},
			}},
			{"changing things", [][]string{
				{"link", "set", "v1", "nomaster"},
				{"link", "set", "ifb0", "name", "ifb9"},
				{"route", "replace", "203.0.113.128/25", "via", "192.0.2.3"},
				{"route", "change", "198.51.100.128/25", "via", "192.0.2.2", "table", "300", "metric", "10"},
				{"neigh", "replace", "192.0.2.3", "lladdr", "02:00:00:00:00:33", "dev", "v0", "nud", "permanent"},
				{"link", "set", "v0", "address", "02:00:00:00:01:00"},
			}},
			{"deleting an address (its routes go silently)", [][]string{
				{"addr", "del", "192.0.2.9/24", "dev", "v0"},
			}},
			{"taking a link down", [][]string{
				{"link", "set", "v0", "down"},
			}},
			{"bringing it up again", [][]string{
				{"link", "set", "v0", "up"},
				{"route", "add", "198.51.100.0/25", "via", "192.0.2.2", "dev", "v0"},
				{"addr", "add", "2001:db8::1/64", "dev", "v0", "nodad"},
				{"-6", "route", "add", "2001:db8:4::/48", "via", "2001:db8::3", "table", "300"},
				{"-6", "route", "append", "2001:db8:4::/48", "via", "2001:db8::4", "table", "300"},
			}},
			{"removing one hop of an IPv6 multipath route", [][]string{
				{"-6", "route", "del", "2001:db8:4::/48", "via", "2001:db8::3", "table", "300"},
			}},
			{"deleting links", [][]string{
				{"link", "del", "mv0"},
				{"link", "del", "v0"}, // takes v1 with it
				{"link", "del", "vx0"},
				{"tuntap", "del", "tap0", "mode", "tap"},
			}},
			{"deleting the rest", [][]string{
				{"rule", "del", "priority", "100"},
				{"-6", "rule", "del", "priority", "100"},
				{"route", "flush", "table", "300"},
				{"link", "del", "br0"},
			}},
		}
		// tun/tap need /dev/net/tun, which a user namespace's root usually
		// cannot open; the rest runs without them.
		noTun := nstest.CanTun() != nil
		for _, step := range steps {
			for _, cmd := range step.cmds {
				if noTun && cmd[0] == "tuntap" {
					continue
				}
				ns.IP(cmd...)
			}
			settle(t, ns, db, step.name)
		}
		if st := db.Stats(); st.Resyncs != 0 || st.Overflows != 0 {
			t.Errorf("no overflow expected, got %+v", st)
		}
	})
}

func TestFDBDifferential(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		ns.IP("link", "add", "br0", "type", "bridge")
		ns.IP("link", "add", "p0", "type", "veth", "peer", "name", "p1")
		ns.IP("link", "set", "p0", "master", "br0")
		ns.IP("link", "add", "vx0", "type", "vxlan", "id", "7", "dstport", "4789", "nolearning")
		settle(t, ns, db, "creating a bridge and a vxlan")
		run := func(args ...string) {
			t.Helper()
			if out, err := execBridge(ns, args...); err != nil {
				t.Fatalf("bridge %v: %v: %s", args, err, out)
			}
		}
		run("fdb", "add", "02:00:00:00:00:aa", "dev", "p0", "master", "static")
		run("fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "192.0.2.10")
		run("fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "192.0.2.11")
		settle(t, ns, db, "adding FDB entries")
		run("fdb", "del", "02:00:00:00:00:aa", "dev", "p0", "master")
		run("fdb", "del", "00:00:00:00:00:00", "dev", "vx0", "dst", "192.0.2.10")
		settle(t, ns, db, "deleting FDB entries")
		ns.IP("link", "del", "br0")
		settle(t, ns, db, "deleting the bridge")
	})
}

func TestOverflowResync(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
		db := dbtest.Open(t, ns, ipdb.WithReadBuffer(4096))
		var lines []string
		for i := range 3000 {
			lines = append(lines, fmt.Sprintf("route add 10.%d.%d.0/24 via 192.0.2.2", i/256, i%256))
		}
		for i := range 300 {
			lines = append(lines, fmt.Sprintf("link add b%d type ifb", i))
		}
		for i := range 1000 {
			lines = append(lines, fmt.Sprintf("route del 10.%d.%d.0/24", i/256, i%256))
		}
		ns.Batch(lines...)
		// Under the race detector on a loaded machine the resyncs that
		// the burst forces overflow again and take tens of seconds.
		settleWithin(t, ns, db, "a burst into a tiny buffer", 60*time.Second)
		st := db.Stats()
		if st.Overflows == 0 || st.Resyncs == 0 {
			t.Fatalf("the burst should have overflowed and forced a resync: %+v", st)
		}
		if st.Routes < 2000 {
			t.Fatalf("%d routes after the resync", st.Routes)
		}
	})
}

func TestSnapshotIsolation(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
		db := dbtest.Open(t, ns)
		before := db.Snapshot()
		routes := slices.Collect(before.Routes())
		links := slices.Collect(before.Links())
		var lines []string
		for i := range 500 {
			lines = append(lines, fmt.Sprintf("route add 10.0.%d.%d/32 via 192.0.2.2", i/256, i%256))
		}
		lines = append(lines, "link add br7 type bridge", "link set v0 mtu 1280")
		ns.Batch(lines...)
		if err := nstest.Eventually(5*time.Second, func() error {
			v0, _ := db.Snapshot().LinkByName("v0")
			if db.Stats().Routes >= len(routes)+500 && v0 != nil && v0.MTU == 1280 {
				return nil
			}
			return fmt.Errorf("changes never arrived: %+v", db.Stats())
		}); err != nil {
			t.Fatal(err)
		}
		if got := slices.Collect(before.Routes()); len(got) != len(routes) {
			t.Fatalf("old snapshot changed: %d routes, had %d", len(got), len(routes))
		}
		if got := slices.Collect(before.Links()); len(got) != len(links) {
			t.Fatalf("old snapshot changed: %d links, had %d", len(got), len(links))
		}
		v0, err := before.LinkByName("v0")
		if err != nil || v0.MTU != 1500 {
			t.Fatalf("old snapshot's v0: %v, %v", v0, err)
		}
		if _, err := before.LinkByName("br7"); !errors.Is(err, ipdb.ErrNotFound) {
			t.Fatalf("old snapshot sees a later link: %v", err)
		}
		now := db.Snapshot()
		if now.Revision() <= before.Revision() {
			t.Fatalf("revision did not move: %d then %d", before.Revision(), now.Revision())
		}
		if v0, _ := now.LinkByName("v0"); v0 == nil || v0.MTU != 1280 {
			t.Fatalf("new snapshot's v0: %v", v0)
		}
	})
}

func TestQueries(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		ns.IP("link", "set", "v1", "up")
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
		ns.IP("addr", "add", "2001:db8::1/64", "dev", "v0", "nodad")
		ns.Batch(
			"route add 198.51.100.0/24 via 192.0.2.2",
			"route add 198.51.100.128/25 via 192.0.2.3",
			"route add 198.51.100.128/25 via 192.0.2.4 metric 5",
			"route add 198.51.100.200/32 via 192.0.2.5 table 300",
			"route add default via 192.0.2.254",
			"route add 2001:db8:5::/48 via 2001:db8::5",
		)
		db := dbtest.Open(t, ns)
		s := db.Snapshot()
		v0, err := s.LinkByName("v0")
		if err != nil {
			t.Fatal(err)
		}
		if l, err := s.LinkByIndex(v0.Index); err != nil || l != v0 {
			t.Fatalf("LinkByIndex(%d) = %v, %v", v0.Index, l, err)
		}
		var addrs []string
		for a := range s.AddrsOf(v0.Index) {
			addrs = append(addrs, a.Prefix.String())
		}
		if !slices.Contains(addrs, "192.0.2.1/24") || !slices.Contains(addrs, "2001:db8::1/64") {
			t.Fatalf("AddrsOf(v0) = %v", addrs)
		}
		n := 0
		for r := range s.RoutesInTable(unix.AF_INET, 300) {
			if r.Table != 300 {
				t.Fatalf("RoutesInTable(300) gave %v", r)
			}
			n++
		}
		if n != 1 {
			t.Fatalf("RoutesInTable(300): %d routes, want 1", n)
		}
		for r := range s.RoutesOf(v0.Index) {
			if r.OIF != uint32(v0.Index) {
				t.Fatalf("RoutesOf(v0) gave %v", r)
			}
		}
		// Lookup agrees with `ip route get` on a set of addresses.
		for _, dst := range []string{"198.51.100.7", "198.51.100.130", "198.51.100.200", "203.0.113.1", "192.0.2.77", "2001:db8:5::1", "2001:db8::42"} {
			r, err := s.Lookup(254, netip.MustParseAddr(dst))
			if err != nil {
				t.Fatalf("Lookup(%s): %v", dst, err)
			}
			var want []struct {
				Gateway string `json:"gateway"`
				Dev     string `json:"dev"`
			}
			ns.IPJSON(&want, "route", "get", dst)
			gw := ""
			if r.Gateway.IsValid() {
				gw = r.Gateway.String()
			}
			if len(want) != 1 || want[0].Gateway != gw {
				t.Errorf("Lookup(%s) = %v; ip route get says %+v", dst, r, want)
			}
		}
		// Bad input is an error, never a panic.
		if _, err := s.Lookup(254, netip.Addr{}); !errors.Is(err, ipdb.ErrInvalid) {
			t.Errorf("Lookup(invalid) = %v", err)
		}
		if _, err := s.Lookup(0, netip.MustParseAddr("192.0.2.1")); !errors.Is(err, ipdb.ErrInvalid) {
			t.Errorf("Lookup(table 0) = %v", err)
		}
		if _, err := s.LinkByName(strings.Repeat("x", 16)); !errors.Is(err, ipdb.ErrInvalid) {
			t.Errorf("LinkByName(16 bytes) = %v", err)
		}
		if _, err := s.LinkByIndex(-1); !errors.Is(err, ipdb.ErrInvalid) {
			t.Errorf("LinkByIndex(-1) = %v", err)
		}
		if _, err := s.LinkByName("nosuch"); !errors.Is(err, ipdb.ErrNotFound) {
			t.Errorf("LinkByName(nosuch) = %v", err)
		}
	})
}

func TestFilters(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
		ns.IP("addr", "add", "2001:db8::1/64", "dev", "v0", "nodad")
		ns.IP("route", "add", "198.51.100.0/24", "via", "192.0.2.2", "table", "300")
		db := dbtest.Open(t, ns, ipdb.WithFamilies(unix.AF_INET), ipdb.WithTables(300), ipdb.WithKinds(netlink.KindLink, netlink.KindAddr, netlink.KindRoute))
		ns.IP("route", "add", "198.51.100.0/24", "via", "192.0.2.3")
		ns.IP("route", "add", "203.0.113.0/24", "via", "192.0.2.3", "table", "300")
		ns.IP("rule", "add", "from", "192.0.2.0/24", "table", "300")
		if err := nstest.Eventually(5*time.Second, func() error {
			if n := db.Stats().Routes; n != 2 {
				return fmt.Errorf("%d routes kept, want 2", n)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		s := db.Snapshot()
		for r := range s.Routes() {
			if r.Table != 300 || r.Family != unix.AF_INET {
				t.Errorf("filtered out route kept: %v", r)
			}
		}
		for a := range s.Addrs() {
			if a.Family != unix.AF_INET {
				t.Errorf("filtered out address kept: %v", a)
			}
		}
		st := db.Stats()
		if st.Routes != 2 || st.Rules != 0 || st.Neighs != 0 {
			t.Errorf("stats with filters: %+v", st)
		}
		// Counts per kind: every kind, the same as the named fields.
		for _, k := range netlink.Kinds() {
			if _, ok := st.Objects[k]; !ok {
				t.Errorf("Stats.Objects has no count of %s", k)
			}
		}
		byName := map[netlink.Kind]int{netlink.KindLink: st.Links, netlink.KindAddr: st.Addrs, netlink.KindRoute: st.Routes,
			netlink.KindNeigh: st.Neighs, netlink.KindRule: st.Rules, netlink.KindFDB: st.FDB}
		for k, n := range byName {
			if st.Objects[k] != n {
				t.Errorf("Stats.Objects[%s] = %d, the named field %d", k, st.Objects[k], n)
			}
		}
		// All is every kind's Objects, in kind order.
		var all, each []netlink.Object
		for o := range s.All() {
			all = append(all, o)
		}
		for _, k := range netlink.Kinds() {
			for o := range s.Objects(k) {
				each = append(each, o)
			}
		}
		if !slices.Equal(all, each) {
			t.Errorf("All: %d objects, the kinds' Objects %d (or another order)", len(all), len(each))
		}
		if _, err := ipdb.Open(context.Background(), ipdb.WithTables(0)); !errors.Is(err, ipdb.ErrInvalid) {
			t.Errorf("WithTables(0): %v", err)
		}
		if _, err := ipdb.Open(context.Background(), ipdb.WithKinds(99)); !errors.Is(err, ipdb.ErrInvalid) {
			t.Errorf("WithKinds(99): %v", err)
		}
	})
}

func TestOpenCloseNoLeak(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		fds := func() int {
			ents, err := os.ReadDir("/proc/self/fd")
			if err != nil {
				t.Fatal(err)
			}
			return len(ents)
		}
		ctx := context.Background()
		cycle := func() {
			db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name), ipdb.WithReadBuffer(1<<20))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.WaitSynced(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
		cycle()
		before := fds()
		for range 1000 {
			cycle()
		}
		if after := fds(); after > before {
			t.Fatalf("file descriptors grew from %d to %d over 1000 Open/Close cycles", before, after)
		}
		// Closing before the first sync finishes is clean too.
		db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name))
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := db.Snapshot().LinkByName("v0"); err != nil && !errors.Is(err, ipdb.ErrNotSynced) {
			t.Fatalf("query on a DB closed before sync: %v", err)
		}
	})
}

func execBridge(ns *nstest.NS, args ...string) (string, error) {
	out, err := exec.Command("bridge", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	return string(out), err
}
