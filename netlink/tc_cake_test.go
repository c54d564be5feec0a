package netlink

import (
	"encoding/binary"
	"reflect"
	"testing"
)

func tcU64Attr(typ uint16, v uint64) []byte {
	return nhTestAttr(typ, binary.NativeEndian.AppendUint64(nil, v))
}

var cakeGolden = []tcOptGolden{
	{
		name: "dump in cake_dump's order, raw overhead",
		data: bytes2(
			tcU64Attr(tcaCakeBaseRate64, 1250000),      // BASE_RATE64: 10mbit in bytes/s
			nhTestAttr(tcaCakeFlowMode, tcU32s(7)),     // FLOW_MODE: triple-isolate
			nhTestAttr(tcaCakeRTT, tcU32s(100000)),     // RTT: us
			nhTestAttr(tcaCakeTarget, tcU32s(5000)),    // TARGET: us
			nhTestAttr(tcaCakeMemory, tcU32s(0)),       // MEMORY: bytes, 0 automatic
			nhTestAttr(tcaCakeAutorate, tcU32s(0)),     // AUTORATE
			nhTestAttr(tcaCakeIngress, tcU32s(0)),      // INGRESS
			nhTestAttr(tcaCakeAckFilter, tcU32s(0)),    // ACK_FILTER: none
			nhTestAttr(tcaCakeNAT, tcU32s(0)),          // NAT
			nhTestAttr(tcaCakeDiffservMode, tcU32s(0)), // DIFFSERV_MODE: diffserv3
			nhTestAttr(tcaCakeWash, tcU32s(0)),         // WASH
			nhTestAttr(tcaCakeOverhead, tcU32s(0)),     // OVERHEAD: s32
			nhTestAttr(tcaCakeRaw, tcU32s(0)),          // RAW: present
			nhTestAttr(tcaCakeATM, tcU32s(0)),          // ATM: none
			nhTestAttr(tcaCakeMPU, tcU32s(0)),          // MPU
			nhTestAttr(tcaCakeSplitGSO, tcU32s(1)),     // SPLIT_GSO
			nhTestAttr(tcaCakeFwmark, tcU32s(0)),       // FWMARK mask
		),
		opts: &Cake{BaseRate: Ptr[uint64](1250000), FlowMode: Ptr[uint32](7), RTT: Ptr[uint32](100000),
			Target: Ptr[uint32](5000), Memory: Ptr[uint32](0), Autorate: Ptr[uint32](0), Ingress: Ptr[uint32](0),
			AckFilter: Ptr[uint32](0), NAT: Ptr[uint32](0), DiffservMode: Ptr[uint32](0), Wash: Ptr[uint32](0),
			Overhead: Ptr[int32](0), Raw: Ptr[uint32](0), ATM: Ptr[uint32](0), MPU: Ptr[uint32](0),
			SplitGSO: Ptr[uint32](1), Fwmark: Ptr[uint32](0)},
	},
	{
		name:    "tc qdisc add ... cake bandwidth 100mbit besteffort overhead -4 nat",
		request: true,
		data: bytes2(
			tcU64Attr(tcaCakeBaseRate64, 12500000),
			nhTestAttr(tcaCakeDiffservMode, tcU32s(3)),
			nhTestAttr(tcaCakeOverhead, tcU32s(uint32(0xfffffffc))), // -4 as s32
			nhTestAttr(tcaCakeNAT, tcU32s(1)),
		),
		opts: &Cake{BaseRate: Ptr[uint64](12500000), DiffservMode: Ptr[uint32](3), Overhead: Ptr[int32](-4),
			NAT: Ptr[uint32](1)},
	},
}

func TestCakeOptions(t *testing.T) {
	runTCOptGolden(t, cakeGolden)
	runTCOptMalformed(t, func() TCOptions { return new(Cake) }, map[string][]byte{
		"u32 base rate": nhTestAttr(tcaCakeBaseRate64, tcU32s(1)),
		"short nat":     nhTestAttr(tcaCakeNAT, tcU16(1)),
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"diffserv 5":   &Cake{DiffservMode: Ptr[uint32](5)},
		"flow mode 8":  &Cake{FlowMode: Ptr[uint32](8)},
		"atm 3":        &Cake{ATM: Ptr[uint32](3)},
		"ack filter 3": &Cake{AckFilter: Ptr[uint32](3)},
		"overhead -65": &Cake{Overhead: Ptr[int32](-65)},
		"overhead 257": &Cake{Overhead: Ptr[int32](257)},
	})
	if got, want := cakeGolden[1].opts.(*Cake).String(), "bandwidth 12500000Bps besteffort nat overhead -4"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestCakeStable: under autorate-ingress the bandwidth is the kernel's
// estimate and not a difference; without it, it is.
func TestCakeStable(t *testing.T) {
	mk := func(rate uint64, autorate uint32) *Qdisc {
		return &Qdisc{Index: 2, Handle: NewHandle(1, 0), Parent: HandleRoot, TCKind: "cake",
			Options: &Cake{BaseRate: Ptr(rate), Autorate: Ptr(autorate)}}
	}
	if a, b := mk(125000000, 1), mk(116729736, 1); !reflect.DeepEqual(a.Stable(), b.Stable()) {
		t.Error("autorate-ingress: the measured bandwidth counted as a difference")
	} else if *a.Options.(*Cake).BaseRate != 125000000 {
		t.Error("Stable changed its receiver")
	}
	if a, b := mk(125000000, 0), mk(116729736, 0); reflect.DeepEqual(a.Stable(), b.Stable()) {
		t.Error("without autorate-ingress the bandwidth did not count")
	}
}
