package netlink

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// bpf filter attributes (include/uapi/linux/pkt_cls.h, TCA_BPF_*).
const (
	tcaBPFAct      = 1 // action list (tcf_exts_init's action attribute)
	tcaBPFPolice   = 2 // the old police attribute (tcf_exts_init's police)
	tcaBPFClassid  = 3
	tcaBPFOpsLen   = 4
	tcaBPFOps      = 5
	tcaBPFFD       = 6
	tcaBPFName     = 7
	tcaBPFFlags    = 8
	tcaBPFFlagsGen = 9
	tcaBPFTag      = 10
	tcaBPFID       = 11

	// tcaBPFFlagActDirect is TCA_BPF_FLAG_ACT_DIRECT.
	tcaBPFFlagActDirect = 1
	// bpfMaxInsns is BPF_MAXINSNS, the most classic instructions.
	bpfMaxInsns = 4096
)

// BPFInstruction is one classic BPF instruction (struct sock_filter of
// include/uapi/linux/filter.h; tc's "bytecode" lists them as "code jt jf
// k").
type BPFInstruction struct {
	Code   uint16
	Jt, Jf uint8
	K      uint32
}

// BPFFilter is the options of a bpf filter (net/sched/cls_bpf.c
// cls_bpf_change, cls_bpf_dump): a classic BPF program given as bytecode,
// or an eBPF program given by file descriptor and reported by id, name and
// tag.
type BPFFilter struct {
	// ClassID is the class matching packets go to (TCA_BPF_CLASSID, tc's
	// "classid" or "flowid"); the program's return value may choose
	// another.
	ClassID Handle
	// Ops is a classic program (TCA_BPF_OPS with TCA_BPF_OPS_LEN), 1 to
	// 4096 instructions.
	Ops []BPFInstruction
	// FD is an eBPF program's file descriptor for a request (TCA_BPF_FD),
	// 0 for none; the kernel never reports it. Exactly one of Ops and FD
	// is sent.
	FD uint32
	// Name is an eBPF program's name (TCA_BPF_NAME, tc's "section" or
	// object name); with FD in requests.
	Name string
	// ID and Tag identify a loaded eBPF program (TCA_BPF_ID, TCA_BPF_TAG:
	// 8 bytes); read-only.
	ID  uint32
	Tag []byte
	// DirectAction makes the program's return value the action (TCA_BPF_FLAGS
	// TCA_BPF_FLAG_ACT_DIRECT; tc's "direct-action" or "da").
	DirectAction bool
	// GenFlags are TCA_CLS_FLAGS_* (TCA_BPF_FLAGS_GEN): skip_hw, skip_sw,
	// and the read-only in_hw, not_in_hw.
	GenFlags uint32
	// Actions are the actions run on a match (TCA_BPF_ACT; tc's
	// "action"), nil for none. With DirectAction the kernel keeps them
	// but never runs them: the program's return value is the verdict
	// (cls_bpf_classify skips tcf_exts_exec for exts_integrated).
	Actions TCActions
	// Police is a policer attached the old way (TCA_BPF_POLICE: the
	// police action's attributes without an action nest; tc's "police"
	// outside an "action"), nil for none. As u32's (U32.Police), the
	// kernel keeps it as an action of its own and reports its counters
	// beside the options (TCA_STATS2 and TCA_STATS in Filter.Unknown).
	Police *Police
	// Unknown holds the attributes not decoded above, as the kernel sent
	// them; sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*BPFFilter) TCKind() string { return "bpf" }

func (o *BPFFilter) decodeOptions(b []byte) error {
	opsLen, haveLen := 0, false
	d := newAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case tcaBPFClassid:
			o.ClassID = Handle(d.Uint32())
		case tcaBPFOpsLen:
			opsLen, haveLen = int(d.Uint16()), true
		case tcaBPFOps:
			p := d.Data()
			if len(p)%8 != 0 {
				return malformedf("bpf ops of %d bytes (not whole instructions)", len(p))
			}
			o.Ops = make([]BPFInstruction, len(p)/8)
			for i := range o.Ops {
				in := p[8*i:]
				o.Ops[i] = BPFInstruction{Code: binary.NativeEndian.Uint16(in), Jt: in[2], Jf: in[3], K: binary.NativeEndian.Uint32(in[4:])}
			}
		case tcaBPFFD:
			o.FD = d.Uint32()
		case tcaBPFName:
			o.Name = d.String()
		case tcaBPFID:
			o.ID = d.Uint32()
		case tcaBPFTag:
			o.Tag = d.Bytes()
		case tcaBPFFlags:
			f := d.Uint32()
			if f&^tcaBPFFlagActDirect != 0 {
				return malformedf("bpf flags %#x", f)
			}
			o.DirectAction = f&tcaBPFFlagActDirect != 0
		case tcaBPFFlagsGen:
			o.GenFlags = d.Uint32()
		case tcaBPFAct:
			acts, err := decodeTCActions(d.Data())
			if err != nil {
				return fmt.Errorf("bpf actions: %w", err)
			}
			o.Actions = acts
		case tcaBPFPolice:
			p := new(Police)
			if err := p.decodeOptions(d.Data()); err != nil {
				return fmt.Errorf("bpf police: %w", err)
			}
			o.Police = p
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if haveLen != (o.Ops != nil) || (haveLen && opsLen != len(o.Ops)) {
		return malformedf("bpf ops length %d for %d instructions", opsLen, len(o.Ops))
	}
	return nil
}

// encodeOptions writes the attributes in cls_bpf_dump's order: CLASSID,
// the program (NAME, ID, TAG of an eBPF one; OPS_LEN, OPS of a classic
// one), tcf_exts_dump's ACT or POLICE, FLAGS, FLAGS_GEN. A request is
// what tc's bpf_parse_opt sends for "bytecode ... | fd ... name ...
// flowid ... action ... police ... da skip_hw": the program (OPS_LEN,
// OPS, or FD and NAME) first, then CLASSID, ACT, POLICE, FLAGS_GEN and
// FLAGS; the descriptor instead of the id and tag, and only the skip
// flags.
func (o *BPFFilter) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	ops := func() {
		if o.Ops != nil {
			e.Uint16(tcaBPFOpsLen, uint16(len(o.Ops)))
			p := make([]byte, 0, 8*len(o.Ops))
			for _, in := range o.Ops {
				p = binary.NativeEndian.AppendUint16(p, in.Code)
				p = append(p, in.Jt, in.Jf)
				p = binary.NativeEndian.AppendUint32(p, in.K)
			}
			e.Bytes(tcaBPFOps, p)
		}
	}
	classid := func() {
		if o.ClassID != 0 {
			e.Uint32(tcaBPFClassid, uint32(o.ClassID))
		}
	}
	if request {
		ops()
		if o.FD != 0 {
			e.Uint32(tcaBPFFD, o.FD)
		}
		if o.Name != "" {
			e.String(tcaBPFName, o.Name)
		}
		classid()
	} else {
		classid()
		if o.Name != "" {
			e.String(tcaBPFName, o.Name)
		}
		if o.ID != 0 {
			e.Uint32(tcaBPFID, o.ID)
		}
		if o.Tag != nil {
			e.Bytes(tcaBPFTag, o.Tag)
		}
		if o.FD != 0 {
			e.Uint32(tcaBPFFD, o.FD)
		}
		ops()
	}
	appendTCActions(&e, tcaBPFAct, o.Actions, request)
	if o.Police != nil {
		b, err := o.Police.encodeOptions(request)
		if err != nil {
			return nil, err
		}
		e.Bytes(tcaBPFPolice, b) // tc's parse_police nests it without NLA_F_NESTED
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	gen := o.GenFlags
	if request {
		gen &= tcClsFlagsRequest
		if gen != 0 {
			e.Uint32(tcaBPFFlagsGen, gen)
		}
		if o.DirectAction {
			e.Uint32(tcaBPFFlags, tcaBPFFlagActDirect)
		}
		return e.b, e.err
	}
	if o.DirectAction {
		e.Uint32(tcaBPFFlags, tcaBPFFlagActDirect)
	}
	if gen != 0 {
		e.Uint32(tcaBPFFlagsGen, gen)
	}
	return e.b, e.err
}

// validateOptions checks cls_bpf_change's rules: exactly one of a classic
// program (1 to BPF_MAXINSNS instructions) and an eBPF descriptor for a
// new filter; not both skip flags; the actions' and the policer's own
// rules, and not both a policer and actions (the kernel would keep the
// policer and drop the actions silently: tcf_exts_validate_ex).
func (o *BPFFilter) validateOptions(v Verb) error {
	switch {
	case o.Ops != nil && o.FD != 0:
		return invalidf("bpf filter with both classic ops and an eBPF fd")
	case o.Ops == nil && o.FD == 0 && v != Delete:
		return invalidf("bpf filter needs classic ops or an eBPF fd")
	case o.Ops != nil && (len(o.Ops) == 0 || len(o.Ops) > bpfMaxInsns):
		return invalidf("bpf filter with %d instructions (1 to %d)", len(o.Ops), bpfMaxInsns)
	case o.GenFlags&TCClsFlagsSkipHW != 0 && o.GenFlags&TCClsFlagsSkipSW != 0:
		return invalidf("bpf filter with both skip_hw and skip_sw")
	}
	if o.Police != nil {
		if o.Actions != nil {
			return invalidf("bpf filter with both police and actions: the kernel keeps only the policer")
		}
		if err := o.Police.validateOptions(v); err != nil {
			return fmt.Errorf("bpf police: %w", err)
		}
	}
	if err := o.Actions.validate(v); err != nil {
		return fmt.Errorf("bpf %w", err)
	}
	return nil
}

// stableOptions drops what the kernel counts: the actions' and the
// policer's counters and times.
func (o *BPFFilter) stableOptions() TCOptions {
	c := *o
	c.Actions = o.Actions.stable()
	if o.Police != nil {
		c.Police = o.Police.stableOptions().(*Police)
	}
	return &c
}

func (*BPFFilter) filterOptions() {}

// String returns tc's words: "flowid 1:1 direct-action bytecode '1,6 0 0
// 0' action mirred ..." or "name prog id 42 tag 0123456789abcdef".
func (o *BPFFilter) String() string {
	var b strings.Builder
	if o.ClassID != 0 {
		b.WriteString(" flowid " + o.ClassID.String())
	}
	if o.Name != "" {
		b.WriteString(" " + o.Name)
	}
	if o.ID != 0 {
		fmt.Fprintf(&b, " id %d tag %x", o.ID, o.Tag)
	}
	if o.DirectAction {
		b.WriteString(" direct-action")
	}
	if o.Ops != nil {
		fmt.Fprintf(&b, " bytecode '%d", len(o.Ops))
		for _, in := range o.Ops {
			fmt.Fprintf(&b, ",%d %d %d %d", in.Code, in.Jt, in.Jf, in.K)
		}
		b.WriteString("'")
	}
	if o.Police != nil {
		b.WriteString(" police " + o.Police.String())
	}
	if len(o.Actions) > 0 {
		b.WriteString(" action " + o.Actions.String())
	}
	return strings.TrimSpace(b.String())
}
