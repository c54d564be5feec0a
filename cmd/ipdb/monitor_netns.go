package main

import (
	"bytes"
	"io"
	"strconv"
	"sync"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/watch"
)

// nsStream renders the events of a watch.SetWatcher (monitor and serve's
// /v1/watch under --all-netns) as monitor renders one namespace's: each
// namespace has its own links as the stream has seen them, and names
// links from its own database (the last snapshot seen, once the namespace
// is detached and its objects leave as deletes). It is not safe for
// concurrent use.
type nsStream struct {
	set   *ipdb.Set
	snaps map[string]*ipdb.Snapshot
	links map[string]*streamLinks
	// gone are the detached namespaces still in snaps and links, with the
	// set revision of their deletes: all of one detach come in one
	// revision, so a later revision forgets them (a host that creates and
	// deletes namespaces all day leaves nothing behind).
	gone map[string]uint64
	// last is the namespace of the last text line, whose "netns: NAME"
	// header the next line of the same namespace does without.
	last string
}

func newNSStream(set *ipdb.Set) *nsStream {
	st := &nsStream{set: set, snaps: map[string]*ipdb.Snapshot{}, links: map[string]*streamLinks{}, gone: map[string]uint64{}}
	for _, n := range set.Snapshot().Namespaces() {
		st.snaps[n.NS.Name] = n.Snapshot
		st.links[n.NS.Name] = newStreamLinks(n.Snapshot)
	}
	return st
}

// of returns the snapshot and stream links of the namespace of an event
// of set revision rev.
func (st *nsStream) of(name string, rev uint64) (*ipdb.Snapshot, *streamLinks) {
	for n, r := range st.gone {
		if r < rev && n != name {
			delete(st.snaps, n)
			delete(st.links, n)
			delete(st.gone, n)
		}
	}
	if db, ok := st.set.DB(name); ok {
		st.snaps[name] = db.Snapshot()
		delete(st.gone, name)
	} else if _, ok := st.gone[name]; !ok {
		st.gone[name] = rev
	}
	snap := st.snaps[name]
	links := st.links[name]
	if links == nil {
		links = &streamLinks{m: map[int]linkRef{}}
		if snap != nil {
			links = newStreamLinks(snap)
		}
		st.links[name] = links
	}
	return snap, links
}

// resync forgets what the stream has seen: the set's current state
// follows as Initial adds.
func (st *nsStream) resync() {
	clear(st.snaps)
	clear(st.links)
	clear(st.gone)
	st.last = ""
}

// writeText writes an event as monitor's line, after a "netns: NAME"
// header line (`ip -all netns exec`'s, after an empty line) when its
// namespace is not that of the line before. A link moved from another
// namespace of the set is its add, with "moved from netns NAME" at the
// end.
func (st *nsStream) writeText(w io.Writer, ev watch.Event) error {
	if ev.Resync {
		st.resync()
		_, err := io.WriteString(w, "["+strconv.FormatUint(ev.Rev, 10)+"] resync: fell behind the change log; the current state follows\n")
		return err
	}
	snap, links := st.of(ev.NS.Name, ev.Rev)
	var b bytes.Buffer
	if err := writeEventText(&b, snap, ev, links); err != nil || b.Len() == 0 {
		return err
	}
	line := b.Bytes()
	if ev.MovedFrom != nil {
		line = append(line[:len(line)-1], " moved from netns "+ev.MovedFrom.Name+"\n"...)
	}
	if ev.NS.Name != st.last {
		st.last = ev.NS.Name
		line = append([]byte("\nnetns: "+ev.NS.Name+"\n"), line...)
	}
	_, err := w.Write(line)
	return err
}

// writeJSON writes an event as monitor -j's object with the key "netns"
// first (and "moved_from" for a moved link).
func (st *nsStream) writeJSON(w io.Writer, ev watch.Event) error {
	if ev.Resync {
		st.resync()
		return writeJSONTo(w, func(j *jsonOut) {
			j.openObject("")
			j.str("op", "resync")
			j.uint("rev", ev.Rev)
			j.closeObject()
		})
	}
	snap, links := st.of(ev.NS.Name, ev.Rev)
	return writeJSONTo(w, func(j *jsonOut) {
		j.tagDepth, j.netns = 1, ev.NS.Name
		writeEvent(j, snap, ev, links)
	})
}

// monitorAllNetns is monitor --all-netns: the changes of every named
// namespace and the current one, followed by an ipdb.Set as namespaces
// come and go. A namespace that appears prints its objects as adds
// ("initial": true in JSON), one that goes away its objects as deletes.
func monitorAllNetns(e *env, filter watch.Filter, format string) int {
	stdout := e.out()
	set, err := e.openSet()
	if err != nil {
		return e.fail("monitor", err)
	}
	defer set.Close()
	w := watch.NewSet(set)
	defer w.Close()
	st := newNSStream(set)
	var mu sync.Mutex // guards writes to stdout and st
	var werr error
	done := make(chan struct{})
	stop := w.Subscribe(e.ctx, filter, func(ev watch.Event) bool {
		mu.Lock()
		defer mu.Unlock()
		if format == "json" {
			werr = st.writeJSON(stdout, ev)
		} else {
			werr = st.writeText(stdout, ev)
		}
		if werr != nil {
			close(done)
			return false
		}
		return true
	})
	defer stop()
	select {
	case <-e.ctx.Done():
	case <-set.Done():
	case <-done:
	}
	stop()
	if werr != nil {
		return e.fail("monitor", werr)
	}
	return exitOK
}
