// Command ipdb shows, watches and changes a network namespace's links,
// addresses, routes, neighbours and rules through an ipdb cache.
//
//	ipdb [--netns NAME] show [links|addrs|routes|neigh|rules] [-o table|json]
//	ipdb [--netns NAME] monitor [-o text|json]
//	ipdb [--netns NAME] lookup ADDR [--table N] [--from ADDR]
//	ipdb [--netns NAME] apply -f state.yaml [--dry-run] [--timeout D]
//	ipdb [--netns NAME] serve --listen 127.0.0.1:PORT
//
// JSON output uses the field names of `ip -j`. Reading needs no privileges;
// apply needs CAP_NET_ADMIN.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
