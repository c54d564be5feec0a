//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/measure"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// The tc scenario (issue 15): -classes htb classes and -filters u32
// filters on one link.
//
//   - coldsync: ipdb.Open to Synced against `tc class show` plus `tc
//     filter show` of the link (two processes, times added), in the same
//     run, on one loaded namespace;
//   - commit: the same qdisc, classes and filters committed by one
//     transaction (plan, pipelined requests, verify against the cache)
//     against `tc -batch` of the same commands, each in a fresh namespace.
//
// u32 numbers the nodes it makes up from 0x800 to 0xfff in a hash table
// (gen_new_kid), and each priority has a root table of its own, numbered
// 800:, 801:, ... in the order they come (u32_init, gen_new_htid), so the
// filters are spread over priorities of u32PerPrio, and the transaction
// gives each node the handle the kernel gives tc's.
const (
	rowTCShow     = "tc class show + tc filter show"
	rowTCColdSync = "ipdb Open->Synced"
	rowTCBatch    = "tc -batch"
	rowTCCommit   = "txn commit"

	u32PerPrio = 2000
)

func runTC(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tc", flag.ContinueOnError)
	classes := fs.Int("classes", 10000, "htb classes under the root htb qdisc 1: (classids 1:1 ...)")
	filters := fs.Int("filters", 10000, "u32 filters at the root, one per IPv4 destination, each to a class")
	count := fs.Int("count", 3, "runs per contender; best and median are reported")
	asJSON := fs.Bool("json", false, "print JSON instead of the table")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench tc [flags]\n\nPuts an htb qdisc with -classes classes and -filters u32 filters on one link of\nthrowaway namespaces: cold sync against tc class show + tc filter show, and a txn\ncommit of them against tc -batch.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, func() error {
		return errors.Join(inRange("classes", *classes, 1, 0xfffe), inRange("filters", *filters, 0, 0x7ff*u32PerPrio), atLeast("count", *count, 1))
	}); err != nil {
		return err
	}
	load := tcBatch(*classes, *filters)

	n := *classes + *filters
	setup := fmt.Sprintf("veth %s: root htb 1: default 1, classes 1:1 ... 1:%x (rate 1mbit ceil 10mbit), u32 filters `match ip dst 10.x.y.z/32 flowid 1:N`, %d per priority", benchns.Dev, *classes, u32PerPrio)
	syncReport := &measure.Report{
		Title: fmt.Sprintf("tc cold sync: %d htb classes and %d u32 filters on one link", *classes, *filters),
		Unit:  "object",
		Runs:  *count,
	}
	syncReport.Add("namespace", "%s", setup)
	showRow := &measure.Result{Name: rowTCShow, Reference: true, What: "`tc -n NS class show dev D > /dev/null` then `tc -n NS filter show dev D > /dev/null`, wall and CPU added"}
	syncRow := &measure.Result{Name: rowTCColdSync, Expected: n, What: "ipdb.Open(ctx, WithNetNS(name)) then WaitSynced: every kind; objects = classes + u32 filter nodes"}
	syncReport.Results = append(syncReport.Results, showRow, syncRow)
	commitReport := &measure.Report{
		Title: fmt.Sprintf("tc commit: %d htb classes and %d u32 filters on one link", *classes, *filters),
		Unit:  "object",
		Runs:  *count,
	}
	commitReport.Add("namespace", "a fresh one per run; %s", setup)
	batchRow := &measure.Result{Name: rowTCBatch, Reference: true, Expected: n, What: "`tc -n NS -batch -` of the qdisc, classes and filters"}
	commitRow := &measure.Result{Name: rowTCCommit, Expected: n, What: "txn.New(db, conn, nil).Qdisc(...).Class(...)...Filter(...).Commit: plan, pipelined requests, verify against the cache"}
	commitReport.Results = append(commitReport.Results, batchRow, commitRow)

	loaded, err := tcNS(ctx)
	if err != nil {
		return err
	}
	defer loaded.Close()
	start := time.Now()
	if err := runTCBatch(ctx, loaded, load); err != nil {
		return err
	}
	progress("namespace %s: %d classes and %d filters loaded with tc -batch in %v", loaded.Name, *classes, *filters, time.Since(start).Round(time.Millisecond))

	for round := 1; round <= *count; round++ {
		s, err := tcShowBoth(ctx, loaded, n)
		if err != nil {
			return err
		}
		showRow.Samples = append(showRow.Samples, s)
		progress("round %d/%d %-36s %8v", round, *count, rowTCShow, s.Wall.Round(time.Millisecond))
		var db *ipdb.DB
		s, err = coldSyncOnce(ctx, loaded.Name, &db)
		if err != nil {
			return err
		}
		s.Objects = countTC(db)
		db.Close()
		syncRow.Samples = append(syncRow.Samples, s)
		progress("round %d/%d %-36s %8v  %d objects", round, *count, rowTCColdSync, s.Wall.Round(time.Millisecond), s.Objects)

		s, err = tcBatchOnce(ctx, load, n)
		if err != nil {
			return err
		}
		batchRow.Samples = append(batchRow.Samples, s)
		progress("round %d/%d %-36s %8v", round, *count, rowTCBatch, s.Wall.Round(time.Millisecond))
		s, err = tcCommitOnce(ctx, *classes, *filters)
		if err != nil {
			return err
		}
		commitRow.Samples = append(commitRow.Samples, s)
		progress("round %d/%d %-36s %8v  %d objects", round, *count, rowTCCommit, s.Wall.Round(time.Millisecond), s.Objects)
	}
	for _, r := range []*measure.Report{syncReport, commitReport} {
		if err := writeReport(os.Stdout, r, *asJSON); err != nil {
			return err
		}
	}
	if syncReport.Failed() || commitReport.Failed() {
		return errors.New("a contender failed or returned the wrong number of objects (see above)")
	}
	return nil
}

