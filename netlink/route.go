package netlink

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Constants golang.org/x/sys/unix lacks.
const (
	rtaNHID = 30 // RTA_NH_ID

	rtnlFamilyIPMR  = 128 // RTNL_FAMILY_IPMR
	rtnlFamilyIP6MR = 129 // RTNL_FAMILY_IP6MR

	rtmsgLen   = 12 // sizeof(struct rtmsg)
	rtnhLen    = 8  // sizeof(struct rtnexthop)
	rtaCacheLn = 32 // sizeof(struct rta_cacheinfo)
)

// RouteType is a route's type (rtm_type, RTN_*).
type RouteType uint8

// Route types.
const (
	RouteUnicast     RouteType = unix.RTN_UNICAST
	RouteLocal       RouteType = unix.RTN_LOCAL
	RouteBroadcast   RouteType = unix.RTN_BROADCAST
	RouteAnycast     RouteType = unix.RTN_ANYCAST
	RouteMulticast   RouteType = unix.RTN_MULTICAST
	RouteBlackhole   RouteType = unix.RTN_BLACKHOLE
	RouteUnreachable RouteType = unix.RTN_UNREACHABLE
	RouteProhibit    RouteType = unix.RTN_PROHIBIT
	RouteThrow       RouteType = unix.RTN_THROW
	RouteNAT         RouteType = unix.RTN_NAT
)

// Scope is a route's or address's scope (RT_SCOPE_*).
type Scope uint8

// Scopes.
const (
	ScopeUniverse Scope = unix.RT_SCOPE_UNIVERSE
	ScopeSite     Scope = unix.RT_SCOPE_SITE
	ScopeLink     Scope = unix.RT_SCOPE_LINK
	ScopeHost     Scope = unix.RT_SCOPE_HOST
	ScopeNowhere  Scope = unix.RT_SCOPE_NOWHERE
)

// RouteProtocol says who installed a route (rtm_protocol, RTPROT_*).
type RouteProtocol uint8

// Route protocols the kernel defines; any other value is allowed.
const (
	ProtoUnspec   RouteProtocol = unix.RTPROT_UNSPEC
	ProtoRedirect RouteProtocol = unix.RTPROT_REDIRECT
	ProtoKernel   RouteProtocol = unix.RTPROT_KERNEL
	ProtoBoot     RouteProtocol = unix.RTPROT_BOOT
	ProtoStatic   RouteProtocol = unix.RTPROT_STATIC
	ProtoRA       RouteProtocol = unix.RTPROT_RA
	ProtoDHCP     RouteProtocol = unix.RTPROT_DHCP
	ProtoZebra    RouteProtocol = unix.RTPROT_ZEBRA
	ProtoBird     RouteProtocol = unix.RTPROT_BIRD
	ProtoBabel    RouteProtocol = unix.RTPROT_BABEL
	ProtoBGP      RouteProtocol = unix.RTPROT_BGP
	ProtoISIS     RouteProtocol = unix.RTPROT_ISIS
	ProtoOSPF     RouteProtocol = unix.RTPROT_OSPF
	ProtoRIP      RouteProtocol = unix.RTPROT_RIP
	ProtoEIGRP    RouteProtocol = unix.RTPROT_EIGRP
)

// Route preferences (RTA_PREF, ICMPV6_ROUTER_PREF_*), for IPv6 routes.
const (
	PrefMedium uint8 = 0
	PrefHigh   uint8 = 1
	PrefLow    uint8 = 3
)

// A Route is an entry of a routing table (RTM_NEWROUTE).
//
// The struct keeps what nearly every route has inline and what few routes
// have behind Extra, so that a million routes stay small: its size is 136
// bytes on 64-bit platforms. Zero values mean "absent" throughout.
type Route struct {
	// Dst is the destination prefix: 0.0.0.0/0 or ::/0 for a default
	// route. It is the zero Prefix for MPLS routes, whose incoming label
	// is Extra.Label, and for families whose addresses this package does
	// not decode (multicast routing), whose RTA_DST is in Extra.Unknown.
	Dst netip.Prefix

	// Gateway is the next hop's address (RTA_GATEWAY). An IPv6 gateway of
	// an IPv4 route is sent and received as RTA_VIA, as in
	// `ip route add 192.0.2.0/24 via inet6 fe80::1 dev eth0`, and so is
	// the IPv4 or IPv6 via address of an MPLS route (`via inet 192.0.2.2`;
	// a link-layer via, family AF_PACKET, stays raw in Extra.Unknown).
	Gateway netip.Addr

	// PrefSrc is the preferred source address (RTA_PREFSRC, ip's "src").
	PrefSrc netip.Addr

	// Multipath lists the next hops of a multipath route (RTA_MULTIPATH).
	Multipath []RouteHop

	// Extra holds rarely set attributes; nil when the route has none.
	Extra *RouteExtra

	// OIF is the output interface index (RTA_OIF, ip's "dev").
	OIF uint32

	// Table is the routing table id: RTA_TABLE when present, so that
	// tables above 255 work, otherwise rtm_table. In requests zero means
	// the main table.
	Table uint32

	// Priority is the route's metric (RTA_PRIORITY, ip's "metric").
	Priority uint32

	// Flags are rtm_flags: RTNH_F_* of a single-path route (onlink,
	// linkdown, ...) and RTM_F_* (cloned, offload, ...).
	Flags uint32

	// Family is unix.AF_INET, unix.AF_INET6 or unix.AF_MPLS (the
	// addresses of others are kept raw). In requests zero means the family
	// of Dst; an MPLS route must say unix.AF_MPLS.
	Family uint8

	// Protocol says who installed the route. In requests zero means
	// ProtoBoot, as with ip(8).
	Protocol RouteProtocol

	// Scope is the route's scope. In requests ScopeUniverse (zero) is
	// inferred as ip(8) does: link for a unicast route without gateway or
	// next hops, host for local and NAT routes, link for broadcast,
	// multicast and anycast routes.
	Scope Scope

	// Type is the route's type. In requests zero means RouteUnicast
	// (or any type, for Delete).
	Type RouteType

	// TOS is the type-of-service selector (rtm_tos, IPv4 only).
	TOS uint8

	// Pref is the IPv6 router preference (RTA_PREF): PrefMedium, PrefHigh
	// or PrefLow.
	Pref uint8
}

