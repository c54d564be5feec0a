package netlink

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

const fibRuleHdrLen = 12 // sizeof(struct fib_rule_hdr)

// RuleAction is what a rule does when it matches (FR_ACT_*).
type RuleAction uint8

// Rule actions.
const (
	RuleToTable     RuleAction = unix.FR_ACT_TO_TBL
	RuleGoto        RuleAction = unix.FR_ACT_GOTO
	RuleNop         RuleAction = unix.FR_ACT_NOP
	RuleBlackhole   RuleAction = unix.FR_ACT_BLACKHOLE
	RuleUnreachable RuleAction = unix.FR_ACT_UNREACHABLE
	RuleProhibit    RuleAction = unix.FR_ACT_PROHIBIT
)

// RulePortRange is struct fib_rule_port_range; the zero value means unset.
type RulePortRange struct {
	// Start and End are the first and last port; equal for one port.
	Start, End uint16
}

// RuleUIDRange is struct fib_rule_uid_range.
type RuleUIDRange struct {
	// Start and End are the first and last user id.
	Start, End uint32
}

// A Rule is a routing policy rule (RTM_NEWRULE). Zero values mean absent
// unless said otherwise.
type Rule struct {
	// Family is unix.AF_INET or unix.AF_INET6 (or RTNL_FAMILY_IPMR/IP6MR
	// for multicast rules). In requests zero means the family of Src or Dst.
	Family uint8
	// Action is what the rule does. In an Add request zero means
	// RuleToTable, or RuleGoto when Goto is set.
	Action RuleAction
	// TOS is the type-of-service selector.
	TOS uint8
	// Protocol says who installed the rule (FRA_PROTOCOL).
	Protocol RouteProtocol
	// IPProto is the transport protocol selector (FRA_IP_PROTO).
	IPProto uint8
	// L3MDev is 1 when the table is chosen by the L3 master device
	// (FRA_L3MDEV, ip's "l3mdev").
	L3MDev uint8
	// Flags are FIB_RULE_* flags; unix.FIB_RULE_INVERT is ip's "not".
	Flags uint32
	// Table is the table to look up: FRA_TABLE when present, so that
	// tables above 255 work, otherwise the header's. In an Add request
	// with RuleToTable, zero means the main table.
	Table uint32
	// Priority is the rule's preference (FRA_PRIORITY). In an Add request
	// zero lets the kernel choose; in a Delete it matches any.
	Priority uint32
	// Mark and Mask select packets by firewall mark (FRA_FWMARK and
	// FRA_FWMASK); a zero Mask with a Mark means all bits.
	Mark, Mask uint32
	// Goto is the priority of the rule to jump to (FRA_GOTO).
	Goto uint32
	// Flow is the realm selector (FRA_FLOW).
	Flow uint32
	// TunID is the tunnel id selector (FRA_TUN_ID).
	TunID uint64
	// Src and Dst are the source and destination prefixes ("from", "to");
	// the zero Prefix means all.
	Src, Dst netip.Prefix
	// IIFName and OIFName select the input and output interface.
	IIFName, OIFName string
	// SuppressPrefixLen, when set, rejects routing decisions with a prefix
	// length of this or less (ip's "suppress_prefixlength").
	SuppressPrefixLen *uint32
	// SuppressIfGroup, when set, rejects routing decisions through
	// interfaces of this group (ip's "suppress_ifgroup").
	SuppressIfGroup *uint32
	// UIDRange, when set, selects packets of sockets owned by these users.
	UIDRange *RuleUIDRange
	// SPort and DPort select transport source and destination ports.
	SPort, DPort RulePortRange
	// Unknown holds the attributes not decoded above, copied.
	Unknown []Attribute
}

// Kind implements Object.
func (*Rule) Kind() Kind { return KindRule }

