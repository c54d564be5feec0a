//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/measure"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// The nexthop scenario (issue 14): routes over nexthop objects, as FRR
// installs them.
//
//   - coldsync: N routes over G groups of two nexthops each: ipdb.Open to
//     Synced against `ip route show` plus `ip nexthop show` (two processes,
//     times added), in the same run.
//   - replace: one group used by all N routes (a second namespace) is
//     replaced with `ip nexthop replace`; the time from the command until
//     the cache shows every route over the new hops, and the events the
//     database delivered for it.
const (
	rowNHIP       = "ip route show + ip nexthop show"
	rowNHColdSync = "ipdb Open->Synced"
	rowNHReplace  = "ip nexthop replace -> cache equal"
)

func runNexthop(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("nexthop", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	groups := fs.Int("groups", 1000, "nexthop groups the routes are spread over (two nexthops each)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench nexthop [flags]\n\nLoads N IPv4 routes over nexthop groups into throwaway namespaces: cold sync\nagainst ip route show + ip nexthop show, and `ip nexthop replace` of a group used\nby all N routes: time until the cache equals the kernel, and events delivered.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, func() error {
		if err := c.check(); err != nil {
			return err
		}
		return inRange("groups", *groups, 1, 100000)
	}); err != nil {
		return err
	}
	spread, err := nexthopNS(ctx, c.routes, *groups)
	if err != nil {
		return err
	}
	defer spread.Close()
	one, err := nexthopNS(ctx, c.routes, 1)
	if err != nil {
		return err
	}
	defer one.Close()

	report := &measure.Report{
		Title: fmt.Sprintf("nexthop: %d IPv4 routes over %d nexthop groups", c.routes, *groups),
		Unit:  "route",
		Runs:  c.count,
	}
	report.Add("namespace", "%d single nexthops (via 192.0.2.x dev %s), %d groups of two of them, %d /%d routes from %v, route i over group i mod %d", 2**groups, benchns.Dev, *groups, c.routes, c.prefixLen, benchns.Base, *groups)
	ipRow := &measure.Result{Name: rowNHIP, Reference: true, What: "`ip -n NS route show > /dev/null` then `ip -n NS nexthop show > /dev/null`, wall and CPU added"}
	syncRow := &measure.Result{Name: rowNHColdSync, Expected: c.routes, What: "ipdb.Open(ctx, WithNetNS(name)) then WaitSynced: every kind; routes = those with a nexthop id"}
	replRow := &measure.Result{Name: rowNHReplace, Expected: c.routes, What: "second namespace, one group used by every route: `ip nexthop replace id G group A/B` alternating the members' weights; wall from the command's start until every route over G in the cache has the new weights; objects = route events delivered"}
	report.Results = append(report.Results, ipRow, syncRow, replRow)
	for round := 1; round <= c.count; round++ {
		s, err := ipShowBoth(ctx, spread, c.routes)
		if err != nil {
			return err
		}
		ipRow.Samples = append(ipRow.Samples, s)
		progress("round %d/%d %-36s %8v", round, c.count, rowNHIP, s.Wall.Round(time.Millisecond))
		var db *ipdb.DB
		s, err = coldSyncOnce(ctx, spread.Name, &db)
		if err != nil {
			return err
		}
		s.Objects = countNHRoutes(db)
		db.Close()
		syncRow.Samples = append(syncRow.Samples, s)
		progress("round %d/%d %-36s %8v  %d routes", round, c.count, rowNHColdSync, s.Wall.Round(time.Millisecond), s.Objects)
		s, err = replaceOnce(ctx, one, round, c.routes)
		if err != nil {
			return err
		}
		replRow.Samples = append(replRow.Samples, s)
		progress("round %d/%d %-36s %8v  %d route events", round, c.count, rowNHReplace, s.Wall.Round(time.Millisecond), s.Objects)
	}
	if err := writeReport(os.Stdout, report, c.json); err != nil {
		return err
	}
	if report.Failed() {
		return errors.New("a contender failed or returned the wrong number of routes (see above)")
	}
	return nil
}

