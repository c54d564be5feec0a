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
