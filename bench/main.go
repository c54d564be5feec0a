//go:build linux

// Command bench measures ipdb against iproute2 and peer Go netlink
// libraries, side by side in one run, inside a throwaway network namespace.
//
// Usage:
//
//	go run . SUBCOMMAND [flags]
//	go run . help [SUBCOMMAND]
//
// The exit status is 0 on success and for -h, 1 if a benchmark failed, 2
// for a bad invocation (unknown subcommand or flag, a value out of range,
// a positional argument). A missed performance target is reported, not a
// failure.
//
// Each subcommand is one benchmark; see subcommands below and README.md.
// It needs root (it creates a network namespace).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
)

// subcommand is one benchmark. To add one, write a file with a run
// function (see routedump.go for the pattern: parse commonFlags, call
// prepareRoutes, measure contenders, print the report) and list it here.
type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

var subcommands = []subcommand{
	{"commit", "txn commit of N routes (plan, pipelined apply, verify) vs ip -batch; plan of N present routes", runCommit},
	{"routedump", "dump and decode N IPv4 routes: ip route show vs vishvananda/netlink vs jsimonetti/rtnetlink vs ipdb/netlink", runRouteDump},
	{"coldsync", "ipdb.Open to Synced with N routes vs ip route show; live heap B/route", runColdSync},
	{"resync", "forced mark-and-sweep and overflow recovery at N routes vs cold sync", runResync},
	{"apply", "decode+apply of a recorded route event stream without the kernel, events/s; live DB following", runApply},
	{"nexthop", "N routes over nexthop groups: cold sync vs ip route show + ip nexthop show; ip nexthop replace of a group under N routes: time until the cache equals the kernel, events", runNexthop},
	{"tc", "htb classes and u32 filters on one link: cold sync vs tc class show + tc filter show; txn commit vs tc -batch", runTC},
	{"show", "ipdb show routes (JSON and table) vs ip -j route show table all and ip route show table all: time and max RSS", runShow},
	{"watchlat", "event-to-callback latency of 10 watch subscribers at 10k route events/s", runWatchLat},
	{"netns", "an ipdb.Set over -n namespaces (veth end, 2 addresses, 3 routes each): attach time, goroutines, fds and memory per namespace, idle CPU; namespaces created and deleted at -rate/s while attached", runNetNS},
	{"report", "every scenario of issue 10 side by side, several runs each: report.md, results.json and SVG charts in -out", runReport},
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-sigc
		cancel()
		// Some library calls cannot be cancelled: remove the namespaces
		// now and leave.
		if err := benchns.CloseAll(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		fmt.Fprintf(os.Stderr, "bench: %v: namespaces removed, exiting\n", sig)
		os.Exit(130)
	}()

	status := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	if err := benchns.CloseAll(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		status = max(status, 1)
	}
	os.Exit(status)
}
