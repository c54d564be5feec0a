// Command watch-links prints link changes as they happen: links that
// appear and disappear, renames, up/down, carrier, MTU, address and master
// changes. It is read-only and needs no root.
//
//	go run ./examples/watch-links [-netns NAME] [-initial]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/watch"
)

func main() {
	netns := flag.String("netns", "", "network namespace name or path (default: the current one)")
	initial := flag.Bool("initial", false, "print the links that exist now first")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *netns, *initial); err != nil {
		fmt.Fprintln(os.Stderr, "watch-links:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, netns string, initial bool) error {
	var opts []ipdb.Option
	if netns != "" {
		opts = append(opts, ipdb.WithNetNS(netns))
	}
	db, err := ipdb.Open(ctx, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	w := watch.New(db)
	defer w.Close()
	var wopts []watch.Option
	if initial {
		wopts = append(wopts, watch.WithInitial())
	}
	unsubscribe := w.OnLink(nil, func(e watch.LinkEvent) { fmt.Println(describe(e)) }, wopts...)
	defer unsubscribe()
	<-ctx.Done()
	return nil
}

// describe turns a link event into one line.
func describe(e watch.LinkEvent) string {
	switch {
	case e.Resync:
		return fmt.Sprintf("[%d] resync: fell behind; current links follow", e.Rev)
	case e.Initial:
		return fmt.Sprintf("[%d] exists  %s", e.Rev, e.New)
	case e.Op == ipdb.OpAdd:
		return fmt.Sprintf("[%d] added   %s", e.Rev, e.New)
	case e.Op == ipdb.OpDelete:
		return fmt.Sprintf("[%d] deleted %s", e.Rev, e.Old)
	}
	head := fmt.Sprintf("[%d] changed %s:", e.Rev, e.New.Name)
	s := head
	if o, n, ok := e.Renamed(); ok {
		s += fmt.Sprintf(" renamed %s -> %s;", o, n)
	}
	if e.WentUp() {
		s += " up;"
	}
	if e.WentDown() {
		s += " down;"
	}
	if c, ok := e.CarrierChanged(); ok {
		s += fmt.Sprintf(" carrier %v;", c)
	}
	if f, t, ok := e.OperStateChanged(); ok {
		s += fmt.Sprintf(" operstate %v -> %v;", f, t)
	}
	if f, t, ok := e.MTUChanged(); ok {
		s += fmt.Sprintf(" mtu %d -> %d;", f, t)
	}
	if e.AddressChanged() {
		s += fmt.Sprintf(" address %s -> %s;", e.Old.Address, e.New.Address)
	}
	if f, t, ok := e.MasterChanged(); ok {
		s += fmt.Sprintf(" master %d -> %d;", f, t)
	}
	if s == head {
		s += " other attributes (flags, counters, kind data)"
	}
	return s
}
