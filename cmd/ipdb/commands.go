package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// The subcommands. Each builds its cobra.Command from the kind table
// (kinds.go) where it names objects, so that a kind added there is shown,
// completed and monitored without a change here.

func (c *cli) showCommand() *cobra.Command {
	var o showOpts
	cmd := &cobra.Command{
		Use: "show [OBJECT [SELECTOR VALUE]...]",
		// ip's abbreviations: `ip route s` and `ip addr sh` are show.
		Aliases: []string{"s", "sh", "sho", "list", "lst"},
		Short:   "print the current state, read from the kernel",
		Long: `show prints the namespace's tables, read from the kernel (no cache), as
aligned columns or, with -j, as ip -j prints them.

OBJECT is one of ` + objectHelp() + `,
or a prefix that names one of them; ip's short words work (show r is show route,
show ru is show rule). Without OBJECT, every table.

Selectors, as ip takes them after the object:
` + selectorHelp() + `
-4 and -6 keep one family (addresses, routes, neighbours, rules). ipdb shows
both families and all routing tables where ip shows IPv4 and the main table:
ipdb show route is ip route show table all plus ip -6 route show table all,
then the MPLS routes (as ip route show table all lists them). -M, or -f mpls
(-f inet and -f inet6 are -4 and -6), keeps MPLS routes only: ipdb show
route -M is ip -f mpls route show.

--all-netns (-a) shows every named namespace (under /run/netns) and the
current one ("current"), as ip -all netns exec ip ... does for the named
ones: each table once, a NETNS column first, in JSON the key "netns" first
in every object. A selector applies in each namespace.`,
		Example: `  ipdb show                           # every table
  ipdb show r                         # routes (all tables, both families)
  ipdb show route table 100 dev br0   # ip route show table 100 dev br0
  ipdb -4 show addr dev v0            # ip -4 addr show dev v0
  ipdb show neigh dev v0 nud permanent
  ipdb -j -p show link br0            # ip -j -p -d link show br0
  ipdb show routes -d -o json         # ip -j -d route show table all
  ipdb -a show link dev eth0          # eth0 of every namespace that has one
  ipdb show route -f mpls dev v0      # ip -f mpls route show dev v0`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: c.completeShow,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("family") {
				return c.g.setFamily(o.family)
			}
			return nil
		},
		RunE: c.run("jpd46aMbrs", func(e *env, cmd *cobra.Command, args []string) int {
			o.formatChanged = cmd.Flags().Changed("output")
			return runShow(e, o, args)
		}),
	}
	cmd.Flags().StringVarP(&o.format, "output", "o", "table", "output `format`: table or json (json is -j)")
	cmd.Flags().StringVarP(&o.family, "family", "f", "", "address `family`: inet, inet6 or mpls (ip -f; as -4, -6, -M)")
	_ = cmd.RegisterFlagCompletionFunc("family", fixedWords("inet", "inet6", "mpls"))
	_ = cmd.RegisterFlagCompletionFunc("output", fixedWords("table", "json"))
	return cmd
}

func (c *cli) monitorCommand() *cobra.Command {
	var o monitorOpts
	cmd := &cobra.Command{
		Use:   "monitor [OBJECT...|all] [dev NAME]",
		Short: "print changes as they happen, in ip monitor's words",
		Long: `monitor prints each change of the namespace as it happens, one line each, in
ip monitor's words with link names, until interrupted; -j prints one JSON
object a line ({"op","kind","rev","old","new"}, objects as show -j prints them).

OBJECT chooses kinds as ip monitor's objects do: ` + objectHelp() + `
(or a prefix); none or all is every kind. -4 and -6 keep one family (links and
FDB entries, which have none, pass). dev NAME keeps the changes of that link
as ip monitor's does: the link, its addresses and neighbours, the routes out
of it (rules and nexthop objects pass).

--all-netns (-a) follows every named namespace and the current one as they
come and go: a "netns: NAME" line (ip -all netns exec's header) comes
before each run of lines of one namespace; a namespace that appears prints
its objects as adds, one that goes away as deletes. JSON lines get "netns"
first.`,
		Example: `  ipdb monitor                   # every change
  ipdb monitor link route        # links and routes only
  ipdb monitor addr dev v0       # addresses of v0 (ip monitor address dev v0)
  ipdb -n blue -j monitor neigh  # neighbours of netns blue, as JSON lines
  ipdb -a monitor link           # links of every namespace`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeKinds,
		RunE: c.run("jp46a", func(e *env, cmd *cobra.Command, args []string) int {
			o.formatChanged = cmd.Flags().Changed("output")
			return runMonitor(e, o, args)
		}),
	}
	cmd.Flags().StringVarP(&o.format, "output", "o", "text", "output `format`: text or json (json is -j)")
	_ = cmd.RegisterFlagCompletionFunc("output", fixedWords("text", "json"))
	return cmd
}

