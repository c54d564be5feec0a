package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestTCProtocolNamesEqualTC: filters whose protocol is one of tc's
// rarer names (rarp, LLDP, ipx, loop, 802_2, 802.1Q) or no name at all
// (0x1234, which tc prints "[4660]") show in ipdb's JSON and text as tc
// -j and tc print them; "show filter ... protocol X" takes tc's names in
// any case and numbers, as tc filter show does; the state file reads the
// same words, the plan prints them as tc filter add reads them (0x1234,
// not tc's output-only [4660]), and a second apply of them has nothing to do (found by
// try7: ipdb printed 0x8035 and refused 802.1q).
func TestTCProtocolNamesEqualTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add vd type veth peer name ve", "link set vd up", "link set ve up")
		tcIn(t, ns, "qdisc", "add", "dev", "vd", "clsact")
		for i, p := range []string{"rarp", "lldp", "ipx", "loop", "802_2", "0x1234", "802.1q", "IP"} {
			tcIn(t, ns, "filter", "add", "dev", "vd", "ingress", "protocol", p, "pref", string(rune('1'+i)), "bpf", "bytecode", "1,6 0 0 0,")
		}
		compareTCJSON(t, ns, []string{"show", "filter", "dev", "vd", "ingress"}, "filter", "show", "dev", "vd", "ingress")
		compareTCText(t, ns, "filter", false, []string{"show", "filter", "dev", "vd", "ingress"}, "filter", "show", "dev", "vd", "ingress")
		for _, p := range []string{"802.1q", "802.1Q", "LLDP", "lldp", "RARP", "4660", "0x1234", "802_2", "ipv4"} {
			compareTCJSON(t, ns, []string{"show", "filter", "dev", "vd", "ingress", "protocol", p}, "filter", "show", "dev", "vd", "ingress", "protocol", p)
		}
		code, out, errs := runCmd(t, "-n", ns.Name, "show", "filter", "dev", "vd", "ingress", "protocol", "rarp9")
		if code == exitOK || !strings.Contains(errs, "rarp9") {
			t.Errorf("show filter protocol rarp9: exit %d, %q %q; want an error naming it", code, out, errs)
		}

		const file = `
qdiscs:
  - {dev: ve, kind: clsact}
filters:
  - {dev: ve, parent: ingress, protocol: 802.1q, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
  - {dev: ve, parent: ingress, protocol: IP, pref: 2, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
  - {dev: ve, parent: ingress, protocol: lldp, pref: 3, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
  - {dev: ve, parent: ingress, protocol: rarp, pref: 4, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
  - {dev: ve, parent: ingress, protocol: "[4660]", pref: 5, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
`
		plan := applyTCFile(t, ns, file, false)
		for _, w := range []string{"protocol 802.1Q pref 1", "protocol ip pref 2", "protocol LLDP pref 3", "protocol rarp pref 4", "protocol 0x1234 pref 5"} {
			if !strings.Contains(plan, w) {
				t.Errorf("the plan lacks %q, in words tc filter add reads:\n%s", w, plan)
			}
		}
		var fs []struct {
			Pref     int    `json:"pref"`
			Protocol string `json:"protocol"`
		}
		if err := json.Unmarshal([]byte(tcOut(t, ns, "-j", "filter", "show", "dev", "ve", "ingress")), &fs); err != nil {
			t.Fatal(err)
		}
		got := map[int]string{}
		for _, f := range fs {
			got[f.Pref] = f.Protocol
		}
		want := map[int]string{1: "802.1Q", 2: "ip", 3: "LLDP", 4: "rarp", 5: "[4660]"}
		for p, w := range want {
			if got[p] != w {
				t.Errorf("after apply, tc -j shows pref %d protocol %q, want %q (all: %v)", p, got[p], w, got)
			}
		}
		if out := applyTCFile(t, ns, file, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply is not empty:\n%s", out)
		}
	})
}
