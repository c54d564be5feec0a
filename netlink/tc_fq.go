package netlink

import "strings"

// Attributes of fq's TCA_OPTIONS (include/uapi/linux/pkt_sched.h
// TCA_FQ_*).
const (
	tcaFqPlimit           = 1
	tcaFqFlowPlimit       = 2
	tcaFqQuantum          = 3
	tcaFqInitialQuantum   = 4
	tcaFqRateEnable       = 5
	tcaFqFlowDefaultRate  = 6
	tcaFqFlowMaxRate      = 7
	tcaFqBucketsLog       = 8
	tcaFqFlowRefillDelay  = 9
	tcaFqOrphanMask       = 10
	tcaFqLowRateThreshold = 11
	tcaFqCEThreshold      = 12
	tcaFqTimerSlack       = 13
	tcaFqHorizon          = 14
	tcaFqHorizonDrop      = 15
	tcaFqPriomap          = 16
	tcaFqWeights          = 17
	tcaFqOffloadHorizon   = 18
)

// Fq are the options of the fq (fair queue) qdisc (net/sched/sch_fq.c;
// tc-fq(8)). A nil field is not sent and keeps the kernel's default (or,
// in a change, the current value). TCA_FQ_PRIOMAP (struct tc_prio_qopt)
// and TCA_FQ_WEIGHTS (three s32) are kept raw in Unknown.
type Fq struct {
	// Limit is the queue limit in packets (TCA_FQ_PLIMIT, tc's "limit";
	// default 10000).
	Limit *uint32
	// FlowLimit is the per-flow limit in packets (TCA_FQ_FLOW_PLIMIT;
	// default 100).
	FlowLimit *uint32
	// Quantum and InitialQuantum are the credits in bytes per round and
	// for a new flow (TCA_FQ_QUANTUM, TCA_FQ_INITIAL_QUANTUM).
	Quantum, InitialQuantum *uint32
	// RateEnable is 0 to disable pacing (TCA_FQ_RATE_ENABLE; default 1).
	RateEnable *uint32
	// FlowDefaultRate is obsolete (TCA_FQ_FLOW_DEFAULT_RATE); the kernel
	// ignores it.
	FlowDefaultRate *uint32
	// FlowMaxRate is the per-flow rate limit in bytes per second
	// (TCA_FQ_FLOW_MAX_RATE; 0xffffffff, the default, is unlimited).
	FlowMaxRate *uint32
	// BucketsLog is log2 of the number of flow buckets
	// (TCA_FQ_BUCKETS_LOG; 1 to 18, tc's "buckets" is 1<<BucketsLog).
	BucketsLog *uint32
	// FlowRefillDelay is the refill delay in microseconds
	// (TCA_FQ_FLOW_REFILL_DELAY).
	FlowRefillDelay *uint32
	// OrphanMask is the hash mask for orphaned packets
	// (TCA_FQ_ORPHAN_MASK; default 1023).
	OrphanMask *uint32
	// LowRateThreshold is in bytes per second
	// (TCA_FQ_LOW_RATE_THRESHOLD).
	LowRateThreshold *uint32
	// CEThreshold is the CE-marking delay threshold in microseconds
	// (TCA_FQ_CE_THRESHOLD).
	CEThreshold *uint32
	// TimerSlack is in nanoseconds (TCA_FQ_TIMER_SLACK).
	TimerSlack *uint32
	// Horizon is in microseconds (TCA_FQ_HORIZON); HorizonDrop is 1 to
	// drop packets beyond it, 0 to cap their time (TCA_FQ_HORIZON_DROP).
	Horizon     *uint32
	HorizonDrop *uint8
	// OffloadHorizon is in microseconds (TCA_FQ_OFFLOAD_HORIZON).
	OffloadHorizon *uint32
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// fields lists the attributes in tc's order (tc/q_fq.c fq_parse_opt) for
// a request, else in the kernel's (fq_dump).
func (o *Fq) fields(request bool) []tcField {
	if request {
		return []tcField{
			{tcaFqBucketsLog, &o.BucketsLog}, {tcaFqPlimit, &o.Limit}, {tcaFqFlowPlimit, &o.FlowLimit},
			{tcaFqQuantum, &o.Quantum}, {tcaFqInitialQuantum, &o.InitialQuantum},
			{tcaFqRateEnable, &o.RateEnable}, {tcaFqFlowMaxRate, &o.FlowMaxRate},
			{tcaFqLowRateThreshold, &o.LowRateThreshold}, {tcaFqFlowDefaultRate, &o.FlowDefaultRate},
			{tcaFqFlowRefillDelay, &o.FlowRefillDelay}, {tcaFqOrphanMask, &o.OrphanMask},
			{tcaFqCEThreshold, &o.CEThreshold}, {tcaFqTimerSlack, &o.TimerSlack},
			{tcaFqHorizon, &o.Horizon}, {tcaFqHorizonDrop, &o.HorizonDrop},
			{tcaFqOffloadHorizon, &o.OffloadHorizon},
		}
	}
	return []tcField{
		{tcaFqPlimit, &o.Limit}, {tcaFqFlowPlimit, &o.FlowLimit}, {tcaFqQuantum, &o.Quantum},
		{tcaFqInitialQuantum, &o.InitialQuantum}, {tcaFqRateEnable, &o.RateEnable},
		{tcaFqFlowDefaultRate, &o.FlowDefaultRate}, {tcaFqFlowMaxRate, &o.FlowMaxRate},
		{tcaFqFlowRefillDelay, &o.FlowRefillDelay}, {tcaFqOrphanMask, &o.OrphanMask},
		{tcaFqLowRateThreshold, &o.LowRateThreshold}, {tcaFqCEThreshold, &o.CEThreshold},
		{tcaFqBucketsLog, &o.BucketsLog}, {tcaFqTimerSlack, &o.TimerSlack},
		{tcaFqHorizon, &o.Horizon}, {tcaFqHorizonDrop, &o.HorizonDrop},
		{tcaFqOffloadHorizon, &o.OffloadHorizon},
	}
}

// TCKind implements TCOptions.
func (*Fq) TCKind() string { return "fq" }
func (*Fq) qdiscOptions()  {}

func (o *Fq) decodeOptions(b []byte) error { return decodeTCFields(b, o.fields(false), &o.Unknown) }

func (o *Fq) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	encodeTCFields(&e, o.fields(request), o.Unknown)
	return e.b, e.err
}

