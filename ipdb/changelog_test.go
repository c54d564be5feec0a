package ipdb

import (
	"errors"
	"testing"
)

func TestChangeLogBoundsAndTruncation(t *testing.T) {
	l := newChangeLog(4)
	l.commit(1, nil)
	for rev := uint64(2); rev <= 4; rev++ {
		l.commit(rev, []Change{{Op: OpAdd}, {Op: OpChange}})
	}
	// Ring of 4 holds the last 4 changes: revs 3, 3, 4, 4.
	got, upTo, _, err := l.since(nil, 2, 0)
	if err != nil || upTo != 4 || len(got) != 4 || got[0].Rev != 3 || got[3].Rev != 4 {
		t.Fatalf("since(2) = %v, %d, %v", got, upTo, err)
	}
	if _, _, _, err := l.since(nil, 1, 0); !errors.Is(err, ErrTruncated) {
		t.Fatalf("since(1) after eviction of rev 2: %v, want ErrTruncated", err)
	}
	got, upTo, _, err = l.since(nil, 3, 0)
	if err != nil || upTo != 4 || len(got) != 2 {
		t.Fatalf("since(3) = %v, %d, %v", got, upTo, err)
	}
	got, upTo, wake, err := l.since(nil, 4, 0)
	if err != nil || upTo != 4 || len(got) != 0 {
		t.Fatalf("since(4) = %v, %d, %v", got, upTo, err)
	}
	select {
	case <-wake:
		t.Fatal("woken before a new revision")
	default:
	}
	l.commit(5, nil) // a revision without changes still wakes readers
	select {
	case <-wake:
	default:
		t.Fatal("not woken by revision 5")
	}
	// A limit never splits a revision.
	l.commit(6, []Change{{}, {}, {}})
	got, upTo, _, err = l.since(nil, 5, 1)
	if err != nil || len(got) != 3 || upTo != 6 {
		t.Fatalf("since(5, max 1) = %d changes up to %d, %v; want the whole revision 6", len(got), upTo, err)
	}
}

// TestChangeLogGrows checks that the ring, which starts small and doubles
// up to its size, keeps every change in order while it grows and bounds
// them once it is full.
func TestChangeLogGrows(t *testing.T) {
	l := newChangeLog(300)
	if len(l.ring) != changeLogStart {
		t.Fatalf("ring starts at %d entries, want %d", len(l.ring), changeLogStart)
	}
	rev := uint64(0)
	for i := 0; i < 250; i += 5 {
		rev++
		l.commit(rev, make([]Change, 5))
	}
	got, upTo, _, err := l.since(nil, 0, 0)
	if err != nil || upTo != rev || len(got) != 250 || len(l.ring) != 256 {
		t.Fatalf("since(0) = %d changes up to %d, %v; ring %d", len(got), upTo, err, len(l.ring))
	}
	for i, c := range got {
		if c.Rev != uint64(i/5+1) {
			t.Fatalf("change %d has rev %d, want %d", i, c.Rev, i/5+1)
		}
	}
	for range 20 {
		rev++
		l.commit(rev, make([]Change, 5))
	}
	got, _, _, err = l.since(nil, rev-60, 0)
	if err != nil || len(l.ring) != 300 || len(got) != 300 || got[0].Rev != rev-59 || got[299].Rev != rev {
		t.Fatalf("full ring %d: %d changes from rev %d, %v", len(l.ring), len(got), got[0].Rev, err)
	}
}
