package txn

import (
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// The plan prints a filter's options as `tc filter add ... KIND` takes
// them after the kind (tc/f_u32.c, f_bpf.c, f_flower.c, f_matchall.c,
// f_basic.c): "match ip dst 192.0.2.0/24 match ip dport 80 0xffff flowid
// 1:10", "bytecode '1,6 0 0 0' flowid 1:20". Its actions follow in
// actionsWords' words ("action mirred egress redirect dev ifb0").

// u32 selector flags (TC_U32_* of include/uapi/linux/pkt_cls.h).
const (
	u32Terminal  = 1
	u32Offset    = 2
	u32VarOffset = 4
	u32Eat       = 8
)

// filterClause is one clause of a filter's words: its key (the first
// word, which a change groups by) and its text.
type filterClause struct{ key, text string }

// filterWords prints filter options o in tc's words (filterClauses).
func filterWords(protocol uint16, handle uint32, o netlink.FilterOptions) string {
	cs := filterClauses(protocol, handle, o)
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.text
	}
	return strings.Join(parts, " ")
}

// filterClauses returns the clauses of filter options o, the options of a
// filter of protocol (ETH_P_*, host order) and handle: u32's keys print as
// tc's "ip" matches for protocol ip only (the offsets are an IPv4
// header's without options, as tc assumes), else as "match u32 VAL MASK
// at OFF". Options of a kind without words here print as tcOptionsWords.
// Actions are not among them (actionsWords).
func filterClauses(protocol uint16, handle uint32, o netlink.FilterOptions) []filterClause {
	var cs []filterClause
	add := func(key, format string, args ...any) {
		cs = append(cs, filterClause{key, key + fmt.Sprintf(format, args...)})
	}
	clsFlags := func(f uint32) {
		if f&netlink.TCClsFlagsSkipHW != 0 {
			add("skip_hw", "")
		}
		if f&netlink.TCClsFlagsSkipSW != 0 {
			add("skip_sw", "")
		}
	}
	police := func(p *netlink.Police) {
		if p != nil {
			cs = append(cs, filterClause{"police", actionWords(0, &netlink.TCAction{Options: p}, nil)})
		}
	}
	if isNilTC(o) {
		return nil
	}
	switch x := o.(type) {
	case *netlink.U32:
		if x.Divisor != 0 {
			add("divisor", " %d", x.Divisor)
		}
		if x.Hash != 0 && x.Hash != handle&^0xfff {
			add("ht", " %s", netlink.U32Handle(x.Hash))
		}
		if s := x.Sel; s != nil {
			for _, k := range u32KeyWords(protocol, s.Keys) {
				add("match", " %s", k)
			}
			if s.Flags&(u32Offset|u32VarOffset) != 0 {
				w := ""
				if s.Flags&u32VarOffset != 0 {
					w += fmt.Sprintf(" at %d mask 0x%04x shift %d", s.Offoff, s.Offmask, s.Offshift)
				}
				if s.Off != 0 {
					w += fmt.Sprintf(" plus %d", s.Off)
				}
				if s.Flags&u32Eat != 0 {
					w += " eat"
				}
				add("offset", "%s", w)
			}
			if s.Hmask != 0 {
				add("hashkey", " mask 0x%08x at %d", s.Hmask, s.Hoff)
			}
			// tc sets the terminal flag with a flowid, an action or a
			// policer (f_u32.c); only a flag that differs is printed.
			acts, _ := filterActions(x)
			tcTerminal := x.ClassID != 0 || len(acts) > 0 || x.Police != nil
			if terminal := s.Flags&u32Terminal != 0; terminal != tcTerminal {
				if terminal {
					add("terminal", "")
				} else {
					add("terminal", " off")
				}
			}
			if f := s.Flags &^ (u32Terminal | u32Offset | u32VarOffset | u32Eat); f != 0 {
				add("sel.flags", " %#x", f)
			}
		}
		if x.Link != 0 {
			add("link", " %s", netlink.U32Handle(x.Link))
		}
		if x.ClassID != 0 {
			add("flowid", " %s", x.ClassID)
		}
		if x.Indev != "" {
			add("indev", " %s", x.Indev)
		}
		clsFlags(x.Flags & tcClsFlagsSettable)
		police(x.Police)
	case *netlink.BPFFilter:
		// One clause names the program, whichever way: classic bytecode,
		// or an eBPF program by its name and id (the kernel's, or the
		// one a spec's descriptor refers to), or by the descriptor
		// alone.
		var prog []string
		switch {
		case len(x.Ops) > 0:
			prog = append(prog, "bytecode "+fmtField(reflect.ValueOf(x.Ops)))
		default:
			if x.Name != "" {
				prog = append(prog, "name "+x.Name)
			}
			if x.ID != 0 {
				prog = append(prog, fmt.Sprintf("id %d", x.ID))
			} else if x.FD != 0 {
				prog = append(prog, fmt.Sprintf("fd %d", x.FD))
			}
		}
		if len(prog) > 0 {
			cs = append(cs, filterClause{"program", strings.Join(prog, " ")})
		}
		if x.DirectAction {
			add("direct-action", "")
		}
		if x.ClassID != 0 {
			add("flowid", " %s", x.ClassID)
		}
		clsFlags(x.GenFlags & tcClsFlagsSettable)
		police(x.Police)
	case *netlink.Flower:
		if x.ClassID != 0 {
			add("classid", " %s", x.ClassID)
		}
		if x.Indev != "" {
			add("indev", " %s", x.Indev)
		}
		clsFlags(x.Flags & tcClsFlagsSettable)
		if x.EthType != 0 && x.EthType != protocol {
			add("eth_type", " %s", netlink.TCProtocolArg(x.EthType))
		}
		mac := func(key string, a, m net.HardwareAddr) {
			switch {
			case len(a) == 0:
			case len(m) == 0 || strings.EqualFold(m.String(), "ff:ff:ff:ff:ff:ff"):
				add(key, " %s", a)
			default:
				add(key, " %s/%s", a, m)
			}
		}
		mac("dst_mac", x.DstMAC, x.DstMACMask)
		mac("src_mac", x.SrcMAC, x.SrcMACMask)
		if x.VlanID != nil {
			add("vlan_id", " %d", *x.VlanID)
		}
		if x.VlanPrio != nil {
			add("vlan_prio", " %d", *x.VlanPrio)
		}
		if x.VlanEthType != 0 {
			add("vlan_ethtype", " %s", netlink.TCProtocolArg(x.VlanEthType))
		}
		if x.IPProto != nil {
			add("ip_proto", " %s", ipProtoWord(*x.IPProto))
		}
		for _, p := range []struct {
			key string
			p   netip.Prefix
		}{{"dst_ip", x.Dst}, {"src_ip", x.Src}} {
			if p.p.IsValid() {
				add(p.key, " %s", p.p)
			}
		}
		for _, p := range []struct {
			key     string
			v, mask *uint16
		}{{"dst_port", x.DstPort, x.DstPortMask}, {"src_port", x.SrcPort, x.SrcPortMask}} {
			switch {
			case p.v == nil:
			case p.mask == nil || *p.mask == 0xffff:
				add(p.key, " %d", *p.v)
			default:
				add(p.key, " %d/0x%04x", *p.v, *p.mask)
			}
		}
	case *netlink.Matchall:
		if x.ClassID != 0 {
			add("classid", " %s", x.ClassID)
		}
		clsFlags(x.Flags & tcClsFlagsSettable)
	case *netlink.Basic:
		if len(x.Ematches) > 0 {
			// ipdb keeps the ematch tree raw (netlink.Basic.Ematches).
			add("match", " ematch-tree %x", x.Ematches)
		}
		if x.ClassID != 0 {
			add("classid", " %s", x.ClassID)
		}
		police(x.Police)
	default:
		if w := tcOptionsWords(o); w != "" {
			cs = append(cs, filterClause{"options", w})
		}
	}
	return cs
}

