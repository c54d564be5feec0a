package netlink

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// MPLS facts of include/uapi/linux/mpls.h and net/mpls/internal.h.
const (
	// MPLSLabelMax is the largest label (20 bits).
	MPLSLabelMax = 1<<20 - 1
	// MPLSLabelFirstUnreserved is the lowest label a route can have
	// (MPLS_LABEL_FIRST_UNRESERVED; 0-15 are reserved, mpls_label_ok).
	MPLSLabelFirstUnreserved = 16
	// MPLSLabelImplicitNull is MPLS_LABEL_IMPLNULL, which never appears
	// in a label stack (nla_get_labels refuses it).
	MPLSLabelImplicitNull = 3
	// MPLSMaxNewLabels is the most labels a route or encapsulation can
	// push (MAX_NEW_LABELS in net/mpls/internal.h).
	MPLSMaxNewLabels = 30

	mplsDstLen = 20 // rtm_dst_len of every MPLS route (rtm_to_route_config)
)

// MPLSTTLProp is an MPLS route's TTL propagation (RTA_TTL_PROPAGATE),
// with the kernel's values of enum mpls_ttl_propagation.
type MPLSTTLProp uint8

// TTL propagation settings.
const (
	// MPLSTTLPropDefault follows net.mpls.ip_ttl_propagate; the kernel
	// sends no RTA_TTL_PROPAGATE.
	MPLSTTLPropDefault MPLSTTLProp = 0
	// MPLSTTLPropEnabled is RTA_TTL_PROPAGATE 1 (ip's "ttl-propagate enabled").
	MPLSTTLPropEnabled MPLSTTLProp = 1
	// MPLSTTLPropDisabled is RTA_TTL_PROPAGATE 0 (ip's "ttl-propagate disabled").
	MPLSTTLPropDisabled MPLSTTLProp = 2
)

// MPLSEncap is the MPLS lightweight tunnel encapsulation of an IP route or
// of one of its next hops (RTA_ENCAP_TYPE LWTUNNEL_ENCAP_MPLS, RTA_ENCAP
// holding include/uapi/linux/mpls_iptunnel.h's attributes), as in `ip
// route add 192.0.2.0/24 encap mpls 200/300 ttl 10 via 198.51.100.1`.
type MPLSEncap struct {
	// Labels is the label stack pushed, outermost first
	// (MPLS_IPTUNNEL_DST); 1 to MPLSMaxNewLabels labels.
	Labels []uint32
	// TTL is the TTL of the pushed labels (MPLS_IPTUNNEL_TTL); zero
	// means absent, the IP TTL is propagated (mpls_build_state).
	TTL uint8
	// Unknown holds the attributes not decoded above, copied.
	Unknown []Attribute
}

// FormatMPLSLabels formats a label stack as ip(8) does ("200/300").
func FormatMPLSLabels(labels []uint32) string {
	var b strings.Builder
	for i, l := range labels {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(strconv.FormatUint(uint64(l), 10))
	}
	return b.String()
}

// decodeLabels decodes a label stack (struct mpls_label entries,
// big-endian: label<<12 | tc<<9 | bos<<8 | ttl) as the kernel writes it
// (nla_put_labels): traffic class and TTL zero, bottom of stack set on the
// last entry only. Anything else is malformed.
func decodeLabels(b []byte) ([]uint32, error) {
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, malformedf("MPLS label stack of %d bytes", len(b))
	}
	out := make([]uint32, len(b)/4)
	for i := range out {
		e := binary.BigEndian.Uint32(b[4*i:])
		bos := e&0x100 != 0
		if e&0xeff != 0 || bos != (i == len(out)-1) {
			return nil, malformedf("MPLS label stack entry %#08x at %d of %d (want traffic class and TTL zero, bottom of stack last)", e, i+1, len(out))
		}
		out[i] = e >> 12
	}
	return out, nil
}

// appendLabels appends the label stack entries of labels to b.
func appendLabels(b []byte, labels []uint32) []byte {
	for i, l := range labels {
		e := l << 12
		if i == len(labels)-1 {
			e |= 0x100
		}
		b = binary.BigEndian.AppendUint32(b, e)
	}
	return b
}

