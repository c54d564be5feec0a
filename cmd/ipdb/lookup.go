package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// runLookup prints the route the cache would pick for an address, like
// `ip route get` but without asking the kernel.
func runLookup(e *env, args []string) int {
	fs := flag.NewFlagSet("lookup", flag.ContinueOnError)
	table := fs.String("table", "", "look up this `table` only (number, main, local or default); default: walk the rules")
	from := fs.String("from", "", "source `address`, for rules that select by source")
	format := fs.String("o", "text", "output `format`: text or json")
	pos, ok := e.parseFlags(fs, args)
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
	addr = addr.Unmap()
	var src netip.Addr
	if *from != "" {
		if src, err = netip.ParseAddr(*from); err != nil || src.Is4() != addr.Is4() {
			fmt.Fprintf(e.stderr, "ipdb lookup: --from %q is not an address of the same family as %s\n", *from, addr)
			return exitUsage
		}
	}
	var tableID uint32
	if *table != "" {
		if tableID, err = parseTable(*table); err != nil {
			fmt.Fprintf(e.stderr, "ipdb lookup: %v\n", err)
			return exitUsage
		}
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(e.stderr, "ipdb lookup: unknown output format %q (want text or json)\n", *format)
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
		r, err = s.Lookup(tableID, addr)
	} else {
		r, err = lookupByRules(s, addr, src)
	}
	if err != nil {
		if errors.Is(err, ipdb.ErrNotFound) || errors.Is(err, errUnreachable) {
			fmt.Fprintf(e.stderr, "ipdb lookup: no route to %s (%v)\n", addr, err)
			return exitError
		}
		return e.fail("lookup", err)
	}
	if err := writeLookup(e.stdout, s, r, *format); err != nil {
		return e.fail("lookup", err)
	}
	return exitOK
}

func writeLookup(w io.Writer, s *ipdb.Snapshot, r *netlink.Route, format string) error {
	name := snapshotNames(s)
	if format == "json" {
		return json.NewEncoder(w).Encode(routeJSON(r, name))
	}
	o := routeJSON(r, name)
	text := prefixString(r.Dst)
	if r.Type != netlink.RouteUnicast {
		text = r.Type.String() + " " + text
	}
	for _, k := range []string{"gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric"} {
		if v := o.get(k); v != nil {
			key := k
			switch k {
			case "gateway":
				key = "via"
			case "prefsrc":
				key = "src"
			case "protocol":
				key = "proto"
			}
			text += fmt.Sprintf(" %s %v", key, v)
		}
	}
	if len(r.Multipath) > 0 {
		for _, nh := range r.Multipath {
			text += " nexthop"
			if nh.Gateway.IsValid() {
				text += " via " + nh.Gateway.String()
			}
			if nh.IfIndex != 0 {
				text += " dev " + name(int(nh.IfIndex))
			}
			text += " weight " + strconv.Itoa(nh.Weight())
		}
	}
	_, err := fmt.Fprintln(w, text)
	return err
}

// errUnreachable reports a lookup that ends in a rule or route that drops
// the packet.
var errUnreachable = errors.New("unreachable")

// lookupByRules walks the rules of addr's family in priority order, as the
// kernel does: a rule applies if it has no selector other than its source
// (and that source contains src when src is given, or is "all"); the first
// table with a match wins. Rules with other selectors (marks, interfaces,
// ports...) never match a lookup that has no such attributes.
func lookupByRules(s *ipdb.Snapshot, addr, src netip.Addr) (*netlink.Route, error) {
	family := uint8(unix.AF_INET6)
	if addr.Is4() {
		family = unix.AF_INET
	}
	var gotoPrio uint32
	for r := range s.Rules() {
		if r.Family != family || r.Priority < gotoPrio || !ruleMatches(r, addr, src) {
			continue
		}
		switch r.Action {
		case netlink.RuleToTable:
			route, err := s.Lookup(r.Table, addr)
			if errors.Is(err, ipdb.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if route.Type == netlink.RouteThrow {
				continue
			}
			if p := r.SuppressPrefixLen; p != nil && *p != 0xffffffff && route.Dst.Bits() <= int(*p) {
				continue
			}
			return route, nil
		case netlink.RuleNop:
			continue
		case netlink.RuleGoto:
			gotoPrio = r.Goto
			continue
		default:
			return nil, fmt.Errorf("%w: rule %d says %s", errUnreachable, r.Priority, r.Action)
		}
	}
	return nil, ipdb.ErrNotFound
}

func ruleMatches(r *netlink.Rule, addr, src netip.Addr) bool {
	if r.IIFName != "" || r.OIFName != "" || r.Mark != 0 || r.Mask != 0 || r.TOS != 0 ||
		r.IPProto != 0 || r.SPort != (netlink.RulePortRange{}) || r.DPort != (netlink.RulePortRange{}) ||
		r.UIDRange != nil || r.TunID != 0 || r.L3MDev != 0 || r.Flow != 0 {
		return false
	}
	m := true
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		m = src.IsValid() && r.Src.Contains(src)
	}
	if m && r.Dst.IsValid() && r.Dst.Bits() > 0 {
		m = r.Dst.Contains(addr)
	}
	if r.Flags&unix.FIB_RULE_INVERT != 0 {
		return !m
	}
	return m
}

// parseTable reads a table as ip does: a number or main, local, default.
func parseTable(s string) (uint32, error) {
	switch s {
	case "main":
		return unix.RT_TABLE_MAIN, nil
	case "local":
		return unix.RT_TABLE_LOCAL, nil
	case "default":
		return unix.RT_TABLE_DEFAULT, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad table %q (want a number from 1, main, local or default)", s)
	}
	return uint32(n), nil
}
