package netlink

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// Attributes of the flower filter decoded here (include/uapi/linux/
// pkt_cls.h TCA_FLOWER_*); the many others are kept raw.
const (
	tcaFlowerClassID         = 1
	tcaFlowerIndev           = 2
	tcaFlowerAct             = 3
	tcaFlowerKeyEthDst       = 4
	tcaFlowerKeyEthDstMask   = 5
	tcaFlowerKeyEthSrc       = 6
	tcaFlowerKeyEthSrcMask   = 7
	tcaFlowerKeyEthType      = 8 // be16
	tcaFlowerKeyIPProto      = 9 // u8
	tcaFlowerKeyIPv4Src      = 10
	tcaFlowerKeyIPv4SrcMask  = 11
	tcaFlowerKeyIPv4Dst      = 12
	tcaFlowerKeyIPv4DstMask  = 13
	tcaFlowerKeyIPv6Src      = 14
	tcaFlowerKeyIPv6SrcMask  = 15
	tcaFlowerKeyIPv6Dst      = 16
	tcaFlowerKeyIPv6DstMask  = 17
	tcaFlowerKeyTCPSrc       = 18 // be16
	tcaFlowerKeyTCPDst       = 19
	tcaFlowerKeyUDPSrc       = 20
	tcaFlowerKeyUDPDst       = 21
	tcaFlowerFlags           = 22 // u32 TCA_CLS_FLAGS_*
	tcaFlowerKeyVlanID       = 23 // u16, host order
	tcaFlowerKeyVlanPrio     = 24 // u8
	tcaFlowerKeyVlanEthType  = 25 // be16
	tcaFlowerKeyTCPSrcMask   = 35
	tcaFlowerKeyTCPDstMask   = 36
	tcaFlowerKeyUDPSrcMask   = 37
	tcaFlowerKeyUDPDstMask   = 38
	tcaFlowerKeySCTPSrcMask  = 39
	tcaFlowerKeySCTPDstMask  = 40
	tcaFlowerKeySCTPSrc      = 41
	tcaFlowerKeySCTPDst      = 42
	tcaFlowerInHWCount       = 85 // u32, read-only
	flowerVlanIDMax          = 4095
	flowerVlanPrioMax        = 7
	flowerIPProtoTCP         = unix.IPPROTO_TCP
	flowerIPProtoUDP         = unix.IPPROTO_UDP
	flowerIPProtoSCTP        = unix.IPPROTO_SCTP
	flowerPortAttrsPerFamily = 4
)

// flowerPortAttrs are the port attributes of each transport protocol:
// source, source mask, destination, destination mask.
var flowerPortAttrs = map[uint8][flowerPortAttrsPerFamily]uint16{
	flowerIPProtoTCP:  {tcaFlowerKeyTCPSrc, tcaFlowerKeyTCPSrcMask, tcaFlowerKeyTCPDst, tcaFlowerKeyTCPDstMask},
	flowerIPProtoUDP:  {tcaFlowerKeyUDPSrc, tcaFlowerKeyUDPSrcMask, tcaFlowerKeyUDPDst, tcaFlowerKeyUDPDstMask},
	flowerIPProtoSCTP: {tcaFlowerKeySCTPSrc, tcaFlowerKeySCTPSrcMask, tcaFlowerKeySCTPDst, tcaFlowerKeySCTPDstMask},
}

