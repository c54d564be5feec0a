package ipdb

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// RouteQuery describes a packet as `ip route get` does, for
// Snapshot.RouteGet: the destination and the selectors the policy rules
// can match. Zero fields are absent, as when ip is not given them.
type RouteQuery struct {
	// Dst is the destination address (required).
	Dst netip.Addr
	// Src is the source address (ip's "from"); invalid means none (the
	// unspecified address), which "from PREFIX" rules do not match.
	Src netip.Addr
	// IIF names the input interface (ip's "iif"): the packet is received
	// there. Empty means a locally generated packet, whose input interface
	// is the loopback device, as the kernel's output lookup sets it
	// (flowi_iif = LOOPBACK_IFINDEX).
	IIF string
	// OIF names the output interface (ip's "oif"). With it, routes whose
	// next hops do not go out through it are skipped, as the kernel's
	// fib_lookup_good_nhc does.
	OIF string
	// Mark is the firewall mark (ip's "mark").
	Mark uint32
	// UID is the user id of the socket (ip's "uid"); nil means the uid of
	// this process for a locally generated packet and no uid
	// (INVALID_UID, 0xffffffff) for a received one, as inet_rtm_getroute
	// does.
	UID *uint32
	// IPProto is the transport protocol (ip's "ipproto", e.g. unix.IPPROTO_TCP).
	IPProto uint8
	// SPort and DPort are the transport ports (ip's "sport", "dport").
	SPort, DPort uint16
	// TOS is the IPv4 TOS byte or IPv6 traffic class (ip's "tos"); rules
	// and routes match its DSCP bits (0xfc).
	TOS uint8
}

// RouteAnswer is the result of Snapshot.RouteGet.
type RouteAnswer struct {
	// Route is the route that matched, as `ip route get ... fibmatch`
	// prints it.
	Route *netlink.Route
	// Rule is the policy rule whose table gave the route.
	Rule *netlink.Rule
	// Table is the table the route was found in (the rule's, or the
	// l3mdev's for an l3mdev rule).
	Table uint32
}

