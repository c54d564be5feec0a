// Command ipdb shows, watches and changes a network namespace's links,
// addresses, routes, neighbours, rules and bridge FDB entries through an
// ipdb cache.
//
//	ipdb [--netns NAME] show [links|addrs|routes|neigh|rules|fdb] [-o table|json]
//	ipdb [--netns NAME] monitor [-o text|json]
//	ipdb [--netns NAME] lookup ADDR [--from ADDR] [--iif DEV] [--oif DEV] [--mark N]
//	     [--uid N] [--ipproto P] [--sport N] [--dport N] [--tos N] [--table N]
//	ipdb [--netns NAME] apply -f state.yaml [--dry-run] [--detailed-exitcode] [--timeout D]
//	ipdb [--netns NAME] serve --listen 127.0.0.1:PORT
//
// JSON output uses the field names of `ip -j`. Reading needs no privileges;
// apply needs CAP_NET_ADMIN.
//
// # Exit status
//
// 0 success, 1 an error (bad input, a missing namespace, a refused or
// conflicting plan: nothing applied), 2 a bad command line. apply adds 4
// (failed, rolled back: the namespace is as before) and 5 (failed, and the
// rollback did not restore everything). apply's success is 0 whether or
// not anything changed; with --detailed-exitcode it follows terraform:
// 0 nothing to do, 2 changes planned (--dry-run) or applied, 1 any error
// including the command line, and 4 and 5 as above.
//
// # Structure
//
// run parses the command line and returns the exit status, writing only to
// the stdout and stderr it is given, so that tests run it in-process. Each
// subcommand lives in its own file (show.go, monitor.go, lookup.go,
// apply.go with applyfile.go, serve.go); json.go renders objects as `ip -j`
// does and table.go as aligned columns; fdb.go renders FDB entries as
// `bridge -j fdb show` and `bridge monitor fdb` do.
package main
