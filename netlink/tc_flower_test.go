package netlink

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func tcBE16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

var flowerGolden = []tcOptGolden{
	{
		name: "dump: ip tcp dst 192.0.2.0/24 port 80 skip_hw, gact drop",
		data: bytes2(
			nhTestAttr(tcaFlowerKeyEthType, tcBE16(unix.ETH_P_IP)),        // ETH_TYPE: be16
			nhTestAttr(tcaFlowerKeyIPProto, tcU8(unix.IPPROTO_TCP)),       // IP_PROTO: u8
			nhTestAttr(tcaFlowerKeyIPv4Dst, []byte{192, 0, 2, 0}),         // IPV4_DST
			nhTestAttr(tcaFlowerKeyIPv4DstMask, []byte{255, 255, 255, 0}), // IPV4_DST_MASK
			nhTestAttr(tcaFlowerKeyTCPDst, tcBE16(80)),                    // TCP_DST: be16
			nhTestAttr(tcaFlowerKeyTCPDstMask, tcBE16(0xffff)),            // TCP_DST_MASK
			nhTestAttr(tcaFlowerFlags, tcU32s(TCAClsFlagsSkipHW|TCAClsFlagsNotInHW)),
			nhTestAttr(tcaFlowerInHWCount, tcU32s(0)), // IN_HW_COUNT, kept raw
			nhTestAttr(tcaFlowerAct, tcTestAction(1, "gact", tcaActOptions, gactGolden[0].data)),
		),
		opts: &Flower{EthType: unix.ETH_P_IP, IPProto: Ptr[uint8](unix.IPPROTO_TCP),
			Dst: netip.MustParsePrefix("192.0.2.0/24"), DstPort: Ptr[uint16](80), DstPortMask: Ptr[uint16](0xffff),
			Flags:   TCAClsFlagsSkipHW | TCAClsFlagsNotInHW,
			Actions: TCActions{{Kind: "gact", Options: gactGolden[0].opts.(*Gact)}},
			Unknown: []Attribute{{Type: tcaFlowerInHWCount, Data: tcU32s(0)}}},
	},
	{
		name:    "tc filter add ... protocol ip flower ip_proto tcp dst_ip 192.0.2.0/24 dst_port 80 skip_hw action drop",
		request: true,
		data: bytes2(
			nhTestAttr(tcaFlowerKeyIPProto, tcU8(unix.IPPROTO_TCP)),
			nhTestAttr(tcaFlowerKeyIPv4Dst, []byte{192, 0, 2, 0}),
			nhTestAttr(tcaFlowerKeyIPv4DstMask, []byte{255, 255, 255, 0}),
			nhTestAttr(tcaFlowerKeyTCPDst, tcBE16(80)), // no mask: exact
			nhTestAttr(tcaFlowerAct, tcTestAction(1, "gact", tcaActOptions|attrNested, gactGolden[1].data[:24])),
			nhTestAttr(tcaFlowerFlags, tcU32s(TCAClsFlagsSkipHW)),
			nhTestAttr(tcaFlowerKeyEthType, tcBE16(unix.ETH_P_IP)), // the filter's protocol, last
		),
		opts: &Flower{EthType: unix.ETH_P_IP, IPProto: Ptr[uint8](unix.IPPROTO_TCP),
			Dst: netip.MustParsePrefix("192.0.2.0/24"), DstPort: Ptr[uint16](80), Flags: TCAClsFlagsSkipHW,
			Actions: TCActions{{Kind: "gact", Options: &Gact{TCActionGen: TCActionGen{Action: TCActShot}}}}},
	},
	{
		// Behind a VLAN tag the kernel reports the inner ethertype as
		// ETH_TYPE (fl_dump_key's basic.n_proto; seen live on 6.1), and the
		// tag's only as the filter's protocol (tagFromProtocol).
		name: "dump: MAC, VLAN, IPv6 source, UDP source port with a mask, an ICMP key kept raw",
		data: bytes2(
			nhTestAttr(tcaFlowerKeyEthDst, []byte{0x02, 0, 0, 0, 0, 1}),
			nhTestAttr(tcaFlowerKeyEthDstMask, []byte{0xff, 0xff, 0xff, 0, 0, 0}),
			nhTestAttr(tcaFlowerKeyEthType, tcBE16(unix.ETH_P_IPV6)),
			nhTestAttr(tcaFlowerKeyVlanID, tcU16(100)), // host order
			nhTestAttr(tcaFlowerKeyVlanPrio, tcU8(3)),
			nhTestAttr(tcaFlowerKeyVlanEthType, tcBE16(unix.ETH_P_IPV6)),
			nhTestAttr(tcaFlowerKeyIPProto, tcU8(unix.IPPROTO_UDP)),
			nhTestAttr(tcaFlowerKeyIPv6Src, netip.MustParseAddr("2001:db8::").AsSlice()),
			nhTestAttr(tcaFlowerKeyIPv6SrcMask, netip.MustParseAddr("ffff:ffff::").AsSlice()),
			nhTestAttr(tcaFlowerKeyUDPSrc, tcBE16(53)),
			nhTestAttr(tcaFlowerKeyUDPSrcMask, tcBE16(0xfff0)),
			nhTestAttr(51, tcU8(8)), // TCA_FLOWER_KEY_ICMPV4_TYPE: not decoded
		),
		opts: &Flower{DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMACMask: net.HardwareAddr{0xff, 0xff, 0xff, 0, 0, 0},
			EthType: unix.ETH_P_IPV6, VlanID: Ptr[uint16](100), VlanPrio: Ptr[uint8](3), VlanEthType: unix.ETH_P_IPV6,
			IPProto: Ptr[uint8](unix.IPPROTO_UDP), Src: netip.MustParsePrefix("2001:db8::/32"),
			SrcPort: Ptr[uint16](53), SrcPortMask: Ptr[uint16](0xfff0),
			Unknown: []Attribute{{Type: 51, Data: tcU8(8)}}},
	},
}

