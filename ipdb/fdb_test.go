package ipdb_test

import (
	"net"
	"net/netip"
	"runtime"
	"slices"
	"testing"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

func fdbEntry(index, master int, mac string, flags uint8, dst string) *netlink.FDB {
	m, err := net.ParseMAC(mac)
	if err != nil {
		panic(err)
	}
	f := &netlink.FDB{Family: unix.AF_BRIDGE, Index: index, Master: master, LLAddr: m, Flags: flags, State: unix.NUD_NOARP}
	if dst != "" {
		f.Dst = netip.MustParseAddr(dst)
	}
	return f
}

// TestFDBKeysAndOrder, without a kernel: a bridge's entry moved to another
// port replaces itself, a vxlan entry's remotes are entries of their own,
// and FDBListed lists as `bridge fdb show` does: by device, a bridge's
// table newest first, a device's addresses and a vxlan entry's remotes
// oldest first, vxlan entries newest first; a moved entry keeps its place
// in its list, also in an old snapshot after a garbage collection.
func TestFDBKeysAndOrder(t *testing.T) {
	r, err := ipdb.NewReplay()
	if err != nil {
		t.Fatal(err)
	}
	const br, p0, p1, vx = 2, 3, 4, 5
	a := fdbEntry(p0, br, "02:00:00:00:00:0a", 0, "")
	b := fdbEntry(p0, br, "02:00:00:00:00:0b", 0, "")
	c := fdbEntry(p1, br, "02:00:00:00:00:0c", 0, "")
	self1 := fdbEntry(p0, 0, "02:00:00:00:00:f1", unix.NTF_SELF, "")
	self0 := fdbEntry(p0, 0, "02:00:00:00:00:f0", unix.NTF_SELF, "")
	mc := fdbEntry(p0, 0, "33:33:00:00:00:01", unix.NTF_SELF, "")
	z1 := fdbEntry(vx, 0, "00:00:00:00:00:00", unix.NTF_SELF, "198.51.100.9")
	u := fdbEntry(vx, 0, "02:00:00:00:00:0d", unix.NTF_SELF, "198.51.100.1")
	z2 := fdbEntry(vx, 0, "00:00:00:00:00:00", unix.NTF_SELF, "198.51.100.2")
	var batch []netlink.Update
	for _, f := range []*netlink.FDB{mc, a, self1, z1, b, self0, u, c, z2} {
		batch = append(batch, upd(unix.RTM_NEWNEIGH, 0, f))
	}
	r.Apply(batch)
	// Unicast addresses before multicast ones: mc goes after self0.
	want := []*netlink.FDB{b, a, self1, self0, mc, c, u, z1, z2}
	if got := r.Snapshot().FDBListed(); !slices.Equal(got, want) {
		t.Fatalf("FDBListed:\n got %v\nwant %v", got, want)
	}
	old := r.Snapshot()
	// a moves to p1: the same entry (bridge, MAC, VLAN), in its place.
	moved := fdbEntry(p1, br, "02:00:00:00:00:0a", 0, "")
	r.Apply([]netlink.Update{upd(unix.RTM_NEWNEIGH, 0, moved)})
	s := r.Snapshot()
	if n := len(slices.Collect(s.FDB())); n != 9 {
		t.Fatalf("%d entries after a move, want 9", n)
	}
	if got := slices.Collect(s.FDBOf(p1)); !slices.Equal(got, []*netlink.FDB{moved, c}) {
		t.Fatalf("FDBOf(p1) = %v", got)
	}
	runtime.GC()
	if got := old.FDBListed(); !slices.Equal(got, want) {
		t.Fatalf("the old snapshot after a GC:\n got %v\nwant %v", got, want)
	}
	// On p1, c is newer than the moved entry: it comes first.
	if got := s.FDBListed(); !slices.Equal(got[:6], []*netlink.FDB{b, self1, self0, mc, c, moved}) {
		t.Fatalf("after the move:\n got %v", got)
	}
	// Deleting one remote leaves the other.
	r.Apply([]netlink.Update{upd(unix.RTM_DELNEIGH, 0, fdbEntry(vx, 0, "00:00:00:00:00:00", unix.NTF_SELF, "198.51.100.9"))})
	if got := slices.Collect(r.Snapshot().FDBOf(vx)); len(got) != 2 || !slices.Contains(got, z2) || !slices.Contains(got, u) {
		t.Fatalf("FDBOf(vx) after deleting a remote = %v", got)
	}
	if k1, k2 := ipdb.Key(a), ipdb.Key(moved); k1 != k2 {
		t.Errorf("a moved bridge entry has another key")
	}
	if k1, k2 := ipdb.Key(z1), ipdb.Key(z2); k1 == k2 {
		t.Errorf("two remotes of one vxlan entry share a key")
	}
}
