package netlink

import (
	"fmt"
	"strings"
)

// Attributes of one action (include/uapi/linux/pkt_cls.h TCA_ACT_*).
const (
	tcaActKind        = 1
	tcaActOptions     = 2
	tcaActIndex       = 3
	tcaActStats       = 4
	tcaActPad         = 5
	tcaActCookie      = 6
	tcaActFlags       = 7
	tcaActHWStats     = 8
	tcaActUsedHWStats = 9
	tcaActInHWCount   = 10

	// tcaActMaxPrio is TCA_ACT_MAX_PRIO: at most 32 actions per filter.
	tcaActMaxPrio = 32
	// tcActCookieMaxLen is TC_COOKIE_MAX_SIZE.
	tcActCookieMaxLen = 16

	tcGenLen = 20 // the tc_gen head of every action's parms: index, capab, action, refcnt, bindcnt
	tcfTLen  = 32 // struct tcf_t: install, lastuse, expires, firstuse (__u64 jiffies)
)

// Action verdicts (TC_ACT_* of pkt_cls.h), the "control" of tc-actions(8).
const (
	TCActUnspec     int32 = -1 // "continue"
	TCActOK         int32 = 0  // "pass", "ok"
	TCActReclassify int32 = 1
	TCActShot       int32 = 2 // "drop"
	TCActPipe       int32 = 3
	TCActStolen     int32 = 4
	TCActQueued     int32 = 5
	TCActRepeat     int32 = 6
	TCActRedirect   int32 = 7
	TCActTrap       int32 = 8

	// TCActJump and TCActGotoChain are opcodes in the top bits
	// (TC_ACT_EXT_OPCODE_MAX is 0xf0000000): "jump N" and "goto chain N"
	// carry N in the low 28 bits.
	TCActJump      int32 = 1 << 28
	TCActGotoChain int32 = 2 << 28
)

// TCActionString returns tc's word for a verdict: "continue", "pass",
// "reclassify", "drop", "pipe", "stolen", "queued", "repeat", "redirect",
// "trap", "jump N", "goto chain N", or the number.
func TCActionString(a int32) string {
	switch a {
	case TCActUnspec:
		return "continue"
	case TCActOK:
		return "pass"
	case TCActReclassify:
		return "reclassify"
	case TCActShot:
		return "drop"
	case TCActPipe:
		return "pipe"
	case TCActStolen:
		return "stolen"
	case TCActQueued:
		return "queued"
	case TCActRepeat:
		return "repeat"
	case TCActRedirect:
		return "redirect"
	case TCActTrap:
		return "trap"
	}
	switch a &^ tcActExtValMask {
	case TCActJump:
		return fmt.Sprintf("jump %d", a&tcActExtValMask)
	case TCActGotoChain:
		return fmt.Sprintf("goto chain %d", a&tcActExtValMask)
	}
	return fmt.Sprintf("%d", a)
}

// validTCAction checks a verdict the way tcf_action_check_ctrlact does:
// a known TC_ACT_* or a jump or goto chain opcode.
func validTCAction(a int32) bool {
	if a >= TCActUnspec && a <= TCActTrap {
		return true
	}
	op := a &^ tcActExtValMask
	return op == TCActJump || op == TCActGotoChain
}

// TCActionGen is the head every action's parameters struct starts with
// (tc_gen in pkt_cls.h): index, capab, action, refcnt, bindcnt.
type TCActionGen struct {
	// Index is the action's index in its kind's table; zero in a request
	// lets the kernel choose one.
	Index uint32
	// Capab is unused by the kernel (capabilities).
	Capab uint32
	// Action is the verdict after the action ran (TCAct*).
	Action int32
	// Refcnt and Bindcnt are the kernel's counts of references and of
	// filters bound; read-only (not sent in requests).
	Refcnt, Bindcnt int32
}

func decodeTCGen(p []byte) TCActionGen {
	return TCActionGen{Index: u32At(p, 0), Capab: u32At(p, 4), Action: int32(u32At(p, 8)),
		Refcnt: int32(u32At(p, 12)), Bindcnt: int32(u32At(p, 16))}
}

func (g TCActionGen) append(b []byte, request bool) []byte {
	ref, bind := g.Refcnt, g.Bindcnt
	if request {
		ref, bind = 0, 0
	}
	return appendU32s(b, g.Index, g.Capab, uint32(g.Action), uint32(ref), uint32(bind))
}

