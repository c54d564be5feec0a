package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// tables are the names show, serve and the JSON renderer know, in the order
// `show` prints them: the table names of the command's kind table.
var tables = tableNames()

// runShow prints the current state: one table, or all of them.
func runShow(e *env, args []string) int {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	format := fs.String("o", "table", "output `format`: table or json")
	details := fs.Bool("d", false, "routes as `ip -j -d route show`: type, table, protocol and scope always, the nexthop object as nh_info (JSON; links and nexthops always have ip's details)")
	pos, ok := e.parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(e.stderr, "ipdb show: unknown output format %q (want table or json)\n", *format)
		return exitUsage
	}
	want := tables
	if len(pos) > 1 {
		fmt.Fprintf(e.stderr, "ipdb show: too many arguments: %s\n", strings.Join(pos, " "))
		return exitUsage
	}
	if len(pos) == 1 {
		k := commandKindOfWord(pos[0])
		if k == nil {
			fmt.Fprintf(e.stderr, "ipdb show: unknown table %q (want %s)\n", pos[0], orList(tables))
			return exitUsage
		}
		want = []string{k.table}
	}
	if *details && (len(want) != 1 || want[0] != "routes") {
		fmt.Fprintln(e.stderr, "ipdb show: -d is for show routes (links and nexthops always print ip's details; ip -d adds nothing ipdb prints to the other tables)")
		return exitUsage
	}
	for _, t := range want {
		if k := commandKindOfTable(t); k == nil || k.dumpJSON == nil || k.dumpRows == nil {
			return showFromCache(e, want, *format)
		}
	}
	c, err := netlink.Dial(&netlink.Config{NetNS: e.netns, MaxDumpRetries: -1})
	if err != nil {
		return e.fail("show", err)
	}
	defer c.Close()
	d := &dumpShow{ctx: e.ctx, c: c, stderr: e.stderr, details: *details}
	if err := d.write(e.stdout, want, *format); err != nil {
		return e.fail("show", err)
	}
	return exitOK
}

// showFromCache prints tables that have no dump renderer from a synced
// cache.
func showFromCache(e *env, want []string, format string) int {
	db, err := e.open()
	if err != nil {
		return e.fail("show", err)
	}
	defer db.Close()
	if err := writeShow(e.stdout, db.Snapshot(), want, format); err != nil {
		return e.fail("show", err)
	}
	return exitOK
}

// writeShow writes the tables of one snapshot. JSON for one table is ip's
// array; for several, an object with one array per table.
func writeShow(w io.Writer, s *ipdb.Snapshot, want []string, format string) error {
	if format == "json" {
		return writeJSONTo(w, func(j *jsonOut) {
			if len(want) == 1 {
				writeSnapshotTable(j, s, want[0])
				return
			}
			j.openObject("")
			for _, t := range want {
				j.key(t)
				j.comma = false
				writeSnapshotTable(j, s, t)
			}
			j.closeObject()
		})
	}
	tw := newTableOut(w)
	for i, t := range want {
		if len(want) > 1 {
			if i > 0 {
				tw.line("")
			}
			tw.line(t + ":")
		}
		writeSnapshotRows(tw, s, t)
	}
	return tw.flush()
}

// dumpShow prints tables straight from kernel dumps, as ip does: no cache,
// and routes are rendered as they arrive, so that a million of them need
// neither a copy in memory nor more than one route decoded at a time.
type dumpShow struct {
	ctx    context.Context
	c      *netlink.Conn // with MaxDumpRetries -1: a repeated route dump would print routes twice
	stderr io.Writer

	links []*netlink.Link
	names *linkNames
	// details prints routes as ip -d does (routeDetails).
	details bool
}

// dumpRetries bounds the repetitions of an interrupted dump of a small
// table, which is collected before it is printed.
const dumpRetries = 5

func retryDump[T any](fn func() ([]T, error)) ([]T, error) {
	for i := 0; ; i++ {
		v, err := fn()
		if err == nil || i >= dumpRetries || !errors.Is(err, netlink.ErrDumpInterrupted) {
			return v, err
		}
	}
}

