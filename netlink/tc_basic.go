package netlink

import (
	"fmt"
	"strings"
)

// Attributes of the basic filter (include/uapi/linux/pkt_cls.h
// TCA_BASIC_*).
const (
	tcaBasicClassID  = 1 // __u32
	tcaBasicEmatches = 2 // nested ematch tree (TCA_EMATCH_TREE_*)
	tcaBasicAct      = 3 // action list
	tcaBasicPolice   = 4 // the old police attribute
	tcaBasicPcnt     = 5 // struct tc_basic_pcnt: __u64 rcnt, rhit
	tcaBasicPad      = 6
)

// Basic is the basic filter (net/sched/cls_basic.c; tc-basic(8)): an
// extended match tree, a class and actions.
type Basic struct {
	// ClassID is the class the packets go to (TCA_BASIC_CLASSID); zero
	// for none.
	ClassID Handle
	// Ematches is the extended match tree (TCA_BASIC_EMATCHES: nested
	// TCA_EMATCH_TREE_HDR and TCA_EMATCH_TREE_LIST, net/sched/ematch.c),
	// kept as its payload and sent again; nil for none (every packet
	// matches).
	Ematches []byte
	// Actions are the actions run (TCA_BASIC_ACT).
	Actions TCActions
	// Police is a policer attached the old way (TCA_BASIC_POLICE: the
	// police action's attributes without an action nest; tc's "police"
	// outside an "action"), nil for none; as u32's (U32.Police), its
	// counters come beside the options.
	Police *Police
	// Lookups and Hits count the packets seen and matched
	// (TCA_BASIC_PCNT); read-only and volatile, nil when not reported.
	Lookups, Hits *uint64
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*Basic) TCKind() string { return "basic" }
func (*Basic) filterOptions() {}

func (o *Basic) decodeOptions(b []byte) error {
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		switch d.Type() {
		case tcaBasicClassID:
			if len(p) != 4 {
				return malformedf("basic classid of %d bytes, want 4", len(p))
			}
			o.ClassID = Handle(u32At(p, 0))
		case tcaBasicEmatches:
			// Check the nesting; the tree stays raw.
			in := newAttrDecoder(p)
			for in.Next() {
			}
			if err := in.Err(); err != nil {
				return fmt.Errorf("basic ematches: %w", err)
			}
			o.Ematches = append([]byte{}, p...)
		case tcaBasicAct:
			acts, err := decodeTCActions(p)
			if err != nil {
				return fmt.Errorf("basic actions: %w", err)
			}
			o.Actions = acts
		case tcaBasicPolice:
			pol := new(Police)
			if err := pol.decodeOptions(p); err != nil {
				return fmt.Errorf("basic police: %w", err)
			}
			o.Police = pol
		case tcaBasicPcnt:
			if len(p) != 16 {
				return malformedf("basic counters of %d bytes, want 16", len(p))
			}
			o.Lookups, o.Hits = Ptr(u64At(p, 0)), Ptr(u64At(p, 8))
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
	}
	return d.Err()
}

// encodeOptions writes what tc sends for "basic match ... classid ...
// action ..." (tc/f_basic.c: EMATCHES, CLASSID, ACT, POLICE); in the
// kernel's form basic_dump's order: CLASSID, PCNT, tcf_exts_dump's ACT or
// POLICE, EMATCHES.
func (o *Basic) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	ematches := func() {
		if o.Ematches != nil {
			e.Bytes(tcaBasicEmatches, o.Ematches)
		}
	}
	if request {
		ematches()
	}
	if o.ClassID != 0 {
		e.Uint32(tcaBasicClassID, uint32(o.ClassID))
	}
	if !request && (o.Lookups != nil || o.Hits != nil) {
		var l, h uint64
		if o.Lookups != nil {
			l = *o.Lookups
		}
		if o.Hits != nil {
			h = *o.Hits
		}
		e.Bytes(tcaBasicPcnt, append(u64Bytes(l), u64Bytes(h)...))
	}
	appendTCActions(&e, tcaBasicAct, o.Actions, request)
	if o.Police != nil {
		b, err := o.Police.encodeOptions(request)
		if err != nil {
			return nil, err
		}
		e.Bytes(tcaBasicPolice, b)
	}
	if !request {
		ematches()
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions checks the actions and the policer; the kernel takes
// the policer and drops the actions when both come (tcf_exts_validate_ex),
// so both are refused.
func (o *Basic) validateOptions(v Verb) error {
	if o.Police != nil {
		if o.Actions != nil {
			return invalidf("basic filter with both police and actions: the kernel keeps only the policer")
		}
		if err := o.Police.validateOptions(v); err != nil {
			return fmt.Errorf("basic police: %w", err)
		}
	}
	return o.Actions.validate(v)
}

func (o *Basic) stableOptions() TCOptions {
	c := *o
	c.Lookups, c.Hits, c.Actions = nil, nil, o.Actions.stable()
	if o.Police != nil {
		c.Police = o.Police.stableOptions().(*Police)
	}
	return &c
}

// String returns tc's words: "flowid 1:10 ematch (...) action gact action
// drop".
func (o *Basic) String() string {
	var s []string
	if o.ClassID != 0 {
		s = append(s, "flowid "+o.ClassID.String())
	}
	if o.Ematches != nil {
		s = append(s, fmt.Sprintf("ematch (%d bytes)", len(o.Ematches)))
	}
	if len(o.Actions) > 0 {
		s = append(s, "action "+o.Actions.String())
	}
	return strings.Join(s, " ")
}
