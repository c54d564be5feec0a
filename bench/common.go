//go:build linux

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/measure"
	"golang.org/x/sys/unix"
)

// commonFlags are the flags every route benchmark takes.
type commonFlags struct {
	routes    int
	count     int
	prefixLen int
	json      bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&c.routes, "n", 100000, "IPv4 routes to load into the namespace (1000000 for the issue's headline figure)")
	fs.IntVar(&c.count, "count", 3, "runs per contender; best and median are reported")
	fs.IntVar(&c.prefixLen, "len", 32, "prefix length of the loaded destinations, consecutive from 10.0.0.0/8")
	fs.BoolVar(&c.json, "json", false, "print JSON instead of the table")
}

// check validates the flags; its error names the flag and the accepted
// range.
func (c *commonFlags) check() error {
	if err := inRange("len", c.prefixLen, benchns.Base.Bits(), 32); err != nil {
		return err
	}
	if err := atLeast("count", c.count, 1); err != nil {
		return err
	}
	if max := benchns.MaxRoutes(c.prefixLen); c.routes < 1 || c.routes > max {
		return fmt.Errorf("-n %d: must be 1 to %d (the prefixes of length /%d in %v)", c.routes, max, c.prefixLen, benchns.Base)
	}
	return nil
}

// routeEnv is a namespace loaded with routes, and what every subcommand
// needs to know about it.
type routeEnv struct {
	ns   *benchns.NS
	load benchns.LoadStats
	// mainRoutes and allRoutes are the IPv4 routes in the main table and
	// in all tables, as `ip -4 route show table main|all` counts them.
	mainRoutes, allRoutes int
}

// prepareRoutes creates the namespace, wires it (benchns.SetupVeth), loads
// c.routes routes and counts them. Progress goes to stderr. The namespace
// is removed by benchns.CloseAll in main, or by the caller's env.ns.Close.
func prepareRoutes(ctx context.Context, c *commonFlags) (*routeEnv, error) {
	ns, err := benchns.New(ctx)
	if err != nil {
		return nil, err
	}
	if err := ns.SetupVeth(ctx); err != nil {
		return nil, err
	}
	progress("namespace %s: loading %d routes with ip -batch ...", ns.Name, c.routes)
	load, err := ns.LoadRoutes(ctx, c.routes, c.prefixLen)
	if err != nil {
		return nil, err
	}
	progress("loaded in %v (%.0f routes/s)", load.Duration.Round(1e6), load.PerSecond())
	env := &routeEnv{ns: ns, load: load}
	if env.mainRoutes, err = ns.CountRoutes(ctx, "main"); err != nil {
		return nil, err
	}
	if env.allRoutes, err = ns.CountRoutes(ctx, "all"); err != nil {
		return nil, err
	}
	if env.mainRoutes < c.routes {
		return nil, fmt.Errorf("main table has %d routes after loading %d", env.mainRoutes, c.routes)
	}
	return env, nil
}

// addEnvFacts puts the machine and setup facts at the top of a report.
func addEnvFacts(r *measure.Report, c *commonFlags, env *routeEnv) {
	r.Add("routes", "%d loaded (/%d from %v via %s dev %s); IPv4 main table %d, all tables %d",
		c.routes, c.prefixLen, benchns.Base, benchns.Gateway, benchns.Dev, env.mainRoutes, env.allRoutes)
	r.Add("load", "ip -batch: %v, %.0f routes/s", env.load.Duration.Round(1e6), env.load.PerSecond())
	r.Add("runs", "%d per contender, interleaved round by round", c.count)
	var uts unix.Utsname
	unix.Uname(&uts)
	r.Add("machine", "%s, %d CPUs, kernel %s, %s", cpuModel(), runtime.NumCPU(), unix.ByteSliceToString(uts.Release[:]), runtime.Version())
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func writeReport(w io.Writer, r *measure.Report, asJSON bool) error {
	if asJSON {
		return r.WriteJSON(w)
	}
	return r.WriteTable(w)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
