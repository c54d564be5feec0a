package netlink

import "fmt"

// Attributes and values of the mirred action
// (include/uapi/linux/tc_act/tc_mirred.h).
const (
	tcaMirredTM      = 1 // struct tcf_t
	tcaMirredParms   = 2 // struct tc_mirred: tc_gen, int eaction, __u32 ifindex
	tcaMirredPad     = 3
	tcaMirredBlockID = 4 // __u32

	tcMirredLen = tcGenLen + 8

	// MirredEgressRedirect and the others are tc_mirred's eaction
	// (TCA_EGRESS_REDIR, TCA_EGRESS_MIRROR, TCA_INGRESS_REDIR,
	// TCA_INGRESS_MIRROR).
	MirredEgressRedirect  = 1
	MirredEgressMirror    = 2
	MirredIngressRedirect = 3
	MirredIngressMirror   = 4
)

// Mirred redirects or mirrors packets to a link's egress or ingress, or to
// a shared block (net/sched/act_mirred.c; tc-mirred(8)). tc's verdicts
// are TCActStolen for a redirect and TCActPipe for a mirror.
type Mirred struct {
	// TCActionGen holds the index and the verdict.
	TCActionGen
	// Eaction is one of MirredEgressRedirect, MirredEgressMirror,
	// MirredIngressRedirect, MirredIngressMirror.
	Eaction int32
	// Ifindex is the target link's interface index; 0 with BlockID.
	Ifindex uint32
	// BlockID is the target shared block (TCA_MIRRED_BLOCKID; tc's
	// "blockid"); 0 for a link.
	BlockID uint32
	// TM are the action's times (struct tcf_t); read-only and volatile.
	TM []byte
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*Mirred) TCKind() string { return "mirred" }
func (*Mirred) actionOptions() {}

func (o *Mirred) decodeOptions(b []byte) error {
	seen := false
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		switch d.Type() {
		case tcaMirredParms:
			if len(p) < tcMirredLen {
				return malformedf("tc_mirred of %d bytes, want %d", len(p), tcMirredLen)
			}
			o.TCActionGen, seen = decodeTCGen(p), true
			o.Eaction, o.Ifindex = int32(u32At(p, tcGenLen)), u32At(p, tcGenLen+4)
		case tcaMirredBlockID:
			if len(p) != 4 {
				return malformedf("mirred block id of %d bytes, want 4", len(p))
			}
			o.BlockID = u32At(p, 0)
		case tcaMirredTM:
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
	if !seen {
		return malformedf("mirred without TCA_MIRRED_PARMS")
	}
	return nil
}

// encodeOptions writes PARMS, BLOCKID when set (m_mirred.c), and in the
// kernel's form TM after them (tcf_mirred_dump).
func (o *Mirred) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	e.Bytes(tcaMirredParms, appendU32s(o.TCActionGen.append(nil, request), uint32(o.Eaction), o.Ifindex))
	if o.BlockID != 0 {
		e.Uint32(tcaMirredBlockID, o.BlockID)
	}
	if !request && o.TM != nil {
		e.Bytes(tcaMirredTM, o.TM)
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions applies tcf_mirred_init's rules: a known eaction, a
// link or a block but not both ("Must specify device or block", "Cannot
// specify Block ID and dev simultaneously"), a verdict.
func (o *Mirred) validateOptions(Verb) error {
	switch {
	case o.Eaction < MirredEgressRedirect || o.Eaction > MirredIngressMirror:
		return invalidf("mirred eaction %d: want 1 (egress redirect), 2 (egress mirror), 3 (ingress redirect) or 4 (ingress mirror)", o.Eaction)
	case o.Ifindex == 0 && o.BlockID == 0:
		return invalidf("mirred needs a device (ifindex) or a block")
	case o.Ifindex != 0 && o.BlockID != 0:
		return invalidf("mirred takes a device or a block, not both")
	case !validTCAction(o.Action):
		return invalidf("mirred action %d is not a verdict", o.Action)
	}
	return nil
}

func (o *Mirred) stableOptions() TCOptions {
	c := *o
	c.TM, c.Refcnt, c.Bindcnt = nil, 0, 0
	return &c
}

var mirredWords = map[int32]string{
	MirredEgressRedirect: "Egress Redirect", MirredEgressMirror: "Egress Mirror",
	MirredIngressRedirect: "Ingress Redirect", MirredIngressMirror: "Ingress Mirror",
}

// String returns tc's words with an interface index: "(Egress Redirect
// to device #3) stolen".
func (o *Mirred) String() string {
	w, ok := mirredWords[o.Eaction]
	if !ok {
		w = fmt.Sprintf("eaction %d", o.Eaction)
	}
	to := fmt.Sprintf("device #%d", o.Ifindex)
	if o.BlockID != 0 {
		to = fmt.Sprintf("block %d", o.BlockID)
	}
	s := fmt.Sprintf("(%s to %s) %s", w, to, TCActionString(o.Action))
	if o.Index != 0 {
		s += fmt.Sprintf(" index %d", o.Index)
	}
	return s
}
