// Command ipdb shows, watches and changes a network namespace's links,
// addresses, routes, neighbours, rules and bridge FDB entries through an
// ipdb cache.
//
//	ipdb [--netns NAME] show [links|addrs|routes|neigh|rules|fdb] [-o table|json]
//	ipdb [--netns NAME] monitor [-o text|json]
//	ipdb [--netns NAME] lookup ADDR [--table N] [--from ADDR]
//	ipdb [--netns NAME] apply -f state.yaml [--dry-run] [--timeout D]
//	ipdb [--netns NAME] serve --listen 127.0.0.1:PORT
//
// JSON output uses the field names of `ip -j`. Reading needs no privileges;
// apply needs CAP_NET_ADMIN.
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