// RouteExtra holds a route's rarely set attributes.
type RouteExtra struct {
	// Src is the source prefix of an IPv6 source-specific route (RTA_SRC
	// and rtm_src_len, ip's "from").
	Src netip.Prefix

	// IIF is the input interface index (RTA_IIF), in route-get replies.
	IIF uint32
	// Mark is the firewall mark (RTA_MARK), in route-get replies.
	Mark uint32
	// Flow is the IPv4 realm pair (RTA_FLOW: to in the low 16 bits, from
	// in the high ones).
	Flow uint32
	// UID is the user id of a route-get reply (RTA_UID).
	UID uint32
	// Expires is the lifetime in seconds (RTA_EXPIRES), IPv6 requests.
	Expires uint32
	// NHID is the id of a nexthop object (RTA_NH_ID). The kernel reports
	// such a route with the hops the nexthop expands to (Gateway, OIF,
	// Multipath); requests leave them out, as the kernel refuses them next
	// to a nexthop id.
	NHID uint32

	// EncapType is the lightweight tunnel type (RTA_ENCAP_TYPE,
	// LWTUNNEL_ENCAP_*), and Encap its raw attributes (RTA_ENCAP).
	EncapType uint16
	Encap     []byte

	// Metrics are the route's metrics (RTA_METRICS); nil when none.
	Metrics *RouteMetrics

	// CacheInfo is the kernel's cache information (RTA_CACHEINFO).
	CacheInfo RouteCacheInfo
	// ExpiresAt is the deadline CacheInfo.Expires counts down to: when
	// the message was received plus what remained then (rt6_fill_node
	// computes the remaining time when it sends). Zero if the route does
	// not expire, and unless the receiver set it: decoding leaves it zero,
	// package ipdb sets it (SetDeadline).
	ExpiresAt time.Time

	// RawDstLen and RawSrcLen are rtm_dst_len and rtm_src_len for
	// families whose addresses are kept raw (see Route.Dst), and for MPLS
	// routes (20 as the kernel sends them; requests ignore them).
	RawDstLen, RawSrcLen uint8

	// Label is the incoming label of an MPLS route (RTA_DST, one label
	// stack entry; net/mpls/af_mpls.c): the route's identity, as the
	// kernel keeps one route per label in its platform label table.
	// Requests need 16 to MPLSLabelMax (labels 0-15 are reserved) and
	// below net.mpls.platform_labels.
	Label uint32
	// NewDst is the label stack an MPLS route swaps the incoming label
	// for, outermost first (RTA_NEWDST, ip's "as to 200/300"); nil pops it.
	// Multipath routes have it per hop (RouteHop.NewDst).
	NewDst []uint32
	// TTLPropagate is an MPLS route's TTL propagation (RTA_TTL_PROPAGATE).
	TTLPropagate MPLSTTLProp
	// MPLSEncap is the decoded MPLS encapsulation of an IP route
	// (EncapType unix.LWTUNNEL_ENCAP_MPLS); Encap is nil when it is set.
	// Other encapsulation types stay raw in Encap.
	MPLSEncap *MPLSEncap

	// Unknown holds the attributes not decoded above, copied.
	Unknown []Attribute
}

func (x *RouteExtra) isZero() bool {
	return !x.Src.IsValid() && x.IIF == 0 && x.Mark == 0 && x.Flow == 0 && x.UID == 0 &&
		x.Expires == 0 && x.NHID == 0 && x.EncapType == 0 && x.Encap == nil &&
		x.Metrics == nil && x.CacheInfo == (RouteCacheInfo{}) && x.RawDstLen == 0 &&
		x.RawSrcLen == 0 && x.Unknown == nil && x.Label == 0 && x.NewDst == nil &&
		x.TTLPropagate == 0 && x.MPLSEncap == nil
}

// RouteMetrics are the RTAX_* metrics of a route. Zero means unset.
type RouteMetrics struct {
	// Lock is the bit mask of locked metrics (1<<unix.RTAX_MTU locks MTU).
	Lock uint32
	// MTU is the path MTU.
	MTU uint32
	// Window is the TCP window clamp.
	Window uint32
	// RTT and RTTVar are the initial TCP round-trip time and its variance.
	RTT, RTTVar uint32
	// SSThresh is the TCP slow start threshold.
	SSThresh uint32
	// CWnd is the TCP congestion window clamp.
	CWnd uint32
	// AdvMSS is the advertised MSS.
	AdvMSS uint32
	// Reordering is the TCP reordering metric.
	Reordering uint32
	// HopLimit is the IPv4 TTL or IPv6 hop limit (at most 255).
	HopLimit uint32
	// InitCwnd and InitRwnd are the initial TCP congestion and receive
	// windows.
	InitCwnd, InitRwnd uint32
	// Features are RTAX_FEATURE_* bits.
	Features uint32
	// RTOMin is the minimum TCP retransmission timeout.
	RTOMin uint32
	// QuickAck disables delayed ACKs when set.
	QuickAck uint32
	// FastOpenNoCookie allows TCP Fast Open without a cookie.
	FastOpenNoCookie uint32
	// CCAlgo is the TCP congestion control algorithm.
	CCAlgo string
	// Unknown holds metrics not decoded above.
	Unknown []Attribute
}

// metricField returns the field of m for RTAX type t (not CC_ALGO).
func (m *RouteMetrics) metricField(t uint16) *uint32 {
	switch t {
	case unix.RTAX_LOCK:
		return &m.Lock
	case unix.RTAX_MTU:
		return &m.MTU
	case unix.RTAX_WINDOW:
		return &m.Window
	case unix.RTAX_RTT:
		return &m.RTT
	case unix.RTAX_RTTVAR:
		return &m.RTTVar
	case unix.RTAX_SSTHRESH:
		return &m.SSThresh
	case unix.RTAX_CWND:
		return &m.CWnd
	case unix.RTAX_ADVMSS:
		return &m.AdvMSS
	case unix.RTAX_REORDERING:
		return &m.Reordering
	case unix.RTAX_HOPLIMIT:
		return &m.HopLimit
	case unix.RTAX_INITCWND:
		return &m.InitCwnd
	case unix.RTAX_FEATURES:
		return &m.Features
	case unix.RTAX_RTO_MIN:
		return &m.RTOMin
	case unix.RTAX_INITRWND:
		return &m.InitRwnd
	case unix.RTAX_QUICKACK:
		return &m.QuickAck
	case unix.RTAX_FASTOPEN_NO_COOKIE:
		return &m.FastOpenNoCookie
	}
	return nil
}

// metricNames are ip(8)'s names for RTAX_* types, indexed by type.
var metricNames = [...]string{unix.RTAX_LOCK: "lock", unix.RTAX_MTU: "mtu", unix.RTAX_WINDOW: "window",
	unix.RTAX_RTT: "rtt", unix.RTAX_RTTVAR: "rttvar", unix.RTAX_SSTHRESH: "ssthresh",
	unix.RTAX_CWND: "cwnd", unix.RTAX_ADVMSS: "advmss", unix.RTAX_REORDERING: "reordering",
	unix.RTAX_HOPLIMIT: "hoplimit", unix.RTAX_INITCWND: "initcwnd", unix.RTAX_FEATURES: "features",
	unix.RTAX_RTO_MIN: "rto_min", unix.RTAX_INITRWND: "initrwnd", unix.RTAX_QUICKACK: "quickack",
	unix.RTAX_CC_ALGO: "congctl", unix.RTAX_FASTOPEN_NO_COOKIE: "fastopen_no_cookie"}

// MetricName returns ip(8)'s name of the RTAX_* metric type t.
func MetricName(t uint16) string {
	if int(t) < len(metricNames) && metricNames[t] != "" {
		return metricNames[t]
	}
	return "metric" + strconv.Itoa(int(t))
}