// u32KeyWords prints u32 keys as tc's matches (f_u32.c parse_ip,
// parse_u32): for protocol ip "ip src|dst PREFIX", "ip protocol N MASK",
// "ip sport|dport N MASK" (tc packs a sport and a dport into one key at
// offset 20; each half prints as its match), else "u32 VAL MASK at OFF"
// ("at nexthdr+OFF" for a key after a computed offset).
func u32KeyWords(protocol uint16, keys []netlink.U32Key) []string {
	var out []string
	for _, k := range keys {
		if protocol == unix.ETH_P_IP && k.OffMask == 0 {
			if w := ipKeyWords(k); w != nil {
				out = append(out, w...)
				continue
			}
		}
		at := fmt.Sprint(k.Off)
		if k.OffMask != 0 {
			at = "nexthdr+" + at
		}
		out = append(out, fmt.Sprintf("u32 0x%08x 0x%08x at %s", k.Val, k.Mask, at))
	}
	return out
}

// ipKeyWords returns key k as tc's "ip" matches, or nil if it is none.
func ipKeyWords(k netlink.U32Key) []string {
	if k.Mask == 0 || k.Val&^k.Mask != 0 {
		return nil
	}
	switch k.Off {
	case 12, 16:
		bits := 0
		for m := k.Mask; m&0x80000000 != 0; m <<= 1 {
			bits++
		}
		if bits == 0 || (bits < 32 && k.Mask != ^uint32(0)<<(32-bits)) {
			return nil
		}
		a := netip.AddrFrom4([4]byte{byte(k.Val >> 24), byte(k.Val >> 16), byte(k.Val >> 8), byte(k.Val)})
		dir := "src"
		if k.Off == 16 {
			dir = "dst"
		}
		return []string{fmt.Sprintf("ip %s %s", dir, netip.PrefixFrom(a, bits))}
	case 8:
		if k.Mask&^0x00ff0000 != 0 {
			return nil
		}
		return []string{fmt.Sprintf("ip protocol %d 0x%02x", k.Val>>16&0xff, k.Mask>>16)}
	case 20:
		var out []string
		if m := k.Mask >> 16; m != 0 {
			out = append(out, fmt.Sprintf("ip sport %d 0x%04x", k.Val>>16, m))
		}
		if m := k.Mask & 0xffff; m != 0 {
			out = append(out, fmt.Sprintf("ip dport %d 0x%04x", k.Val&0xffff, m))
		}
		return out
	}
	return nil
}