// String describes r in the words of `ip rule`.
func (r *Rule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:", r.Priority)
	if r.Flags&unix.FIB_RULE_INVERT != 0 {
		b.WriteString(" not")
	}
	if r.Src.IsValid() {
		fmt.Fprintf(&b, " from %s", r.Src)
	} else {
		b.WriteString(" from all")
	}
	if r.Dst.IsValid() {
		fmt.Fprintf(&b, " to %s", r.Dst)
	}
	if r.TOS != 0 {
		fmt.Fprintf(&b, " tos 0x%02x", r.TOS)
	}
	if r.Mark != 0 || r.Mask != 0 {
		fmt.Fprintf(&b, " fwmark %#x", r.Mark)
		if r.Mask != 0 && r.Mask != 0xffffffff {
			fmt.Fprintf(&b, "/%#x", r.Mask)
		}
	}
	if r.IIFName != "" {
		fmt.Fprintf(&b, " iif %s", r.IIFName)
	}
	if r.OIFName != "" {
		fmt.Fprintf(&b, " oif %s", r.OIFName)
	}
	if r.UIDRange != nil {
		fmt.Fprintf(&b, " uidrange %d-%d", r.UIDRange.Start, r.UIDRange.End)
	}
	if r.IPProto != 0 {
		fmt.Fprintf(&b, " ipproto %d", r.IPProto)
	}
	for _, p := range [...]struct {
		name string
		r    RulePortRange
	}{{"sport", r.SPort}, {"dport", r.DPort}} {
		if p.r.Start == p.r.End && p.r.Start != 0 {
			fmt.Fprintf(&b, " %s %d", p.name, p.r.Start)
		} else if p.r != (RulePortRange{}) {
			fmt.Fprintf(&b, " %s %d-%d", p.name, p.r.Start, p.r.End)
		}
	}
	if r.TunID != 0 {
		fmt.Fprintf(&b, " tun_id %d", r.TunID)
	}
	if r.Flow != 0 {
		fmt.Fprintf(&b, " realms %d/%d", r.Flow>>16, r.Flow&0xffff)
	}
	switch {
	case r.L3MDev != 0:
		b.WriteString(" lookup [l3mdev-table]")
	case r.Action == RuleToTable:
		fmt.Fprintf(&b, " lookup %s", TableName(r.Table))
	case r.Action == RuleGoto:
		fmt.Fprintf(&b, " goto %d", r.Goto)
	default:
		b.WriteString(" " + r.Action.String())
	}
	if r.SuppressPrefixLen != nil {
		fmt.Fprintf(&b, " suppress_prefixlength %d", *r.SuppressPrefixLen)
	}
	if r.SuppressIfGroup != nil {
		fmt.Fprintf(&b, " suppress_ifgroup %d", *r.SuppressIfGroup)
	}
	if r.Protocol != 0 {
		fmt.Fprintf(&b, " proto %s", r.Protocol)
	}
	return b.String()
}

