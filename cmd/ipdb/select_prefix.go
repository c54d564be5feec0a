package main

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// ip route's prefix selectors (iproute_list_flush_or_save, filter_nlmsg):
// `root P` keeps routes whose destination lies within P, `match P` those
// whose destination contains P, and `exact P` (or a bare P, or `to P`) the
// route to P itself; each also keeps only P's family. "default" is the /0
// of the -6 family, else of IPv4 (get_prefix with ip's preferred family).

// routePrefix is one of these selectors.
type routePrefix struct {
	root, match netip.Prefix // invalid: not given
}

func parseRoutePrefix(v string, family uint8) (netip.Prefix, error) {
	if v == "" {
		return netip.Prefix{}, fmt.Errorf("bad prefix %q (want ADDR[/LEN] or default)", v)
	}
	if v == "default" || v == "all" || v == "any" {
		if family == unix.AF_INET6 {
			return netip.PrefixFrom(netip.IPv6Unspecified(), 0), nil
		}
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), nil
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad prefix %q (want ADDR[/LEN] or default)", v)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parseRoot(s *selection, v string) error {
	p, err := parseIPPrefix(v, s.family)
	s.prefix.root = p
	return err
}

func parseMatch(s *selection, v string) error {
	p, err := parseIPPrefix(v, s.family)
	s.prefix.match = p
	return err
}

func parseExact(s *selection, v string) error {
	if s.kindTable == "neigh" {
		return parseNeighDst(s, v) // ip neigh show [to] PREFIX
	}
	p, err := parseIPPrefix(v, s.family)
	s.prefix.root, s.prefix.match = p, p
	return err
}

func (p routePrefix) given() bool { return p.root.IsValid() || p.match.IsValid() }

// keep is filter_nlmsg's rdst and mdst tests.
func (p routePrefix) keep(r *netlink.Route) bool {
	if r.Family == unix.AF_MPLS {
		// A prefix makes ip ask for its family only (iproute_list).
		return !p.given()
	}
	dst := r.Dst
	if !dst.IsValid() {
		if r.Family == unix.AF_INET6 {
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		} else {
			dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		}
	}
	if q := p.root; q.IsValid() {
		if dst.Addr().Is4() != q.Addr().Is4() || q.Bits() > dst.Bits() || !q.Contains(dst.Addr()) {
			return false
		}
	}
	if q := p.match; q.IsValid() {
		if dst.Addr().Is4() != q.Addr().Is4() || q.Bits() < dst.Bits() || !dst.Contains(q.Addr()) {
			return false
		}
	}
	return true
}

// parseLinkType is ip link show's `type KIND` (IFLA_INFO_KIND).
func parseLinkType(s *selection, v string) error {
	if s.kindTable == "routes" {
		return parseRouteType(s, v) // ip route show type blackhole
	}
	if v == "" {
		return fmt.Errorf("type needs a kind")
	}
	if kind, ok := strings.CutSuffix(v, "_slave"); ok {
		s.ip.slaveKind = kind // ip: type bridge_slave is filter.slave_kind
		return nil
	}
	s.linkKind = v
	return nil
}

func linkKindOf(l *netlink.Link) string {
	if l.Info == nil {
		return ""
	}
	return l.Info.InfoKind
}
