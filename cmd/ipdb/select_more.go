package main

import (
	"fmt"
	"net/netip"
	"path"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// More of ip's selectors, each filtering as ip's own filter does:
//
//   - links and addrs (ip/ipaddress.c, ipaddr_list_flush_or_save, which
//     both ip link show and ip addr show run): `master DEV` (links whose
//     IFLA_MASTER is DEV), `up` (links with IFF_UP; takes no value);
//   - addrs: `scope SCOPE` (addresses of that scope; `all` is every one),
//     `label PATTERN` (IPv4 addresses whose IFA_LABEL, and IPv6 addresses
//     whose link name, matches the shell pattern as fnmatch(3) matches
//     it, read with path.Match). With label, ip prints no link keys: each
//     listed link is an object holding only addr_info (print_linkinfo
//     returns before printing when filter.label is set), and of the link
//     filters only dev and up apply;
//   - routes (ip/iproute.c, iproute_list_flush_or_save and
//     filter_nlmsg): `proto PROTO` (rtm_protocol; `all` is every one),
//     `type TYPE` (rtm_type), `via PREFIX` (the gateway within PREFIX; a
//     route without a gateway has the zero address; an RTA_VIA gateway of
//     the other family selects that family), `src PREFIX` (RTA_PREFSRC
//     within PREFIX, likewise). ip leaves out the keys these fix: the
//     protocol under proto, the gateway under a via of a host's length,
//     the prefsrc under a src of a host's length (print_route);
//   - neigh (ip/ipneigh.c): a bare ADDR[/LEN], or `to ADDR[/LEN]`, keeps
//     the entries whose destination lies within it (a /0 keeps all).
//
// A selector's bad prefix is ip's error, word for word (ipError).

// moreSelection holds these selectors' values in a selection.
type moreSelection struct {
	// master names a link; masterIndex is its index once resolved.
	master      string
	masterIndex int
	up          bool
	// scope is ip addr's filter.scope; scopeGiven is filter.scopemask -1
	// (false without the word or with `scope all`).
	scope      uint8
	scopeGiven bool
	label      string
	// proto is ip route's filter.protocol; protoGiven its mask.
	proto      netlink.RouteProtocol
	protoGiven bool
	// routeTypes is ip route's filter.typemask (1 << rtm_type), 0 for all.
	routeTypes uint64
	// via and src are ip route's filter.rvia and filter.rprefsrc.
	via, src netip.Prefix
	// neighDst is ip neigh's filter.pfx.
	neighDst netip.Prefix
}

// given reports whether any of these selectors was given.
func (m *moreSelection) given() bool {
	return m.master != "" || m.up || m.scopeGiven || m.label != "" || m.protoGiven ||
		m.routeTypes != 0 || m.via.IsValid() || m.src.IsValid() || m.neighDst.IsValid()
}

// moreSelectors are the selector words of this file; init adds them to
// selectors.
var moreSelectors = []selector{
	{word: "master", value: "DEV", help: "links enslaved to DEV (ip link show master br0)",
		parse:    func(s *selection, v string) error { s.more.master = v; return nil },
		complete: liveLinkNames},
	{word: "up", help: "links that are up (ip link show up)", noValue: true,
		parse:    func(s *selection, _ string) error { s.more.up = true; return nil },
		complete: noValues},
	{word: "scope", value: "SCOPE", help: "addresses or routes of this scope: global, site, link, host, nowhere, a number or all",
		parse:    parseAddrScope,
		complete: func(*env) []string { return []string{"global", "site", "link", "host", "nowhere", "all"} }},
	{word: "label", value: "PATTERN", help: "addresses whose label matches the shell pattern (ip addr show label 'v0:*')",
		parse:    func(s *selection, v string) error { s.more.label = v; return nil },
		complete: noValues},
	{word: "proto", value: "PROTO", help: "routes of this protocol (kernel, boot, static, a number, ... or all)",
		parse:    parseRouteProto,
		complete: func(*env) []string { return []string{"kernel", "boot", "static", "dhcp", "ra", "all"} }},
	{word: "protocol", value: "PROTO", help: "as proto",
		parse: parseRouteProto, complete: noValues},
	{word: "via", value: "PREFIX", help: "routes whose gateway lies within PREFIX",
		parse:    func(s *selection, v string) error { return parseSelectorPrefix(s, v, &s.more.via) },
		complete: noValues},
	{word: "src", value: "PREFIX", help: "routes whose preferred source lies within PREFIX",
		parse:    func(s *selection, v string) error { return parseSelectorPrefix(s, v, &s.more.src) },
		complete: noValues},
}

func init() { selectors = append(selectors, moreSelectors...) }

// ipError is an error ip prints in its own words: show prints msg as it
// is, without "ipdb show:", and exits with code, as ip does.
type ipError struct {
	msg  string
	code int
}

func (e *ipError) Error() string { return e.msg }

// prefixError is get_prefix's failure (lib/utils.c): `Error: any valid
// prefix is expected rather than "192.0.2.1/33".`, "inet" or "inet6"
// for "any valid" under -4 or -6; ip exits with status 1.
func prefixError(v string, family uint8) error {
	name := "any valid"
	switch family {
	case afInet:
		name = "inet"
	case afInet6:
		name = "inet6"
	}
	return &ipError{msg: fmt.Sprintf("Error: %s prefix is expected rather than %q.", name, v), code: exitError}
}

// parseIPPrefix is get_prefix: ADDR[/LEN] or default (any, all) of the
// family, the family's if one is given; the host bits are kept for
// matching as ip keeps them and masked by the matcher.
func parseIPPrefix(v string, family uint8) (netip.Prefix, error) {
	p, err := parseRoutePrefix(v, family)
	if err != nil || (family == afInet && !p.Addr().Is4()) || (family == afInet6 && p.Addr().Is4()) {
		return netip.Prefix{}, prefixError(v, family)
	}
	return p, nil
}

func parseSelectorPrefix(s *selection, v string, to *netip.Prefix) error {
	p, err := parseIPPrefix(v, s.family)
	*to = p
	return err
}

func parseAddrScope(s *selection, v string) error {
	if v == "all" {
		s.more.scope, s.more.scopeGiven = 0, false
		return nil
	}
	sc, err := netlink.ParseScope(v)
	if err != nil {
		return fmt.Errorf("bad scope %q (want global, site, link, host, nowhere, a number or all)", v)
	}
	s.more.scope, s.more.scopeGiven = uint8(sc), true
	return nil
}

func parseRouteProto(s *selection, v string) error {
	if v == "all" {
		s.more.proto, s.more.protoGiven = 0, false
		return nil
	}
	p, err := netlink.ParseRouteProtocol(v)
	if err != nil {
		return fmt.Errorf("bad protocol %q (want kernel, boot, static, another name of rt_protos, a number or all)", v)
	}
	s.more.proto, s.more.protoGiven = p, true
	return nil
}

// parseRouteType is ip route show's `type TYPE` (filter.typemask: the
// last type given counts, as in ip).
func parseRouteType(s *selection, v string) error {
	t, err := netlink.ParseRouteType(v)
	if err != nil || t > 63 {
		return fmt.Errorf("bad route type %q (want unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit, throw, nat or xresolve)", v)
	}
	s.more.routeTypes = 1 << t
	return nil
}

// parseNeighDst is ip neigh show's bare ADDR[/LEN] (or to ADDR[/LEN]).
func parseNeighDst(s *selection, v string) error {
	p, err := parseIPPrefix(v, s.family)
	s.more.neighDst = p
	return err
}

// prefixHolds is inet_addr_match: a within p's first p.Bits() bits. A
// /0 holds everything.
func prefixHolds(p netip.Prefix, a netip.Addr) bool {
	if p.Bits() == 0 {
		return true
	}
	if a.Is4() != p.Addr().Is4() {
		return false
	}
	return p.Masked().Contains(a)
}

// zeroOf is the zero address of a family, as ip's filter compares a
// route without a gateway or prefsrc.
func zeroOf(family uint8) netip.Addr {
	if family == unix.AF_INET6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// keepLinkMore is print_linkinfo's up and master filters.
func (m *moreSelection) keepLink(l *netlink.Link) bool {
	if m.up && l.Flags&unix.IFF_UP == 0 {
		return false
	}
	return m.master == "" || l.Master == m.masterIndex
}

// keepAddr is ipaddr_filter's and print_addrinfo's scope and label tests.
func (m *moreSelection) keepAddr(a *netlink.Addr, linkName string) bool {
	if m.scopeGiven && a.Scope != m.scope {
		return false
	}
	if m.label != "" {
		label := a.Label
		if label == "" {
			label = linkName
		}
		if ok, err := path.Match(m.label, label); err != nil || !ok {
			return false
		}
	}
	return true
}

// keepRoute is filter_nlmsg's protocol, type, via and prefsrc tests.
func (m *moreSelection) keepRoute(r *netlink.Route) bool {
	if m.protoGiven && r.Protocol != m.proto {
		return false
	}
	if m.routeTypes != 0 && (r.Type > 63 || m.routeTypes&(1<<r.Type) == 0) {
		return false
	}
	if m.via.IsValid() {
		via, fam := r.Gateway, r.Family
		if via.IsValid() && via.Is4() != (r.Family == unix.AF_INET) {
			fam = unix.AF_INET6 // RTA_VIA: the gateway's family
			if via.Is4() {
				fam = unix.AF_INET
			}
		}
		if (fam == unix.AF_INET) != m.via.Addr().Is4() || (fam != unix.AF_INET && fam != unix.AF_INET6) {
			return false
		}
		if !via.IsValid() {
			via = zeroOf(fam)
		}
		if !prefixHolds(m.via, via) {
			return false
		}
	}
	if m.src.IsValid() {
		if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 || (r.Family == unix.AF_INET) != m.src.Addr().Is4() {
			return false
		}
		src := r.PrefSrc
		if !src.IsValid() {
			src = zeroOf(r.Family)
		}
		if !prefixHolds(m.src, src) {
			return false
		}
	}
	return true
}

// keepNeigh is ip neigh's filter.pfx test.
func (m *moreSelection) keepNeigh(n *netlink.Neigh) bool {
	return !m.neighDst.IsValid() || (n.Dst.IsValid() && prefixHolds(m.neighDst, n.Dst))
}

// omitRoute adds the keys these selectors fix to a route's omissions.
func (m *moreSelection) omitRoute(o *routeOmit) {
	o.protocol = m.protoGiven
	o.gateway = m.via.IsValid() && m.via.Bits() == m.via.Addr().BitLen()
	o.prefsrc = m.src.IsValid() && m.src.Bits() == m.src.Addr().BitLen()
}

// writeAddrInfoOnly is a link of ip addr show label: an object holding
// only the addresses.
func writeAddrInfoOnly(j *jsonOut, addrs []*netlink.Addr) {
	j.openObject("")
	j.openArray("addr_info")
	for _, a := range addrs {
		writeAddrInfo(j, a)
	}
	j.closeArray()
	j.closeObject()
}