// decode decodes a fib_rule_hdr and its attributes.
func (r *Rule) decode(b []byte) error {
	if len(b) < fibRuleHdrLen {
		return malformedf("rule message of %d bytes", len(b))
	}
	r.Family = b[0]
	dstLen, srcLen := int(b[1]), int(b[2])
	r.TOS = b[3]
	r.Table = uint32(b[4])
	r.Action = RuleAction(b[7])
	r.Flags = binary.NativeEndian.Uint32(b[8:12])
	alen := familyAddrLen(r.Family)
	if dstLen > alen*8 || srcLen > alen*8 {
		return malformedf("rule prefix lengths %d/%d for family %d", dstLen, srcLen, r.Family)
	}
	var src, dst netip.Addr
	d := newAttrDecoder(b[fibRuleHdrLen:])
	for d.Next() {
		switch t := d.Type(); {
		case alen == 0 && (t == unix.FRA_DST || t == unix.FRA_SRC):
			r.Unknown = append(r.Unknown, d.Attribute())
		case t == unix.FRA_DST:
			dst = d.Addr(alen)
		case t == unix.FRA_SRC:
			src = d.Addr(alen)
		case t == unix.FRA_IIFNAME:
			r.IIFName = d.String()
		case t == unix.FRA_OIFNAME:
			r.OIFName = d.String()
		case t == unix.FRA_PRIORITY:
			r.Priority = d.Uint32()
		case t == unix.FRA_FWMARK:
			r.Mark = d.Uint32()
		case t == unix.FRA_FWMASK:
			r.Mask = d.Uint32()
		case t == unix.FRA_FLOW:
			r.Flow = d.Uint32()
		case t == unix.FRA_TUN_ID:
			r.TunID = d.Uint64BE()
		case t == unix.FRA_SUPPRESS_IFGROUP:
			r.SuppressIfGroup = optionalU32(d.Uint32())
		case t == unix.FRA_SUPPRESS_PREFIXLEN:
			r.SuppressPrefixLen = optionalU32(d.Uint32())
		case t == unix.FRA_TABLE:
			r.Table = d.Uint32()
		case t == unix.FRA_GOTO:
			r.Goto = d.Uint32()
		case t == unix.FRA_L3MDEV:
			r.L3MDev = d.Uint8()
		case t == unix.FRA_PROTOCOL:
			r.Protocol = RouteProtocol(d.Uint8())
		case t == unix.FRA_IP_PROTO:
			r.IPProto = d.Uint8()
		case t == unix.FRA_UID_RANGE:
			if v := d.Data(); len(v) == 8 {
				r.UIDRange = &RuleUIDRange{binary.NativeEndian.Uint32(v), binary.NativeEndian.Uint32(v[4:])}
			} else {
				d.badSize(8)
			}
		case t == unix.FRA_SPORT_RANGE, t == unix.FRA_DPORT_RANGE:
			v := d.Data()
			if len(v) != 4 {
				d.badSize(4)
				break
			}
			pr := RulePortRange{binary.NativeEndian.Uint16(v), binary.NativeEndian.Uint16(v[2:])}
			if t == unix.FRA_SPORT_RANGE {
				r.SPort = pr
			} else {
				r.DPort = pr
			}
		default:
			r.Unknown = append(r.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if alen != 0 {
		if src.IsValid() || srcLen > 0 {
			if !src.IsValid() {
				src = zeroAddr(alen)
			}
			r.Src = netip.PrefixFrom(src, srcLen)
		}
		if dst.IsValid() || dstLen > 0 {
			if !dst.IsValid() {
				dst = zeroAddr(alen)
			}
			r.Dst = netip.PrefixFrom(dst, dstLen)
		}
	}
	return nil
}

// optionalU32 maps the kernel's "unset" value -1 to nil.
func optionalU32(v uint32) *uint32 {
	if v == 0xffffffff {
		return nil
	}
	return &v
}

// marshal encodes r completely, as the kernel would send it.
func (r *Rule) marshal() ([]byte, error) {
	return r.appendMessage(nil, r.header())
}

// header returns the fib_rule_hdr describing r as it is.
func (r *Rule) header() ruleHeader {
	h := ruleHeader{family: r.Family, tos: r.TOS, table: headerTable(r.Table), action: uint8(r.Action), flags: r.Flags}
	if r.Src.IsValid() {
		h.srcLen = uint8(r.Src.Bits())
	}
	if r.Dst.IsValid() {
		h.dstLen = uint8(r.Dst.Bits())
	}
	return h
}

// ruleHeader is struct fib_rule_hdr.
type ruleHeader struct {
	family, dstLen, srcLen, tos, table, action uint8
	flags                                      uint32
}

func (h ruleHeader) append(b []byte) []byte {
	b = append(b, h.family, h.dstLen, h.srcLen, h.tos, h.table, 0, 0, h.action)
	return binary.NativeEndian.AppendUint32(b, h.flags)
}

func (r *Rule) appendMessage(b []byte, h ruleHeader) ([]byte, error) {
	e := attrEncoder{b: h.append(b)}
	if r.Table != 0 {
		e.Uint32(unix.FRA_TABLE, r.Table)
	}
	if r.Src.IsValid() {
		e.Addr(unix.FRA_SRC, r.Src.Addr())
	}
	if r.Dst.IsValid() {
		e.Addr(unix.FRA_DST, r.Dst.Addr())
	}
	if r.IIFName != "" {
		e.String(unix.FRA_IIFNAME, r.IIFName)
	}
	if r.OIFName != "" {
		e.String(unix.FRA_OIFNAME, r.OIFName)
	}
	if r.Priority != 0 {
		e.Uint32(unix.FRA_PRIORITY, r.Priority)
	}
	if r.Mark != 0 {
		e.Uint32(unix.FRA_FWMARK, r.Mark)
	}
	if r.Mask != 0 {
		e.Uint32(unix.FRA_FWMASK, r.Mask)
	}
	if r.Flow != 0 {
		e.Uint32(unix.FRA_FLOW, r.Flow)
	}
	if r.TunID != 0 {
		e.Uint64BE(unix.FRA_TUN_ID, r.TunID)
	}
	if r.SuppressIfGroup != nil {
		e.Uint32(unix.FRA_SUPPRESS_IFGROUP, *r.SuppressIfGroup)
	}
	if r.SuppressPrefixLen != nil {
		e.Uint32(unix.FRA_SUPPRESS_PREFIXLEN, *r.SuppressPrefixLen)
	}
	if r.Goto != 0 {
		e.Uint32(unix.FRA_GOTO, r.Goto)
	}
	if r.L3MDev != 0 {
		e.Uint8(unix.FRA_L3MDEV, r.L3MDev)
	}
	if u := r.UIDRange; u != nil {
		v := binary.NativeEndian.AppendUint32(make([]byte, 0, 8), u.Start)
		e.Bytes(unix.FRA_UID_RANGE, binary.NativeEndian.AppendUint32(v, u.End))
	}
	if r.Protocol != 0 {
		e.Uint8(unix.FRA_PROTOCOL, uint8(r.Protocol))
	}
	if r.IPProto != 0 {
		e.Uint8(unix.FRA_IP_PROTO, r.IPProto)
	}
	for _, p := range [...]struct {
		typ uint16
		r   RulePortRange
	}{{unix.FRA_SPORT_RANGE, r.SPort}, {unix.FRA_DPORT_RANGE, r.DPort}} {
		if p.r != (RulePortRange{}) {
			v := binary.NativeEndian.AppendUint16(make([]byte, 0, 4), p.r.Start)
			e.Bytes(p.typ, binary.NativeEndian.AppendUint16(v, p.r.End))
		}
	}
	for _, a := range r.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// ruleObject names a rule for errors and plans.
func ruleObject(r *Rule) string {
	if r == nil {
		return "rule <nil>"
	}
	return "rule " + r.String()
}

// RuleRequest prepares a request that adds or deletes r (Add or Delete). It
// validates r first: the family must be IPv4 or IPv6 and agree with Src
// and Dst; interface names must fit in 15
// bytes; the action must be known, and goto needs a target; port and uid
// ranges must not be reversed. Delete sends only the fields that are set,
// which the kernel matches; Add fills in ip(8)'s defaults (action lookup,
// table main). Src and Dst go as given, host bits and all, as ip(8) sends
// them: the kernel keeps a rule's addresses unmasked and matches them
// exactly, so `to 192.0.2.1/24` and `to 192.0.2.2/24` are two rules, and
// only the address a rule was added with deletes it (fib4_rule_configure
// and fib4_rule_compare in net/ipv4/fib_rules.c, fib6_rule_configure and
// fib6_rule_compare in net/ipv6/fib6_rules.c).
func RuleRequest(v Verb, r *Rule) Request {
	return newRequest(v, KindRule, ruleObject(r), func() ([]byte, error) {
		if r == nil {
			return nil, invalidf("nil rule")
		}
		if v != Add && v != Delete {
			return nil, invalidf("rules can only be added or deleted, not %s", v)
		}
		req := *r
		if err := req.validate(); err != nil {
			return nil, err
		}
		req.Flags &= unix.FIB_RULE_INVERT
		if v == Add {
			if req.Action == 0 {
				req.Action = RuleToTable
				if req.Goto != 0 {
					req.Action = RuleGoto
				}
			}
			if req.Action == RuleToTable && req.Table == 0 && req.L3MDev == 0 {
				req.Table = unix.RT_TABLE_MAIN
			}
		}
		return req.appendMessage(make([]byte, 0, 96), req.header())
	})
}

// validate checks r for a request and fills in its family.
func (r *Rule) validate() error {
	for _, p := range []netip.Prefix{r.Src, r.Dst} {
		if !p.IsValid() {
			continue
		}
		fam := uint8(unix.AF_INET6)
		if p.Addr().Is4() {
			fam = unix.AF_INET
		}
		if r.Family == 0 {
			r.Family = fam
		}
		if r.Family != fam {
			return invalidf("prefix %s does not match rule family %d", p, r.Family)
		}
	}
	if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
		return invalidf("rule family %d (want AF_INET or AF_INET6)", r.Family)
	}
	if len(r.IIFName) > 15 || len(r.OIFName) > 15 {
		return invalidf("interface name longer than 15 bytes")
	}
	switch r.Action {
	case 0, RuleToTable, RuleGoto, RuleNop, RuleBlackhole, RuleUnreachable, RuleProhibit:
	default:
		return invalidf("rule action %d", r.Action)
	}
	if r.Action == RuleGoto && r.Goto == 0 {
		return invalidf("goto rule needs a target priority")
	}
	if r.Goto != 0 && r.Action != 0 && r.Action != RuleGoto {
		return invalidf("goto target with %s action", r.Action)
	}
	if u := r.UIDRange; u != nil && u.Start > u.End {
		return invalidf("uid range %d-%d is reversed", u.Start, u.End)
	}
	if r.SPort.Start > r.SPort.End || r.DPort.Start > r.DPort.End {
		return invalidf("port range is reversed")
	}
	return nil
}

// RuleAdd adds r.
func (c *Conn) RuleAdd(ctx context.Context, r *Rule) error { return c.Do(ctx, RuleRequest(Add, r)) }

// RuleDel deletes the first rule that matches the fields set in r.
func (c *Conn) RuleDel(ctx context.Context, r *Rule) error { return c.Do(ctx, RuleRequest(Delete, r)) }

// RuleFilter selects rules in RuleDump and Rules. Zero fields match
// everything. Family is applied by the kernel, the rest here.
type RuleFilter struct {
	// Family is unix.AF_INET or unix.AF_INET6; zero means all families
	// (including the multicast routing families).
	Family uint8
	// Table selects rules that look up one table.
	Table uint32
	// Action selects rules with one action.
	Action RuleAction
	// Protocol selects rules installed by one protocol.
	Protocol RouteProtocol
}

// Match reports whether r passes the filter. A nil filter matches all.
func (f *RuleFilter) Match(r *Rule) bool {
	return f == nil || ((f.Family == 0 || r.Family == f.Family) && (f.Table == 0 || r.Table == f.Table) &&
		(f.Action == 0 || r.Action == f.Action) && (f.Protocol == 0 || r.Protocol == f.Protocol))
}

// RuleDump streams the rules that match f (nil: all) to fn, one freshly
// allocated *Rule per call, owned by fn.
func (c *Conn) RuleDump(ctx context.Context, f *RuleFilter, fn func(*Rule) error) error {
	return c.ruleDump(ctx, f, nil, fn)
}

func (c *Conn) ruleDump(ctx context.Context, f *RuleFilter, restart func(), fn func(*Rule) error) error {
	h := ruleHeader{}
	if f != nil {
		h.family = f.Family
	}
	return c.dump(ctx, "rules", KindRule.row().getType, h.append(nil), restart, func(p []byte) error {
		r := new(Rule)
		if err := r.decode(p); err != nil {
			return err
		}
		if !f.Match(r) {
			return nil
		}
		return fn(r)
	})
}

// Rules returns the rules that match f (nil: all of them), in the kernel's
// order (by priority).
func (c *Conn) Rules(ctx context.Context, f *RuleFilter) ([]*Rule, error) {
	var rules []*Rule
	err := c.ruleDump(ctx, f, func() { rules = rules[:0] }, func(r *Rule) error {
		rules = append(rules, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rules, nil
}
