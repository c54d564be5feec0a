package txn

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// RouteHopSpec is one next hop of a multipath route.
type RouteHopSpec struct {
	// Gateway is the next hop's address.
	Gateway netip.Addr
	// Dev names the output link.
	Dev string
	// Weight is the next hop's weight (1 if zero).
	Weight int
	// Onlink marks the gateway as directly reachable on Dev.
	Onlink bool
	// MPLSEncap, if set, is the hop's MPLS encapsulation (ip's "nexthop
	// encap mpls 100/200 ttl 10 via ..."); see RouteSpec.MPLSEncap.
	MPLSEncap *netlink.MPLSEncap
}

// RouteSpec is the desired state of the route identified by family (of
// Dst), Table, Dst, TOS and Priority.
type RouteSpec struct {
	// Dst is the destination prefix (required; 0.0.0.0/0 for default).
	Dst netip.Prefix
	// Table is the table id; zero means main.
	Table uint32
	// TOS and Priority (the metric) complete the identity.
	TOS      uint8
	Priority uint32
	// Absent deletes the route if present.
	Absent bool
	// Type is the route type; zero means unicast.
	Type netlink.RouteType
	// Gateway is the next hop's address, if any.
	Gateway netip.Addr
	// Dev names the output link, if any.
	Dev string
	// Onlink marks the gateway as directly reachable on Dev.
	Onlink bool
	// Src, if valid, is the preferred source address.
	Src netip.Addr
	// Protocol, if not zero, is the route's protocol (boot otherwise).
	Protocol netlink.RouteProtocol
	// Scope, if set, is the route's scope.
	Scope *netlink.Scope
	// Metrics, if set, are the route's metrics.
	Metrics *netlink.RouteMetrics
	// Multipath lists the next hops of a multipath route.
	Multipath []RouteHopSpec
	// NHID, if not zero, is the id of the nexthop object the route uses
	// (RTA_NH_ID, ip's "nhid"), instead of Gateway, Dev, Onlink and
	// Multipath: the nexthop must exist or be created by a NexthopSpec of
	// the transaction. The route then holds when its nhid is NHID; the
	// hops the kernel reports with it are the nexthop's, and so is its
	// type unless Type is set (the kernel reports a route over a
	// blackhole nexthop as blackhole).
	NHID uint32
	// MPLSEncap, if set, is the MPLS encapsulation of the route's single
	// next hop (ip's "encap mpls 100/200 ttl 10"; route_mpls.go): the
	// labels pushed, outermost first, and their TTL (zero: the IP TTL is
	// propagated). It is part of the next hop, like Gateway: a route with
	// another MPLS encapsulation, or one where the spec has none, is
	// replaced. Encapsulations of other types (seg6, bpf...) are not
	// compared. A multipath route has it per hop (RouteHopSpec.MPLSEncap).
	MPLSEncap *netlink.MPLSEncap

	// exact (rollback only): the route must have exactly these metrics,
	// protocol, source and scope; nothing of the existing route is kept.
	exact bool
}

func (s *RouteSpec) validate() error {
	if !s.Dst.IsValid() {
		return invalid("route: invalid destination")
	}
	if s.Dst.Masked() != s.Dst {
		return invalid("route %s: host bits set", s.Dst)
	}
	if s.Absent {
		return nil
	}
	// The description is built only for an error: validation runs once
	// per spec, and a transaction may hold a million routes.
	what := func() string { return "route " + s.Dst.String() }
	v4 := s.Dst.Addr().Is4()
	if s.Src.IsValid() && s.Src.Is4() != v4 {
		return invalid("%s: src of another family", what())
	}
	if s.Gateway.IsValid() && s.Gateway.Is4() != v4 && v4 && s.Gateway.Is4() {
		return invalid("%s: gateway of another family", what())
	}
	if s.Gateway.IsValid() && !v4 && s.Gateway.Is4() {
		return invalid("%s: IPv4 gateway for an IPv6 route", what())
	}
	if s.Dev != "" {
		if err := validName("dev", s.Dev); err != nil {
			return fmt.Errorf("%s: %w", what(), err)
		}
	}
	if err := s.validateEncap(); err != nil {
		return fmt.Errorf("%s: %w", what(), err)
	}
	typ := s.Type
	if typ == 0 {
		typ = netlink.RouteUnicast
	}
	if s.NHID != 0 {
		if s.Gateway.IsValid() || s.Dev != "" || len(s.Multipath) > 0 || s.Onlink {
			return invalid("%s: nhid %d with a gateway, dev, onlink or next hops (the nexthop object has them)", what(), s.NHID)
		}
		if typ != netlink.RouteUnicast && typ != netlink.RouteBlackhole {
			return invalid("%s: a %s route cannot use a nexthop object", what(), typ)
		}
		return nil
	}
	switch typ {
	case netlink.RouteUnicast:
		if !s.Gateway.IsValid() && s.Dev == "" && len(s.Multipath) == 0 {
			return invalid("%s: unicast route needs a gateway, a dev or next hops", what())
		}
	case netlink.RouteBlackhole, netlink.RouteUnreachable, netlink.RouteProhibit, netlink.RouteThrow:
		if s.Gateway.IsValid() || s.Dev != "" || len(s.Multipath) > 0 {
			return invalid("%s: %s route with a next hop", what(), typ)
		}
	}
	if len(s.Multipath) > 0 && (s.Gateway.IsValid() || s.Dev != "") {
		return invalid("%s: both a next hop and multipath", what())
	}
	for i, nh := range s.Multipath {
		if !nh.Gateway.IsValid() && nh.Dev == "" {
			return invalid("%s: next hop %d needs a gateway or dev", what(), i)
		}
		if nh.Dev != "" {
			if err := validName("nexthop dev", nh.Dev); err != nil {
				return fmt.Errorf("%s: %w", what(), err)
			}
		}
		if nh.Weight < 0 || nh.Weight > 256 {
			return invalid("%s: next hop %d weight %d out of range", what(), i, nh.Weight)
		}
	}
	return nil
}

