package main

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// An IPv4 lookup with --iif is a received packet: the kernel's
// ip_route_input_slow (net/ipv4/route.c) refuses martian addresses before
// the FIB lookup and, for a packet it would forward, a device whose
// forwarding is off. The cache does not hold sysctls, so the two the
// answer depends on, net.ipv4.conf.IIF.forwarding and route_localnet, are
// read from /proc/sys in the namespace. The source is then validated as
// fib_validate_source does (lookup_validate.go): a local source, and one
// rp_filter refuses, is unix.EINVAL. IPv6 has no such check in
// ip6_route_input; its answer names the input device (lookup_table.go).

// inputMartian is the kernel's checks of ip_route_input_slow that come
// before the FIB lookup: it returns an error wrapping unix.EINVAL for a
// martian source or destination, and whether the packet is a broadcast
// (which the kernel answers without the forwarding check).
func inputMartian(src, dst netip.Addr, localnet bool) (broadcast bool, err error) {
	lbcast := netip.AddrFrom4([4]byte{255, 255, 255, 255})
	// ipv4_is_zeronet is 0.0.0.0 alone since Linux 5.3 (0.0.0.0/8 is
	// usable); checked with ip route get on 6.18.
	zeronet := func(a netip.Addr) bool { return a.IsUnspecified() }
	loopback := func(a netip.Addr) bool { return a.As4()[0] == 127 }
	if !src.IsValid() {
		src = netip.IPv4Unspecified()
	}
	switch {
	case dst.IsMulticast():
		// ip_route_input_rcu: a group this host has not joined, without
		// multicast forwarding (which the cache does not know).
		return false, fmt.Errorf("multicast destination %s: %w", dst, unix.EINVAL)
	case src.IsMulticast() || src == lbcast:
		return false, fmt.Errorf("martian source %s: %w", src, unix.EINVAL)
	case dst == lbcast || src.IsUnspecified() && dst.IsUnspecified():
		return true, nil
	case zeronet(src):
		return false, fmt.Errorf("martian source %s (a received packet needs a source: --from): %w", src, unix.EINVAL)
	case zeronet(dst):
		return false, fmt.Errorf("martian destination %s: %w", dst, unix.EINVAL)
	case loopback(dst) && !localnet:
		return false, fmt.Errorf("martian destination %s (route_localnet is off): %w", dst, unix.EINVAL)
	case !loopback(dst) && loopback(src) && !localnet:
		return false, fmt.Errorf("martian source %s (route_localnet is off): %w", src, unix.EINVAL)
	}
	return false, nil
}

// routeGetInput is Snapshot.RouteGet for an IPv4 packet received on
// q.IIF, as ip_route_input_slow answers `ip route get ... iif`: martians
// are unix.EINVAL; a destination that is neither local nor broadcast is
// unix.EHOSTUNREACH when the device's forwarding is off, whether the FIB
// has a route or not.
func routeGetInput(s *ipdb.Snapshot, q ipdb.RouteQuery, netns string) (*netlink.Route, error) {
	forwarding, err := readSysctl(netns, "net/ipv4/conf/"+q.IIF+"/forwarding")
	if err != nil {
		if _, lerr := s.LinkByName(q.IIF); lerr != nil {
			return nil, fmt.Errorf("%w: iif %s: no such device", ipdb.ErrInvalid, q.IIF)
		}
		return nil, fmt.Errorf("reading the forwarding of %s: %w", q.IIF, err)
	}
	localnet, err := readSysctl(netns, "net/ipv4/conf/"+q.IIF+"/route_localnet")
	if err != nil {
		return nil, fmt.Errorf("reading the route_localnet of %s: %w", q.IIF, err)
	}
	broadcast, err := inputMartian(q.Src, q.Dst, localnet != "0")
	if err != nil {
		return nil, err
	}
	iif, err := s.LinkByName(q.IIF)
	if err != nil {
		return nil, fmt.Errorf("%w: iif %s: no such device", ipdb.ErrInvalid, q.IIF)
	}
	a, err := s.RouteGet(q)
	if broadcast {
		if err != nil {
			return nil, err
		}
		return a.Route, nil
	}
	if err != nil {
		if forwarding == "0" {
			return nil, fmt.Errorf("forwarding is off on %s: %w", q.IIF, unix.EHOSTUNREACH)
		}
		return nil, err
	}
	// fib_validate_source (lookup_validate.go): oif 0 for a packet
	// delivered here, the route's device for one forwarded.
	oif := 0
	switch t := a.Route.Type; {
	case t == netlink.RouteLocal:
	case t == netlink.RouteBroadcast:
		q.Dst = netip.IPv4Unspecified() // ip_route_input_slow validates a broadcast's source against 0
	case forwarding == "0":
		return nil, fmt.Errorf("forwarding is off on %s: %w", q.IIF, unix.EHOSTUNREACH)
	default:
		oif = int(a.Route.OIF)
		if oif == 0 && len(a.Route.Multipath) > 0 {
			oif = int(a.Route.Multipath[0].IfIndex)
		}
	}
	if err := validateSource(s, q, q.Dst, iif.Index, oif, netns); err != nil {
		return nil, err
	}
	return a.Route, nil
}

// readSysctl reads one sysctl (a path under /proc/sys) of the network
// namespace netns ("" for this one), trimmed. /proc/sys/net shows the
// namespace of the reading thread, so for another namespace a locked
// thread enters it (setns(2), which needs CAP_SYS_ADMIN as -n does) and
// dies with its goroutine.
func readSysctl(netns, name string) (string, error) {
	return readInNetns(netns, filepath.Join("/proc/sys", name))
}

// readInNetns reads a file of /proc (sysctls under /proc/sys, or
// /proc/thread-self/net, which shows the namespace of the reading
// thread) in the network namespace netns, as readSysctl does, trimmed.
func readInNetns(netns, path string) (string, error) {
	if netns == "" {
		b, err := os.ReadFile(path)
		return strings.TrimSpace(string(b)), err
	}
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		nsPath := netns
		if !strings.ContainsRune(netns, '/') {
			nsPath = filepath.Join("/run/netns", netns)
		}
		f, err := os.Open(nsPath)
		if err != nil {
			ch <- result{err: err}
			return
		}
		err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
		f.Close()
		if err != nil {
			ch <- result{err: fmt.Errorf("setns %s: %w", netns, err)}
			return
		}
		b, err := os.ReadFile(path)
		ch <- result{strings.TrimSpace(string(b)), err}
	}()
	r := <-ch
	return r.v, r.err
}
