// Command ipdb shows, watches and changes a network namespace's links,
// addresses, routes, neighbours, rules, bridge FDB entries and nexthop
// objects through an ipdb cache.
//
//	ipdb [--netns NAME] show [links|addrs|routes|neigh|rules|fdb|nexthops] [-o table|json] [-d]
//	ipdb [--netns NAME] monitor [-o text|json]
//	ipdb [--netns NAME] lookup ADDR [--from ADDR] [--iif DEV] [--oif DEV] [--mark N]
//	     [--uid N] [--ipproto P] [--sport N] [--dport N] [--tos N] [--table N]
//	ipdb [--netns NAME] apply -f state.yaml [--dry-run] [--detailed-exitcode] [--timeout D]
//	ipdb [--netns NAME] serve --listen 127.0.0.1:PORT
//
// JSON output is what `ip -j` prints. Reading needs no privileges; apply
// needs CAP_NET_ADMIN.
//
// # JSON: ip's, plus documented additions
//
// `show TABLE -o json`, `/v1/TABLE` and the objects in monitor and watch
// events are rendered by one renderer (json.go, render_link.go, written to
// a jsonOut) that ports iproute2 6.1's printers: print_linkinfo with -d
// and the link kinds' print_opt (bridge, bridge port, vxlan, macvlan,
// macvtap, tun), print_addrinfo, print_route, print_neigh and print_rule,
// with ip's key names, value formats (hex strings, timers as "%i.%.2i",
// names from /etc/iproute2 and /etc/protocols) and key order, and
// bridge's fdb_print (fdb.go). What ip or bridge prints for each table:
//
//	links   ip -j -d link show
//	addrs   ip -j addr show
//	routes  ip -j route show table all (IPv4 then IPv6)
//	neigh   ip -j neigh show nud all (no proxy entries, no FDB entries)
//	rules   ip -j -4 rule show, then ip -j -6 rule show
//	fdb     bridge -j fdb show
//	nexthops ip -j -d nexthop show (nexthop.go; with -d, as links: scope
//	        and protocol always; routes over a nexthop print its nhid and
//	        the hops the kernel expands, as ip -j route show does)
//
// ipdb adds these keys, which ip never prints, each after ip's keys of the
// same object, so that a diff against ip shows only additions:
//
//	rules[].family                "inet" or "inet6": ip prints one family at a time
//	routes[].metrics[].ipdb_locked  the names of the locked metrics
//	                              (`mtu lock 1400`): ip's JSON prints the
//	                              value ("mtu":1400) and drops the lock
//
// `show routes -d -o json` prints routes as `ip -j -d route show table
// all` does: type, table, protocol and scope always, and a route over a
// nexthop object with its "nh_info" (the nexthop as show nexthops prints
// it). -d is refused for the other tables: links and nexthops always print
// ip -d's details, and ip -d adds to addresses the links' details, which
// addrs does not repeat. TestRouteDetailsEqualsIP compares.
//
// Statistics (-s) are not printed. TestJSONEqualsIP builds a namespace
// with every attribute ip can set on each kind and compares key by key.
//
// # show reads the kernel, not a cache
//
// A one-shot show needs no cache: it dials rtnetlink, dumps the links
// (every table needs their names), and renders each table from its dump,
// in the kernel's order, which is ip's. Routes are rendered as the dump
// delivers them, one at a time, through a buffered writer: a million
// routes take no more memory than ten (about 17 MB of resident set, most
// of it the Go runtime; see bench's show scenario). A route dump that the
// kernel marks interrupted (the table changed during it) is not repeated,
// since what was printed cannot be taken back; as ip does, show then warns
// on stderr that the output may be inconsistent. serve renders the same
// way from a cache snapshot: objects come in the cache's key order, and
// the addresses of a link in the kernel's order as far as the cache knows
// it (IPv4 before IPv6, primaries before secondaries, IPv6 by scope; the
// kernel's insertion order among equals is not kept), FDB entries in the
// order `bridge fdb show` lists them as far as the cache knows it
// (ipdb.Snapshot.FDBListed).
//
// Lifetimes and expiry: the cache keeps an address's lifetimes and a
// route's expiry as deadlines, so serve, monitor and watch events print
// what is left at the moment of rendering (netlink.Addr.Remaining,
// netlink.Route.ExpiresLeft), as ip would then; show prints the values
// of its dump as received. A learned FDB entry's reachable or stale state
// is derived by the kernel from the entry's age at each dump, and no
// notification says when it turns stale: serve prints the state of the
// entry's last notification.
//
// # Tables
//
// The table form aligns its columns by the widths of the first 4096 rows
// of each table (header included), then keeps them: small tables are
// aligned exactly, and a full routing table streams without holding its
// rows; a later cell wider than its column pushes the rest of its row to
// the right by two spaces. Measuring every row first would need all rows
// in memory (or two dumps), which is what made `show routes` slow.
//
// # Monitor text
//
// monitor prints one line per change in ip monitor's words, with link
// names: an add or delete prints the object, a change its identity and
// "word old -> new" for each word that changed. A change only in what ip
// does not print (bridge timers, counters) is left out of the text; -o
// json prints every change.
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
// apply.go with statefile.go and one state_KIND.go per section of the state
// file, serve.go); json.go and render_link.go render objects as `ip -j`
// does (jsonw.go is the writer, ipnames.go ip's name databases), fdb.go FDB
// entries as `bridge -j fdb show` and `bridge monitor fdb` do, nexthop.go
// nexthop objects as `ip -j -d nexthop show` and `ip monitor nexthop` do
// (and the hops of a route over one for lookup), table.go as
// aligned columns and monitor_text.go as ip monitor's words. kinds.go is
// the command's kind table: per object kind, show's table name and words,
// the renderers for dumps, snapshots and events, monitor's words, the serve
// path, the watch words, the metric's count and the state-file section.
// show, serve and monitor dispatch through it; TestKindTableComplete fails
// for a kind without a row.
package main