// Flower is the flower filter (net/sched/cls_flower.c; tc-flower(8)) with
// its common keys decoded: ethertype, MAC addresses, VLAN, IP protocol,
// addresses and ports. Every other key (tunnel, MPLS, ICMP, ARP, CT, port
// ranges, ...) is kept raw in Unknown and sent again. A zero or nil key
// does not match on that field.
type Flower struct {
	// ClassID is the class the packets go to (TCA_FLOWER_CLASSID); zero
	// for none.
	ClassID Handle
	// Indev is the name of the link the packets must come from
	// (TCA_FLOWER_INDEV; tc's "indev").
	Indev string
	// EthType is the ethertype matched, ETH_P_* in host order
	// (TCA_FLOWER_KEY_ETH_TYPE, sent in network order); tc sends the
	// filter's protocol here unless it is "all". With VLAN keys it is the
	// tag's ethertype (802.1Q or 802.1ad) and VlanEthType the inner one:
	// the kernel reports the inner one in TCA_FLOWER_KEY_ETH_TYPE, and a
	// Filter's decoding puts the protocol back here (tagFromProtocol).
	EthType uint16
	// DstMAC and SrcMAC with their masks (TCA_FLOWER_KEY_ETH_DST, _MASK,
	// _SRC, _MASK); a nil mask in a request is all ones.
	DstMAC, DstMACMask, SrcMAC, SrcMACMask net.HardwareAddr
	// VlanID (0 to 4095), VlanPrio (0 to 7) and VlanEthType (the inner
	// ethertype, host order) need EthType 802.1Q or 802.1ad
	// (TCA_FLOWER_KEY_VLAN_ID, _VLAN_PRIO, _VLAN_ETH_TYPE).
	VlanID      *uint16
	VlanPrio    *uint8
	VlanEthType uint16
	// IPProto is the IP protocol (TCA_FLOWER_KEY_IP_PROTO; unix.IPPROTO_*);
	// it needs EthType ip or ipv6.
	IPProto *uint8
	// Src and Dst are the addresses matched, as prefixes
	// (TCA_FLOWER_KEY_IPV4_SRC and _MASK, ... _IPV6_DST_MASK). A mask that
	// is not a prefix keeps both attributes raw in Unknown.
	Src, Dst netip.Prefix
	// SrcPort and DstPort are the transport ports, with optional masks
	// (TCA_FLOWER_KEY_TCP_SRC and _MASK, ..., UDP, SCTP, by IPProto); a nil
	// mask is an exact match. Port attributes of another protocol than
	// IPProto are kept raw.
	SrcPort, SrcPortMask, DstPort, DstPortMask *uint16
	// Flags are TCA_CLS_FLAGS_* (TCA_FLOWER_FLAGS; tc's skip_hw, skip_sw);
	// the kernel adds in_hw or not_in_hw.
	Flags uint32
	// Actions are the actions run (TCA_FLOWER_ACT).
	Actions TCActions
	// Unknown holds the other attributes, as received; sent again after
	// the keys above (TCA_FLOWER_IN_HW_COUNT among them).
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*Flower) TCKind() string { return "flower" }
func (*Flower) filterOptions() {}

// maskPrefix turns an address and a mask into a prefix, or reports that
// the mask is not one.
func maskPrefix(addr, mask []byte) (netip.Prefix, bool) {
	ones, seenZero := 0, false
	for _, m := range mask {
		for i := 7; i >= 0; i-- {
			if m&(1<<i) != 0 {
				if seenZero {
					return netip.Prefix{}, false
				}
				ones++
			} else {
				seenZero = true
			}
		}
	}
	a := addrFromSlice(addr)
	p, err := a.Prefix(ones)
	if err != nil || p.Addr() != a {
		// Host bits set under the mask: not a plain prefix.
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, ones), true
}

func prefixMask(p netip.Prefix) []byte {
	n := p.Addr().BitLen() / 8
	m := make([]byte, n)
	ones := p.Bits()
	for i := range m {
		switch {
		case ones >= 8:
			m[i] = 0xff
			ones -= 8
		case ones > 0:
			m[i] = ^byte(0xff >> ones)
			ones = 0
		}
	}
	return m
}