// RouteGet answers from the cache, without asking the kernel, what
// `ip route get ... fibmatch` answers for the packet q: it walks the
// policy rules of q's family in priority order as the kernel's
// fib_rules_lookup does, and returns the route of the first table lookup
// that a rule accepts.
//
// A rule matches (fib_rule_match, fib4_rule_match, fib6_rule_match) when
// each selector it has matches the packet: iif and oif (a rule naming a
// missing device matches nothing), (mark ^ fwmark) & mask == 0, tun_id,
// l3mdev (the input or output interface is a VRF or a VRF's port), the
// uid range, from and to prefixes, the DSCP bits of tos, ipproto, and the
// sport and dport ranges; then "not" (FIB_RULE_INVERT) inverts the
// result. A matching rule then acts: goto jumps to the first rule of the
// target priority (an unresolved goto is skipped), nop does nothing,
// blackhole, unreachable and prohibit end the walk with an error, and
// lookup searches its table by longest prefix match (TOS-specific routes
// for a matching TOS first, then the lowest metric; dead next hops are
// skipped; a throw route or an empty table goes on with the next rule).
// A route found is rejected, and the walk goes on, when its prefix length
// is at most the rule's suppress_prefixlength or its device belongs to
// the rule's suppress_ifgroup.
//
// Errors wrap the errno the kernel answers: unix.ENETUNREACH when no rule
// gives a route or an unreachable rule matches, unix.EINVAL for a
// blackhole rule or route, unix.EHOSTUNREACH for an unreachable route,
// unix.EACCES for a prohibit rule or route; for an IPv4 query with an oif
// (and no iif), unix.ENETUNREACH if that link is down and
// unix.EHOSTUNREACH for every failed lookup (the kernel then takes the
// destination as on that link, and fibmatch has no route to print);
// ErrInvalid for a bad query
// (no destination, an unknown iif or oif) and ErrNotSynced before the
// first full picture.
//
// The answer is only as complete as the cache: a DB opened without rules
// or links (WithKinds) or without some tables (WithTables) answers as if
// they did not exist.
//
// The source of a locally generated IPv4 packet must be an address of
// this host (else unix.ENETUNREACH, as ip_route_output_key_hash_rcu
// answers). Unlike the kernel, RouteGet does not validate the source of a
// received packet (rp_filter, martians) and does not pick a next hop of a
// multipath route: the answer is the route, as fibmatch prints it.
func (s *Snapshot) RouteGet(q RouteQuery) (*RouteAnswer, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if !q.Dst.IsValid() {
		return nil, fmt.Errorf("%w: route get without a destination", ErrInvalid)
	}
	q.Dst = q.Dst.Unmap()
	q.Src = q.Src.Unmap()
	family := uint8(unix.AF_INET6)
	if q.Dst.Is4() {
		family = unix.AF_INET
	}
	if q.Src.IsValid() && q.Src.Is4() != q.Dst.Is4() {
		return nil, fmt.Errorf("%w: source %s and destination %s of different families", ErrInvalid, q.Src, q.Dst)
	}
	f := flow{q: q, family: family, iif: loopbackIfindex}
	if q.IIF != "" {
		l, err := s.LinkByName(q.IIF)
		if err != nil {
			return nil, fmt.Errorf("%w: iif %s: no such device", ErrInvalid, q.IIF)
		}
		f.iif = l.Index
	}
	if q.IIF == "" && q.Src.IsValid() && q.Src.Is4() {
		// ip_route_output_key_hash_rcu: a locally generated packet's
		// source must be an address of this host.
		if q.Src.IsMulticast() || q.Src.IsUnspecified() || q.Src == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return nil, fmt.Errorf("source %s: %w", q.Src, unix.EINVAL)
		}
		if !s.isLocalAddr(q.Src) {
			return nil, fmt.Errorf("source %s is not an address of this host: %w", q.Src, unix.ENETUNREACH)
		}
	}
	if q.OIF != "" {
		l, err := s.LinkByName(q.OIF)
		if err != nil {
			return nil, fmt.Errorf("%w: oif %s: no such device", ErrInvalid, q.OIF)
		}
		f.oif = l.Index
		if family == unix.AF_INET && q.IIF == "" && l.Flags&unix.IFF_UP == 0 {
			// ip_route_output_key_hash_rcu refuses an output device that
			// is down before it looks anything up.
			return nil, fmt.Errorf("oif %s is down: %w", q.OIF, unix.ENETUNREACH)
		}
	}
	switch {
	case q.UID != nil:
		f.uid = *q.UID
	case q.IIF != "":
		f.uid = 0xffffffff // INVALID_UID
	default:
		f.uid = uint32(os.Getuid())
	}
	if family == unix.AF_INET && q.IIF == "" {
		// ip_route_output_key_hash_rcu routes these without a lookup
		// (make_route with no fib_info), so fibmatch has no route:
		// 0.0.0.0 (as the loopback's own), and with an oif a local
		// multicast (224.0.0.0/24) or the limited broadcast.
		d := q.Dst
		if d.IsUnspecified() || f.oif != 0 && (d.IsLinkLocalMulticast() || d == netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
			return nil, fmt.Errorf("%s is routed without a route lookup: %w", d, unix.EHOSTUNREACH)
		}
	}
	ans, err := s.walkRules(&f)
	if err != nil && family == unix.AF_INET && q.IIF == "" && f.oif != 0 && !s.l3mdevLink(f.oif) {
		// ip_route_output_key_hash_rcu: with an output device, a failed
		// lookup (no route, or an unreachable, prohibit or blackhole rule
		// or route) makes the kernel assume the destination is on that
		// link; fibmatch then has no route to print and answers
		// EHOSTUNREACH (inet_rtm_getroute). Not for a VRF or its ports,
		// whose lookups are the VRF's (flowi4_l3mdev).
		return nil, fmt.Errorf("no route with oif %s (%v), and the kernel takes %s as on that link: %w", q.OIF, err, q.Dst, unix.EHOSTUNREACH)
	}
	return ans, err
}

// l3mdevLink reports whether the link of index idx is a VRF or a port of
// one: the kernel then looks routes up in the VRF's table alone
// (l3mdev_update_flow).
func (s *Snapshot) l3mdevLink(idx int) bool {
	isVRF := func(idx int) bool {
		l, err := s.LinkByIndex(idx)
		return err == nil && l.Info != nil && l.Info.InfoKind == "vrf"
	}
	if isVRF(idx) {
		return true
	}
	l, err := s.LinkByIndex(idx)
	return err == nil && l.Master != 0 && isVRF(l.Master)
}

// isLocalAddr reports whether a is the local address of one of the
// links (the kernel's __ip_dev_find).
func (s *Snapshot) isLocalAddr(a netip.Addr) bool {
	for ad := range s.Addrs() {
		if ad.Prefix.Addr() == a {
			return true
		}
	}
	return false
}

