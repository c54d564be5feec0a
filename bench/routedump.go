//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	rtnl "github.com/jsimonetti/rtnetlink/v2"
	mdl "github.com/mdlayher/netlink"
	vnl "github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/measure"
)

// A contender is one way of listing the routes.
type contender struct {
	name string
	what string
	// reference marks the row the ratios are relative to.
	reference bool
	// expected is the route count every run must produce (0: unchecked).
	expected int
	// unavailable, when set, says why the contender is not run.
	unavailable string
	// once measures one run.
	once func(ctx context.Context) (measure.Sample, error)
}

func runRouteDump(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("routedump", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench routedump [flags]\n\nDumps N IPv4 routes from a throwaway namespace with each contender, -count times,\nand prints time, routes/s and allocated bytes per route side by side.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, c.check); err != nil {
		return err
	}
	env, err := prepareRoutes(ctx, &c)
	if err != nil {
		return err
	}
	defer env.ns.Close()

	contenders := routeDumpContenders(env)
	report := &measure.Report{
		Title: fmt.Sprintf("routedump: dump+decode %d IPv4 routes", c.routes),
		Unit:  "route",
		Runs:  c.count,
	}
	addEnvFacts(report, &c, env)
	results := make([]*measure.Result, len(contenders))
	for i, ct := range contenders {
		results[i] = &measure.Result{Name: ct.name, What: ct.what, Reference: ct.reference, Expected: ct.expected, Note: ct.unavailable}
	}
	report.Results = results
	for round := 1; round <= c.count; round++ {
		for i, ct := range contenders {
			res := results[i]
			if ct.unavailable != "" || res.Err != nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			s, err := ct.once(ctx)
			if err != nil {
				res.Err = err
				progress("round %d/%d %-28s error: %v", round, c.count, ct.name, err)
				continue
			}
			res.Samples = append(res.Samples, s)
			progress("round %d/%d %-28s %8v  %d routes", round, c.count, ct.name, s.Wall.Round(time.Millisecond), s.Objects)
		}
	}
	report.Checks = routeDumpTargets(report)
	if err := writeReport(os.Stdout, report, c.json); err != nil {
		return err
	}
	if report.Failed() {
		return errors.New("a contender failed or returned the wrong number of routes (see above)")
	}
	return nil
}

func routeDumpContenders(env *routeEnv) []contender {
	return []contender{
		{
			name:      rowIP,
			what:      "`ip -n NS route show > /dev/null` (main table, formatting included; wall and child CPU)",
			reference: true,
			once:      func(ctx context.Context) (measure.Sample, error) { return ipRouteShow(ctx, env) },
		},
		{
			name:     rowOurs,
			what:     "netlink.Dial(&Config{NetNS: name}); RouteDump(ctx, &RouteFilter{Family: AF_INET}, count) -- streaming, nothing kept",
			expected: env.allRoutes,
			once:     func(ctx context.Context) (measure.Sample, error) { return oursRouteDump(ctx, env) },
		},
		{
			name:     "ipdb/netlink Routes",
			what:     "same Conn, Routes(ctx, &RouteFilter{Family: AF_INET}) -- returns a []*Route, for live B/route",
			expected: env.allRoutes,
			once:     func(ctx context.Context) (measure.Sample, error) { return oursRoutes(ctx, env) },
		},
		{
			name:     rowJsimonetti,
			what:     "rtnetlink.Dial(&netlink.Config{NetNS: fd}); Route.ListMatch(&RouteMessage{Family: AF_INET}) -- returns a slice",
			expected: env.allRoutes,
			once:     func(ctx context.Context) (measure.Sample, error) { return jsimonettiRouteList(env) },
		},
		{
			name:     rowVish,
			what:     "NewHandleAt(netns); RouteListFiltered(AF_INET, &Route{Table: 0}, RT_FILTER_TABLE) (all tables) -- returns a slice",
			expected: env.allRoutes,
			once:     func(ctx context.Context) (measure.Sample, error) { return vishvanandaRouteList(env) },
		},
		{
			name:     rowRawFloor,
			what:     "floor, not a peer: RTM_GETROUTE dump, ReceiveIter counting RTM_NEWROUTE messages, no decoding",
			expected: env.allRoutes,
			once:     func(ctx context.Context) (measure.Sample, error) { return rawRouteDump(env) },
		},
	}
}

// ipRouteShow times `ip -n NS route show > /dev/null`.
func ipRouteShow(ctx context.Context, env *routeEnv) (measure.Sample, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return measure.Sample{}, err
	}
	defer null.Close()
	cmd := env.ns.Command(ctx, "route", "show")
	cmd.Stdout = null
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measure.Sample{}, fmt.Errorf("ip -n %s route show: %w", env.ns.Name, err)
	}
	return measure.Sample{
		Wall:      wall,
		CPU:       measure.ChildCPU(cmd.ProcessState.SysUsage()),
		Objects:   env.mainRoutes, // counted once by prepareRoutes
		LiveBytes: -1,
	}, nil
}

// openNS opens the namespace file; the caller closes it.
func openNS(env *routeEnv) (*os.File, error) {
	return os.Open(env.ns.Path)
}

