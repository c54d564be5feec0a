package txn

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// Traffic control specs (qdisc.go, class.go, filter.go) share what this
// file holds: comparing a spec's options with the kernel's, printing
// them, and the links whose tc objects a rollback restores.
//
// A spec's options are netlink's typed options (netlink.TBF, netlink.HTB,
// netlink.HTBClass, netlink.U32, netlink.BPFFilter, ...). A field left at
// its zero value is the kernel's to choose (a default, or what the object
// has): the spec holds when every field it sets equals the kernel's, and
// a filter's change sends its other fields again (keptFields). The
// rollback's specs, and a filter spec with Exact, are exact: every field
// counts. Statistics and what the
// kernel only reports (tcFieldRules) never count.

// tcFieldRules are, per options type, the fields the kernel only reports
// or that cannot be compared (skip: htb's version and direct packet
// counter, a class's level in its tree, u32's hit counters, an eBPF
// program's tag and descriptor, and a classifier's raw attributes; an
// eBPF program counts by its id, withProgram) and the flag fields of which only some bits can be set (mask: the
// skip_hw and skip_sw bits of a classifier's flags; the kernel adds in_hw
// and not_in_hw, TCA_CLS_FLAGS_* in include/uapi/linux/pkt_cls.h). A
// classifier's actions are compared by actionsDiffer (tc_action.go); its
// old-style policer by the police rules of tcActionRules.
var tcFieldRules = map[reflect.Type]tcRules{
	reflect.TypeFor[netlink.HTB]():       {skip: set("Version", "DirectPackets"), filled: set("Rate2Quantum", "DirectQlen")},
	reflect.TypeFor[netlink.HTBClass]():  {skip: set("Level"), filled: set("Ceil", "Buffer", "Cbuffer", "Quantum"), derived: map[string][]string{"Buffer": {"Rate"}, "Cbuffer": {"Rate", "Ceil"}, "Quantum": {"Rate"}}},
	reflect.TypeFor[netlink.U32]():       {skip: set("Pcnt", "Unknown", "Actions"), mask: map[string]uint64{"Flags": tcClsFlagsSettable}, filled: set("Hash")},
	reflect.TypeFor[netlink.Flower]():    {skip: set("Actions"), mask: map[string]uint64{"Flags": tcClsFlagsSettable}, filled: set("Unknown")},
	reflect.TypeFor[netlink.Matchall]():  {skip: set("Actions"), mask: map[string]uint64{"Flags": tcClsFlagsSettable}, filled: set("Unknown")},
	reflect.TypeFor[netlink.Basic]():     {skip: set("Actions"), filled: set("Unknown")},
	reflect.TypeFor[netlink.BPFFilter](): {skip: set("Tag", "FD", "Unknown", "Actions"), mask: map[string]uint64{"GenFlags": tcClsFlagsSettable}, own: set("Ops", "Name", "ID")},
}

// tcRules say which fields of an options type count (tcFieldRules,
// tcActionRules): skip those that never do, always those that count even
// at zero (a request sends them, and the kernel keeps them as sent), and
// of a flags field (mask) only the bits a request sets.
type tcRules struct {
	skip, always map[string]bool
	mask         map[string]uint64
	// nilIsZero are pointer fields whose zero value the kernel does not
	// dump: nil and a pointer to zero are the same setting.
	nilIsZero map[string]bool
	// filled are the fields the kernel fills in when a request leaves
	// them zero (a u32 node's Hash: the table of its handle, u32_change):
	// zero in a spec, exact or not, they do not count.
	filled map[string]bool
	// derived are the filled fields computed from others (htb's burst
	// and quantum from its rate): keptFields takes them from the
	// kernel's object only while those others stay as they are.
	derived map[string][]string
	// own are the fields that a spec always gives together and that are
	// never taken from the kernel's object for a change (keptFields): an
	// eBPF filter's program (Ops, or FD with Name; ID is what FD is).
	own map[string]bool
}

// rulesOf returns the rules of options type t.
func rulesOf(t reflect.Type) tcRules {
	if r, ok := tcFieldRules[t]; ok {
		return r
	}
	return tcActionRules[t]
}

// tcClsFlagsSettable are the classifier flags a request sets.
const tcClsFlagsSettable = netlink.TCClsFlagsSkipHW | netlink.TCClsFlagsSkipSW

