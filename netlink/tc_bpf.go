package netlink

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// bpf filter attributes (include/uapi/linux/pkt_cls.h, TCA_BPF_*).
const (
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
	// Unknown holds the attributes not decoded above (actions, police),
	// as the kernel sent them.
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

// encodeOptions writes the attributes in cls_bpf_dump's order; a request
// sends the descriptor instead of the id and tag, and only the skip flags.
func (o *BPFFilter) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	if o.ClassID != 0 {
		e.Uint32(tcaBPFClassid, uint32(o.ClassID))
	}
	if request && o.FD != 0 {
		e.Uint32(tcaBPFFD, o.FD)
	}
	if o.Name != "" {
		e.String(tcaBPFName, o.Name)
	}
	if !request {
		if o.ID != 0 {
			e.Uint32(tcaBPFID, o.ID)
		}
		if o.Tag != nil {
			e.Bytes(tcaBPFTag, o.Tag)
		}
		if o.FD != 0 {
			e.Uint32(tcaBPFFD, o.FD)
		}
	}
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
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	if o.DirectAction {
		e.Uint32(tcaBPFFlags, tcaBPFFlagActDirect)
	}
	gen := o.GenFlags
	if request {
		gen &= tcClsFlagsRequest
	}
	if gen != 0 {
		e.Uint32(tcaBPFFlagsGen, gen)
	}
	return e.b, e.err
}

// validateOptions checks cls_bpf_change's rules: exactly one of a classic
// program (1 to BPF_MAXINSNS instructions) and an eBPF descriptor for a
// new filter; not both skip flags.
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
	return nil
}

func (*BPFFilter) filterOptions() {}

// String returns tc's words: "flowid 1:1 direct-action bytecode '1,6 0 0
// 0'" or "name prog id 42 tag 0123456789abcdef".
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
	return strings.TrimSpace(b.String())
}
