//go:build linux

package main

import (
	"fmt"
	"strings"

	"github.com/ipdb-go/ipdb/bench/internal/results"
)

// Contenders of the report that targets refer to (the others are in
// routedump.go, coldsync.go and apply.go).
const (
	rowShowRoutes       = "ipdb show routes"
	rowIPShowRoutes     = "ip route show table all (-4, -6)"
	rowShowRoutesJSON   = "ipdb show routes -o json"
	rowIPShowRoutesJSON = "ip -j route show table all (-4, -6)"
	rowIPBatch          = "ip -batch route add"
	rowTxnCommit        = "txn Commit"
	rowTxnPlan          = "txn Plan of present routes"
	rowIdleDefault      = "ipdb, default refresh (2 s)"
	settledSuffix       = ", settled"
)

// targetsFor returns the targets of the issues for a report row (none for
// a row without one): the same targets as the subcommands' checks, each
// on the row whose median it is about. A target the issue set at 1M routes
// is evaluated at every size, and says so.
func targetsFor(row *results.Row) []results.Target {
	at1M := ""
	if row.N < targetRoutes {
		at1M = ", set at 1M routes"
	}
	switch row.Scenario {
	case sc1:
		if row.Group == "" && row.Contender == rowOurs {
			return []results.Target{
				{Text: "at most 1.3x " + rowIP + " (issue 2)", AtMost: true, Limit: 1.3, Of: rowIP},
				{Text: "faster than " + rowJsimonetti + " (issue 2)", AtMost: true, Limit: 1, Of: rowJsimonetti},
				{Text: "faster than " + rowVish + " (issue 2)", AtMost: true, Limit: 1, Of: rowVish},
			}
		}
	case sc2:
		switch {
		case row.Group == "" && row.Contender == rowColdSync:
			return []results.Target{{Text: fmt.Sprintf("at most %.1fx %s (issue 3%s)", coldSyncTarget, rowIP, at1M), AtMost: true, Limit: coldSyncTarget, Of: rowIP}}
		case row.Group == "live heap" && row.Contender == rowColdSync:
			return []results.Target{{Text: fmt.Sprintf("at most %d B/route (issue 3%s)", liveHeapTarget, at1M), AtMost: true, Limit: liveHeapTarget}}
		}
	case sc3:
		if row.Contender == rowDecodeApply {
			return []results.Target{{Text: fmt.Sprintf("at least %dk events/s (issue 3)", applyTarget/1000), Limit: applyTarget}}
		}
	case sc5:
		switch {
		case row.Group == "" && row.Contender == rowTxnCommit:
			return []results.Target{{Text: "at most 1.0x " + rowIPBatch + " (issue 5)", AtMost: true, Limit: 1, Of: rowIPBatch}}
		case row.Group == "plan" && row.Contender == rowTxnPlan:
			return []results.Target{{Text: fmt.Sprintf("at most 1 s per 1M routes: %s at N=%d (issue 5)", results.Format(float64(row.N)/1e6, results.Seconds), row.N),
				AtMost: true, Limit: float64(row.N) / 1e6}}
		}
	case sc7:
		switch {
		case row.Group == "routes, text" && row.Contender == rowShowRoutes:
			return []results.Target{{Text: "at most 1.2x " + rowIPShowRoutes + " (issue 11)", AtMost: true, Limit: 1.2, Of: rowIPShowRoutes}}
		case row.Group == "routes, JSON" && row.Contender == rowShowRoutesJSON:
			return []results.Target{{Text: "at most 1.2x " + rowIPShowRoutesJSON + " (issue 11)", AtMost: true, Limit: 1.2, Of: rowIPShowRoutesJSON}}
		}
	case sc8:
		if row.Contender == rowIdleDefault+settledSuffix {
			return []results.Target{{Text: fmt.Sprintf("at most %.1f %% of one core (issue 10)", idleTarget), AtMost: true, Limit: idleTarget}}
		}
	case sc9:
		if row.Group == "p99" && strings.HasSuffix(row.Contender, " subscribers, quiet") {
			return []results.Target{{Text: "p99 at most 1 ms (issue 4)", AtMost: true, Limit: watchLatTarget.Seconds()}}
		}
	}
	return nil
}

// setTargets sets every row's targets (again: a report read back from an
// older results.json gets today's).
func setTargets(rep *results.Report) {
	for _, row := range rep.Rows {
		row.Targets = targetsFor(row)
	}
}

// printTargets prints the report's targets to stderr: how many were met,
// and every one missed or not measured. Misses do not change the exit
// status: a report measures, it is not a test.
func printTargets(rep *results.Report) {
	all, misses := rep.Outcomes(), rep.Misses()
	progress("targets: %d of %d met", len(all)-len(misses), len(all))
	for _, o := range misses {
		progress("target %s", o)
	}
}
