package netlink_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// goldenRuleSetup is how testdata/rule_dump.hex was made ("-6" lines with
// ip -6), after `ip link add v0 type veth peer name v1`.
var goldenRuleSetup = []string{
	"rule add from 192.0.2.0/24 table 300 pref 100",
	"rule add not fwmark 0x10/0xff iif v0 oif v1 table 1000 uidrange 100-200 sport 1000-2000 dport 80 ipproto tcp pref 200 proto static",
	"rule add to 198.51.100.0/24 blackhole pref 300",
	"rule add pref 400 table main suppress_prefixlength 0 suppress_ifgroup 5",
	"rule add pref 500 goto 600",
	"rule add pref 600 tos 0x10 realms 3/4 prohibit",
	"rule add pref 700 tun_id 42 unreachable",
	"rule add pref 800 l3mdev",
	"-6 rule add from 2001:db8::/32 to 2001:db8:1::/48 table 70000 pref 1000",
	"-6 rule add pref 1001 nop",
}

func ruleCheck(t *testing.T, c *netlink.Conn, ns *nstest.NS) []*netlink.Rule {
	t.Helper()
	got, err := c.Rules(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := oracle.CompareRules(ns, got); err != nil {
		t.Fatal(err)
	}
	return got
}

func ruleDial(t *testing.T, ns *nstest.NS) *netlink.Conn {
	t.Helper()
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRuleDumpMatchesIP reads rules made with ip and compares them with
// ip's view, and checks the filters.
func TestRuleDumpMatchesIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		uidStart, uidEnd := nstest.UIDRange()
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		// A user namespace maps only some uids (see nstest.UIDRange).
		uids := strings.NewReplacer("uidrange 100-200", fmt.Sprintf("uidrange %d-%d", uidStart, uidEnd))
		for _, l := range goldenRuleSetup {
			ns.IP(strings.Fields(uids.Replace(l))...)
		}
		c := ruleDial(t, ns)
		all := ruleCheck(t, c, ns)
		// 10 made here plus the 3 IPv4, 2 IPv6 and 2 multicast defaults.
		if len(all) != 17 {
			t.Errorf("%d rules, want 17", len(all))
		}
		// The oracle notices a change in any field, and a missing rule.
		for i, mutate := range []func(r *netlink.Rule){
			func(r *netlink.Rule) { r.Priority++ },
			func(r *netlink.Rule) { r.Table++ },
			func(r *netlink.Rule) { r.Flags ^= unix.FIB_RULE_INVERT },
			func(r *netlink.Rule) { r.Mask = 0xf },
			func(r *netlink.Rule) { r.IIFName = "v1" },
			func(r *netlink.Rule) { r.UIDRange = &netlink.RuleUIDRange{Start: 1, End: 2} },
			func(r *netlink.Rule) { r.DPort.End++ },
			func(r *netlink.Rule) { r.Protocol = netlink.ProtoBoot },
		} {
			mutated := make([]*netlink.Rule, len(all))
			copy(mutated, all)
			for j, r := range all {
				if r.Priority == 200 {
					c := *r
					mutate(&c)
					mutated[j] = &c
				}
			}
			if oracle.CompareRules(ns, mutated) == nil {
				t.Errorf("mutation %d not detected", i)
			}
		}
		if oracle.CompareRules(ns, all[1:]) == nil {
			t.Error("missing rule not detected")
		}

		ctx := context.Background()
		for _, tc := range []struct {
			f    *netlink.RuleFilter
			want int
		}{
			{&netlink.RuleFilter{Family: unix.AF_INET}, 11},
			{&netlink.RuleFilter{Family: unix.AF_INET6}, 4},
			{&netlink.RuleFilter{Table: 1000}, 1},
			{&netlink.RuleFilter{Table: 70000, Family: unix.AF_INET6}, 1},
			{&netlink.RuleFilter{Action: netlink.RuleBlackhole}, 1},
			{&netlink.RuleFilter{Protocol: netlink.ProtoKernel, Family: unix.AF_INET}, 3},
		} {
			got, err := c.Rules(ctx, tc.f)
			if err != nil {
				t.Errorf("%+v: %v", tc.f, err)
				continue
			}
			if len(got) != tc.want {
				t.Errorf("%+v: %d rules, want %d: %v", tc.f, len(got), tc.want, got)
			}
			for _, r := range got {
				if !tc.f.Match(r) {
					t.Errorf("%+v: %v does not match", tc.f, r)
				}
			}
		}
	})
}

