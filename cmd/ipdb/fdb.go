package main

import (
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders forwarding database entries as bridge(8) does: the
// JSON of `bridge -j fdb show`, its text for monitor, and a table.

// writeFDB writes an entry as `bridge -j fdb show` does (fdb_print in
// iproute2's bridge/fdb.c), key for key, in its order.
func writeFDB(j *jsonOut, f *netlink.FDB, names *linkNames) {
	j.openObject("")
	if len(f.LLAddr) > 0 {
		j.str("mac", f.LLAddr.String())
	}
	if f.Index != 0 {
		j.str("ifname", names.name(f.Index))
	}
	if f.Dst.IsValid() {
		j.addr("dst", f.Dst)
	}
	if f.VLAN != 0 {
		j.uint("vlan", uint64(f.VLAN))
	}
	if f.Port != 0 {
		j.uint("port", uint64(f.Port))
	}
	if f.VNI != 0 {
		j.uint("vni", uint64(f.VNI))
	}
	if f.SrcVNI != 0 {
		j.uint("src_vni", uint64(f.SrcVNI))
	}
	if f.Via != 0 {
		if f.HasLinkNetNSID {
			j.uint("viaIfIndex", uint64(f.Via))
		} else {
			j.str("viaIf", names.name(f.Via))
		}
	}
	if f.NHID != 0 {
		j.uint("nhid", uint64(f.NHID))
	}
	if f.HasLinkNetNSID {
		j.int("linkNetNsId", int64(f.LinkNetNSID))
	}
	j.openArray("flags")
	for _, fl := range netlink.FDBFlagNames(f.Flags, f.FlagsExt) {
		j.str("", fl)
	}
	j.closeArray()
	if f.Master != 0 {
		j.str("master", names.name(f.Master))
	}
	j.str("state", netlink.FDBStateName(f.State))
	j.closeObject()
}

// fdbWords are an entry's words as `bridge fdb show` and `bridge monitor
// fdb` print them, with link names; its MAC address, device, VLAN and
// remote are its identity.
func fdbWords(f *netlink.FDB, names *linkNames) words {
	var w words
	mac := "none"
	if len(f.LLAddr) > 0 {
		mac = f.LLAddr.String()
	}
	w.id("mac", mac)
	w.id("dev", "dev "+names.name(f.Index))
	if f.Dst.IsValid() {
		w.id("dst", "dst "+f.Dst.String())
	}
	if f.VLAN != 0 {
		w.id("vlan", "vlan "+strconv.Itoa(int(f.VLAN)))
	}
	if f.Port != 0 {
		w.add("port", strconv.Itoa(int(f.Port)))
	}
	if f.VNI != 0 {
		w.add("vni", strconv.FormatUint(uint64(f.VNI), 10))
	}
	if f.SrcVNI != 0 {
		w.add("src_vni", strconv.FormatUint(uint64(f.SrcVNI), 10))
	}
	if f.Via != 0 {
		if f.HasLinkNetNSID {
			w.add("via", "ifindex "+strconv.Itoa(f.Via))
		} else {
			w.add("via", names.name(f.Via))
		}
	}
	if f.NHID != 0 {
		w.add("nhid", strconv.FormatUint(uint64(f.NHID), 10))
	}
	if f.HasLinkNetNSID {
		w.add("link-netnsid", strconv.Itoa(int(f.LinkNetNSID)))
	}
	for _, fl := range netlink.FDBFlagNames(f.Flags, f.FlagsExt) {
		w.flag(fl)
	}
	if f.Master != 0 {
		w.add("master", names.name(f.Master))
	}
	if s := netlink.FDBStateName(f.State); s != "" {
		w.bare("state", s)
	}
	return w
}

func fdbRowsHeader(t *tableOut) {
	t.header("DEV", "MAC", "VLAN", "DST", "MASTER", "STATE", "FLAGS")
}

// fdbRow is one entry of the fdb table for people.
func fdbRow(t *tableOut, f *netlink.FDB, names *linkNames) {
	t.cell(names.name(f.Index))
	t.cell(f.LLAddr.String())
	if f.VLAN != 0 {
		t.cellUint(uint64(f.VLAN))
	} else {
		t.cell("")
	}
	if f.Dst.IsValid() {
		t.cell(f.Dst.String())
	} else {
		t.cell("")
	}
	if f.Master != 0 {
		t.cell(names.name(f.Master))
	} else {
		t.cell("")
	}
	t.cell(netlink.FDBStateName(f.State))
	t.cell(strings.Join(netlink.FDBFlagNames(f.Flags, f.FlagsExt), ","))
	t.endRow()
}