// Route adds a route spec.
func (t *Txn) Route(s RouteSpec) *Txn {
	t.specs.routes = append(t.specs.routes, s)
	t.plan = nil
	return t
}

// Routes adds many route specs.
func (t *Txn) Routes(s ...RouteSpec) *Txn {
	t.specs.routes = append(t.specs.routes, s...)
	t.plan = nil
	return t
}

// routeOps is the kindOps of routes.
type routeOps struct{}

func (routeOps) count(ss *specSet) int { return len(ss.routes) + len(ss.mplsRoutes) }

func (routeOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.routes {
		fn(specRef{kind: netlink.KindRoute, i: int32(i)})
	}
	for i := range ss.mplsRoutes {
		fn(specRef{kind: netlink.KindRoute, mpls: true, i: int32(i)})
	}
}

func (routeOps) validate(ss *specSet) error {
	for i := range ss.routes {
		if err := ss.routes[i].validate(); err != nil {
			return specErr(specRef{kind: netlink.KindRoute, i: int32(i)}, err)
		}
	}
	return validateMPLSRoutes(ss)
}

// routeIndexMin is how many route specs make one scan of their tables
// cheaper than one lookup per spec.
const routeIndexMin = 512

// routeDst orders destinations as the database's route keys do within
// one family and table: by address, then prefix length.
type routeDst struct {
	family uint8
	table  uint32
	addr   [16]byte
	bits   int32
}

func routeDstOf(family uint8, table uint32, dst netip.Prefix) routeDst {
	return routeDst{family: family, table: table, addr: dst.Addr().As16(), bits: int32(dst.Bits())}
}

