//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// runCommit compares a txn commit of N routes (plan, pipelined apply,
// verify through the DB) with `ip -batch` adding the same routes, each in a
// fresh namespace, then times the plan of the N already-present routes.
func runCommit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("commit", flag.ContinueOnError)
	n := fs.Int("n", 100000, "IPv4 routes to commit")
	count := fs.Int("count", 3, "rounds; best and median are reported")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench commit [flags]\n\nCommits N IPv4 routes with a txn (plan, pipelined apply, verify) against\nip -batch, each round in fresh namespaces, and plans the N present routes.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, func() error {
		return errors.Join(inRange("n", *n, 1, benchns.MaxRoutes(32)), atLeast("count", *count, 1))
	}); err != nil {
		return err
	}
	var ipT, txT, planT []time.Duration
	var writes uint64
	for round := range *count {
		r, err := commitRound(ctx, *n)
		if err != nil {
			return err
		}
		ipT, txT, planT = append(ipT, r.ipBatch), append(txT, r.commit), append(planT, r.plan)
		writes += r.writes
		progress("round %d: ip -batch %v, txn commit %v, plan of present %v", round+1, ipT[round], txT[round], planT[round])
	}
	best := func(d []time.Duration) time.Duration {
		b := d[0]
		for _, x := range d {
			b = min(b, x)
		}
		return b
	}
	med := func(d []time.Duration) time.Duration {
		s := append([]time.Duration(nil), d...)
		for i := range s {
			for j := i + 1; j < len(s); j++ {
				if s[j] < s[i] {
					s[i], s[j] = s[j], s[i]
				}
			}
		}
		return s[len(s)/2]
	}
	fmt.Printf("commit of %d IPv4 routes, %d rounds, each in a fresh namespace\n", *n, *count)
	fmt.Printf("%-34s %12s %12s %14s %8s\n", "row", "best", "median", "routes/s", "x ref")
	row := func(name string, d []time.Duration, ref time.Duration) {
		fmt.Printf("%-34s %12v %12v %14.0f %8.2f\n", name, best(d).Round(time.Millisecond), med(d).Round(time.Millisecond),
			float64(*n)/best(d).Seconds(), float64(med(d))/float64(ref))
	}
	row("ip -batch route add", ipT, med(ipT))
	row("txn Commit (plan+apply+verify)", txT, med(ipT))
	row("txn Plan of present routes", planT, med(ipT))
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISS"
	}
	fmt.Printf("targets: commit <= 1.0x ip -batch (median): %s; plan of present <= 1 s per 1M routes: %s; writes of the re-commit: %d (%s)\n",
		verdict(med(txT) <= med(ipT)), verdict(med(planT) <= time.Duration(float64(time.Second)*float64(*n)/1e6)),
		writes, verdict(writes == 0))
	return nil
}

// commitTimes are one round of commit.
type commitTimes struct {
	ipBatch, commit, plan time.Duration
	// writes are the netlink writes of committing the already-present
	// routes again (must be 0).
	writes uint64
}

// commitRound adds n routes with `ip -batch` in one fresh namespace and
// with a txn commit in another, then plans the n routes now present.
func commitRound(ctx context.Context, n int) (commitTimes, error) {
	var out commitTimes
	// ip -batch in a fresh namespace.
	ns, err := benchns.New(ctx)
	if err != nil {
		return out, err
	}
	if err := ns.SetupVeth(ctx); err != nil {
		ns.Close()
		return out, err
	}
	st, err := ns.LoadRoutes(ctx, n, 32)
	ns.Close()
	if err != nil {
		return out, err
	}
	out.ipBatch = st.Duration

	// txn in another fresh namespace.
	ns, err = benchns.New(ctx)
	if err != nil {
		return out, err
	}
	defer ns.Close()
	if err := ns.SetupVeth(ctx); err != nil {
		return out, err
	}
	db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Path),
		ipdb.WithKinds(netlink.KindLink, netlink.KindAddr, netlink.KindRoute), ipdb.WithTables(254))
	if err != nil {
		return out, err
	}
	defer db.Close()
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Path})
	if err != nil {
		return out, err
	}
	defer c.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return out, err
	}
	specs := make([]txn.RouteSpec, n)
	gw := netip.MustParseAddr(benchns.Gateway)
	for i := range specs {
		specs[i] = txn.RouteSpec{Dst: benchns.RouteDst(i, 32), Gateway: gw, Dev: benchns.Dev}
	}
	start := time.Now()
	err = txn.New(db, c, nil).Routes(specs...).Commit(ctx)
	out.commit = time.Since(start)
	if err != nil {
		return out, fmt.Errorf("commit: %w", err)
	}
	got, err := ns.CountRoutes(ctx, "main")
	if err != nil {
		return out, err
	}
	if got < n {
		return out, fmt.Errorf("commit left %d routes in main, want at least %d", got, n)
	}
	// Plan of the n routes now present: nothing to do.
	tx2 := txn.New(db, c, nil).Routes(specs...)
	start = time.Now()
	plan, err := tx2.Plan()
	out.plan = time.Since(start)
	if err != nil {
		return out, err
	}
	if !plan.Empty() {
		return out, fmt.Errorf("plan of present routes is not empty: %s", plan.Summary())
	}
	if err := tx2.Commit(ctx); err != nil {
		return out, err
	}
	out.writes = tx2.Writes()
	return out, nil
}