func (o *Flower) decodeOptions(b []byte) error {
	type addrKey struct{ addr, mask *Attribute }
	var src4, dst4, src6, dst6 addrKey
	var ports []Attribute
	var ethType []byte
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		t := d.Type()
		want := -1
		switch t {
		case tcaFlowerClassID, tcaFlowerFlags:
			want = 4
		case tcaFlowerKeyEthDst, tcaFlowerKeyEthDstMask, tcaFlowerKeyEthSrc, tcaFlowerKeyEthSrcMask:
			want = 6
		case tcaFlowerKeyEthType, tcaFlowerKeyVlanID, tcaFlowerKeyVlanEthType:
			want = 2
		case tcaFlowerKeyIPProto, tcaFlowerKeyVlanPrio:
			want = 1
		case tcaFlowerKeyIPv4Src, tcaFlowerKeyIPv4SrcMask, tcaFlowerKeyIPv4Dst, tcaFlowerKeyIPv4DstMask:
			want = 4
		case tcaFlowerKeyIPv6Src, tcaFlowerKeyIPv6SrcMask, tcaFlowerKeyIPv6Dst, tcaFlowerKeyIPv6DstMask:
			want = 16
		case tcaFlowerKeyTCPSrc, tcaFlowerKeyTCPDst, tcaFlowerKeyUDPSrc, tcaFlowerKeyUDPDst,
			tcaFlowerKeyTCPSrcMask, tcaFlowerKeyTCPDstMask, tcaFlowerKeyUDPSrcMask, tcaFlowerKeyUDPDstMask,
			tcaFlowerKeySCTPSrc, tcaFlowerKeySCTPDst, tcaFlowerKeySCTPSrcMask, tcaFlowerKeySCTPDstMask:
			want = 2
		}
		if want >= 0 && len(p) != want {
			return malformedf("flower attribute %d of %d bytes, want %d", t, len(p), want)
		}
		a := d.Attribute()
		switch t {
		case tcaFlowerClassID:
			o.ClassID = Handle(u32At(p, 0))
		case tcaFlowerFlags:
			o.Flags = u32At(p, 0)
		case tcaFlowerIndev:
			o.Indev = d.String()
		case tcaFlowerKeyEthDst:
			o.DstMAC = net.HardwareAddr(a.Data)
		case tcaFlowerKeyEthDstMask:
			o.DstMACMask = net.HardwareAddr(a.Data)
		case tcaFlowerKeyEthSrc:
			o.SrcMAC = net.HardwareAddr(a.Data)
		case tcaFlowerKeyEthSrcMask:
			o.SrcMACMask = net.HardwareAddr(a.Data)
		case tcaFlowerKeyEthType:
			ethType = a.Data
		case tcaFlowerKeyVlanID:
			o.VlanID = Ptr(u16At(p, 0))
		case tcaFlowerKeyVlanPrio:
			o.VlanPrio = Ptr(p[0])
		case tcaFlowerKeyVlanEthType:
			o.VlanEthType = binary.BigEndian.Uint16(p)
		case tcaFlowerKeyIPProto:
			o.IPProto = Ptr(p[0])
		case tcaFlowerKeyIPv4Src:
			src4.addr = &a
		case tcaFlowerKeyIPv4SrcMask:
			src4.mask = &a
		case tcaFlowerKeyIPv4Dst:
			dst4.addr = &a
		case tcaFlowerKeyIPv4DstMask:
			dst4.mask = &a
		case tcaFlowerKeyIPv6Src:
			src6.addr = &a
		case tcaFlowerKeyIPv6SrcMask:
			src6.mask = &a
		case tcaFlowerKeyIPv6Dst:
			dst6.addr = &a
		case tcaFlowerKeyIPv6DstMask:
			dst6.mask = &a
		case tcaFlowerKeyTCPSrc, tcaFlowerKeyTCPDst, tcaFlowerKeyUDPSrc, tcaFlowerKeyUDPDst,
			tcaFlowerKeyTCPSrcMask, tcaFlowerKeyTCPDstMask, tcaFlowerKeyUDPSrcMask, tcaFlowerKeyUDPDstMask,
			tcaFlowerKeySCTPSrc, tcaFlowerKeySCTPDst, tcaFlowerKeySCTPSrcMask, tcaFlowerKeySCTPDstMask:
			ports = append(ports, a)
		case tcaFlowerAct:
			acts, err := decodeTCActions(p)
			if err != nil {
				return fmt.Errorf("flower actions: %w", err)
			}
			o.Actions = acts
		default:
			o.Unknown = append(o.Unknown, a)
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if ethType != nil {
		o.EthType = binary.BigEndian.Uint16(ethType)
	}
	// Addresses: a missing mask is all ones (fl_set_key_val); a mask that
	// is not a prefix keeps the pair raw.
	for _, k := range []struct {
		key addrKey
		dst *netip.Prefix
	}{{src4, &o.Src}, {dst4, &o.Dst}, {src6, &o.Src}, {dst6, &o.Dst}} {
		if k.key.addr == nil {
			if k.key.mask != nil {
				o.Unknown = append(o.Unknown, *k.key.mask)
			}
			continue
		}
		mask := bytes.Repeat([]byte{0xff}, len(k.key.addr.Data))
		if k.key.mask != nil {
			mask = k.key.mask.Data
		}
		p, ok := maskPrefix(k.key.addr.Data, mask)
		if !ok || k.dst.IsValid() {
			o.Unknown = append(o.Unknown, *k.key.addr)
			if k.key.mask != nil {
				o.Unknown = append(o.Unknown, *k.key.mask)
			}
			continue
		}
		*k.dst = p
	}
	// Ports: those of IPProto's protocol are decoded.
	var own [flowerPortAttrsPerFamily]uint16
	if o.IPProto != nil {
		own = flowerPortAttrs[*o.IPProto]
	}
	for _, a := range ports {
		v := Ptr(binary.BigEndian.Uint16(a.Data))
		switch {
		case own[0] != 0 && a.Type == own[0]:
			o.SrcPort = v
		case own[0] != 0 && a.Type == own[1]:
			o.SrcPortMask = v
		case own[0] != 0 && a.Type == own[2]:
			o.DstPort = v
		case own[0] != 0 && a.Type == own[3]:
			o.DstPortMask = v
		default:
			o.Unknown = append(o.Unknown, a)
		}
	}
	return nil
}

// encodeOptions writes CLASSID, INDEV, the keys (MACs, VLAN, IP protocol,
// addresses with their masks, ports) and Unknown; then in a request ACT,
// FLAGS (always, as tc does) and ETH_TYPE last (tc/f_flower.c). In the
// kernel's form (fl_dump, fl_dump_key) ETH_TYPE comes after the MACs and
// FLAGS, TCA_FLOWER_IN_HW_COUNT and ACT after the keys.
func (o *Flower) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	if o.ClassID != 0 {
		e.Uint32(tcaFlowerClassID, uint32(o.ClassID))
	}
	if o.Indev != "" {
		e.String(tcaFlowerIndev, o.Indev)
	}
	mac := func(typ, mtyp uint16, a, m net.HardwareAddr) {
		if a == nil {
			return
		}
		e.Bytes(typ, a)
		if m == nil && request {
			m = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		}
		if m != nil {
			e.Bytes(mtyp, m)
		}
	}
	mac(tcaFlowerKeyEthDst, tcaFlowerKeyEthDstMask, o.DstMAC, o.DstMACMask)
	mac(tcaFlowerKeyEthSrc, tcaFlowerKeyEthSrcMask, o.SrcMAC, o.SrcMACMask)
	if et := o.matchedEthType(); !request && et != 0 {
		e.Uint16BE(tcaFlowerKeyEthType, et)
	}
	if o.VlanID != nil {
		e.Uint16(tcaFlowerKeyVlanID, *o.VlanID)
	}
	if o.VlanPrio != nil {
		e.Uint8(tcaFlowerKeyVlanPrio, *o.VlanPrio)
	}
	if o.VlanEthType != 0 {
		e.Uint16BE(tcaFlowerKeyVlanEthType, o.VlanEthType)
	}
	if o.IPProto != nil {
		e.Uint8(tcaFlowerKeyIPProto, *o.IPProto)
	}
	for _, k := range []struct {
		p       netip.Prefix
		v4, v4m uint16
		v6, v6m uint16
	}{
		{o.Src, tcaFlowerKeyIPv4Src, tcaFlowerKeyIPv4SrcMask, tcaFlowerKeyIPv6Src, tcaFlowerKeyIPv6SrcMask},
		{o.Dst, tcaFlowerKeyIPv4Dst, tcaFlowerKeyIPv4DstMask, tcaFlowerKeyIPv6Dst, tcaFlowerKeyIPv6DstMask},
	} {
		if !k.p.IsValid() {
			continue
		}
		typ, mtyp := k.v4, k.v4m
		if k.p.Addr().Is6() {
			typ, mtyp = k.v6, k.v6m
		}
		e.Bytes(typ, k.p.Addr().AsSlice())
		e.Bytes(mtyp, prefixMask(k.p))
	}
	if o.IPProto != nil {
		if at, ok := flowerPortAttrs[*o.IPProto]; ok {
			for i, v := range []*uint16{o.SrcPort, o.SrcPortMask, o.DstPort, o.DstPortMask} {
				if v != nil {
					e.Uint16BE(at[i], *v)
				}
			}
		}
	}
	var inHW []Attribute
	for _, a := range o.Unknown {
		if !request && a.Type&attrTypeMask == tcaFlowerInHWCount {
			inHW = append(inHW, a) // fl_dump puts it after FLAGS
			continue
		}
		e.Bytes(a.Type, a.Data)
	}
	if request {
		appendTCActions(&e, tcaFlowerAct, o.Actions, true)
		e.Uint32(tcaFlowerFlags, requestClsFlags(o.Flags))
		if o.EthType != 0 && o.EthType != unix.ETH_P_ALL {
			e.Uint16BE(tcaFlowerKeyEthType, o.EthType)
		}
	} else {
		if o.Flags != 0 {
			e.Uint32(tcaFlowerFlags, o.Flags)
		}
		for _, a := range inHW {
			e.Bytes(a.Type, a.Data)
		}
		appendTCActions(&e, tcaFlowerAct, o.Actions, false)
	}
	return e.b, e.err
}

