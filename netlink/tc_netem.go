package netlink

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// Sizes and attributes of netem's options (include/uapi/linux/pkt_sched.h).
const (
	tcNetemQoptLen = 24 // struct tc_netem_qopt: latency, limit, loss, gap, duplicate, jitter (__u32)

	tcaNetemCorr      = 1  // struct tc_netem_corr: 3 x __u32
	tcaNetemDelayDist = 2  // __s16[]
	tcaNetemReorder   = 3  // struct tc_netem_reorder: 2 x __u32
	tcaNetemCorrupt   = 4  // struct tc_netem_corrupt: 2 x __u32
	tcaNetemLoss      = 5  // nested NETEM_LOSS_GI / NETEM_LOSS_GE
	tcaNetemRate      = 6  // struct tc_netem_rate: __u32, __s32, __u32, __s32
	tcaNetemECN       = 7  // __u32
	tcaNetemRate64    = 8  // __u64 bytes/s
	tcaNetemPad       = 9  // padding
	tcaNetemLatency64 = 10 // __s64 ns
	tcaNetemJitter64  = 11 // __s64 ns
	tcaNetemSlot      = 12 // struct tc_netem_slot: 2 x __s64, 2 x __s32, 2 x __s64
	tcaNetemSlotDist  = 13 // __s16[]
	tcaNetemPRNGSeed  = 14 // __u64

	netemLossGI = 1 // NETEM_LOSS_GI: struct tc_netem_gimodel, 5 x __u32
	netemLossGE = 2 // NETEM_LOSS_GE: struct tc_netem_gemodel, 4 x __u32

	tcNetemSlotLen = 40
)

// NetemGI is the 4-state loss model (struct tc_netem_gimodel; tc's "loss
// state p13 p31 p32 p23 p14"), probabilities scaled so that 0xffffffff is
// 100%.
type NetemGI struct{ P13, P31, P32, P14, P23 uint32 }

// NetemGE is the Gilbert-Elliott loss model (struct tc_netem_gemodel;
// tc's "loss gemodel p r 1-h 1-k"), probabilities scaled likewise.
type NetemGE struct{ P, R, H, K1 uint32 }

// NetemSlot is netem's slotting (struct tc_netem_slot; tc's "slot").
type NetemSlot struct {
	// MinDelay and MaxDelay bound the slot interval; DistDelay and
	// DistJitter replace them with a distribution.
	MinDelay, MaxDelay, DistDelay, DistJitter time.Duration
	// MaxPackets and MaxBytes limit a slot; 0 is unlimited (the kernel
	// stores INT_MAX and reports 0).
	MaxPackets, MaxBytes int32
}

// Netem are the options of the netem qdisc (net/sched/sch_netem.c;
// tc-netem(8)): struct tc_netem_qopt as the head of TCA_OPTIONS, then
// attributes (nla_parse_nested_compat). Probabilities (Loss, Duplicate,
// the correlations...) are scaled so that 0xffffffff is 100%, as tc's
// get_percent writes them.
type Netem struct {
	// Delay and Jitter are the added delay and its random variation
	// (TCA_NETEM_LATENCY64, TCA_NETEM_JITTER64, in ns; the struct's
	// latency and jitter hold them in 64 ns ticks, capped at 2^32-1, and
	// are read only when the 64-bit attributes are missing).
	Delay, Jitter time.Duration
	// Limit is the queue limit in packets (tc's default 1000, used when a
	// request leaves it 0).
	Limit uint32
	// Loss and Duplicate are the random loss and duplication
	// probabilities; Gap is the reordering gap in packets.
	Loss, Duplicate, Gap uint32
	// DelayCorr, LossCorr and DupCorr are the correlations
	// (TCA_NETEM_CORR).
	DelayCorr, LossCorr, DupCorr uint32
	// Reorder and ReorderCorr are the reordering probability and its
	// correlation (TCA_NETEM_REORDER).
	Reorder, ReorderCorr uint32
	// Corrupt and CorruptCorr are the corruption probability and its
	// correlation (TCA_NETEM_CORRUPT).
	Corrupt, CorruptCorr uint32
	// Rate is the rate limit in bytes per second (TCA_NETEM_RATE, and
	// TCA_NETEM_RATE64 from 2^32 on); PacketOverhead, CellSize and
	// CellOverhead go with it (struct tc_netem_rate).
	Rate                         uint64
	PacketOverhead, CellOverhead int32
	CellSize                     uint32
	// ECN marks instead of dropping (TCA_NETEM_ECN); tc asks for a loss
	// with it.
	ECN bool
	// LossGI and LossGE are the loss models (TCA_NETEM_LOSS); at most one.
	LossGI *NetemGI
	LossGE *NetemGE
	// Slot is the slotting configuration (TCA_NETEM_SLOT).
	Slot *NetemSlot
	// PRNGSeed is the seed of netem's generator (TCA_NETEM_PRNG_SEED);
	// the kernel reports the one it chose.
	PRNGSeed *uint64
	// DelayDist and SlotDist are distribution tables (TCA_NETEM_DELAY_DIST,
	// TCA_NETEM_SLOT_DIST; tc's "distribution", read from a file); the
	// kernel does not report them.
	DelayDist, SlotDist []int16
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*Netem) TCKind() string { return "netem" }
func (*Netem) qdiscOptions()  {}

