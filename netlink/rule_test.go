package netlink

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func ruleU32(v uint32) *uint32 { return &v }

// testdata/rule_dump.hex is an RTM_GETRULE dump (all families) of a
// namespace set up with (ip rule / ip -6 rule):
//
//	add from 192.0.2.0/24 table 300 pref 100
//	add not fwmark 0x10/0xff iif v0 oif v1 table 1000 uidrange 100-200
//	    sport 1000-2000 dport 80 ipproto tcp pref 200 proto static
//	add to 198.51.100.0/24 blackhole pref 300
//	add pref 400 table main suppress_prefixlength 0 suppress_ifgroup 5
//	add pref 500 goto 600
//	add pref 600 tos 0x10 realms 3/4 prohibit
//	add pref 700 tun_id 42 unreachable
//	add pref 800 l3mdev
//	-6 add from 2001:db8::/32 to 2001:db8:1::/48 table 70000 pref 1000
//	-6 add pref 1001 nop
func TestRuleDecodeGolden(t *testing.T) {
	msgs := routeHexLines(t, "testdata/rule_dump.hex")
	if len(msgs) != 17 {
		t.Fatalf("%d messages, want 17", len(msgs))
	}
	rules := make([]*Rule, len(msgs))
	for i, b := range msgs {
		r := new(Rule)
		if err := r.decode(b); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		rules[i] = r
		roundTrip(t, r)
	}
	want := map[int]*Rule{
		0: {Family: unix.AF_INET, Action: RuleToTable, Table: unix.RT_TABLE_LOCAL, Protocol: ProtoKernel},
		1: {Family: unix.AF_INET, Action: RuleToTable, Table: 300, Priority: 100, Src: routePfx("192.0.2.0/24")},
		2: {Family: unix.AF_INET, Action: RuleToTable, Table: 1000, Priority: 200, Flags: unix.FIB_RULE_INVERT,
			Mark: 0x10, Mask: 0xff, IIFName: "v0", OIFName: "v1", UIDRange: &RuleUIDRange{100, 200},
			SPort: RulePortRange{1000, 2000}, DPort: RulePortRange{80, 80}, IPProto: unix.IPPROTO_TCP,
			Protocol: ProtoStatic, Unknown: []Attribute{{Type: 29, Data: []byte{0xff, 0xff}}}},
		3: {Family: unix.AF_INET, Action: RuleBlackhole, Priority: 300, Dst: routePfx("198.51.100.0/24")},
		4: {Family: unix.AF_INET, Action: RuleToTable, Table: unix.RT_TABLE_MAIN, Priority: 400,
			SuppressPrefixLen: ruleU32(0), SuppressIfGroup: ruleU32(5)},
		5: {Family: unix.AF_INET, Action: RuleGoto, Priority: 500, Goto: 600},
		6: {Family: unix.AF_INET, Action: RuleProhibit, Priority: 600, TOS: 0x10, Flow: 3<<16 | 4},
		7: {Family: unix.AF_INET, Action: RuleUnreachable, Priority: 700, TunID: 42},
		8: {Family: unix.AF_INET, Action: RuleToTable, Priority: 800, L3MDev: 1},
		11: {Family: rtnlFamilyIPMR, Action: RuleToTable, Table: unix.RT_TABLE_DEFAULT, Priority: 32767,
			Protocol: ProtoKernel},
		14: {Family: unix.AF_INET6, Action: RuleToTable, Table: 70000, Priority: 1000,
			Src: routePfx("2001:db8::/32"), Dst: routePfx("2001:db8:1::/48")},
		15: {Family: unix.AF_INET6, Action: RuleNop, Priority: 1001},
	}
	for i, w := range want {
		if !reflect.DeepEqual(rules[i], w) {
			t.Errorf("message %d:\n got %#v\nwant %#v", i, rules[i], w)
		}
	}
	if got, w := rules[2].String(), "200: not from all fwmark 0x10/0xff iif v0 oif v1 uidrange 100-200 ipproto 6 sport 1000-2000 dport 80 lookup 1000 proto static"; got != w {
		t.Errorf("String:\n got %q\nwant %q", got, w)
	}
}

func TestRuleOpGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		verb Verb
		r    *Rule
		want string
	}{{
		// fib_rule_hdr: AF_INET, dst_len 0, src_len 24, tos 0, table 252
		// (the id is in FRA_TABLE), res1/res2 0, action to_tbl, flags 0;
		// FRA_TABLE 300; FRA_SRC; FRA_PRIORITY 100. Compare the kernel's
		// own message 1 of rule_dump.hex.
		name: "from table 300", verb: Add,
		r:    &Rule{Src: routePfx("192.0.2.0/24"), Table: 300, Priority: 100},
		want: "02001800 fc000001 00000000  08000f00 2c010000  08000200 c0000200  08000600 64000000",
	}, {
		// Defaults: AF_INET6 from the prefix, action to_tbl, table main;
		// kernel-only flags are not sent, "not" is.
		name: "v6 not to, main", verb: Add,
		r:    &Rule{Dst: routePfx("2001:db8::/32"), Flags: unix.FIB_RULE_INVERT | unix.FIB_RULE_UNRESOLVED},
		want: "0a200000 fe000001 02000000  08000f00 fe000000  14000100 20010db8 00000000 00000000 00000000",
	}, {
		// fwmark/mask, iif/oif names (NUL-terminated), uid range,
		// ip proto, port ranges (native-endian struct fib_rule_port_range),
		// suppress_prefixlength 0, protocol static.
		name: "selectors", verb: Add,
		r: &Rule{Family: unix.AF_INET, Priority: 200, Table: 1000, Mark: 0x10, Mask: 0xff, IIFName: "v0",
			OIFName: "v1", UIDRange: &RuleUIDRange{100, 200}, IPProto: 6, SPort: RulePortRange{1000, 2000},
			DPort: RulePortRange{80, 80}, SuppressPrefixLen: ruleU32(0), Protocol: ProtoStatic},
		want: "02000000 fc000001 00000000  08000f00 e8030000  07000300 76300000  07001100 76310000" +
			"08000600 c8000000  08000a00 10000000  08001000 ff000000  08000e00 00000000" +
			"0c001400 64000000 c8000000  05001500 04000000  05001600 06000000" +
			"08001700 e803d007  08001800 50005000",
	}, {
		// goto: action goto inferred from Goto, no table.
		name: "goto", verb: Add,
		r:    &Rule{Family: unix.AF_INET, Priority: 500, Goto: 600},
		want: "02000000 00000002 00000000  08000600 f4010000  08000400 58020000",
	}, {
		// Delete sends only what is set, with no defaults.
		name: "delete by priority", verb: Delete,
		r:    &Rule{Family: unix.AF_INET6, Priority: 1001},
		want: "0a000000 00000000 00000000  08000600 e9030000",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			op := RuleRequest(tc.verb, tc.r)
			if op.Err() != nil {
				t.Fatal(op.Err())
			}
			if want := routeHex(t, tc.want); string(op.body) != string(want) {
				t.Errorf("body\n got %x\nwant %x", op.body, want)
			}
			wantTyp := uint16(unix.RTM_NEWRULE)
			if tc.verb == Delete {
				wantTyp = unix.RTM_DELRULE
			}
			if op.typ != wantTyp || op.flags != tc.verb.flags() {
				t.Errorf("type %d flags %#x", op.typ, op.flags)
			}
		})
	}
}