// validateLabels checks a label stack that a request pushes (RTA_NEWDST,
// MPLS_IPTUNNEL_DST) as nla_get_labels does.
func validateLabels(what string, labels []uint32) error {
	if len(labels) > MPLSMaxNewLabels {
		return invalidf("%s: %d labels, at most %d", what, len(labels), MPLSMaxNewLabels)
	}
	for _, l := range labels {
		if l > MPLSLabelMax {
			return invalidf("%s: label %d above %d", what, l, MPLSLabelMax)
		}
		if l == MPLSLabelImplicitNull {
			return invalidf("%s: implicit null label 3 cannot be pushed", what)
		}
	}
	return nil
}

// decodeMPLSEncap decodes the RTA_ENCAP attributes of an MPLS encapsulation.
func decodeMPLSEncap(b []byte) (*MPLSEncap, error) {
	m := new(MPLSEncap)
	d := newAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case unix.MPLS_IPTUNNEL_DST:
			l, err := decodeLabels(d.Data())
			if err != nil {
				d.fail(err)
			}
			m.Labels = l
		case unix.MPLS_IPTUNNEL_TTL:
			m.TTL = d.Uint8()
		default:
			m.Unknown = append(m.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if m.Labels == nil {
		return nil, malformedf("MPLS encapsulation without MPLS_IPTUNNEL_DST")
	}
	return m, nil
}

// appendMPLSEncap returns the RTA_ENCAP payload of m.
func (m *MPLSEncap) marshal() []byte {
	e := attrEncoder{b: make([]byte, 0, 16+4*len(m.Labels))}
	e.Bytes(unix.MPLS_IPTUNNEL_DST, appendLabels(nil, m.Labels))
	if m.TTL != 0 {
		e.Uint8(unix.MPLS_IPTUNNEL_TTL, m.TTL)
	}
	for _, a := range m.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b
}

func (m *MPLSEncap) validate(what string) error {
	if len(m.Labels) == 0 {
		return invalidf("%s: MPLS encapsulation needs at least one label", what)
	}
	return validateLabels(what+": MPLS encapsulation", m.Labels)
}

// liftMPLSEncap replaces a raw MPLS encapsulation by its decoded form.
func liftMPLSEncap(typ uint16, raw *[]byte, dec **MPLSEncap) error {
	if typ != unix.LWTUNNEL_ENCAP_MPLS || *raw == nil {
		return nil
	}
	m, err := decodeMPLSEncap(*raw)
	if err != nil {
		return err
	}
	*dec, *raw = m, nil
	return nil
}

// putEncap encodes an encapsulation: the decoded MPLS one when set,
// otherwise the raw attributes.
func putEncap(e *attrEncoder, typ uint16, raw []byte, m *MPLSEncap) {
	if m != nil && typ == 0 {
		typ = unix.LWTUNNEL_ENCAP_MPLS
	}
	if typ != 0 {
		e.Uint16(unix.RTA_ENCAP_TYPE, typ)
	}
	if m != nil {
		e.Bytes(unix.RTA_ENCAP|attrNested, m.marshal())
	} else if raw != nil {
		e.Bytes(unix.RTA_ENCAP|attrNested, raw)
	}
}

// IsMPLS reports whether r is an MPLS route (Family unix.AF_MPLS).
func (r *Route) IsMPLS() bool { return r.Family == unix.AF_MPLS }

// MPLSLabel returns the incoming label of an MPLS route (Extra.Label),
// and false for other routes.
func (r *Route) MPLSLabel() (uint32, bool) {
	if r.Family != unix.AF_MPLS || r.Extra == nil {
		return 0, false
	}
	return r.Extra.Label, true
}

// mplsRequestHeader validates an MPLS route for verb v as
// net/mpls/af_mpls.c's rtm_to_route_config, mpls_nh_build_multi and
// mpls_route_add would, and returns the rtmsg to send.
func (r *Route) mplsRequestHeader(v Verb) (rtHeader, error) {
	x := r.Extra
	if x == nil {
		return rtHeader{}, invalidf("MPLS route needs a label (Extra.Label)")
	}
	switch {
	case v == Append:
		return rtHeader{}, invalidf("MPLS routes have one route per label: no append (the kernel refuses NLM_F_APPEND)")
	case x.Label < MPLSLabelFirstUnreserved || x.Label > MPLSLabelMax:
		return rtHeader{}, invalidf("MPLS route label %d (want %d to %d)", x.Label, MPLSLabelFirstUnreserved, MPLSLabelMax)
	case r.Dst.IsValid() || r.PrefSrc.IsValid() || x.Src.IsValid():
		return rtHeader{}, invalidf("MPLS route %d can have no IP destination, source or preferred source", x.Label)
	case r.Table != 0 && r.Table != unix.RT_TABLE_MAIN:
		return rtHeader{}, invalidf("MPLS route %d: MPLS routes have no tables", x.Label)
	case r.Type != 0 && r.Type != RouteUnicast, r.Scope != ScopeUniverse, r.TOS != 0, r.Pref != 0, r.Priority != 0:
		return rtHeader{}, invalidf("MPLS route %d: only unicast, universe scope, no TOS, preference or metric", x.Label)
	case r.Flags != 0:
		return rtHeader{}, invalidf("MPLS route %d: flags %#x (the kernel refuses any)", x.Label, r.Flags)
	case x.NHID != 0 || x.Metrics != nil || x.EncapType != 0 || x.Encap != nil || x.MPLSEncap != nil || x.Expires != 0 || x.Flow != 0:
		return rtHeader{}, invalidf("MPLS route %d: no nexthop id, metrics, encapsulation, expiry or realm", x.Label)
	case x.TTLPropagate > MPLSTTLPropDisabled:
		return rtHeader{}, invalidf("MPLS route %d: TTL propagation %d", x.Label, x.TTLPropagate)
	}
	if err := validateLabels("MPLS route "+strconv.Itoa(int(x.Label)), x.NewDst); err != nil {
		return rtHeader{}, err
	}
	if v != Delete {
		if !r.Gateway.IsValid() && r.OIF == 0 && len(r.Multipath) == 0 {
			return rtHeader{}, invalidf("MPLS route %d needs a via address, an output interface or next hops", x.Label)
		}
		if len(r.Multipath) > 0 && (r.Gateway.IsValid() || r.OIF != 0 || len(x.NewDst) > 0) {
			return rtHeader{}, invalidf("MPLS route %d: next hops and a single via/dev/as are exclusive", x.Label)
		}
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		what := "next hop " + strconv.Itoa(i+1) + " of MPLS route " + strconv.Itoa(int(x.Label))
		switch {
		case nh.Hops != 0 || nh.Flags != 0:
			return rtHeader{}, invalidf("%s: the kernel supports no weights or flags (mpls_nh_build_multi)", what)
		case !nh.Gateway.IsValid() && nh.IfIndex == 0:
			return rtHeader{}, invalidf("%s has neither via address nor interface", what)
		case nh.EncapType != 0 || nh.Encap != nil || nh.MPLSEncap != nil:
			return rtHeader{}, invalidf("%s: no encapsulation", what)
		}
		if err := validateLabels(what, nh.NewDst); err != nil {
			return rtHeader{}, err
		}
	}
	proto := uint8(r.Protocol)
	if proto == 0 && v != Delete {
		proto = unix.RTPROT_BOOT
	}
	return rtHeader{family: unix.AF_MPLS, dstLen: mplsDstLen, table: unix.RT_TABLE_MAIN,
		protocol: proto, scope: unix.RT_SCOPE_UNIVERSE, typ: unix.RTN_UNICAST}, nil
}

// appendMPLSRequest appends an MPLS route request: only the attributes
// rtm_to_route_config accepts, and for Delete only the label.
func (r *Route) appendMPLSRequest(b []byte, h rtHeader, v Verb) ([]byte, error) {
	e := attrEncoder{b: h.append(b)}
	x := r.Extra
	e.Bytes(unix.RTA_DST, appendLabels(nil, []uint32{x.Label}))
	if v == Delete {
		return e.b, e.err
	}
	r.appendMPLSBody(&e, true)
	return e.b, e.err
}

// appendMPLSBody appends an MPLS route's attributes after RTA_DST in
// mpls_dump_route's order.
func (r *Route) appendMPLSBody(e *attrEncoder, request bool) {
	x := r.Extra
	if x == nil {
		x = &RouteExtra{}
	}
	switch x.TTLPropagate {
	case MPLSTTLPropEnabled:
		e.Uint8(unix.RTA_TTL_PROPAGATE, 1)
	case MPLSTTLPropDisabled:
		e.Uint8(unix.RTA_TTL_PROPAGATE, 0)
	}
	if len(x.NewDst) > 0 {
		e.Bytes(unix.RTA_NEWDST, appendLabels(nil, x.NewDst))
	}
	if r.Gateway.IsValid() {
		putVia(e, r.Gateway)
	}
	// Unknown attributes, in their order, where a link-layer via
	// (kept there) goes.
	for _, a := range x.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	if r.OIF != 0 {
		e.Uint32(unix.RTA_OIF, r.OIF)
	}
	if r.Multipath != nil && (!request || len(r.Multipath) > 0) {
		off := e.Nest(unix.RTA_MULTIPATH)
		for i := range r.Multipath {
			nh := &r.Multipath[i]
			hoff := len(e.b)
			e.b = append(e.b, 0, 0, nh.Flags, nh.Hops)
			e.b = binary.NativeEndian.AppendUint32(e.b, nh.IfIndex)
			if len(nh.NewDst) > 0 {
				e.Bytes(unix.RTA_NEWDST, appendLabels(nil, nh.NewDst))
			}
			if nh.Gateway.IsValid() {
				putVia(e, nh.Gateway)
			}
			if !request {
				putEncap(e, nh.EncapType, nh.Encap, nh.MPLSEncap)
			}
			for _, a := range nh.Unknown {
				e.Bytes(a.Type, a.Data)
			}
			e.End(hoff)
		}
		e.End(off)
	}
}

// putVia encodes gw as RTA_VIA (struct rtvia: family, address).
func putVia(e *attrEncoder, gw netip.Addr) {
	fam := uint16(unix.AF_INET6)
	if gw.Is4() {
		fam = unix.AF_INET
	}
	v := binary.NativeEndian.AppendUint16(make([]byte, 0, 18), fam)
	e.Bytes(unix.RTA_VIA, append(v, gw.AsSlice()...))
}

// marshalMPLS encodes an MPLS route as mpls_dump_route does.
func (r *Route) marshalMPLS(h rtHeader) ([]byte, error) {
	e := attrEncoder{b: h.append(nil)}
	var label uint32
	if r.Extra != nil {
		label = r.Extra.Label
	}
	e.Bytes(unix.RTA_DST, appendLabels(nil, []uint32{label}))
	r.appendMPLSBody(&e, false)
	return e.b, e.err
}

// mplsString describes an MPLS route in the words of `ip -f mpls route`.
func (r *Route) mplsString() string {
	var b strings.Builder
	x := r.Extra
	if x == nil {
		x = &RouteExtra{}
	}
	b.WriteString(strconv.FormatUint(uint64(x.Label), 10))
	if len(x.NewDst) > 0 {
		b.WriteString(" as to " + FormatMPLSLabels(x.NewDst))
	}
	if r.Gateway.IsValid() {
		b.WriteString(" via " + viaFamily(r.Gateway) + " " + r.Gateway.String())
	}
	if r.OIF != 0 {
		b.WriteString(" dev #" + strconv.Itoa(int(r.OIF)))
	}
	if r.Protocol != ProtoBoot {
		b.WriteString(" proto " + r.Protocol.String())
	}
	if r.Flags&unix.RTNH_F_DEAD != 0 {
		b.WriteString(" dead")
	}
	if r.Flags&unix.RTNH_F_LINKDOWN != 0 {
		b.WriteString(" linkdown")
	}
	switch x.TTLPropagate {
	case MPLSTTLPropEnabled:
		b.WriteString(" ttl-propagate enabled")
	case MPLSTTLPropDisabled:
		b.WriteString(" ttl-propagate disabled")
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		b.WriteString(" nexthop")
		if len(nh.NewDst) > 0 {
			b.WriteString(" as to " + FormatMPLSLabels(nh.NewDst))
		}
		if nh.Gateway.IsValid() {
			b.WriteString(" via " + viaFamily(nh.Gateway) + " " + nh.Gateway.String())
		}
		if nh.IfIndex != 0 {
			b.WriteString(" dev #" + strconv.Itoa(int(nh.IfIndex)))
		}
	}
	return b.String()
}

func viaFamily(a interface{ Is4() bool }) string {
	if a.Is4() {
		return "inet"
	}
	return "inet6"
}

// validateEncap checks an encapsulation of a request: a decoded MPLS one,
// or a raw one of any type.
func validateEncap(what string, typ uint16, raw []byte, m *MPLSEncap) error {
	if m == nil {
		if raw != nil && typ == 0 {
			return invalidf("%s: encapsulation without type", what)
		}
		return nil
	}
	if typ != 0 && typ != unix.LWTUNNEL_ENCAP_MPLS {
		return invalidf("%s: MPLS encapsulation with encapsulation type %d", what, typ)
	}
	if raw != nil {
		return invalidf("%s: both raw and MPLS encapsulation", what)
	}
	return m.validate(what)
}
