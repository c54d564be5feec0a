package txn

import (
	"reflect"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// RuleSpec is the desired state of a routing policy rule. A present spec
// is identified by its selector and action (every field of Rule but
// Protocol; a zero Priority matches any priority). An absent spec selects
// as `ip rule del` does: the fields it gives must match, the fields it
// leaves zero are wildcards, so RuleSpec{Rule: netlink.Rule{Priority:
// 110}, Absent: true} removes every IPv4 rule of priority 110.
type RuleSpec struct {
	// Rule is the rule.
	Rule netlink.Rule
	// Absent deletes every rule the spec selects.
	Absent bool

	// exact (rollback only): an absent spec selects only the rule of
	// exactly this identity.
	exact bool
}

// normRule returns r with the kernel's defaults filled in, for matching.
func normRule(r netlink.Rule) netlink.Rule {
	if r.Family == 0 {
		switch {
		case r.Src.IsValid() && r.Src.Addr().Is6(), r.Dst.IsValid() && r.Dst.Addr().Is6():
			r.Family = unix.AF_INET6
		default:
			r.Family = unix.AF_INET
		}
	}
	if r.Action == 0 {
		r.Action = netlink.RuleToTable
		if r.Goto != 0 {
			r.Action = netlink.RuleGoto
		}
	}
	if r.Action == netlink.RuleToTable && r.Table == 0 {
		r.Table = unix.RT_TABLE_MAIN
	}
	if r.Mark != 0 && r.Mask == 0 {
		r.Mask = 0xffffffff
	}
	if r.UIDRange != nil && r.UIDRange.Start == 0 && r.UIDRange.End == 0xffffffff {
		r.UIDRange = nil
	}
	r.Unknown = nil
	return r
}

func (s *RuleSpec) validate() error {
	if s.Absent {
		w := s.Rule
		w.Family, w.Unknown = 0, nil
		if reflect.DeepEqual(w, netlink.Rule{}) {
			return invalid("rule: absent with nothing to select by (give at least a priority, a selector or an action)")
		}
	}
	r := normRule(s.Rule)
	if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
		return invalid("rule: family %d", r.Family)
	}
	if req := netlink.RuleRequest(netlink.Add, &r); req.Err() != nil {
		return invalid("rule %s: %v", &r, req.Err())
	}
	return nil
}

// Rule adds a rule spec.
func (t *Txn) Rule(s RuleSpec) *Txn { t.specs.rules = append(t.specs.rules, s); t.plan = nil; return t }

// ruleOps is the kindOps of routing policy rules.
type ruleOps struct{}

func (ruleOps) count(ss *specSet) int { return len(ss.rules) }

func (ruleOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.rules {
		fn(specRef{kind: netlink.KindRule, i: int32(i)})
	}
}

func (ruleOps) validate(ss *specSet) error {
	for i := range ss.rules {
		if err := ss.rules[i].validate(); err != nil {
			return specErr(specRef{kind: netlink.KindRule, i: int32(i)}, err)
		}
	}
	return nil
}

func ruleMatches(have, want netlink.Rule) bool {
	if want.Priority == 0 {
		have.Priority = 0
	}
	if want.Protocol == 0 {
		have.Protocol = 0
	}
	return reflect.DeepEqual(have, want)
}

