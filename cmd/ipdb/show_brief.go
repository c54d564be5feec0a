package main

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// ip's -br (brief) and -s (statistics) for links and addresses, as ip
// 6.1 prints them (ip/ipaddress.c):
//
//   - `show link -br` is `ip -br link`: one line a link, the name (with
//     @ and the lower link, as print_name_and_link) padded to 16, the
//     operational state padded to 14, the link-layer address and the
//     flags in <>; with -j, the keys link, ifname, operstate, address and
//     flags (print_linkinfo_brief).
//   - `show addr -br` is `ip -br addr`: the name and state, then each
//     address as ADDR/LEN (ADDR peer PEER/LEN for a point-to-point one);
//     with -j, ifname, operstate and addr_info of local (address), and
//     prefixlen.
//   - `show link -s` adds ip -j -s link's "stats64" object (rx: bytes,
//     packets, errors, dropped, over_errors, multicast; tx: bytes,
//     packets, errors, dropped, carrier_errors, collisions; compressed
//     when not 0), and -s -s the error counters of ip -s -s; `show addr
//     -s` adds it after addr_info, as ip -s addr. The table (without -j)
//     gets ip -s's columns: RX bytes, packets, errors, dropped, missed,
//     mcast and TX bytes, packets, errors, dropped, carrier, collsns.
//
// The selectors work as without them. Other tables refuse -br and -s.

// briefName is print_name_and_link's text: name@lower.
func briefName(l *netlink.Link, names *linkNames) string {
	switch {
	case l.ParentIndex != 0 && l.LinkNetNSID != nil:
		return fmt.Sprintf("%s@if%d", l.Name, l.ParentIndex)
	case l.ParentIndex != 0:
		return l.Name + "@" + names.name(l.ParentIndex)
	case l.ParentPresent:
		return l.Name + "@NONE"
	}
	return l.Name
}

// mDown reports print_name_and_link's m_flag: the lower link is down.
func mDown(l *netlink.Link, names *linkNames) bool {
	if l.ParentIndex == 0 || l.LinkNetNSID != nil {
		return false
	}
	r, ok := names.ref(l.ParentIndex)
	return ok && r.flags&unix.IFF_UP == 0
}

// writeBriefHead writes the keys ip -j -br starts a link with.
func writeBriefHead(j *jsonOut, l *netlink.Link, names *linkNames) {
	switch {
	case l.ParentIndex != 0 && l.LinkNetNSID != nil:
		j.int("link_index", int64(l.ParentIndex))
	case l.ParentIndex != 0:
		j.str("link", names.name(l.ParentIndex))
	case l.ParentPresent:
		j.null("link")
	}
	j.str("ifname", l.Name)
	j.str("operstate", l.OperState.String())
}

func writeLinkBriefJSON(j *jsonOut, l *netlink.Link, names *linkNames) {
	j.openObject("")
	writeBriefHead(j, l, names)
	if l.Address != nil {
		j.str("address", hwAddr(l.Type, l.Address))
	}
	writeLinkFlags(j, l.Flags, mDown(l, names))
	j.closeObject()
}

func writeAddrBriefJSON(j *jsonOut, l *netlink.Link, names *linkNames, addrs []*netlink.Addr) {
	j.openObject("")
	writeBriefHead(j, l, names)
	j.openArray("addr_info")
	for _, a := range addrs {
		j.openObject("")
		j.addr("local", a.Prefix.Addr())
		if a.Peer.IsValid() && a.Peer != a.Prefix.Addr() {
			j.addr("address", a.Peer)
		}
		j.int("prefixlen", int64(a.Prefix.Bits()))
		j.closeObject()
	}
	j.closeArray()
	j.closeObject()
}

// linkFlagsText is print_link_flags' text: <FLAG,...>.
func linkFlagsText(l *netlink.Link, names *linkNames) string {
	var fl []string
	for _, n := range netlink.LinkFlagNames(l.Flags) {
		fl = append(fl, strings.TrimPrefix(n, "0x"))
	}
	if mDown(l, names) {
		fl = append(fl, "M-DOWN")
	}
	return "<" + strings.Join(fl, ",") + ">"
}

// briefLinkLine is a line of ip -br link, without the newline.
func briefLinkLine(l *netlink.Link, names *linkNames) string {
	line := fmt.Sprintf("%-16s %-14s ", briefName(l, names), l.OperState.String())
	if l.Address != nil {
		line += hwAddr(l.Type, l.Address) + " "
	}
	return line + linkFlagsText(l, names) + " "
}

// briefAddrLine is a line of ip -br addr, without the newline.
func briefAddrLine(l *netlink.Link, names *linkNames, addrs []*netlink.Addr) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-14s ", briefName(l, names), l.OperState.String())
	for _, a := range addrs {
		b.WriteString(a.Prefix.Addr().String())
		if a.Peer.IsValid() && a.Peer != a.Prefix.Addr() {
			b.WriteString(" peer " + a.Peer.String())
		}
		fmt.Fprintf(&b, "/%d ", a.Prefix.Bits())
	}
	return b.String()
}