func jsimonettiRouteList(env *routeEnv) (measure.Sample, error) {
	f, err := openNS(env)
	if err != nil {
		return measure.Sample{}, err
	}
	defer f.Close()
	conn, err := rtnl.Dial(&mdl.Config{NetNS: int(f.Fd())})
	if err != nil {
		return measure.Sample{}, fmt.Errorf("rtnetlink.Dial: %w", err)
	}
	defer conn.Close()
	return measure.Measure(func() (int, any, error) {
		routes, err := conn.Route.ListMatch(&rtnl.RouteMessage{Family: unix.AF_INET})
		if err != nil {
			return 0, nil, fmt.Errorf("Route.ListMatch: %w", err)
		}
		return len(routes), routes, nil
	})
}

func vishvanandaRouteList(env *routeEnv) (measure.Sample, error) {
	h, err := netns.GetFromPath(env.ns.Path)
	if err != nil {
		return measure.Sample{}, err
	}
	defer h.Close()
	handle, err := vnl.NewHandleAt(h, unix.NETLINK_ROUTE)
	if err != nil {
		return measure.Sample{}, fmt.Errorf("netlink.NewHandleAt: %w", err)
	}
	defer handle.Close()
	return measure.Measure(func() (int, any, error) {
		routes, err := handle.RouteListFiltered(unix.AF_INET, &vnl.Route{Table: unix.RT_TABLE_UNSPEC}, vnl.RT_FILTER_TABLE)
		if err != nil {
			return 0, nil, fmt.Errorf("RouteListFiltered: %w", err)
		}
		return len(routes), routes, nil
	})
}

// rawRouteDump is the floor: the same dump through mdlayher/netlink (which
// ipdb/netlink is built on) without decoding anything.
func rawRouteDump(env *routeEnv) (measure.Sample, error) {
	f, err := openNS(env)
	if err != nil {
		return measure.Sample{}, err
	}
	defer f.Close()
	conn, err := mdl.Dial(unix.NETLINK_ROUTE, &mdl.Config{NetNS: int(f.Fd())})
	if err != nil {
		return measure.Sample{}, fmt.Errorf("netlink.Dial: %w", err)
	}
	defer conn.Close()
	return measure.Measure(func() (int, any, error) {
		rtmsg := make([]byte, unix.SizeofRtMsg)
		rtmsg[0] = unix.AF_INET
		req, err := conn.Send(mdl.Message{
			Header: mdl.Header{Type: unix.RTM_GETROUTE, Flags: mdl.Request | mdl.Dump},
			Data:   rtmsg,
		})
		if err != nil {
			return 0, nil, err
		}
		n := 0
		for m, err := range conn.ReceiveIter() { // the whole multi-part reply, streamed
			if err != nil {
				return 0, nil, err
			}
			if m.Header.Sequence != req.Header.Sequence || m.Header.Type != unix.RTM_NEWROUTE {
				continue
			}
			if m.Header.Flags&mdl.DumpInterrupted != 0 {
				return 0, nil, errors.New("dump interrupted")
			}
			if len(m.Data) >= unix.SizeofRtMsg && m.Data[0] == unix.AF_INET && binary.NativeEndian.Uint32(m.Data[8:12])&unix.RTM_F_CLONED == 0 {
				n++
			}
		}
		return n, nil, nil
	})
}

// Row names the targets refer to.
const (
	rowIP         = "ip route show"
	rowOurs       = "ipdb/netlink RouteDump"
	rowJsimonetti = "jsimonetti/rtnetlink/v2"
	rowVish       = "vishvananda/netlink"
	rowRawFloor   = "mdlayher/netlink raw (floor)"
)

// routeDumpTargets evaluates issue 2's benchmark targets for the streaming
// dump: faster than both Go peers in the same run, at most 1.3x the time of
// `ip route show`, at most 200 allocated B/route. Times compare medians
// (best-of-K is in the table too).
func routeDumpTargets(r *measure.Report) []measure.Check {
	ours, ip := r.Find(rowOurs), r.Find(rowIP)
	ok := func(res *measure.Result) bool { return res != nil && res.Err == nil && len(res.Samples) > 0 }
	if !ok(ours) {
		return nil
	}
	var checks []measure.Check
	for _, peer := range []*measure.Result{r.Find(rowJsimonetti), r.Find(rowVish)} {
		if !ok(peer) {
			continue
		}
		checks = append(checks, measure.Check{
			Target: "faster than " + peer.Name,
			Got:    fmt.Sprintf("median %v vs %v (best %v vs %v)", ours.Median().Round(time.Millisecond), peer.Median().Round(time.Millisecond), ours.Best().Round(time.Millisecond), peer.Best().Round(time.Millisecond)),
			OK:     ours.Median() < peer.Median(),
		})
	}
	if ok(ip) {
		ratio := float64(ours.Median()) / float64(ip.Median())
		checks = append(checks, measure.Check{
			Target: "at most 1.3x the time of ip route show",
			Got:    fmt.Sprintf("%.2fx median (%.2fx best)", ratio, float64(ours.Best())/float64(ip.Best())),
			OK:     ratio <= 1.3,
		})
	}
	alloc := ours.AllocPerObject()
	checks = append(checks, measure.Check{
		Target: "at most 200 allocated B/route",
		Got:    fmt.Sprintf("%.0f B/route", alloc),
		OK:     alloc >= 0 && alloc <= 200,
	})
	return checks
}
