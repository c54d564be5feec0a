package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// Selectors ip takes that the others files lack, each filtering as ip's
// own filter does:
//
//   - links (ip/ipaddress.c, ipaddr_list_flush_or_save): `type KIND_slave`
//     selects the ports whose IFLA_INFO_SLAVE_KIND is KIND (filter.slave_kind,
//     match_link_kind with slave set), any other `type KIND` the links whose
//     IFLA_INFO_KIND is KIND; `group NAME|N` the links of that device group
//     (IFLA_GROUP, names from /etc/iproute2/group, 0 being "default");
//   - addrs (ipaddress.c, get_filter and print_addrinfo): the flag words
//     of ifa_flag_names (secondary, temporary, permanent, tentative, ...),
//     each optionally negated by a leading "-", with dynamic for -permanent
//     and primary for -secondary: an address is kept when its IFA_F_* flags
//     equal filter.flags under filter.flagmask; `to PREFIX` keeps the
//     addresses whose IFA_LOCAL lies within PREFIX (and sets the family
//     to PREFIX's when none is given, as ip does);
//   - routes (ip/iproute.c, iproute_list_flush_or_save and filter_nlmsg):
//     `scope SCOPE` (rtm_scope; `all` is every one), `metric|priority|
//     preference N` (RTA_PRIORITY, 0 when absent), `tos|dsfield T`
//     (rtm_tos, a number or an rt_dsfield name). ip leaves out the keys
//     these fix (print_route: filter.scopemask, metricmask, tosmask).

// ipSelection holds these selectors' values in a selection.
type ipSelection struct {
	// slaveKind is ip link's filter.slave_kind (type KIND_slave).
	slaveKind string
	// group is ip link's filter.group; groupGiven is false without it.
	group      uint32
	groupGiven bool
	// addrFlags and addrFlagMask are ip addr's filter.flags and flagmask.
	addrFlags, addrFlagMask uint32
	// addrTo is ip addr's filter.pfx.
	addrTo netip.Prefix
	// metric is ip route's filter.metric; metricGiven its mask.
	metric      uint32
	metricGiven bool
	// tos is ip route's filter.tos; tosGiven its mask.
	tos      uint8
	tosGiven bool
}

func (p *ipSelection) given() bool {
	return p.slaveKind != "" || p.groupGiven || p.addrFlagMask != 0 || p.addrTo.IsValid() ||
		p.metricGiven || p.tosGiven
}

// addrFlagNames is iproute2's ifa_flag_names (ip/ipaddress.c).
var addrFlagNames = []struct {
	name string
	flag uint32
}{
	{"secondary", unix.IFA_F_SECONDARY},
	{"temporary", unix.IFA_F_SECONDARY},
	{"nodad", unix.IFA_F_NODAD},
	{"optimistic", unix.IFA_F_OPTIMISTIC},
	{"dadfailed", unix.IFA_F_DADFAILED},
	{"home", unix.IFA_F_HOMEADDRESS},
	{"deprecated", unix.IFA_F_DEPRECATED},
	{"tentative", unix.IFA_F_TENTATIVE},
	{"permanent", unix.IFA_F_PERMANENT},
	{"mngtmpaddr", unix.IFA_F_MANAGETEMPADDR},
	{"noprefixroute", unix.IFA_F_NOPREFIXROUTE},
	{"autojoin", unix.IFA_F_MCAUTOJOIN},
	{"stable-privacy", unix.IFA_F_STABLE_PRIVACY},
}

// addrFlagWords are the words ip addr show takes as flag filters.
func addrFlagWords() []string {
	w := []string{"dynamic", "primary"}
	for _, f := range addrFlagNames {
		w = append(w, f.name)
	}
	return w
}

// addrFlagFilter is get_filter: word (or -word) as a flag filter; false
// when it names no flag.
func addrFlagFilter(s *selection, word string) bool {
	inv := false
	if strings.HasPrefix(word, "-") {
		inv, word = true, word[1:]
	}
	switch word {
	case "dynamic":
		inv, word = !inv, "permanent"
	case "primary":
		inv, word = !inv, "secondary"
	}
	for _, f := range addrFlagNames {
		if f.name != word {
			continue
		}
		if inv {
			s.ip.addrFlags &^= f.flag
		} else {
			s.ip.addrFlags |= f.flag
		}
		s.ip.addrFlagMask |= f.flag
		return true
	}
	return false
}

// ipSelectors are the selector words of this file; init adds them.
var ipSelectors = []selector{
	{word: "group", value: "GROUP", help: "links of this device group: a name of /etc/iproute2/group or a number (ip link show group default)",
		parse: parseLinkGroup, complete: func(*env) []string { return []string{"default"} }},
	{word: "metric", value: "N", help: "routes of this metric (RTA_PRIORITY)",
		parse: parseRouteMetric, complete: noValues},
	{word: "priority", value: "N", help: "as metric", parse: parseRouteMetric, complete: noValues},
	{word: "preference", value: "N", help: "as metric", parse: parseRouteMetric, complete: noValues},
	{word: "tos", value: "TOS", help: "routes of this TOS: a number or a name of rt_dsfield",
		parse: parseRouteTOS, complete: noValues},
	{word: "dsfield", value: "TOS", help: "as tos", parse: parseRouteTOS, complete: noValues},
}

