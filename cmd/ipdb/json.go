package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"iter"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders addresses, routes, neighbours and rules as `ip -j`
// (iproute2 6.1) prints them: print_addrinfo (ip/ipaddress.c),
// print_route (ip/iproute.c), print_neigh (ip/ipneigh.c) and print_rule
// (ip/iprule.c), key for key, in their order, with their value formats.
// render_link.go does the same for links. Keys ip never prints are
// ipdb's own additions, all named in doc.go; they come after ip's keys.
//
// Every writer appends to a jsonOut, so that show (streaming a kernel
// dump), serve and monitor (rendering from the cache) share one renderer
// and can never disagree.

// object is a JSON object that keeps its keys in insertion order. It is
// the decoded form of what the renderer wrote, for callers that pick
// single fields (lookup's text output).
type object []field

type field struct {
	key   string
	value any
}

// set appends a key.
func (o *object) set(key string, value any) { *o = append(*o, field{key, value}) }

// MarshalJSON writes the keys in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(appendJSONString(nil, f.key))
		b.WriteByte(':')
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// decodeObject reads one rendered JSON object back into an object with
// its keys in order; numbers stay json.Number, nested values are generic.
func decodeObject(b []byte) (object, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if _, err := d.Token(); err != nil { // {
		return nil, err
	}
	var o object
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		o.set(t.(string), v)
	}
	return o, nil
}

// names resolves interface indexes to names, as ip does ("if%d" when the
// index is unknown).
type names func(index int) string

// snapshotLinks returns the link names of a snapshot, looked up as
// they are needed.
func snapshotLinks(s *ipdb.Snapshot) *linkNames { return newLinkNames(s) }

func snapshotNames(s *ipdb.Snapshot) names { return snapshotLinks(s).name }

// linkTypeNames are ip's names of the ARPHRD_* link types (ll_types.c).
var linkTypeNames = map[uint16]string{
	unix.ARPHRD_NETROM: "netrom", unix.ARPHRD_ETHER: "ether", unix.ARPHRD_EETHER: "eether",
	unix.ARPHRD_AX25: "ax25", unix.ARPHRD_IEEE802: "ieee802", unix.ARPHRD_ARCNET: "arcnet",
	unix.ARPHRD_DLCI: "dlci", unix.ARPHRD_ATM: "atm", unix.ARPHRD_IEEE1394: "ieee1394",
	unix.ARPHRD_INFINIBAND: "infiniband", unix.ARPHRD_SLIP: "slip", unix.ARPHRD_PPP: "ppp",
	unix.ARPHRD_CISCO: "cisco", unix.ARPHRD_LAPB: "lapb", unix.ARPHRD_RAWHDLC: "rawhdlc",
	unix.ARPHRD_TUNNEL: "ipip", unix.ARPHRD_TUNNEL6: "tunnel6", unix.ARPHRD_FRAD: "frad",
	unix.ARPHRD_LOOPBACK: "loopback", unix.ARPHRD_FDDI: "fddi", unix.ARPHRD_SIT: "sit",
	unix.ARPHRD_IPGRE: "gre", unix.ARPHRD_PIMREG: "pimreg", unix.ARPHRD_IEEE80211: "ieee802.11",
	unix.ARPHRD_IEEE80211_RADIOTAP: "ieee802.11/radiotap", unix.ARPHRD_IEEE802154: "ieee802.15.4",
	unix.ARPHRD_CAN: "can", unix.ARPHRD_IP6GRE: "gre6", unix.ARPHRD_NETLINK: "netlink",
	unix.ARPHRD_6LOWPAN: "6lowpan", unix.ARPHRD_NONE: "none", unix.ARPHRD_VOID: "void",
}

