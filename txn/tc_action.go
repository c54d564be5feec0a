package txn

import (
	"encoding/binary"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// A filter's actions (the Actions field of *netlink.U32, *netlink.Basic,
// *netlink.BPFFilter, *netlink.Flower, *netlink.Matchall: TCA_*_ACT) are compared by
// what a request sets: their number and order, each one's kind, cookie
// and settable options (mirred's eaction, target and verdict, gact's
// verdicts, police's rates, burst, MTU and verdicts, act_bpf's program).
// What the kernel adds when it dumps them (tcf_action_dump_1 in
// net/sched/act_api.c: the index it chose, reference and bind counts,
// counters, install and last-use times, hardware flags) never counts.

// tcActionRules are the tcFieldRules of the actions' options: skip for
// what the kernel reports only, always for what a request always sends
// and the kernel keeps as sent (a verdict of 0 is TC_ACT_OK, "pass", not
// the kernel's choice).
var tcActionRules = map[reflect.Type]tcRules{
	reflect.TypeFor[netlink.TCActionGen](): {skip: set("Index", "Capab", "Refcnt", "Bindcnt"), always: set("Action")},
	reflect.TypeFor[netlink.Mirred]():      {skip: set("TM", "Unknown"), always: set("TCActionGen", "Eaction", "Ifindex", "BlockID")},
	reflect.TypeFor[netlink.Gact]():        {skip: set("TM", "Unknown"), always: set("TCActionGen")},
	// TCA_POLICE_RESULT is dumped only when not TC_ACT_OK (tcf_police_dump:
	// "if (p->tcfp_result)"): tc's "conform-exceed drop/pass" sends 0.
	reflect.TypeFor[netlink.Police](): {skip: set("Index", "Capab", "Refcnt", "Bindcnt", "TM", "Unknown", "Limit"), always: set("Action"), nilIsZero: set("Conform"), filled: set("MTU")},
	// A bpf action's eBPF program counts by its id (withProgram).
	reflect.TypeFor[netlink.ActBPF](): {skip: set("Tag", "FD", "TM", "Unknown"), always: set("TCActionGen")},
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// filterActions returns the action list of filter options o (its Actions
// field), and whether its type has one.
func filterActions(o netlink.TCOptions) (netlink.TCActions, bool) {
	if isNilTC(o) {
		return nil, false
	}
	v := reflect.ValueOf(o).Elem()
	if v.Kind() != reflect.Struct {
		return nil, false
	}
	f := v.FieldByName("Actions")
	if !f.IsValid() || f.Type() != reflect.TypeFor[netlink.TCActions]() {
		return nil, false
	}
	return f.Interface().(netlink.TCActions), true
}

// withActions returns a copy of o whose action list is acts (o itself is
// not changed).
func withActions(o netlink.FilterOptions, acts netlink.TCActions) netlink.FilterOptions {
	v := reflect.ValueOf(o).Elem()
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	c.Elem().FieldByName("Actions").Set(reflect.ValueOf(acts))
	return c.Interface().(netlink.FilterOptions)
}

// filterPolice returns the old-style policer of filter options o (its
// Police field), and whether its type has one.
func filterPolice(o netlink.TCOptions) (*netlink.Police, bool) {
	if isNilTC(o) {
		return nil, false
	}
	v := reflect.ValueOf(o).Elem()
	if v.Kind() != reflect.Struct {
		return nil, false
	}
	f := v.FieldByName("Police")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*netlink.Police]() {
		return nil, false
	}
	return f.Interface().(*netlink.Police), true
}

// withPolice returns a copy of o whose old-style policer is p (o itself
// is not changed).
func withPolice(o netlink.FilterOptions, p *netlink.Police) netlink.FilterOptions {
	v := reflect.ValueOf(o).Elem()
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	c.Elem().FieldByName("Police").Set(reflect.ValueOf(p))
	return c.Interface().(netlink.FilterOptions)
}

// withMirredTargets returns o with the Ifindex of each mirred action that
// devs names set to index(name); o itself if devs is empty. An index of 0
// (a link not there yet) leaves 0.
func withMirredTargets(o netlink.FilterOptions, devs map[int]string, index func(string) (int, error)) (netlink.FilterOptions, error) {
	if len(devs) == 0 || isNilTC(o) {
		return o, nil
	}
	acts, ok := filterActions(o)
	if !ok {
		return nil, fmt.Errorf("%s filters have no actions", o.TCKind())
	}
	out := slices.Clone(acts)
	for _, i := range slices.Sorted(maps.Keys(devs)) {
		idx, err := index(devs[i])
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= len(out) || out[i] == nil {
			return nil, fmt.Errorf("no action %d", i)
		}
		m, ok := out[i].Options.(*netlink.Mirred)
		if !ok {
			return nil, fmt.Errorf("action %d is no mirred", i)
		}
		mc := *m
		mc.Ifindex = uint32(idx)
		ac := *out[i]
		ac.Options = &mc
		out[i] = &ac
	}
	return withActions(o, out), nil
}

// validateMirredDevs checks a filter spec's MirredDevs against its
// actions: each names a mirred action by its position, whose target is
// given by name only.
func (s *FilterSpec) validateMirredDevs() error {
	if len(s.MirredDevs) == 0 {
		return nil
	}
	acts, ok := filterActions(s.Options)
	if !ok {
		return invalid("%s: MirredDevs names targets, but %s filters have no actions", s.what(), s.kind())
	}
	for _, i := range slices.Sorted(maps.Keys(s.MirredDevs)) {
		name := s.MirredDevs[i]
		if i < 0 || i >= len(acts) || acts[i] == nil {
			return invalid("%s: MirredDevs[%d] %q: the filter has %d actions (positions from 0)", s.what(), i, name, len(acts))
		}
		m, ok := acts[i].Options.(*netlink.Mirred)
		if !ok {
			return invalid("%s: MirredDevs[%d] %q: action %d is %s, not mirred", s.what(), i, name, i, acts[i].String())
		}
		if m.Ifindex != 0 || m.BlockID != 0 {
			return invalid("%s: MirredDevs[%d] %q: the mirred action gives an ifindex or block too; give the target once", s.what(), i, name)
		}
		if err := validName(fmt.Sprintf("%s: mirred target", s.what()), name); err != nil {
			return err
		}
	}
	return nil
}

// actionsDiffer reports whether have (the kernel's action list) differs
// from want (a spec's) in what a request sets: number, order, kinds,
// cookies, options (tcActionRules). A spec sends its whole list, so a
// list the spec leaves nil does not count, but without exact an empty
// one does.
func actionsDiffer(want, have netlink.TCActions, exact bool) bool {
	if want == nil && !exact {
		return false
	}
	if len(want) != len(have) {
		return true
	}
	for i := range want {
		w, h := want[i], have[i]
		if w == nil || h == nil {
			if w != h {
				return true
			}
			continue
		}
		if tcKind(w.Kind, w.Options) != tcKind(h.Kind, h.Options) {
			return true
		}
		if (exact || w.Cookie != nil) && string(w.Cookie) != string(h.Cookie) {
			return true
		}
		wo, ho := w.Options, h.Options
		switch {
		case isNilTC(wo) && isNilTC(ho):
		case isNilTC(wo) || isNilTC(ho):
			if exact || !isNilTC(wo) {
				return true
			}
		case reflect.TypeOf(wo) != reflect.TypeOf(ho):
			return true
		default:
			if _, raw := wo.(*netlink.RawTCOptions); raw {
				continue // an action netlink does not decode: its kind alone
			}
			var c changeList
			diffStruct(&c, "", reflect.ValueOf(wo).Elem(), reflect.ValueOf(ho).Elem(), exact)
			if len(c) > 0 {
				return true
			}
		}
	}
	return false
}

// actionsWords prints an action list in tc's words, as `tc filter add`
// takes them: "action mirred egress redirect dev ifb0 action gact drop".
// dev names the target of mirred action i (its link's name, or "" to
// print the interface index).
func actionsWords(acts netlink.TCActions, dev func(i int, ifindex uint32) string) string {
	parts := make([]string, 0, len(acts))
	for i, a := range acts {
		if a == nil {
			continue
		}
		parts = append(parts, "action "+actionWords(i, a, dev))
	}
	return strings.Join(parts, " ")
}

// mirredWords are tc-mirred(8)'s DIRECTION ACTION.
var mirredWords = map[int32]string{
	netlink.MirredEgressRedirect: "egress redirect", netlink.MirredEgressMirror: "egress mirror",
	netlink.MirredIngressRedirect: "ingress redirect", netlink.MirredIngressMirror: "ingress mirror",
}

func actionWords(i int, a *netlink.TCAction, dev func(int, uint32) string) string {
	kind := tcKind(a.Kind, a.Options)
	var s string
	switch o := a.Options.(type) {
	case *netlink.Mirred:
		w, ok := mirredWords[o.Eaction]
		if !ok {
			w = fmt.Sprintf("eaction %d", o.Eaction)
		}
		s = "mirred " + w
		switch {
		case o.BlockID != 0:
			s += fmt.Sprintf(" blockid %d", o.BlockID)
		default:
			name := ""
			if dev != nil {
				name = dev(i, o.Ifindex)
			}
			if name == "" {
				name = fmt.Sprintf("#%d", o.Ifindex)
			}
			s += " dev " + name
		}
		s += mirredVerdictWords(o)
	case *netlink.Gact:
		s = "gact " + netlink.TCActionString(o.Action)
		if p := o.Prob; p != nil {
			mode := map[uint16]string{netlink.GactProbNetrand: "netrand", netlink.GactProbDeterm: "determ"}[p.Type]
			if mode == "" {
				mode = fmt.Sprint(p.Type)
			}
			s += fmt.Sprintf(" random %s %s %d", mode, netlink.TCActionString(p.Action), p.Value)
		}
	case *netlink.Police:
		s = "police"
		if o.Rate != 0 {
			s += " rate " + tcRate(o.Rate) + " burst " + tcSize(tcXmitSize(o.Rate, o.Burst))
		}
		if o.PeakRate != 0 {
			s += " peakrate " + tcRate(o.PeakRate)
		}
		if o.MTU != 0 {
			s += " mtu " + tcSize(uint64(o.MTU))
		}
		if o.AvRate != 0 {
			s += " avrate " + tcRate(uint64(o.AvRate))
		}
		if o.PktRate != 0 {
			s += fmt.Sprintf(" pkts_rate %d pkts_burst %d", o.PktRate, tcXmitSize(o.PktRate, uint32(o.PktBurst)))
		}
		s += " conform-exceed " + netlink.TCActionString(o.Action)
		if o.Conform != nil {
			s += "/" + netlink.TCActionString(*o.Conform)
		}
	case *netlink.ActBPF:
		s = "bpf"
		switch {
		case len(o.Ops) > 0:
			s += " bytecode " + sockFilterWords(o.Ops)
		default:
			if o.Name != "" {
				s += " name " + o.Name
			}
			if o.ID != 0 {
				s += fmt.Sprintf(" id %d", o.ID)
			} else if o.FD > 0 {
				s += fmt.Sprintf(" fd %d", o.FD)
			}
		}
		s += " " + netlink.TCActionString(o.Action)
	default:
		s = a.String()
		if kind != "" && !strings.HasPrefix(s, kind) {
			s = kind + " " + s
		}
	}
	if len(a.Cookie) > 0 {
		s += fmt.Sprintf(" cookie %x", a.Cookie)
	}
	return s
}

// mirredVerdictWords prints a mirred action's verdict as tc takes it
// back: after a mirror only, where pipe is the default, and only the
// verdicts tc names (action_a2n in iproute2's tc/tc_util.c: no stolen);
// a redirect's is always stolen (parse_direction in tc/m_mirred.c reads
// none). Another, which a netlink request can set, prints as a note that
// tc cannot take back.
func mirredVerdictWords(o *netlink.Mirred) string {
	mirror := o.Eaction == netlink.MirredEgressMirror || o.Eaction == netlink.MirredIngressMirror
	w := netlink.TCActionString(o.Action)
	switch {
	case mirror && o.Action == netlink.TCActPipe, !mirror && o.Action == netlink.TCActStolen:
		return ""
	case mirror && (slices.Contains([]string{"continue", "pass", "reclassify", "drop", "trap"}, w) ||
		strings.HasPrefix(w, "jump ") || strings.HasPrefix(w, "goto chain ")):
		return " " + w
	case mirror:
		return " (verdict " + w + ", which tc sets for no mirror)"
	}
	return " (verdict " + w + ", which tc sets for no redirect)"
}

// sockFilterWords prints classic BPF bytecode (struct sock_filter, 8
// bytes each in host order: code, jt, jf, k) as tc's bytecode,
// "'N,code jt jf k,...'"; bytes that are no whole instructions print as
// their count.
func sockFilterWords(b []byte) string {
	if len(b)%8 != 0 {
		return fmt.Sprintf("of %d bytes", len(b))
	}
	ops := make([]netlink.BPFInstruction, 0, len(b)/8)
	for i := 0; i < len(b); i += 8 {
		ops = append(ops, netlink.BPFInstruction{Code: binary.NativeEndian.Uint16(b[i:]), Jt: b[i+2], Jf: b[i+3],
			K: binary.NativeEndian.Uint32(b[i+4:])})
	}
	return fmtField(reflect.ValueOf(ops))
}
