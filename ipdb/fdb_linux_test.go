package ipdb_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// bridgeRun runs bridge(8) in ns and fails the test on error.
func bridgeRun(t *testing.T, ns *nstest.NS, args ...string) {
	t.Helper()
	if out, err := execBridge(ns, args...); err != nil {
		t.Fatalf("bridge %v: %v: %s", args, err, out)
	}
}

// TestFDBIdentity: the kernel's identity of FDB entries. A bridge's entry
// is (bridge, MAC, VLAN): moved to another port it is the same entry, and
// the kernel says so with one RTM_NEWNEIGH and no RTM_DELNEIGH. A vxlan
// entry's remote replaced in place is announced as the new remote only.
// Both must leave exactly the kernel's entries in the cache.
func TestFDBIdentity(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add p0 type veth peer name q0",
			"link add p1 type veth peer name q1",
			"link set p0 master br0",
			"link set p1 master br0",
			"link add vx0 type vxlan id 7 dstport 4789 nolearning",
		)
		// No periodic refresh: it would repair what this test checks that
		// notifications and targeted re-reads get right.
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settle(t, ns, db, "creating a bridge and a vxlan")
		mac := "02:00:00:00:00:aa"
		count := func(want int, match func(f *netlink.FDB) bool) {
			t.Helper()
			n := 0
			for f := range db.Snapshot().FDB() {
				if match(f) {
					n++
				}
			}
			if n != want {
				t.Fatalf("%d matching entries in the cache, want %d:\n%v", n, want, slices.Collect(db.Snapshot().FDB()))
			}
		}
		bridgeRun(t, ns, "fdb", "add", mac, "dev", "p0", "master", "static")
		settle(t, ns, db, "adding an entry on p0")
		// A kernel whose bridge has VLAN support adds the entry once more
		// for each VLAN of the port (br_fdb_add: the default VLAN 1 on
		// Debian's 6.1), one entry per (bridge, MAC, VLAN); the kernel's
		// listing says how many.
		twins := len(kernelFDB(t, ns, mac))
		if twins == 0 {
			t.Fatalf("bridge fdb show lists no entry %s", mac)
		}
		bridgeRun(t, ns, "fdb", "replace", mac, "dev", "p1", "master", "static")
		settle(t, ns, db, "moving the entry to p1")
		p1 := ns.Ifindex("p1")
		count(twins, func(f *netlink.FDB) bool { return f.LLAddr.String() == mac })
		count(len(kernelFDB(t, ns, mac, "dev", "p1")), func(f *netlink.FDB) bool { return f.LLAddr.String() == mac && f.Index == p1 })
		count(1, func(f *netlink.FDB) bool { return f.LLAddr.String() == mac && f.Index == p1 && f.VLAN == 0 })

		vmac := "02:00:00:00:00:bb"
		bridgeRun(t, ns, "fdb", "add", vmac, "dev", "vx0", "dst", "198.51.100.5")
		settle(t, ns, db, "adding a vxlan entry")
		bridgeRun(t, ns, "fdb", "replace", vmac, "dev", "vx0", "dst", "198.51.100.7")
		settle(t, ns, db, "replacing its remote")
		count(1, func(f *netlink.FDB) bool { return f.LLAddr.String() == vmac })
		// Remotes of one entry are entries of their own.
		bridgeRun(t, ns, "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "198.51.100.10")
		bridgeRun(t, ns, "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "198.51.100.11")
		settle(t, ns, db, "appending two remotes")
		count(2, func(f *netlink.FDB) bool { return f.LLAddr.String() == "00:00:00:00:00:00" })
		bridgeRun(t, ns, "fdb", "del", "00:00:00:00:00:00", "dev", "vx0")
		settle(t, ns, db, "deleting every remote")

		// The entries of a deleted port and bridge go with them.
		ns.IP("link", "del", "p1")
		settle(t, ns, db, "deleting a port")
		ns.IP("link", "del", "br0")
		settle(t, ns, db, "deleting the bridge")
	})
}