// ActionOptions are an action's options (TCAction.Options): one of the
// types in actionOptionTypes (tc_kinds.go) or *RawTCOptions.
type ActionOptions interface {
	TCOptions
	actionOptions()
}

func (*RawTCOptions) actionOptions() {}

// TCAction is one action of a filter's action list (net/sched/act_api.c
// tcf_action_dump_1, tcf_action_init_1): its kind, its options and the
// attributes every action has. Zero values are absent.
type TCAction struct {
	// Kind is the action's kind (TCA_ACT_KIND): "gact", "mirred",
	// "police", "bpf"... In requests it may be left empty when Options
	// says it.
	Kind string
	// Options are the decoded TCA_ACT_OPTIONS, a type from
	// actionOptionTypes or *RawTCOptions.
	Options ActionOptions
	// Index is TCA_ACT_INDEX, sent by the kernel only for actions dumped
	// on their own (the index of a filter's action is in its options).
	Index uint32
	// Cookie is an opaque value of up to 16 bytes kept with the action
	// (TCA_ACT_COOKIE; tc's "cookie").
	Cookie []byte
	// Stats are the action's counters (TCA_ACT_STATS, gnet_stats
	// attributes as in TCA_STATS2); read-only and volatile.
	Stats *TCStats
	// Unknown holds the other attributes (TCA_ACT_FLAGS, TCA_ACT_HW_STATS,
	// TCA_ACT_IN_HW_COUNT...), as received; sent again.
	Unknown []Attribute
}

