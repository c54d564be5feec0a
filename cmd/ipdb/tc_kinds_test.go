package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

func ptr[T any](v T) *T { return &v }

// pct is tc's set_percent: a fraction scaled to UINT32_MAX.
func pct(f float64) uint32 { return uint32(math.RoundToEven(f * math.MaxUint32)) }

func qdiscOptionsJSON(o netlink.QdiscOptions, v tcView) string {
	j := newJSONOut(nil)
	j.openObject("")
	writeQdiscOptions(j, o, v)
	j.closeObject()
	return string(j.b)
}

// TestTCKindsJSON: the options of the kinds this host's kernel lacks in
// tc 6.1's JSON (the keys, values and order TestTCShowEveryKind checks
// against tc in the full-kernel guest), on objects built here.
func TestTCKindsJSON(t *testing.T) {
	for _, c := range []struct {
		name string
		o    netlink.QdiscOptions
		v    tcView
		want string
	}{
		{"netem", &netlink.Netem{Limit: 500, Delay: 100 * time.Millisecond, Jitter: 10 * time.Millisecond, DelayCorr: pct(0.25),
			Loss: pct(0.01), LossCorr: pct(0.3), Duplicate: pct(0.02), Reorder: pct(0.1), ReorderCorr: pct(0.5), Corrupt: pct(0.005),
			Rate: 125000, PacketOverhead: 20, CellSize: 100, CellOverhead: 5, Gap: 1}, tcView{},
			`{"limit":500,"delay":{"delay":0.1,"jitter":0.01,"correlation":0.25},"loss-random":{"loss":0.01,"correlation":0.3},` +
				`"duplicate":{"duplicate":0.02,"correlation":0},"reorder":{"reorder":0.1,"correlation":0.5},"corrupt":{"corrupt":0.005,"correlation":0},` +
				`"rate":{"rate":125000,"packetoverhead":20,"cellsize":100,"celloverhead":5},"ecn":false,"gap":1}`},
		{"netem slot", &netlink.Netem{Limit: 1000, LossGI: &netlink.NetemGI{P13: pct(0.01), P31: pct(0.1)},
			Slot: &netlink.NetemSlot{MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxPackets: 4, MaxBytes: 3000}}, tcView{},
			`{"limit":1000,"loss-state":{"p13":0.01,"p31":0.1,"p32":0,"p23":0,"p14":0},` +
				`"slot":{"min-delay":0.001,"max-delay":0.002,"packets":4,"bytes":3000},"ecn":false,"gap":0}`},
		{"fq", &netlink.Fq{Limit: ptr[uint32](1000), FlowLimit: ptr[uint32](50), BucketsLog: ptr[uint32](8), OrphanMask: ptr[uint32](511),
			RateEnable: ptr[uint32](0), Quantum: ptr[uint32](3028), InitialQuantum: ptr[uint32](15140), FlowMaxRate: ptr[uint32](1250000),
			FlowDefaultRate: ptr[uint32](0), LowRateThreshold: ptr[uint32](68750), FlowRefillDelay: ptr[uint32](52000),
			CEThreshold: ptr[uint32](5000), TimerSlack: ptr[uint32](20000), Horizon: ptr[uint32](5000000), HorizonDrop: ptr[uint8](1)}, tcView{},
			`{"limit":1000,"flow_limit":50,"buckets":256,"orphan_mask":511,"pacing":false,"quantum":3028,"initial_quantum":15140,` +
				`"maxrate":1250000,"low_rate_threshold":68750,"refill_delay":52000,"ce_threshold":5000,"timer_slack":20000,"horizon":5000000,"horizon_drop":null}`},
		{"prio", &netlink.Prio{Bands: 4, Priomap: [16]uint8{3, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}}, tcView{},
			`{"bands":4,"priomap":[3,2,2,2,1,2,0,0,1,1,1,1,1,1,1,1],"multiqueue":false}`},
		{"sfq", &netlink.Sfq{Limit: 100, Quantum: 1514, Depth: 64, Headdrop: 1, Flows: 128, Divisor: 512, PerturbPeriod: 10}, tcView{},
			`{"limit":100,"quantum":1514,"depth":64,"headdrop":true,"divisor":512,"perturb":10}`},
		{"sfq -d -s red", &netlink.Sfq{Limit: 200, Quantum: 1514, Depth: 127, Flows: 128, Divisor: 1024, QthMin: 8000, QthMax: 60000, Wlog: 2,
			MaxP: 858993459, Flags: 3, Stats: netlink.SfqRedStats{ProbDrop: 1}}, tcView{details: true, stats: true},
			`{"limit":200,"quantum":1514,"depth":127,"flows":128,"divisor":1024,"ewma":2,"min":8000,"max":60000,"probability":0.2,` +
				`"ecn":true,"harddrop":true,"adaptive":false,"nodrop":false,"prob_mark":0,"prob_mark_head":0,"prob_drop":1,"forced_mark":0,"forced_mark_head":0,"forced_drop":0}`},
		{"cake", &netlink.Cake{BaseRate: ptr[uint64](1250000), DiffservMode: ptr[uint32](1), FlowMode: ptr[uint32](6), NAT: ptr[uint32](1),
			Wash: ptr[uint32](1), AckFilter: ptr[uint32](1), SplitGSO: ptr[uint32](1), RTT: ptr[uint32](50000), ATM: ptr[uint32](1),
			Overhead: ptr[int32](18), MPU: ptr[uint32](64), Memory: ptr[uint32](1 << 20), Fwmark: ptr[uint32](0xff)}, tcView{},
			`{"bandwidth":1250000,"diffserv":"diffserv4","flowmode":"dual-dsthost","nat":true,"wash":true,"ingress":false,"ack-filter":"enabled",` +
				`"split_gso":true,"rtt":50000,"raw":false,"atm":"atm","overhead":18,"mpu":64,"memlimit":1048576,"fwmark":"0xff"}`},
		{"cake raw", &netlink.Cake{BaseRate: ptr[uint64](0), Autorate: ptr[uint32](1), Raw: ptr[uint32](0), Ingress: ptr[uint32](1), AckFilter: ptr[uint32](2)}, tcView{},
			`{"bandwidth":"unlimited","autorate":"autorate-ingress","nat":false,"wash":false,"ingress":true,"ack-filter":"aggressive",` +
				`"split_gso":false,"rtt":0,"raw":true,"overhead":0,"fwmark":"0"}`},
		{"tbf", &netlink.TBF{Rate: 125000, Buffer: 81920 * time.Microsecond, Limit: 16490, RateSpec: netlink.RateSpec{Linklayer: 1}}, tcView{},
			`{"rate":125000,"burst":10240,"lat":50000}`},
		{"tbf -d", &netlink.TBF{Rate: 125000, Buffer: 81920 * time.Microsecond, Limit: 16490, RateSpec: netlink.RateSpec{Linklayer: 1}}, tcView{details: true},
			`{"rate":125000,"burst":"10Kb/1","mpu":0,"lat":50000,"linklayer":"ethernet"}`},
	} {
		if got := qdiscOptionsJSON(c.o, c.v); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestTCFilterKindsJSON: flower, matchall and basic filters and the
// actions gact, mirred, police and bpf as tc -j filter show prints them.
func TestTCFilterKindsJSON(t *testing.T) {
	names := &linkNames{m: map[int]linkRef{5: {name: "v5"}}}
	bpfOp := make([]byte, 8)
	binary.NativeEndian.PutUint16(bpfOp, 6)
	binary.NativeEndian.PutUint32(bpfOp[4:], math.MaxUint32)
	gen := func(i uint32, a int32) netlink.TCActionGen {
		return netlink.TCActionGen{Index: i, Action: a, Refcnt: 1, Bindcnt: 1}
	}
	for _, c := range []struct {
		name string
		f    *netlink.Filter
		v    tcView
		want string
	}{
		{"flower", &netlink.Filter{Handle: 1, Options: &netlink.Flower{ClassID: netlink.Handle(0x10001), EthType: unix.ETH_P_IP,
			Dst: netip.MustParsePrefix("192.0.2.0/24"), Src: netip.MustParsePrefix("198.51.100.1/32"), IPProto: ptr[uint8](unix.IPPROTO_TCP),
			DstPort: ptr[uint16](80), SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, SrcMACMask: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			Flags:   netlink.TCClsFlagsSkipHW | netlink.TCClsFlagsNotInHW,
			Actions: netlink.TCActions{{Kind: "gact", Options: &netlink.Gact{TCActionGen: gen(1, netlink.TCActShot)}}}}}, tcView{},
			`{"handle":1,"classid":"1:1","keys":{"src_mac":"02:00:00:00:00:01","eth_type":"ipv4","ip_proto":"tcp","dst_ip":"192.0.2.0/24","src_ip":"198.51.100.1","dst_port":80},` +
				`"skip_hw":true,"not_in_hw":true,"actions":[{"order":1,"kind":"gact","control_action":{"type":"drop"},` +
				`"prob":{"random_type":"none","control_action":{"type":"pass"},"val":0},"index":1,"ref":1,"bind":1}]}`},
		{"flower vlan", &netlink.Filter{Handle: 3, Options: &netlink.Flower{EthType: unix.ETH_P_8021Q, VlanID: ptr[uint16](100), VlanPrio: ptr[uint8](3),
			VlanEthType: unix.ETH_P_IP, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMACMask: net.HardwareAddr{0xff, 0xff, 0xff, 0, 0, 0},
			Actions: netlink.TCActions{{Kind: "police", Options: &netlink.Police{Index: 1, Action: netlink.TCActShot, Conform: ptr[int32](netlink.TCActPipe),
				Rate: 125000, Burst: 1280000, MTU: 2040, RateSpec: netlink.RateSpec{Linklayer: 1}, Refcnt: 1, Bindcnt: 1}}}}}, tcView{details: true},
			`{"handle":3,"keys":{"vlan_id":100,"vlan_prio":3,"vlan_ethtype":"ip","dst_mac":"02:00:00:00:00:02/24","eth_type":"ipv4"},` +
				`"actions":[{"order":1,"kind":"police","index":1,"control_action":{"type":"drop"},"control_action":{"type":"pipe"},"overhead":0,"linklayer":"ethernet","ref":1,"bind":1}]}`},
		{"matchall", &netlink.Filter{Handle: 1, Options: &netlink.Matchall{ClassID: netlink.Handle(0x10002), Flags: netlink.TCClsFlagsSkipHW,
			Actions: netlink.TCActions{
				{Kind: "gact", Options: &netlink.Gact{TCActionGen: gen(2, netlink.TCActShot), Prob: &netlink.GactProb{Type: 2, Value: 10, Action: netlink.TCActOK}}},
				{Kind: "bpf", Options: &netlink.ActBPF{TCActionGen: gen(1, netlink.TCActPipe), Ops: bpfOp}, Cookie: []byte{0xab, 0x01}},
				{Kind: "mirred", Options: &netlink.Mirred{TCActionGen: gen(3, netlink.TCActStolen), Eaction: netlink.MirredEgressRedirect, Ifindex: 5}},
			}}}, tcView{},
			`{"handle":1,"flowid":"1:2","skip_hw":true,"actions":[` +
				`{"order":1,"kind":"gact","control_action":{"type":"drop"},"prob":{"random_type":"determ","control_action":{"type":"pass"},"val":10},"index":2,"ref":1,"bind":1},` +
				`{"order":2,"kind":"bpf","bytecode":{"length":1,"insns":[{"code":6,"jt":0,"jf":0,"k":4294967295}]},"control_action":{"type":"pipe"},"index":1,"ref":1,"bind":1,"cookie":"ab01"},` +
				`{"order":3,"kind":"mirred","mirred_action":"redirect","direction":"egress","to_dev":"v5","control_action":{"type":"stolen"},"index":3,"ref":1,"bind":1}]}`},
		{"basic", &netlink.Filter{Handle: 1, Options: &netlink.Basic{ClassID: netlink.Handle(0x10003),
			Police: &netlink.Police{Index: 2, Action: netlink.TCActShot, RateSpec: netlink.RateSpec{Linklayer: 1}, Refcnt: 1, Bindcnt: 1}}}, tcView{},
			`{"handle":"1","flowid":"1:3","kind":"police","index":2,"control_action":{"type":"drop"},"overhead":0,"ref":1,"bind":1}`},
		// bpf_print_opt (tc/f_bpf.c): the program, then the policer
		// attached the old way, then the actions.
		{"bpf police", &netlink.Filter{Handle: 1, Options: &netlink.BPFFilter{ClassID: netlink.Handle(0x10003),
			Ops: []netlink.BPFInstruction{{Code: 6, K: math.MaxUint32}}, GenFlags: netlink.TCClsFlagsNotInHW,
			Police: &netlink.Police{Index: 2, Action: netlink.TCActShot, RateSpec: netlink.RateSpec{Linklayer: 1}, Refcnt: 1, Bindcnt: 1}}}, tcView{},
			`{"handle":"0x1","flowid":"1:3","not_in_hw":true,"bytecode":{"length":1,"insns":[{"code":6,"jt":0,"jf":0,"k":4294967295}]},` +
				`"kind":"police","index":2,"control_action":{"type":"drop"},"overhead":0,"ref":1,"bind":1}`},
		{"bpf actions", &netlink.Filter{Handle: 2, Options: &netlink.BPFFilter{DirectAction: true, GenFlags: netlink.TCClsFlagsSkipHW,
			Ops: []netlink.BPFInstruction{{Code: 6}}, Actions: netlink.TCActions{
				{Kind: "gact", Options: &netlink.Gact{TCActionGen: gen(2, netlink.TCActShot)}},
				{Kind: "mirred", Options: &netlink.Mirred{TCActionGen: gen(3, netlink.TCActPipe), Eaction: netlink.MirredIngressMirror, Ifindex: 5}},
			}}}, tcView{},
			`{"handle":"0x2","direct-action":true,"skip_hw":true,"bytecode":{"length":1,"insns":[{"code":6,"jt":0,"jf":0,"k":0}]},"actions":[` +
				`{"order":1,"kind":"gact","control_action":{"type":"drop"},"prob":{"random_type":"none","control_action":{"type":"pass"},"val":0},"index":2,"ref":1,"bind":1},` +
				`{"order":2,"kind":"mirred","mirred_action":"mirror","direction":"ingress","to_dev":"v5","control_action":{"type":"pipe"},"index":3,"ref":1,"bind":1}]}`},
	} {
		j := newJSONOut(nil)
		j.openObject("")
		writeFilterOptions(j, c.f, names, c.v)
		j.closeObject()
		if got := string(j.b); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestTCStatsJSON: -s's keys from TCA_STATS2, and the kinds' own
// statistics; short or missing ones print nothing and never panic.
func TestTCStatsJSON(t *testing.T) {
	attr := func(typ uint16, p []byte) []byte {
		b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(p)))
		b = binary.NativeEndian.AppendUint16(b, typ)
		b = append(b, p...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	basic := append(binary.NativeEndian.AppendUint64(nil, 1000), binary.NativeEndian.AppendUint32(nil, 10)...)
	queue := make([]byte, 20)
	binary.NativeEndian.PutUint32(queue[8:], 2) // drops
	nest := append(attr(1, basic), attr(3, queue)...)
	s := &netlink.TCStats{Bytes: 1000, Packets: 10, Drops: 2, Attrs: []netlink.Attribute{{Type: unix.TCA_STATS2, Data: nest}}}
	j := newJSONOut(nil)
	j.openObject("")
	writeTCStats(j, s)
	j.closeObject()
	if want := `{"bytes":1000,"packets":10,"drops":2,"overlimits":0,"requeues":0,"backlog":0,"qlen":0}`; string(j.b) != want {
		t.Errorf("stats: %s, want %s", j.b, want)
	}
	// A TCA_STATS2 whose nested lengths lie, and xstats cut short.
	bad := &netlink.TCStats{Attrs: []netlink.Attribute{{Type: unix.TCA_STATS2, Data: []byte{200, 0, 1, 0, 1}}}}
	for _, kind := range []string{"fq_codel", "fq", "sfq", "htb", "cake"} {
		for n := 0; n < 120; n += 3 {
			j := newJSONOut(nil)
			j.openObject("")
			writeTCStats(j, bad)
			writeQdiscXstats(j, kind, make([]byte, n))
			j.closeObject()
			var w words
			qdiscXstatsWords(&w, kind, make([]byte, n))
			statsWords(&w, bad)
			var m map[string]any
			if err := json.Unmarshal(j.b, &m); err != nil {
				t.Errorf("%s xstats of %d bytes: %v: %s", kind, n, err, j.b)
			}
		}
	}
	if got := ematchText([]byte{8, 0, 2, 0, 255, 255}); got != "" {
		t.Errorf("ematch of garbage: %q", got)
	}
}