// flow is the packet being routed, with interface names resolved.
type flow struct {
	q        RouteQuery
	family   uint8
	iif, oif int
	uid      uint32
}

// loopbackIfindex is the kernel's LOOPBACK_IFINDEX: the loopback device
// of every namespace has index 1.
const loopbackIfindex = 1

func (s *Snapshot) walkRules(f *flow) (*RouteAnswer, error) {
	var rules []*netlink.Rule
	for r := range s.Rules() {
		if r.Family == f.family {
			rules = append(rules, r)
		}
	}
	for i := 0; i < len(rules); i++ {
		r := rules[i]
		table, ok := s.ruleMatch(r, f)
		if !ok {
			continue
		}
		switch r.Action {
		case netlink.RuleGoto:
			// The kernel jumps to ctarget, the first rule of exactly that
			// priority, and tests it like any other; without one the goto
			// is unresolved and skipped.
			j := i + 1
			for j < len(rules) && rules[j].Priority != r.Goto {
				j++
			}
			if j < len(rules) {
				i = j - 1
			}
			continue
		case netlink.RuleNop:
			continue
		case netlink.RuleUnreachable:
			return nil, fmt.Errorf("rule %d is unreachable: %w", r.Priority, unix.ENETUNREACH)
		case netlink.RuleProhibit:
			return nil, fmt.Errorf("rule %d is prohibit: %w", r.Priority, unix.EACCES)
		case netlink.RuleToTable:
		default: // blackhole, and actions the kernel treats as such
			return nil, fmt.Errorf("rule %d is %s: %w", r.Priority, r.Action, unix.EINVAL)
		}
		if table == 0 {
			table = r.Table
		}
		route := s.lookupFlow(table, f)
		if route == nil {
			continue // -EAGAIN: an empty table or no match
		}
		switch route.Type {
		case netlink.RouteThrow:
			continue
		case netlink.RouteBlackhole:
			return nil, fmt.Errorf("route %s in table %d is a blackhole: %w", route.Dst, table, unix.EINVAL)
		case netlink.RouteUnreachable:
			return nil, fmt.Errorf("route %s in table %d is unreachable: %w", route.Dst, table, unix.EHOSTUNREACH)
		case netlink.RouteProhibit:
			return nil, fmt.Errorf("route %s in table %d is prohibit: %w", route.Dst, table, unix.EACCES)
		}
		if s.suppressed(r, route) {
			continue
		}
		return &RouteAnswer{Route: route, Rule: r, Table: table}, nil
	}
	return nil, fmt.Errorf("no route to %s: %w", f.q.Dst, unix.ENETUNREACH)
}

// ruleMatch reports whether rule r matches the flow, and for an l3mdev
// rule the table of the VRF.
func (s *Snapshot) ruleMatch(r *netlink.Rule, f *flow) (table uint32, ok bool) {
	ok = s.ruleSelectorsMatch(r, f, &table)
	if r.Flags&unix.FIB_RULE_INVERT != 0 {
		ok = !ok
	}
	return table, ok
}

func (s *Snapshot) ruleSelectorsMatch(r *netlink.Rule, f *flow, table *uint32) bool {
	q := &f.q
	ifMatch := func(name string, index int) bool {
		if name == "" {
			return true
		}
		l, err := s.LinkByName(name)
		return err == nil && l.Index == index // a missing device matches nothing
	}
	if !ifMatch(r.IIFName, f.iif) || !ifMatch(r.OIFName, f.oif) {
		return false
	}
	mask := r.Mask
	if r.Mark != 0 && mask == 0 {
		mask = 0xffffffff
	}
	if (r.Mark^q.Mark)&mask != 0 {
		return false
	}
	if r.TunID != 0 {
		return false // RouteQuery carries no tunnel id
	}
	if r.L3MDev != 0 {
		t, ok := s.l3mdevTable(f)
		if !ok {
			return false
		}
		*table = t
	}
	if u := r.UIDRange; u != nil && (f.uid < u.Start || f.uid > u.End) {
		return false
	}
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		// IPv4 compares the source 0.0.0.0 when there is none; IPv6
		// rules with a source never match without one (no
		// RT6_LOOKUP_F_HAS_SADDR).
		src := q.Src
		if !src.IsValid() && f.family == unix.AF_INET {
			src = netip.IPv4Unspecified()
		}
		if !src.IsValid() || !r.Src.Contains(src) {
			return false
		}
	}
	if r.Dst.IsValid() && r.Dst.Bits() > 0 && !r.Dst.Contains(q.Dst) {
		return false
	}
	if r.TOS != 0 && r.TOS&0xfc != q.TOS&0xfc {
		return false
	}
	if r.Flow != 0 {
		return false // realms come from routes of received packets
	}
	if r.IPProto != 0 && r.IPProto != q.IPProto {
		return false
	}
	inRange := func(p netlink.RulePortRange, v uint16) bool {
		return p == (netlink.RulePortRange{}) || (v >= p.Start && v <= p.End)
	}
	return inRange(r.SPort, q.SPort) && inRange(r.DPort, q.DPort)
}