// netemTicks is netem_dump's min(PSCHED_NS2TICKS(d), UINT_MAX).
func netemTicks(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	t, ok := durationToTicks(d)
	if !ok {
		return math.MaxUint32
	}
	return t
}

func (o *Netem) decodeOptions(b []byte) error {
	if len(b) < tcNetemQoptLen {
		return malformedf("tc_netem_qopt of %d bytes, want %d", len(b), tcNetemQoptLen)
	}
	o.Delay = ticksToDuration(u32At(b, 0))
	o.Limit, o.Loss, o.Gap, o.Duplicate = u32At(b, 4), u32At(b, 8), u32At(b, 12), u32At(b, 16)
	o.Jitter = ticksToDuration(u32At(b, 20))
	var rate64 *uint64
	size := func(p []byte, n int, what string) error {
		if len(p) != n {
			return malformedf("netem %s of %d bytes, want %d", what, len(p), n)
		}
		return nil
	}
	d := newAttrDecoder(b[tcNetemQoptLen:])
	for d.Next() {
		p := d.Data()
		var err error
		switch d.Type() {
		case tcaNetemLatency64, tcaNetemJitter64:
			if err = size(p, 8, "latency"); err == nil {
				if d.Type() == tcaNetemLatency64 {
					o.Delay = time.Duration(u64At(p, 0))
				} else {
					o.Jitter = time.Duration(u64At(p, 0))
				}
			}
		case tcaNetemCorr:
			if err = size(p, 12, "correlation"); err == nil {
				o.DelayCorr, o.LossCorr, o.DupCorr = u32At(p, 0), u32At(p, 4), u32At(p, 8)
			}
		case tcaNetemReorder:
			if err = size(p, 8, "reorder"); err == nil {
				o.Reorder, o.ReorderCorr = u32At(p, 0), u32At(p, 4)
			}
		case tcaNetemCorrupt:
			if err = size(p, 8, "corrupt"); err == nil {
				o.Corrupt, o.CorruptCorr = u32At(p, 0), u32At(p, 4)
			}
		case tcaNetemRate:
			if err = size(p, 16, "rate"); err == nil {
				if rate64 == nil {
					o.Rate = uint64(u32At(p, 0))
				}
				o.PacketOverhead, o.CellSize, o.CellOverhead = int32(u32At(p, 4)), u32At(p, 8), int32(u32At(p, 12))
			}
		case tcaNetemRate64:
			if err = size(p, 8, "rate64"); err == nil {
				v := u64At(p, 0)
				rate64, o.Rate = &v, v
			}
		case tcaNetemECN:
			if err = size(p, 4, "ecn"); err == nil {
				o.ECN = u32At(p, 0) != 0
			}
		case tcaNetemPRNGSeed:
			if err = size(p, 8, "prng seed"); err == nil {
				o.PRNGSeed = Ptr(u64At(p, 0))
			}
		case tcaNetemSlot:
			if err = size(p, tcNetemSlotLen, "slot"); err == nil {
				o.Slot = &NetemSlot{MinDelay: time.Duration(u64At(p, 0)), MaxDelay: time.Duration(u64At(p, 8)),
					MaxPackets: int32(u32At(p, 16)), MaxBytes: int32(u32At(p, 20)),
					DistDelay: time.Duration(u64At(p, 24)), DistJitter: time.Duration(u64At(p, 32))}
			}
		case tcaNetemLoss:
			err = o.decodeLoss(p)
		case tcaNetemDelayDist, tcaNetemSlotDist:
			if len(p)%2 != 0 {
				err = malformedf("netem distribution of %d bytes, not a list of s16", len(p))
				break
			}
			dist := make([]int16, len(p)/2)
			for i := range dist {
				dist[i] = int16(u16At(p, 2*i))
			}
			if d.Type() == tcaNetemDelayDist {
				o.DelayDist = dist
			} else {
				o.SlotDist = dist
			}
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
		if err != nil {
			return err
		}
	}
	return d.Err()
}

func (o *Netem) decodeLoss(b []byte) error {
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		switch d.Type() {
		case netemLossGI:
			if len(p) != 20 {
				return malformedf("netem gimodel of %d bytes, want 20", len(p))
			}
			o.LossGI = &NetemGI{u32At(p, 0), u32At(p, 4), u32At(p, 8), u32At(p, 12), u32At(p, 16)}
		case netemLossGE:
			if len(p) != 16 {
				return malformedf("netem gemodel of %d bytes, want 16", len(p))
			}
			o.LossGE = &NetemGE{u32At(p, 0), u32At(p, 4), u32At(p, 8), u32At(p, 12)}
		default:
			return malformedf("netem loss model %d", d.Type())
		}
	}
	return d.Err()
}

