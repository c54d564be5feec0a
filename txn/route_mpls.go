package txn

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// MPLS routes (AF_MPLS, net/mpls/af_mpls.c) and the MPLS encapsulation of
// IP routes and their next hops (net/mpls/mpls_iptunnel.c). MPLS route
// specs are specs of kind route (specRef.mpls); the encapsulation is a
// field of RouteSpec and RouteHopSpec, handled in route.go with the
// helpers here.

// MPLSHopSpec is one next hop of a multipath MPLS route (`ip -f mpls
// route add 100 nexthop as 200 via inet 192.0.2.2 dev v0 nexthop ...`).
// The kernel supports no weights or flags on them (mpls_nh_build_multi).
type MPLSHopSpec struct {
	// As is the label stack the hop swaps the incoming label for,
	// outermost first (RTA_NEWDST, ip's "as 200/300"); nil pops it.
	As []uint32
	// Via is the next hop's IPv4 or IPv6 address (RTA_VIA, ip's "via
	// inet 192.0.2.2"), if any.
	Via netip.Addr
	// Dev names the output link, if any; without it the kernel picks the
	// link its IP routes give Via (find_outdev).
	Dev string
}

// MPLSRouteSpec is the desired state of the MPLS route of incoming label
// Label (Family unix.AF_MPLS; `ip -f mpls route add 100 as 200/300 via
// inet 192.0.2.2 dev v0`). The kernel keeps one route per label, in no
// table: Label is the route's whole identity, and a route of that label
// that differs is replaced. The namespace's net.mpls.platform_labels must
// be above Label (mpls_label_ok), and the output links must accept MPLS
// (mpls_dev_get): the kernel refuses the route otherwise (EINVAL).
type MPLSRouteSpec struct {
	// Label is the incoming label, MPLSLabelFirstUnreserved (16) to
	// MPLSLabelMax (labels 0-15 are reserved).
	Label uint32
	// Absent deletes the route of Label if present.
	Absent bool
	// As is the label stack swapped in for Label, outermost first
	// (RTA_NEWDST, ip's "as 200/300"): at most MPLSMaxNewLabels labels
	// of at most MPLSLabelMax, none the implicit null label 3; nil pops
	// Label.
	As []uint32
	// Via is the next hop's IPv4 or IPv6 address (RTA_VIA), if any.
	Via netip.Addr
	// Dev names the output link, if any. A route needs Via, Dev or
	// Multipath; without Dev the kernel picks the link of its IP route to
	// Via, and the spec holds on whichever link that is.
	Dev string
	// TTLPropagate is the route's TTL propagation (RTA_TTL_PROPAGATE, ip's
	// "ttl-propagate enabled|disabled"); MPLSTTLPropDefault follows
	// net.mpls.ip_ttl_propagate. It must match.
	TTLPropagate netlink.MPLSTTLProp
	// Protocol, if not zero, is the route's protocol (boot otherwise; a
	// replaced route keeps its protocol when this is zero).
	Protocol netlink.RouteProtocol
	// Multipath lists the next hops of a multipath route, instead of As,
	// Via and Dev.
	Multipath []MPLSHopSpec

	// exact (rollback only): nothing of the existing route is kept.
	exact bool
}

// MPLSRoute adds an MPLS route spec.
func (t *Txn) MPLSRoute(s MPLSRouteSpec) *Txn {
	t.specs.mplsRoutes = append(t.specs.mplsRoutes, s)
	t.plan = nil
	return t
}

// MPLSRoutes adds many MPLS route specs.
func (t *Txn) MPLSRoutes(s ...MPLSRouteSpec) *Txn {
	t.specs.mplsRoutes = append(t.specs.mplsRoutes, s...)
	t.plan = nil
	return t
}