func TestFlowerOptions(t *testing.T) {
	runTCOptGolden(t, flowerGolden)

	// A mask that is not a prefix, and TCP ports under ip_proto udp, stay raw.
	odd := bytes2(
		nhTestAttr(tcaFlowerKeyIPProto, tcU8(unix.IPPROTO_UDP)),
		nhTestAttr(tcaFlowerKeyIPv4Src, []byte{192, 0, 2, 1}),
		nhTestAttr(tcaFlowerKeyIPv4SrcMask, []byte{255, 0, 255, 0}),
		nhTestAttr(tcaFlowerKeyTCPDst, tcBE16(22)),
	)
	var o Flower
	if err := o.decodeOptions(odd); err != nil {
		t.Fatal(err)
	}
	wantUnknown := []Attribute{
		{Type: tcaFlowerKeyIPv4Src, Data: []byte{192, 0, 2, 1}}, {Type: tcaFlowerKeyIPv4SrcMask, Data: []byte{255, 0, 255, 0}},
		{Type: tcaFlowerKeyTCPDst, Data: tcBE16(22)},
	}
	if o.Src.IsValid() || o.DstPort != nil || !reflect.DeepEqual(o.Unknown, wantUnknown) {
		t.Errorf("odd keys decoded as src %v dst port %v unknown %v", o.Src, o.DstPort, o.Unknown)
	}
	if b, _ := o.encodeOptions(false); len(b) != len(odd) {
		t.Errorf("odd keys re-encoded in %d bytes, want %d", len(b), len(odd))
	}
	// An address without its mask is a host (fl_set_key_val: all ones).
	o = Flower{}
	if err := o.decodeOptions(nhTestAttr(tcaFlowerKeyIPv4Dst, []byte{198, 51, 100, 7})); err != nil || o.Dst != netip.MustParsePrefix("198.51.100.7/32") {
		t.Errorf("maskless address: %v %v", o.Dst, err)
	}

	runTCOptMalformed(t, func() TCOptions { return new(Flower) }, map[string][]byte{
		"short mac":        nhTestAttr(tcaFlowerKeyEthDst, []byte{1, 2, 3}),
		"u32 eth type":     nhTestAttr(tcaFlowerKeyEthType, tcU32s(8)),
		"ipv6 in ipv4":     nhTestAttr(tcaFlowerKeyIPv4Src, make([]byte, 16)),
		"u32 port":         nhTestAttr(tcaFlowerKeyTCPDst, tcU32s(80)),
		"bad action list":  nhTestAttr(tcaFlowerAct, nhTestAttr(1, nhTestAttr(tcaActOptions, nil))),
		"bad nesting":      nhTestAttr(tcaFlowerAct, []byte{200, 0, 1, 0}),
		"truncated header": {8, 0},
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"skip_hw and skip_sw":      &Flower{Flags: TCAClsFlagsSkipHW | TCAClsFlagsSkipSW},
		"an unknown flag":          &Flower{Flags: 1 << 9},
		"vlan without 802.1Q":      &Flower{EthType: unix.ETH_P_IP, VlanID: Ptr[uint16](5)},
		"vlan id 4096":             &Flower{EthType: unix.ETH_P_8021Q, VlanID: Ptr[uint16](4096)},
		"vlan prio 8":              &Flower{EthType: unix.ETH_P_8021Q, VlanPrio: Ptr[uint8](8)},
		"ip_proto without ip":      &Flower{EthType: unix.ETH_P_ARP, IPProto: Ptr[uint8](6)},
		"ipv6 address under ip":    &Flower{EthType: unix.ETH_P_IP, Dst: netip.MustParsePrefix("2001:db8::/32")},
		"ports without ip_proto":   &Flower{EthType: unix.ETH_P_IP, DstPort: Ptr[uint16](1)},
		"ports under icmp":         &Flower{EthType: unix.ETH_P_IP, IPProto: Ptr[uint8](1), DstPort: Ptr[uint16](1)},
		"port mask without a port": &Flower{EthType: unix.ETH_P_IP, IPProto: Ptr[uint8](6), SrcPortMask: Ptr[uint16](1)},
		"short MAC":                &Flower{DstMAC: net.HardwareAddr{1, 2}},
		"bad action":               &Flower{Actions: TCActions{{Kind: "mirred", Options: &Mirred{}}}},
	})
	if got, want := flowerGolden[0].opts.(*Flower).String(), "eth_type ip ip_proto tcp dst_ip 192.0.2.0/24 dst_port 80 skip_hw not_in_hw action gact action drop index 1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	st := flowerGolden[0].opts.(*Flower).stableOptions().(*Flower)
	if st.Flags != TCAClsFlagsSkipHW || st.Unknown != nil || st.Actions[0].Options.(*Gact).TM != nil {
		t.Errorf("stableOptions kept volatile values: %+v", st)
	}
}

