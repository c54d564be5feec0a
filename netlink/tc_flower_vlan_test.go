package netlink

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFlowerVlanProtocol: a flower filter with VLAN keys, as the kernel
// dumps it (protocol 802.1Q in tcm_info, the inner ethertype in
// TCA_FLOWER_KEY_ETH_TYPE), decodes with EthType 802.1Q and VlanEthType
// ip, encodes back to the same bytes, and makes the request tc makes
// (ETH_TYPE 802.1Q, VLAN_ETH_TYPE ip), which the kernel needs to keep the
// VLAN keys. Without VLAN_ETH_TYPE the kernel reports no ETH_TYPE at all.
func TestFlowerVlanProtocol(t *testing.T) {
	info := uint32(3)<<16 | uint32(htons(unix.ETH_P_8021Q))
	for _, tc := range []struct {
		name  string
		opts  []byte
		inner uint16
	}{
		{"vlan_id 10 vlan_ethtype ip", bytes2(
			nhTestAttr(tcaFlowerKeyEthType, tcBE16(unix.ETH_P_IP)),
			nhTestAttr(tcaFlowerKeyVlanID, tcU16(10)),
			nhTestAttr(tcaFlowerKeyVlanEthType, tcBE16(unix.ETH_P_IP)),
			nhTestAttr(tcaFlowerFlags, tcU32s(TCAClsFlagsNotInHW)),
		), unix.ETH_P_IP},
		{"vlan_id 10 alone", bytes2(
			nhTestAttr(tcaFlowerKeyVlanID, tcU16(10)),
			nhTestAttr(tcaFlowerFlags, tcU32s(TCAClsFlagsNotInHW)),
		), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := tcTestMsg(3, 1, 0xfffffff2, info, nhTestAttr(unix.TCA_KIND, tcTestStr("flower")),
				nhTestAttr(unix.TCA_CHAIN, nhTestU32(0)), nhTestAttr(unix.TCA_OPTIONS, tc.opts))
			u, err := DecodeUpdate(unix.RTM_NEWTFILTER, 0, msg)
			if err != nil {
				t.Fatal(err)
			}
			f := u.Object.(*Filter)
			o := f.Options.(*Flower)
			if o.EthType != unix.ETH_P_8021Q || o.VlanEthType != tc.inner || o.VlanID == nil || *o.VlanID != 10 {
				t.Fatalf("decoded %+v", o)
			}
			if b, err := f.marshal(); err != nil || !bytes.Equal(b, msg) {
				t.Fatalf("kernel form: %v\n got %x\nwant %x", err, b, msg)
			}
			req, err := o.encodeOptions(true)
			if err != nil {
				t.Fatal(err)
			}
			want := nhTestAttr(tcaFlowerKeyVlanID, tcU16(10))
			if tc.inner != 0 {
				want = append(want, nhTestAttr(tcaFlowerKeyVlanEthType, tcBE16(tc.inner))...)
			}
			want = append(want, nhTestAttr(tcaFlowerFlags, tcU32s(0))...) // not_in_hw is read-only: left out
			want = append(want, nhTestAttr(tcaFlowerKeyEthType, tcBE16(unix.ETH_P_8021Q))...)
			if !bytes.Equal(req, want) {
				t.Errorf("request\n got %x\nwant %x", req, want)
			}
			if err := o.validateOptions(Add); err != nil {
				t.Errorf("read back, the filter does not validate: %v", err)
			}
		})
	}
}

// TestClsFlagsReadOnly: flower and matchall filters read back with the
// kernel's not_in_hw or in_hw validate and leave those bits out of a
// request, as u32 and bpf do, so that they can be sent again as they are.
func TestClsFlagsReadOnly(t *testing.T) {
	for _, o := range []FilterOptions{
		&Flower{Flags: TCAClsFlagsSkipHW | TCAClsFlagsNotInHW},
		&Matchall{Flags: TCAClsFlagsSkipHW | TCAClsFlagsInHW},
	} {
		if err := o.validateOptions(Replace); err != nil {
			t.Errorf("%T: %v", o, err)
		}
		b, err := o.encodeOptions(true)
		if err != nil {
			t.Fatal(err)
		}
		typ := uint16(tcaFlowerFlags)
		if _, ok := o.(*Matchall); ok {
			typ = tcaMatchallFlags
		}
		if !bytes.Contains(b, nhTestAttr(typ, tcU32s(TCAClsFlagsSkipHW))) {
			t.Errorf("%T request %x: want flags skip_hw alone", o, b)
		}
	}
}
