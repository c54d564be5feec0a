package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// tables are the names show, serve and the JSON renderer know, in the order
// `show` prints them: the table names of the command's kind table.
var tables = tableNames()

// showOpts are show's own flags.
type showOpts struct {
	format        string // -o
	formatChanged bool
	family        string // -f
}

// runShow prints the current state: one table, or all of them. pos is the
// object (a table name, alias or prefix, resolveKind) and its selectors.
func runShow(e *env, o showOpts, pos []string) int {
	format, ok := e.outputFormat("show", o.format, o.formatChanged, "table", "json")
	if !ok {
		return exitUsage
	}
	want := tables
	sels := map[string]*selection{}
	if len(pos) > 0 {
		k, err := resolveKind(commandKinds, pos[0])
		if err != nil {
			fmt.Fprintf(e.stderr, "ipdb show: %v\n", err)
			return exitUsage
		}
		if e.g.family() == afMPLS && k.table != "routes" {
			fmt.Fprintf(e.stderr, "ipdb show: -M (-f mpls) selects MPLS routes, not %s\n", k.table)
			return exitUsage
		}
		sel, err := parseSelection(k, pos[1:], e.g.family())
		if err != nil {
			var ie *ipError
			if errors.As(err, &ie) {
				fmt.Fprintln(e.stderr, ie.msg) // ip's words and status
				return ie.code
			}
			fmt.Fprintf(e.stderr, "ipdb show: %v\n", err)
			return exitUsage
		}
		if sel.family == afMPLS && sel.prefix.given() {
			fmt.Fprintln(e.stderr, "ipdb show: -M (-f mpls) takes dev and table, no prefix (MPLS routes have labels)")
			return exitUsage
		}
		want, sels[k.table] = []string{k.table}, sel
	} else if f := e.g.family(); f == afMPLS {
		fmt.Fprintln(e.stderr, "ipdb show: -M (-f mpls) selects MPLS routes: show routes")
		return exitUsage
	} else if f != 0 {
		for i := range commandKinds {
			if k := &commandKinds[i]; k.family == familyFilter {
				sels[k.table] = &selection{family: f, keep: k.keep}
			}
		}
	}
	if e.g.brief && (len(want) != 1 || (want[0] != "links" && want[0] != "addrs")) {
		fmt.Fprintln(e.stderr, "ipdb show: -br is for show link and show addr, as ip -br")
		return exitUsage
	}
	if e.g.stats > 0 && (len(want) != 1 || !statsShown[want[0]]) {
		fmt.Fprintln(e.stderr, "ipdb show: -s is for show link, addr, qdisc, class and filter, as ip -s and tc -s")
		return exitUsage
	}
	if e.g.brief && e.g.details {
		fmt.Fprintln(e.stderr, "ipdb show: -br and -d exclude each other (ip -br prints no details)")
		return exitUsage
	}
	if e.g.details && (len(want) != 1 || !detailsShown[want[0]]) {
		fmt.Fprintln(e.stderr, "ipdb show: -d is for show routes, links, nexthops, qdiscs, classes and filters (links and nexthops always print ip's details; ip -d adds nothing ipdb prints to the other tables)")
		return exitUsage
	}
	if e.g.allNetns {
		return showAllNetns(e, want, sels, format)
	}
	for _, t := range want {
		if k := commandKindOfTable(t); k == nil || k.dumpJSON == nil || k.dumpRows == nil {
			if !sels[t].empty() {
				fmt.Fprintf(e.stderr, "ipdb show: %s takes no selectors yet\n", t)
				return exitUsage
			}
			return showFromCache(e, want, format)
		}
	}
	c, err := netlink.Dial(&netlink.Config{NetNS: e.netns, MaxDumpRetries: -1})
	if err != nil {
		return e.fail("show", err)
	}
	defer c.Close()
	d := &dumpShow{ctx: e.ctx, c: c, stderr: e.stderr, details: e.g.details, sels: sels, brief: e.g.brief, stats: e.g.stats}
	if err := d.checkRouteTable(); err != nil {
		var mt *missingTableError
		if errors.As(err, &mt) {
			fmt.Fprintf(e.stderr, "ipdb show: %v\n", err)
			return exitUsage // as ip's exit status 2
		}
		return e.fail("show", err)
	}
	if err := d.write(e.out(), want, format); err != nil {
		var nd noDeviceError
		if errors.As(err, &nd) {
			fmt.Fprintf(e.stderr, "ipdb show: %v\n", err)
			return exitError
		}
		return e.fail("show", err)
	}
	return exitOK
}