// validateOptions applies fq_change's rules: buckets_log from 1 to 18
// (fq_log fits ilog2(256K)), a quantum from 1 to 2^20 bytes ("invalid
// quantum").
func (o *Fq) validateOptions(Verb) error {
	switch {
	case o.BucketsLog != nil && (*o.BucketsLog < 1 || *o.BucketsLog > 18):
		return invalidf("fq buckets_log %d: want 1 to 18 (2 to 262144 buckets)", *o.BucketsLog)
	case o.Quantum != nil && (*o.Quantum == 0 || *o.Quantum > 1<<20):
		return invalidf("fq quantum %d: want 1 to 1048576 bytes", *o.Quantum)
	}
	return nil
}

// String returns the options in tc's words: "limit 10000p flow_limit 100p
// buckets 1024 quantum 3028 initial_quantum 15140".
func (o *Fq) String() string {
	var s []string
	if o.Limit != nil {
		s = append(s, "limit "+itoa(*o.Limit)+"p")
	}
	if o.FlowLimit != nil {
		s = append(s, "flow_limit "+itoa(*o.FlowLimit)+"p")
	}
	if o.BucketsLog != nil && *o.BucketsLog < 32 {
		s = append(s, "buckets "+itoa(uint32(1)<<*o.BucketsLog))
	}
	tcOptFmt(&s, "orphan_mask", o.OrphanMask)
	if o.RateEnable != nil && *o.RateEnable == 0 {
		s = append(s, "nopacing")
	}
	tcOptFmt(&s, "quantum", o.Quantum)
	tcOptFmt(&s, "initial_quantum", o.InitialQuantum)
	if o.FlowMaxRate != nil && *o.FlowMaxRate != ^uint32(0) {
		s = append(s, "maxrate "+itoa(*o.FlowMaxRate)+"Bps")
	}
	if o.CEThreshold != nil {
		s = append(s, "ce_threshold "+itoa(*o.CEThreshold)+"us")
	}
	if o.Horizon != nil {
		s = append(s, "horizon "+itoa(*o.Horizon)+"us")
	}
	return strings.Join(s, " ")
}