// validateLabelStack checks labels an MPLS route or encapsulation pushes
// as nla_get_labels does (net/mpls/af_mpls.c): at most
// MPLSMaxNewLabels, each at most MPLSLabelMax and none the implicit null
// label 3.
func validateLabelStack(what string, labels []uint32) error {
	if len(labels) > netlink.MPLSMaxNewLabels {
		return invalid("%s: %d labels, at most %d", what, len(labels), netlink.MPLSMaxNewLabels)
	}
	for _, l := range labels {
		if l > netlink.MPLSLabelMax {
			return invalid("%s: label %d above %d", what, l, netlink.MPLSLabelMax)
		}
		if l == netlink.MPLSLabelImplicitNull {
			return invalid("%s: the implicit null label 3 cannot be pushed", what)
		}
	}
	return nil
}

// validateVia checks an MPLS next hop's via address: IPv4 or IPv6
// (nla_get_via maps them to the ARP and ND tables), no zone.
func validateVia(what string, a netip.Addr) error {
	if a.IsValid() && (a.Zone() != "" || a.Is4In6()) {
		return invalid("%s: via %s (want a plain IPv4 or IPv6 address)", what, a)
	}
	return nil
}

func (s *MPLSRouteSpec) what() string { return "mpls route " + strconv.FormatUint(uint64(s.Label), 10) }