// detailsShown are the tables -d is for: routes print ip -d's keys with
// it, links and nexthops print them always.
// qdiscs, classes and filters print tc -d's keys with it.
var detailsShown = map[string]bool{"routes": true, "links": true, "nexthops": true,
	"qdiscs": true, "classes": true, "filters": true}

// statsShown are the tables -s is for: ip -s link and addr, tc -s qdisc,
// class and filter (the actions' times and counters).
var statsShown = map[string]bool{"links": true, "addrs": true, "qdiscs": true, "classes": true, "filters": true}

// noDeviceError is a dev selector naming no link (ip: Cannot find device).
type noDeviceError string

func (n noDeviceError) Error() string { return fmt.Sprintf("Cannot find device %q", string(n)) }

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
	// sels are the selections by table name; a table without one shows
	// everything.
	sels map[string]*selection
	// brief and stats are ip's -br and -s (show_brief.go): links and
	// addresses only.
	brief bool
	stats int
}

// sel returns the selection of a table, nil for everything.
func (d *dumpShow) sel(table string) *selection {
	if s := d.sels[table]; !s.empty() {
		return s
	}
	return nil
}

// keep reports whether an object of table is selected.
func (d *dumpShow) keep(table string, o netlink.Object) bool {
	s := d.sel(table)
	return s == nil || s.keep == nil || s.keep(o, s)
}

// resolveDevs turns the selections' dev names into indexes.
func (d *dumpShow) resolveDevs() error {
	for _, s := range d.sels {
		if s == nil {
			continue
		}
		if s.dev != "" {
			i := slices.IndexFunc(d.links, func(l *netlink.Link) bool { return l.Name == s.dev })
			if i < 0 {
				return noDeviceError(s.dev)
			}
			s.devIndex = d.links[i].Index
		}
		if s.more.master != "" {
			i := slices.IndexFunc(d.links, func(l *netlink.Link) bool { return l.Name == s.more.master })
			if i < 0 {
				return noDeviceError(s.more.master)
			}
			s.more.masterIndex = d.links[i].Index
		}
	}
	return nil
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
	if err := d.resolveDevs(); err != nil {
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
		if !d.keep("links", l) {
			continue
		}
		switch {
		case d.brief:
			writeLinkBriefJSON(j, l, d.names)
		case d.stats > 0:
			writeLinkStats(j, l, d.names, d.stats)
		default:
			writeLink(j, l, d.names)
		}
	}
	return nil
}

func (d *dumpShow) linksRows(tw *tableOut) error {
	switch {
	case d.brief:
	case d.stats > 0:
		tw.header(append(append([]string(nil), linkColumns...), statsColumns...)...)
	default:
		linkRowsHeader(tw)
	}
	for _, l := range d.links {
		if !d.keep("links", l) {
			continue
		}
		switch {
		case d.brief:
			tw.line(briefLinkLine(l, d.names))
		case d.stats > 0:
			linkCells(tw, l, d.names)
			statsCells(tw, l.Stats)
			tw.endRow()
		default:
			linkRow(tw, l, d.names)
		}
	}
	return nil
}

