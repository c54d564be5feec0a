package ipdb

import (
	"context"
	"encoding/binary"
	"reflect"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

var ruleDef = kindDef{
	kind:  netlink.KindRule,
	table: "rules",
	key:   func(o netlink.Object) []byte { return ruleKey(o.(*netlink.Rule)) },
	keep: func(opts *options, o netlink.Object) bool {
		// The rules of the multicast routing tables (families
		// RTNL_FAMILY_IPMR and IP6MR, `ip mrule`) go with multicast
		// routes, which are not kept either: the table is `ip rule`'s.
		f := o.(*netlink.Rule).Family
		return (f == unix.AF_INET || f == unix.AF_INET6) && opts.keepFamily(f)
	},
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		return c.RuleDump(ctx, &netlink.RuleFilter{Family: s.family}, func(r *netlink.Rule) error { return fn(r) })
	},
	inScope: func(o netlink.Object, s scope) bool { return s.family == 0 || o.(*netlink.Rule).Family == s.family },
	equal:   func(a, b netlink.Object) bool { return reflect.DeepEqual(a, b) },
	groups:  kindGroups{v4: netlink.GroupIPv4Rule, v6: netlink.GroupIPv6Rule},
	effects: kindEffects{onChange: ruleChanged},
}

// ruleStateFlags are the rule flags the kernel sets by itself: a goto
// rule whose target is missing (FIB_RULE_UNRESOLVED), a rule whose iif or
// oif does not exist (FIB_RULE_IIF_DETACHED, _OIF_DETACHED). They are
// state, not identity, and they flip without a notification.
const ruleStateFlags = unix.FIB_RULE_UNRESOLVED | unix.FIB_RULE_IIF_DETACHED | unix.FIB_RULE_OIF_DETACHED

// ruleKey is the rule's identity as the kernel compares rules (rule_exists
// in net/core/fib_rules.c, with the family's compare: fib4_rule_compare,
// fib6_rule_compare): family and priority first, then the action and
// table, every selector and the protocol (two rules that differ only in
// FRA_PROTOCOL are two rules), and the flags the user sets (not).
func ruleKey(r *netlink.Rule) []byte {
	b := make([]byte, 0, 96)
	b = append(b, r.Family)
	b = appendU32(b, r.Priority)
	b = append(b, uint8(r.Action), r.TOS, r.IPProto, r.L3MDev, uint8(r.Protocol))
	b = appendU32(b, r.Flags&^ruleStateFlags)
	b = appendU32(b, r.Table)
	b = appendU32(b, r.Mark)
	b = appendU32(b, r.Mask)
	b = appendU32(b, r.Goto)
	b = appendU32(b, r.Flow)
	b = binary.BigEndian.AppendUint64(b, r.TunID)
	b = appendPrefixAsGiven(b, r.Src)
	b = appendPrefixAsGiven(b, r.Dst)
	b = append(append(b, r.IIFName...), 0)
	b = append(append(b, r.OIFName...), 0)
	for _, p := range []*uint32{r.SuppressPrefixLen, r.SuppressIfGroup} {
		if p == nil {
			b = append(b, 0)
		} else {
			b = appendU32(append(b, 1), *p)
		}
	}
	if r.UIDRange == nil {
		b = append(b, 0)
	} else {
		b = appendU32(appendU32(append(b, 1), r.UIDRange.Start), r.UIDRange.End)
	}
	for _, p := range []netlink.RulePortRange{r.SPort, r.DPort} {
		b = binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, p.Start), p.End)
	}
	return b
}
