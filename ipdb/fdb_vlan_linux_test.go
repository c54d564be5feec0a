package ipdb_test

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
)

// TestFDBPerVLAN: on a VLAN-filtering bridge one MAC address is an entry
// per VLAN (br_fdb_find's key is {addr, vlan_id}): entries of one MAC in
// VLANs 10 and 20 are two entries, moving one to another port leaves the
// other where it was, deleting one leaves the other, and the cache holds
// exactly what `bridge -j fdb show` lists at every step (settle compares
// the whole FDB table, VLANs included). Needs a kernel with bridge VLAN
// filtering (the guest's 6.1; this host's 6.18 lacks it).
func TestFDBPerVLAN(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		if _, err := ns.IPErr("link", "add", "br0", "type", "bridge", "vlan_filtering", "1"); err != nil {
			nstest.LacksKind(t, "bridge vlan_filtering", err)
		}
		ns.Batch(
			"link add p0 type veth peer name q0",
			"link add p1 type veth peer name q1",
			"link set p0 master br0",
			"link set p1 master br0",
		)
		for _, args := range [][]string{
			{"vlan", "add", "vid", "10", "dev", "p0"},
			{"vlan", "add", "vid", "20", "dev", "p0"},
			{"vlan", "add", "vid", "10", "dev", "p1"},
		} {
			bridgeRun(t, ns, args...)
		}
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settle(t, ns, db, "creating a VLAN-filtering bridge")
		mac := "02:00:00:00:00:aa"
		p0, p1 := ns.Ifindex("p0"), ns.Ifindex("p1")
		// entries returns the cache's entries of mac as "port/vlan" words.
		entries := func() string {
			var w []string
			for f := range db.Snapshot().FDB() {
				if f.LLAddr.String() == mac {
					w = append(w, f.String())
				}
			}
			return strings.Join(w, "\n")
		}
		has := func(index int, vlan uint16) bool {
			for f := range db.Snapshot().FDB() {
				if f.LLAddr.String() == mac && f.Index == index && f.VLAN == vlan {
					return true
				}
			}
			return false
		}
		bridgeRun(t, ns, "fdb", "add", mac, "dev", "p0", "master", "static", "vlan", "10")
		bridgeRun(t, ns, "fdb", "add", mac, "dev", "p0", "master", "static", "vlan", "20")
		settle(t, ns, db, "adding one MAC in VLANs 10 and 20")
		if n := len(kernelFDB(t, ns, mac)); n != 2 {
			t.Fatalf("bridge fdb show lists %d entries %s, want 2", n, mac)
		}
		if !has(p0, 10) || !has(p0, 20) {
			t.Fatalf("the cache lacks an entry of VLAN 10 or 20 on p0:\n%s", entries())
		}

		bridgeRun(t, ns, "fdb", "replace", mac, "dev", "p1", "master", "static", "vlan", "10")
		settle(t, ns, db, "moving the VLAN 10 entry to p1")
		if !has(p1, 10) || has(p0, 10) || !has(p0, 20) {
			t.Fatalf("after moving VLAN 10 to p1 the cache holds:\n%s", entries())
		}

		bridgeRun(t, ns, "fdb", "del", mac, "dev", "p0", "master", "vlan", "20")
		settle(t, ns, db, "deleting the VLAN 20 entry")
		if !has(p1, 10) || has(p0, 20) {
			t.Fatalf("after deleting VLAN 20 the cache holds:\n%s", entries())
		}

		// Removing VLAN 10 from p1: nbp_vlan_delete flushes the port's
		// dynamic entries of the VLAN (br_fdb_delete_by_port skips static
		// ones); whatever the kernel keeps, the cache must agree.
		bridgeRun(t, ns, "vlan", "del", "vid", "10", "dev", "p1")
		settle(t, ns, db, "removing VLAN 10 from p1")
	})
}
