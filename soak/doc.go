// Package soak holds the torture tests of ipdb, run with
// `go test ./soak -run Soak` and the flags of package internal/soak
// (-soak.seed, -soak.duration, -soak.changes, -soak.maxburst,
// -soak.rcvbuf, -soak.leaks) and of this package (-soak.memroutes,
// -soak.memcycles). Their defaults are a short run (10 s of changes per
// soak run, about a minute in all); .ci/run's bounded soak raises
// -soak.duration to 40s (about two minutes). A count or duration below its range (-soak.duration,
// -soak.changes, -soak.maxburst, -soak.leaks, -soak.memroutes and
// -soak.memcycles must be positive, -soak.rcvbuf 0 or more) fails the test
// that uses it, naming the flag and the range, rather than passing having
// checked nothing. A run of TestSoak ends at
// whichever comes first, -soak.duration or -soak.changes (checked after
// each burst, so it overshoots by up to one burst), and each of its two
// sub-runs (the default buffer, then the small one) gets both limits: a
// long run raises both. The small-buffer sub-run uses seed+1: its
// failure prints that seed, and -soak.seed=N reruns it as
// `-run 'TestSoak$/small-buffer' -soak.seed=N-1` with the same other
// flags (the sequence depends on -soak.maxburst, -soak.changes,
// -soak.duration and -soak.rcvbuf too). A long run raises them, e.g.
//
//	go test ./soak -run 'TestSoak$' -timeout 0 -soak.duration=30m -soak.changes=2000000 -soak.maxburst=200000
//	go test ./soak -run TestSoakMemoryChurn -timeout 0 -soak.memroutes=200000 -soak.memcycles=10
//
// The tests:
//   - TestSoak: the differential soak (every table equals ip -j at each
//     checkpoint), the event-stream model (the change log applied to the
//     first snapshot gives each checkpoint's snapshot; no change event
//     without a difference in a compared field) and a quiet pause: no
//     event while `ip monitor` sees none. A pause in which either saw
//     something has its events checked (each about an object ip monitor
//     saw change, or the database reaching what ip -j shows of a change
//     the kernel does not announce; none without a difference) and is made
//     again 2 s later, up to 5 pauses; if none is quiet the test fails.
//     With the default receive buffer and a small one (-soak.rcvbuf) that
//     overflows;
//   - TestSoakLeakOpenClose, TestSoakLeakSubscribe: goroutines, file
//     descriptors and heap stay flat over -soak.leaks Open/Close cycles and
//     10 times as many watch subscriptions;
//   - TestSoakMemoryChurn: the live heap after cycles of deleting and
//     re-adding every route is at most 1.2 times the heap after the sync,
//     plus 4 MiB for the runtime's own (which makes the check loose at
//     CI's 20,000 routes; the figure is 200,000);
//   - TestQuietPauseCheck, TestQuietPauseRetries, TestSoakFlagsRejected:
//     the soak's own checks (the quiet pause's, its retries, the flags'
//     ranges);
//   - TestRepro*: reductions of what the soaks found.
//
// Transactions under fire (TestSoakTxnUnderFire, TestSoakPlanCommitPlan)
// live in package txn, which they need the fault injection of; the
// kernel-free random-action test of the database is TestQuickReplay in
// package ipdb.
//
// On a mismatch a test prints the seed, the checkpoint and the
// differences, and keeps the commands it ran in a log file.
package soak