// tcNS makes a fresh namespace with the veth pair of benchns.
func tcNS(ctx context.Context) (*benchns.NS, error) {
	ns, err := benchns.New(ctx)
	if err != nil {
		return nil, err
	}
	if err := ns.SetupVeth(ctx); err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// tcDst is filter i's destination, 10.0.0.0/8 counted up.
func tcDst(i int) uint32 { return 10<<24 | uint32(i) }

// tcFlow is the class filter i sends to.
func tcFlow(i, classes int) uint16 { return uint16(1 + i%classes) }

// tcPrio is filter i's priority.
func tcPrio(i int) uint16 { return uint16(1 + i/u32PerPrio) }

// tcHandle is filter i's u32 handle, htid:0:node, as the kernel numbers
// the nodes tc -batch adds without one.
func tcHandle(i int) uint32 {
	return uint32(0x800+i/u32PerPrio)<<20 | uint32(0x800+i%u32PerPrio)
}

// tcBatch is the tc -batch input of the scenario (tc takes a classid's
// minor in hexadecimal).
func tcBatch(classes, filters int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "qdisc add dev %s root handle 1: htb default 1\n", benchns.Dev)
	for i := range classes {
		fmt.Fprintf(&b, "class add dev %s parent 1: classid 1:%x htb rate 1mbit ceil 10mbit\n", benchns.Dev, i+1)
	}
	for i := range filters {
		d := tcDst(i)
		fmt.Fprintf(&b, "filter add dev %s parent 1: protocol ip prio %d u32 match ip dst %d.%d.%d.%d/32 flowid 1:%x\n",
			benchns.Dev, tcPrio(i), d>>24, d>>16&0xff, d>>8&0xff, d&0xff, tcFlow(i, classes))
	}
	return b.String()
}

func runTCBatch(ctx context.Context, ns *benchns.NS, load string) error {
	_, err := tcBatchRun(ctx, ns, load)
	return err
}

