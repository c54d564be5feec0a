package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders the tables people read: one row per object, aligned
// columns, "-" for an empty cell.

func cell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeTable(w io.Writer, s *ipdb.Snapshot, table string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	name := snapshotNames(s)
	row := func(cells ...string) {
		for i := range cells {
			cells[i] = cell(cells[i])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	switch table {
	case "links":
		row("INDEX", "NAME", "KIND", "STATE", "FLAGS", "MTU", "MASTER", "ADDRESS")
		for l := range s.Links() {
			kind := ""
			if l.Info != nil {
				kind = l.Info.Kind
			}
			master := ""
			if l.Master != 0 {
				master = name(l.Master)
			}
			row(strconv.Itoa(l.Index), l.Name, kind, l.OperState.String(),
				strings.Join(netlink.LinkFlagNames(l.Flags), ","), strconv.Itoa(int(l.MTU)), master, l.Address.String())
		}
	case "addrs":
		row("DEV", "FAMILY", "ADDRESS", "PEER", "SCOPE", "FLAGS", "LABEL")
		for a := range s.Addrs() {
			peer := ""
			if a.Peer.IsValid() {
				peer = a.Peer.String()
			}
			row(name(a.Index), familyName(a.Family), a.Prefix.String(), peer, netlink.AddrScopeName(a.Scope),
				strings.Join(netlink.AddrFlagNames(a.Family, a.Flags), ","), a.Label)
		}
	case "routes":
		row("TABLE", "TYPE", "DST", "GATEWAY", "DEV", "PROTO", "SCOPE", "METRIC", "PREFSRC")
		for r := range s.Routes() {
			if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
				continue
			}
			row(routeTableRow(r, name)...)
			for _, nh := range r.Multipath {
				gw, dev := "", ""
				if nh.Gateway.IsValid() {
					gw = nh.Gateway.String()
				}
				if nh.IfIndex != 0 {
					dev = name(int(nh.IfIndex))
				}
				row("", "", "  nexthop weight "+strconv.Itoa(nh.Weight()), gw, dev, "", "", "", "")
			}
		}
	case "neigh":
		row("DEV", "DST", "LLADDR", "STATE", "FLAGS")
		for n := range s.Neighs() {
			// As `ip neigh show nud all`: no proxy entries.
			if n.Family != unix.AF_INET && n.Family != unix.AF_INET6 || n.Flags&unix.NTF_PROXY != 0 {
				continue
			}
			row(name(n.Index), n.Dst.String(), n.LLAddr.String(),
				strings.Join(netlink.NeighStateNames(n.State), ","), strings.Join(netlink.NeighFlagNames(n.Flags), ","))
		}
	case "fdb":
		for _, r := range fdbRows(s, name) {
			row(r...)
		}
	case "rules":
		row("FAMILY", "PRIORITY", "RULE")
		for r := range s.Rules() {
			if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
				continue
			}
			row(familyName(r.Family), strconv.FormatUint(uint64(r.Priority), 10), ruleText(r))
		}
	}
	return tw.Flush()
}

func routeTableRow(r *netlink.Route, name names) []string {
	gw, dev, src := "", "", ""
	if r.Gateway.IsValid() {
		gw = r.Gateway.String()
	}
	if r.OIF != 0 {
		dev = name(int(r.OIF))
	}
	if r.PrefSrc.IsValid() {
		src = r.PrefSrc.String()
	}
	dst := prefixString(r.Dst)
	if r.Dst.IsValid() && r.Dst.Bits() == 0 && r.Family == unix.AF_INET6 {
		dst = "default (v6)"
	}
	return []string{tableName(r.Table), r.Type.String(), dst, gw, dev, r.Protocol.String(),
		r.Scope.String(), strconv.FormatUint(uint64(r.Priority), 10), src}
}

// ruleText is the rule as `ip rule` prints it, without the priority.
func ruleText(r *netlink.Rule) string {
	t := r.String()
	if i := strings.Index(t, ":"); i >= 0 && i < 12 {
		t = strings.TrimSpace(t[i+1:])
	}
	return t
}
