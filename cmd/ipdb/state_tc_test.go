package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestTCUnits: rates, sizes and times as tc(8) reads them.
func TestTCUnits(t *testing.T) {
	for in, want := range map[string]uint64{"1mbit": 125000, "100kbit": 12500, "8000": 1000, "1Gbit": 125e6, "10mbps": 10e6,
		"1kibit": 128, "1.5mbit": 187500, "2bps": 2} {
		if got, err := parseTCRate(in); err != nil || got != want {
			t.Errorf("rate %q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "mbit", "0", "-1mbit", "1furlong", "1e3"} {
		if _, err := parseTCRate(bad); err == nil {
			t.Errorf("rate %q: no error", bad)
		}
	}
	for in, want := range map[string]uint32{"10kb": 10240, "1600b": 1600, "1600": 1600, "1mb": 1 << 20, "8kbit": 1024, "2k": 2048} {
		if got, err := parseTCSize(in); err != nil || got != want {
			t.Errorf("size %q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "kb", "10xb", "5gb"} {
		if _, err := parseTCSize(bad); err == nil {
			t.Errorf("size %q: no error", bad)
		}
	}
	for in, want := range map[string]time.Duration{"25ms": 25 * time.Millisecond, "1s": time.Second, "500us": 500 * time.Microsecond,
		"400": 400 * time.Microsecond, "1.5ms": 1500 * time.Microsecond} {
		if got, err := parseTCTime(in); err != nil || got != want {
			t.Errorf("time %q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ms", "5min"} {
		if _, err := parseTCTime(bad); err == nil {
			t.Errorf("time %q: no error", bad)
		}
	}
}

// TestU32MatchAndBytecode: u32's matches as tc's f_u32.c packs them, and
// classic bpf as tc takes it.
func TestU32MatchAndBytecode(t *testing.T) {
	for in, want := range map[string]netlink.U32Key{
		"ip dst 192.0.2.0/24":        {Mask: 0xffffff00, Val: 0xc0000200, Off: 16},
		"ip src 198.51.100.7":        {Mask: 0xffffffff, Val: 0xc6336407, Off: 12},
		"ip src 192.0.2.77/24":       {Mask: 0xffffff00, Val: 0xc0000200, Off: 12},
		"ip protocol 6 0xff":         {Mask: 0x00ff0000, Val: 0x00060000, Off: 8},
		"ip dport 80 0xffff":         {Mask: 0x0000ffff, Val: 80, Off: 20},
		"ip sport 53 0xffff":         {Mask: 0xffff0000, Val: 53 << 16, Off: 20},
		"u32 0x12345678 0xff00 at 4": {Mask: 0xff00, Val: 0x5600, Off: 4},
	} {
		if got, err := parseU32Match(in); err != nil || got != want {
			t.Errorf("match %q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"ip dst", "ip dst 2001:db8::/32", "ip tos 1 0xff", "u32 1 1 at 3", "ip dport 70000 0xffff"} {
		if _, err := parseU32Match(bad); err == nil {
			t.Errorf("match %q: no error", bad)
		}
	}
	ops, err := parseBytecode("2,40 0 0 12,6 0 0 65535")
	if err != nil || len(ops) != 2 || ops[0] != (netlink.BPFInstruction{Code: 40, K: 12}) || ops[1] != (netlink.BPFInstruction{Code: 6, K: 65535}) {
		t.Errorf("bytecode: %v %v", ops, err)
	}
	for _, bad := range []string{"", "1", "2,6 0 0 0", "1,6 0 0", "1,x 0 0 0", "1,6 0 256 0"} {
		if _, err := parseBytecode(bad); err == nil {
			t.Errorf("bytecode %q: no error", bad)
		}
	}
}

// TestTCSections: the sections' entries become specs; bad entries are
// errors naming their line.
func TestTCSections(t *testing.T) {
	ss := mustSpecs(t, `
qdiscs:
  - {dev: v0, handle: "1:", kind: htb, default: 10, r2q: 5}
  - {dev: v1, handle: "1:", kind: tbf, rate: 1mbit, burst: 10kb, latency: 25ms}
  - {dev: v1, kind: clsact}
  - {dev: v2, handle: "1:", absent: true}
classes:
  - {dev: v0, classid: "1:10", parent: "1:1", kind: htb, rate: 1mbit, ceil: 5mbit, prio: 1, burst: 1600b}
filters:
  - {dev: v0, parent: "1:", protocol: ip, pref: 1, handle: "800::800", kind: u32, match: ["ip dst 192.0.2.0/24"], flowid: "1:10"}
  - {dev: v1, parent: egress, protocol: all, pref: 2, handle: 3, kind: bpf, bytecode: "1,6 0 0 0"}
`)
	if len(ss.qdiscs) != 4 || len(ss.classes) != 1 || len(ss.filters) != 2 {
		t.Fatalf("specs: %+v", ss)
	}
	if o := ss.qdiscs[0].Options.(*netlink.HTB); o.Default != 0x10 || o.Rate2Quantum != 5 {
		t.Errorf("htb: %+v", o)
	}
	if o := ss.qdiscs[1].Options.(*netlink.TBF); o.Rate != 125000 || o.Limit != 3125+10240 || o.Burst() != 10240 {
		t.Errorf("tbf: %+v (burst %d)", o, o.Burst())
	}
	if s := ss.qdiscs[2]; s.Parent != netlink.HandleIngress || s.Kind != "clsact" {
		t.Errorf("clsact: %+v", s)
	}
	if c := ss.classes[0]; c.Parent != netlink.NewHandle(1, 1) || c.Options.(*netlink.HTBClass).Ceil != 625000 || c.Options.(*netlink.HTBClass).Prio != 1 {
		t.Errorf("class: %+v", c)
	}
	if f := ss.filters[0]; f.Handle != 0x80000800 || f.Protocol != unix.ETH_P_IP || f.Options.(*netlink.U32).Sel.Flags != 1 {
		t.Errorf("u32: %+v", f)
	}
	if f := ss.filters[1]; f.Parent != netlink.HandleEgressBlock || f.Handle != 3 {
		t.Errorf("bpf: %+v", f)
	}
	if got := ss.lines[netlink.KindFilter]; len(got) != 2 || got[1] != 11 {
		t.Errorf("filter lines %v", got)
	}
	for text, want := range map[string]string{
		"qdiscs:\n  - {dev: v0, handle: \"1:\", kind: htb, colour: red}\n":                                                          `line 2: unknown key "colour"`,
		"qdiscs:\n  - {handle: \"1:\", kind: htb}\n":                                                                                "line 2: a qdisc needs a dev",
		"qdiscs:\n  - {dev: v0, handle: \"1:\", kind: htb, default: zz}\n":                                                          `line 2: bad default "zz"`,
		"qdiscs:\n  - {dev: v0, handle: \"1:\", kind: htb, r2q: 0}\n":                                                               `line 2: bad r2q 0 (want 1 or more)`,
		"qdiscs:\n  - {dev: v0, handle: \"1:\", kind: htb, r2q: -1}\n":                                                              "line 2: r2q: bad value `-1` (want a number from 0 to 4294967295)",
		"qdiscs:\n  - {dev: v0, handle: \"1:\", kind: tbf, rate: 1mbit, burst: 1kb}\n":                                              "line 2: tbf needs a latency or a limit",
		"qdiscs:\n  - {dev: v0, handle: \"x\", kind: htb}\n":                                                                        `line 2: bad handle "x"`,
		"qdiscs:\n  - {dev: v0, handle: \"1:\", absent: true, limit: 5}\n":                                                          `line 2: an absent qdisc takes no "limit"`,
		"classes:\n  - {dev: v0, classid: \"1:10\", kind: htb, rate: 1mbit, prio: 9}\n":                                             "line 2: prio 9 out of range 0-7",
		"classes:\n  - {dev: v0, classid: \"1:10\", kind: htb}\n":                                                                   "line 2: an htb class needs a rate",
		"filters:\n  - {dev: v0, parent: \"1:\", protocol: ip, pref: 1, handle: zz, kind: u32}\n":                                   `line 2: bad u32 handle "zz"`,
		"filters:\n  - {dev: v0, parent: \"1:\", protocol: ip, pref: 1, handle: \"800::1\", kind: u32}\n":                           "line 2: a u32 filter needs a match",
		"filters:\n  - {dev: v0, parent: \"1:\", protocol: bogus, pref: 1, handle: 1, kind: bpf}\n":                                 `line 2: unknown protocol "bogus"`,
		"filters:\n  - {dev: v0, parent: \"1:\", protocol: all, pref: 1, handle: 1, kind: bpf, match: [\"ip dst 192.0.2.0/24\"]}\n": `line 2: filter bpf takes no "match"`,
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