func (c *cli) lookupCommand() *cobra.Command {
	var o lookupOpts
	cmd := &cobra.Command{
		Use:   "lookup ADDR [--from ADDR] [--iif DEV] [--oif DEV] [--mark N] [--table ID] ...",
		Short: "the route the cache picks for an address (ip route get ... fibmatch)",
		Long: `lookup answers from the cache, without asking the kernel, what
ip route get ADDR ... fibmatch answers with the same selectors: it walks the
rules in priority order as the kernel does and returns the longest-prefix match
of the first table a rule accepts. A blackhole, unreachable or prohibit answer
is an error with the kernel's reason (exit 1). ip route get's words work as
the flags: to, from, iif, oif, mark, uid, ipproto, sport, dport, tos (dsfield),
table, and fibmatch (which lookup always is).`,
		Example: `  ipdb lookup 198.51.100.7
  ipdb lookup 198.51.100.7 --from 192.0.2.1 --mark 0x10 -j
  ipdb lookup 198.51.100.7 from 192.0.2.1 mark 0x10   # ip route get's words
  ipdb lookup 2001:db8::7 --table 100`,
		Args: cobra.ArbitraryArgs,
		RunE: c.run("jp46", func(e *env, cmd *cobra.Command, args []string) int {
			o.formatChanged = cmd.Flags().Changed("output")
			return runLookup(e, o, args)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.table, "table", "", "look up this `table` only (number, main, local or default); default: walk the rules")
	f.StringVar(&o.from, "from", "", "source `address` (ip's from)")
	f.StringVar(&o.iif, "iif", "", "input `interface`: route a packet received there (default: a locally generated one)")
	f.StringVar(&o.oif, "oif", "", "output `interface`")
	f.StringVar(&o.mark, "mark", "", "firewall `mark` (decimal or 0x hex)")
	f.StringVar(&o.uid, "uid", "", "`uid` of the sending socket (default: this process's for a local packet)")
	f.StringVar(&o.ipproto, "ipproto", "", "transport `protocol`: tcp, udp, icmp, ipv6-icmp, gre, sctp, dccp, udplite or a number")
	f.StringVar(&o.sport, "sport", "", "source `port`")
	f.StringVar(&o.dport, "dport", "", "destination `port`")
	f.StringVar(&o.tos, "tos", "", "`tos` byte or IPv6 traffic class (decimal or 0x hex)")
	f.StringVarP(&o.format, "output", "o", "text", "output `format`: text or json (json is -j)")
	_ = cmd.RegisterFlagCompletionFunc("iif", c.completeLinks)
	_ = cmd.RegisterFlagCompletionFunc("oif", c.completeLinks)
	_ = cmd.RegisterFlagCompletionFunc("table", c.completeTables)
	_ = cmd.RegisterFlagCompletionFunc("ipproto", fixedWords("tcp", "udp", "icmp", "ipv6-icmp", "gre", "sctp", "dccp", "udplite"))
	_ = cmd.RegisterFlagCompletionFunc("output", fixedWords("text", "json"))
	return cmd
}

func (c *cli) applyCommand() *cobra.Command {
	var o applyOpts
	cmd := &cobra.Command{
		Use:   "apply -f FILE [--dry-run] [--detailed-exitcode] [--timeout D] [-q]",
		Short: "make the state of a YAML file true, transactionally",
		Long: `apply reads a state file (see the README), prints the plan (+ create,
~ modify with each attribute as old -> new, - remove; every attribute it sets)
and commits it in dependency order, verified through the cache and rolled back
completely on any error or on --timeout. Writing needs CAP_NET_ADMIN.

Exit status: 0 success, 1 bad input or nothing applied, 2 bad command line,
4 failed and rolled back, 5 failed and the rollback did not restore everything.
With --detailed-exitcode (terraform's): 0 nothing to do, 2 changes planned or
applied, 1 any error; 4 and 5 as above.`,
		Example: `  ipdb apply -f state.yaml --dry-run   # print the plan only
  ipdb -n blue apply -f state.yaml
  ipdb apply -f - < state.yaml         # the file on standard input`,
		Args: cobra.ArbitraryArgs,
		RunE: c.run("", func(e *env, cmd *cobra.Command, args []string) int {
			return runApply(e, o, args)
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "state `file` (YAML; - for standard input)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "give up and roll back after this `duration`")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors (the exit status tells what happened)")
	f.BoolVar(&o.detailed, "detailed-exitcode", false, "exit 0 when there is nothing to do, 2 when changes were planned or applied, 1 on any error")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
	return cmd
}

func (c *cli) serveCommand() *cobra.Command {
	var o serveOpts
	cmd := &cobra.Command{
		Use:   "serve [--listen unix:PATH|127.0.0.1:PORT] [--max-watchers N]",
		Short: "the cache over HTTP, on a Unix socket (recommended) or loopback",
		Long: `serve offers the cache over HTTP: /v1/TABLE (` + strings.Join(servePaths(), ", ") + `)
as show -j prints it, /v1/watch (events as monitor -j), /healthz and /metrics.

The server has no authentication. --listen unix:PATH, the recommended way,
creates a Unix socket of mode 0600, so the file system decides who may connect
(its owner and root); it is removed on exit, and a socket a live server holds
is never replaced. A TCP address must be loopback, where every local user can
connect.

--all-netns (-a) serves every named namespace and the current one, followed
as they come and go: every object gets "netns" first; /v1/netns lists the
namespaces, /v1/netns/NAME/TABLE is one namespace's table, and ?netns=A,B
selects namespaces on /v1/TABLE and /v1/watch.`,
		Example: `  ipdb serve --listen unix:/run/ipdb.sock
  curl --unix-socket /run/ipdb.sock http://ipdb/v1/routes
  ipdb -n blue serve --listen 127.0.0.1:9464
  ipdb -a serve --listen unix:/run/ipdb.sock   # then GET /v1/netns, /v1/netns/blue/routes`,
		Args: cobra.ArbitraryArgs,
		RunE: c.run("a", func(e *env, cmd *cobra.Command, args []string) int {
			return runServe(e, o, args)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:9464", "where to listen: `unix:PATH` (mode 0600, recommended) or a loopback address:port")
	f.IntVar(&o.maxWatch, "max-watchers", 1024, "most concurrent /v1/watch streams")
	return cmd
}

// objectHelp lists the objects show and monitor take, from the kind table.
func objectHelp() string {
	var parts []string
	for i := range commandKinds {
		parts = append(parts, strings.Join(commandKinds[i].names(), "|"))
	}
	return strings.Join(parts, ", ")
}

// selectorHelp lists the selectors and the objects that take each.
func selectorHelp() string {
	var b strings.Builder
	for _, s := range selectors {
		var objs []string
		for i := range commandKinds {
			for _, w := range commandKinds[i].selectors {
				if w == s.word {
					objs = append(objs, commandKinds[i].table)
				}
			}
		}
		b.WriteString("  " + s.word + " " + s.value + strings.Repeat(" ", max(1, 14-len(s.word)-len(s.value))) + s.help + " (" + strings.Join(objs, ", ") + ")\n")
	}
	var bare []string
	for i := range commandKinds {
		if commandKinds[i].bareDev {
			bare = append(bare, commandKinds[i].table)
		}
	}
	if len(bare) > 0 {
		b.WriteString("  NAME" + strings.Repeat(" ", 11) + "as dev NAME (" + strings.Join(bare, ", ") + ": ip link show br0)\n")
	}
	return b.String()
}
