package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// lookupOpts are lookup's flags: ip route get's selectors.
type lookupOpts struct {
	table, from, iif, oif, mark, uid, ipproto, sport, dport, tos string
	format                                                       string
	formatChanged                                                bool
}

// ipWords reads ip route get's words among the arguments (`lookup
// 198.51.100.7 from 192.0.2.1 mark 0x10`, `to ADDR`, `fibmatch`, which
// lookup always is), each as its flag, and returns the rest. A word given
// as a flag too is an error.
func (o *lookupOpts) ipWords(e *env, pos []string) ([]string, bool) {
	fields := map[string]*string{
		"from": &o.from, "iif": &o.iif, "oif": &o.oif, "mark": &o.mark, "uid": &o.uid,
		"ipproto": &o.ipproto, "sport": &o.sport, "dport": &o.dport, "tos": &o.tos, "dsfield": &o.tos,
		"table": &o.table,
	}
	var rest []string
	for i := 0; i < len(pos); i++ {
		w := pos[i]
		if w == "fibmatch" {
			continue
		}
		if w == "to" && i+1 < len(pos) {
			rest = append(rest, pos[i+1])
			i++
			continue
		}
		f, ok := fields[w]
		if !ok {
			rest = append(rest, w)
			continue
		}
		if i+1 >= len(pos) {
			fmt.Fprintf(e.stderr, "ipdb lookup: %s needs a value\n", w)
			return nil, false
		}
		if *f != "" {
			fmt.Fprintf(e.stderr, "ipdb lookup: %s given twice\n", w)
			return nil, false
		}
		*f = pos[i+1]
		i++
	}
	return rest, true
}

// runLookup prints the route the cache would pick for an address, like
// `ip route get ... fibmatch` but without asking the kernel.
func runLookup(e *env, o lookupOpts, pos []string) int {
	table, from, iif, oif, mark, uid := &o.table, &o.from, &o.iif, &o.oif, &o.mark, &o.uid
	ipproto, sport, dport, tos := &o.ipproto, &o.sport, &o.dport, &o.tos
	format, ok := e.outputFormat("lookup", o.format, o.formatChanged, "text", "json")
	if !ok {
		return exitUsage
	}
	pos, ok = o.ipWords(e, pos)
	if !ok {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintf(e.stderr, "ipdb lookup: want one address, got %d arguments\n", len(pos))
		return exitUsage
	}
	addr, err := netip.ParseAddr(pos[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "ipdb lookup: %q is not an IP address\n", pos[0])
		return exitUsage
	}
	q := ipdb.RouteQuery{Dst: addr.Unmap(), IIF: *iif, OIF: *oif}
	if *from != "" {
		if q.Src, err = netip.ParseAddr(*from); err != nil || q.Src.Unmap().Is4() != q.Dst.Is4() {
			fmt.Fprintf(e.stderr, "ipdb lookup: --from %q is not an address of the same family as %s\n", *from, addr)
			return exitUsage
		}
		q.Src = q.Src.Unmap()
	}
	num := func(name, v string, bits int, to func(uint64)) bool {
		if v == "" {
			return true
		}
		n, err := strconv.ParseUint(v, 0, bits)
		if err != nil {
			fmt.Fprintf(e.stderr, "ipdb lookup: --%s %q is not a number of %d bits\n", name, v, bits)
			return false
		}
		to(n)
		return true
	}
	if !num("mark", *mark, 32, func(n uint64) { q.Mark = uint32(n) }) ||
		!num("uid", *uid, 32, func(n uint64) { u := uint32(n); q.UID = &u }) ||
		!num("sport", *sport, 16, func(n uint64) { q.SPort = uint16(n) }) ||
		!num("dport", *dport, 16, func(n uint64) { q.DPort = uint16(n) }) ||
		!num("tos", *tos, 8, func(n uint64) { q.TOS = uint8(n) }) {
		return exitUsage
	}
	if *ipproto != "" {
		p, ok := ipProtos[*ipproto]
		if !ok && !num("ipproto", *ipproto, 8, func(n uint64) { p = uint8(n) }) {
			return exitUsage
		}
		q.IPProto = p
	}
	var tableID uint32
	if *table != "" {
		if tableID, err = parseTable(*table); err != nil {
			fmt.Fprintf(e.stderr, "ipdb lookup: %v\n", err)
			return exitUsage
		}
	}
	if f := e.g.family(); f != 0 && (f == afInet) != addr.Unmap().Is4() {
		fmt.Fprintf(e.stderr, "ipdb lookup: %s is not an address of the family -4/-6 asks for\n", addr)
		return exitUsage
	}
	db, err := e.open()
	if err != nil {
		return e.fail("lookup", err)
	}
	defer db.Close()
	s := db.Snapshot()
	var r *netlink.Route
	if tableID != 0 {
		r, err = s.Lookup(tableID, q.Dst)
	} else if q.IIF != "" && q.Dst.Is4() {
		r, err = routeGetInput(s, q, e.netns) // lookup_iif.go: martians and forwarding
	} else {
		var a *ipdb.RouteAnswer
		if a, err = s.RouteGet(q); err == nil {
			r = a.Route
		}
	}
	if err != nil {
		var errno unix.Errno
		if errors.Is(err, ipdb.ErrNotFound) || errors.As(err, &errno) {
			fmt.Fprintf(e.stderr, "ipdb lookup: %s: %v\n", addr, err)
			return exitError
		}
		return e.fail("lookup", err)
	}
	r = asKernelReports(r, s, q.IIF, e.netns) // lookup_table.go: ip's iif for IPv6, table main for a merged local table
	if err := writeLookup(e.out(), s, r, format); err != nil {
		return e.fail("lookup", err)
	}
	return exitOK
}

// ipProtos are the protocol names ip route get's ipproto takes.
var ipProtos = map[string]uint8{"tcp": unix.IPPROTO_TCP, "udp": unix.IPPROTO_UDP, "icmp": unix.IPPROTO_ICMP,
	"ipv6-icmp": unix.IPPROTO_ICMPV6, "icmpv6": unix.IPPROTO_ICMPV6, "gre": unix.IPPROTO_GRE,
	"sctp": unix.IPPROTO_SCTP, "dccp": unix.IPPROTO_DCCP, "udplite": unix.IPPROTO_UDPLITE}

// writeLookup prints the route lookup found, as `ip route get ...
// fibmatch` prints it (the words of ip route show; monitor's routeWords).
// A route over a nexthop object prints its nhid and the nexthop's hops
// from the cache's nexthop table (resolveNexthop).
func writeLookup(w io.Writer, s *ipdb.Snapshot, r *netlink.Route, format string) error {
	name := snapshotNames(s)
	r = resolveNexthop(s.Nexthop, r)
	if format == "json" {
		// ip -j route get prints an array of the one route.
		return json.NewEncoder(w).Encode([]object{routeJSON(r, name)})
	}
	// ip's words, as `ip route get ... fibmatch` prints the route.
	text := routeWords(r, snapshotLinks(s)).text()
	_, err := fmt.Fprintln(w, text)
	return err
}

// parseTable reads a table as ip does: a number or main, local, default.
func parseTable(s string) (uint32, error) {
	n, err := netlink.ParseTable(s)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad table %q (want a number from 1, main, local or default)", s)
	}
	return n, nil
}