// isNilTC reports whether o holds no options (a nil interface or pointer).
func isNilTC(o netlink.TCOptions) bool {
	if o == nil {
		return true
	}
	v := reflect.ValueOf(o)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// withoutUnheld returns want and have without the fields no spec can
// hold, for their comparison. The kernel measures some from traffic and
// changes them without a notification: cake's bandwidth under
// autorate-ingress (sch_cake.c's
// cake_enqueue sets rate_bps from the measured ingress rate, and
// cake_dump reports it). The bandwidth of a spec that asks for
// autorate-ingress, or leaves it as the kernel has it on, is only the
// starting estimate: it is sent when something else changes and never
// compared.
//
// An inner htb class's prio and quantum are frozen: the kernel
// sets them on leaf classes only (htb_change_class: "if (!cl->level)")
// and keeps those of a class that got children, refusing nothing. For a
// class of level 1 and up they are the kernel's. And a tbf's peak
// ratespec exists only with a peak rate (tbf_dump reports zero without).
func withoutUnheld(want, have netlink.TCOptions) (netlink.TCOptions, netlink.TCOptions) {
	if w, ok := want.(*netlink.HTBClass); ok && w != nil {
		if h, ok := have.(*netlink.HTBClass); ok && h != nil && h.Level > 0 {
			wc := *w
			wc.Prio, wc.Quantum = h.Prio, h.Quantum
			return &wc, have
		}
		return want, have
	}
	if w, ok := want.(*netlink.TBF); ok && w != nil {
		// Without a peak rate the kernel reports a zero peak ratespec
		// (tbf_dump): that of a peak rate coming or going is no change
		// of its own.
		if h, ok := have.(*netlink.TBF); ok && h != nil && (w.Peakrate == 0 || h.Peakrate == 0) {
			hc := *h
			hc.PeakSpec = w.PeakSpec
			return want, &hc
		}
		return want, have
	}
	w, ok := want.(*netlink.Cake)
	if !ok || w == nil {
		return want, have
	}
	h, _ := have.(*netlink.Cake)
	on := func(p *uint32) bool { return p != nil && *p == 1 }
	if !on(w.Autorate) && (w.Autorate != nil || h == nil || !on(h.Autorate)) {
		return want, have
	}
	wc := *w
	wc.BaseRate = nil
	if h == nil {
		return &wc, have
	}
	hc := *h
	hc.BaseRate = nil
	return &wc, &hc
}

// keptFields returns want (a spec's options) with the fields it leaves
// at zero taken from have (the kernel's options of the same type), for
// the request of a change that a spec without Exact asks for: the kernel
// builds a changed filter from the request alone, and a qdisc's or
// class's change takes the kind's whole options, so a field the spec
// leaves to the object's own value must be sent again. Of a flags field
// (tcRules.mask) the settable bits are taken when want sets none of
// them. The fields the rules skip, a spec's own (tcRules.own), the action
// list and the old-style policer (keptActions, keptPolice) are not taken.
// A derived field (tcRules.derived) is taken only while the fields it
// comes from are the kernel's. want is not changed: the result is a copy
// when it differs.
func keptFields(want, have netlink.TCOptions) netlink.TCOptions {
	if isNilTC(want) || isNilTC(have) || reflect.TypeOf(want) != reflect.TypeOf(have) {
		return want
	}
	w, h := reflect.ValueOf(want).Elem(), reflect.ValueOf(have).Elem()
	t := w.Type()
	rules := rulesOf(t)
	out := reflect.New(t)
	out.Elem().Set(w)
	changed := false
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || rules.skip[f.Name] || rules.own[f.Name] || f.Name == "Actions" || f.Name == "Police" {
			continue
		}
		ov, hv := out.Elem().Field(i), h.Field(i)
		if m, ok := rules.mask[f.Name]; ok {
			if ov.Uint()&m == 0 && hv.Uint()&m != 0 {
				ov.SetUint(ov.Uint() | hv.Uint()&m)
				changed = true
			}
			continue
		}
		if ov.IsZero() && !hv.IsZero() && !slices.ContainsFunc(rules.derived[f.Name], func(from string) bool {
			return !reflect.DeepEqual(out.Elem().FieldByName(from).Interface(), h.FieldByName(from).Interface())
		}) {
			ov.Set(hv)
			changed = true
		}
	}
	if !changed {
		return want
	}
	return out.Interface().(netlink.TCOptions)
}