func linkTypeName(t uint16) string {
	if n, ok := linkTypeNames[t]; ok {
		return n
	}
	return "[" + strconv.Itoa(int(t)) + "]"
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func familyName(f uint8) string {
	switch f {
	case unix.AF_INET:
		return "inet"
	case unix.AF_INET6:
		return "inet6"
	case unix.AF_BRIDGE:
		return "bridge"
	case unix.AF_MPLS:
		return "mpls"
	case unix.AF_PACKET:
		return "link"
	}
	return strconv.Itoa(int(f))
}

// ---- addresses (print_addrinfo) ----

// writeAddrInfo writes one entry of ip's addr_info list.
func writeAddrInfo(j *jsonOut, a *netlink.Addr) {
	j.openObject("")
	writeAddrFields(j, a)
	j.closeObject()
}

func writeAddrFields(j *jsonOut, a *netlink.Addr) {
	switch f := familyName(a.Family); f {
	case "inet", "inet6", "bridge", "mpls", "link":
		j.str("family", f)
	default:
		j.int("family_index", int64(a.Family))
	}
	if a.Prefix.IsValid() {
		j.str("local", a.Prefix.Addr().String())
		if a.Peer.IsValid() {
			j.str("address", a.Peer.String())
		}
		j.int("prefixlen", int64(a.Prefix.Bits()))
		if a.Metric != 0 {
			j.uint("metric", uint64(a.Metric))
		}
	}
	if a.Broadcast.IsValid() {
		j.str("broadcast", a.Broadcast.String())
	}
	if a.Anycast.IsValid() {
		j.str("anycast", a.Anycast.String())
	}
	j.str("scope", netlink.Scope(a.Scope).String())
	writeAddrFlags(j, a.Family, a.Flags)
	if a.Label != "" {
		j.str("label", a.Label)
	}
	valid, preferred := addrLifetimes(a)
	j.uint("valid_life_time", uint64(valid))
	if preferred != 0xffffffff && a.Flags&unix.IFA_F_DEPRECATED != 0 {
		j.int("preferred_life_time", int64(int32(preferred)))
	} else {
		j.uint("preferred_life_time", uint64(preferred))
	}
}

// addrLifetimes are an address's remaining valid and preferred lifetimes
// in seconds (0xffffffff: forever): for an address the cache holds,
// counted down to now from its deadlines (netlink.Addr.Remaining; its
// ValidLifetime and PreferredLifetime are as of the message); for one
// straight from a dump, which has no deadlines, as received.
func addrLifetimes(a *netlink.Addr) (valid, preferred uint32) {
	if a.ValidUntil.IsZero() && a.PreferredUntil.IsZero() {
		return a.ValidLifetime, a.PreferredLifetime
	}
	return a.Remaining(time.Now())
}

// writeAddrFlags is print_ifa_flags: "dynamic" where permanent is not set,
// "temporary" for an IPv6 secondary, unknown bits as "ifa_flags".
func writeAddrFlags(j *jsonOut, family uint8, flags uint32) {
	for mask, name := range netlink.AddrFlagWords() {
		switch {
		case mask == unix.IFA_F_PERMANENT:
			if flags&mask == 0 {
				j.boolean("dynamic", true)
			}
		case flags&mask != 0:
			if mask == unix.IFA_F_SECONDARY && family == unix.AF_INET6 {
				j.boolean("temporary", true)
			} else {
				j.boolean(name, true)
			}
		}
		flags &^= mask
	}
	if flags != 0 {
		s := strconv.FormatUint(uint64(flags), 16)
		if len(s) < 2 {
			s = "0" + s
		}
		j.str("ifa_flags", s)
	}
}

// writeAddrLink writes one link of `ip -j addr show`: its header and its
// addresses under addr_info.
func writeAddrLink(j *jsonOut, l *netlink.Link, names *linkNames, addrs []*netlink.Addr) {
	writeAddrLinkFamily(j, l, names, addrs, 0, false)
}

// writeAddrLinkFamily is writeAddrLink under ip's -4 or -6 (family not 0),
// which leaves out the link-layer keys.
//
// inet6Dump is ip -6 addr show without dev: ip then dumps AF_INET6 links,
// whose messages (the kernel's inet6_fill_ifinfo, net/ipv6/addrconf.c)
// carry only a name, address, MTU, IFLA_LINK and operstate, so ip prints no
// qdisc, master, group or link_netnsid (writeInet6LinkHeader).
func writeAddrLinkFamily(j *jsonOut, l *netlink.Link, names *linkNames, addrs []*netlink.Addr, family uint8, inet6Dump bool) {
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
	j.closeObject()
}

// ---- routes (print_route) ----

// prefixString prints a destination as ip does: "default" for /0, the bare
// address for a host prefix.
func prefixString(p netip.Prefix) string {
	if !p.IsValid() || p.Bits() == 0 {
		return "default"
	}
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

// appendPrefix appends prefixString(p) without allocating.
func appendPrefix(b []byte, p netip.Prefix) []byte {
	if !p.IsValid() || p.Bits() == 0 {
		return append(b, "default"...)
	}
	b = p.Addr().AppendTo(b)
	if p.Bits() != p.Addr().BitLen() {
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(p.Bits()), 10)
	}
	return b
}

// strBytes writes a string value from bytes.
func (j *jsonOut) strBytes(k string, v []byte) {
	j.key(k)
	j.b = append(j.b, '"')
	j.b = append(j.b, v...) // addresses and numbers: nothing to escape
	j.b = append(j.b, '"')
}

// addr writes an address as a string value, without allocating.
func (j *jsonOut) addr(k string, a netip.Addr) {
	j.key(k)
	j.b = append(j.b, '"')
	j.b = a.AppendTo(j.b)
	j.b = append(j.b, '"')
}

// writeRouteFlags is print_rt_flags.
func writeRouteFlags(j *jsonOut, f uint32) {
	j.openArray("flags")
	for _, name := range netlink.RouteFlagNames(f) {
		j.str("", name)
	}
	j.closeArray()
}

func tableName(t uint32) string { return ipNames().tableName(t) }

// writeGateway writes "gateway", or "via" for a gateway of another family
// (RTA_VIA).
func writeGateway(j *jsonOut, family uint8, gw netip.Addr) {
	if !gw.IsValid() {
		return
	}
	if (family == unix.AF_INET) != gw.Is4() {
		j.openObject("via")
		if gw.Is4() {
			j.str("family", "inet")
		} else {
			j.str("family", "inet6")
		}
		j.addr("host", gw)
		j.closeObject()
		return
	}
	j.addr("gateway", gw)
}

// writeFlow is print_rta_flow.
func writeFlow(j *jsonOut, flow uint32) {
	to, from := flow&0xffff, flow>>16
	j.openObject("flow")
	if from != 0 {
		j.str("from", ipNames().realmName(from))
	}
	j.str("to", ipNames().realmName(to))
	j.closeObject()
}

// writeRoute writes one route as `ip -j route show table all` does.
func writeRoute(j *jsonOut, r *netlink.Route, names *linkNames) {
	if r.Family == unix.AF_MPLS {
		writeMPLSRoute(j, r, names) // as ip -j -f mpls route show
		return
	}
	writeRouteDetails(j, r, names, nil, routeOmit{})
}

// routeDetails asks for a route as `ip -j -d route show table all` prints
// it: type, table, protocol and scope always, and the nexthop object of a
// route over one as "nh_info" (nexthop.go), looked up with nexthop (nil
// when it is not known: ip then prints nothing either).
type routeDetails struct {
	nexthop func(id uint32) *netlink.Nexthop
}

// writeRouteDetails writes one route, with ip -d's details when d is not
// nil.
func writeRouteDetails(j *jsonOut, r *netlink.Route, names *linkNames, d *routeDetails, omit routeOmit) {
	if r.Family == unix.AF_MPLS {
		writeMPLSRouteFields(j, r, names, d != nil, omit) // render_mpls.go
		return
	}
	j.openObject("")
	writeRouteFields(j, r, names, d, omit)
	j.closeObject()
}

// routeOmit leaves out the keys ip does not print when a selector fixed
// them: dev (ip route show dev X, filter.oifmask), table (ip route show
// table N, filter.tb), protocol (proto P, filter.protocolmask), gateway
// (via ADDR of a host's length, filter.rvia) and prefsrc (src ADDR,
// filter.rprefsrc).
type routeOmit struct{ dev, table, protocol, gateway, prefsrc, scope, metric, tos bool }

func writeRouteFields(j *jsonOut, r *netlink.Route, names *linkNames, d *routeDetails, omit routeOmit) {
	x := r.Extra
	if r.Type != netlink.RouteUnicast || d != nil {
		if r.Type == 0 {
			j.str("type", "none")
		} else {
			j.str("type", r.Type.String())
		}
	}
	j.key("dst")
	j.b = append(j.b, '"')
	j.b = appendPrefix(j.b, r.Dst)
	j.b = append(j.b, '"')
	if x != nil && x.Src.IsValid() && x.Src.Bits() > 0 {
		j.strBytes("from", appendPrefix(nil, x.Src))
	}
	if x != nil && x.NHID != 0 {
		j.uint("nhid", uint64(x.NHID))
	}
	if x != nil {
		writeLWTEncap(j, x.EncapType, x.Encap, x.MPLSEncap)
	}
	if r.TOS != 0 && !omit.tos {
		j.str("tos", ipNames().dsfieldName(r.TOS))
	}
	if !omit.gateway || (r.Family == unix.AF_INET) != r.Gateway.Is4() {
		writeGateway(j, r.Family, r.Gateway) // RTA_VIA is printed under any via
	}
	if r.OIF != 0 && !omit.dev {
		j.str("dev", names.name(int(r.OIF)))
	}
	if r.Table != 0 && (r.Table != unix.RT_TABLE_MAIN || d != nil) && !omit.table {
		j.str("table", tableName(r.Table))
	}
	if r.Flags&unix.RTM_F_CLONED == 0 {
		if (r.Protocol != netlink.ProtoBoot || d != nil) && !omit.protocol {
			j.str("protocol", ipNames().protoName(uint8(r.Protocol)))
		}
		if (r.Scope != netlink.ScopeUniverse || d != nil) && !omit.scope {
			j.str("scope", r.Scope.String())
		}
	}
	if r.PrefSrc.IsValid() && !omit.prefsrc {
		j.addr("prefsrc", r.PrefSrc)
	}
	if (r.Priority != 0 || r.Family == unix.AF_INET6) && !omit.metric {
		j.uint("metric", uint64(r.Priority))
	}
	writeRouteFlags(j, r.Flags)
	if x != nil {
		if x.Mark != 0 {
			j.uint("mark", uint64(x.Mark))
		}
		if x.Flow != 0 {
			writeFlow(j, x.Flow)
		}
		if x.UID != 0 {
			j.uint("uid", uint64(x.UID))
		}
		if ci := x.CacheInfo; r.Family == unix.AF_INET || r.Family == unix.AF_INET6 {
			if ci.Expires != 0 {
				// What is left now (the cache keeps a deadline; a
				// dumped route has none and says what it received),
				// in seconds as ip prints it (clock ticks / USER_HZ).
				j.int("expires", int64(r.ExpiresLeft(time.Now())/100))
			}
			if ci.Error != 0 {
				j.uint("error", uint64(ci.Error))
			}
			if ci.ID != 0 {
				j.str("ipid", "0x"+leftPad(strconv.FormatUint(uint64(ci.ID), 16), 4))
			}
			if ci.TS != 0 || ci.TSAge != 0 {
				j.hex("ts", uint64(ci.TS))
				j.uint("tsage", uint64(ci.TSAge))
			}
		}
		if x.Metrics != nil {
			writeMetrics(j, x.Metrics)
		}
		if x.IIF != 0 {
			j.str("iif", names.name(int(x.IIF)))
		}
	}
	if r.Family == unix.AF_INET6 {
		switch r.Pref {
		case netlink.PrefLow:
			j.str("pref", "low")
		case netlink.PrefMedium:
			j.str("pref", "medium")
		case netlink.PrefHigh:
			j.str("pref", "high")
		default:
			j.uint("pref", uint64(r.Pref))
		}
	}
	if d != nil && x != nil && x.NHID != 0 && d.nexthop != nil {
		if nh := d.nexthop(x.NHID); nh != nil {
			j.key("nh_info")
			j.comma = false
			writeNexthop(j, nh, names, true)
		}
	}
	if len(r.Multipath) > 0 {
		j.openArray("nexthops")
		for i := range r.Multipath {
			nh := &r.Multipath[i]
			j.openObject("")
			writeLWTEncap(j, nh.EncapType, nh.Encap, nh.MPLSEncap)
			writeGateway(j, r.Family, nh.Gateway)
			if b, ok := linkAttr(nh.Unknown, unix.RTA_FLOW); ok && len(b) >= 4 {
				writeFlow(j, binary.NativeEndian.Uint32(b))
			}
			j.str("dev", names.name(int(nh.IfIndex)))
			j.int("weight", int64(nh.Weight()))
			writeRouteFlags(j, uint32(nh.Flags))
			j.closeObject()
		}
		j.closeArray()
	}
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// ipMetricNames are ip's mx_names, by RTAX_* type.
var ipMetricNames = [...]string{unix.RTAX_MTU: "mtu", unix.RTAX_WINDOW: "window",
	unix.RTAX_RTT: "rtt", unix.RTAX_RTTVAR: "rttvar", unix.RTAX_SSTHRESH: "ssthresh",
	unix.RTAX_CWND: "cwnd", unix.RTAX_ADVMSS: "advmss", unix.RTAX_REORDERING: "reordering",
	unix.RTAX_HOPLIMIT: "hoplimit", unix.RTAX_INITCWND: "initcwnd", unix.RTAX_FEATURES: "features",
	unix.RTAX_RTO_MIN: "rto_min", unix.RTAX_INITRWND: "initrwnd", unix.RTAX_QUICKACK: "quickack",
	unix.RTAX_CC_ALGO: "congctl", unix.RTAX_FASTOPEN_NO_COOKIE: "fastopen_no_cookie"}

// writeMetrics is print_rta_metrics: "metrics":[{...}] in RTAX order, a
// locked metric printed by its value as ip prints it, then ipdb's own
// "ipdb_locked": the names of the locked metrics, which ip's JSON drops.
func writeMetrics(j *jsonOut, m *netlink.RouteMetrics) {
	j.openArray("metrics")
	j.openObject("")
	var locked []string
	for i := uint16(unix.RTAX_MTU); int(i) < len(ipMetricNames); i++ {
		lock := m.Lock&(1<<i) != 0
		if i == unix.RTAX_CC_ALGO {
			if m.CCAlgo != "" || lock {
				j.str("congestion", m.CCAlgo)
			}
		} else {
			v := metricValue(m, i)
			if v == 0 && !lock {
				continue
			}
			if i == unix.RTAX_HOPLIMIT && v == 0xffffffff {
				continue
			}
			switch i {
			case unix.RTAX_FEATURES:
				if v&unix.RTAX_FEATURE_ECN != 0 {
					j.null("ecn")
				}
				if v&^unix.RTAX_FEATURE_ECN != 0 {
					j.hex("features", uint64(v))
				}
			case unix.RTAX_RTT:
				j.uint("rtt", uint64(v/8))
			case unix.RTAX_RTTVAR:
				j.uint("rttvar", uint64(v/4))
			default:
				j.uint(ipMetricNames[i], uint64(v))
			}
		}
		if lock {
			locked = append(locked, ipMetricNames[i])
		}
	}
	if len(locked) > 0 {
		j.openArray("ipdb_locked")
		for _, n := range locked {
			j.str("", n)
		}
		j.closeArray()
	}
	j.closeObject()
	j.closeArray()
}

func metricValue(m *netlink.RouteMetrics, t uint16) uint32 {
	switch t {
	case unix.RTAX_MTU:
		return m.MTU
	case unix.RTAX_WINDOW:
		return m.Window
	case unix.RTAX_RTT:
		return m.RTT
	case unix.RTAX_RTTVAR:
		return m.RTTVar
	case unix.RTAX_SSTHRESH:
		return m.SSThresh
	case unix.RTAX_CWND:
		return m.CWnd
	case unix.RTAX_ADVMSS:
		return m.AdvMSS
	case unix.RTAX_REORDERING:
		return m.Reordering
	case unix.RTAX_HOPLIMIT:
		return m.HopLimit
	case unix.RTAX_INITCWND:
		return m.InitCwnd
	case unix.RTAX_FEATURES:
		return m.Features
	case unix.RTAX_RTO_MIN:
		return m.RTOMin
	case unix.RTAX_INITRWND:
		return m.InitRwnd
	case unix.RTAX_QUICKACK:
		return m.QuickAck
	case unix.RTAX_FASTOPEN_NO_COOKIE:
		return m.FastOpenNoCookie
	}
	return 0
}

// showRoute says whether show and serve list r: IPv4, IPv6 and MPLS
// routes, as `ip route show table all` lists them (no multicast routing
// entries).
func showRoute(r *netlink.Route) bool {
	return r.Family == unix.AF_INET || r.Family == unix.AF_INET6 || r.Family == unix.AF_MPLS
}

// ---- neighbours (print_neigh) ----

// writeNeigh writes an ARP or NDP entry as `ip -j neigh show` does.
func writeNeigh(j *jsonOut, n *netlink.Neigh, names *linkNames) {
	writeNeighOmit(j, n, names, false)
}

// writeNeighOmit writes an entry, without its device when omitDev (ip
// neigh show dev X does not print it).
func writeNeighOmit(j *jsonOut, n *netlink.Neigh, names *linkNames, omitDev bool) {
	j.openObject("")
	if n.Dst.IsValid() {
		j.addr("dst", n.Dst)
	}
	if n.Index != 0 && !omitDev {
		j.str("dev", names.name(n.Index))
	}
	if n.LLAddr != nil {
		j.str("lladdr", hwAddr(0, n.LLAddr))
	}
	if n.Flags&unix.NTF_ROUTER != 0 {
		j.null("router")
	}
	if n.Flags&unix.NTF_PROXY != 0 {
		j.null("proxy")
	}
	if n.FlagsExt&1 != 0 { // NTF_EXT_MANAGED
		j.null("managed")
	}
	if n.Flags&unix.NTF_EXT_LEARNED != 0 {
		j.null("extern_learn")
	}
	if n.Flags&unix.NTF_OFFLOADED != 0 {
		j.null("offload")
	}
	if n.State != 0 {
		j.openArray("state")
		for _, s := range netlink.NeighStateNames(n.State) {
			j.str("", s)
		}
		j.closeArray()
	}
	if n.Protocol != 0 {
		j.str("protocol", ipNames().protoName(n.Protocol))
	}
	j.closeObject()
}

// showNeigh says whether show and serve list n: ARP and NDP entries as
// `ip neigh show nud all` lists them, without the proxy entries (which ip
// lists only with `ip neigh show proxy`; Snapshot.Neighs has them) and
// without bridge forwarding entries (the fdb table).
func showNeigh(n *netlink.Neigh) bool {
	return (n.Family == unix.AF_INET || n.Family == unix.AF_INET6) && n.Flags&unix.NTF_PROXY == 0
}

// ---- rules (print_rule) ----

// writeRule writes a rule as `ip -j rule show` does, then ipdb's own
// "family" key (ip prints one family at a time).
func writeRule(j *jsonOut, r *netlink.Rule) {
	j.openObject("")
	j.uint("priority", uint64(r.Priority))
	if r.Flags&unix.FIB_RULE_INVERT != 0 {
		j.null("not")
	}
	bits := 32
	if r.Family == unix.AF_INET6 {
		bits = 128
	}
	switch {
	case r.Src.IsValid() && r.Src.Bits() > 0:
		j.addr("src", r.Src.Addr())
		if r.Src.Bits() != bits {
			j.uint("srclen", uint64(r.Src.Bits()))
		}
	default:
		j.str("src", "all")
	}
	if r.Dst.IsValid() && r.Dst.Bits() > 0 {
		j.addr("dst", r.Dst.Addr())
		if r.Dst.Bits() != bits {
			j.uint("dstlen", uint64(r.Dst.Bits()))
		}
	}
	if r.TOS != 0 {
		j.str("tos", ipNames().dsfieldName(r.TOS))
	}
	if r.Mark != 0 || r.Mask != 0 {
		j.hex("fwmark", uint64(r.Mark))
		if r.Mask != 0xffffffff {
			j.hex("fwmask", uint64(r.Mask))
		}
	}
	if r.IIFName != "" {
		j.str("iif", r.IIFName)
		if r.Flags&unix.FIB_RULE_IIF_DETACHED != 0 {
			j.null("iif_detached")
		}
	}
	if r.OIFName != "" {
		j.str("oif", r.OIFName)
		if r.Flags&unix.FIB_RULE_OIF_DETACHED != 0 {
			j.null("oif_detached")
		}
	}
	if r.L3MDev != 0 {
		j.null("l3mdev")
	}
	if r.UIDRange != nil {
		j.uint("uid_start", uint64(r.UIDRange.Start))
		j.uint("uid_end", uint64(r.UIDRange.End))
	}
	if r.IPProto != 0 {
		j.str("ipproto", ipNames().ipProtoName(r.IPProto))
	}
	ports := func(key string, pr netlink.RulePortRange) {
		if pr == (netlink.RulePortRange{}) {
			return
		}
		if pr.Start == pr.End {
			j.uint(key, uint64(pr.Start))
			return
		}
		j.uint(key+"_start", uint64(pr.Start))
		j.uint(key+"_end", uint64(pr.End))
	}
	ports("sport", r.SPort)
	ports("dport", r.DPort)
	if r.TunID != 0 {
		j.uint("tun_id", r.TunID)
	}
	if r.Table != 0 {
		j.str("table", tableName(r.Table))
		if r.SuppressPrefixLen != nil && *r.SuppressPrefixLen != 0xffffffff {
			j.int("suppress_prefixlen", int64(int32(*r.SuppressPrefixLen)))
		}
		if r.SuppressIfGroup != nil && *r.SuppressIfGroup != 0xffffffff {
			j.str("suppress_ifgroup", ipNames().groupName(*r.SuppressIfGroup))
		}
	}
	if r.Flow != 0 {
		if from := r.Flow >> 16; from != 0 {
			j.str("flow_from", ipNames().realmName(from))
		}
		j.str("flow_to", ipNames().realmName(r.Flow&0xffff))
	}
	switch r.Action {
	case netlink.RuleToTable:
	case netlink.RuleGoto:
		j.uint("goto", uint64(r.Goto))
		if r.Flags&unix.FIB_RULE_UNRESOLVED != 0 {
			j.null("unresolved")
		}
	case netlink.RuleNop:
		j.null("nop")
	default:
		j.str("action", netlink.RouteType(r.Action).String())
	}
	if r.Protocol != netlink.ProtoUnspec && r.Protocol != netlink.ProtoKernel {
		j.str("protocol", ipNames().protoName(uint8(r.Protocol)))
	}
	j.str("family", familyName(r.Family))
	j.closeObject()
}

// showRule says whether show and serve list r (IPv4 and IPv6 rules).
func showRule(r *netlink.Rule) bool {
	return r.Family == unix.AF_INET || r.Family == unix.AF_INET6
}

// ---- whole tables from a snapshot (serve) ----

// writeSnapshotTable writes one table of a snapshot as show writes it
// from a dump: a JSON array, in the cache's order (see doc.go for how
// that order relates to ip's).
func writeSnapshotTable(j *jsonOut, s *ipdb.Snapshot, table string) {
	names := snapshotLinks(s)
	j.openArray("")
	if k := commandKindOfTable(table); k != nil {
		k.snapshotJSON(j, s, names)
	}
	j.closeArray()
}

// Each kind's table of a snapshot as JSON (rows of the command's kind
// table, kinds.go).

func snapshotLinksJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	for l := range s.Links() {
		writeLink(j, l, names)
		j.maybeFlush()
	}
}

func snapshotAddrsJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	var addrs []*netlink.Addr
	for l := range s.Links() {
		addrs = addrs[:0]
		for a := range s.AddrsOf(l.Index) {
			addrs = append(addrs, a)
		}
		sortAddrsLikeKernel(addrs)
		writeAddrLink(j, l, names, addrs)
		j.maybeFlush()
	}
}

func snapshotRoutesJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	for r := range routesInDumpOrder(s) {
		if showRoute(r) {
			writeRoute(j, r, names)
			j.maybeFlush()
		}
	}
}

// routesInDumpOrder iterates s's routes in the order a kernel dump lists
// their tables: each family's tables by their hash bucket, the table id
// modulo 256 (inet_dump_fib and inet6_dump_fib walk FIB_TABLE_HASHSZ
// buckets), so table 300 (bucket 44) comes before main (254) and local
// (255). Tables of one bucket stay in id order (the kernel lists the
// newest first, which the cache does not know); a table's routes keep the
// cache's order.
func routesInDumpOrder(s *ipdb.Snapshot) iter.Seq[*netlink.Route] {
	return func(yield func(*netlink.Route) bool) {
		var rs []*netlink.Route
		sorted := true
		for r := range s.Routes() {
			if n := len(rs); n > 0 && dumpBefore(r, rs[n-1]) {
				sorted = false
			}
			rs = append(rs, r)
		}
		if !sorted {
			slices.SortStableFunc(rs, func(a, b *netlink.Route) int {
				switch {
				case dumpBefore(a, b):
					return -1
				case dumpBefore(b, a):
					return 1
				}
				return 0
			})
		}
		for _, r := range rs {
			if !yield(r) {
				return
			}
		}
	}
}

