package main

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// The source validation of a received IPv4 packet: ip_route_input_slow
// (net/ipv4/route.c) calls fib_validate_source (net/ipv4/fib_frontend.c)
// for a packet it delivers locally, for a broadcast with a source, and,
// in __mkroute_input, for one it forwards (with the output device of the
// route as oif). It fails with EINVAL ("martian source"); a failed
// reverse path filter is EXDEV inside fib_validate_source, but
// ip_route_input_slow and __mkroute_input answer every failed source
// validation with EINVAL (6.18, checked with ip route get); before the
// drop reasons of 6.13 they passed fib_validate_source's error on, so a
// failed reverse path filter is EXDEV there (6.1, checked in the guest;
// rpfErrno). Followed here:
//
//   - the fast path: without rp_filter, and unless the packet would leave
//     by the device it came in on with send_redirects on, accept_local
//     passes everything; otherwise, while the namespace has neither a
//     custom rule nor a local route added by hand, a source that is an
//     address of the namespace is EINVAL (inet_lookup_ifaddr_rcu) and
//     anything else passes;
//   - the full check (__fib_validate_source): the reverse lookup (to the
//     source, from the destination, iif the output device or lo, the mark
//     under src_valid_mark) must find a unicast route, or a local one with
//     accept_local, else EINVAL; a route by the input device passes; with
//     no route, or one by another device, rp_filter 1 fails (no route at
//     all: any rp_filter), rp_filter 2 passes.
//
// The kernel's two flags are sticky (fib_has_custom_rules, set by the first
// IPv4 rule, shows as the local table unmerged from main: lookup_table.go;
// fib_has_custom_local_routes, set by the first local route added through
// netlink, is taken from the local routes present whose protocol is not
// kernel), and the tclassid users (realms) are not known: with them the
// kernel always does the full check.

// sourceSysctls are the conf values of the input device that the check
// reads: IN_DEV_RPFILTER is the larger of all's and the device's,
// accept_local, send_redirects and src_valid_mark are either's.
type sourceSysctls struct {
	rpFilter                                int
	acceptLocal, sendRedirects, srcValidMrk bool
}

func readSourceSysctls(netns, dev string) (sourceSysctls, error) {
	var c sourceSysctls
	read := func(name string) (int, error) {
		n := 0
		for _, where := range []string{"all", dev} {
			v, err := readSysctl(netns, "net/ipv4/conf/"+where+"/"+name)
			if err != nil {
				return 0, fmt.Errorf("reading %s of %s: %w", name, where, err)
			}
			var x int
			if _, err := fmt.Sscan(v, &x); err != nil {
				return 0, fmt.Errorf("reading %s of %s: %q: %w", name, where, v, err)
			}
			n = max(n, x)
		}
		return n, nil
	}
	var err error
	var v int
	if c.rpFilter, err = read("rp_filter"); err != nil {
		return c, err
	}
	if v, err = read("accept_local"); err != nil {
		return c, err
	}
	c.acceptLocal = v != 0
	if v, err = read("send_redirects"); err != nil {
		return c, err
	}
	c.sendRedirects = v != 0
	if v, err = read("src_valid_mark"); err != nil {
		return c, err
	}
	c.srcValidMrk = v != 0
	return c, nil
}

// validateSource is fib_validate_source for a packet from q.Src to dst
// received on iif (index iifIndex) that leaves by oif (0: delivered
// locally). It returns nil, or an error wrapping unix.EINVAL as the
// kernel's.
func validateSource(s *ipdb.Snapshot, q ipdb.RouteQuery, dst netip.Addr, iifIndex, oif int, netns string) error {
	src := q.Src
	if !src.IsValid() || src.IsUnspecified() {
		return nil // no source: nothing to validate (ip_route_input_slow checks 0.0.0.0 as a martian before)
	}
	c, err := readSourceSysctls(netns, q.IIF)
	if err != nil {
		return err
	}
	if c.rpFilter == 0 && (iifIndex != oif || !c.sendRedirects) {
		if c.acceptLocal {
			return nil
		}
		if !customRoutingSeen(s, netns) {
			for a := range s.Addrs() {
				if a.Family == unix.AF_INET && a.Prefix.Addr() == src {
					return fmt.Errorf("martian source %s: an address of this namespace (accept_local is off): %w", src, unix.EINVAL)
				}
			}
			return nil
		}
	}
	// __fib_validate_source.
	rq := ipdb.RouteQuery{Dst: src, Src: dst, IIF: "lo", TOS: q.TOS}
	if oif != 0 {
		if l, err := s.LinkByIndex(oif); err == nil {
			rq.IIF = l.Name
		}
	}
	if c.srcValidMrk {
		rq.Mark = q.Mark
	}
	uid := uint32(0) // sock_net_uid(net, NULL)
	rq.UID = &uid
	a, err := s.RouteGet(rq)
	if err != nil || a.Route == nil {
		if c.rpFilter != 0 {
			return fmt.Errorf("source %s fails the reverse path filter (no route back): %w", src, rpfErrno())
		}
		return nil
	}
	r := a.Route
	if r.Type != netlink.RouteUnicast && (r.Type != netlink.RouteLocal || !c.acceptLocal) {
		return fmt.Errorf("martian source %s: the route back is %s: %w", src, r.Type, unix.EINVAL)
	}
	if routeUsesDev(r, iifIndex) || (r.Type == netlink.RouteLocal && q.IIF == "lo") {
		return nil
	}
	hasAddr := false
	for ad := range s.AddrsOf(iifIndex) {
		if ad.Family == unix.AF_INET {
			hasAddr = true
			break
		}
	}
	if hasAddr && c.rpFilter == 1 {
		return fmt.Errorf("source %s fails the strict reverse path filter (the route back leaves by another device): %w", src, rpfErrno())
	}
	if !hasAddr && c.rpFilter != 0 {
		return fmt.Errorf("source %s fails the reverse path filter: %w", src, rpfErrno())
	}
	return nil
}

// routeUsesDev is fib_info_nh_uses_dev: a next hop of r leaves by index.
func routeUsesDev(r *netlink.Route, index int) bool {
	if int(r.OIF) == index {
		return true
	}
	for _, h := range r.Multipath {
		if int(h.IfIndex) == index {
			return true
		}
	}
	return false
}

// customRoutingSeen stands for the kernel's fib_has_custom_rules or
// fib_has_custom_local_routes: the local table unmerged from main, or a
// local route present that the kernel did not add itself.
func customRoutingSeen(s *ipdb.Snapshot, netns string) bool {
	stat, err := readInNetns(netns, "/proc/thread-self/net/fib_triestat")
	if err != nil || !localMerged(stat) {
		return true // unreadable: the full check, which is never more lenient on a local source
	}
	for r := range s.RoutesInTable(unix.AF_INET, unix.RT_TABLE_LOCAL) {
		if r.Type == netlink.RouteLocal && r.Protocol != netlink.ProtoKernel {
			return true
		}
	}
	return false
}

// rpfErrno is the error of a failed reverse path filter as this kernel
// answers it: EXDEV (fib_validate_source's e_rpf) before 6.13, whose drop
// reasons made ip_route_input_slow answer every failed source validation
// with EINVAL.
func rpfErrno() unix.Errno {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return unix.EINVAL
	}
	var major, minor int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor); err != nil {
		return unix.EINVAL
	}
	if major < 6 || major == 6 && minor < 13 {
		return unix.EXDEV
	}
	return unix.EINVAL
}