// tcOptionsDiff lists how have (the kernel's options) differs from want
// (a spec's), as "field old -> new"; empty if want holds. Without exact,
// fields want leaves at zero do not count (nor do nil options).
func tcOptionsDiff(want, have netlink.TCOptions, exact bool) changeList {
	var c changeList
	want, have = withoutUnheld(want, have)
	if w, ok := want.(*netlink.HTBClass); ok && w != nil && exact && w.Ceil == 0 {
		// A zero ceil in a request is the rate (netlink.HTBClass).
		wc := *w
		wc.Ceil = w.Rate
		want = &wc
	}
	switch {
	case isNilTC(want) && isNilTC(have):
	case isNilTC(want):
		// The kind's defaults, or the object's own: no options are sent.
	case isNilTC(have):
		c.add("options", "(none)", "["+tcOptionsWords(want)+"]")
	case reflect.TypeOf(want) != reflect.TypeOf(have):
		c.add("options", "["+tcOptionsWords(have)+"]", "["+tcOptionsWords(want)+"]")
	default:
		diffStruct(&c, "", reflect.ValueOf(want).Elem(), reflect.ValueOf(have).Elem(), exact)
	}
	return c
}

func diffStruct(c *changeList, prefix string, w, h reflect.Value, exact bool) {
	if w.Kind() != reflect.Struct {
		if (exact || !w.IsZero()) && !reflect.DeepEqual(w.Interface(), h.Interface()) {
			c.add(strings.TrimSuffix(prefix, "."), h.Interface(), w.Interface())
		}
		return
	}
	t := w.Type()
	rules := rulesOf(t)
	words := tcWords[t]
	for _, i := range tcFields(t) {
		f := t.Field(i)
		if !f.IsExported() || rules.skip[f.Name] {
			continue
		}
		wv, hv := w.Field(i), h.Field(i)
		name := prefix + strings.ToLower(f.Name)
		if m, ok := rules.mask[f.Name]; ok {
			a, b := wv.Uint()&m, hv.Uint()&m
			if (exact || a != 0) && a != b {
				c.add(name, fmt.Sprintf("%#x", b), fmt.Sprintf("%#x", a))
			}
			continue
		}
		if (!exact || rules.filled[f.Name]) && !rules.always[f.Name] && wv.IsZero() {
			continue
		}
		wd, hasWord := words[f.Name]
		switch wv.Kind() {
		case reflect.Struct:
			if hasWord && wd.flatten {
				diffStruct(c, prefix, wv, hv, exact)
			} else {
				diffStruct(c, name+".", wv, hv, exact)
			}
		case reflect.Pointer:
			if rules.nilIsZero[f.Name] {
				wv, hv = zeroIfNil(wv), zeroIfNil(hv)
			}
			switch {
			case wv.IsNil() && hv.IsNil():
			case wv.Type().Elem().Kind() != reflect.Struct: // *uint32 and the like
				if wv.IsNil() || hv.IsNil() || !reflect.DeepEqual(wv.Elem().Interface(), hv.Elem().Interface()) {
					c.add(fieldChange(prefix, name, words, f.Name, w, h, wv, hv, t))
				}
			case wv.IsNil():
				c.add(name, "["+structWords(hv.Elem())+"]", "(none)")
			case hv.IsNil():
				c.add(name, "(none)", "["+structWords(wv.Elem())+"]")
			default:
				diffStruct(c, name+".", wv.Elem(), hv.Elem(), exact)
			}
		default:
			if !reflect.DeepEqual(wv.Interface(), hv.Interface()) {
				c.add(fieldChange(prefix, name, words, f.Name, w, h, wv, hv, t))
			}
		}
	}
}

// fieldChange returns the word and the old and new values of field fname
// of struct type t (w and h the structs, wv and hv the field's values):
// in tc's words (tcWords) when they tell the values apart, else by the
// field's name.
func fieldChange(prefix, name string, words map[string]tcWord, fname string, w, h, wv, hv reflect.Value, t reflect.Type) (string, any, any) {
	if wd, ok := words[fname]; ok && wd.show != nil && !isNilPtr(wv) && !isNilPtr(hv) {
		for _, show := range []func(o, f reflect.Value) (string, string){wd.show, wd.alt} {
			if show == nil {
				continue
			}
			ow, ov := show(h, hv)
			nw, nv := show(w, wv)
			if ow == nw && ov != nv && ow != "" {
				return prefix + ow, ov, nv
			}
		}
	}
	return name, fmtNamed(t, fname, hv), fmtNamed(t, fname, wv)
}

