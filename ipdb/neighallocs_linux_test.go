package ipdb

import (
	"context"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestNeighAllocsShared: the neighbour allocation count that gates the
// periodic neighbour re-read is read once per neighAllocsTTL for every
// database of the process (it is global, and its dump walks every
// namespace's devices): a read within the TTL returns the shared value,
// entries allocated meanwhile or not, and a read after it reads again.
func TestNeighAllocsShared(t *testing.T) {
	ns := nstest.New(t)
	ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "addr add 192.0.2.1/24 dev v0")
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var a allocsCache
	first, err := a.read(ctx, c)
	if err != nil {
		t.Fatalf("allocs %d, %v", first, err)
	}
	for i := range 3 {
		ns.IP("neigh", "add", "192.0.2."+string(rune('7'+i)), "lladdr", "02:00:00:00:00:07", "dev", "v0")
	}
	// The shared read is dated now, whatever the ip commands took (in
	// the emulated guest they took more than the TTL).
	at := time.Now()
	a.at = at
	if got, err := a.read(ctx, c); err != nil || got != first || a.at != at {
		t.Fatalf("a read within the TTL: %d, %v, read at %v; want the shared %d read at %v", got, err, a.at, first, at)
	}
	at = time.Now().Add(-neighAllocsTTL)
	a.at = at
	if _, err := a.read(ctx, c); err != nil || !a.at.After(at) {
		t.Fatalf("a read after the TTL: %v, read at %v; want a new read after %v", err, a.at, at)
	}
}