// hasVlan reports whether a VLAN key is set.
func (o *Flower) hasVlan() bool { return o.VlanID != nil || o.VlanPrio != nil || o.VlanEthType != 0 }

func isVlanEthType(t uint16) bool { return t == unix.ETH_P_8021Q || t == unix.ETH_P_8021AD }

// matchedEthType is the ethertype the kernel matches and reports as
// TCA_FLOWER_KEY_ETH_TYPE: behind a VLAN tag the inner one (fl_set_key
// keeps it in basic.n_proto, fl_dump_key reports that), else EthType.
func (o *Flower) matchedEthType() uint16 {
	if o.hasVlan() && isVlanEthType(o.EthType) {
		return o.VlanEthType
	}
	return o.EthType
}

// tagFromProtocol completes options the kernel sent with the filter's
// protocol (tcm_info): for a filter with VLAN keys the kernel reports the
// inner ethertype as TCA_FLOWER_KEY_ETH_TYPE (or none), and the tag's
// ethertype only as the filter's protocol, where a request must carry the
// tag's (tc's flower_parse_opt sends the protocol; without it the kernel
// ignores the VLAN keys). EthType becomes the protocol, so that a filter
// read back can be sent again as it is; VlanEthType keeps the inner one.
func (o *Flower) tagFromProtocol(proto uint16) {
	if !o.hasVlan() || !isVlanEthType(proto) || isVlanEthType(o.EthType) {
		return
	}
	if o.VlanEthType == 0 {
		o.VlanEthType = o.EthType
	}
	o.EthType = proto
}

