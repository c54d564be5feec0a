package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sync"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
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
	var mu sync.Mutex // guards writes to e.stdout
	var werr error
	done := make(chan struct{})
	stop := w.Subscribe(e.ctx, nil, func(ev watch.Event) bool {
		mu.Lock()
		defer mu.Unlock()
		if *format == "json" {
			werr = writeEventJSON(e.stdout, db, ev)
		} else {
			werr = writeEventText(e.stdout, db, ev)
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

// eventJSON is one event as a JSON object: op, kind, rev, old, new (and
// resync when the subscriber fell behind and missed changes).
func eventJSON(s *ipdb.Snapshot, ev watch.Event) object {
	name := snapshotNames(s)
	var o object
	if ev.Resync {
		o.set("op", "resync")
		o.set("rev", ev.Rev)
		return o
	}
	o.set("op", ev.Op.String())
	o.set("kind", ev.Kind.String())
	o.set("rev", ev.Rev)
	if ev.Initial {
		o.set("initial", true)
	}
	if ev.Old != nil {
		o.set("old", objectJSON(ev.Old, name))
	} else {
		o.set("old", nil)
	}
	if ev.New != nil {
		o.set("new", objectJSON(ev.New, name))
	} else {
		o.set("new", nil)
	}
	return o
}

func writeEventJSON(w io.Writer, db *ipdb.DB, ev watch.Event) error {
	return json.NewEncoder(w).Encode(eventJSON(db.Snapshot(), ev))
}

// writeEventText prints an event as `ip monitor` would, with the old
// version of a changed object before the new one.
func writeEventText(w io.Writer, db *ipdb.DB, ev watch.Event) error {
	var err error
	switch {
	case ev.Resync:
		_, err = fmt.Fprintf(w, "[%d] resync: fell behind the change log; the current state follows\n", ev.Rev)
	case ev.Op == ipdb.OpAdd:
		_, err = fmt.Fprintf(w, "[%d] %s add %s\n", ev.Rev, ev.Kind, eventText(db, ev.New))
	case ev.Op == ipdb.OpDelete:
		_, err = fmt.Fprintf(w, "[%d] %s delete %s\n", ev.Rev, ev.Kind, eventText(db, ev.Old))
	default:
		_, err = fmt.Fprintf(w, "[%d] %s change %s\n      -> %s\n", ev.Rev, ev.Kind, eventText(db, ev.Old), eventText(db, ev.New))
	}
	return err
}

// eventText is an object as ip(8) prints it; FDB entries as `bridge
// monitor fdb` prints them, with link names.
func eventText(db *ipdb.DB, o netlink.Object) string {
	switch o := o.(type) {
	case nil:
		return "(none)"
	case *netlink.FDB:
		return fdbText(o, snapshotNames(db.Snapshot()))
	}
	return o.String()
}