// Each calls fn for every set numeric metric in RTAX order, with its
// RTAX_* type and value. CCAlgo and Unknown are not included.
func (m *RouteMetrics) Each(fn func(typ uint16, v uint32)) {
	for t := uint16(unix.RTAX_LOCK); t <= unix.RTAX_FASTOPEN_NO_COOKIE; t++ {
		if p := m.metricField(t); p != nil && *p != 0 {
			fn(t, *p)
		}
	}
}

// SetDeadline sets ExpiresAt from CacheInfo.Expires as of received, the
// time the message was read.
func (x *RouteExtra) SetDeadline(received time.Time) {
	if x.CacheInfo.Expires == 0 {
		x.ExpiresAt = time.Time{}
		return
	}
	x.ExpiresAt = received.Add(time.Duration(x.CacheInfo.Expires) * time.Second / 100)
}

// ExpiresLeft returns what remains at now of the route's lifetime, in
// clock ticks (USER_HZ, 100 per second) as CacheInfo.Expires counts it:
// from ExpiresAt when it is set (at least 1 while the route exists),
// otherwise CacheInfo.Expires as received; 0 for a route that does not
// expire.
func (r *Route) ExpiresLeft(now time.Time) int32 {
	x := r.Extra
	if x == nil || x.CacheInfo.Expires == 0 {
		return 0
	}
	if x.ExpiresAt.IsZero() {
		return x.CacheInfo.Expires
	}
	return int32(max(x.ExpiresAt.Sub(now)*100/time.Second, 1))
}

// RouteCacheInfo is struct rta_cacheinfo (RTA_CACHEINFO). Times are in
// clock ticks (USER_HZ, 100 per second).
type RouteCacheInfo struct {
	// ClntRef is the number of references to the cached entry.
	ClntRef uint32
	// LastUse is the time since the entry was last used.
	LastUse uint32
	// Expires is the remaining lifetime; zero means none.
	Expires int32
	// Error is the entry's error (an errno), for unreachable routes.
	Error uint32
	// Used counts uses of the entry.
	Used int32
	// ID, TS and TSAge are the IP id and TCP timestamp information.
	ID, TS, TSAge uint32
}

// A RouteHop is one next hop of a multipath route (struct rtnexthop and its
// attributes).
type RouteHop struct {
	// Gateway is the next hop's address (RTA_GATEWAY, or RTA_VIA for an
	// IPv6 gateway of an IPv4 route).
	Gateway netip.Addr
	// IfIndex is the output interface index.
	IfIndex uint32
	// Hops is the weight minus one (rtnh_hops), as the kernel stores it.
	Hops uint8
	// Flags are RTNH_F_* flags (onlink, linkdown, dead, ...).
	Flags uint8
	// EncapType is the lightweight tunnel type (RTA_ENCAP_TYPE) and Encap
	// its raw attributes (RTA_ENCAP); an MPLS encapsulation is decoded
	// into MPLSEncap instead of Encap.
	EncapType uint16
	Encap     []byte
	MPLSEncap *MPLSEncap
	// NewDst is the outgoing label stack of a hop of an MPLS route
	// (RTA_NEWDST), outermost first.
	NewDst []uint32
	// Unknown holds the attributes not decoded above (RTA_FLOW, ...),
	// copied.
	Unknown []Attribute
}

// Weight returns the next hop's weight, Hops+1, as ip(8) prints it.
func (n *RouteHop) Weight() int { return int(n.Hops) + 1 }

// Kind implements Object.
func (*Route) Kind() Kind { return KindRoute }

// familyAddrLen returns the address length of a route family, or 0 for
// families whose addresses are kept raw.
func familyAddrLen(f uint8) int {
	switch f {
	case unix.AF_INET, rtnlFamilyIPMR:
		return 4
	case unix.AF_INET6, rtnlFamilyIP6MR:
		return 16
	}
	return 0
}