func isNilPtr(v reflect.Value) bool { return v.Kind() == reflect.Pointer && v.IsNil() }

// fmtField prints a field's value in tc's notation where tc has one:
// u32 keys as "match c0000200/ffffff00 at 16", classic bpf as tc's
// bytecode, u32 table handles as "800:", htb's default class in
// hexadecimal.
func fmtField(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case []netlink.U32Key:
		parts := make([]string, len(x))
		for i, k := range x {
			parts[i] = fmt.Sprintf("match %08x/%08x at %d", k.Val, k.Mask, k.Off)
		}
		return strings.Join(parts, " ")
	case []netlink.BPFInstruction:
		parts := []string{fmt.Sprint(len(x))}
		for _, in := range x {
			parts = append(parts, fmt.Sprintf("%d %d %d %d", in.Code, in.Jt, in.Jf, in.K))
		}
		return "'" + strings.Join(parts, ",") + "'"
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "(none)"
		}
		return fmtField(v.Elem())
	}
	if v.Kind() == reflect.Slice && v.Len() == 0 {
		return "[]"
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%v", v.Interface())
}

// fmtNamed is fmtField for the field name of struct type t: u32's table
// handles (hash, link) as tc writes them, htb's default class in hex.
func fmtNamed(t reflect.Type, name string, v reflect.Value) string {
	switch {
	case t == reflect.TypeFor[netlink.U32]() && (name == "Hash" || name == "Link"):
		return netlink.U32Handle(uint32(v.Uint()))
	case t == reflect.TypeFor[netlink.HTB]() && name == "Default":
		return fmt.Sprintf("%#x", v.Uint())
	}
	return fmtField(v)
}

// tcOptionsWords prints the fields options set (those not zero, but for
// what the kernel only reports) in tc's words and units (describe_tc.go):
// "rate 1Mbit burst 10000b lat 25ms"; a classifier's actions are
// printed apart (actionsWords).
func tcOptionsWords(o netlink.TCOptions) string {
	if isNilTC(o) {
		return ""
	}
	return structWords(reflect.ValueOf(o).Elem())
}

// structWords prints the fields of struct v that are set, as
// tcOptionsWords.
func structWords(v reflect.Value) string {
	var parts []string
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		rules := rulesOf(t)
		words := tcWords[t]
		for _, i := range tcFields(t) {
			f := t.Field(i)
			if !f.IsExported() || rules.skip[f.Name] || f.Name == "Kind" || f.Name == "Unknown" {
				continue
			}
			fv := v.Field(i)
			if m, ok := rules.mask[f.Name]; ok && fv.Uint()&m == 0 {
				continue
			}
			if fv.IsZero() {
				continue
			}
			name := prefix + strings.ToLower(f.Name)
			wd, hasWord := words[f.Name]
			switch {
			case fv.Kind() == reflect.Struct && hasWord && wd.flatten:
				// A rate's and a ceil's link layer, overhead...: once if
				// the same (tc prints one).
				n := len(parts)
				walk(prefix, fv)
				kept := parts[:n:n]
				for _, p := range parts[n:] {
					if !slices.Contains(parts[:n], p) {
						kept = append(kept, p)
					}
				}
				parts = kept
			case fv.Kind() == reflect.Struct:
				walk(name+".", fv)
			case fv.Type() == reflect.TypeFor[*netlink.Police]():
				// An old-style policer, in tc's words as an action's.
				parts = append(parts, actionWords(0, &netlink.TCAction{Options: fv.Interface().(*netlink.Police)}, nil))
			case fv.Kind() == reflect.Pointer && fv.Elem().Kind() == reflect.Struct:
				walk(name+".", fv.Elem())
			case fv.Type() == reflect.TypeFor[netlink.TCActions]():
				parts = append(parts, actionsWords(fv.Interface().(netlink.TCActions), nil))
			case hasWord && wd.show != nil:
				if w, val := wd.show(v, fv); w != "" {
					parts = append(parts, prefix+w+" "+val)
				}
			default:
				parts = append(parts, name+" "+fmtNamed(t, f.Name, fv))
			}
		}
	}
	walk("", v)
	return strings.Join(parts, " ")
}