// TestFlowerFilterMessage decodes a whole RTM_NEWTFILTER with a flower
// filter through the core and sends it back as a request.
func TestFlowerFilterMessage(t *testing.T) {
	msg := tcTestMsg(3, 1, 0xfffffff2, 49152<<16|uint32(htons(unix.ETH_P_IP)),
		nhTestAttr(unix.TCA_KIND, tcTestStr("flower")),
		nhTestAttr(unix.TCA_CHAIN, nhTestU32(0)),
		nhTestAttr(unix.TCA_OPTIONS, flowerGolden[0].data))
	f := new(Filter)
	if err := f.decode(msg); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Options, flowerGolden[0].opts) {
		t.Fatalf("options\n got %+v\nwant %+v", f.Options, flowerGolden[0].opts)
	}
	b, err := f.marshal()
	if err != nil || !reflect.DeepEqual(b, msg) {
		t.Errorf("marshal: %v\n got %x\nwant %x", err, b, msg)
	}
	if st := f.Stable(); st == f {
		t.Error("Stable returned the filter with its action times")
	}
	bad := *f
	bad.Options = &Flower{Flags: TCAClsFlagsSkipHW | TCAClsFlagsSkipSW}
	if err := FilterRequest(Add, &bad).Err(); !errors.Is(err, ErrInvalid) {
		t.Errorf("a request with both skips: %v, want ErrInvalid", err)
	}
	good := &Filter{Index: 3, Parent: 0xfffffff2, Priority: 1, Protocol: unix.ETH_P_IP, Options: flowerGolden[1].opts.(*Flower)}
	_, _, body := tcRequestBytes(t, FilterRequest(Add, good))
	if want := nhTestAttr(unix.TCA_OPTIONS, flowerGolden[1].data); !bytes.Contains(body, want) {
		t.Errorf("request body %x lacks the options %x", body, want)
	}
}
