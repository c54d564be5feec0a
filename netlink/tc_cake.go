package netlink

import "strings"

// Attributes of cake's TCA_OPTIONS (include/uapi/linux/pkt_sched.h
// TCA_CAKE_*).
const (
	tcaCakePad          = 1
	tcaCakeBaseRate64   = 2
	tcaCakeDiffservMode = 3
	tcaCakeATM          = 4
	tcaCakeFlowMode     = 5
	tcaCakeOverhead     = 6
	tcaCakeRTT          = 7
	tcaCakeTarget       = 8
	tcaCakeAutorate     = 9
	tcaCakeMemory       = 10
	tcaCakeNAT          = 11
	tcaCakeRaw          = 12
	tcaCakeWash         = 13
	tcaCakeMPU          = 14
	tcaCakeIngress      = 15
	tcaCakeAckFilter    = 16
	tcaCakeSplitGSO     = 17
	tcaCakeFwmark       = 18
)

// Limits of cake's enumerations (CAKE_DIFFSERV_MAX, CAKE_FLOW_MAX,
// CAKE_ATM_MAX, CAKE_ACK_MAX in pkt_sched.h).
const (
	cakeDiffservMax = 5
	cakeFlowMax     = 8
	cakeATMMax      = 3
	cakeAckMax      = 3
)

// Cake are the options of the cake qdisc (net/sched/sch_cake.c;
// tc-cake(8)). A nil field is not sent and keeps the kernel's default (or
// the current value in a change); the kernel reports all of them.
type Cake struct {
	// BaseRate is the shaped rate in bytes per second
	// (TCA_CAKE_BASE_RATE64); 0 is unlimited. Under autorate-ingress it
	// is the kernel's estimate from the traffic received, which it
	// changes with no notification (sch_cake.c's cake_enqueue): Stable
	// leaves it out, so a cache holds a value read earlier (a change of
	// the bandwidth alone is no event), and txn does not compare it.
	BaseRate *uint64
	// DiffservMode is CAKE_DIFFSERV_*: 0 diffserv3, 1 diffserv4, 2
	// diffserv8, 3 besteffort, 4 precedence (TCA_CAKE_DIFFSERV_MODE).
	DiffservMode *uint32
	// ATM is CAKE_ATM_*: 0 none, 1 atm, 2 ptm (TCA_CAKE_ATM).
	ATM *uint32
	// FlowMode is CAKE_FLOW_*: 0 flowblind, 1 srchost, 2 dsthost, 3
	// hosts, 4 flows, 5 dual-srchost, 6 dual-dsthost, 7 triple-isolate
	// (TCA_CAKE_FLOW_MODE).
	FlowMode *uint32
	// Overhead is the per-packet overhead in bytes, -64 to 256
	// (TCA_CAKE_OVERHEAD).
	Overhead *int32
	// Raw is present (tc sends 0) for "raw": no overhead compensation
	// (TCA_CAKE_RAW; only its presence counts).
	Raw *uint32
	// MPU is the minimum packet size in bytes (TCA_CAKE_MPU).
	MPU *uint32
	// RTT is the round-trip time in microseconds (TCA_CAKE_RTT).
	RTT *uint32
	// Target is the delay target in microseconds (TCA_CAKE_TARGET).
	Target *uint32
	// Autorate is 1 for autorate-ingress (TCA_CAKE_AUTORATE).
	Autorate *uint32
	// Memory is the memory limit in bytes (TCA_CAKE_MEMORY).
	Memory *uint32
	// Fwmark is the firewall mark mask for tins (TCA_CAKE_FWMARK).
	Fwmark *uint32
	// NAT, Wash, SplitGSO and Ingress are 1 or 0 (TCA_CAKE_NAT, _WASH,
	// _SPLIT_GSO, _INGRESS).
	NAT, Wash, SplitGSO, Ingress *uint32
	// AckFilter is CAKE_ACK_*: 0 none, 1 filter, 2 aggressive
	// (TCA_CAKE_ACK_FILTER).
	AckFilter *uint32
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// fields lists the attributes in tc's order (tc/q_cake.c cake_parse_opt)
// for a request, else in the kernel's (cake_dump).
func (o *Cake) fields(request bool) []tcField {
	if request {
		return []tcField{
			{tcaCakeBaseRate64, &o.BaseRate}, {tcaCakeDiffservMode, &o.DiffservMode}, {tcaCakeATM, &o.ATM},
			{tcaCakeFlowMode, &o.FlowMode}, {tcaCakeOverhead, &o.Overhead}, {tcaCakeRaw, &o.Raw},
			{tcaCakeMPU, &o.MPU}, {tcaCakeRTT, &o.RTT}, {tcaCakeTarget, &o.Target},
			{tcaCakeAutorate, &o.Autorate}, {tcaCakeMemory, &o.Memory}, {tcaCakeFwmark, &o.Fwmark},
			{tcaCakeNAT, &o.NAT}, {tcaCakeWash, &o.Wash}, {tcaCakeSplitGSO, &o.SplitGSO},
			{tcaCakeIngress, &o.Ingress}, {tcaCakeAckFilter, &o.AckFilter},
		}
	}
	return []tcField{
		{tcaCakeBaseRate64, &o.BaseRate}, {tcaCakeFlowMode, &o.FlowMode}, {tcaCakeRTT, &o.RTT},
		{tcaCakeTarget, &o.Target}, {tcaCakeMemory, &o.Memory}, {tcaCakeAutorate, &o.Autorate},
		{tcaCakeIngress, &o.Ingress}, {tcaCakeAckFilter, &o.AckFilter}, {tcaCakeNAT, &o.NAT},
		{tcaCakeDiffservMode, &o.DiffservMode}, {tcaCakeWash, &o.Wash}, {tcaCakeOverhead, &o.Overhead},
		{tcaCakeRaw, &o.Raw}, {tcaCakeATM, &o.ATM}, {tcaCakeMPU, &o.MPU}, {tcaCakeSplitGSO, &o.SplitGSO},
		{tcaCakeFwmark, &o.Fwmark},
	}
}

// TCKind implements TCOptions.
func (*Cake) TCKind() string { return "cake" }
func (*Cake) qdiscOptions()  {}

func (o *Cake) decodeOptions(b []byte) error { return decodeTCFields(b, o.fields(false), &o.Unknown) }

func (o *Cake) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	encodeTCFields(&e, o.fields(request), o.Unknown)
	return e.b, e.err
}