// validate checks s as rtm_to_route_config, mpls_nh_build_multi and
// mpls_route_add do (net/mpls/af_mpls.c), but for what only the kernel
// knows (platform_labels, whether a link accepts MPLS, whether a via
// address without a link is routable).
func (s *MPLSRouteSpec) validate() error {
	if s.Label < netlink.MPLSLabelFirstUnreserved || s.Label > netlink.MPLSLabelMax {
		return invalid("mpls route: label %d (want %d to %d; 0-15 are reserved)", s.Label,
			netlink.MPLSLabelFirstUnreserved, netlink.MPLSLabelMax)
	}
	if s.Absent {
		return nil
	}
	what := s.what()
	if s.TTLPropagate > netlink.MPLSTTLPropDisabled {
		return invalid("%s: ttl-propagate %d (want default, enabled or disabled)", what, s.TTLPropagate)
	}
	if len(s.Multipath) > 0 {
		if s.Via.IsValid() || s.Dev != "" || len(s.As) > 0 {
			return invalid("%s: both a next hop (as, via, dev) and multipath", what)
		}
		for i := range s.Multipath {
			h := &s.Multipath[i]
			hw := fmt.Sprintf("%s: next hop %d", what, i+1)
			if !h.Via.IsValid() && h.Dev == "" {
				return invalid("%s needs a via address or a dev", hw)
			}
			if err := validateVia(hw, h.Via); err != nil {
				return err
			}
			if h.Dev != "" {
				if err := validName("nexthop dev", h.Dev); err != nil {
					return fmt.Errorf("%s: %w", hw, err)
				}
			}
			if err := validateLabelStack(hw+": as", h.As); err != nil {
				return err
			}
		}
		return nil
	}
	if !s.Via.IsValid() && s.Dev == "" {
		return invalid("%s needs a via address, a dev or next hops", what)
	}
	if err := validateVia(what, s.Via); err != nil {
		return err
	}
	if s.Dev != "" {
		if err := validName("dev", s.Dev); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return validateLabelStack(what+": as", s.As)
}

// validateMPLSRoutes validates the MPLS route specs of ss, and refuses two
// for one label (the kernel keeps one route per label).
func validateMPLSRoutes(ss *specSet) error {
	var seen map[uint32]int
	for i := range ss.mplsRoutes {
		s := &ss.mplsRoutes[i]
		ref := specRef{kind: netlink.KindRoute, mpls: true, i: int32(i)}
		if err := s.validate(); err != nil {
			return specErr(ref, err)
		}
		if seen == nil {
			seen = make(map[uint32]int, len(ss.mplsRoutes))
		}
		if j, dup := seen[s.Label]; dup {
			return specErr(ref, invalid("%s: given twice (MPLS route specs %d and %d); the kernel keeps one route per label",
				s.what(), j+1, i+1))
		}
		seen[s.Label] = i
	}
	return nil
}

// validateEncap checks the MPLS encapsulations of a route spec as
// mpls_build_state (net/mpls/mpls_iptunnel.c) and rtm_to_fib_config do: 1
// to MPLSMaxNewLabels labels, only on a unicast route's next hops, not
// with a nexthop id (the kernel refuses RTA_ENCAP beside RTA_NH_ID), and
// per hop on a multipath route.
func (s *RouteSpec) validateEncap() error {
	if s.MPLSEncap != nil {
		switch {
		case s.NHID != 0:
			return invalid("encap mpls with nhid %d (the nexthop object has the next hops)", s.NHID)
		case len(s.Multipath) > 0:
			return invalid("encap mpls on a multipath route; give each next hop its encapsulation")
		case s.Type != 0 && s.Type != netlink.RouteUnicast:
			return invalid("encap mpls on a %s route, which has no next hop", s.Type)
		}
		if err := validateEncapLabels("encap mpls", s.MPLSEncap); err != nil {
			return err
		}
	}
	for i := range s.Multipath {
		if e := s.Multipath[i].MPLSEncap; e != nil {
			if err := validateEncapLabels(fmt.Sprintf("next hop %d: encap mpls", i+1), e); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateEncapLabels(what string, e *netlink.MPLSEncap) error {
	if len(e.Labels) == 0 {
		return invalid("%s: no labels (want 1 to %d)", what, netlink.MPLSMaxNewLabels)
	}
	if len(e.Unknown) > 0 {
		return invalid("%s: unknown attributes", what)
	}
	return validateLabelStack(what, e.Labels)
}

// routeMPLSEncap is the MPLS encapsulation of r's single next hop, nil if
// none.
func routeMPLSEncap(r *netlink.Route) *netlink.MPLSEncap {
	if r.Extra == nil {
		return nil
	}
	return r.Extra.MPLSEncap
}

// mplsEncapEqual reports whether two encapsulations push the same labels
// with the same TTL (nil: none).
func mplsEncapEqual(a, b *netlink.MPLSEncap) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.TTL == b.TTL && slices.Equal(a.Labels, b.Labels)
}

func cloneMPLSEncap(e *netlink.MPLSEncap) *netlink.MPLSEncap {
	if e == nil {
		return nil
	}
	return &netlink.MPLSEncap{Labels: slices.Clone(e.Labels), TTL: e.TTL}
}

// mplsEncapText is an encapsulation in ip's words without "encap": "mpls
// 100/200 ttl 10", or "(none)".
func mplsEncapText(e *netlink.MPLSEncap) string {
	if e == nil {
		return "(none)"
	}
	t := "mpls " + netlink.FormatMPLSLabels(e.Labels)
	if e.TTL != 0 {
		t += " ttl " + strconv.Itoa(int(e.TTL))
	}
	return t
}

// writeMPLSEncap writes " encap mpls 100/200 ttl 10" as ip's
// lwt_print_encap does, nothing for nil.
func writeMPLSEncap(b *strings.Builder, e *netlink.MPLSEncap) {
	if e != nil {
		b.WriteString(" encap " + mplsEncapText(e))
	}
}

// mplsRouteID is the verification identity of the MPLS route of label: the
// family and the label (in the priority's place; MPLS routes have none).
func mplsRouteID(label uint32) routeID {
	return routeID{fam: unix.AF_MPLS, table: unix.RT_TABLE_MAIN, priority: label}
}

// mplsRouteOf returns the MPLS route of label in p's state, or nil. The
// first call reads every MPLS route (the state has them in one table, by
// label).
func (p *planner) mplsRouteOf(label uint32) *netlink.Route {
	if p.mplsRoutes == nil {
		p.mplsRoutes = map[uint32]*netlink.Route{}
		for r := range p.st.RoutesInTable(unix.AF_MPLS, unix.RT_TABLE_MAIN) {
			if l, ok := r.MPLSLabel(); ok {
				p.mplsRoutes[l] = r
			}
		}
	}
	return p.mplsRoutes[label]
}

// mplsRouteSatisfied reports whether r holds spec s, whose Dev resolves
// to oif and hop devices to hops (0 where a spec names none). The flags
// the kernel sets (dead, linkdown) are not compared.
func mplsRouteSatisfied(r *netlink.Route, s *MPLSRouteSpec, oif int, hops []int) bool {
	x := r.Extra
	if x == nil {
		return false
	}
	if (s.Protocol != 0 || s.exact) && r.Protocol != mplsProtocol(s.Protocol) {
		return false
	}
	if x.TTLPropagate != s.TTLPropagate || !slices.Equal(x.NewDst, s.As) || r.Gateway != s.Via ||
		(s.Dev != "" && int(r.OIF) != oif) || len(r.Multipath) != len(s.Multipath) {
		return false
	}
	for i := range s.Multipath {
		h, w := &r.Multipath[i], &s.Multipath[i]
		if !slices.Equal(h.NewDst, w.As) || h.Gateway != w.Via || (w.Dev != "" && int(h.IfIndex) != hops[i]) {
			return false
		}
	}
	return true
}

// mplsProtocol is the protocol a route of spec protocol p gets: boot for
// zero, as with ip(8).
func mplsProtocol(p netlink.RouteProtocol) netlink.RouteProtocol {
	if p == 0 {
		return netlink.ProtoBoot
	}
	return p
}

func (p *planner) planMPLSRoute(ref specRef, s *MPLSRouteSpec) error {
	oif, pending := 0, false
	var hops []int
	if !s.Absent {
		if s.Dev != "" {
			var err error
			if oif, pending, err = p.ref(s.Dev); err != nil {
				return fmt.Errorf("%s: %w", s.what(), err)
			}
		}
		if len(s.Multipath) > 0 {
			hops = make([]int, len(s.Multipath))
			for i, h := range s.Multipath {
				if h.Dev == "" {
					continue
				}
				idx, pend, err := p.ref(h.Dev)
				if err != nil {
					return fmt.Errorf("%s: %w", s.what(), err)
				}
				hops[i], pending = idx, pending || pend
			}
		}
	}
	have := p.mplsRouteOf(s.Label)
	if have != nil {
		observe(p, have)
	}
	if s.Absent {
		if have != nil {
			label := s.Label
			desc := p.describeMPLSRoute(have)
			p.add(&Step{Action: Remove, Kind: netlink.KindRoute, stage: stageRouteDel, spec: ref,
				desc: func() string { return desc },
				build: func(*resolver) (netlink.Request, error) {
					return netlink.RouteRequest(netlink.Delete, &netlink.Route{Family: unix.AF_MPLS,
						Extra: &netlink.RouteExtra{Label: label}}), nil
				}})
		}
		return nil
	}
	if have != nil && !pending && mplsRouteSatisfied(have, s, oif, hops) {
		return nil
	}
	verb, act := netlink.Add, Create
	desc := func() string { return s.describe() + s.createAttrs() }
	if have != nil {
		// NLM_F_REPLACE swaps the label's route (mpls_route_add).
		verb, act = netlink.Replace, Modify
		desc = func() string { return s.describe() + p.mplsRouteChanges(have, s).String() }
	}
	p.add(&Step{Action: act, Kind: netlink.KindRoute, stage: stageRouteAdd, spec: ref,
		desc: desc,
		build: func(r *resolver) (netlink.Request, error) {
			rt, err := r.mplsRoute(s, have)
			if err != nil {
				return netlink.Request{}, err
			}
			return netlink.RouteRequest(verb, rt), nil
		}})
	return nil
}

// mplsRoute builds the request route of s, which replaces have (nil if
// it creates the route): with have's protocol when s names none.
func (r *resolver) mplsRoute(s *MPLSRouteSpec, have *netlink.Route) (*netlink.Route, error) {
	rt := &netlink.Route{Family: unix.AF_MPLS, Gateway: s.Via, Protocol: s.Protocol,
		Extra: &netlink.RouteExtra{Label: s.Label, NewDst: slices.Clone(s.As), TTLPropagate: s.TTLPropagate}}
	if have != nil && s.Protocol == 0 && !s.exact {
		rt.Protocol = have.Protocol
	}
	if s.Dev != "" {
		idx, err := r.index(s.Dev)
		if err != nil {
			return nil, err
		}
		rt.OIF = uint32(idx)
	}
	for _, h := range s.Multipath {
		nh := netlink.RouteHop{Gateway: h.Via, NewDst: slices.Clone(h.As)}
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

// viaText is an MPLS next hop's via as ip prints it: "inet 192.0.2.2".
func viaText(a netip.Addr) string {
	if a.Is4() {
		return "inet " + a.String()
	}
	return "inet6 " + a.String()
}

// writeMPLSHop writes a next hop as ip's print_route does for MPLS: "as
// to 200/300 via inet 192.0.2.2 dev v0", each part only if set.
func writeMPLSHop(b *strings.Builder, as []uint32, via netip.Addr, dev string) {
	if len(as) > 0 {
		b.WriteString(" as to " + netlink.FormatMPLSLabels(as))
	}
	if via.IsValid() {
		b.WriteString(" via " + viaText(via))
	}
	if dev != "" {
		b.WriteString(" dev " + dev)
	}
}

// describe is the plan's words for s: "route mpls 100 as to 200 via inet
// 192.0.2.2 dev v0", as `ip -f mpls route show` prints the route after
// the family.
func (s *MPLSRouteSpec) describe() string {
	var b strings.Builder
	b.WriteString("route mpls " + strconv.FormatUint(uint64(s.Label), 10))
	writeMPLSHop(&b, s.As, s.Via, s.Dev)
	for _, h := range s.Multipath {
		b.WriteString(" nexthop")
		writeMPLSHop(&b, h.As, h.Via, h.Dev)
	}
	return b.String()
}

// createAttrs lists what a route created from s sets beyond describe's:
// protocol and TTL propagation.
func (s *MPLSRouteSpec) createAttrs() string {
	var b strings.Builder
	if s.Protocol != 0 {
		b.WriteString(" proto " + s.Protocol.String())
	}
	if t := ttlPropagateText(s.TTLPropagate); t != "" {
		b.WriteString(" ttl-propagate " + t)
	}
	return b.String()
}

func ttlPropagateText(t netlink.MPLSTTLProp) string {
	switch t {
	case netlink.MPLSTTLPropEnabled:
		return "enabled"
	case netlink.MPLSTTLPropDisabled:
		return "disabled"
	}
	return ""
}

// mplsSpecOf is the spec of MPLS route r, its links named by name.
func mplsSpecOf(r *netlink.Route, name func(int) string) MPLSRouteSpec {
	x := r.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	s := MPLSRouteSpec{Label: x.Label, As: x.NewDst, Via: r.Gateway, Dev: name(int(r.OIF)),
		TTLPropagate: x.TTLPropagate, Protocol: r.Protocol}
	for _, h := range r.Multipath {
		s.Multipath = append(s.Multipath, MPLSHopSpec{As: h.NewDst, Via: h.Gateway, Dev: name(int(h.IfIndex))})
	}
	return s
}

// describeMPLSRoute describes an existing MPLS route as describe does.
func (p *planner) describeMPLSRoute(r *netlink.Route) string {
	s := mplsSpecOf(r, p.nameOf)
	return s.describe()
}

// mplsRouteChanges lists what replacing have by spec s changes.
func (p *planner) mplsRouteChanges(have *netlink.Route, s *MPLSRouteSpec) changeList {
	var c changeList
	h := mplsSpecOf(have, p.nameOf)
	labels := func(l []uint32) string {
		if len(l) == 0 {
			return "(none)"
		}
		return netlink.FormatMPLSLabels(l)
	}
	if len(s.Multipath) == 0 {
		if !slices.Equal(h.As, s.As) {
			c.add("as to", labels(h.As), labels(s.As))
		}
		if h.Via != s.Via {
			c.add("via", viaOrNone(h.Via), viaOrNone(s.Via))
		}
		if s.Dev != "" && h.Dev != s.Dev {
			c.add("dev", strOrNone(h.Dev), s.Dev)
		}
	}
	if (s.Protocol != 0 || s.exact) && have.Protocol != mplsProtocol(s.Protocol) {
		c.add("proto", have.Protocol, mplsProtocol(s.Protocol))
	}
	if h.TTLPropagate != s.TTLPropagate {
		old, nw := ttlPropagateText(h.TTLPropagate), ttlPropagateText(s.TTLPropagate)
		c.add("ttl-propagate", strOrDefault(old), strOrDefault(nw))
	}
	hops := func(hs []MPLSHopSpec) string {
		var b strings.Builder
		for _, x := range hs {
			b.WriteString(" nexthop")
			writeMPLSHop(&b, x.As, x.Via, x.Dev)
		}
		return strings.TrimSpace(b.String())
	}
	if o, n := hops(h.Multipath), hops(s.Multipath); o != n {
		c.add("nexthops", "["+o+"]", "["+n+"]")
	}
	if len(c) == 0 {
		c = append(c, "(an attribute the plan cannot name)")
	}
	return c
}

func viaOrNone(a netip.Addr) string {
	if !a.IsValid() {
		return "(none)"
	}
	return viaText(a)
}

func strOrDefault(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

// mplsRestore derives the rollback's MPLS route specs: the pre-image of
// every label an MPLS route spec names, and of the MPLS routes through
// links whose routes are restored (routeOps.restore's addRoute).
type mplsRestore struct {
	rs   *restorer
	seen map[uint32]bool
}

func newMPLSRestore(rs *restorer) *mplsRestore {
	return &mplsRestore{rs: rs, seen: map[uint32]bool{}}
}

// add restores MPLS route r as it is in the pre-image.
func (m *mplsRestore) add(r *netlink.Route) {
	label, ok := r.MPLSLabel()
	if !ok || m.seen[label] {
		return
	}
	m.seen[label] = true
	s := mplsSpecOf(r, m.rs.preName)
	s.exact = true
	m.rs.rb.mplsRoutes = append(m.rs.rb.mplsRoutes, s)
}

// specs restores the label of every MPLS route spec: its pre-image route,
// or none.
func (m *mplsRestore) specs() {
	var pre map[uint32]*netlink.Route
	for i := range m.rs.ss.mplsRoutes {
		label := m.rs.ss.mplsRoutes[i].Label
		if m.seen[label] {
			continue
		}
		if pre == nil {
			pre = map[uint32]*netlink.Route{}
			for r := range m.rs.pre.RoutesInTable(unix.AF_MPLS, unix.RT_TABLE_MAIN) {
				if l, ok := r.MPLSLabel(); ok {
					pre[l] = r
				}
			}
		}
		if r := pre[label]; r != nil {
			m.add(r)
			continue
		}
		m.seen[label] = true
		m.rs.rb.mplsRoutes = append(m.rs.rb.mplsRoutes, MPLSRouteSpec{Label: label, Absent: true})
	}
}

// mplsSettable lists what an MPLSRouteSpec can set of MPLS route r: as
// to, via, dev, protocol, TTL propagation and next hops.
func mplsSettable(r *netlink.Route) []attr {
	x := r.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	var hops []string
	for _, h := range r.Multipath {
		hops = append(hops, fmt.Sprintf("as %s via %s dev %d", netlink.FormatMPLSLabels(h.NewDst), h.Gateway, h.IfIndex))
	}
	return []attr{
		{"as to", netlink.FormatMPLSLabels(x.NewDst)}, {"via", r.Gateway.String()},
		{"dev", strconv.FormatUint(uint64(r.OIF), 10)}, {"proto", r.Protocol.String()},
		{"ttl-propagate", ttlPropagateText(x.TTLPropagate)}, {"nexthops", strings.Join(hops, "; ")},
	}
}
