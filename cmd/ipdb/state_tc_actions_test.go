package main

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestTCActionWords: a filter's actions in tc's words become the actions
// tc would send (tc/m_mirred.c, m_gact.c, m_police.c, m_bpf.c, with their
// default verdicts); bad words are errors that say what is wanted.
func TestTCActionWords(t *testing.T) {
	gen := func(v int32) netlink.TCActionGen { return netlink.TCActionGen{Action: v} }
	bpfOps := make([]byte, 8)
	binary.NativeEndian.PutUint16(bpfOps, 6)
	binary.NativeEndian.PutUint32(bpfOps[4:], 65535)
	for _, c := range []struct {
		in   string
		want netlink.ActionOptions
		dev  string
	}{
		{"mirred egress redirect dev ifb0", &netlink.Mirred{TCActionGen: gen(netlink.TCActStolen), Eaction: netlink.MirredEgressRedirect}, "ifb0"},
		{"action mirred ingress mirror dev v1", &netlink.Mirred{TCActionGen: gen(netlink.TCActPipe), Eaction: netlink.MirredIngressMirror}, "v1"},
		{"mirred egress mirror dev v1 pass", &netlink.Mirred{TCActionGen: gen(netlink.TCActOK), Eaction: netlink.MirredEgressMirror}, "v1"},
		{"mirred ingress redirect dev v1 goto chain 7", &netlink.Mirred{TCActionGen: gen(netlink.TCActGotoChain | 7), Eaction: netlink.MirredIngressRedirect}, "v1"},
		{"drop", &netlink.Gact{TCActionGen: gen(netlink.TCActShot)}, ""},
		{"gact ok", &netlink.Gact{TCActionGen: gen(netlink.TCActOK)}, ""},
		{"gact pipe", &netlink.Gact{TCActionGen: gen(netlink.TCActPipe)}, ""},
		{"gact reclassify", &netlink.Gact{TCActionGen: gen(netlink.TCActReclassify)}, ""},
		{"continue", &netlink.Gact{TCActionGen: gen(netlink.TCActUnspec)}, ""},
		{"gact jump 2", &netlink.Gact{TCActionGen: gen(netlink.TCActJump | 2)}, ""},
		{"gact pass random determ drop 10", &netlink.Gact{TCActionGen: gen(netlink.TCActOK),
			Prob: &netlink.GactProb{Type: netlink.GactProbDeterm, Action: netlink.TCActShot, Value: 10}}, ""},
		{"police rate 1mbit burst 10kb", &netlink.Police{Action: netlink.TCActReclassify, Rate: 125000, Burst: netlink.TCXmitTime(125000, 10240)}, ""},
		{"police rate 1mbit burst 10kb mtu 1500 peakrate 2mbit conform-exceed drop/pass", &netlink.Police{Action: netlink.TCActShot, Conform: netlink.Ptr(netlink.TCActOK),
			Rate: 125000, PeakRate: 250000, MTU: 1500, Burst: netlink.TCXmitTime(125000, 10240)}, ""},
		{"police rate 1mbit burst 10kb drop", &netlink.Police{Action: netlink.TCActShot, Rate: 125000, Burst: netlink.TCXmitTime(125000, 10240)}, ""},
		{"police avrate 1mbit conform-exceed drop", &netlink.Police{Action: netlink.TCActShot, AvRate: 125000}, ""},
		{"bpf bytecode '1,6 0 0 65535'", &netlink.ActBPF{TCActionGen: gen(netlink.TCActPipe), Ops: bpfOps}, ""},
		{"bpf bytecode '1,6 0 0 65535' drop", &netlink.ActBPF{TCActionGen: gen(netlink.TCActShot), Ops: bpfOps}, ""},
		{"bpf bytecode 1,6 0 0 65535", &netlink.ActBPF{TCActionGen: gen(netlink.TCActPipe), Ops: bpfOps}, ""},
	} {
		a, dev, err := parseTCAction(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(a.Options, c.want) || dev != c.dev || a.Kind != "" {
			t.Errorf("%q:\n got %+v dev %q\nwant %+v dev %q", c.in, a.Options, dev, c.want, c.dev)
		}
	}
	for in, want := range map[string]string{
		"":                                                    "empty action",
		"mirred egress redirect":                              `want "mirred egress|ingress redirect|mirror dev NAME [VERDICT]"`,
		"mirred sideways redirect dev v1":                     `unknown "sideways redirect"`,
		"mirred egress redirect dev v1 explode":               `mirred: unexpected "explode"`,
		"mirred egress redirect dev v1 goto 3":                `"goto" wants "chain N"`,
		"gact":                                                "gact wants a verdict",
		"gact drop random sometimes drop 3":                   "bad random",
		"gact drop random netrand drop 0":                     `bad random value "0"`,
		"police burst 10kb":                                   "police needs a rate",
		"police rate 1mbit":                                   "police's rate needs a burst",
		"police rate 1mbit burst 10kb peakrate 2mbit":         "police's peakrate needs an mtu",
		"police rate 1furlong burst 1kb":                      `unknown unit "furlong"`,
		"police rate 1mbit burst 10kb conform-exceed explode": "bad conform-exceed",
		"police rate 1mbit burst 10kb colour red":             `police: unknown "colour"`,
		"bpf object-file prog.o":                              `bad bpf action "bpf object-file prog.o" (want "bpf bytecode 'N,code jt jf k,...' [VERDICT]" or "bpf object-pinned PATH [VERDICT]")`,
		"bpf bytecode '1,6 0 0 0":                             "without its closing quote",
		"bpf bytecode '2,6 0 0 0'":                            "bad bytecode",
		"nat ingress 192.0.2.1 198.51.100.1":                  `unknown action "nat"`,
		"jump 0":                                              "bad jump",
	} {
		if _, _, err := parseTCAction(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// TestTCFilterActions: a u32 or bpf entry's actions become the spec's, its
// mirred targets MirredDevs; tc's terminal flag comes with an action; an
// entry without actions asks for none (an empty list, which removes a
// filter's actions: the entry is the whole filter); matches at one
// offset are one key, as tc packs them; bad entries name their line and
// what is wrong.
func TestTCFilterActions(t *testing.T) {
	ss := mustSpecs(t, `
filters:
  - {dev: v0, parent: ingress, protocol: all, pref: 1, handle: "800::800", kind: u32, match: ["u32 0 0 at 0"],
     actions: ["mirred egress redirect dev ifb0", "action drop"]}
  - {dev: v0, parent: ingress, protocol: ip, pref: 2, handle: "801::800", kind: u32, match: ["ip sport 80 0xffff", "ip dport 443 0xffff"]}
  - {dev: v0, parent: egress, protocol: all, pref: 3, handle: 1, kind: bpf, bytecode: "1,6 0 0 0", flowid: "1:1",
     actions: ["police rate 1mbit burst 10k", "action mirred ingress mirror dev ifb1 pipe"]}
  - {dev: v0, parent: egress, protocol: all, pref: 4, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
`)
	f := ss.filters[0]
	u := f.Options.(*netlink.U32)
	if len(u.Actions) != 2 || !reflect.DeepEqual(f.MirredDevs, map[int]string{0: "ifb0"}) || u.Sel.Flags != 1 {
		t.Errorf("u32 with actions: %+v %v", u, f.MirredDevs)
	}
	if m, ok := u.Actions[0].Options.(*netlink.Mirred); !ok || m.Eaction != netlink.MirredEgressRedirect || m.Ifindex != 0 {
		t.Errorf("first action %v", u.Actions[0])
	}
	if g, ok := u.Actions[1].Options.(*netlink.Gact); !ok || g.Action != netlink.TCActShot {
		t.Errorf("second action %v", u.Actions[1])
	}
	u = ss.filters[1].Options.(*netlink.U32)
	if u.Actions == nil || len(u.Actions) != 0 || ss.filters[1].MirredDevs != nil || u.Sel.Flags != 0 {
		t.Errorf("u32 without actions: %+v %v, want an empty, non-nil list", u, ss.filters[1].MirredDevs)
	}
	if want := []netlink.U32Key{{Mask: 0xffffffff, Val: 80<<16 | 443, Off: 20}}; !reflect.DeepEqual(u.Sel.Keys, want) {
		t.Errorf("keys %+v, want %+v", u.Sel.Keys, want)
	}
	b := ss.filters[2].Options.(*netlink.BPFFilter)
	if len(b.Actions) != 2 || !reflect.DeepEqual(ss.filters[2].MirredDevs, map[int]string{1: "ifb1"}) || b.ClassID != netlink.NewHandle(1, 1) {
		t.Errorf("bpf with actions: %+v %v", b, ss.filters[2].MirredDevs)
	}
	if p, ok := b.Actions[0].Options.(*netlink.Police); !ok || p.Rate != 125000 {
		t.Errorf("bpf's first action %v", b.Actions[0])
	}
	if m, ok := b.Actions[1].Options.(*netlink.Mirred); !ok || m.Eaction != netlink.MirredIngressMirror || m.Action != netlink.TCActPipe {
		t.Errorf("bpf's second action %v", b.Actions[1])
	}
	if b := ss.filters[3].Options.(*netlink.BPFFilter); b.Actions == nil || len(b.Actions) != 0 || ss.filters[3].MirredDevs != nil {
		t.Errorf("bpf without actions: %+v, want an empty, non-nil list", b)
	}
	const head = "filters:\n  - {dev: v0, parent: ingress, protocol: all, pref: 1, handle: "
	for text, want := range map[string]string{
		head + "\"800::800\", kind: u32, match: [\"u32 0 0 at 0\"], actions: [\"mirred egress redirect to ifb0\"]}\n": `line 2: action "mirred egress redirect to ifb0": want`,
		head + "\"800::800\", kind: u32, match: [\"u32 0 0 at 0\"], actions: \"drop\"}\n":                             "line 2",
		head + "1, kind: bpf, bytecode: \"1,6 0 0 0\", actions: [\"mirred egress redirect\"]}\n":                      `line 2: action "mirred egress redirect"`,
		head + "\"800::800\", kind: u32, absent: true, actions: [drop]}\n":                                            "line 2: an absent filter takes no actions",
		head + "\"800:\", kind: u32, divisor: 1, actions: [drop]}\n":                                                  "line 2: a u32 hash table (divisor) takes no match, flowid or actions",
		head + "\"800::800\", kind: u32, match: [\"ip dport 80 0xffff\", \"ip dport 81 0xffff\"]}\n":                  `line 2: u32 match "ip dport 81 0xffff": contradicts an earlier match at offset 20`,
	} {
		st, err := parseStateFile([]byte(text))
		if err == nil {
			_, err = st.specs()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}

// FuzzTCAction: any text is an action or an error, never a panic; an
// action is one netlink accepts in a filter request.
func FuzzTCAction(f *testing.F) {
	for _, s := range []string{"mirred egress redirect dev ifb0", "drop", "gact pass random determ drop 10", "goto chain 3",
		"police rate 1mbit burst 10kb mtu 1500 peakrate 2mbit conform-exceed drop/pass", "bpf bytecode '1,6 0 0 0' pipe", "jump 1", "bpf bytecode '"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, dev, err := parseTCAction(s)
		if err != nil {
			return
		}
		if _, ok := a.Options.(*netlink.Mirred); ok != (dev != "") {
			t.Fatalf("%q: mirred %v but target %q", s, ok, dev)
		}
		u := &netlink.U32{Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{}}}, Actions: netlink.TCActions{a}}
		if dev != "" {
			a.Options.(*netlink.Mirred).Ifindex = 1
		}
		req := netlink.FilterRequest(netlink.Add, &netlink.Filter{Index: 1, Parent: netlink.NewHandle(1, 0), Priority: 1, Protocol: 3, Handle: 0x80000800, Options: u})
		if err := req.Err(); err != nil {
			t.Fatalf("%q: parsed to %+v, which netlink refuses: %v", s, a.Options, err)
		}
	})
}
