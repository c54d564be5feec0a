package txn

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// This file says what a modification changes: every `~` operation of a
// plan lists each attribute it changes as "old -> new", in ip(8)'s words,
// and keeps the attributes its spec does not mention.

// changeList collects "attr old -> new" items.
type changeList []string

func (c *changeList) add(attr string, old, new any) {
	*c = append(*c, fmt.Sprintf("%s %v -> %v", attr, old, new))
}

// String returns ": a -> b, c -> d", or "" if nothing changes.
func (c changeList) String() string {
	if len(c) == 0 {
		return ""
	}
	return ": " + strings.Join(c, ", ")
}

func addrOrNone(a netip.Addr) any {
	if !a.IsValid() {
		return "(none)"
	}
	return a
}

func strOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
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
	if have.Type != typ {
		c.add("type", have.Type, typ)
	}
	if have.Gateway != s.Gateway && len(s.Multipath) == 0 {
		c.add("via", addrOrNone(have.Gateway), addrOrNone(s.Gateway))
	}
	if s.Dev != "" {
		if old := p.nameOf(int(have.OIF)); old != s.Dev {
			c.add("dev", strOrNone(old), s.Dev)
		}
	}
	if on := have.Flags&unix.RTNH_F_ONLINK != 0; on != s.Onlink {
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
			Onlink: h.Flags&unix.RTNH_F_ONLINK != 0})
	}
	if o, n := hops(old), hops(s.Multipath); o != n {
		c.add("nexthops", "["+o+"]", "["+n+"]")
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
	sameHop := len(s.Multipath) == 0 && len(have.Multipath) == 0 && rt.OIF == have.OIF &&
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

// addrChanges lists what replacing have by spec s changes.
func addrChanges(have *netlink.Addr, s *AddrSpec) changeList {
	var c changeList
	peer := have.Peer
	if peer == have.Prefix.Addr() {
		peer = netip.Addr{}
	}
	if peer != s.Peer {
		c.add("peer", addrOrNone(peer), addrOrNone(s.Peer))
	}
	if s.Broadcast.IsValid() && have.Broadcast != s.Broadcast {
		c.add("broadcast", addrOrNone(have.Broadcast), s.Broadcast)
	}
	if s.Label != "" && have.Label != s.Label {
		c.add("label", strOrNone(have.Label), s.Label)
	}
	if s.Scope != nil && have.Scope != *s.Scope {
		c.add("scope", netlink.Scope(have.Scope), netlink.Scope(*s.Scope))
	}
	if s.Metric != nil && have.Metric != *s.Metric {
		c.add("metric", have.Metric, *s.Metric)
	}
	return c
}

// addrFixedChanges lists the changes from have to spec s that a replace
// request cannot make: all but the metric.
func addrFixedChanges(have *netlink.Addr, s *AddrSpec) []string {
	var fixed []string
	for _, c := range addrChanges(have, s) {
		if !strings.HasPrefix(c, "metric ") {
			fixed = append(fixed, c)
		}
	}
	return fixed
}

// neighChanges lists what replacing have by spec s changes.
func neighChanges(have *netlink.Neigh, s *NeighSpec) changeList {
	var c changeList
	if !bytes.Equal(have.LLAddr, s.LLAddr) {
		old := any(have.LLAddr)
		if len(have.LLAddr) == 0 {
			old = "(none)"
		}
		c.add("lladdr", old, s.LLAddr)
	}
	if st := neighState(s); have.State != st {
		c.add("nud", nudName(have.State), nudName(st))
	}
	return c
}

// nudName is ip(8)'s words for a NUD state, in lower case, joined by
// commas ("none" for zero).
func nudName(s uint16) string {
	return strings.ToLower(strings.Join(netlink.NeighStateNames(s), ","))
}
