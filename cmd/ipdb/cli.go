package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// globalFlags are ip's options, taken before or after the command
// (`ipdb -j show route`, `ipdb show route -j`): -n, -j, -p, -d, -4, -6,
// -M (MPLS routes; show only).
type globalFlags struct {
	netns   string
	json    bool // -j: JSON
	pretty  bool // -p: indented JSON (implies -j)
	details bool // -d
	inet4   bool // -4
	inet6   bool // -6
	// allNetns is --all-netns (-a): every named namespace and the
	// current one (allnetns.go).
	allNetns bool
	mpls     bool // -M (ip's -f mpls)
	brief    bool // -br (-brief): ip's brief lines (show_brief.go)
	stats    int  // -s, repeatable: ip's statistics (show_brief.go)
}

// family is the address family -4, -6 or -M chose, 0 for all.
func (g *globalFlags) family() uint8 {
	switch {
	case g.inet4 && !g.inet6 && !g.mpls:
		return afInet
	case g.inet6 && !g.inet4 && !g.mpls:
		return afInet6
	case g.mpls && !g.inet4 && !g.inet6:
		return afMPLS
	}
	return 0
}

// usageError is a bad command line: exit status 2 (1 for apply
// --detailed-exitcode). Its message is printed as "ipdb: MSG".
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// cli is one run of the command: the streams, the flags and the exit
// status the command chose.
type cli struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	g      globalFlags
	code   int
}

// env returns the subcommands' environment.
func (c *cli) env() *env {
	return &env{ctx: c.ctx, netns: c.g.netns, g: &c.g, stdout: c.stdout, stderr: c.stderr, syncTimeout: 60 * time.Second}
}

// commandNames are the subcommands people run, in help's order.
var commandNames = []string{"show", "monitor", "lookup", "apply", "serve"}

// runContext is the whole command: it parses args with cobra, runs a
// subcommand and returns the exit status, writing only to stdout and
// stderr.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, stdout: stdout, stderr: stderr}
	root := c.root()
	root.SetArgs(ipSingleDashWords(args))
	root.SetOut(stdout)
	root.SetErr(stderr)
	strictHelpAndCompletion(root) // after SetOut: cobra's scripts keep the writer of this moment
	root.SetContext(ctx)
	cmd, err := root.ExecuteC()
	if err == nil {
		return c.code
	}
	name := "ipdb"
	if cmd != nil && cmd != root {
		name = "ipdb " + cmd.Name()
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err))
	if cmd != nil && cmd.Name() == "apply" && detailedExitcode(args) {
		return exitError // terraform's convention: every error is 1
	}
	return exitUsage
}

// detailedExitcode reports whether args ask apply for terraform's exit
// statuses, also when the rest of the line does not parse.
func detailedExitcode(args []string) bool {
	for _, a := range args {
		if a == "--detailed-exitcode" || a == "--detailed-exitcode=true" {
			return true
		}
	}
	return false
}

// root builds the command tree. Every subcommand is a cobra.Command whose
// RunE sets c.code; a bad command line is an error (exit 2).
func (c *cli) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "ipdb [-n NETNS | -a] [-j [-p]] [-d] [-4|-6] COMMAND",
		Short: "show, watch and change a network namespace through an ipdb cache",
		Long: `ipdb shows, watches and changes a network namespace's links, addresses,
routes, neighbours, rules, bridge FDB entries, nexthop objects and tc qdiscs,
classes and filters, in ip(8)'s (and tc(8)'s) words: objects by ip's names or a unique prefix (show r, show addr, show neigh),
selectors as ip takes them (table 100, dev br0, nud permanent), -j and -p for
ip's JSON, -n for the namespace, -a (--all-netns) for every named namespace
and the current one. Reading needs no privileges; apply needs CAP_NET_ADMIN,
and -n and -a need CAP_SYS_ADMIN to enter a namespace.`,
		Example: `  ipdb show                          # every table, as aligned columns
  ipdb show r table 100              # the routes of table 100 (ip route show table 100)
  ipdb -j -p show link dev br0       # ip -j -p -d link show dev br0
  ipdb -n blue monitor link route    # changes of links and routes in netns blue
  ipdb -a show addr                  # the addresses of every namespace
  ipdb lookup 198.51.100.7 --mark 0x10
  ipdb apply -f state.yaml --dry-run
  ipdb serve --listen unix:/run/ipdb.sock`,
		Version:           version(),
		Args:              cobra.ArbitraryArgs,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing command: %s (see ipdb help)", orList(commandNames))
			}
			return usagef("unknown command %q%s (want %s; see ipdb help)", args[0], didYouMean(args[0], commandWords(cmd)), orList(commandNames))
		},
	}
	root.SetVersionTemplate("ipdb {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVarP(&c.g.netns, "netns", "n", "", "network namespace `NAME` (under /run/netns, as ip netns add makes) or path")
	pf.BoolVarP(&c.g.json, "json", "j", false, "JSON output, as ip -j prints it")
	pf.BoolVarP(&c.g.pretty, "pretty", "p", false, "indented JSON (implies -j)")
	pf.BoolVarP(&c.g.details, "details", "d", false, "details, as ip -d: routes with type, table, protocol, scope and nh_info")
	pf.BoolVarP(&c.g.inet4, "ipv4", "4", false, "IPv4 only (addresses, routes, neighbours, rules)")
	pf.BoolVarP(&c.g.inet6, "ipv6", "6", false, "IPv6 only (addresses, routes, neighbours, rules)")
	pf.BoolVarP(&c.g.allNetns, "all-netns", "a", false, "every named network namespace (under /run/netns) and the current one, as ip -all netns exec; show, monitor and serve")
	pf.BoolVarP(&c.g.mpls, "mpls", "M", false, "MPLS routes only (show routes; ip -M, ip -f mpls)")
	pf.BoolVar(&c.g.brief, "brief", false, "ip's brief lines, as ip -br link and ip -br addr (also -br)")
	pf.CountVarP(&c.g.stats, "stats", "s", "statistics, as ip -s link and ip -s addr (-s -s: the error counters too)")
	_ = root.RegisterFlagCompletionFunc("netns", completeNetns)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(c.showCommand(), c.monitorCommand(), c.lookupCommand(), c.applyCommand(), c.serveCommand())
	return root
}