// ipProtoWord is flower's word for an IP protocol as tc reads it back
// (a name, or a decimal number).
func ipProtoWord(p uint8) string {
	if w, ok := netlink.FlowerIPProtoName(p); ok {
		return w
	}
	return fmt.Sprint(p)
}

// filterOptionsChanges lists how have (the kernel's filter options)
// differs from want (a spec's) in tc's words, one entry per clause key
// that differs ("match ip dst 192.0.2.0/24 -> match ip dst
// 198.51.100.0/24"); a clause want lacks counts only with exact, as in
// tcOptionsDiff, which decides whether they differ at all. A difference
// the words do not show is listed as tcOptionsDiff lists it.
func filterOptionsChanges(protocol uint16, handle uint32, want, have netlink.FilterOptions, exact bool) changeList {
	diff := tcOptionsDiff(want, have, exact)
	if len(diff) == 0 || isNilTC(want) || isNilTC(have) {
		return diff
	}
	group := func(cs []filterClause) (map[string]string, []string) {
		m := map[string]string{}
		var order []string
		for _, c := range cs {
			if _, ok := m[c.key]; ok {
				m[c.key] += " " + c.text
				continue
			}
			m[c.key] = c.text
			order = append(order, c.key)
		}
		return m, order
	}
	w, worder := group(filterClauses(protocol, handle, want))
	h, horder := group(filterClauses(protocol, handle, have))
	// The terminal clause is printed against the flowid and actions: it
	// counts when the flag itself differs.
	seen := map[string]bool{}
	if wu, ok := want.(*netlink.U32); ok && wu.Sel != nil {
		if hu, ok := have.(*netlink.U32); ok && hu.Sel != nil && wu.Sel.Flags&u32Terminal == hu.Sel.Flags&u32Terminal {
			seen["terminal"] = true
		}
	}
	var c changeList
	for _, k := range append(worder, horder...) {
		if seen[k] {
			continue
		}
		seen[k] = true
		wt, ht := w[k], h[k]
		if wt == ht || (wt == "" && !exact) {
			continue
		}
		c = append(c, strOrNone(ht)+" -> "+strOrNone(wt))
	}
	if len(c) == 0 {
		return diff
	}
	return c
}