// dumpBefore reports whether a kernel dump lists a's table before b's.
func dumpBefore(a, b *netlink.Route) bool {
	if a.Family != b.Family {
		return a.Family < b.Family
	}
	return a.Table&0xff < b.Table&0xff
}

func snapshotNeighsJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	for n := range s.Neighs() {
		if showNeigh(n) {
			writeNeigh(j, n, names)
			j.maybeFlush()
		}
	}
}

func snapshotRulesJSON(j *jsonOut, s *ipdb.Snapshot, _ *linkNames) {
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		for r := range s.Rules() {
			if r.Family == fam {
				writeRule(j, r)
				j.maybeFlush()
			}
		}
	}
}

func snapshotFDBsJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	for _, f := range s.FDBListed() {
		writeFDB(j, f, names)
		j.maybeFlush()
	}
}

// sortAddrsLikeKernel orders one link's addresses as the kernel lists
// them where the order follows from what the cache knows: IPv4 before
// IPv6; IPv4 primaries (by scope, host first) before secondaries; IPv6 by
// scope, global first. Among addresses of equal rank the kernel keeps
// insertion order, which the cache does not know: they stay in key order.
func sortAddrsLikeKernel(addrs []*netlink.Addr) {
	rank := func(a *netlink.Addr) int {
		switch a.Family {
		case unix.AF_INET:
			r := 0
			if a.Flags&unix.IFA_F_SECONDARY != 0 {
				r = 256
			}
			return r + (255 - int(a.Scope))
		case unix.AF_INET6:
			return 1024 + ipv6ScopeRank(a.Prefix.Addr())
		}
		return 4096
	}
	// Insertion sort: a link has few addresses, and it is stable.
	for i := 1; i < len(addrs); i++ {
		for k := i; k > 0 && rank(addrs[k]) < rank(addrs[k-1]); k-- {
			addrs[k], addrs[k-1] = addrs[k-1], addrs[k]
		}
	}
}