func (a *routeDst) compare(b *routeDst) int {
	if c := cmp.Compare(a.family, b.family); c != 0 {
		return c
	}
	if c := cmp.Compare(a.table, b.table); c != 0 {
		return c
	}
	if c := bytes.Compare(a.addr[:], b.addr[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.bits, b.bits)
}

// routeList holds the routes to one destination; most have one.
type routeList struct {
	first *netlink.Route
	more  []*netlink.Route
}

// routesTo appends the routes of table to exactly dst (the destination
// of route spec i) to ex. In a full plan of many route specs it finds
// them all at once (see matchRoutes) instead of looking each one up.
func (p *planner) routesTo(ex []*netlink.Route, i int, table uint32, dst netip.Prefix) []*netlink.Route {
	if !p.indexRoutes {
		for r := range p.st.RoutesTo(table, dst) {
			ex = append(ex, r)
		}
		return ex
	}
	if p.routes == nil {
		p.matchRoutes()
	}
	l := &p.routes[i]
	if l.first != nil {
		ex = append(ex, l.first)
	}
	return append(ex, l.more...)
}

// matchRoutes finds the existing routes of every route spec in one merge:
// the specs sorted by destination (most sets come sorted already) against
// one in-order pass over each table they name. Planning a million present
// routes then reads the table sequentially, with no per-route lookup,
// allocation or map.
func (p *planner) matchRoutes() {
	specs := p.ss.routes
	p.routes = make([]routeList, len(specs))
	type keyed struct {
		key routeDst
		i   int
	}
	order := make([]keyed, len(specs))
	sorted := true
	for i := range specs {
		s := &specs[i]
		order[i] = keyed{routeDstOf(routeFamily(s.Dst), routeTable(s.Table), s.Dst.Masked()), i}
		if i > 0 && order[i-1].key.compare(&order[i].key) > 0 {
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(order, func(a, b keyed) int { return a.key.compare(&b.key) })
	}
	for start := 0; start < len(order); {
		fam, table := order[start].key.family, order[start].key.table
		end := start
		for end < len(order) && order[end].key.family == fam && order[end].key.table == table {
			end++
		}
		j := start
		for r := range p.st.RoutesInTable(fam, table) {
			k := routeDstOf(fam, table, r.Dst)
			for j < end && order[j].key.compare(&k) < 0 {
				j++
			}
			if j == end {
				break
			}
			for m := j; m < end && order[m].key == k; m++ {
				l := &p.routes[order[m].i]
				if l.first == nil {
					l.first = r
				} else {
					l.more = append(l.more, r)
				}
			}
		}
		start = end
	}
}

func routeFamily(dst netip.Prefix) uint8 { return addrFamily(dst) }

// routePriority is the metric the kernel gives a route: IPv6 routes
// without one get 1024.
func routePriority(fam uint8, p uint32) uint32 {
	if p == 0 && fam == unix.AF_INET6 {
		return 1024
	}
	return p
}

func routeTable(t uint32) uint32 {
	if t == 0 {
		return unix.RT_TABLE_MAIN
	}
	return t
}

// sameRouteID reports whether r has the identity of s (family, TOS,
// priority; table and destination are already selected; no IPv6 source).
func sameRouteID(r *netlink.Route, fam uint8, s *RouteSpec) bool {
	return r.Family == fam && r.TOS == s.TOS && r.Priority == routePriority(fam, s.Priority) &&
		(r.Extra == nil || !r.Extra.Src.IsValid())
}

// routeNHID is the id of the nexthop object r uses, 0 if none.
func routeNHID(r *netlink.Route) uint32 {
	if r.Extra == nil {
		return 0
	}
	return r.Extra.NHID
}

func routeSatisfied(r *netlink.Route, s *RouteSpec, oif int, hops []int) bool {
	typ := s.Type
	if typ == 0 {
		typ = netlink.RouteUnicast
	}
	// Over a nexthop object, the kernel reports the type its nexthop
	// gives the route (blackhole over a blackhole nexthop).
	if (r.Type != typ && (s.NHID == 0 || s.Type != 0)) || (s.Src.IsValid() && r.PrefSrc != s.Src) || (s.Protocol != 0 && r.Protocol != s.Protocol) ||
		(s.Scope != nil && r.Scope != *s.Scope) || routeNHID(r) != s.NHID {
		return false
	}
	if s.Metrics != nil && !metricsSatisfied(routeMetrics(r), s.Metrics, s.exact) {
		return false
	}
	if s.NHID != 0 {
		return true // the hops are the nexthop object's
	}
	if r.Gateway != s.Gateway || (s.Dev != "" && int(r.OIF) != oif) || (r.Flags&unix.RTNH_F_ONLINK != 0) != s.Onlink ||
		!mplsEncapEqual(routeMPLSEncap(r), s.MPLSEncap) {
		return false
	}
	if len(r.Multipath) != len(s.Multipath) {
		return false
	}
	for i := range s.Multipath {
		h, w := &r.Multipath[i], &s.Multipath[i]
		weight := max(w.Weight, 1)
		if h.Gateway != w.Gateway || (w.Dev != "" && int(h.IfIndex) != hops[i]) || h.Weight() != weight ||
			(h.Flags&unix.RTNH_F_ONLINK != 0) != w.Onlink || !mplsEncapEqual(h.MPLSEncap, w.MPLSEncap) {
			return false
		}
	}
	return true
}

func (s *RouteSpec) describe() string {
	var b strings.Builder
	b.WriteString("route ")
	if s.Type != 0 && s.Type != netlink.RouteUnicast {
		b.WriteString(s.Type.String() + " ")
	}
	if s.Dst.IsValid() && s.Dst.Bits() == 0 {
		b.WriteString("default") // ip's word for 0.0.0.0/0 and ::/0
	} else {
		b.WriteString(s.Dst.String())
	}
	writeMPLSEncap(&b, s.MPLSEncap)
	if s.NHID != 0 {
		fmt.Fprintf(&b, " nhid %d", s.NHID)
	}
	if s.Gateway.IsValid() {
		b.WriteString(" via " + s.Gateway.String())
	}
	if s.Dev != "" {
		b.WriteString(" dev " + s.Dev)
	}
	for _, h := range s.Multipath {
		b.WriteString(" nexthop")
		writeMPLSEncap(&b, h.MPLSEncap)
		if h.Gateway.IsValid() {
			b.WriteString(" via " + h.Gateway.String())
		}
		if h.Dev != "" {
			b.WriteString(" dev " + h.Dev)
		}
		if h.Weight > 1 {
			fmt.Fprintf(&b, " weight %d", h.Weight)
		}
	}
	if s.Src.IsValid() {
		b.WriteString(" src " + s.Src.String())
	}
	if t := routeTable(s.Table); t != unix.RT_TABLE_MAIN {
		b.WriteString(" table " + netlink.TableName(t))
	}
	if s.Priority != 0 {
		fmt.Fprintf(&b, " metric %d", s.Priority)
	}
	if s.TOS != 0 {
		fmt.Fprintf(&b, " tos %#x", s.TOS)
	}
	return b.String()
}

func (p *planner) describeRoute(r *netlink.Route) string {
	if r.Family == unix.AF_MPLS {
		return p.describeMPLSRoute(r)
	}
	s := RouteSpec{Dst: r.Dst, Table: r.Table, TOS: r.TOS, Priority: r.Priority, Type: r.Type,
		Gateway: r.Gateway, Dev: p.nameOf(int(r.OIF)), Src: r.PrefSrc, MPLSEncap: routeMPLSEncap(r)}
	if id := routeNHID(r); id != 0 {
		s.NHID, s.Gateway, s.Dev = id, netip.Addr{}, ""
		return s.describe()
	}
	for _, h := range r.Multipath {
		s.Multipath = append(s.Multipath, RouteHopSpec{Gateway: h.Gateway, Dev: p.nameOf(int(h.IfIndex)), Weight: h.Weight(),
			MPLSEncap: h.MPLSEncap})
	}
	return s.describe()
}

func (routeOps) plan(p *planner, ref specRef) error {
	if ref.mpls {
		return p.planMPLSRoute(ref, &p.ss.mplsRoutes[ref.i])
	}
	return p.planRoute(ref, &p.ss.routes[ref.i])
}

// verifyIndex finds route specs by identity: a commit of a million routes
// rechecks, for each route change, only the specs of that route.
func (routeOps) verifyIndex() verifyIndex { return routeIndex{} }

// routeIndex holds pending route specs by identity.
type routeIndex map[routeID][]specRef

func (ix routeIndex) add(ss *specSet, ref specRef) {
	if ref.mpls {
		id := mplsRouteID(ss.mplsRoutes[ref.i].Label)
		ix[id] = append(ix[id], ref)
		return
	}
	s := &ss.routes[ref.i]
	fam := routeFamily(s.Dst)
	id := routeID{fam, routeTable(s.Table), s.Dst, s.TOS, routePriority(fam, s.Priority)}
	ix[id] = append(ix[id], ref)
}

func (ix routeIndex) touched(o netlink.Object, out []specRef) []specRef {
	if r, ok := o.(*netlink.Route); ok {
		if label, ok := r.MPLSLabel(); ok {
			return append(out, ix[mplsRouteID(label)]...)
		}
		out = append(out, ix[routeID{r.Family, r.Table, r.Dst, r.TOS, r.Priority}]...)
	}
	return out
}

func (p *planner) planRoute(ref specRef, s *RouteSpec) error {
	fam := routeFamily(s.Dst)
	table := routeTable(s.Table)
	oif, pending := 0, false
	if s.Dev != "" && !s.Absent {
		var err error
		if oif, pending, err = p.ref(s.Dev); err != nil {
			return fmt.Errorf("%s: %w", s.describe(), err)
		}
	}
	if s.NHID != 0 && !s.Absent {
		switch v, exists := p.nexthopWillBe(s.NHID); {
		case !exists:
			return invalid("%s: no nexthop id %d, and the transaction creates none", s.describe(), s.NHID)
		case fam == unix.AF_INET6 && v.v4:
			// fib6_check_nexthop in net/ipv6/route.c.
			return invalid("%s: an IPv6 route cannot use nexthop id %d, which is or has an IPv4 nexthop", s.describe(), s.NHID)
		case v.fdb:
			return invalid("%s: nexthop id %d is an fdb nexthop, which routes cannot use", s.describe(), s.NHID)
		}
	}
	var hops []int
	if len(s.Multipath) > 0 && !s.Absent {
		hops = make([]int, len(s.Multipath))
		for i, h := range s.Multipath {
			if h.Dev == "" {
				continue
			}
			idx, pend, err := p.ref(h.Dev)
			if err != nil {
				return fmt.Errorf("%s: %w", s.describe(), err)
			}
			hops[i], pending = idx, pending || pend
		}
	}
	all := p.routesTo(p.scratch[:0], int(ref.i), table, s.Dst)
	ex := all[:0]
	for _, r := range all {
		if sameRouteID(r, fam, s) {
			ex = append(ex, r)
			observe(p, r)
		}
	}
	p.scratch = all[:0]
	if s.Absent {
		for _, r := range ex {
			del := *r
			desc := p.describeRoute(r)
			p.add(&Step{Action: Remove, Kind: netlink.KindRoute, stage: stageRouteDel, spec: ref,
				desc:  func() string { return desc },
				build: func(*resolver) (netlink.Request, error) { return netlink.RouteRequest(netlink.Delete, &del), nil }})
		}
		return nil
	}
	if !pending {
		for _, r := range ex {
			if routeSatisfied(r, s, oif, hops) && (s.NHID == 0 || !p.nexthopDoomed(s.NHID)) {
				return nil
			}
		}
	}
	verb, act := netlink.Add, Create
	var have *netlink.Route
	desc := func() string { return s.describe() + s.createAttrs() }
	if len(ex) > 0 {
		verb, act = netlink.Replace, Modify
		// NLM_F_REPLACE replaces the first route of the identity.
		have = ex[0]
		desc = func() string { return s.describe() + p.routeChanges(have, s).String() }
	}
	p.add(&Step{Action: act, Kind: netlink.KindRoute, stage: stageRouteAdd, spec: ref,
		desc: desc,
		build: func(r *resolver) (netlink.Request, error) {
			rt, err := r.route(s, fam, table)
			if err != nil {
				return netlink.Request{}, err
			}
			if have != nil {
				keepUnmentioned(rt, have, s)
			}
			return netlink.RouteRequest(verb, rt), nil
		}})
	return nil
}

// metricFields are the numeric route metrics, as ip(8) names them, with
// their field in RouteMetrics.
var metricFields = []struct {
	typ  uint16
	name string
	get  func(m *netlink.RouteMetrics) *uint32
}{
	{unix.RTAX_MTU, "mtu", func(m *netlink.RouteMetrics) *uint32 { return &m.MTU }},
	{unix.RTAX_WINDOW, "window", func(m *netlink.RouteMetrics) *uint32 { return &m.Window }},
	{unix.RTAX_RTT, "rtt", func(m *netlink.RouteMetrics) *uint32 { return &m.RTT }},
	{unix.RTAX_RTTVAR, "rttvar", func(m *netlink.RouteMetrics) *uint32 { return &m.RTTVar }},
	{unix.RTAX_SSTHRESH, "ssthresh", func(m *netlink.RouteMetrics) *uint32 { return &m.SSThresh }},
	{unix.RTAX_CWND, "cwnd", func(m *netlink.RouteMetrics) *uint32 { return &m.CWnd }},
	{unix.RTAX_ADVMSS, "advmss", func(m *netlink.RouteMetrics) *uint32 { return &m.AdvMSS }},
	{unix.RTAX_REORDERING, "reordering", func(m *netlink.RouteMetrics) *uint32 { return &m.Reordering }},
	{unix.RTAX_HOPLIMIT, "hoplimit", func(m *netlink.RouteMetrics) *uint32 { return &m.HopLimit }},
	{unix.RTAX_INITCWND, "initcwnd", func(m *netlink.RouteMetrics) *uint32 { return &m.InitCwnd }},
	{unix.RTAX_FEATURES, "features", func(m *netlink.RouteMetrics) *uint32 { return &m.Features }},
	{unix.RTAX_RTO_MIN, "rto_min", func(m *netlink.RouteMetrics) *uint32 { return &m.RTOMin }},
	{unix.RTAX_INITRWND, "initrwnd", func(m *netlink.RouteMetrics) *uint32 { return &m.InitRwnd }},
	{unix.RTAX_QUICKACK, "quickack", func(m *netlink.RouteMetrics) *uint32 { return &m.QuickAck }},
	{unix.RTAX_FASTOPEN_NO_COOKIE, "fastopen_no_cookie", func(m *netlink.RouteMetrics) *uint32 { return &m.FastOpenNoCookie }},
}

// metricValue prints a metric as ip(8) does: "lock 1400" when locked.
func metricValue(m *netlink.RouteMetrics, typ uint16, v uint32) string {
	if v == 0 {
		return "(none)"
	}
	if m.Lock&(1<<typ) != 0 {
		return fmt.Sprintf("lock %d", v)
	}
	return fmt.Sprint(v)
}

func routeMetrics(r *netlink.Route) *netlink.RouteMetrics {
	if r.Extra != nil && r.Extra.Metrics != nil {
		return r.Extra.Metrics
	}
	return &netlink.RouteMetrics{}
}

// metricsSatisfied reports whether have holds the metrics of want: with
// exact, all of them and no others (a rollback's pre-image); otherwise
// each metric want sets (a lock bit of want must be set in have; a lock
// of have that want does not mention is kept).
func metricsSatisfied(have, want *netlink.RouteMetrics, exact bool) bool {
	if exact {
		h, w := *have, *want
		h.Unknown, w.Unknown = nil, nil
		return fmt.Sprint(h) == fmt.Sprint(w)
	}
	for _, f := range metricFields {
		if w := *f.get(want); w != 0 && *f.get(have) != w {
			return false
		}
	}
	return have.Lock&want.Lock == want.Lock && (want.CCAlgo == "" || want.CCAlgo == have.CCAlgo)
}

// mergeMetrics returns have with the metrics want sets.
func mergeMetrics(have, want *netlink.RouteMetrics) *netlink.RouteMetrics {
	m := *have
	m.Unknown = nil
	for _, f := range metricFields {
		if w := *f.get(want); w != 0 {
			*f.get(&m) = w
		}
	}
	m.Lock |= want.Lock
	if want.CCAlgo != "" {
		m.CCAlgo = want.CCAlgo
	}
	return &m
}

// routeChanges lists what replacing have by spec s changes.
func (p *planner) routeChanges(have *netlink.Route, s *RouteSpec) changeList {
	var c changeList
	typ := s.Type
	if typ == 0 {
		typ = netlink.RouteUnicast
	}
	if have.Type != typ && (s.NHID == 0 || s.Type != 0) {
		c.add("type", have.Type, typ)
	}
	if old := routeNHID(have); old != s.NHID {
		c.add("nhid", nhidOrNone(old), nhidOrNone(s.NHID))
	}
	if old := routeMPLSEncap(have); !mplsEncapEqual(old, s.MPLSEncap) && s.NHID == 0 && len(s.Multipath) == 0 {
		c.add("encap", mplsEncapText(old), mplsEncapText(s.MPLSEncap))
	}
	if s.NHID != 0 {
		// The hops are the nexthop object's.
	} else if have.Gateway != s.Gateway && len(s.Multipath) == 0 {
		c.add("via", addrOrNone(have.Gateway), addrOrNone(s.Gateway))
	}
	if s.Dev != "" && s.NHID == 0 {
		if old := p.nameOf(int(have.OIF)); old != s.Dev {
			c.add("dev", strOrNone(old), s.Dev)
		}
	}
	if on := have.Flags&unix.RTNH_F_ONLINK != 0; on != s.Onlink && s.NHID == 0 {
		c.add("onlink", on, s.Onlink)
	}
	if s.Src.IsValid() && have.PrefSrc != s.Src {
		c.add("src", addrOrNone(have.PrefSrc), s.Src)
	}
	if s.Protocol != 0 && have.Protocol != s.Protocol {
		c.add("proto", have.Protocol, s.Protocol)
	}
	if s.Scope != nil && have.Scope != *s.Scope {
		c.add("scope", have.Scope, *s.Scope)
	}
	if s.Metrics != nil {
		hm, wm := routeMetrics(have), s.Metrics
		for _, f := range metricFields {
			h, w := *f.get(hm), *f.get(wm)
			if s.exact || w != 0 {
				hl, wl := hm.Lock&(1<<f.typ) != 0, wm.Lock&(1<<f.typ) != 0
				if !s.exact {
					wl = wl || hl // a lock the spec does not mention is kept
				}
				if h != w || hl != wl {
					nm := *wm
					nm.Lock = 0
					if wl {
						nm.Lock = 1 << f.typ
					}
					c.add(f.name, metricValue(hm, f.typ, h), metricValue(&nm, f.typ, w))
				}
			}
		}
		if (s.exact || wm.CCAlgo != "") && hm.CCAlgo != wm.CCAlgo {
			c.add("congctl", strOrNone(hm.CCAlgo), strOrNone(wm.CCAlgo))
		}
	}
	hops := func(r []RouteHopSpec) string {
		var b strings.Builder
		for _, h := range r {
			b.WriteString(" nexthop")
			writeMPLSEncap(&b, h.MPLSEncap)
			if h.Gateway.IsValid() {
				b.WriteString(" via " + h.Gateway.String())
			}
			if h.Dev != "" {
				b.WriteString(" dev " + h.Dev)
			}
			fmt.Fprintf(&b, " weight %d", max(h.Weight, 1))
			if h.Onlink {
				b.WriteString(" onlink")
			}
		}
		return strings.TrimSpace(b.String())
	}
	var old []RouteHopSpec
	for _, h := range have.Multipath {
		old = append(old, RouteHopSpec{Gateway: h.Gateway, Dev: p.nameOf(int(h.IfIndex)), Weight: h.Weight(),
			Onlink: h.Flags&unix.RTNH_F_ONLINK != 0, MPLSEncap: h.MPLSEncap})
	}
	if o, n := hops(old), hops(s.Multipath); o != n && s.NHID == 0 {
		c.add("nexthops", "["+o+"]", "["+n+"]")
	}
	if len(c) == 0 && s.NHID != 0 && p.nexthopDoomed(s.NHID) {
		c = append(c, fmt.Sprintf("(added again: the kernel drops it with nexthop id %d)", s.NHID))
	}
	if len(c) == 0 {
		c = append(c, "(an attribute the plan cannot name)")
	}
	return c
}

// keepUnmentioned fills in the request rt, which replaces have, the
// attributes its spec s does not mention: the protocol, the metrics (and
// their locks), and the preferred source and scope while the next hop
// stays on the same device with the same kind of gateway.
func keepUnmentioned(rt, have *netlink.Route, s *RouteSpec) {
	if s.exact {
		return
	}
	if s.Protocol == 0 {
		rt.Protocol = have.Protocol
	}
	sameHop := s.NHID == 0 && routeNHID(have) == 0 && len(s.Multipath) == 0 && len(have.Multipath) == 0 && rt.OIF == have.OIF &&
		rt.Gateway.IsValid() == have.Gateway.IsValid() && rt.Type == have.Type
	if !s.Src.IsValid() && sameHop {
		rt.PrefSrc = have.PrefSrc
	}
	if s.Scope == nil && sameHop {
		rt.Scope = have.Scope
	}
	if hm := routeMetrics(have); s.Metrics != nil || hm.Lock != 0 || len(metricsList(hm)) > 0 || hm.CCAlgo != "" {
		want := &netlink.RouteMetrics{}
		if s.Metrics != nil {
			want = s.Metrics
		}
		m := mergeMetrics(hm, want)
		if rt.Extra == nil {
			rt.Extra = &netlink.RouteExtra{}
		} else {
			e := *rt.Extra
			rt.Extra = &e
		}
		rt.Extra.Metrics = m
	}
}

func metricsList(m *netlink.RouteMetrics) []uint16 {
	var l []uint16
	m.Each(func(t uint16, _ uint32) {
		if t != unix.RTAX_LOCK {
			l = append(l, t)
		}
	})
	return l
}

// route builds the request route of s.
func (r *resolver) route(s *RouteSpec, fam uint8, table uint32) (*netlink.Route, error) {
	rt := &netlink.Route{Family: fam, Dst: s.Dst, Table: table, TOS: s.TOS, Priority: s.Priority, Type: s.Type,
		Gateway: s.Gateway, PrefSrc: s.Src, Protocol: s.Protocol}
	if s.Scope != nil {
		rt.Scope = *s.Scope
	}
	if s.Onlink {
		rt.Flags |= unix.RTNH_F_ONLINK
	}
	if s.Dev != "" {
		idx, err := r.index(s.Dev)
		if err != nil {
			return nil, err
		}
		rt.OIF = uint32(idx)
	}
	if s.Metrics != nil {
		m := *s.Metrics
		rt.Extra = &netlink.RouteExtra{Metrics: &m}
	}
	if s.NHID != 0 {
		if rt.Extra == nil {
			rt.Extra = &netlink.RouteExtra{}
		}
		rt.Extra.NHID = s.NHID
	}
	if s.MPLSEncap != nil {
		if rt.Extra == nil {
			rt.Extra = &netlink.RouteExtra{}
		}
		rt.Extra.MPLSEncap = cloneMPLSEncap(s.MPLSEncap)
	}
	for _, h := range s.Multipath {
		nh := netlink.RouteHop{Gateway: h.Gateway, Hops: uint8(max(h.Weight, 1) - 1), MPLSEncap: cloneMPLSEncap(h.MPLSEncap)}
		if h.Onlink {
			nh.Flags |= unix.RTNH_F_ONLINK
		}
		if h.Dev != "" {
			idx, err := r.index(h.Dev)
			if err != nil {
				return nil, err
			}
			nh.IfIndex = uint32(idx)
		}
		rt.Multipath = append(rt.Multipath, nh)
	}
	return rt, nil
}

// kernelRoute reports routes the kernel manages for addresses and links.
func kernelRoute(r *netlink.Route) bool {
	return r.Protocol == netlink.ProtoKernel || r.Table == unix.RT_TABLE_LOCAL ||
		r.Type != netlink.RouteUnicast && r.Type != netlink.RouteBlackhole && r.Type != netlink.RouteUnreachable &&
			r.Type != netlink.RouteProhibit && r.Type != netlink.RouteThrow
}

// routeID is the identity of a route for verification.
type routeID struct {
	fam      uint8
	table    uint32
	dst      netip.Prefix
	tos      uint8
	priority uint32
}

// restore adds each route identity a spec names, and the routes through
// the links whose addresses are restored (rs.addrLinks), which the kernel
// drops when those links go down or lose their last address.
func (routeOps) restore(rs *restorer) {
	pre, ss, rb, preName, addrLinks := rs.pre, rs.ss, rs.rb, rs.preName, rs.addrLinks
	seen := map[routeID]bool{}
	mpls := newMPLSRestore(rs)
	addRoute := func(r *netlink.Route) {
		if r.Family == unix.AF_MPLS {
			mpls.add(r)
			return
		}
		id := routeID{r.Family, r.Table, r.Dst, r.TOS, r.Priority}
		if seen[id] || (r.Extra != nil && r.Extra.Src.IsValid()) {
			return
		}
		seen[id] = true
		s := RouteSpec{Dst: r.Dst, Table: r.Table, TOS: r.TOS, Priority: r.Priority, Type: r.Type, Gateway: r.Gateway,
			Dev: preName(int(r.OIF)), Onlink: r.Flags&unix.RTNH_F_ONLINK != 0, Src: r.PrefSrc, Protocol: r.Protocol,
			Scope: ptr(r.Scope), MPLSEncap: routeMPLSEncap(r), exact: true}
		if r.Extra != nil && r.Extra.Metrics != nil {
			s.Metrics = r.Extra.Metrics
		} else {
			s.Metrics = &netlink.RouteMetrics{}
		}
		if nhid := routeNHID(r); nhid != 0 {
			// The hops are the nexthop object's, restored by the
			// nexthops' restore.
			// Its type is the one the nexthop gives it.
			s.NHID, s.Gateway, s.Dev, s.Onlink, s.Type, s.MPLSEncap = nhid, netip.Addr{}, "", false, 0, nil
			rb.routes = append(rb.routes, s)
			rs.keepNexthop(nhid)
			return
		}
		for _, h := range r.Multipath {
			s.Multipath = append(s.Multipath, RouteHopSpec{Gateway: h.Gateway, Dev: preName(int(h.IfIndex)),
				Weight: h.Weight(), Onlink: h.Flags&unix.RTNH_F_ONLINK != 0, MPLSEncap: h.MPLSEncap})
		}
		rb.routes = append(rb.routes, s)
	}
	for i := range ss.routes {
		s := &ss.routes[i]
		fam, table := routeFamily(s.Dst), routeTable(s.Table)
		id := routeID{fam, table, s.Dst, s.TOS, routePriority(fam, s.Priority)}
		if seen[id] {
			continue
		}
		found := false
		for r := range pre.RoutesTo(table, s.Dst) {
			if sameRouteID(r, fam, s) {
				addRoute(r)
				found = true
				break
			}
		}
		if !found {
			seen[id] = true
			rb.routes = append(rb.routes, RouteSpec{Dst: s.Dst, Table: table, TOS: s.TOS, Priority: s.Priority, Absent: true})
		}
	}
	mpls.specs()
	for idx := range addrLinks {
		for r := range pre.RoutesOf(idx) {
			if !kernelRoute(r) {
				addRoute(r)
			}
		}
	}
	// Removing a nexthop (or the link under it) drops the routes that
	// use it, without a notification.
	for id := range rs.nexthops {
		for r := range pre.RoutesUsingNexthop(id) {
			addRoute(r)
		}
	}
}

func nhidOrNone(id uint32) any {
	if id == 0 {
		return "(none)"
	}
	return id
}

// settable lists what a RouteSpec can set of route o (a *netlink.Route):
// type, gateway, device, onlink, source, protocol, scope, metrics and
// next hops.
func (routeOps) settable(o netlink.Object) []attr {
	r := o.(*netlink.Route)
	if r.Family == unix.AF_MPLS {
		return mplsSettable(r)
	}
	var metrics, hops []string
	if r.Extra != nil && r.Extra.Metrics != nil {
		metrics = append(metrics, fmt.Sprintf("%+v", *r.Extra.Metrics))
	}
	if nhid := routeNHID(r); nhid != 0 {
		// The hops are the nexthop object's, which a NexthopSpec sets
		// (and the conflict check compares there).
		return []attr{
			{"type", r.Type.String()}, {"nhid", strconv.FormatUint(uint64(nhid), 10)}, {"via", ""}, {"dev", ""},
			{"onlink", ""}, {"src", r.PrefSrc.String()}, {"proto", r.Protocol.String()}, {"scope", r.Scope.String()},
			{"metrics", strings.Join(metrics, " ")}, {"nexthops", ""}, {"encap", ""},
		}
	}
	for _, h := range r.Multipath {
		// The kernel's own flags (linkdown, dead) are not set by specs.
		hops = append(hops, fmt.Sprintf("via %s dev %d weight %d onlink %t encap %s",
			h.Gateway, h.IfIndex, h.Weight(), h.Flags&unix.RTNH_F_ONLINK != 0, mplsEncapText(h.MPLSEncap)))
	}
	return []attr{
		{"type", r.Type.String()}, {"nhid", ""}, {"via", r.Gateway.String()}, {"dev", strconv.FormatUint(uint64(r.OIF), 10)},
		{"onlink", strconv.FormatBool(r.Flags&unix.RTNH_F_ONLINK != 0)}, {"src", r.PrefSrc.String()},
		{"proto", r.Protocol.String()}, {"scope", r.Scope.String()},
		{"metrics", strings.Join(metrics, " ")}, {"nexthops", strings.Join(hops, "; ")},
		{"encap", mplsEncapText(routeMPLSEncap(r))},
	}
}