// TestRuleOps adds and deletes rules with the library and compares with ip
// after each step.
func TestRuleOps(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		uidStart, uidEnd := nstest.UIDRange()
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		c := ruleDial(t, ns)
		ctx := context.Background()
		ruleCheck(t, c, ns)
		zero := uint32(0)
		rules := []*netlink.Rule{
			{Src: rp("192.0.2.0/24"), Table: 300, Priority: 100},
			{Family: unix.AF_INET, Priority: 110, Mark: 0x10, Mask: 0xff, Table: 1000},
			{Family: unix.AF_INET, Priority: 120, Mark: 0x20, Table: 70000, Flags: unix.FIB_RULE_INVERT},
			{Family: unix.AF_INET, Priority: 130, IIFName: "v0", OIFName: "v1", Table: 300},
			{Family: unix.AF_INET, Priority: 140, UIDRange: &netlink.RuleUIDRange{Start: uidStart, End: uidEnd}, Table: 300},
			{Family: unix.AF_INET, Priority: 150, IPProto: unix.IPPROTO_UDP, SPort: netlink.RulePortRange{Start: 1000, End: 2000},
				DPort: netlink.RulePortRange{Start: 53, End: 53}, Table: 300},
			{Dst: rp("198.51.100.0/24"), Priority: 160, Action: netlink.RuleBlackhole},
			{Family: unix.AF_INET, Priority: 170, Action: netlink.RuleUnreachable, TOS: 0x10},
			{Family: unix.AF_INET, Priority: 180, Action: netlink.RuleProhibit, Protocol: netlink.ProtoStatic},
			{Family: unix.AF_INET, Priority: 190, Goto: 300},
			{Family: unix.AF_INET, Priority: 300, Table: unix.RT_TABLE_MAIN, SuppressPrefixLen: &zero},
			{Family: unix.AF_INET, Priority: 310, Flow: 3<<16 | 4, Table: 300},
			{Src: rp("2001:db8::/32"), Dst: rp("2001:db8:1::/48"), Table: 70000, Priority: 1000},
			{Family: unix.AF_INET6, Priority: 1010, Action: netlink.RuleNop},
			{Family: unix.AF_INET6, Priority: 1020, Mark: 1, Mask: 1, Flags: unix.FIB_RULE_INVERT, Table: 300,
				IPProto: unix.IPPROTO_TCP, DPort: netlink.RulePortRange{Start: 443, End: 443}},
			{Family: unix.AF_INET6, Table: 400}, // priority chosen by the kernel
		}
		for _, r := range rules {
			if err := c.RuleAdd(ctx, r); err != nil {
				t.Fatalf("add %v: %v", r, err)
			}
			ruleCheck(t, c, ns)
		}
		// The same rule again is refused.
		if err := c.RuleAdd(ctx, rules[0]); !errors.Is(err, unix.EEXIST) {
			t.Errorf("duplicate add: %v, want EEXIST", err)
		}

		// Delete: by priority alone, by the decoded object, by selectors.
		if err := c.RuleDel(ctx, &netlink.Rule{Family: unix.AF_INET, Priority: 110}); err != nil {
			t.Fatal(err)
		}
		ruleCheck(t, c, ns)
		all, err := c.Rules(ctx, &netlink.RuleFilter{Table: 300})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			if err := c.RuleDel(ctx, r); err != nil {
				t.Fatalf("del %v: %v", r, err)
			}
		}
		if left, _ := c.Rules(ctx, &netlink.RuleFilter{Table: 300}); len(left) != 0 {
			t.Errorf("left in table 300: %v", left)
		}
		ruleCheck(t, c, ns)
		if err := c.RuleDel(ctx, &netlink.Rule{Dst: rp("198.51.100.0/24"), Action: netlink.RuleBlackhole}); err != nil {
			t.Fatal(err)
		}
		if err := c.RuleDel(ctx, &netlink.Rule{Family: unix.AF_INET6, Table: 400}); err != nil {
			t.Fatal(err)
		}
		ruleCheck(t, c, ns)
		if err := c.RuleDel(ctx, &netlink.Rule{Family: unix.AF_INET, Priority: 4242}); !errors.Is(err, unix.ENOENT) {
			t.Errorf("delete missing: %v, want ENOENT", err)
		}
		// Host bits are part of a rule (fib4_rule_compare,
		// fib6_rule_compare): two rules that differ only there, and only
		// the exact address deletes one.
		for _, dst := range []string{"192.0.2.1/24", "192.0.2.2/24", "2001:db8:f:1::/48", "2001:db8:f:b::/48"} {
			if err := c.RuleAdd(ctx, &netlink.Rule{Priority: 4300, Dst: rp(dst), Action: netlink.RuleGoto, Goto: 4301}); err != nil {
				t.Fatalf("add to %s: %v", dst, err)
			}
		}
		ruleCheck(t, c, ns)
		if err := c.RuleDel(ctx, &netlink.Rule{Priority: 4300, Dst: rp("192.0.2.0/24")}); !errors.Is(err, unix.ENOENT) {
			t.Errorf("delete by the masked address: %v, want ENOENT", err)
		}
		for _, dst := range []string{"192.0.2.2/24", "2001:db8:f:1::/48"} {
			if err := c.RuleDel(ctx, &netlink.Rule{Priority: 4300, Dst: rp(dst)}); err != nil {
				t.Fatalf("delete to %s: %v", dst, err)
			}
		}
		ruleCheck(t, c, ns)
		var left []string
		all, err = c.Rules(ctx, &netlink.RuleFilter{Action: netlink.RuleGoto})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			if r.Priority == 4300 {
				left = append(left, r.Dst.String())
			}
		}
		if want := []string{"192.0.2.1/24", "2001:db8:f:b::/48"}; !slices.Equal(left, want) {
			t.Errorf("rules left at 4300: %v, want %v", left, want)
		}
		// Pipelined adds.
		var ops []netlink.Request
		for i := 0; i < 20; i++ {
			ops = append(ops, netlink.RuleRequest(netlink.Add, &netlink.Rule{Family: unix.AF_INET6, Priority: uint32(2000 + i), Table: uint32(5000 + i)}))
		}
		if errs := c.Pipeline(ctx, ops); errs != nil {
			t.Fatal(errs)
		}
		got := ruleCheck(t, c, ns)
		n := 0
		for _, r := range got {
			if r.Priority >= 2000 && r.Priority < 2020 {
				if r.Table != r.Priority+3000 {
					t.Errorf("rule %v", r)
				}
				n++
			}
		}
		if n != 20 {
			t.Errorf("%d pipelined rules, want 20", n)
		}
	})
}
