package main

import (
	"flag"
	"fmt"
	"io"
	"sync"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/watch"
)

// runMonitor prints the cache's changes as they happen until interrupted.
func runMonitor(e *env, args []string) int {
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	format := fs.String("o", "text", "output `format`: text or json")
	pos, ok := e.parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "ipdb monitor: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	if *format != "text" && *format != "json" && *format != "table" {
		fmt.Fprintf(e.stderr, "ipdb monitor: unknown output format %q (want text or json)\n", *format)
		return exitUsage
	}
	db, err := e.open()
	if err != nil {
		return e.fail("monitor", err)
	}
	defer db.Close()
	w := watch.New(db)
	defer w.Close()
	var mu sync.Mutex // guards writes to e.stdout and links
	links := newStreamLinks(db.Snapshot())
	var werr error
	done := make(chan struct{})
	stop := w.Subscribe(e.ctx, nil, func(ev watch.Event) bool {
		mu.Lock()
		defer mu.Unlock()
		if *format == "json" {
			werr = writeEventJSON(e.stdout, db, ev, links)
		} else {
			werr = writeEventText(e.stdout, db, ev, links)
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
	names := snapshotLinks(s)
	links.note(ev.Old, ev.New)
	names.stream = links
	if ev.Old != nil {
		writeSnapshotObject(j, "old", ev.Old, names)
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