// loadLinks dumps the links once: every table needs their names.
func (d *dumpShow) loadLinks() error {
	if d.names != nil {
		return nil
	}
	links, err := retryDump(func() ([]*netlink.Link, error) { return d.c.Links(d.ctx, nil) })
	if err != nil {
		return err
	}
	d.links = links
	d.names = newLinkNames(nil)
	for _, l := range links {
		d.names.add(l)
	}
	return nil
}

func (d *dumpShow) write(w io.Writer, want []string, format string) error {
	if err := d.loadLinks(); err != nil {
		return err
	}
	if format == "json" {
		j := newJSONOut(w)
		if len(want) == 1 {
			if err := d.writeJSON(j, want[0]); err != nil {
				return err
			}
		} else {
			j.openObject("")
			for _, t := range want {
				j.key(t)
				j.comma = false
				if err := d.writeJSON(j, t); err != nil {
					return err
				}
			}
			j.closeObject()
		}
		j.newline()
		return j.flush()
	}
	tw := newTableOut(w)
	for i, t := range want {
		if len(want) > 1 {
			if i > 0 {
				tw.line("")
			}
			tw.line(t + ":")
		}
		if err := d.writeRows(tw, t); err != nil {
			return err
		}
	}
	return tw.flush()
}

// routes streams the IPv4 and IPv6 routes of all tables, in the kernel's
// order (one AF_UNSPEC dump, as `ip route show table all`). An interrupted
// dump is not repeated, since what was printed cannot be taken back; like
// ip, show then warns on stderr that the output may be inconsistent.
func (d *dumpShow) routes(fn func(*netlink.Route) error) error {
	err := d.c.RouteDump(d.ctx, nil, func(r *netlink.Route) error {
		if !showRoute(r) || r.Flags&unix.RTM_F_CLONED != 0 {
			return nil
		}
		return fn(r)
	})
	if errors.Is(err, netlink.ErrDumpInterrupted) {
		fmt.Fprintln(d.stderr, "ipdb show: the route dump was interrupted by concurrent changes and may be inconsistent")
		return nil
	}
	return err
}

// addrsByLink dumps the addresses and groups them by link, in the
// kernel's order (as ip addr does).
func (d *dumpShow) addrsByLink() (map[int][]*netlink.Addr, error) {
	addrs, err := retryDump(func() ([]*netlink.Addr, error) { return d.c.Addrs(d.ctx, nil) })
	if err != nil {
		return nil, err
	}
	by := map[int][]*netlink.Addr{}
	for _, a := range addrs {
		by[a.Index] = append(by[a.Index], a)
	}
	return by, nil
}

// neighs returns the ARP and NDP entries (`ip neigh show nud all`; the
// dump has no proxy entries, which ip lists only with `ip neigh show
// proxy`).
func (d *dumpShow) neighs() ([]*netlink.Neigh, error) {
	return retryDump(func() ([]*netlink.Neigh, error) { return d.c.Neighs(d.ctx, nil) })
}

// fdbs returns the FDB entries in the kernel's order (`bridge fdb show`).
func (d *dumpShow) fdbs() ([]*netlink.FDB, error) {
	return retryDump(func() ([]*netlink.FDB, error) { return d.c.FDBs(d.ctx, nil) })
}