// tcKind returns the kind a spec names: kind, or that of its options.
func tcKind(kind string, o netlink.TCOptions) string {
	if kind == "" && !isNilTC(o) {
		return o.TCKind()
	}
	return kind
}

// tcScope is a link whose tc objects a rollback restores whole: its name,
// its index in the pre-image and now (0 if it has none).
type tcScope struct {
	name     string
	pre, cur int
}

// tcRestoreLinks returns the links whose tc objects a rollback restores:
// those a tc spec names, and those of the link specs (rs.preLinks: a link
// deleted and created again comes back with the kernel's default qdisc
// only), when they existed before the transaction.
func tcRestoreLinks(rs *restorer) []tcScope {
	seen := map[string]bool{}
	var out []tcScope
	add := func(name string) {
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		l, err := rs.pre.LinkByName(name)
		if err != nil {
			return // created by the transaction: its removal takes its tc objects
		}
		s := tcScope{name: name, pre: l.Index}
		if c, err := rs.cur.LinkByName(name); err == nil {
			s.cur = c.Index
		}
		out = append(out, s)
	}
	for i := range rs.ss.qdiscs {
		add(rs.ss.qdiscs[i].Dev)
	}
	for i := range rs.ss.classes {
		add(rs.ss.classes[i].Dev)
	}
	for i := range rs.ss.filters {
		add(rs.ss.filters[i].Dev)
	}
	for idx := range rs.preLinks {
		add(rs.preName(idx))
	}
	return out
}

// tcIndex finds a state's classes and filters by identity, and the class
// specs by link and class id, without a scan each: built once per planner
// (a state is immutable), it keeps a plan or a verify of many tc specs
// linear.
type tcIndex struct {
	classes    map[int]map[netlink.Handle]*netlink.Class
	filters    map[int]map[filterID]*netlink.Filter
	classSpecs map[filterID]*ClassSpec // dev and class id (in handle) only
	// blocks are the qdiscs bound to each shared block; blockFilters
	// the filters of each block asked for (filter_block.go).
	blocks       map[uint32][]blockBinding
	blockFilters map[uint32]map[filterID]*netlink.Filter
}

// tcIndexOf returns p's index, empty until a link's objects are asked
// for.
func (p *planner) tcIndexOf() *tcIndex {
	if p.tc == nil {
		p.tc = &tcIndex{classes: map[int]map[netlink.Handle]*netlink.Class{}, filters: map[int]map[filterID]*netlink.Filter{}}
	}
	return p.tc
}

// stateClass returns the class id of link idx in p's state, or nil.
func (p *planner) stateClass(idx int, id netlink.Handle) *netlink.Class {
	ix := p.tcIndexOf()
	m, ok := ix.classes[idx]
	if !ok {
		m = map[netlink.Handle]*netlink.Class{}
		for c := range p.st.ClassesOf(idx) {
			m[c.Handle] = c
		}
		ix.classes[idx] = m
	}
	return m[id]
}

// stateFilter returns the filter of link idx with the identity of s (its
// link name aside) in p's state, or nil.
func (p *planner) stateFilter(idx int, s *FilterSpec) *netlink.Filter {
	ix := p.tcIndexOf()
	m, ok := ix.filters[idx]
	if !ok {
		m = map[filterID]*netlink.Filter{}
		for f := range p.st.FiltersOf(idx) {
			m[filterID{parent: f.Parent, chain: f.Chain, prio: f.Priority, protocol: f.Protocol, handle: f.Handle}] = f
		}
		ix.filters[idx] = m
	}
	id := s.id()
	id.dev = ""
	return m[id]
}

// classSpec returns the class spec of p's set for class id on link dev,
// or nil.
func (p *planner) classSpec(dev string, id netlink.Handle) *ClassSpec {
	ix := p.tcIndexOf()
	if ix.classSpecs == nil {
		ix.classSpecs = make(map[filterID]*ClassSpec, len(p.ss.classes))
		for i := range p.ss.classes {
			c := &p.ss.classes[i]
			ix.classSpecs[filterID{dev: c.Dev, handle: uint32(c.ClassID)}] = c
		}
	}
	return ix.classSpecs[filterID{dev: dev, handle: uint32(id)}]
}

// zeroIfNil returns p, or a pointer to a zero value of its type if p is
// nil.
func zeroIfNil(p reflect.Value) reflect.Value {
	if p.IsNil() {
		return reflect.New(p.Type().Elem())
	}
	return p
}