// nexthopNS makes a namespace with 2*groups single nexthops, groups
// groups (id 100001+i of nexthops 2i+1 and 2i+2) and n routes, route i
// over group i mod groups, loaded with ip -batch.
func nexthopNS(ctx context.Context, n, groups int) (*benchns.NS, error) {
	ns, err := benchns.New(ctx)
	if err != nil {
		return nil, err
	}
	if err := ns.SetupVeth(ctx); err != nil {
		ns.Close()
		return nil, err
	}
	start := time.Now()
	var w strings.Builder
	{
		for i := range 2 * groups {
			fmt.Fprintf(&w, "nexthop add id %d via 192.0.2.%d dev %s\n", i+1, 2+i%250, benchns.Dev)
		}
		for i := range groups {
			fmt.Fprintf(&w, "nexthop add id %d group %d/%d\n", 100001+i, 2*i+1, 2*i+2)
		}
		buf := make([]byte, 0, 64)
		for i := range n {
			buf = append(buf[:0], "route add "...)
			buf = benchns.RouteDst(i, 32).AppendTo(buf)
			buf = fmt.Appendf(buf, " nhid %d\n", 100001+i%groups)
			w.Write(buf)
		}
	}
	if err := ipBatch(ctx, ns, w.String()); err != nil {
		ns.Close()
		return nil, err
	}
	progress("namespace %s: %d nexthops and %d routes over %d groups loaded in %v", ns.Name, 3*groups, n, groups, time.Since(start).Round(time.Millisecond))
	return ns, nil
}

// ipShowBoth times `ip route show` and `ip nexthop show`, one after the
// other, output to /dev/null.
func ipShowBoth(ctx context.Context, ns *benchns.NS, routes int) (measure.Sample, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return measure.Sample{}, err
	}
	defer null.Close()
	var s measure.Sample
	for _, args := range [][]string{{"route", "show"}, {"nexthop", "show"}} {
		cmd := ns.Command(ctx, args...)
		cmd.Stdout = null
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return measure.Sample{}, fmt.Errorf("ip %s: %w", strings.Join(args, " "), err)
		}
		s.Wall += time.Since(start)
		s.CPU += measure.ChildCPU(cmd.ProcessState.SysUsage())
	}
	s.Objects, s.LiveBytes = routes, -1
	return s, nil
}

// countNHRoutes counts the routes over a nexthop object in db.
func countNHRoutes(db *ipdb.DB) int {
	n := 0
	for r := range db.Snapshot().Routes() {
		if r.Extra != nil && r.Extra.NHID != 0 {
			n++
		}
	}
	return n
}

// replaceOnce opens a DB on ns (one group, 100001, of nexthops 1 and 2,
// used by every route), replaces the group with new weights, and times
// until every route over it shows them.
func replaceOnce(ctx context.Context, ns *benchns.NS, round, routes int) (measure.Sample, error) {
	// The change log must hold a change of every route (the default
	// keeps 65536).
	db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name), ipdb.WithChangeLog(2*routes+1024))
	if err != nil {
		return measure.Sample{}, err
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return measure.Sample{}, err
	}
	rev := db.Revision()
	w1, w2 := 1+round, 1
	group := fmt.Sprintf("1,%d/2,%d", w1, w2)
	start := time.Now()
	if err := ns.IP(ctx, "nexthop", "replace", "id", "100001", "group", group); err != nil {
		return measure.Sample{}, err
	}
	for {
		if done(db, uint8(w1-1)) {
			break
		}
		if time.Since(start) > time.Minute {
			return measure.Sample{}, fmt.Errorf("the cache did not show the replaced group in a minute")
		}
		select {
		case <-ctx.Done():
			return measure.Sample{}, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	wall := time.Since(start)
	// Count what the database delivered for the replace (and nothing
	// else happens in the namespace meanwhile).
	time.Sleep(200 * time.Millisecond)
	changes, _, _, err := db.ChangesSince(rev, 0)
	if err != nil {
		return measure.Sample{}, err
	}
	events := 0
	for _, c := range changes {
		if c.Kind == netlink.KindRoute {
			events++
		}
	}
	return measure.Sample{Wall: wall, Objects: events, LiveBytes: -1}, nil
}

// done reports whether every route over a nexthop object in db has its
// first hop's weight-1 equal to hops.
func done(db *ipdb.DB, hops uint8) bool {
	n := 0
	for r := range db.Snapshot().Routes() {
		if r.Extra == nil || r.Extra.NHID == 0 {
			continue
		}
		if len(r.Multipath) == 0 || r.Multipath[0].Hops != hops {
			return false
		}
		n++
	}
	return n > 0
}
