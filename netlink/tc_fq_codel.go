package netlink

import "strings"

// Attributes of fq_codel's TCA_OPTIONS (include/uapi/linux/pkt_sched.h
// TCA_FQ_CODEL_*).
const (
	tcaFqCodelTarget              = 1
	tcaFqCodelLimit               = 2
	tcaFqCodelInterval            = 3
	tcaFqCodelECN                 = 4
	tcaFqCodelFlows               = 5
	tcaFqCodelQuantum             = 6
	tcaFqCodelCEThreshold         = 7
	tcaFqCodelDropBatchSize       = 8
	tcaFqCodelMemoryLimit         = 9
	tcaFqCodelCEThresholdSelector = 10
	tcaFqCodelCEThresholdMask     = 11
)

// FqCodel are the options of the fq_codel qdisc (net/sched/sch_fq_codel.c;
// tc-fq_codel(8)). A nil field is not sent and keeps the kernel's default
// (or, in a change, the current value); the kernel reports all of them.
type FqCodel struct {
	// Limit is the queue limit in packets (TCA_FQ_CODEL_LIMIT; default
	// 10240).
	Limit *uint32
	// Flows is the number of flow buckets (TCA_FQ_CODEL_FLOWS; default
	// 1024); it can be set only when the qdisc is created.
	Flows *uint32
	// Quantum is the bytes a flow may dequeue per round
	// (TCA_FQ_CODEL_QUANTUM; default the link's MTU plus header).
	Quantum *uint32
	// Target is the acceptable queue delay in microseconds
	// (TCA_FQ_CODEL_TARGET; default 5000).
	Target *uint32
	// Interval is the delay window in microseconds
	// (TCA_FQ_CODEL_INTERVAL; default 100000).
	Interval *uint32
	// ECN is 1 to mark instead of drop (TCA_FQ_CODEL_ECN; default 1).
	ECN *uint32
	// CEThreshold is the delay in microseconds above which packets are
	// CE-marked (TCA_FQ_CODEL_CE_THRESHOLD); the kernel reports it only
	// when set.
	CEThreshold *uint32
	// CEThresholdSelector and CEThresholdMask limit the CE threshold to
	// packets whose DS field masked with Mask equals Selector
	// (TCA_FQ_CODEL_CE_THRESHOLD_SELECTOR, _MASK).
	CEThresholdSelector, CEThresholdMask *uint8
	// MemoryLimit is the memory limit in bytes
	// (TCA_FQ_CODEL_MEMORY_LIMIT; default 32 MiB).
	MemoryLimit *uint32
	// DropBatchSize is the most packets dropped at once
	// (TCA_FQ_CODEL_DROP_BATCH_SIZE; default 64).
	DropBatchSize *uint32
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// fields lists the attributes in tc's order (tc/q_fq_codel.c) for a
// request, else in the kernel's (fq_codel_dump).
func (o *FqCodel) fields(request bool) []tcField {
	if request {
		return []tcField{
			{tcaFqCodelLimit, &o.Limit}, {tcaFqCodelFlows, &o.Flows}, {tcaFqCodelQuantum, &o.Quantum},
			{tcaFqCodelInterval, &o.Interval}, {tcaFqCodelTarget, &o.Target}, {tcaFqCodelECN, &o.ECN},
			{tcaFqCodelCEThreshold, &o.CEThreshold}, {tcaFqCodelCEThresholdMask, &o.CEThresholdMask},
			{tcaFqCodelCEThresholdSelector, &o.CEThresholdSelector},
			{tcaFqCodelMemoryLimit, &o.MemoryLimit}, {tcaFqCodelDropBatchSize, &o.DropBatchSize},
		}
	}
	return []tcField{
		{tcaFqCodelTarget, &o.Target}, {tcaFqCodelLimit, &o.Limit}, {tcaFqCodelInterval, &o.Interval},
		{tcaFqCodelECN, &o.ECN}, {tcaFqCodelQuantum, &o.Quantum}, {tcaFqCodelDropBatchSize, &o.DropBatchSize},
		{tcaFqCodelMemoryLimit, &o.MemoryLimit}, {tcaFqCodelFlows, &o.Flows},
		{tcaFqCodelCEThreshold, &o.CEThreshold}, {tcaFqCodelCEThresholdSelector, &o.CEThresholdSelector},
		{tcaFqCodelCEThresholdMask, &o.CEThresholdMask},
	}
}

// TCKind implements TCOptions.
func (*FqCodel) TCKind() string { return "fq_codel" }
func (*FqCodel) qdiscOptions()  {}

func (o *FqCodel) decodeOptions(b []byte) error {
	return decodeTCFields(b, o.fields(false), &o.Unknown)
}

func (o *FqCodel) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	encodeTCFields(&e, o.fields(request), o.Unknown)
	return e.b, e.err
}

// validateOptions applies fq_codel_change's rules: flows from 1 to 65536,
// and only when the qdisc is created (a change with flows is EINVAL); a
// CE threshold mask only with a selector.
func (o *FqCodel) validateOptions(v Verb) error {
	switch {
	case o.Flows != nil && (*o.Flows == 0 || *o.Flows > 65536):
		return invalidf("fq_codel flows %d: want 1 to 65536", *o.Flows)
	case o.Flows != nil && v == Change:
		return invalidf("fq_codel flows can only be set when the qdisc is created")
	case (o.CEThresholdMask != nil) != (o.CEThresholdSelector != nil):
		return invalidf("fq_codel ce_threshold selector and mask go together")
	}
	return nil
}

// String returns the options in tc's words: "limit 10240p flows 1024
// quantum 1514 target 5000us interval 100000us ecn".
func (o *FqCodel) String() string {
	var s []string
	if o.Limit != nil {
		s = append(s, "limit "+itoa(*o.Limit)+"p")
	}
	tcOptFmt(&s, "flows", o.Flows)
	tcOptFmt(&s, "quantum", o.Quantum)
	if o.Target != nil {
		s = append(s, "target "+itoa(*o.Target)+"us")
	}
	if o.Interval != nil {
		s = append(s, "interval "+itoa(*o.Interval)+"us")
	}
	if o.CEThreshold != nil {
		s = append(s, "ce_threshold "+itoa(*o.CEThreshold)+"us")
	}
	tcOptFmt(&s, "memory_limit", o.MemoryLimit)
	tcOptFmt(&s, "drop_batch", o.DropBatchSize)
	if o.ECN != nil && *o.ECN != 0 {
		s = append(s, "ecn")
	}
	return strings.Join(s, " ")
}