// l3mdevTable returns the table of the VRF the flow's output (or else
// input) interface is or belongs to, as l3mdev_fib_rule_match does.
func (s *Snapshot) l3mdevTable(f *flow) (uint32, bool) {
	for _, idx := range []int{f.oif, f.iif} {
		if idx == 0 {
			continue
		}
		l, err := s.LinkByIndex(idx)
		if err != nil {
			continue
		}
		if v, ok := vrfData(l); ok {
			return v.Table, true
		}
		if l.Master != 0 {
			if m, err := s.LinkByIndex(l.Master); err == nil {
				if v, ok := vrfData(m); ok {
					return v.Table, true
				}
			}
		}
	}
	return 0, false
}

func vrfData(l *netlink.Link) (*netlink.Vrf, bool) {
	if l.Info == nil {
		return nil, false
	}
	v, ok := l.Info.Data.(*netlink.Vrf)
	return v, ok
}

// suppressed reports whether rule r rejects the route it found
// (fib4_rule_suppress, fib6_rule_suppress).
func (s *Snapshot) suppressed(r *netlink.Rule, route *netlink.Route) bool {
	if p := r.SuppressPrefixLen; p != nil && *p != 0xffffffff && route.Dst.Bits() <= int(*p) {
		return true
	}
	if g := r.SuppressIfGroup; g != nil && *g != 0xffffffff {
		idx := int(route.OIF)
		if idx == 0 && len(route.Multipath) > 0 {
			idx = int(route.Multipath[0].IfIndex)
		}
		if l, err := s.LinkByIndex(idx); err == nil && l.Group == *g {
			return true
		}
	}
	return false
}

// lookupFlow is the longest prefix match of one table for the flow: at
// the longest prefix with a usable route, a route whose TOS matches the
// flow's DSCP comes before TOS 0 ones, then the lowest metric, then the
// first alternate in the kernel's list order (RoutesTo yields them so). Routes
// whose next hops are all dead, IPv6 routes with a source prefix that
// does not contain the flow's source, and, with an oif, routes that do not
// go out through it are skipped.
func (s *Snapshot) lookupFlow(table uint32, f *flow) *netlink.Route {
	dst := f.q.Dst
	for bits := dst.BitLen(); bits >= 0; bits-- {
		var best *netlink.Route
		for r := range s.RoutesTo(table, netip.PrefixFrom(dst, bits).Masked()) {
			if routeDead(r) || !s.routeUsable(r, f) {
				continue
			}
			if r.TOS != 0 && r.TOS&0xfc != f.q.TOS&0xfc {
				continue
			}
			if best == nil || (r.TOS != 0 && best.TOS == 0) || (r.TOS == best.TOS && r.Priority < best.Priority) {
				best = r
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

func (s *Snapshot) routeUsable(r *netlink.Route, f *flow) bool {
	if r.Extra != nil && r.Extra.Src.IsValid() && r.Extra.Src.Bits() > 0 {
		if !f.q.Src.IsValid() || !r.Extra.Src.Contains(f.q.Src) {
			return false
		}
	}
	if f.oif == 0 {
		return true
	}
	switch r.Type {
	case netlink.RouteBlackhole, netlink.RouteUnreachable, netlink.RouteProhibit, netlink.RouteThrow:
		// IPv4 answers these before it looks at a next hop
		// (fib_table_lookup: fib_props[type].error); IPv6 matches them
		// by their device, lo, like every route (RT6_LOOKUP_F_IFACE).
		if f.family == unix.AF_INET {
			return true
		}
	}
	// Every other type, local and broadcast routes too, goes through its
	// next hop's device (fib_lookup_good_nhc).
	if len(r.Multipath) == 0 {
		return r.OIF == 0 || int(r.OIF) == f.oif
	}
	for _, h := range r.Multipath {
		if int(h.IfIndex) == f.oif {
			return true
		}
	}
	return false
}