// run adapts a subcommand's body, which returns an exit status, to RunE.
// A subcommand that does not use one of the global options refuses it.
func (c *cli) run(uses string, body func(e *env, cmd *cobra.Command, args []string) int) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		for _, o := range []struct{ name, short string }{
			{"json", "j"}, {"pretty", "p"}, {"details", "d"}, {"ipv4", "4"}, {"ipv6", "6"}, {"all-netns", "a"}, {"mpls", "M"}, {"brief", "br"}, {"stats", "s"},
		} {
			if cmd.Flags().Changed(o.name) && !strings.Contains(uses, o.short) {
				return usagef("-%s is not an option of %s", o.short, cmd.Name())
			}
		}
		if c.g.inet4 && c.g.inet6 {
			return usagef("-4 and -6 exclude each other")
		}
		if c.g.allNetns && c.g.netns != "" {
			return usagef("--all-netns and -n exclude each other")
		}
		if c.g.mpls && (c.g.inet4 || c.g.inet6) {
			return usagef("-M (-f mpls) and -%s exclude each other", map[bool]string{true: "4", false: "6"}[c.g.inet4])
		}
		if c.g.pretty {
			c.g.json = true
		}
		c.code = body(c.env(), cmd, args)
		return nil
	}
}

// commandWords lists the names of cmd's subcommands, help's included, for
// suggestions: not the aliases, whose abbreviations (show's s, sh) would be
// the nearest word to everything.
func commandWords(cmd *cobra.Command) []string {
	var out []string
	for _, s := range cmd.Commands() {
		out = append(out, s.Name())
	}
	return out
}

// flagError names the nearest flag of the command to an unknown one.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var name string
	switch {
	case strings.HasPrefix(msg, "unknown flag: "):
		name = strings.TrimPrefix(strings.TrimPrefix(msg, "unknown flag: "), "--")
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		// unknown shorthand flag: 'x' in -xyz
		if i := strings.Index(msg, " in -"); i >= 0 {
			name = msg[i+len(" in -"):]
		}
	}
	if name == "" {
		return &usageError{msg: msg}
	}
	var flags []string
	seen := func(f *pflag.Flag) { flags = append(flags, f.Name) }
	cmd.Flags().VisitAll(seen)
	cmd.InheritedFlags().VisitAll(seen)
	hint := didYouMean(name, flags)
	if hint != "" {
		hint = strings.Replace(hint, `"`, `"--`, 1)
	}
	return usagef("%s%s (see ipdb%s --help)", msg, hint, helpPath(cmd))
}

// helpPath is " CMD" for a subcommand, "" for ipdb itself.
func helpPath(cmd *cobra.Command) string {
	if cmd.HasParent() {
		return " " + cmd.Name()
	}
	return ""
}

// setFamily sets -4, -6 or -M from ip's -f FAMILY (inet, inet6, mpls).
func (g *globalFlags) setFamily(f string) error {
	switch f {
	case "inet":
		g.inet4 = true
	case "inet6":
		g.inet6 = true
	case "mpls":
		g.mpls = true
	default:
		return usagef("-f %s: want inet, inet6 or mpls", f)
	}
	if n := btoi(g.inet4) + btoi(g.inet6) + btoi(g.mpls); n > 1 {
		return usagef("-f %s and another family (-4, -6, -M) exclude each other", f)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