// ipv6ScopeRank orders IPv6 addresses as ipv6_link_dev_addr does: larger
// scope (ipv6_addr_src_scope) first.
func ipv6ScopeRank(a netip.Addr) int {
	switch {
	case a.IsLoopback():
		return 255 - 0x1
	case a.IsLinkLocalUnicast():
		return 255 - 0x2
	}
	return 255 - 0xe
}

// writeSnapshotObject writes any cached object as show does, for events:
// an address with its link's index and name first, an FDB entry as
// `bridge -j fdb show` does.
func writeSnapshotObject(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	if o != nil {
		if k := commandKindOf(o.Kind()); k != nil {
			k.objectJSON(j, key, o, names)
			return
		}
	}
	j.null(key)
}

// Each kind's single object under a key, for events (rows of the command's
// kind table, kinds.go).

func linkObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	j.key(key)
	writeLinkObject(j, o.(*netlink.Link), names)
}

func addrObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	a := o.(*netlink.Addr)
	j.openObject(key)
	j.int("ifindex", int64(a.Index))
	j.str("ifname", names.name(a.Index))
	writeAddrFields(j, a)
	j.closeObject()
}

func routeObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	j.key(key)
	j.comma = false
	writeRoute(j, o.(*netlink.Route), names)
}

func neighObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	j.key(key)
	j.comma = false
	writeNeigh(j, o.(*netlink.Neigh), names)
}

func ruleObjectJSON(j *jsonOut, key string, o netlink.Object, _ *linkNames) {
	j.key(key)
	j.comma = false
	writeRule(j, o.(*netlink.Rule))
}

func fdbObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	j.key(key)
	j.comma = false
	writeFDB(j, o.(*netlink.FDB), names)
}

func writeLinkObject(j *jsonOut, l *netlink.Link, names *linkNames) {
	j.comma = false
	writeLink(j, l, names)
}

// routeJSON renders a route for callers that pick fields (lookup).
func routeJSON(r *netlink.Route, name names) object {
	var buf bytes.Buffer
	j := newJSONOut(&buf)
	writeRoute(j, r, namesOf(name, r))
	j.flush()
	o, err := decodeObject(buf.Bytes())
	if err != nil {
		return nil
	}
	return o
}

// namesOf builds the link names a route refers to from a name function.
func namesOf(name names, r *netlink.Route) *linkNames {
	m := newLinkNames(nil)
	add := func(i uint32) {
		if i != 0 {
			m.m[int(i)] = linkRef{name: name(int(i))}
		}
	}
	add(r.OIF)
	if r.Extra != nil {
		add(r.Extra.IIF)
	}
	for _, nh := range r.Multipath {
		add(nh.IfIndex)
	}
	return m
}

// writeJSONTo renders with fn to w, then a newline.
func writeJSONTo(w io.Writer, fn func(j *jsonOut)) error {
	j := newJSONOut(w)
	fn(j)
	j.newline()
	return j.flush()
}
