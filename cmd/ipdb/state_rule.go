package main

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// The rules section of the state file: one entry per policy routing rule,
// as `ip rule add|del` takes it.

type ruleYAML struct {
	Line     line     `yaml:"-"`
	Priority uint32   `yaml:"priority"`
	Family   string   `yaml:"family"`
	From     *prefixY `yaml:"from"`
	To       *prefixY `yaml:"to"`
	Table    *tableY  `yaml:"table"`
	Action   string   `yaml:"action"`
	Goto     uint32   `yaml:"goto"`
	FWMark   string   `yaml:"fwmark"`
	IIF      string   `yaml:"iif"`
	OIF      string   `yaml:"oif"`
	Not      bool     `yaml:"not"`
	TOS      uint8    `yaml:"tos"`
	Absent   bool     `yaml:"absent"`
}

func (e *ruleYAML) at(n line) { e.Line = n }

func (r *ruleYAML) spec() (txn.RuleSpec, error) {
	rule := netlink.Rule{Priority: r.Priority, TOS: r.TOS, IIFName: r.IIF, OIFName: r.OIF, Goto: r.Goto}
	var fam uint8
	switch r.Family {
	case "":
	case "inet", "ipv4", "4":
		fam = unix.AF_INET
	case "inet6", "ipv6", "6":
		fam = unix.AF_INET6
	default:
		return txn.RuleSpec{}, fmt.Errorf("bad family %q (want inet or inet6)", r.Family)
	}
	setFam := func(p netip.Prefix, what string) error {
		f := uint8(unix.AF_INET6)
		if p.Addr().Is4() {
			f = unix.AF_INET
		}
		if fam != 0 && fam != f {
			return fmt.Errorf("%s %s is not of the rule's family", what, p)
		}
		if p.Masked() != p {
			return fmt.Errorf("%s %s has host bits set", what, p)
		}
		fam = f
		return nil
	}
	if r.From != nil {
		if err := setFam(r.From.Prefix, "from"); err != nil {
			return txn.RuleSpec{}, err
		}
		rule.Src = r.From.Prefix
	}
	if r.To != nil {
		if err := setFam(r.To.Prefix, "to"); err != nil {
			return txn.RuleSpec{}, err
		}
		rule.Dst = r.To.Prefix
	}
	if fam == 0 {
		fam = unix.AF_INET
	}
	rule.Family = fam
	if r.Table != nil {
		rule.Table = uint32(*r.Table)
	}
	action := r.Action
	if action == "" && r.Goto != 0 {
		action = "goto"
	}
	if action == "" && !r.Absent {
		action = "lookup"
	}
	var a netlink.RuleAction // an absent entry without an action selects any
	if action != "" {
		var err error
		if a, err = netlink.ParseRuleAction(action); err != nil {
			return txn.RuleSpec{}, fmt.Errorf("unknown rule action %q (want lookup, goto, nop, blackhole, unreachable or prohibit)", action)
		}
	}
	rule.Action = a
	if a == netlink.RuleToTable && rule.Table == 0 && !r.Absent {
		return txn.RuleSpec{}, errors.New("a lookup rule needs a table")
	}
	if a == netlink.RuleGoto && r.Goto == 0 {
		return txn.RuleSpec{}, errors.New("a goto rule needs goto: PRIORITY")
	}
	if r.FWMark != "" {
		mark, mask, _ := strings.Cut(r.FWMark, "/")
		m, err := strconv.ParseUint(mark, 0, 32)
		if err != nil {
			return txn.RuleSpec{}, fmt.Errorf("bad fwmark %q (want MARK or MARK/MASK)", r.FWMark)
		}
		rule.Mark = uint32(m)
		if mask != "" {
			k, err := strconv.ParseUint(mask, 0, 32)
			if err != nil {
				return txn.RuleSpec{}, fmt.Errorf("bad fwmark mask %q", mask)
			}
			rule.Mask = uint32(k)
		}
	}
	if r.Not {
		rule.Flags |= unix.FIB_RULE_INVERT
	}
	if r.Absent {
		sel := rule
		sel.Family = 0
		if reflect.DeepEqual(sel, netlink.Rule{}) {
			return txn.RuleSpec{}, errors.New("a rule with absent: true selects like ip rule del: give at least a priority, a selector or an action")
		}
	}
	return txn.RuleSpec{Rule: rule, Absent: r.Absent}, nil
}

// ruleSpecs converts the rules section into out; an error names the
// entry's line.
func (st *stateFile) ruleSpecs(out *specSet) error {
	for _, r := range st.Rules {
		s, err := r.spec()
		if err != nil {
			return &lineError{Line: int(r.Line), Msg: err.Error()}
		}
		out.rules = append(out.rules, s)
	}
	return nil
}

// rulesInto adds the section's specs to t, in file order.
func (s *specSet) rulesInto(t *txn.Txn) {
	for _, x := range s.rules {
		t.Rule(x)
	}
}