func tcBatchRun(ctx context.Context, ns *benchns.NS, load string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, "tc", "-n", ns.Name, "-batch", "-")
	var stderr strings.Builder
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(load), io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("tc -n %s -batch -: %w: %s", ns.Name, err, firstLines(stderr.String(), 3))
	}
	return cmd, nil
}

// tcShowBoth times `tc class show` and `tc filter show` of the link, one
// after the other, output to /dev/null.
func tcShowBoth(ctx context.Context, ns *benchns.NS, objects int) (measure.Sample, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return measure.Sample{}, err
	}
	defer null.Close()
	var s measure.Sample
	for _, what := range []string{"class", "filter"} {
		cmd := exec.CommandContext(ctx, "tc", "-n", ns.Name, what, "show", "dev", benchns.Dev)
		cmd.Stdout = null
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return measure.Sample{}, fmt.Errorf("tc %s show: %w", what, err)
		}
		s.Wall += time.Since(start)
		s.CPU += measure.ChildCPU(cmd.ProcessState.SysUsage())
	}
	s.Objects, s.LiveBytes = objects, -1
	return s, nil
}

// countTC counts the classes and the u32 filter nodes (a handle with a
// node part, not a priority's or a hash table's entry) in db.
func countTC(db *ipdb.DB) int {
	s := db.Snapshot()
	n := 0
	for range s.Classes() {
		n++
	}
	for f := range s.Filters() {
		if f.TCKind == "u32" && f.Handle&0xfff != 0 {
			n++
		}
	}
	return n
}

// tcBatchOnce times tc -batch of load in a fresh namespace.
func tcBatchOnce(ctx context.Context, load string, objects int) (measure.Sample, error) {
	ns, err := tcNS(ctx)
	if err != nil {
		return measure.Sample{}, err
	}
	defer ns.Close()
	start := time.Now()
	cmd, err := tcBatchRun(ctx, ns, load)
	if err != nil {
		return measure.Sample{}, err
	}
	return measure.Sample{Wall: time.Since(start), CPU: measure.ChildCPU(cmd.ProcessState.SysUsage()), Objects: objects, LiveBytes: -1}, nil
}

// tcCommitOnce commits the scenario's qdisc, classes and filters with one
// transaction in a fresh namespace, and counts what the cache then holds.
func tcCommitOnce(ctx context.Context, classes, filters int) (measure.Sample, error) {
	ns, err := tcNS(ctx)
	if err != nil {
		return measure.Sample{}, err
	}
	defer ns.Close()
	db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Path))
	if err != nil {
		return measure.Sample{}, err
	}
	defer db.Close()
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Path})
	if err != nil {
		return measure.Sample{}, err
	}
	defer c.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return measure.Sample{}, err
	}
	h := netlink.NewHandle
	rate, ceil := uint64(1e6/8), uint64(10e6/8)
	s, err := measure.Measure(func() (int, any, error) {
		tx := txn.New(db, c, nil).Qdisc(txn.QdiscSpec{Dev: benchns.Dev, Handle: h(1, 0), Options: &netlink.HTB{Default: 1}})
		for i := range classes {
			tx.Class(txn.ClassSpec{Dev: benchns.Dev, ClassID: h(1, uint16(i+1)), Parent: h(1, 0), Options: &netlink.HTBClass{Rate: rate, Ceil: ceil}})
		}
		for i := range filters {
			tx.Filter(txn.FilterSpec{Dev: benchns.Dev, Parent: h(1, 0), Priority: tcPrio(i), Protocol: 0x0800, Handle: tcHandle(i),
				Options: &netlink.U32{ClassID: h(1, tcFlow(i, classes)), Sel: &netlink.U32Sel{Flags: 1,
					Keys: []netlink.U32Key{{Mask: 0xffffffff, Val: tcDst(i), Off: 16}}}}})
		}
		if err := tx.Commit(ctx); err != nil {
			return 0, nil, fmt.Errorf("commit: %w", err)
		}
		return 0, nil, nil
	})
	if err != nil {
		return measure.Sample{}, err
	}
	s.Objects = countTC(db)
	return s, nil
}