// writeStats64 is print_stats64's JSON under "stats64"; level is the
// number of -s (2 or more adds the error counters and carrierChanges,
// IFLA_CARRIER_CHANGES, which the kernel always sends).
func writeStats64(j *jsonOut, s *netlink.LinkStats, level int, carrierChanges uint32) {
	if s == nil {
		return
	}
	j.openObject("stats64")
	j.openObject("rx")
	j.uint("bytes", s.RxBytes)
	j.uint("packets", s.RxPackets)
	j.uint("errors", s.RxErrors)
	j.uint("dropped", s.RxDropped)
	j.uint("over_errors", s.RxOverErrors)
	j.uint("multicast", s.Multicast)
	if s.RxCompressed != 0 {
		j.uint("compressed", s.RxCompressed)
	}
	if level > 1 {
		j.uint("length_errors", s.RxLengthErrors)
		j.uint("crc_errors", s.RxCRCErrors)
		j.uint("frame_errors", s.RxFrameErrors)
		j.uint("fifo_errors", s.RxFIFOErrors)
		j.uint("missed_errors", s.RxMissedErrors)
		if s.RxNoHandler != 0 {
			j.uint("nohandler", s.RxNoHandler)
		}
		if s.RxOtherhostDropped != 0 {
			j.uint("otherhost", s.RxOtherhostDropped)
		}
	}
	j.closeObject()
	j.openObject("tx")
	j.uint("bytes", s.TxBytes)
	j.uint("packets", s.TxPackets)
	j.uint("errors", s.TxErrors)
	j.uint("dropped", s.TxDropped)
	j.uint("carrier_errors", s.TxCarrierErrors)
	j.uint("collisions", s.Collisions)
	if s.TxCompressed != 0 {
		j.uint("compressed", s.TxCompressed)
	}
	if level > 1 {
		j.uint("aborted_errors", s.TxAbortedErrors)
		j.uint("fifo_errors", s.TxFIFOErrors)
		j.uint("window_errors", s.TxWindowErrors)
		j.uint("heartbeat_errors", s.TxHeartbeatErrors)
		j.uint("carrier_changes", uint64(carrierChanges))
	}
	j.closeObject()
	j.closeObject()
}

// statsColumns are ip -s's column names, RX then TX.
var statsColumns = []string{"RX-BYTES", "RX-PACKETS", "RX-ERRORS", "RX-DROPPED", "RX-MISSED", "RX-MCAST",
	"TX-BYTES", "TX-PACKETS", "TX-ERRORS", "TX-DROPPED", "TX-CARRIER", "TX-COLLSNS"}

// statsCells adds a link's counters to a table row, in statsColumns'
// order (ip -s's text: RX missed is rx_missed_errors).
func statsCells(t *tableOut, s *netlink.LinkStats) {
	if s == nil {
		s = &netlink.LinkStats{}
	}
	for _, v := range []uint64{s.RxBytes, s.RxPackets, s.RxErrors, s.RxDropped, s.RxMissedErrors, s.Multicast,
		s.TxBytes, s.TxPackets, s.TxErrors, s.TxDropped, s.TxCarrierErrors, s.Collisions} {
		t.cellUint(v)
	}
}

// ipSingleDashWords rewrites ip's long options with one dash, which
// pflag would read as clusters of short ones: -br and -brief are
// --brief, -stats and -statistics are --stats. Everything after "--"
// is left alone.
func ipSingleDashWords(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		switch a {
		case "-br", "-brief":
			a = "--brief"
		case "-stats", "-statistics":
			a = "--stats"
		}
		out = append(out, a)
	}
	return out
}

// writeLinkStats is writeLink with ip -s's stats64 between the alias and
// the alternative names, as ip -j -d -s link prints it.
func writeLinkStats(j *jsonOut, l *netlink.Link, names *linkNames, level int) {
	j.openObject("")
	writeLinkHeader(j, l, names, true, true)
	if l.Alias != "" {
		j.str("ifalias", l.Alias)
	}
	writeStats64(j, l.Stats, level, l.CarrierChanges)
	writeLinkTail(j, &netlink.Link{AltNames: l.AltNames}, false)
	j.closeObject()
}

// writeAddrLinkStats is writeAddrLinkFamily with ip -s addr's stats64
// after addr_info.
func writeAddrLinkStats(j *jsonOut, l *netlink.Link, names *linkNames, addrs []*netlink.Addr, family uint8, inet6Dump bool, level int) {
	j.openObject("")
	if inet6Dump {
		writeInet6LinkHeader(j, l, names)
	} else {
		writeLinkHeaderLL(j, l, names, false, false, family == 0)
		writeLinkTail(j, l, false)
	}
	j.openArray("addr_info")
	for _, a := range addrs {
		writeAddrInfo(j, a)
	}
	j.closeArray()
	writeStats64(j, l.Stats, level, l.CarrierChanges)
	j.closeObject()
}