func TestRuleOpInvalid(t *testing.T) {
	for name, tc := range map[string]struct {
		v Verb
		r *Rule
	}{
		"nil":                {Add, nil},
		"no family":          {Add, &Rule{Table: 300}},
		"bad family":         {Add, &Rule{Family: unix.AF_MPLS, Table: 300}},
		"family vs src":      {Add, &Rule{Family: unix.AF_INET6, Src: routePfx("192.0.2.0/24")}},
		"src vs dst":         {Add, &Rule{Src: routePfx("192.0.2.0/24"), Dst: routePfx("2001:db8::/32")}},
		"long iif":           {Add, &Rule{Family: unix.AF_INET, IIFName: strings.Repeat("x", 16)}},
		"long oif":           {Delete, &Rule{Family: unix.AF_INET, OIFName: strings.Repeat("x", 16)}},
		"unknown action":     {Add, &Rule{Family: unix.AF_INET, Action: 42}},
		"goto without goal":  {Add, &Rule{Family: unix.AF_INET, Action: RuleGoto}},
		"goal with lookup":   {Add, &Rule{Family: unix.AF_INET, Action: RuleToTable, Goto: 5}},
		"reversed uid range": {Add, &Rule{Family: unix.AF_INET, UIDRange: &RuleUIDRange{200, 100}}},
		"reversed sport":     {Add, &Rule{Family: unix.AF_INET, SPort: RulePortRange{200, 100}}},
		"reversed dport":     {Add, &Rule{Family: unix.AF_INET, DPort: RulePortRange{200, 100}}},
		"replace verb":       {Replace, &Rule{Family: unix.AF_INET, Table: 300}},
	} {
		op := RuleRequest(tc.v, tc.r)
		if !errors.Is(op.Err(), ErrInvalid) {
			t.Errorf("%s: Err() = %v, want ErrInvalid", name, op.Err())
			continue
		}
		if err := (*Conn)(nil).Do(context.Background(), op); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Do = %v", name, err)
		}
	}
}

func TestRuleDecodeMalformed(t *testing.T) {
	good := routeHexLines(t, "testdata/rule_dump.hex")[2]
	for name, b := range map[string][]byte{
		"short header":       good[:11],
		"truncated":          good[:len(good)-4],
		"src_len > 32":       append([]byte{2, 0, 33}, good[3:12]...),
		"unknown family len": append([]byte{77, 8}, good[2:12]...),
		"uid range size":     append(append([]byte{}, good[:12]...), 8, 0, 20, 0, 1, 0, 0, 0),
		"port range size":    append(append([]byte{}, good[:12]...), 6, 0, 23, 0, 1, 0, 0, 0),
		"tun id size":        append(append([]byte{}, good[:12]...), 8, 0, 12, 0, 1, 0, 0, 0),
	} {
		var r Rule
		if err := r.decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestRuleFilterMatch(t *testing.T) {
	r := &Rule{Family: unix.AF_INET6, Table: 300, Action: RuleToTable, Protocol: ProtoStatic}
	for _, tc := range []struct {
		f    *RuleFilter
		want bool
	}{
		{nil, true},
		{&RuleFilter{Family: unix.AF_INET6, Table: 300, Action: RuleToTable, Protocol: ProtoStatic}, true},
		{&RuleFilter{Family: unix.AF_INET}, false},
		{&RuleFilter{Table: 301}, false},
		{&RuleFilter{Action: RuleNop}, false},
		{&RuleFilter{Protocol: ProtoKernel}, false},
	} {
		if got := tc.f.Match(r); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
}

func FuzzDecodeRule(f *testing.F) {
	for _, b := range routeHexLines(f, "testdata/rule_dump.hex") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Rule
		if err := r.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		_ = r.String()
		out, err := r.marshal()
		if err != nil {
			return
		}
		var again Rule
		if err := again.decode(out); err != nil {
			t.Fatalf("decode(marshal(r)): %v\nr = %#v", err, &r)
		}
		if !reflect.DeepEqual(&r, &again) {
			t.Fatalf("round trip changed the rule:\n got %#v\nwant %#v", &again, &r)
		}
	})
}
