package netlink

import (
	"encoding/binary"
	"strings"
)

// Sizes of sfq's options (include/uapi/linux/pkt_sched.h).
const (
	tcSfqQoptLen   = 20 // sizeof(struct tc_sfq_qopt)
	tcSfqQoptV1Len = 72 // sizeof(struct tc_sfq_qopt_v1), stats included
)

// SfqRedStats are the RED counters of an sfq qdisc with redflowlimit
// (struct tc_sfqred_stats), in packets. The kernel reports them inside the
// options; they are volatile and left out by Stable.
type SfqRedStats struct {
	ProbDrop, ForcedDrop, ProbMark, ForcedMark, ProbMarkHead, ForcedMarkHead uint32
}

// Sfq are the options of the sfq qdisc (net/sched/sch_sfq.c; tc-sfq(8)):
// struct tc_sfq_qopt_v1 as the payload of TCA_OPTIONS, which is what tc
// sends and the kernel reports. A payload of only struct tc_sfq_qopt (the
// first five fields) is accepted and encodes again as the v1 struct. Zero
// fields leave the kernel's defaults (sfq_change ignores zeros).
type Sfq struct {
	// Quantum is the bytes per round and flow (default the link's MTU).
	Quantum uint32
	// PerturbPeriod is the hash perturbation period in seconds (tc's
	// "perturb"; 0 never).
	PerturbPeriod int32
	// Limit is the queue limit in packets (default 127).
	Limit uint32
	// Divisor is the number of hash buckets, a power of two up to 65536
	// (default 1024).
	Divisor uint32
	// Flows is the most flows (default 128).
	Flows uint32
	// Depth is the per-flow limit in packets (default 127).
	Depth uint32
	// Headdrop is 1 to drop from the head (tc's "headdrop").
	Headdrop uint32
	// RedLimit is the hard per-flow limit in bytes that turns on RED (tc's
	// "redflowlimit"; the struct's second limit field).
	RedLimit uint32
	// QthMin and QthMax are RED's thresholds in bytes (tc's "min",
	// "max").
	QthMin, QthMax uint32
	// Wlog, Plog and ScellLog are RED's EWMA, probability and idle-cell
	// logarithms; Flags are TC_RED_ECN (1), TC_RED_HARDDROP (2).
	Wlog, Plog, ScellLog, Flags uint8
	// MaxP is the RED mark probability scaled by 2^32.
	MaxP uint32
	// Stats are the RED counters; read-only and volatile.
	Stats SfqRedStats
}

// TCKind implements TCOptions.
func (*Sfq) TCKind() string { return "sfq" }
func (*Sfq) qdiscOptions()  {}

func (o *Sfq) decodeOptions(b []byte) error {
	if len(b) < tcSfqQoptLen {
		return malformedf("tc_sfq_qopt of %d bytes, want %d or %d", len(b), tcSfqQoptLen, tcSfqQoptV1Len)
	}
	o.Quantum, o.PerturbPeriod, o.Limit = u32At(b, 0), int32(u32At(b, 4)), u32At(b, 8)
	o.Divisor, o.Flows = u32At(b, 12), u32At(b, 16)
	if len(b) < tcSfqQoptV1Len {
		return nil
	}
	o.Depth, o.Headdrop, o.RedLimit, o.QthMin, o.QthMax = u32At(b, 20), u32At(b, 24), u32At(b, 28), u32At(b, 32), u32At(b, 36)
	o.Wlog, o.Plog, o.ScellLog, o.Flags = b[40], b[41], b[42], b[43]
	o.MaxP = u32At(b, 44)
	o.Stats = SfqRedStats{u32At(b, 48), u32At(b, 52), u32At(b, 56), u32At(b, 60), u32At(b, 64), u32At(b, 68)}
	return nil
}

// encodeOptions writes struct tc_sfq_qopt_v1; a request carries no
// statistics.
func (o *Sfq) encodeOptions(request bool) ([]byte, error) {
	b := make([]byte, 0, tcSfqQoptV1Len)
	for _, v := range []uint32{o.Quantum, uint32(o.PerturbPeriod), o.Limit, o.Divisor, o.Flows,
		o.Depth, o.Headdrop, o.RedLimit, o.QthMin, o.QthMax} {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	b = append(b, o.Wlog, o.Plog, o.ScellLog, o.Flags)
	b = binary.NativeEndian.AppendUint32(b, o.MaxP)
	st := o.Stats
	if request {
		st = SfqRedStats{}
	}
	for _, v := range []uint32{st.ProbDrop, st.ForcedDrop, st.ProbMark, st.ForcedMark, st.ProbMarkHead, st.ForcedMarkHead} {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b, nil
}

// validateOptions applies sfq_change's rules: a divisor that is a power of
// two up to 65536, a quantum below 2^31 ("invalid quantum"), a
// perturbation period not negative, a limit other than 1 ("invalid
// limit"), and RED thresholds in order (tc's: min below max, max not above
// redflowlimit).
func (o *Sfq) validateOptions(Verb) error {
	switch {
	case o.Divisor != 0 && (o.Divisor&(o.Divisor-1) != 0 || o.Divisor > 65536):
		return invalidf("sfq divisor %d: want a power of two up to 65536", o.Divisor)
	case int32(o.Quantum) < 0:
		return invalidf("sfq quantum %d: want below 2^31 bytes", o.Quantum)
	case o.PerturbPeriod < 0:
		return invalidf("sfq perturb %d: want 0 or more seconds", o.PerturbPeriod)
	case o.Limit == 1:
		return invalidf("sfq limit 1: want 0 (default) or at least 2 packets")
	case o.RedLimit != 0 && (o.QthMin >= o.QthMax || o.QthMax > o.RedLimit):
		return invalidf("sfq red thresholds min %d max %d redflowlimit %d: want min < max <= redflowlimit", o.QthMin, o.QthMax, o.RedLimit)
	}
	return nil
}

func (o *Sfq) stableOptions() TCOptions {
	c := *o
	c.Stats = SfqRedStats{}
	return &c
}

// String returns the options in tc's words: "limit 127p quantum 1514b
// depth 127 divisor 1024 perturb 10sec".
func (o *Sfq) String() string {
	s := []string{"limit " + itoa(o.Limit) + "p", "quantum " + itoa(o.Quantum) + "b",
		"depth " + itoa(o.Depth), "divisor " + itoa(o.Divisor)}
	if o.Headdrop != 0 {
		s = append(s, "headdrop")
	}
	if o.PerturbPeriod != 0 {
		s = append(s, "perturb "+itoa(uint32(o.PerturbPeriod))+"sec")
	}
	if o.RedLimit != 0 {
		s = append(s, "max "+itoa(o.QthMax)+"b", "min "+itoa(o.QthMin)+"b", "redflowlimit "+itoa(o.RedLimit)+"b")
	}
	return strings.Join(s, " ")
}
