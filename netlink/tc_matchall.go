package netlink

import (
	"fmt"
	"strings"
)

// Attributes of the matchall filter (include/uapi/linux/pkt_cls.h
// TCA_MATCHALL_*) and the classifier flags all filters share.
const (
	tcaMatchallClassID = 1 // __u32
	tcaMatchallAct     = 2 // action list
	tcaMatchallFlags   = 3 // __u32 TCA_CLS_FLAGS_*
	tcaMatchallPcnt    = 4 // struct tc_matchall_pcnt: __u64 lookups
	tcaMatchallPad     = 5

	// TCAClsFlagsSkipHW and the others are a filter's flags
	// (TCA_CLS_FLAGS_*): tc's skip_hw, skip_sw, and the read-only in_hw,
	// not_in_hw; verbose asks for offload errors.
	TCAClsFlagsSkipHW  = 1 << 0
	TCAClsFlagsSkipSW  = 1 << 1
	TCAClsFlagsInHW    = 1 << 2
	TCAClsFlagsNotInHW = 1 << 3
	TCAClsFlagsVerbose = 1 << 4
)

// clsFlagsString gives tc's words for filter flags.
func clsFlagsString(f uint32) []string {
	var s []string
	for _, w := range []struct {
		bit  uint32
		word string
	}{{TCAClsFlagsSkipHW, "skip_hw"}, {TCAClsFlagsSkipSW, "skip_sw"}, {TCAClsFlagsInHW, "in_hw"},
		{TCAClsFlagsNotInHW, "not_in_hw"}, {TCAClsFlagsVerbose, "verbose"}} {
		if f&w.bit != 0 {
			s = append(s, w.word)
		}
	}
	return s
}

// validClsFlags is tc_flags_valid (include/net/pkt_cls.h): only skip_hw,
// skip_sw and verbose may be asked for, and not both skips. The
// read-only in_hw and not_in_hw, which a filter read back carries, are
// left out of requests (requestClsFlags), as u32's and bpf's are.
func validClsFlags(f uint32) error {
	f = requestClsFlags(f)
	if f&^(TCAClsFlagsSkipHW|TCAClsFlagsSkipSW|TCAClsFlagsVerbose) != 0 {
		return invalidf("filter flags %#x: only skip_hw, skip_sw and verbose may be set", f)
	}
	if f&TCAClsFlagsSkipHW != 0 && f&TCAClsFlagsSkipSW != 0 {
		return invalidf("filter flags skip_hw and skip_sw exclude each other")
	}
	return nil
}

// requestClsFlags are the flags a request sends: without the read-only
// in_hw and not_in_hw, which the kernel refuses.
func requestClsFlags(f uint32) uint32 { return f &^ (TCAClsFlagsInHW | TCAClsFlagsNotInHW) }

// Matchall is the matchall filter (net/sched/cls_matchall.c;
// tc-matchall(8)): every packet matches; its actions run.
type Matchall struct {
	// ClassID is the class the packets go to (TCA_MATCHALL_CLASSID; tc's
	// "classid" or "flowid"); zero for none.
	ClassID Handle
	// Actions are the actions run (TCA_MATCHALL_ACT).
	Actions TCActions
	// Flags are TCA_CLS_FLAGS_* (TCA_MATCHALL_FLAGS).
	Flags uint32
	// Lookups counts the packets seen (TCA_MATCHALL_PCNT); read-only and
	// volatile, nil when not reported.
	Lookups *uint64
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*Matchall) TCKind() string { return "matchall" }
func (*Matchall) filterOptions() {}

func (o *Matchall) decodeOptions(b []byte) error {
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		switch d.Type() {
		case tcaMatchallClassID, tcaMatchallFlags:
			if len(p) != 4 {
				return malformedf("matchall attribute %d of %d bytes, want 4", d.Type(), len(p))
			}
			if d.Type() == tcaMatchallClassID {
				o.ClassID = Handle(u32At(p, 0))
			} else {
				o.Flags = u32At(p, 0)
			}
		case tcaMatchallPcnt:
			if len(p) != 8 {
				return malformedf("matchall counter of %d bytes, want 8", len(p))
			}
			o.Lookups = Ptr(u64At(p, 0))
		case tcaMatchallAct:
			acts, err := decodeTCActions(p)
			if err != nil {
				return fmt.Errorf("matchall actions: %w", err)
			}
			o.Actions = acts
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
	}
	return d.Err()
}

// encodeOptions writes CLASSID, ACT, FLAGS as tc does (tc/f_matchall.c);
// in the kernel's form (mall_dump) CLASSID, FLAGS, PCNT, ACT.
func (o *Matchall) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	if o.ClassID != 0 {
		e.Uint32(tcaMatchallClassID, uint32(o.ClassID))
	}
	if request {
		appendTCActions(&e, tcaMatchallAct, o.Actions, true)
		if f := requestClsFlags(o.Flags); f != 0 {
			e.Uint32(tcaMatchallFlags, f)
		}
	} else {
		if o.Flags != 0 {
			e.Uint32(tcaMatchallFlags, o.Flags)
		}
		if o.Lookups != nil {
			appendU64Attr(&e, tcaMatchallPcnt, *o.Lookups)
		}
		appendTCActions(&e, tcaMatchallAct, o.Actions, false)
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions applies mall_change's rules: valid flags, and the
// actions' own rules.
func (o *Matchall) validateOptions(v Verb) error {
	if err := validClsFlags(o.Flags); err != nil {
		return err
	}
	return o.Actions.validate(v)
}

func (o *Matchall) stableOptions() TCOptions {
	c := *o
	c.Lookups, c.Actions = nil, o.Actions.stable()
	return &c
}

// String returns tc's words: "classid 1:10 skip_hw action gact action
// drop".
func (o *Matchall) String() string {
	var s []string
	if o.ClassID != 0 {
		s = append(s, "classid "+o.ClassID.String())
	}
	s = append(s, clsFlagsString(o.Flags)...)
	if len(o.Actions) > 0 {
		s = append(s, "action "+o.Actions.String())
	}
	return strings.Join(s, " ")
}