func zeroAddr(n int) netip.Addr {
	if n == 4 {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

// decode decodes an rtmsg and its attributes. It allocates nothing but
// the Extra block and the slices of routes that have them.
func (r *Route) decode(b []byte) error {
	if len(b) < rtmsgLen {
		return malformedf("route message of %d bytes", len(b))
	}
	r.Family = b[0]
	dstLen, srcLen := int(b[1]), int(b[2])
	r.TOS = b[3]
	r.Table = uint32(b[4])
	r.Protocol = RouteProtocol(b[5])
	r.Scope = Scope(b[6])
	r.Type = RouteType(b[7])
	r.Flags = binary.NativeEndian.Uint32(b[8:12])

	alen := familyAddrLen(r.Family)
	mpls := r.Family == unix.AF_MPLS
	var x RouteExtra // copied to the heap only if the route has any of it
	haveLabel := false
	if alen == 0 {
		x.RawDstLen, x.RawSrcLen = uint8(dstLen), uint8(srcLen)
	} else if dstLen > alen*8 || srcLen > alen*8 {
		return malformedf("route prefix lengths %d/%d for family %d", dstLen, srcLen, r.Family)
	}
	var dst, src netip.Addr
	haveSrc := false
	d := newAttrDecoder(b[rtmsgLen:])
	for d.Next() {
		switch t := d.Type(); {
		case mpls && t == unix.RTA_DST:
			l, err := decodeLabels(d.Data())
			if err == nil && len(l) != 1 {
				err = malformedf("MPLS route destination of %d labels", len(l))
			}
			if err != nil {
				d.fail(err)
			} else {
				x.Label, haveLabel = l[0], true
			}
		case mpls && t == unix.RTA_NEWDST:
			l, err := decodeLabels(d.Data())
			if err != nil {
				d.fail(err)
			}
			x.NewDst = l
		case mpls && t == unix.RTA_TTL_PROPAGATE:
			switch v := d.Uint8(); v {
			case 0:
				x.TTLPropagate = MPLSTTLPropDisabled
			case 1:
				x.TTLPropagate = MPLSTTLPropEnabled
			default:
				d.fail(malformedf("RTA_TTL_PROPAGATE %d", v))
			}
		case mpls && t == unix.RTA_VIA:
			if a, ok := decodeVia(d.Data()); ok {
				r.Gateway = a
			} else {
				x.Unknown = append(x.Unknown, d.Attribute())
			}
		case mpls && t == unix.RTA_MULTIPATH:
			hops, err := decodeMultipath(d.Data(), 0, true)
			if err != nil {
				d.fail(err)
			}
			r.Multipath = hops
		case mpls && t != unix.RTA_OIF:
			// mpls_dump_route sends nothing else.
			x.Unknown = append(x.Unknown, d.Attribute())
		case alen == 0 && isAddrAttr(t):
			x.Unknown = append(x.Unknown, d.Attribute())
		case t == unix.RTA_DST:
			dst = d.Addr(alen)
		case t == unix.RTA_SRC:
			src, haveSrc = d.Addr(alen), true
		case t == unix.RTA_GATEWAY:
			r.Gateway = d.Addr(alen)
		case t == unix.RTA_VIA:
			if a, ok := decodeVia(d.Data()); ok {
				r.Gateway = a
			} else {
				x.Unknown = append(x.Unknown, d.Attribute())
			}
		case t == unix.RTA_PREFSRC:
			r.PrefSrc = d.Addr(alen)
		case t == unix.RTA_OIF:
			r.OIF = d.Uint32()
		case t == unix.RTA_IIF:
			x.IIF = d.Uint32()
		case t == unix.RTA_PRIORITY:
			r.Priority = d.Uint32()
		case t == unix.RTA_TABLE:
			r.Table = d.Uint32()
		case t == unix.RTA_MARK:
			x.Mark = d.Uint32()
		case t == unix.RTA_FLOW:
			x.Flow = d.Uint32()
		case t == unix.RTA_UID:
			x.UID = d.Uint32()
		case t == unix.RTA_EXPIRES:
			x.Expires = d.Uint32()
		case t == rtaNHID:
			x.NHID = d.Uint32()
		case t == unix.RTA_PREF:
			r.Pref = d.Uint8()
		case t == unix.RTA_ENCAP_TYPE:
			x.EncapType = d.Uint16()
		case t == unix.RTA_ENCAP:
			x.Encap = d.Bytes()
		case t == unix.RTA_CACHEINFO:
			if ci, ok := decodeCacheInfo(d.Data()); ok {
				x.CacheInfo = ci
			} else {
				d.badSize(rtaCacheLn)
			}
		case t == unix.RTA_METRICS:
			m, err := decodeMetrics(d.Data())
			if err != nil {
				d.fail(err)
			}
			x.Metrics = m
		case t == unix.RTA_MULTIPATH:
			hops, err := decodeMultipath(d.Data(), alen, false)
			if err != nil {
				d.fail(err)
			}
			r.Multipath = hops
		default:
			x.Unknown = append(x.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if mpls && !haveLabel {
		return malformedf("MPLS route without RTA_DST")
	}
	if err := liftMPLSEncap(x.EncapType, &x.Encap, &x.MPLSEncap); err != nil {
		return err
	}
	if alen != 0 {
		if !dst.IsValid() {
			dst = zeroAddr(alen)
		}
		r.Dst = netip.PrefixFrom(dst, dstLen)
		if haveSrc || srcLen > 0 {
			if !src.IsValid() {
				src = zeroAddr(alen)
			}
			x.Src = netip.PrefixFrom(src, srcLen)
		}
	}
	if !x.isZero() {
		e := new(RouteExtra)
		*e = x
		r.Extra = e
	}
	return nil
}

// isAddrAttr reports whether attribute t holds an address of the route's
// family (kept raw for families this package does not decode).
func isAddrAttr(t uint16) bool {
	switch t {
	case unix.RTA_DST, unix.RTA_SRC, unix.RTA_GATEWAY, unix.RTA_PREFSRC, unix.RTA_VIA, unix.RTA_MULTIPATH:
		return true
	}
	return false
}

// decodeVia decodes struct rtvia holding an IPv4 or IPv6 address.
func decodeVia(b []byte) (netip.Addr, bool) {
	if len(b) < 2 {
		return netip.Addr{}, false
	}
	switch fam := binary.NativeEndian.Uint16(b); {
	case fam == unix.AF_INET && len(b) == 6, fam == unix.AF_INET6 && len(b) == 18:
		return addrFromSlice(b[2:]), true
	}
	return netip.Addr{}, false
}

func decodeCacheInfo(b []byte) (RouteCacheInfo, bool) {
	if len(b) != rtaCacheLn {
		return RouteCacheInfo{}, false
	}
	u := func(i int) uint32 { return binary.NativeEndian.Uint32(b[4*i:]) }
	return RouteCacheInfo{ClntRef: u(0), LastUse: u(1), Expires: int32(u(2)), Error: u(3),
		Used: int32(u(4)), ID: u(5), TS: u(6), TSAge: u(7)}, true
}

func decodeMetrics(b []byte) (*RouteMetrics, error) {
	m := new(RouteMetrics)
	d := newAttrDecoder(b)
	for d.Next() {
		t := d.Type()
		if t == unix.RTAX_CC_ALGO {
			m.CCAlgo = d.String()
		} else if p := m.metricField(t); p != nil {
			*p = d.Uint32()
		} else {
			m.Unknown = append(m.Unknown, d.Attribute())
		}
	}
	return m, d.Err()
}

// eachRtnh calls fn for each struct rtnexthop in b with its bytes (header
// and attributes).
func eachRtnh(b []byte, fn func(h []byte) error) error {
	for len(b) > 0 {
		if len(b) < rtnhLen {
			return malformedf("%d trailing bytes in multipath", len(b))
		}
		n := int(binary.NativeEndian.Uint16(b))
		if n < rtnhLen || n > len(b) {
			return malformedf("next hop length %d with %d bytes left", n, len(b))
		}
		if err := fn(b[:n]); err != nil {
			return err
		}
		b = b[min(align4(n), len(b)):]
	}
	return nil
}

// decodeMultipath decodes RTA_MULTIPATH; mpls says the route is an MPLS
// route, whose hops carry RTA_NEWDST.
func decodeMultipath(b []byte, alen int, mpls bool) ([]RouteHop, error) {
	count := 0
	if err := eachRtnh(b, func([]byte) error { count++; return nil }); err != nil {
		return nil, err
	}
	hops := make([]RouteHop, 0, count)
	err := eachRtnh(b, func(h []byte) error {
		nh := RouteHop{Flags: h[2], Hops: h[3], IfIndex: binary.NativeEndian.Uint32(h[4:8])}
		d := newAttrDecoder(h[rtnhLen:])
		for d.Next() {
			switch d.Type() {
			case unix.RTA_GATEWAY:
				nh.Gateway = d.Addr(alen)
			case unix.RTA_VIA:
				if a, ok := decodeVia(d.Data()); ok {
					nh.Gateway = a
				} else {
					nh.Unknown = append(nh.Unknown, d.Attribute())
				}
			case unix.RTA_ENCAP_TYPE:
				nh.EncapType = d.Uint16()
			case unix.RTA_ENCAP:
				nh.Encap = d.Bytes()
			case unix.RTA_NEWDST:
				if !mpls {
					nh.Unknown = append(nh.Unknown, d.Attribute())
					break
				}
				l, err := decodeLabels(d.Data())
				if err != nil {
					d.fail(err)
				}
				nh.NewDst = l
			default:
				nh.Unknown = append(nh.Unknown, d.Attribute())
			}
		}
		if err := d.Err(); err != nil {
			return err
		}
		if err := liftMPLSEncap(nh.EncapType, &nh.Encap, &nh.MPLSEncap); err != nil {
			return err
		}
		hops = append(hops, nh)
		return nil
	})
	return hops, err
}

// rtHeader is struct rtmsg.
type rtHeader struct {
	family, dstLen, srcLen, tos, table, protocol, scope, typ uint8
	flags                                                    uint32
}

func (h rtHeader) append(b []byte) []byte {
	b = append(b, h.family, h.dstLen, h.srcLen, h.tos, h.table, h.protocol, h.scope, h.typ)
	return binary.NativeEndian.AppendUint32(b, h.flags)
}

// header returns the rtmsg that describes r as it is.
func (r *Route) header() rtHeader {
	h := rtHeader{family: r.Family, tos: r.TOS, table: headerTable(r.Table),
		protocol: uint8(r.Protocol), scope: uint8(r.Scope), typ: uint8(r.Type), flags: r.Flags}
	if r.Dst.IsValid() {
		h.dstLen = uint8(r.Dst.Bits())
	}
	if x := r.Extra; x != nil {
		if x.Src.IsValid() {
			h.srcLen = uint8(x.Src.Bits())
		}
		if familyAddrLen(r.Family) == 0 {
			h.dstLen, h.srcLen = x.RawDstLen, x.RawSrcLen
		}
	}
	return h
}

// headerTable is what the kernel puts in rtm_table for table id.
func headerTable(id uint32) uint8 {
	if id < 256 {
		return uint8(id)
	}
	return unix.RT_TABLE_COMPAT
}

// marshal encodes r completely, as the kernel would send it, so that
// decoding the result gives r again.
func (r *Route) marshal() ([]byte, error) {
	if r.Family == unix.AF_MPLS {
		return r.marshalMPLS(r.header())
	}
	return r.appendMessage(nil, r.header(), false)
}

// appendMessage appends h and r's attributes to b. A request leaves out
// what only the kernel reports (cache info, uid, iif, mark) and sends
// RTA_TABLE always, since h.table cannot hold ids above 255.
func (r *Route) appendMessage(b []byte, h rtHeader, request bool) ([]byte, error) {
	e := attrEncoder{b: h.append(b)}
	alen := familyAddrLen(r.Family)
	if request || r.Table != 0 {
		e.Uint32(unix.RTA_TABLE, r.Table)
	}
	if r.Dst.IsValid() && (r.Dst.Bits() > 0 || !r.Dst.Addr().IsUnspecified()) {
		e.Addr(unix.RTA_DST, r.Dst.Addr())
	}
	x := r.Extra
	if x == nil {
		x = &RouteExtra{}
	}
	if x.Src.IsValid() {
		e.Addr(unix.RTA_SRC, x.Src.Addr())
	}
	if !request && x.IIF != 0 {
		e.Uint32(unix.RTA_IIF, x.IIF)
	}
	// A route over a nexthop object is reported with the hops it expands
	// to, which a request must not carry next to RTA_NH_ID (rtm_to_fib_config:
	// "Nexthop specification and nexthop id are mutually exclusive").
	hops := !request || x.NHID == 0
	if hops && r.OIF != 0 {
		e.Uint32(unix.RTA_OIF, r.OIF)
	}
	if hops && r.Gateway.IsValid() {
		putGateway(&e, alen, r.Gateway)
	}
	if r.Priority != 0 {
		e.Uint32(unix.RTA_PRIORITY, r.Priority)
	}
	if r.PrefSrc.IsValid() {
		e.Addr(unix.RTA_PREFSRC, r.PrefSrc)
	}
	if m := x.Metrics; m != nil && (!request || !m.isZero()) {
		off := e.Nest(unix.RTA_METRICS)
		m.Each(func(t uint16, v uint32) { e.Uint32(t, v) })
		if m.CCAlgo != "" {
			e.String(unix.RTAX_CC_ALGO, m.CCAlgo)
		}
		for _, a := range m.Unknown {
			e.Bytes(a.Type, a.Data)
		}
		e.End(off)
	}
	if hops && r.Multipath != nil && (!request || len(r.Multipath) > 0) {
		off := e.Nest(unix.RTA_MULTIPATH)
		for i := range r.Multipath {
			nh := &r.Multipath[i]
			hoff := len(e.b)
			flags := nh.Flags
			if request {
				flags &= requestNexthopFlags
			}
			e.b = append(e.b, 0, 0, flags, nh.Hops)
			e.b = binary.NativeEndian.AppendUint32(e.b, nh.IfIndex)
			if nh.Gateway.IsValid() {
				putGateway(&e, alen, nh.Gateway)
			}
			putEncap(&e, nh.EncapType, nh.Encap, nh.MPLSEncap)
			for _, a := range nh.Unknown {
				e.Bytes(a.Type, a.Data)
			}
			e.End(hoff)
		}
		e.End(off)
	}
	if x.Flow != 0 {
		e.Uint32(unix.RTA_FLOW, x.Flow)
	}
	if !request && x.CacheInfo != (RouteCacheInfo{}) {
		ci := x.CacheInfo
		v := make([]byte, 0, rtaCacheLn)
		for _, u := range [...]uint32{ci.ClntRef, ci.LastUse, uint32(ci.Expires), ci.Error, uint32(ci.Used), ci.ID, ci.TS, ci.TSAge} {
			v = binary.NativeEndian.AppendUint32(v, u)
		}
		e.Bytes(unix.RTA_CACHEINFO, v)
	}
	if !request && x.Mark != 0 {
		e.Uint32(unix.RTA_MARK, x.Mark)
	}
	if !request && x.UID != 0 {
		e.Uint32(unix.RTA_UID, x.UID)
	}
	if r.Pref != 0 || (!request && r.Family == unix.AF_INET6) {
		e.Uint8(unix.RTA_PREF, r.Pref)
	}
	putEncap(&e, x.EncapType, x.Encap, x.MPLSEncap)
	if x.Expires != 0 {
		e.Uint32(unix.RTA_EXPIRES, x.Expires)
	}
	if x.NHID != 0 {
		e.Uint32(rtaNHID, x.NHID)
	}
	for _, a := range x.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

func (m *RouteMetrics) isZero() bool {
	z := true
	m.Each(func(uint16, uint32) { z = false })
	return z && m.CCAlgo == "" && m.Unknown == nil
}

// putGateway encodes gw as RTA_GATEWAY when it is of the route's family
// and as RTA_VIA otherwise.
func putGateway(e *attrEncoder, alen int, gw netip.Addr) {
	if (alen == 4) == gw.Is4() {
		e.Addr(unix.RTA_GATEWAY, gw)
		return
	}
	fam := uint16(unix.AF_INET6)
	if gw.Is4() {
		fam = unix.AF_INET
	}
	v := binary.NativeEndian.AppendUint16(make([]byte, 0, 18), fam)
	e.Bytes(unix.RTA_VIA, append(v, gw.AsSlice()...))
}

// Flags a request may carry in rtm_flags and rtnh_flags; the kernel
// refuses dead and linkdown, which it only reports.
const (
	requestRouteFlags   = unix.RTNH_F_ONLINK | unix.RTNH_F_PERVASIVE
	requestNexthopFlags = unix.RTNH_F_ONLINK
)

// String describes r in the words of `ip route`.
func (r *Route) String() string {
	if r.Family == unix.AF_MPLS {
		return r.mplsString()
	}
	var b strings.Builder
	if r.Type != RouteUnicast && r.Type != 0 {
		b.WriteString(r.Type.String())
		b.WriteByte(' ')
	}
	switch {
	case !r.Dst.IsValid():
		fmt.Fprintf(&b, "family %d", r.Family)
	case r.Dst.Bits() == 0 && r.Dst.Addr().IsUnspecified():
		b.WriteString("default")
	case r.Dst.IsSingleIP():
		b.WriteString(r.Dst.Addr().String())
	default:
		b.WriteString(r.Dst.String())
	}
	x := r.Extra
	if x != nil && x.Src.IsValid() {
		fmt.Fprintf(&b, " from %s", x.Src)
	}
	if x != nil && x.NHID != 0 {
		fmt.Fprintf(&b, " nhid %d", x.NHID)
	}
	if r.Gateway.IsValid() {
		fmt.Fprintf(&b, " via %s", r.Gateway)
	}
	if r.OIF != 0 {
		fmt.Fprintf(&b, " dev #%d", r.OIF)
	}
	if r.Table != unix.RT_TABLE_MAIN {
		fmt.Fprintf(&b, " table %s", TableName(r.Table))
	}
	if r.Protocol != ProtoBoot {
		fmt.Fprintf(&b, " proto %s", r.Protocol)
	}
	if r.Scope != ScopeUniverse {
		fmt.Fprintf(&b, " scope %s", r.Scope)
	}
	if r.Priority != 0 {
		fmt.Fprintf(&b, " metric %d", r.Priority)
	}
	if r.PrefSrc.IsValid() {
		fmt.Fprintf(&b, " src %s", r.PrefSrc)
	}
	if r.TOS != 0 {
		fmt.Fprintf(&b, " tos 0x%02x", r.TOS)
	}
	if r.Flags&unix.RTNH_F_ONLINK != 0 {
		b.WriteString(" onlink")
	}
	if r.Flags&unix.RTNH_F_LINKDOWN != 0 {
		b.WriteString(" linkdown")
	}
	if x != nil && x.Metrics != nil {
		x.Metrics.Each(func(t uint16, v uint32) {
			if t != unix.RTAX_LOCK {
				fmt.Fprintf(&b, " %s %d", MetricName(t), v)
			}
		})
		if x.Metrics.CCAlgo != "" {
			fmt.Fprintf(&b, " congctl %s", x.Metrics.CCAlgo)
		}
	}
	if r.Family == unix.AF_INET6 {
		b.WriteString(" pref ")
		switch r.Pref {
		case PrefMedium:
			b.WriteString("medium")
		case PrefHigh:
			b.WriteString("high")
		case PrefLow:
			b.WriteString("low")
		default:
			b.WriteString(strconv.Itoa(int(r.Pref)))
		}
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		b.WriteString(" nexthop")
		if nh.Gateway.IsValid() {
			fmt.Fprintf(&b, " via %s", nh.Gateway)
		}
		if nh.IfIndex != 0 {
			fmt.Fprintf(&b, " dev #%d", nh.IfIndex)
		}
		fmt.Fprintf(&b, " weight %d", nh.Weight())
	}
	return b.String()
}

// routeObject names a route for errors and plans.
func routeObject(r *Route) string {
	if r == nil {
		return "route <nil>"
	}
	if r.Family == unix.AF_MPLS {
		var l uint32
		if r.Extra != nil {
			l = r.Extra.Label
		}
		return "MPLS route " + strconv.FormatUint(uint64(l), 10)
	}
	s := "route " + r.Dst.String()
	if r.Table != 0 && r.Table != unix.RT_TABLE_MAIN {
		s += " table " + TableName(r.Table)
	}
	return s
}

// RouteRequest prepares a request that adds, replaces, appends, changes or
// deletes r (Add, Replace, Append, Change or Delete). It validates r first:
// Dst must be a valid prefix without host bits set (0.0.0.0/0 for a
// default route); Dst, Gateway, PrefSrc and Extra.Src must agree in family
// (an IPv4 route may have an IPv6 gateway); a unicast route needs a
// gateway, an output interface, next hops or a nexthop id; blackhole,
// unreachable, prohibit and throw routes can have none of these; every
// next hop needs a gateway or an interface; metrics must be in range; an
// MPLSEncap needs 1 to MPLSMaxNewLabels labels of at most MPLSLabelMax,
// none the implicit null label 3.
//
// An MPLS route (Family unix.AF_MPLS) is identified by Extra.Label and
// needs a via address (Gateway), an interface or next hops; it has no
// table, type, scope, metric or encapsulation, its next hops no weight or
// flags, and no Append (net/mpls/af_mpls.c, rtm_to_route_config). Delete
// sends only its label.
//
// Zero fields take ip(8)'s defaults: table main, protocol boot, type
// unicast, scope inferred (see Route.Scope). Delete sends the route's
// fields as the kernel's match criteria: zero type, protocol and priority
// match any, and the scope is a wildcard unless set.
func RouteRequest(v Verb, r *Route) Request {
	return newRequest(v, KindRoute, routeObject(r), func() ([]byte, error) {
		if r == nil {
			return nil, invalidf("nil route")
		}
		if r.Family == unix.AF_MPLS {
			h, err := r.mplsRequestHeader(v)
			if err != nil {
				return nil, err
			}
			return r.appendMPLSRequest(make([]byte, 0, 64), h, v)
		}
		h, err := r.requestHeader(v)
		if err != nil {
			return nil, err
		}
		req := *r
		if req.Table == 0 {
			req.Table = unix.RT_TABLE_MAIN
		}
		req.Family = h.family
		return req.appendMessage(make([]byte, 0, 128), h, true)
	})
}

// requestHeader validates r for verb v and returns the rtmsg to send.
func (r *Route) requestHeader(v Verb) (rtHeader, error) {
	if v == Set {
		return rtHeader{}, invalidf("routes have no set; use Change or Replace")
	}
	if !r.Dst.IsValid() {
		return rtHeader{}, invalidf("route needs a destination prefix (0.0.0.0/0 or ::/0 for a default route)")
	}
	dst := r.Dst.Addr()
	fam := uint8(unix.AF_INET6)
	if dst.Is4() {
		fam = unix.AF_INET
	}
	if r.Family != 0 && r.Family != fam {
		return rtHeader{}, invalidf("family %d does not match destination %s", r.Family, r.Dst)
	}
	if m := r.Dst.Masked(); m != r.Dst {
		return rtHeader{}, invalidf("destination %s has host bits set (the prefix is %s)", r.Dst, m)
	}
	if r.Gateway.IsValid() && fam == unix.AF_INET6 && r.Gateway.Is4() {
		return rtHeader{}, invalidf("IPv4 gateway %s for IPv6 route %s", r.Gateway, r.Dst)
	}
	if r.PrefSrc.IsValid() && r.PrefSrc.Is4() != (fam == unix.AF_INET) {
		return rtHeader{}, invalidf("preferred source %s does not match the family of %s", r.PrefSrc, r.Dst)
	}
	x := r.Extra
	if x == nil {
		x = &RouteExtra{}
	}
	if x.Src.IsValid() {
		if x.Src.Addr().Is4() != (fam == unix.AF_INET) {
			return rtHeader{}, invalidf("source prefix %s does not match the family of %s", x.Src, r.Dst)
		}
		if m := x.Src.Masked(); m != x.Src {
			return rtHeader{}, invalidf("source prefix %s has host bits set (the prefix is %s)", x.Src, m)
		}
	}
	if r.Type > unix.RTN_MAX {
		return rtHeader{}, invalidf("route type %d", r.Type)
	}
	if r.Pref != PrefMedium && r.Pref != PrefHigh && r.Pref != PrefLow {
		return rtHeader{}, invalidf("route preference %d (want medium 0, high 1 or low 3)", r.Pref)
	}
	typ := r.Type
	if typ == 0 && v != Delete {
		typ = RouteUnicast
	}
	hasNexthop := r.Gateway.IsValid() || r.OIF != 0 || len(r.Multipath) > 0
	if v != Delete {
		switch typ {
		case RouteUnicast:
			if !hasNexthop && x.NHID == 0 {
				return rtHeader{}, invalidf("unicast route %s needs a gateway, an output interface, next hops or a nexthop id", r.Dst)
			}
		case RouteBlackhole, RouteUnreachable, RouteProhibit, RouteThrow:
			if hasNexthop {
				return rtHeader{}, invalidf("%s route %s can have no gateway, interface or next hops", typ, r.Dst)
			}
		}
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		if !nh.Gateway.IsValid() && nh.IfIndex == 0 {
			return rtHeader{}, invalidf("next hop %d of %s has neither gateway nor interface", i+1, r.Dst)
		}
		if nh.Gateway.IsValid() && fam == unix.AF_INET6 && nh.Gateway.Is4() {
			return rtHeader{}, invalidf("IPv4 gateway %s in next hop %d of IPv6 route %s", nh.Gateway, i+1, r.Dst)
		}
	}
	if x.Metrics != nil {
		if err := x.Metrics.validate(); err != nil {
			return rtHeader{}, err
		}
	}
	if x.Label != 0 || x.NewDst != nil || x.TTLPropagate != 0 {
		return rtHeader{}, invalidf("route %s: a label, outgoing labels or TTL propagation belong to MPLS routes (Family unix.AF_MPLS)", r.Dst)
	}
	if err := validateEncap("route "+r.Dst.String(), x.EncapType, x.Encap, x.MPLSEncap); err != nil {
		return rtHeader{}, err
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		what := fmt.Sprintf("next hop %d of %s", i+1, r.Dst)
		if nh.NewDst != nil {
			return rtHeader{}, invalidf("%s: outgoing labels belong to MPLS routes; use MPLSEncap", what)
		}
		if err := validateEncap(what, nh.EncapType, nh.Encap, nh.MPLSEncap); err != nil {
			return rtHeader{}, err
		}
	}

	h := rtHeader{family: fam, dstLen: uint8(r.Dst.Bits()), tos: r.TOS, protocol: uint8(r.Protocol),
		scope: uint8(r.Scope), typ: uint8(typ), flags: r.Flags & requestRouteFlags}
	if x.Src.IsValid() {
		h.srcLen = uint8(x.Src.Bits())
	}
	table := r.Table
	if table == 0 {
		table = unix.RT_TABLE_MAIN
	}
	h.table = headerTable(table)
	if v == Delete {
		if r.Scope == ScopeUniverse {
			h.scope = unix.RT_SCOPE_NOWHERE
		}
		return h, nil
	}
	if h.protocol == 0 {
		h.protocol = unix.RTPROT_BOOT
	}
	if r.Scope == ScopeUniverse && fam == unix.AF_INET {
		switch typ {
		case RouteLocal, RouteNAT:
			h.scope = unix.RT_SCOPE_HOST
		case RouteBroadcast, RouteMulticast, RouteAnycast:
			h.scope = unix.RT_SCOPE_LINK
		case RouteUnicast:
			if !r.Gateway.IsValid() && len(r.Multipath) == 0 && x.NHID == 0 {
				h.scope = unix.RT_SCOPE_LINK
			}
		}
	}
	return h, nil
}

func (m *RouteMetrics) validate() error {
	const maxLock = 1<<(unix.RTAX_FASTOPEN_NO_COOKIE+1) - 1
	switch {
	case m.Lock&^(maxLock&^1) != 0:
		return invalidf("metric lock mask %#x has bits of no metric", m.Lock)
	case m.MTU > 65535:
		return invalidf("mtu %d above 65535", m.MTU)
	case m.AdvMSS > 65535:
		return invalidf("advmss %d above 65535", m.AdvMSS)
	case m.HopLimit > 255:
		return invalidf("hoplimit %d above 255", m.HopLimit)
	case m.Features&^unix.RTAX_FEATURE_MASK != 0:
		return invalidf("metric features %#x has unknown bits", m.Features)
	case len(m.CCAlgo) > 15:
		return invalidf("congestion control name %q longer than 15 bytes", m.CCAlgo)
	}
	return nil
}

// RouteAdd adds r; it fails with EEXIST if the route exists.
func (c *Conn) RouteAdd(ctx context.Context, r *Route) error { return c.Do(ctx, RouteRequest(Add, r)) }

// RouteReplace adds r or replaces the route with its key (`ip route replace`).
func (c *Conn) RouteReplace(ctx context.Context, r *Route) error {
	return c.Do(ctx, RouteRequest(Replace, r))
}

// RouteAppend adds r even if a route with its key exists (`ip route
// append`): an IPv4 route that differs only by next hop, or one more next
// hop of an IPv6 multipath route.
func (c *Conn) RouteAppend(ctx context.Context, r *Route) error {
	return c.Do(ctx, RouteRequest(Append, r))
}

// RouteChange changes an existing route and fails if there is none (`ip
// route change`).
func (c *Conn) RouteChange(ctx context.Context, r *Route) error {
	return c.Do(ctx, RouteRequest(Change, r))
}

// RouteDel deletes the route matching r (see RouteRequest for how it matches).
func (c *Conn) RouteDel(ctx context.Context, r *Route) error {
	return c.Do(ctx, RouteRequest(Delete, r))
}

// RouteGetOptions refine a RouteGet lookup, like the options of `ip route
// get`. Zero values are not sent.
type RouteGetOptions struct {
	// Src is the source address ("from").
	Src netip.Addr
	// IIF is the input interface index ("iif"); OIF the output one ("oif").
	IIF, OIF uint32
	// Mark is the firewall mark ("mark").
	Mark uint32
	// UID is the user id ("uid").
	UID uint32
	// TOS is the type of service ("tos").
	TOS uint8
	// IPProto, SPort and DPort are the transport protocol and ports
	// ("ipproto", "sport", "dport"), for multipath hashing and rules.
	IPProto      uint8
	SPort, DPort uint16
	// FibMatch returns the matching FIB entry instead of the resolved
	// route ("fibmatch").
	FibMatch bool
}

// routeGetRequest validates and encodes an RTM_GETROUTE for dst.
func routeGetRequest(dst netip.Addr, o *RouteGetOptions) ([]byte, error) {
	if o == nil {
		o = &RouteGetOptions{}
	}
	if !dst.IsValid() {
		return nil, invalidf("route get needs a destination address")
	}
	fam, bits := uint8(unix.AF_INET6), uint8(128)
	if dst.Is4() {
		fam, bits = unix.AF_INET, 32
	}
	h := rtHeader{family: fam, dstLen: bits, tos: o.TOS}
	if fam == unix.AF_INET {
		// IPv4 replies name the main table unless asked for the real one;
		// IPv6 always names it and refuses the flag.
		h.flags = unix.RTM_F_LOOKUP_TABLE
	}
	if o.FibMatch {
		h.flags |= unix.RTM_F_FIB_MATCH
	}
	if o.Src.IsValid() {
		if o.Src.Is4() != dst.Is4() {
			return nil, invalidf("source %s does not match the family of %s", o.Src, dst)
		}
		h.srcLen = bits
	}
	e := attrEncoder{b: h.append(make([]byte, 0, 64))}
	e.Addr(unix.RTA_DST, dst)
	if o.Src.IsValid() {
		e.Addr(unix.RTA_SRC, o.Src)
	}
	if o.IIF != 0 {
		e.Uint32(unix.RTA_IIF, o.IIF)
	}
	if o.OIF != 0 {
		e.Uint32(unix.RTA_OIF, o.OIF)
	}
	if o.Mark != 0 {
		e.Uint32(unix.RTA_MARK, o.Mark)
	}
	if o.UID != 0 {
		e.Uint32(unix.RTA_UID, o.UID)
	}
	if o.IPProto != 0 {
		e.Uint8(unix.RTA_IP_PROTO, o.IPProto)
	}
	if o.SPort != 0 {
		e.Uint16BE(unix.RTA_SPORT, o.SPort)
	}
	if o.DPort != 0 {
		e.Uint16BE(unix.RTA_DPORT, o.DPort)
	}
	return e.b, e.err
}

// RouteGet asks the kernel which route it would use to reach dst, like
// `ip route get`. The reply carries the id of the table the route came from
// (for IPv4 by asking with RTM_F_LOOKUP_TABLE).
func (c *Conn) RouteGet(ctx context.Context, dst netip.Addr, opts *RouteGetOptions) (*Route, error) {
	object := "route to " + dst.String()
	body, err := routeGetRequest(dst, opts)
	if err != nil {
		return nil, &OpError{Op: "get", Object: object, Err: err}
	}
	r := new(Route)
	err = c.get(ctx, object, KindRoute.row().getType, body, func(p []byte) error {
		if err := r.decode(p); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// RouteFilter selects routes in RouteDump and Routes. Zero fields match
// everything. Family, Table, Protocol, Type and OIF are applied by the
// kernel when it does strict checking, and always again here.
type RouteFilter struct {
	// Family is unix.AF_INET, unix.AF_INET6 or unix.AF_MPLS; zero means
	// every family. Beware: a kernel without mpls_router answers a dump
	// of AF_MPLS with every family's routes (rtnetlink_rcv_msg falls back
	// to PF_UNSPEC), which Match then drops.
	Family uint8
	// Table selects one table (unix.RT_TABLE_MAIN for `ip route show`);
	// zero means all tables, like `ip route show table all`.
	Table uint32
	// Protocol selects routes installed by one protocol.
	Protocol RouteProtocol
	// Type selects one route type.
	Type RouteType
	// OIF selects routes through an interface, directly or by a next hop.
	OIF uint32
	// Dst, when valid, selects routes whose destination equals it.
	Dst netip.Prefix
}

// Match reports whether r passes the filter. A nil filter matches all.
func (f *RouteFilter) Match(r *Route) bool {
	if f == nil {
		return true
	}
	if (f.Family != 0 && r.Family != f.Family) || (f.Table != 0 && r.Table != f.Table) ||
		(f.Protocol != 0 && r.Protocol != f.Protocol) || (f.Type != 0 && r.Type != f.Type) ||
		(f.Dst.IsValid() && r.Dst != f.Dst) {
		return false
	}
	if f.OIF != 0 && r.OIF != f.OIF {
		for i := range r.Multipath {
			if r.Multipath[i].IfIndex == f.OIF {
				return true
			}
		}
		return false
	}
	return true
}

// dumpRequest encodes the RTM_GETROUTE dump request for f.
func (f *RouteFilter) dumpRequest() []byte {
	if f == nil {
		f = &RouteFilter{}
	}
	h := rtHeader{family: f.Family, protocol: uint8(f.Protocol), typ: uint8(f.Type)}
	if f.Table != 0 {
		h.table = headerTable(f.Table)
	}
	e := attrEncoder{b: h.append(make([]byte, 0, 32))}
	if f.Table != 0 {
		e.Uint32(unix.RTA_TABLE, f.Table)
	}
	if f.OIF != 0 {
		e.Uint32(unix.RTA_OIF, f.OIF)
	}
	return e.b
}

// RouteDump streams the routes that match f (nil: all routes of all
// families and tables) to fn, one freshly allocated *Route per call, owned
// by fn. If fn returns an error the dump stops and RouteDump returns it. A
// dump the kernel marks interrupted is repeated, so fn may see a route
// again.
func (c *Conn) RouteDump(ctx context.Context, f *RouteFilter, fn func(*Route) error) error {
	return c.routeDump(ctx, f, nil, fn)
}

func (c *Conn) routeDump(ctx context.Context, f *RouteFilter, restart func(), fn func(*Route) error) error {
	var r *Route
	err := c.dump(ctx, "routes", KindRoute.row().getType, f.dumpRequest(), restart, func(p []byte) error {
		if r == nil {
			r = new(Route)
		} else {
			*r = Route{} // reuse the one the filter rejected
		}
		if err := r.decode(p); err != nil {
			return err
		}
		if !f.Match(r) {
			return nil
		}
		keep := r
		r = nil
		return fn(keep)
	})
	if err != nil && f != nil && f.Table != 0 && errors.Is(err, unix.ENOENT) {
		return nil // the table does not exist: no routes
	}
	return err
}

// Routes returns the routes that match f (nil: all of them).
func (c *Conn) Routes(ctx context.Context, f *RouteFilter) ([]*Route, error) {
	var routes []*Route
	err := c.routeDump(ctx, f, func() { routes = routes[:0] }, func(r *Route) error {
		routes = append(routes, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return routes, nil
}

// RoutesInTable returns the routes of one table of one family (zero: both
// IPv4 and IPv6).
func (c *Conn) RoutesInTable(ctx context.Context, family uint8, table uint32) ([]*Route, error) {
	if table == 0 {
		return nil, &OpError{Op: "dump", Object: "routes", Err: invalidf("table 0 is not a table; use Routes for all")}
	}
	return c.Routes(ctx, &RouteFilter{Family: family, Table: table})
}