func appendU32s(b []byte, vs ...uint32) []byte {
	for _, v := range vs {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

func appendU64Attr(e *attrEncoder, typ uint16, v uint64) {
	e.Bytes(typ, binary.NativeEndian.AppendUint64(make([]byte, 0, 8), v))
}

// encodeOptions writes the options as tc sends them (tc/q_netem.c
// netem_parse_opt: the struct with latency and jitter 0, then only the
// attributes given, in its order) for a request, else as netem_dump
// reports them (the struct with ticks, LATENCY64, JITTER64, CORR,
// REORDER, CORRUPT, RATE64 from 2^32, RATE, ECN when set, LOSS, SLOT,
// PRNG_SEED).
func (o *Netem) encodeOptions(request bool) ([]byte, error) {
	limit, lat, jit := o.Limit, netemTicks(o.Delay), netemTicks(o.Jitter)
	if request {
		lat, jit = 0, 0
		if limit == 0 {
			limit = 1000
		}
	}
	e := attrEncoder{b: appendU32s(make([]byte, 0, 128), lat, limit, o.Loss, o.Gap, o.Duplicate, jit)}
	corr := appendU32s(nil, o.DelayCorr, o.LossCorr, o.DupCorr)
	reorder := appendU32s(nil, o.Reorder, o.ReorderCorr)
	corrupt := appendU32s(nil, o.Corrupt, o.CorruptCorr)
	rate32 := uint32(o.Rate)
	if o.Rate >= 1<<32 {
		rate32 = ^uint32(0)
	}
	rate := appendU32s(nil, rate32, uint32(o.PacketOverhead), o.CellSize, uint32(o.CellOverhead))
	hasRate := o.Rate != 0 || o.PacketOverhead != 0 || o.CellSize != 0 || o.CellOverhead != 0
	loss := func() {
		if o.LossGI == nil && o.LossGE == nil {
			return
		}
		n := e.Nest(tcaNetemLoss | attrNested)
		if g := o.LossGI; g != nil {
			e.Bytes(netemLossGI, appendU32s(nil, g.P13, g.P31, g.P32, g.P14, g.P23))
		} else {
			g := o.LossGE
			e.Bytes(netemLossGE, appendU32s(nil, g.P, g.R, g.H, g.K1))
		}
		e.End(n)
	}
	slot := func() {
		if s := o.Slot; s != nil {
			p := binary.NativeEndian.AppendUint64(nil, uint64(s.MinDelay))
			p = binary.NativeEndian.AppendUint64(p, uint64(s.MaxDelay))
			p = appendU32s(p, uint32(s.MaxPackets), uint32(s.MaxBytes))
			p = binary.NativeEndian.AppendUint64(p, uint64(s.DistDelay))
			p = binary.NativeEndian.AppendUint64(p, uint64(s.DistJitter))
			e.Bytes(tcaNetemSlot, p)
		}
	}
	rateAttrs := func() {
		if o.Rate >= 1<<32 {
			appendU64Attr(&e, tcaNetemRate64, o.Rate)
		}
		e.Bytes(tcaNetemRate, rate)
	}
	if request {
		if o.Delay != 0 {
			appendU64Attr(&e, tcaNetemLatency64, uint64(o.Delay))
		}
		if o.Jitter != 0 {
			appendU64Attr(&e, tcaNetemJitter64, uint64(o.Jitter))
		}
		if o.DelayCorr != 0 || o.LossCorr != 0 || o.DupCorr != 0 {
			e.Bytes(tcaNetemCorr, corr)
		}
		if o.Reorder != 0 || o.ReorderCorr != 0 {
			e.Bytes(tcaNetemReorder, reorder)
		}
		if o.ECN {
			e.Uint32(tcaNetemECN, 1)
		}
		if o.Corrupt != 0 || o.CorruptCorr != 0 {
			e.Bytes(tcaNetemCorrupt, corrupt)
		}
		slot()
		loss()
		if hasRate {
			rateAttrs()
		}
		if o.PRNGSeed != nil {
			appendU64Attr(&e, tcaNetemPRNGSeed, *o.PRNGSeed)
		}
	} else {
		appendU64Attr(&e, tcaNetemLatency64, uint64(o.Delay))
		appendU64Attr(&e, tcaNetemJitter64, uint64(o.Jitter))
		e.Bytes(tcaNetemCorr, corr)
		e.Bytes(tcaNetemReorder, reorder)
		e.Bytes(tcaNetemCorrupt, corrupt)
		rateAttrs()
		if o.ECN {
			e.Uint32(tcaNetemECN, 1)
		}
		loss()
		slot()
		if o.PRNGSeed != nil {
			appendU64Attr(&e, tcaNetemPRNGSeed, *o.PRNGSeed)
		}
	}
	for _, dist := range []struct {
		typ uint16
		v   []int16
	}{{tcaNetemDelayDist, o.DelayDist}, {tcaNetemSlotDist, o.SlotDist}} {
		if dist.v != nil {
			p := make([]byte, 0, 2*len(dist.v))
			for _, x := range dist.v {
				p = binary.NativeEndian.AppendUint16(p, uint16(x))
			}
			e.Bytes(dist.typ, p)
		}
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions refuses what tc refuses before sending (tc/q_netem.c)
// and what netem_change refuses: a jitter without a delay, a reorder
// without a delay or a gap without a reorder probability, a distribution
// without delay and jitter, both loss models, and negative delays. ECN
// without a loss is tc's refusal only: the kernel keeps ECN through a
// change that drops the loss (netem_change resets the loss model but sets
// ecn only when TCA_NETEM_ECN comes; seen live), so a qdisc read back may
// have it and must go back as it is.
func (o *Netem) validateOptions(Verb) error {
	switch {
	case o.Delay < 0 || o.Jitter < 0:
		return invalidf("netem delay %v jitter %v: want durations of 0 or more", o.Delay, o.Jitter)
	case o.Jitter != 0 && o.Delay == 0:
		return invalidf("netem jitter %v needs a delay", o.Jitter)
	case o.Reorder != 0 && o.Delay == 0:
		return invalidf("netem reordering is not possible without a delay")
	case o.Gap != 0 && o.Reorder == 0:
		return invalidf("netem gap %d needs a reorder probability", o.Gap)
	case o.DelayDist != nil && (o.Delay == 0 || o.Jitter == 0):
		return invalidf("netem distribution needs a delay and a jitter")
	case o.LossGI != nil && o.LossGE != nil:
		return invalidf("netem takes one loss model, not gimodel and gemodel")
	case o.Slot != nil && (o.Slot.MinDelay < 0 || o.Slot.MaxDelay < o.Slot.MinDelay):
		return invalidf("netem slot %v %v: want 0 <= min <= max", o.Slot.MinDelay, o.Slot.MaxDelay)
	}
	return nil
}

func netemPercent(p uint32) string {
	return fmt.Sprintf("%g%%", math.Round(float64(p)/float64(math.MaxUint32)*1e6)/1e4)
}

// String returns the options in tc's words: "limit 1000 delay 100ms 10ms
// loss 1% rate 125000Bps".
func (o *Netem) String() string {
	s := []string{"limit " + itoa(o.Limit)}
	if o.Delay != 0 {
		s = append(s, "delay "+o.Delay.String())
		if o.Jitter != 0 {
			s = append(s, o.Jitter.String())
		}
	}
	if o.Loss != 0 {
		s = append(s, "loss "+netemPercent(o.Loss))
	}
	if o.LossGI != nil {
		s = append(s, "loss state")
	}
	if o.LossGE != nil {
		s = append(s, "loss gemodel")
	}
	if o.Duplicate != 0 {
		s = append(s, "duplicate "+netemPercent(o.Duplicate))
	}
	if o.Reorder != 0 {
		s = append(s, "reorder "+netemPercent(o.Reorder))
	}
	if o.Corrupt != 0 {
		s = append(s, "corrupt "+netemPercent(o.Corrupt))
	}
	if o.Rate != 0 {
		s = append(s, "rate "+itoa(o.Rate)+"Bps")
	}
	if o.ECN {
		s = append(s, "ecn")
	}
	if o.Gap != 0 {
		s = append(s, "gap "+itoa(o.Gap))
	}
	return strings.Join(s, " ")
}