// validateOptions applies tc's and fl_set_key's rules: valid flags; MACs
// and masks of 6 bytes; VLAN keys only with an 802.1Q or 802.1ad
// ethertype, an id up to 4095 and a priority up to 7; an IP protocol
// and addresses only with ethertype ip or ipv6 of the addresses' family;
// ports only with tcp, udp or sctp; and the actions' rules.
func (o *Flower) validateOptions(v Verb) error {
	if err := validClsFlags(o.Flags); err != nil {
		return err
	}
	for _, m := range []net.HardwareAddr{o.DstMAC, o.DstMACMask, o.SrcMAC, o.SrcMACMask} {
		if m != nil && len(m) != 6 {
			return invalidf("flower MAC address or mask %v: want 6 bytes", m)
		}
	}
	vlan := o.VlanID != nil || o.VlanPrio != nil || o.VlanEthType != 0
	switch {
	case vlan && o.EthType != unix.ETH_P_8021Q && o.EthType != unix.ETH_P_8021AD:
		return invalidf("flower vlan keys need ethertype 802.1Q or 802.1ad, not %s", TCProtocolString(o.EthType))
	case o.VlanID != nil && *o.VlanID > flowerVlanIDMax:
		return invalidf("flower vlan_id %d: want 0 to %d", *o.VlanID, flowerVlanIDMax)
	case o.VlanPrio != nil && *o.VlanPrio > flowerVlanPrioMax:
		return invalidf("flower vlan_prio %d: want 0 to %d", *o.VlanPrio, flowerVlanPrioMax)
	}
	l3 := o.EthType
	if vlan {
		l3 = o.VlanEthType
	}
	if o.IPProto != nil && l3 != unix.ETH_P_IP && l3 != unix.ETH_P_IPV6 {
		return invalidf("flower ip_proto needs ethertype ip or ipv6, not %s", TCProtocolString(l3))
	}
	for _, p := range []netip.Prefix{o.Src, o.Dst} {
		if !p.IsValid() {
			continue
		}
		if (p.Addr().Is4() && l3 != unix.ETH_P_IP) || (p.Addr().Is6() && l3 != unix.ETH_P_IPV6) {
			return invalidf("flower address %s needs ethertype %s, not %s", p, map[bool]string{true: "ip", false: "ipv6"}[p.Addr().Is4()], TCProtocolString(l3))
		}
		if p.Addr().Zone() != "" {
			return invalidf("flower address %s has a zone", p)
		}
	}
	if o.Src.IsValid() && o.Dst.IsValid() && o.Src.Addr().Is4() != o.Dst.Addr().Is4() {
		return invalidf("flower src %s and dst %s are of different families", o.Src, o.Dst)
	}
	ports := o.SrcPort != nil || o.DstPort != nil || o.SrcPortMask != nil || o.DstPortMask != nil
	if ports {
		if o.IPProto == nil {
			return invalidf("flower ports need ip_proto tcp, udp or sctp")
		}
		if _, ok := flowerPortAttrs[*o.IPProto]; !ok {
			return invalidf("flower ports need ip_proto tcp, udp or sctp, not %d", *o.IPProto)
		}
		if (o.SrcPortMask != nil && o.SrcPort == nil) || (o.DstPortMask != nil && o.DstPort == nil) {
			return invalidf("flower port mask without a port")
		}
	}
	return o.Actions.validate(v)
}