func init() {
	// to is the routes' and neighbours' (select.go); addresses' parses
	// here. scope (select_more.go) fills moreSelection.scope, which
	// keepRoute reads for routes.
	for i := range selectors {
		switch sel := &selectors[i]; sel.word {
		case "to":
			exact := sel.parse
			sel.help = "routes as exact; neighbours or addresses within PREFIX"
			sel.parse = func(s *selection, v string) error {
				if s.kindTable == "addrs" {
					return parseAddrTo(s, v)
				}
				return exact(s, v)
			}
		}
	}
	selectors = append(selectors, ipSelectors...)
	for _, w := range addrFlagWords() {
		selectors = append(selectors, selector{word: w, noValue: true,
			help:  "addresses with (or, as -" + w + ", without) this flag",
			parse: func(s *selection, _ string) error { addrFlagFilter(s, w); return nil }, complete: noValues})
	}
}

// parseLinkGroup is rtnl_group_a2n: a name of the group file or a number.
func parseLinkGroup(s *selection, v string) error {
	for g, name := range ipNames().groups {
		if name == v {
			s.ip.group, s.ip.groupGiven = g, true
			return nil
		}
	}
	n, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		return fmt.Errorf("bad group %q (want a name of /etc/iproute2/group or a number)", v)
	}
	s.ip.group, s.ip.groupGiven = uint32(n), true
	return nil
}

func parseRouteMetric(s *selection, v string) error {
	n, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		return fmt.Errorf("bad metric %q (want a number from 0 to 4294967295)", v)
	}
	s.ip.metric, s.ip.metricGiven = uint32(n), true
	return nil
}

// parseRouteTOS is rtnl_dsfield_a2n: a name of rt_dsfield or a number.
func parseRouteTOS(s *selection, v string) error {
	for t, name := range ipNames().dsfield {
		if name == v && t < 256 {
			s.ip.tos, s.ip.tosGiven = uint8(t), true
			return nil
		}
	}
	h := v
	if len(h) > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') {
		h = h[2:] // strtoul with base 16 takes 0x
	}
	n, err := strconv.ParseUint(h, 16, 8)
	if err != nil {
		return fmt.Errorf("bad tos %q (want a hexadecimal number from 0 to ff or a name of rt_dsfield)", v)
	}
	s.ip.tos, s.ip.tosGiven = uint8(n), true
	return nil
}

// parseAddrTo is ip addr show's `to PREFIX`: ip also sets filter.family
// to PREFIX's (so only addresses of that family are kept, and a link
// without one is not listed) but prints the links' keys as without -4/-6.
func parseAddrTo(s *selection, v string) error {
	p, err := parseIPPrefix(v, s.family)
	s.ip.addrTo = p
	return err
}

// keepLink is the slave kind and group filters.
func (p *ipSelection) keepLink(l *netlink.Link) bool {
	if p.slaveKind != "" && (l.Info == nil || l.Info.InfoSlaveKind != p.slaveKind) {
		return false
	}
	return !p.groupGiven || l.Group == p.group
}

// keepAddr is print_addrinfo's flag and prefix tests.
func (p *ipSelection) keepAddr(a *netlink.Addr) bool {
	if (p.addrFlags^a.Flags)&p.addrFlagMask != 0 {
		return false
	}
	return !p.addrTo.IsValid() || prefixHolds(p.addrTo, a.Prefix.Addr())
}

// keepRoute is filter_nlmsg's scope (moreSelection's), metric and tos
// tests.
func (p *ipSelection) keepRoute(r *netlink.Route, m *moreSelection) bool {
	if m.scopeGiven && uint8(r.Scope) != m.scope {
		return false
	}
	if p.metricGiven && r.Priority != p.metric {
		return false
	}
	return !p.tosGiven || r.TOS == p.tos
}

// notAPrefix reports whether a word after route or neigh can be no
// prefix (no digit, dot, colon or slash, and none of default, any, all):
// an unknown selector, a usage error listing the selectors, rather than
// get_prefix's error.
func notAPrefix(w string) bool {
	switch w {
	case "default", "any", "all":
		return false
	}
	return !strings.ContainsAny(w, "0123456789:./")
}

// addrToFamily is the family ip's `to PREFIX` sets (filter.family), 0
// without to.
func (p *ipSelection) addrToFamily() uint8 {
	switch {
	case !p.addrTo.IsValid():
		return 0
	case p.addrTo.Addr().Is4():
		return afInet
	}
	return afInet6
}