// validateOptions refuses values outside the uapi enumerations (below
// their _MAX) and an overhead outside -64 to 256 bytes, the range tc
// accepts (tc/q_cake.c); the kernel would fold an unknown mode into a
// default instead of failing.
func (o *Cake) validateOptions(Verb) error {
	switch {
	case o.DiffservMode != nil && *o.DiffservMode >= cakeDiffservMax:
		return invalidf("cake diffserv mode %d: want 0 to %d", *o.DiffservMode, cakeDiffservMax-1)
	case o.FlowMode != nil && *o.FlowMode >= cakeFlowMax:
		return invalidf("cake flow mode %d: want 0 to %d", *o.FlowMode, cakeFlowMax-1)
	case o.ATM != nil && *o.ATM >= cakeATMMax:
		return invalidf("cake atm mode %d: want 0 (none), 1 (atm) or 2 (ptm)", *o.ATM)
	case o.AckFilter != nil && *o.AckFilter >= cakeAckMax:
		return invalidf("cake ack filter %d: want 0, 1 or 2", *o.AckFilter)
	case o.Overhead != nil && (*o.Overhead < -64 || *o.Overhead > 256):
		return invalidf("cake overhead %d: want -64 to 256 bytes", *o.Overhead)
	}
	return nil
}

var cakeDiffservWords = []string{"diffserv3", "diffserv4", "diffserv8", "besteffort", "precedence"}
var cakeFlowWords = []string{"flowblind", "srchost", "dsthost", "hosts", "flows", "dual-srchost", "dual-dsthost", "triple-isolate"}

// stableOptions drops the bandwidth under autorate-ingress, the
// kernel's running estimate (see BaseRate).
func (o *Cake) stableOptions() TCOptions {
	if o == nil || o.Autorate == nil || *o.Autorate != 1 || o.BaseRate == nil {
		return o
	}
	c := *o
	c.BaseRate = nil
	return &c
}

// String returns the options in tc's words: "bandwidth 1250000Bps
// diffserv3 triple-isolate rtt 100000us overhead 0".
func (o *Cake) String() string {
	var s []string
	if o.BaseRate != nil {
		if *o.BaseRate == 0 {
			s = append(s, "bandwidth unlimited")
		} else {
			s = append(s, "bandwidth "+itoa(*o.BaseRate)+"Bps")
		}
	}
	if o.DiffservMode != nil && int(*o.DiffservMode) < len(cakeDiffservWords) {
		s = append(s, cakeDiffservWords[*o.DiffservMode])
	}
	if o.FlowMode != nil && int(*o.FlowMode) < len(cakeFlowWords) {
		s = append(s, cakeFlowWords[*o.FlowMode])
	}
	if o.NAT != nil && *o.NAT != 0 {
		s = append(s, "nat")
	}
	if o.Wash != nil && *o.Wash != 0 {
		s = append(s, "wash")
	}
	if o.Ingress != nil && *o.Ingress != 0 {
		s = append(s, "ingress")
	}
	if o.RTT != nil {
		s = append(s, "rtt "+itoa(*o.RTT)+"us")
	}
	if o.Raw != nil {
		s = append(s, "raw")
	}
	tcOptFmt(&s, "overhead", o.Overhead)
	tcOptFmt(&s, "mpu", o.MPU)
	return strings.Join(s, " ")
}
