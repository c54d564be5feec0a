package main

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders forwarding database entries as bridge(8) does: the
// JSON of `bridge -j fdb show`, its text for monitor, and a table.

// fdbState is bridge's word for an entry's NUD state (state_n2a in
// iproute2's bridge/fdb.c): "" for learned, reachable entries.
func fdbState(s uint16) string {
	switch {
	case s&unix.NUD_PERMANENT != 0:
		return "permanent"
	case s&unix.NUD_NOARP != 0:
		return "static"
	case s&unix.NUD_STALE != 0:
		return "stale"
	case s&unix.NUD_REACHABLE != 0:
		return ""
	}
	return fmt.Sprintf("state=%#x", s)
}

// fdbFlagNames are the flags bridge prints, in its order (fdb_print_flags).
func fdbFlagNames(f *netlink.FDB) []string {
	out := []string{}
	for _, fl := range []struct {
		on   bool
		name string
	}{
		{f.Flags&unix.NTF_SELF != 0, "self"},
		{f.Flags&unix.NTF_ROUTER != 0, "router"},
		{f.Flags&unix.NTF_EXT_LEARNED != 0, "extern_learn"},
		{f.Flags&unix.NTF_OFFLOADED != 0, "offload"},
		{f.Flags&unix.NTF_MASTER != 0, "master"},
		{f.Flags&netlink.NeighFlagSticky != 0, "sticky"},
		{f.FlagsExt&netlink.NeighFlagExtLocked != 0, "locked"},
	} {
		if fl.on {
			out = append(out, fl.name)
		}
	}
	return out
}

// fdbJSON renders an entry as `bridge -j fdb show` does, key for key.
func fdbJSON(f *netlink.FDB, name names) object {
	var o object
	if len(f.LLAddr) > 0 {
		o.set("mac", f.LLAddr.String())
	}
	if f.Index != 0 {
		o.set("ifname", name(f.Index))
	}
	if f.Dst.IsValid() {
		o.set("dst", f.Dst.String())
	}
	if f.VLAN != 0 {
		o.set("vlan", f.VLAN)
	}
	if f.Port != 0 {
		o.set("port", f.Port)
	}
	if f.VNI != 0 {
		o.set("vni", f.VNI)
	}
	if f.SrcVNI != 0 {
		o.set("src_vni", f.SrcVNI)
	}
	if f.Via != 0 {
		if f.HasLinkNetNSID {
			o.set("viaIfIndex", f.Via)
		} else {
			o.set("viaIf", name(f.Via))
		}
	}
	if f.NHID != 0 {
		o.set("nhid", f.NHID)
	}
	if f.HasLinkNetNSID {
		o.set("linkNetNsId", f.LinkNetNSID)
	}
	o.set("flags", fdbFlagNames(f))
	if f.Master != 0 {
		o.set("master", name(f.Master))
	}
	o.set("state", fdbState(f.State))
	return o
}

// fdbText is an entry as `bridge fdb show` and `bridge monitor fdb` print
// it.
func fdbText(f *netlink.FDB, name names) string {
	var b strings.Builder
	b.WriteString(f.LLAddr.String())
	fmt.Fprintf(&b, " dev %s", name(f.Index))
	if f.Dst.IsValid() {
		fmt.Fprintf(&b, " dst %s", f.Dst)
	}
	if f.VLAN != 0 {
		fmt.Fprintf(&b, " vlan %d", f.VLAN)
	}
	if f.Port != 0 {
		fmt.Fprintf(&b, " port %d", f.Port)
	}
	if f.VNI != 0 {
		fmt.Fprintf(&b, " vni %d", f.VNI)
	}
	if f.SrcVNI != 0 {
		fmt.Fprintf(&b, " src_vni %d", f.SrcVNI)
	}
	if f.Via != 0 {
		if f.HasLinkNetNSID {
			fmt.Fprintf(&b, " via ifindex %d", f.Via)
		} else {
			fmt.Fprintf(&b, " via %s", name(f.Via))
		}
	}
	if f.NHID != 0 {
		fmt.Fprintf(&b, " nhid %d", f.NHID)
	}
	if f.HasLinkNetNSID {
		fmt.Fprintf(&b, " link-netnsid %d", f.LinkNetNSID)
	}
	for _, fl := range fdbFlagNames(f) {
		b.WriteString(" " + fl)
	}
	if f.Master != 0 {
		fmt.Fprintf(&b, " master %s", name(f.Master))
	}
	if s := fdbState(f.State); s != "" {
		b.WriteString(" " + s)
	}
	return b.String()
}

// fdbsJSON renders the FDB as `bridge -j fdb show` does, in its order.
func fdbsJSON(s *ipdb.Snapshot) []object {
	name := snapshotNames(s)
	out := []object{}
	for _, f := range s.FDBListed() {
		out = append(out, fdbJSON(f, name))
	}
	return out
}

// fdbRows are the rows of the fdb table for people: a header, then one row
// per entry.
func fdbRows(s *ipdb.Snapshot, name names) [][]string {
	rows := [][]string{{"DEV", "MAC", "VLAN", "DST", "MASTER", "STATE", "FLAGS"}}
	for _, f := range s.FDBListed() {
		vlan, dst, master := "", "", ""
		if f.VLAN != 0 {
			vlan = strconv.Itoa(int(f.VLAN))
		}
		if f.Dst.IsValid() {
			dst = f.Dst.String()
		}
		if f.Master != 0 {
			master = name(f.Master)
		}
		rows = append(rows, []string{name(f.Index), f.LLAddr.String(), vlan, dst, master,
			fdbState(f.State), strings.Join(fdbFlagNames(f), ",")})
	}
	return rows
}
