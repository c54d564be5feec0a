package netlink

import "fmt"

// Attributes of the bpf action (include/uapi/linux/tc_act/tc_bpf.h).
const (
	tcaActBPFTM     = 1 // struct tcf_t
	tcaActBPFParms  = 2 // struct tc_act_bpf: tc_gen
	tcaActBPFOpsLen = 3 // __u16: number of classic instructions
	tcaActBPFOps    = 4 // struct sock_filter[]: 8 bytes each
	tcaActBPFFD     = 5 // __u32: an eBPF program's file descriptor
	tcaActBPFName   = 6 // string: the program's name
	tcaActBPFPad    = 7
	tcaActBPFTag    = 8 // 8 bytes: the program's tag
	tcaActBPFID     = 9 // __u32: the program's id

	sockFilterLen   = 8    // sizeof(struct sock_filter)
	bpfMaxInsnsCBPF = 4096 // BPF_MAXINSNS
)

// ActBPF is the bpf action (net/sched/act_bpf.c; tc-bpf(8) "action
// bpf"): an eBPF program given by file descriptor, or classic bytecode.
// It is named ActBPF because the bpf filter has the same TCA_KIND.
type ActBPF struct {
	// TCActionGen holds the index and the verdict (tc's default pipe).
	TCActionGen
	// FD is the file descriptor of a loaded eBPF program of type
	// BPF_PROG_TYPE_SCHED_ACT (TCA_ACT_BPF_FD); sent when above 0, never
	// reported.
	FD int
	// Name names the program (TCA_ACT_BPF_NAME; tc sends the object file
	// and section, "prog.o:[action]").
	Name string
	// ID and Tag are the loaded program's id and tag (TCA_ACT_BPF_ID,
	// TCA_ACT_BPF_TAG); read-only.
	ID  uint32
	Tag []byte
	// Ops is classic BPF bytecode (TCA_ACT_BPF_OPS, with TCA_ACT_BPF_OPS_LEN
	// the number of instructions): struct sock_filter, 8 bytes each.
	Ops []byte
	// TM are the action's times (struct tcf_t); read-only and volatile.
	TM []byte
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*ActBPF) TCKind() string { return "bpf" }
func (*ActBPF) actionOptions() {}

func (o *ActBPF) decodeOptions(b []byte) error {
	seen, opsLen := false, -1
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		switch d.Type() {
		case tcaActBPFParms:
			if len(p) < tcGenLen {
				return malformedf("tc_act_bpf of %d bytes, want %d", len(p), tcGenLen)
			}
			o.TCActionGen, seen = decodeTCGen(p), true
		case tcaActBPFOpsLen:
			if len(p) != 2 {
				return malformedf("bpf ops length of %d bytes, want 2", len(p))
			}
			opsLen = int(u16At(p, 0))
		case tcaActBPFOps:
			o.Ops = d.Bytes()
		case tcaActBPFFD:
			if len(p) != 4 {
				return malformedf("bpf fd of %d bytes, want 4", len(p))
			}
			o.FD = int(int32(u32At(p, 0)))
		case tcaActBPFName:
			o.Name = d.String()
		case tcaActBPFID:
			if len(p) != 4 {
				return malformedf("bpf id of %d bytes, want 4", len(p))
			}
			o.ID = u32At(p, 0)
		case tcaActBPFTag:
			o.Tag = d.Bytes()
		case tcaActBPFTM:
			tm, err := decodeTCFT(p)
			if err != nil {
				return err
			}
			o.TM = tm
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	switch {
	case !seen:
		return malformedf("bpf action without TCA_ACT_BPF_PARMS")
	case o.Ops != nil && (len(o.Ops)%sockFilterLen != 0 || opsLen != len(o.Ops)/sockFilterLen):
		return malformedf("bpf bytecode of %d bytes with a length of %d instructions", len(o.Ops), opsLen)
	case o.Ops == nil && opsLen >= 0:
		return malformedf("bpf ops length without bytecode")
	case o.FD < 0:
		return malformedf("bpf fd %d", o.FD)
	}
	return nil
}

// encodeOptions writes what tc sends (tc/m_bpf.c: FD and NAME, or OPS_LEN
// and OPS, then PARMS) for a request; in the kernel's form
// (tcf_bpf_dump), PARMS, then OPS_LEN and OPS or NAME, ID and TAG, then
// TM.
func (o *ActBPF) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	ops := func() {
		if o.Ops != nil {
			e.Uint16(tcaActBPFOpsLen, uint16(len(o.Ops)/sockFilterLen))
			e.Bytes(tcaActBPFOps, o.Ops)
		}
	}
	if request {
		ops()
		if o.FD > 0 {
			e.Uint32(tcaActBPFFD, uint32(o.FD))
		}
		if o.Name != "" {
			e.String(tcaActBPFName, o.Name)
		}
		e.Bytes(tcaActBPFParms, o.TCActionGen.append(nil, true))
	} else {
		e.Bytes(tcaActBPFParms, o.TCActionGen.append(nil, false))
		ops()
		if o.FD > 0 {
			e.Uint32(tcaActBPFFD, uint32(o.FD))
		}
		if o.Name != "" {
			e.String(tcaActBPFName, o.Name)
		}
		if o.ID != 0 {
			e.Uint32(tcaActBPFID, o.ID)
		}
		if o.Tag != nil {
			e.Bytes(tcaActBPFTag, o.Tag)
		}
		if o.TM != nil {
			e.Bytes(tcaActBPFTM, o.TM)
		}
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions applies tcf_bpf_init's rules: an eBPF fd or classic
// bytecode, exactly one ("is_bpf == is_ebpf" is EINVAL); bytecode of 1 to
// BPF_MAXINSNS whole instructions; a verdict.
func (o *ActBPF) validateOptions(Verb) error {
	switch {
	case (o.FD > 0) == (o.Ops != nil):
		return invalidf("bpf action needs an eBPF program fd or classic bytecode, exactly one")
	case o.Ops != nil && (len(o.Ops) == 0 || len(o.Ops)%sockFilterLen != 0 || len(o.Ops)/sockFilterLen > bpfMaxInsnsCBPF):
		return invalidf("bpf bytecode of %d bytes: want 1 to %d instructions of 8 bytes", len(o.Ops), bpfMaxInsnsCBPF)
	case !validTCAction(o.Action):
		return invalidf("bpf action %d is not a verdict", o.Action)
	}
	return nil
}

func (o *ActBPF) stableOptions() TCOptions {
	c := *o
	c.TM, c.Refcnt, c.Bindcnt = nil, 0, 0
	return &c
}

// String returns "bpf prog.o:[action] id 42 default-action pipe" or
// "bytecode 4 instructions ...".
func (o *ActBPF) String() string {
	var s string
	switch {
	case o.Ops != nil:
		s = fmt.Sprintf("bytecode %d instructions", len(o.Ops)/sockFilterLen)
	case o.Name != "":
		s = o.Name
	default:
		s = "fd " + fmt.Sprint(o.FD)
	}
	if o.ID != 0 {
		s += fmt.Sprintf(" id %d", o.ID)
	}
	return s + " default-action " + TCActionString(o.Action)
}
