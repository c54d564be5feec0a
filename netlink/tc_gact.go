package netlink

import (
	"encoding/binary"
	"fmt"
)

// Attributes of the gact action (include/uapi/linux/tc_act/tc_gact.h).
const (
	tcaGactTM    = 1 // struct tcf_t
	tcaGactParms = 2 // struct tc_gact: tc_gen
	tcaGactProb  = 3 // struct tc_gact_p: __u16 ptype, __u16 pval, int paction
	tcaGactPad   = 4

	// Random modes of struct tc_gact_p (PGACT_*).
	GactProbNone    = 0
	GactProbNetrand = 1
	GactProbDeterm  = 2
)

// GactProb is gact's random second verdict (struct tc_gact_p; tc's
// "random netrand|determ ACTION VAL").
type GactProb struct {
	// Type is GactProbNetrand (Action with probability 1/Value) or
	// GactProbDeterm (Action every Value-th packet).
	Type uint16
	// Value is tc's VAL.
	Value uint16
	// Action is the verdict taken then (TCAct*).
	Action int32
}

// Gact is the generic action (net/sched/act_gact.c; tc-gact(8)): a
// verdict such as "drop" or "pass", optionally another at random.
type Gact struct {
	// TCActionGen holds the index and the verdict (struct tc_gact).
	TCActionGen
	// Prob is the random verdict (TCA_GACT_PROB); nil for none.
	Prob *GactProb
	// TM are the action's times (TCA_GACT_TM, struct tcf_t in jiffies);
	// read-only and volatile.
	TM []byte
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*Gact) TCKind() string { return "gact" }
func (*Gact) actionOptions() {}

func (o *Gact) decodeOptions(b []byte) error {
	seen := false
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		switch d.Type() {
		case tcaGactParms:
			if len(p) < tcGenLen {
				return malformedf("tc_gact of %d bytes, want %d", len(p), tcGenLen)
			}
			o.TCActionGen, seen = decodeTCGen(p), true
		case tcaGactProb:
			if len(p) != 8 {
				return malformedf("tc_gact_p of %d bytes, want 8", len(p))
			}
			o.Prob = &GactProb{Type: u16At(p, 0), Value: u16At(p, 2), Action: int32(u32At(p, 4))}
		case tcaGactTM:
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
		return malformedf("gact without TCA_GACT_PARMS")
	}
	return nil
}

// encodeOptions writes PARMS, PROB (m_gact.c and tcf_gact_dump agree)
// and, in the kernel's form, TM.
func (o *Gact) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	e.Bytes(tcaGactParms, o.TCActionGen.append(nil, request))
	if p := o.Prob; p != nil {
		b := append(appendU16(nil, p.Type), appendU16(nil, p.Value)...)
		e.Bytes(tcaGactProb, appendU32s(b, uint32(p.Action)))
	}
	if !request && o.TM != nil {
		e.Bytes(tcaGactTM, o.TM)
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions applies tcf_gact_init's rules: known verdicts, a random
// type below MAX_RAND (3) and, for one, a non-zero value.
func (o *Gact) validateOptions(Verb) error {
	if !validTCAction(o.Action) {
		return invalidf("gact action %d is not a verdict", o.Action)
	}
	if p := o.Prob; p != nil {
		switch {
		case p.Type > GactProbDeterm:
			return invalidf("gact random type %d: want 1 (netrand) or 2 (determ)", p.Type)
		case p.Type != GactProbNone && p.Value == 0:
			return invalidf("gact random value must not be 0")
		case !validTCAction(p.Action):
			return invalidf("gact random action %d is not a verdict", p.Action)
		}
	}
	return nil
}

func (o *Gact) stableOptions() TCOptions {
	c := *o
	c.TM, c.Refcnt, c.Bindcnt = nil, 0, 0
	return &c
}

// String returns "action drop index 1" and the random part: "random type
// netrand pass val 10".
func (o *Gact) String() string {
	s := "action " + TCActionString(o.Action)
	if p := o.Prob; p != nil && p.Type != GactProbNone {
		t := "netrand"
		if p.Type == GactProbDeterm {
			t = "determ"
		}
		s += fmt.Sprintf(" random type %s %s val %d", t, TCActionString(p.Action), p.Value)
	}
	if o.Index != 0 {
		s += fmt.Sprintf(" index %d", o.Index)
	}
	return s
}

func appendU16(b []byte, v uint16) []byte { return binary.NativeEndian.AppendUint16(b, v) }