// decode reads the attributes inside one action's nest.
func (a *TCAction) decode(b []byte) error {
	var opts []byte
	hasOpts := false
	d := newAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case tcaActKind:
			a.Kind = d.String()
		case tcaActOptions:
			opts, hasOpts = d.Data(), true
		case tcaActIndex:
			a.Index = d.Uint32()
		case tcaActCookie:
			a.Cookie = d.Bytes()
		case tcaActStats:
			a.Stats = &TCStats{Attrs: []Attribute{d.Attribute()}}
			if err := a.Stats.decodeStats2(d.Data()); err != nil {
				return err
			}
		default:
			a.Unknown = append(a.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if a.Kind == "" {
		return malformedf("action without a kind")
	}
	if hasOpts {
		o, err := decodeTCOptions(actionOptionTypes, a.Kind, opts, func(r *RawTCOptions) ActionOptions { return r })
		if err != nil {
			return malformedf("action %v", err)
		}
		a.Options = o
	}
	return nil
}

// append encodes one action's attributes: TCA_ACT_KIND, TCA_ACT_OPTIONS
// (nested, as tc sends it), TCA_ACT_COOKIE, the others; the kernel's form
// adds TCA_ACT_INDEX and TCA_ACT_STATS.
func (a *TCAction) append(e *attrEncoder, request bool) {
	kind := a.Kind
	if kind == "" && a.Options != nil && !isNilOptions(a.Options) {
		kind = a.Options.TCKind()
	}
	e.String(tcaActKind, kind)
	if !request {
		if a.Index != 0 {
			e.Uint32(tcaActIndex, a.Index)
		}
		if a.Stats != nil {
			for _, s := range a.Stats.Attrs {
				e.Bytes(s.Type, s.Data)
			}
		}
	}
	if a.Options != nil && !isNilOptions(a.Options) {
		b, err := a.Options.encodeOptions(request)
		if err != nil {
			if e.err == nil {
				e.err = err
			}
			return
		}
		typ := uint16(tcaActOptions)
		if request {
			typ |= attrNested // tc sets NLA_F_NESTED; the kernel's nest has none
		}
		e.Bytes(typ, b)
	}
	if a.Cookie != nil {
		e.Bytes(tcaActCookie, a.Cookie)
	}
	for _, u := range a.Unknown {
		e.Bytes(u.Type, u.Data)
	}
}

// validate checks one action for a request: a kind that agrees with the
// options, a cookie of at most 16 bytes, and the options' own rules.
func (a *TCAction) validate(v Verb) error {
	kind, err := tcKindOf(a.Kind, a.Options)
	if err != nil {
		return err
	}
	if kind == "" {
		return invalidf("action needs a kind")
	}
	if len(a.Cookie) > tcActCookieMaxLen {
		return invalidf("action cookie of %d bytes: at most %d", len(a.Cookie), tcActCookieMaxLen)
	}
	if a.Options != nil && !isNilOptions(a.Options) {
		return a.Options.validateOptions(v)
	}
	return nil
}

// String returns "gact action drop" or the kind alone.
func (a *TCAction) String() string {
	kind, _ := tcKindOf(a.Kind, a.Options)
	var b strings.Builder
	b.WriteString(kindWord(kind))
	optionsString(&b, a.Options)
	return b.String()
}

// TCActions is a filter's action list (TCA_FLOWER_ACT, TCA_MATCHALL_ACT,
// TCA_BASIC_ACT, ...): a nest holding one nest per action, whose type is
// the action's order from 1 (tcf_action_dump; tc's parse_action).
type TCActions []*TCAction

// decodeTCActions reads an action list.
func decodeTCActions(b []byte) (TCActions, error) {
	var out TCActions
	d := newAttrDecoder(b)
	for d.Next() {
		if len(out) == tcaActMaxPrio {
			return nil, malformedf("more than %d actions", tcaActMaxPrio)
		}
		a := new(TCAction)
		if err := a.decode(d.Data()); err != nil {
			return nil, fmt.Errorf("action %d: %w", d.Type(), err)
		}
		out = append(out, a)
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// appendTCActions encodes the list as attribute typ, its actions numbered
// from 1.
func appendTCActions(e *attrEncoder, typ uint16, acts TCActions, request bool) {
	if acts == nil {
		return
	}
	n := e.Nest(typ)
	for i, a := range acts {
		m := e.Nest(uint16(i + 1))
		if a != nil {
			a.append(e, request)
		}
		e.End(m)
	}
	e.End(n)
}

// validate checks the list for a request: at most 32 actions, none nil.
func (acts TCActions) validate(v Verb) error {
	if len(acts) > tcaActMaxPrio {
		return invalidf("%d actions: at most %d", len(acts), tcaActMaxPrio)
	}
	for i, a := range acts {
		if a == nil {
			return invalidf("action %d is nil", i+1)
		}
		if err := a.validate(v); err != nil {
			return fmt.Errorf("action %d: %w", i+1, err)
		}
	}
	return nil
}

// stable returns the list without counters (Stats, and the options'
// own, such as tcf_t times) and without TCA_ACT_USED_HW_STATS, which the
// kernel starts to report for an action once anything has read it on its
// own (`tc actions ls` runs tcf_action_update_hw_stats; a filter's dump
// shows it from then on, with no notification; seen live on 6.18); the
// original when there are none.
func (acts TCActions) stable() TCActions {
	var out TCActions
	for i, a := range acts {
		if a == nil {
			continue
		}
		st, hasSt := a.Options.(optionsStabler)
		usedHW := false
		for _, u := range a.Unknown {
			usedHW = usedHW || u.Type&attrTypeMask == tcaActUsedHWStats
		}
		if a.Stats == nil && !hasSt && !usedHW {
			continue
		}
		if out == nil {
			out = append(TCActions(nil), acts...)
		}
		c := *a
		c.Stats = nil
		if hasSt {
			c.Options = st.stableOptions().(ActionOptions)
		}
		if usedHW {
			c.Unknown = nil
			for _, u := range a.Unknown {
				if u.Type&attrTypeMask != tcaActUsedHWStats {
					c.Unknown = append(c.Unknown, u)
				}
			}
		}
		out[i] = &c
	}
	if out == nil {
		return acts
	}
	return out
}

// String returns the actions separated by " | ".
func (acts TCActions) String() string {
	s := make([]string, 0, len(acts))
	for _, a := range acts {
		if a != nil {
			s = append(s, a.String())
		}
	}
	return strings.Join(s, " | ")
}

// decodeTCFT reads struct tcf_t (install, lastuse, expires, firstuse in
// jiffies), which the kernel reports in a *_TM attribute.
func decodeTCFT(p []byte) ([]byte, error) {
	if len(p) != tcfTLen {
		return nil, malformedf("tcf_t of %d bytes, want %d", len(p), tcfTLen)
	}
	return append([]byte(nil), p...), nil
}