// rules returns the IPv4 rules, then the IPv6 ones.
func (d *dumpShow) rules() ([]*netlink.Rule, error) {
	var out []*netlink.Rule
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		rs, err := retryDump(func() ([]*netlink.Rule, error) {
			return d.c.Rules(d.ctx, &netlink.RuleFilter{Family: fam})
		})
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// writeJSON writes one table from a dump as ip's JSON array.
func (d *dumpShow) writeJSON(j *jsonOut, table string) error {
	j.openArray("")
	if k := commandKindOfTable(table); k != nil {
		if err := k.dumpJSON(d, j); err != nil {
			return err
		}
	}
	j.closeArray()
	j.maybeFlush()
	return j.err()
}

// writeRows writes one table from a dump as aligned rows.
func (d *dumpShow) writeRows(tw *tableOut, table string) error {
	if k := commandKindOfTable(table); k != nil {
		if err := k.dumpRows(d, tw); err != nil {
			return err
		}
	}
	tw.endTable()
	return tw.err()
}

// Each kind's table from a dump, as JSON and as rows (rows of the command's
// kind table, kinds.go).

func (d *dumpShow) linksJSON(j *jsonOut) error {
	for _, l := range d.links {
		writeLink(j, l, d.names)
	}
	return nil
}

func (d *dumpShow) linksRows(tw *tableOut) error {
	linkRowsHeader(tw)
	for _, l := range d.links {
		linkRow(tw, l, d.names)
	}
	return nil
}

func (d *dumpShow) addrsJSON(j *jsonOut) error {
	by, err := d.addrsByLink()
	if err != nil {
		return err
	}
	for _, l := range d.links {
		writeAddrLink(j, l, d.names, by[l.Index])
	}
	return nil
}

func (d *dumpShow) addrsRows(tw *tableOut) error {
	by, err := d.addrsByLink()
	if err != nil {
		return err
	}
	addrRowsHeader(tw)
	for _, l := range d.links {
		for _, a := range by[l.Index] {
			addrRow(tw, a, d.names)
		}
	}
	return nil
}

func (d *dumpShow) routesJSON(j *jsonOut) error {
	var rd *routeDetails
	if d.details {
		// nh_info: the nexthop objects, dumped before the routes (ip
		// asks for each id it meets, ipnh_cache).
		ns, err := d.nexthops()
		if err != nil {
			return err
		}
		byID := make(map[uint32]*netlink.Nexthop, len(ns))
		for _, n := range ns {
			byID[n.ID] = n
		}
		rd = &routeDetails{nexthop: func(id uint32) *netlink.Nexthop { return byID[id] }}
	}
	return d.routes(func(r *netlink.Route) error {
		writeRouteDetails(j, r, d.names, rd)
		j.maybeFlush()
		return j.err()
	})
}

func (d *dumpShow) routesRows(tw *tableOut) error {
	routeRowsHeader(tw)
	return d.routes(func(r *netlink.Route) error {
		routeRow(tw, r, d.names)
		return tw.err()
	})
}

func (d *dumpShow) neighsJSON(j *jsonOut) error {
	ns, err := d.neighs()
	if err != nil {
		return err
	}
	for _, n := range ns {
		if showNeigh(n) {
			writeNeigh(j, n, d.names)
		}
	}
	return nil
}

func (d *dumpShow) neighsRows(tw *tableOut) error {
	ns, err := d.neighs()
	if err != nil {
		return err
	}
	neighRowsHeader(tw)
	for _, n := range ns {
		if showNeigh(n) {
			neighRow(tw, n, d.names)
		}
	}
	return nil
}

func (d *dumpShow) rulesJSON(j *jsonOut) error {
	rs, err := d.rules()
	if err != nil {
		return err
	}
	for _, r := range rs {
		writeRule(j, r)
	}
	return nil
}

func (d *dumpShow) rulesRows(tw *tableOut) error {
	rs, err := d.rules()
	if err != nil {
		return err
	}
	ruleRowsHeader(tw)
	for _, r := range rs {
		ruleRow(tw, r)
	}
	return nil
}

func (d *dumpShow) fdbsJSON(j *jsonOut) error {
	fs, err := d.fdbs()
	if err != nil {
		return err
	}
	for _, f := range fs {
		writeFDB(j, f, d.names)
	}
	return nil
}

func (d *dumpShow) fdbsRows(tw *tableOut) error {
	fs, err := d.fdbs()
	if err != nil {
		return err
	}
	fdbRowsHeader(tw)
	for _, f := range fs {
		fdbRow(tw, f, d.names)
	}
	return nil
}