func (d *dumpShow) addrsJSON(j *jsonOut) error {
	by, err := d.addrsByLink()
	if err != nil {
		return err
	}
	for _, l := range d.links {
		if addrs, ok := d.linkAddrs(l, by[l.Index]); ok {
			var family uint8
			inet6Dump := false
			if s := d.sel("addrs"); s != nil {
				family = s.family
				inet6Dump = s.family == unix.AF_INET6 && s.dev == ""
				if family == 0 {
					family = s.ip.addrToFamily() // filter.family of to: no link layer
				}
				if s.more.label != "" {
					writeAddrInfoOnly(j, addrs) // ip prints no link keys under label
					continue
				}
			}
			if d.brief {
				writeAddrBriefJSON(j, l, d.names, addrs)
				continue
			}
			if d.stats > 0 {
				writeAddrLinkStats(j, l, d.names, addrs, family, inet6Dump, d.stats)
				continue
			}
			writeAddrLinkFamily(j, l, d.names, addrs, family, inet6Dump)
		}
	}
	return nil
}

func (d *dumpShow) addrsRows(tw *tableOut) error {
	by, err := d.addrsByLink()
	if err != nil {
		return err
	}
	if d.brief {
		for _, l := range d.links {
			if addrs, ok := d.linkAddrs(l, by[l.Index]); ok {
				tw.line(briefAddrLine(l, d.names, addrs))
			}
		}
		return nil
	}
	addrRowsHeader(tw)
	for _, l := range d.links {
		addrs, _ := d.linkAddrs(l, by[l.Index])
		for _, a := range addrs {
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
	omit := routeOmit{}
	if s := d.sel("routes"); s != nil {
		// ip prints neither the device nor the table its selectors fix
		// (print_route: filter.oifmask, filter.tb).
		omit.dev, omit.table = s.dev != "", s.tableGiven
		// ip -f mpls route show asks for table main unless told `table
		// all` (ipdb's other families show all tables without it).
		omit.table = omit.table || (s.family == afMPLS && !s.tableAll)
		s.more.omitRoute(&omit)
		omit.scope, omit.metric, omit.tos = s.more.scopeGiven, s.ip.metricGiven, s.ip.tosGiven
	}
	return d.routes(func(r *netlink.Route) error {
		if !d.keep("routes", r) {
			return nil
		}
		writeRouteDetails(j, r, d.names, rd, omit)
		j.maybeFlush()
		return j.err()
	})
}

func (d *dumpShow) routesRows(tw *tableOut) error {
	routeRowsHeader(tw)
	return d.routes(func(r *netlink.Route) error {
		if !d.keep("routes", r) {
			return nil
		}
		routeRow(tw, r, d.names)
		return tw.err()
	})
}

func (d *dumpShow) neighsJSON(j *jsonOut) error {
	ns, err := d.neighs()
	if err != nil {
		return err
	}
	s := d.sel("neigh")
	omitDev := s != nil && s.dev != "" // ip neigh: !filter.index
	for _, n := range ns {
		if showNeigh(n) && d.keep("neigh", n) {
			writeNeighOmit(j, n, d.names, omitDev)
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
		if showNeigh(n) && d.keep("neigh", n) {
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
		if d.keep("rules", r) {
			writeRule(j, r)
		}
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
		if d.keep("rules", r) {
			ruleRow(tw, r)
		}
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

// linkAddrs returns the addresses of l that the addrs selection keeps, and
// whether l is listed: dev selects the link, and with -4 or -6 a link
// without an address of the family is left out (ip's ipaddr_filter).
func (d *dumpShow) linkAddrs(l *netlink.Link, addrs []*netlink.Addr) ([]*netlink.Addr, bool) {
	s := d.sel("addrs")
	if s == nil {
		return addrs, true
	}
	if s.dev != "" && l.Index != s.devIndex {
		return nil, false
	}
	if s.more.up && l.Flags&unix.IFF_UP == 0 {
		return nil, false
	}
	if s.more.label == "" && (!s.more.keepLink(l) || !s.ip.keepLink(l)) {
		return nil, false // print_linkinfo's link filters, which label skips
	}
	var out []*netlink.Addr
	for _, a := range addrs {
		if keepAddr(a, s) && s.more.keepAddr(a, l.Name) {
			out = append(out, a)
		}
	}
	// ipaddr_filter: a link is listed with an address the filters keep,
	// or with no address at all when no family is asked for.
	return out, len(out) > 0 || (len(addrs) == 0 && s.family == 0 && !s.ip.addrTo.IsValid())
}
