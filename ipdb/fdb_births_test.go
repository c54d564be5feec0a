package ipdb

import (
	"runtime"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestFDBBirthsPruned: births of objects nobody holds any more are pruned,
// so a refresh that dumps the FDB every few seconds does not grow the map;
// births of objects still held stay.
func TestFDBBirthsPruned(t *testing.T) {
	kept := &netlink.FDB{Index: 1}
	fdbBirthSet(kept, 42)
	for range 50 {
		for range 1000 {
			fdbBirthSet(&netlink.FDB{Index: 2}, fdbNextSlot())
		}
		runtime.GC()
	}
	fdbBirths.mu.Lock()
	n := len(fdbBirths.m)
	fdbBirths.mu.Unlock()
	if n > 4*1024 {
		t.Errorf("%d births recorded after 50,000 short-lived entries", n)
	}
	if b, ok := fdbBirth(kept); !ok || b != 42 {
		t.Errorf("the birth of a held entry: %d, %v", b, ok)
	}
	runtime.KeepAlive(kept)
}
