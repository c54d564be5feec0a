package ipdb

import (
	"sync"

	"github.com/ipdb-go/ipdb/netlink"
)

// Op says how a change affected its object.
type Op uint8

// Change operations.
const (
	OpAdd Op = iota + 1
	OpChange
	OpDelete
)

// String returns "add", "change" or "delete".
func (o Op) String() string {
	switch o {
	case OpAdd:
		return "add"
	case OpChange:
		return "change"
	case OpDelete:
		return "delete"
	}
	return "op?"
}

// A Change is one object's change in one revision. Old is nil for adds and
// New is nil for deletes. Both are immutable and shared with the database.
type Change struct {
	Rev  uint64
	Kind netlink.Kind
	Op   Op
	Old  netlink.Object
	New  netlink.Object
}

// changeLog is a bounded ring of changes in revision order.
type changeLog struct {
	mu sync.Mutex
	// The fields below are guarded by mu.
	ring  []Change
	size  int    // the ring's largest length (WithChangeLog)
	head  int    // index of the oldest entry
	n     int    // entries in use
	lost  uint64 // highest revision whose changes were (partly) evicted
	rev   uint64 // newest committed revision
	ready chan struct{}
}

// changeLogStart is the ring's first length; it doubles as changes come,
// up to the log's size, so that a quiet database (a namespace of a Set)
// does not pay for the whole log.
const changeLogStart = 64

func newChangeLog(size int) *changeLog {
	return &changeLog{ring: make([]Change, min(size, changeLogStart)), size: size, ready: make(chan struct{})}
}

// growLocked doubles the ring, up to size, keeping the entries in order.
func (l *changeLog) growLocked() {
	ring := make([]Change, min(2*len(l.ring), l.size))
	for i := range l.n {
		ring[i] = l.ring[(l.head+i)%len(l.ring)]
	}
	l.ring, l.head = ring, 0
}

// commit appends the changes of revision rev and wakes waiters. A
// revision with no changes still moves rev and wakes them.
func (l *changeLog) commit(rev uint64, changes []Change) {
	l.mu.Lock()
	for _, c := range changes {
		c.Rev = rev
		if l.n == len(l.ring) && len(l.ring) < l.size {
			l.growLocked()
		}
		if l.n == len(l.ring) {
			l.lost = max(l.lost, l.ring[l.head].Rev)
			l.ring[l.head] = Change{}
			l.head = (l.head + 1) % len(l.ring)
			l.n--
		}
		l.ring[(l.head+l.n)%len(l.ring)] = c
		l.n++
	}
	l.rev = rev
	close(l.ready)
	l.ready = make(chan struct{})
	l.mu.Unlock()
}

// logWindow finds, among n entries in revision order (revAt(i) is the
// revision of entry i), the first after revision rev, and how many to take
// from it: all of them, or at most max when max > 0, but never splitting a
// revision, so that a reader sees whole transactions. A database's change
// log and a set's feed share it.
func logWindow(n int, rev uint64, max int, revAt func(i int) uint64) (lo, count int) {
	hi := n
	for lo < hi {
		mid := (lo + hi) / 2
		if revAt(mid) <= rev {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	count = n - lo
	if max > 0 && count > max {
		count = max
		last := revAt(lo + count - 1)
		for lo+count < n && revAt(lo+count) == last {
			count++
		}
	}
	return lo, count
}

// since appends the changes after revision rev to dst, and returns them,
// the revision they reach, and a channel that closes when a newer revision
// is committed.
func (l *changeLog) since(dst []Change, rev uint64, max int) ([]Change, uint64, <-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rev < l.lost {
		return dst, l.rev, l.ready, ErrTruncated
	}
	lo, n := logWindow(l.n, rev, max, func(i int) uint64 { return l.ring[(l.head+i)%len(l.ring)].Rev })
	out := dst
	for i := range n {
		out = append(out, l.ring[(l.head+lo+i)%len(l.ring)])
	}
	upTo := l.rev
	if lo+n < l.n {
		upTo = out[len(out)-1].Rev
	}
	return out, upTo, l.ready, nil
}
