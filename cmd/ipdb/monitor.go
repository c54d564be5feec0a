package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

// monitorOpts are monitor's own flags.
type monitorOpts struct {
	format        string // -o
	formatChanged bool
}

// runMonitor prints the cache's changes as they happen until interrupted.
// pos chooses kinds as ip monitor's objects do (monitor link route); none
// or "all" is every kind.
func runMonitor(e *env, o monitorOpts, pos []string) int {
	format, ok := e.outputFormat("monitor", o.format, o.formatChanged, "text", "json", "table")
	if !ok {
		return exitUsage
	}
	var filters []watch.Filter
	var kinds []netlink.Kind
	pos, dev, err := monitorWords(pos) // monitor_dev.go
	if err != nil {
		fmt.Fprintf(e.stderr, "ipdb monitor: %v\n", err)
		return exitUsage
	}
	for _, w := range pos {
		if w == "all" {
			kinds = nil
			break
		}
		k, err := resolveKind(commandKinds, w)
		if err != nil {
			fmt.Fprintf(e.stderr, "ipdb monitor: %v\n", err)
			return exitUsage
		}
		kinds = append(kinds, k.kind)
	}
	if len(kinds) > 0 {
		filters = append(filters, watch.Kinds(kinds...))
	}
	if f := e.g.family(); f != 0 {
		filters = append(filters, watch.Family(f)) // objects without a family (links, FDB entries) pass
	}
	stdout := e.out()
	if e.g.allNetns {
		if dev != "" {
			fmt.Fprintf(e.stderr, "ipdb monitor: --all-netns does not take dev: a link's index is its namespace's own\n")
			return exitUsage
		}
		var filter watch.Filter
		if len(filters) > 0 {
			filter = watch.All(filters...)
		}
		return monitorAllNetns(e, filter, format)
	}
	db, err := e.open()
	if err != nil {
		return e.fail("monitor", err)
	}
	defer db.Close()
	if dev != "" {
		l, err := db.Snapshot().LinkByName(dev)
		if err != nil {
			fmt.Fprintf(e.stderr, "ipdb monitor: %v\n", noDeviceError(dev))
			return exitError
		}
		filters = append([]watch.Filter{monitorDevFilter(l.Index)}, filters...)
	}
	var filter watch.Filter
	if len(filters) > 0 {
		filter = watch.All(filters...)
	}
	w := watch.New(db)
	defer w.Close()
	var mu sync.Mutex // guards writes to e.stdout and links
	links := newStreamLinks(db.Snapshot())
	var werr error
	done := make(chan struct{})
	stop := w.Subscribe(e.ctx, filter, func(ev watch.Event) bool {
		mu.Lock()
		defer mu.Unlock()
		if format == "json" {
			werr = writeEventJSON(stdout, db, ev, links)
		} else {
			werr = writeEventText(stdout, db.Snapshot(), ev, links)
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
	case <-db.Done():
	case <-done:
	}
	stop()
	if werr != nil {
		return e.fail("monitor", werr)
	}
	return exitOK
}

// writeEvent writes one event as a JSON object: op, kind, rev, old, new
// (or op "resync" when the subscriber fell behind and missed changes),
// the objects rendered as show renders them, with link names from s.
func writeEvent(j *jsonOut, s *ipdb.Snapshot, ev watch.Event, links *streamLinks) {
	j.openObject("")
	if ev.Resync {
		*links = *newStreamLinks(s)
		j.str("op", "resync")
		j.uint("rev", ev.Rev)
		j.closeObject()
		return
	}
	j.str("op", ev.Op.String())
	j.str("kind", ev.Kind.String())
	j.uint("rev", ev.Rev)
	if ev.Initial {
		j.boolean("initial", true)
	}
	if ev.MovedFrom != nil {
		j.str("moved_from", ev.MovedFrom.Name) // --all-netns: a link moved between two namespaces
	}
	names := snapshotLinks(s)
	links.note(ev.Old, ev.New)
	names.stream = links
	if ev.Old != nil {
		writeSnapshotObject(j, "old", sameDeadlines(ev.Old, ev.New), names)
	} else {
		j.null("old")
	}
	if ev.New != nil {
		writeSnapshotObject(j, "new", ev.New, names)
	} else {
		j.null("new")
	}
	j.closeObject()
}

func writeEventJSON(w io.Writer, db *ipdb.DB, ev watch.Event, links *streamLinks) error {
	return writeJSONTo(w, func(j *jsonOut) { writeEvent(j, db.Snapshot(), ev, links) })
}