func (o *Flower) stableOptions() TCOptions {
	c := *o
	c.Actions = o.Actions.stable()
	c.Flags &^= TCAClsFlagsInHW | TCAClsFlagsNotInHW
	if len(o.Unknown) > 0 {
		c.Unknown = nil
		for _, a := range o.Unknown {
			if a.Type&attrTypeMask != tcaFlowerInHWCount {
				c.Unknown = append(c.Unknown, a)
			}
		}
	}
	return &c
}

// String returns tc's words: "eth_type ipv4 ip_proto tcp dst_ip
// 192.0.2.0/24 dst_port 80 skip_hw action gact action drop".
func (o *Flower) String() string {
	var s []string
	if o.ClassID != 0 {
		s = append(s, "classid "+o.ClassID.String())
	}
	if o.Indev != "" {
		s = append(s, "indev "+o.Indev)
	}
	if o.DstMAC != nil {
		s = append(s, "dst_mac "+o.DstMAC.String())
	}
	if o.SrcMAC != nil {
		s = append(s, "src_mac "+o.SrcMAC.String())
	}
	if o.EthType != 0 {
		s = append(s, "eth_type "+TCProtocolString(o.EthType))
	}
	if o.VlanID != nil {
		s = append(s, "vlan_id "+itoa(*o.VlanID))
	}
	if o.VlanPrio != nil {
		s = append(s, "vlan_prio "+itoa(*o.VlanPrio))
	}
	if o.VlanEthType != 0 {
		s = append(s, "vlan_ethtype "+TCProtocolString(o.VlanEthType))
	}
	if o.IPProto != nil {
		w := map[uint8]string{flowerIPProtoTCP: "tcp", flowerIPProtoUDP: "udp", flowerIPProtoSCTP: "sctp", unix.IPPROTO_ICMP: "icmp", unix.IPPROTO_ICMPV6: "icmpv6"}[*o.IPProto]
		if w == "" {
			w = itoa(*o.IPProto)
		}
		s = append(s, "ip_proto "+w)
	}
	if o.Dst.IsValid() {
		s = append(s, "dst_ip "+o.Dst.String())
	}
	if o.Src.IsValid() {
		s = append(s, "src_ip "+o.Src.String())
	}
	if o.DstPort != nil {
		s = append(s, "dst_port "+itoa(*o.DstPort))
	}
	if o.SrcPort != nil {
		s = append(s, "src_port "+itoa(*o.SrcPort))
	}
	s = append(s, clsFlagsString(o.Flags)...)
	if len(o.Actions) > 0 {
		s = append(s, "action "+o.Actions.String())
	}
	return strings.Join(s, " ")
}

// FlowerIPProtoName is tc's word for a flower ip_proto (tc/f_flower.c:
// flower_parse_ip_proto and flower_print_ip_proto): tcp, udp, sctp, icmp
// or icmpv6, and false for any other protocol, which tc prints in hex and
// reads as a number.
func FlowerIPProtoName(p uint8) (string, bool) {
	switch p {
	case unix.IPPROTO_TCP:
		return "tcp", true
	case unix.IPPROTO_UDP:
		return "udp", true
	case unix.IPPROTO_SCTP:
		return "sctp", true
	case unix.IPPROTO_ICMP:
		return "icmp", true
	case unix.IPPROTO_ICMPV6:
		return "icmpv6", true
	}
	return "", false
}