// TestFDBIsItsOwnKind: the cache lists what iproute2 lists: Neighs what
// `ip neigh show nud all` and `ip neigh show proxy` list and no FDB
// entry, FDB what `bridge fdb show` lists, Rules what `ip rule` lists for
// IPv4 and IPv6 (not the rules of the multicast routing tables), and Stats
// counts the same; FDBOf lists the entries of one port or device.
func TestFDBIsItsOwnKind(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add p0 type veth peer name q0",
			"link set p0 master br0",
			"link set br0 up", "link set p0 up", "link set q0 up",
			"addr add 192.0.2.1/24 dev br0",
			"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
			"neigh add proxy 192.0.2.9 dev br0",
		)
		db := dbtest.Open(t, ns)
		bridgeRun(t, ns, "fdb", "add", "02:00:00:00:00:aa", "dev", "p0", "master", "static")
		settle(t, ns, db, "the setup")
		s := db.Snapshot()
		for n := range s.Neighs() {
			if n.Family == unix.AF_BRIDGE {
				t.Errorf("Neighs lists an FDB entry: %v", n)
			}
		}
		for r := range s.Rules() {
			if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
				t.Errorf("Rules lists a rule of family %d: %v", r.Family, r)
			}
		}
		// The kernel adds multicast neighbours and FDB entries for a while
		// after links come up: compare until both sides agree.
		var st ipdb.Stats
		err := nstest.Eventually(15*time.Second, func() error {
			st = db.Stats()
			for _, k := range []netlink.Kind{netlink.KindNeigh, netlink.KindFDB, netlink.KindRule} {
				n, err := oracle.Count(ns, k)
				if err != nil {
					return err
				}
				if st.Objects[k] != n {
					return fmt.Errorf("stats count %d %ss, iproute2 lists %d", st.Objects[k], k, n)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		neighs := st.Objects[netlink.KindNeigh]
		var proxies []json.RawMessage
		ns.IPJSON(&proxies, "neigh", "show", "proxy")
		if st.FDB == 0 || len(proxies) != 1 {
			t.Fatalf("the setup lacks FDB entries (%d) or a proxy entry (%d)", st.FDB, len(proxies))
		}
		p0 := ns.Ifindex("p0")
		err = nstest.Eventually(15*time.Second, func() error {
			s = db.Snapshot()
			var onP0 []string
			for f := range s.FDBOf(p0) {
				if f.Index != p0 {
					t.Errorf("FDBOf(p0) gave %v", f)
				}
				onP0 = append(onP0, fmt.Sprintf("%s %v", f.LLAddr, f.Flags&unix.NTF_SELF != 0))
			}
			var want []struct {
				Mac   string   `json:"mac"`
				Flags []string `json:"flags"`
			}
			out, err := execBridge(ns, "-j", "fdb", "show", "brport", "p0")
			if err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(out), &want); err != nil {
				return err
			}
			var wantLines []string
			for _, w := range want {
				wantLines = append(wantLines, fmt.Sprintf("%s %v", w.Mac, slices.Contains(w.Flags, "self")))
			}
			slices.Sort(onP0)
			slices.Sort(wantLines)
			if slices.Equal(onP0, wantLines) && slices.Contains(onP0, "02:00:00:00:00:aa false") {
				return nil
			}
			return fmt.Errorf("FDBOf(p0) = %v; bridge fdb show brport p0 lists %v", onP0, wantLines)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := slices.Collect(s.Objects(netlink.KindFDB)), slices.Collect(s.FDB()); len(got) != len(want) {
			t.Errorf("Objects(KindFDB) gave %d entries, FDB %d", len(got), len(want))
		}
		if got := slices.Collect(s.Objects(netlink.Kind(200))); len(got) != 0 {
			t.Errorf("Objects of an unknown kind: %v", got)
		}
		// A database without the FDB kind has an empty table.
		noFDB := dbtest.Open(t, ns, ipdb.WithKinds(netlink.KindLink, netlink.KindNeigh))
		if st := noFDB.Stats(); st.FDB != 0 || st.Neighs < neighs {
			t.Errorf("WithKinds(link, neigh): %+v", st)
		}
	})
}

// kernelFDB returns the entries of `bridge -j fdb show [args]` with MAC
// mac.
func kernelFDB(t *testing.T, ns *nstest.NS, mac string, args ...string) []map[string]any {
	t.Helper()
	out, err := execBridge(ns, append([]string{"-j", "fdb", "show"}, args...)...)
	if err != nil {
		t.Fatalf("bridge fdb show: %v: %s", err, out)
	}
	var all, match []map[string]any
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if e["mac"] == mac {
			match = append(match, e)
		}
	}
	return match
}
