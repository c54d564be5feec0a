// Command ipdb shows, watches and changes a network namespace's links,
// addresses, routes, neighbours, rules, bridge FDB entries, nexthop
// objects and traffic control objects (qdiscs, classes, filters) through
// an ipdb cache.
//
//	ipdb [-n NETNS|-a] [-j [-p]] [-d] [-4|-6|-M] [-br] [-s] show [OBJECT [SELECTOR VALUE]...] [-f FAMILY] [-o table|json]
//	ipdb [-n NETNS|-a] [-j [-p]] [-4|-6] monitor [OBJECT...|all] [dev NAME] [-o text|json]
//	ipdb [-n NETNS] [-j [-p]] lookup ADDR [--from ADDR] [--iif DEV] [--oif DEV] [--mark N]
//	     [--uid N] [--ipproto P] [--sport N] [--dport N] [--tos N] [--table N]
//	ipdb [-n NETNS] apply -f state.yaml [--dry-run] [--detailed-exitcode] [--timeout D] [-q]
//	ipdb [-n NETNS] serve [--listen unix:PATH|127.0.0.1:PORT] [--max-watchers N]
//	ipdb help [COMMAND] | ipdb COMMAND --help | ipdb --version
//	ipdb completion bash|zsh|fish
//
// JSON output is what `ip -j` prints (lookup's, ip -j route get's: an
// array of the one route, whose table is the one the kernel's answer
// names, lookup_table.go). Reading needs no privileges; -n
// needs CAP_SYS_ADMIN over the namespace to enter it, and apply needs
// CAP_NET_ADMIN (a failure says which is missing: describe in run.go).
//
// # ip's habits
//
// The command is meant for hands that type ip(8) all day. ip's options
// -n (--netns), -j (--json), -p (--pretty: indented JSON, implies -j),
// -d (--details), -4, -6 and -M (MPLS routes, show only) are global and go
// before or after the command; show also takes ip's -f inet|inet6|mpls.
// So are -br (--brief) and -s (--stats, repeatable) for show link and
// show addr: ip -br's lines and ip -s's stats64 (show_brief.go); -s is
// also tc -s for show qdisc, class and filter (the actions' times and
// counters), -d tc -d for qdiscs, classes and filters (tc.go).
// Objects are named by the kind table's words (kinds.go: the table name,
// its aliases, which include ip's names) or any prefix that names one
// kind; ip's own order of objects decides its short words (ipShort: `ip r`
// is route, rule needs `ip ru`; ip's objects, then bridge's, then tc's,
// so `show f` is bridge's fdb and tc's filters need fi), and a prefix of
// several kinds is refused
// naming them (words.go, resolveKind). show takes ip's selectors after
// the object (select.go): dev NAME (links, addrs, routes, neigh; a bare
// NAME for links and addrs, as `ip link show br0`; a second dev is refused
// as ip refuses it, except for routes, where the last counts), type KIND
// (links; type KIND_slave the ports of a KIND master) and group GROUP
// (links, addrs), table ID (routes; a table the kernel does not have is ip's "FIB
// table does not exist", exit 2), ip route's prefix selectors (a bare
// PREFIX, to or exact PREFIX, root PREFIX, match PREFIX: select_prefix.go),
// nud STATE (neigh, repeatable), master DEV and up (links, addrs), scope
// and label PATTERN (addrs), proto, type, via PREFIX and src PREFIX
// (routes), a bare ADDR[/LEN] or to ADDR[/LEN] (neigh: select_more.go),
// scope, metric|priority|preference N and tos|dsfield TOS (routes), the
// flag words (permanent, dynamic, secondary, primary, tentative, ...) and
// to PREFIX (addrs: select_ip.go; after route or neigh a word that can be
// no prefix is an unknown selector, exit 2 with the list, and a malformed
// prefix gets ip's own "Error: any valid prefix is expected rather than
// ..." and exit status 1), each filtering as ip's own filter does
// (print_linkinfo and ipaddr_filter, filter_nlmsg, print_neigh), and
// leaving out the keys ip leaves out once a selector fixed them (a
// route's dev and table, a neighbour's dev; the link-layer keys of ip
// addr under -4 or -6). ipdb shows both families and every routing table
// where ip defaults to IPv4 and the main table, so `show route table
// 100` is `ip -4 route show table 100` followed by `ip -6 ...`;
// TestSelectorsEqualIP and TestShortcutsEqualIP compare each with ip.
// monitor takes objects the same way to choose kinds (monitor link
// route). An unknown command, object, selector or flag is answered with
// the nearest valid one (didYouMean, by edit distance); help of an unknown
// topic and completion of an unknown shell are such errors too (exit 2).
// ip's abbreviations of show (s, sh, sho, list, lst) are show's aliases.
//
// # Why cobra
//
// Parsing is github.com/spf13/cobra with its github.com/spf13/pflag, the
// library kubectl, gh and docker use: it gives GNU-style flags that may
// follow positional words (`show routes -o json`), persistent (global)
// flags, help and usage with examples on stdout, `help COMMAND`, flag
// error hooks, --version, and completion scripts for bash, zsh and fish
// whose dynamic answers come from this binary (`ipdb __complete ...`).
// The standard library's flag package has none of the last four and stops
// at the first positional word. cobra's own suggestions are off: errors
// are one line on stderr, with exit status 2, and name the nearest word
// themselves. The cobra commands are built from the kind table, so a kind
// added there is shown, selected, monitored and completed with no change
// to the command code (commands.go, complete.go): completion offers its
// words, and link names, routing tables and namespaces from the live
// system (the namespace -n names).
//
// # serve on a Unix socket
//
// `serve --listen unix:PATH` is the recommended way: the server has no
// authentication, and a loopback TCP port is open to every local user,
// where a Unix socket of mode 0600 leaves the decision to the file
// system. The socket is bound in a new 0700 directory beside PATH,
// given mode 0600 there, then hard-linked to PATH (link(2) fails if PATH
// exists, so no live server's socket is ever replaced; one that refuses
// connections is stale and removed first), so no umask and no moment
// exposes it; it is removed on exit if it is still ours (serve_unix.go).
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
//	routes  ip -j route show table all (IPv4, IPv6, then MPLS routes; -M or
//	        show's -f mpls: ip -j -f mpls route show, render_mpls.go)
//	neigh   ip -j neigh show nud all (no proxy entries, no FDB entries)
//	rules   ip -j -4 rule show, then ip -j -6 rule show
//	fdb     bridge -j fdb show
//	nexthops ip -j -d nexthop show (nexthop.go; with -d, as links: scope
//	        and protocol always; routes over a nexthop print its nhid and
//	        the hops the kernel expands, as ip -j route show does)
//	qdiscs  tc -j qdisc show (tc.go; with -d and -s, tc -j -d and tc -j -s;
//	        under `dev X` without "dev", as tc; serve: tc -j -d)
//	classes tc class show's text as JSON (see below)
//	filters tc -j filter show dev X for each link's blocks, with "dev"
//	        added (left out under `dev X`, as tc) and "ingress"/"egress"/
//	        "parent" naming the block, as tc does when no parent is asked;
//	        a shared block's filters under each link bound to it, with
//	        "block": N for the parent (tc's dev X ingress|egress), once
//	        under `block N` (tc -j filter show block N)
//
// The tc tables are tc(8)'s, iproute2 6.1: `show qdisc`, `show class`,
// `show filter` (and qdiscs, classes, filters; q, c and fi as prefixes:
// f is fdb, since ip's objects come first, then bridge's, then tc's, and
// the first match wins as in each tool's own table), with tc's selectors
// and their meanings (tc_select.go): qdisc dev, root, ingress|clsact,
// parent, handle; class dev, classid, root, parent; filter dev or block,
// root|ingress|egress|parent, pref|prio, protocol, chain and handle (read
// and ignored, as tc does); a filter's listing leaves out the keys its
// selectors fix, as tc's. Without a parent, `show filter dev X` lists
// every block of the link, where tc lists the root qdisc's only. -4 and
// -6 are refused. Qdisc and filter options are printed for the
// kinds the netlink package decodes, with tc's keys and values, in its
// order: htb, tbf, pfifo, bfifo, pfifo_fast, prio, fq_codel, fq, netem,
// sfq, cake, ingress, clsact (noqueue and mq have none); u32 (without
// selector offsets), bpf, flower, matchall and basic, with the actions
// gact, mirred, police and bpf (tc_kinds_json.go, tc_kinds_words.go). A
// bpf filter's or action's eBPF program prints as tc's "prog": {"id",
// "name", "tag", "jited"} (-d: "load_time", "created_by_uid", "btf_id"),
// asked of bpf(2) once per id (bpfprog.go); where bpf(2) does not tell
// (no CAP_SYS_ADMIN, program gone) "prog": {"id"} and the kernel's "tag",
// as tc. On a plain ingress qdisc tc labels every filter with the parent
// of the last filter request to reach its block, which the kernel echoes
// in dumps and changes with no notification (even by a failed request);
// show prints the block's own parent. A
// kind netlink keeps as raw bytes has an empty "options" object. -d adds
// tc -d's keys (htb's "ver", tbf's "burst" as "10Kb/1" with "mpu" and
// "linklayer", sfq's "flows", police's "linklayer"); -s adds tc -s's
// "bytes", "packets", "drops", "overlimits", "requeues", ("rate",
// "pps" with an estimator), "backlog", "qlen" and the kind's own
// statistics for fq_codel, fq, sfq and cake (with its tins). serve prints
// qdiscs and filters with -d's keys and without statistics. One key is
// ipdb's: tc 6.1 writes a basic filter's ematch as text in the middle of
// its JSON, which no reader takes; ipdb writes that text as "ematch".
// tc 6.1 prints classes as
// text even with -j, so a class is a JSON object with the keys of that
// text: "class" (the kind), "handle", "dev", "root" (true) or "parent",
// "leaf" (the handle of the qdisc under a leaf class), and for htb "prio",
// "rate" and "ceil" in bytes per second and "burst" and "cburst" in bytes,
// as tc's JSON writes rates and sizes; with -d "quantum", "linklayer",
// an "mpu" after each burst and "level", with -s the statistics as for
// qdiscs and htb's "lended", "borrowed", "giants", "tokens" and
// "ctokens". The table prints one row per tc
// object: the link, then tc's words (`tc class show` after "class"), which
// are also monitor's text (`tc monitor`'s: "qdisc add htb 1: dev v0 root
// r2q 10 default 0x10 ..."). The state file's qdiscs, classes and
// filters sections (state_tc.go) take tc's words and units, a u32 or
// bpf filter's actions too (state_tc_actions.go: "mirred egress redirect dev
// ifb0", "drop", "police rate 1mbit burst 10kb"); a filter entry is the
// whole filter, so one without actions asks for none. See the README's
// state file.
// TestTCShowEqualsTC, TestTCShowDetailsStats, TestTCShowEveryKind (the
// kinds this host lacks, in the full-kernel guest) and TestTCMonitor
// compare with tc.
//
// ipdb adds these keys, which ip never prints, each after ip's keys of the
// same object, so that a diff against ip shows only additions:
//
//	rules[].family                "inet" or "inet6": ip prints one family at a time
//	routes[].metrics[].ipdb_locked  the names of the locked metrics
//	                              (`mtu lock 1400`): ip's JSON prints the
//	                              value ("mtu":1400) and drops the lock
//	TABLE[].netns                 under --all-netns only: the namespace's
//	                              name, the first key of every object (and
//	                              of every monitor and watch event, which
//	                              also get "moved_from" for a link moved
//	                              between two namespaces), so that one
//	                              namespace's objects read as a group
//
// `show routes -d -o json` prints routes as `ip -j -d route show table
// all` does: type, table, protocol and scope always, and a route over a
// nexthop object with its "nh_info" (the nexthop as show nexthops prints
// it). Links and nexthops always print ip -d's details, so -d changes
// nothing there (`ipdb -d show link` is `ip -d link show`); it is refused
// for the other tables, since ip -d adds to addresses the links' details,
// which addrs does not repeat. TestRouteDetailsEqualsIP compares.
//
// Statistics (-s) are printed for links, addresses, qdiscs and classes,
// as ip -s and tc -s print them; other tables refuse -s. TestJSONEqualsIP
// builds a namespace
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
// # Many namespaces: --all-netns
//
// `--all-netns` (-a) makes show, monitor and serve cover every named
// namespace (the namespace files under /run/netns, as `ip netns add`
// makes them) plus the one ipdb runs in, named "current" unless it is one
// of the named ones (ip monitor all-nsid prints "[nsid current]" for it;
// if a different namespace is named "current", it is "current-INODE").
// ip's nearest habit is `ip -all netns exec CMD` (ip's -a is -all), which
// runs CMD in each named namespace in turn and prints "netns: NAME" before
// each one's output; ipdb prints each table once, with all namespaces'
// rows in name order, a NETNS column first (and the key "netns" first in
// JSON). A selector applies in each namespace: `-a show link dev br0`
// shows every namespace's br0, and a dev or table no namespace has is
// ip's error. show dumps each namespace as it dumps one (allnetns.go,
// show_netns.go). monitor and serve follow the namespaces with an
// ipdb.Set, which attaches one when its file appears and detaches it when
// the file goes: monitor prints the "netns: NAME" header before each run
// of lines of one namespace (after an empty line, as ip), the objects of a
// namespace that appears as adds and of one that goes as deletes (JSON:
// "initial": true on the adds), and a link moved between two namespaces as
// its add with "moved from netns NAME". serve keeps its paths, with
// ?netns=A,B on /v1/TABLE and /v1/watch, and adds /v1/netns (ip -j netns
// list's name and id, then path, inode, synced, revision and each table's
// count), /v1/netns/NAME and /v1/netns/NAME/TABLE; /metrics has
// ipdb_namespaces and per-namespace series. Entering a namespace needs
// CAP_SYS_ADMIN over it, the current one included for monitor and serve
// (the set enters each); without it the command says so in one line.
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
// including the command line, and 4 and 5 as above. help, --help and
// --version print on stdout and exit 0.
//
// # Structure
//
// runContext (cli.go) builds the cobra command tree and returns the exit
// status, writing only to the stdout and stderr it is given, so that
// tests run it in-process; commands.go defines each subcommand's flags,
// help and completion, and hands a parsed options struct to its body.
// Each subcommand's body lives in its own file (show.go, monitor.go,
// lookup.go, apply.go with statefile.go and one state_KIND.go per section
// of the state file, serve.go and serve_unix.go); words.go resolves
// object words and prints --version from runtime/debug.ReadBuildInfo,
// select.go holds the selectors, complete.go the dynamic completions and
// pretty.go -p's streaming indenter. json.go and render_link.go render
// objects as `ip -j` does (jsonw.go is the writer, ipnames.go ip's name
// databases), fdb.go FDB entries as `bridge -j fdb show` and `bridge
// monitor fdb` do, nexthop.go nexthop objects as `ip -j -d nexthop show`
// and `ip monitor nexthop` do (and the hops of a route over one for
// lookup), tc.go qdiscs, classes and filters as tc does, table.go as aligned columns and monitor_text.go as ip
// monitor's words. kinds.go is the command's kind table: per object kind,
// show's table name and words (ip's among them, and ip's short word),
// its selectors and filter, the renderers for dumps, snapshots and
// events, monitor's words, the serve path, the watch words, the metric's
// count and the state-file section. show, serve, monitor and completion
// dispatch through it; TestKindTableComplete fails for a kind without a
// row.
package main