// ruleSelects reports whether have is a rule that the absent spec want
// selects, as `ip rule del` selects (the kernel's rule_find and
// fib4/fib6_rule_compare): every field want gives must equal have's, and
// the fields it leaves zero (or nil) are wildcards. A mark without a mask
// selects the mask 0xffffffff, as in the kernel.
func ruleSelects(have *netlink.Rule, want netlink.Rule) bool {
	fam := normRule(want).Family
	w := &want
	switch {
	case have.Family != fam,
		w.Action != 0 && have.Action != w.Action,
		w.Table != 0 && have.Table != w.Table,
		w.Priority != 0 && have.Priority != w.Priority,
		w.IIFName != "" && have.IIFName != w.IIFName,
		w.OIFName != "" && have.OIFName != w.OIFName,
		w.Mark != 0 && have.Mark != w.Mark,
		w.Mask != 0 && have.Mask != w.Mask,
		w.Mark != 0 && w.Mask == 0 && have.Mask != 0xffffffff,
		w.TunID != 0 && have.TunID != w.TunID,
		w.L3MDev != 0 && have.L3MDev != w.L3MDev,
		w.UIDRange != nil && (have.UIDRange == nil || *have.UIDRange != *w.UIDRange),
		w.IPProto != 0 && have.IPProto != w.IPProto,
		w.Protocol != 0 && have.Protocol != w.Protocol,
		w.SPort != (netlink.RulePortRange{}) && have.SPort != w.SPort,
		w.DPort != (netlink.RulePortRange{}) && have.DPort != w.DPort,
		w.Src.IsValid() && have.Src != w.Src,
		w.Dst.IsValid() && have.Dst != w.Dst,
		w.TOS != 0 && have.TOS != w.TOS,
		w.Flow != 0 && have.Flow != w.Flow,
		w.Goto != 0 && have.Goto != w.Goto,
		w.Flags&unix.FIB_RULE_INVERT != 0 && have.Flags&unix.FIB_RULE_INVERT == 0,
		w.SuppressPrefixLen != nil && (have.SuppressPrefixLen == nil || *have.SuppressPrefixLen != *w.SuppressPrefixLen),
		w.SuppressIfGroup != nil && (have.SuppressIfGroup == nil || *have.SuppressIfGroup != *w.SuppressIfGroup):
		return false
	}
	return true
}

// ruleSpecMatches reports whether the existing rule r is one that spec s
// is about: for an absent spec, every rule it selects (ruleSelects); for
// a present one, the rule of the same identity (every field but the
// protocol, and the priority when the spec gives none).
func ruleSpecMatches(r *netlink.Rule, s *RuleSpec) bool {
	if s.Absent && !s.exact {
		return ruleSelects(r, s.Rule)
	}
	return ruleMatches(normRule(*r), normRule(s.Rule))
}

func (ruleOps) plan(p *planner, ref specRef) error { return p.planRule(ref, &p.ss.rules[ref.i]) }

// verifyIndex is nil: a rule change rechecks every rule spec.
func (ruleOps) verifyIndex() verifyIndex { return nil }

func (p *planner) planRule(ref specRef, s *RuleSpec) error {
	want := normRule(s.Rule)
	var ex []*netlink.Rule
	for r := range p.st.Rules() {
		if ruleSpecMatches(r, s) {
			ex = append(ex, r)
			observe(p, r)
		}
	}
	if s.Absent {
		for _, r := range ex {
			del := *r
			p.add(&Step{Action: Remove, Kind: netlink.KindRule, stage: stageRuleDel, spec: ref,
				desc:  func() string { return "rule " + del.String() },
				build: func(*resolver) (netlink.Request, error) { return netlink.RuleRequest(netlink.Delete, &del), nil }})
		}
		return nil
	}
	if len(ex) > 0 {
		return nil
	}
	p.add(&Step{Action: Create, Kind: netlink.KindRule, stage: stageRuleAdd, spec: ref,
		desc:  func() string { return "rule " + want.String() },
		build: func(*resolver) (netlink.Request, error) { return netlink.RuleRequest(netlink.Add, &want), nil }})
	return nil
}

// restore adds, for each selector a spec names, the rules it selected in
// the pre-image, or the removal of the rule a present spec added.
func (ruleOps) restore(rs *restorer) {
	pre, ss, rb := rs.pre, rs.ss, rs.rb
	for i := range ss.rules {
		s := &ss.rules[i]
		found := false
		for r := range pre.Rules() {
			if ruleSpecMatches(r, s) {
				rb.rules = append(rb.rules, RuleSpec{Rule: *r})
				found = true
			}
		}
		if !found && !s.Absent {
			// The rule did not exist: the rollback removes exactly it.
			rb.rules = append(rb.rules, RuleSpec{Rule: normRule(s.Rule), Absent: true, exact: true})
		}
	}
}

// settable lists what a RuleSpec can set of rule o (a *netlink.Rule):
// everything a spec gives is the rule's identity, so the protocol and
// anything else are compared as the kernel prints them.
func (ruleOps) settable(o netlink.Object) []attr {
	return []attr{{"rule", o.String()}}
}
