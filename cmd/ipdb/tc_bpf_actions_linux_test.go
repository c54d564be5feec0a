package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// bpfActionsTC makes bpf filters with actions: on v0's clsact a
// redirect to an ifb (the CNI way), two mirreds, and a direct-action
// program with a mirred; on v1's htb one with a mirror. Where the kernel
// has gact and police (the guest), a filter with a policer the old way
// and one with gact and police actions too; it reports whether it made
// those.
func bpfActionsTC(t *testing.T, ns *nstest.NS) (gactPolice bool) {
	t.Helper()
	ns.NeedKind(t, "ifb")
	ns.NeedTC(t, "filter", "bpf", "bytecode", "1,6 0 0 0")
	ns.NeedTC(t, "action", "mirred", "egress", "redirect", "dev", "lo")
	ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up", "link add ifb0 type ifb", "link set ifb0 up")
	const accept = "1,6 0 0 4294967295"
	for _, c := range [][]string{
		{"qdisc", "add", "dev", "v0", "clsact"},
		{"filter", "add", "dev", "v0", "ingress", "pref", "1", "protocol", "all", "handle", "1", "bpf", "bytecode", accept, "flowid", "1:1",
			"action", "mirred", "egress", "redirect", "dev", "ifb0"},
		{"filter", "add", "dev", "v0", "ingress", "pref", "2", "protocol", "ip", "handle", "3", "bpf", "bytecode", "2,40 0 0 12,6 0 0 0",
			"action", "mirred", "egress", "mirror", "dev", "ifb0", "action", "mirred", "ingress", "redirect", "dev", "v1"},
		{"filter", "add", "dev", "v0", "egress", "pref", "1", "protocol", "all", "handle", "1", "bpf", "bytecode", accept, "da", "skip_hw",
			"action", "mirred", "egress", "mirror", "dev", "ifb0"},
		{"qdisc", "add", "dev", "v1", "root", "handle", "1:", "htb"},
		{"filter", "add", "dev", "v1", "parent", "1:", "pref", "1", "protocol", "all", "handle", "2", "bpf", "bytecode", accept, "classid", "1:2",
			"action", "mirred", "egress", "mirror", "dev", "ifb0"},
	} {
		tcIn(t, ns, c...)
	}
	for _, p := range [][]string{{"action", "gact", "pass"}, {"action", "police", "rate", "1mbit", "burst", "10k"}} {
		if err := ns.HaveTC(p[0], p[1], p[2:]...); errors.Is(err, nstest.ErrLacksTC) {
			t.Logf("this kernel lacks the %s action: bpf filters with gact and police are left out", p[1])
			return false
		} else if err != nil {
			t.Fatal(err)
		}
	}
	tcIn(t, ns, "filter", "add", "dev", "v0", "egress", "pref", "2", "protocol", "all", "handle", "1", "bpf", "bytecode", accept,
		"police", "rate", "1mbit", "burst", "10k", "drop", "flowid", "1:3")
	tcIn(t, ns, "filter", "add", "dev", "v1", "parent", "1:", "pref", "2", "protocol", "all", "handle", "4", "bpf", "bytecode", accept,
		"action", "gact", "drop", "random", "determ", "pass", "10", "action", "police", "rate", "2mbit", "burst", "20k", "conform-exceed", "drop/pipe")
	return true
}

// TestTCShowBPFActions: `show filter` prints bpf filters' actions (and a
// policer attached the old way) as tc -j and tc's text do, with -d too,
// on clsact's blocks and under an htb.
func TestTCShowBPFActions(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		gactPolice := bpfActionsTC(t, ns)
		for _, sel := range [][]string{{"dev", "v0", "ingress"}, {"dev", "v0", "egress"}, {"dev", "v1"}} {
			compareFilterShow(t, ns, sel...)
		}
		// What the comparisons must have seen.
		code, out, errs := runCmd(t, "-n", ns.Name, "show", "filter", "dev", "v0", "ingress")
		if code != exitOK {
			t.Fatalf("show filter: exit %d: %s", code, errs)
		}
		for _, w := range []string{"mirred (Egress Redirect to device ifb0) stolen", "mirred (Ingress Redirect to device v1) stolen"} {
			if !strings.Contains(out, w) {
				t.Errorf("show filter dev v0 ingress lacks %q:\n%s", w, out)
			}
		}
		if gactPolice {
			code, out, errs := runCmd(t, "-n", ns.Name, "-j", "show", "filter", "dev", "v1")
			if code != exitOK || !strings.Contains(out, `"kind":"gact"`) || !strings.Contains(out, `"kind":"police"`) {
				t.Errorf("show filter dev v1 lacks gact or police: exit %d: %s %s", code, out, errs)
			}
		}
	})
}

// TestApplyTCBPFMirred: a state file with an ifb, clsact and a bpf
// filter on the ingress redirecting to the ifb (the CNI bandwidth
// plugin's ingress, the bpf way): the plan prints the filter and its
// action in tc's words, tc shows the redirect, ipdb's show equals tc's
// (JSON and text), a second apply has nothing to do; another target is
// one change of the filter's actions; an entry without actions removes
// them; a bad action is an error that changes nothing.
func TestApplyTCBPFMirred(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedKind(t, "ifb")
		ns.NeedTC(t, "filter", "bpf", "bytecode", "1,6 0 0 0")
		ns.NeedTC(t, "action", "mirred", "egress", "redirect", "dev", "lo") // CONFIG_NET_ACT_MIRRED
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		const head = `
links:
  - {name: ifb0, kind: ifb, up: true}
qdiscs:
  - {dev: v0, kind: clsact}
filters:
  - {dev: v0, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 4294967295", flowid: "1:1"`
		redirect := func(dev string) string { return head + `, actions: ["mirred egress redirect dev ` + dev + `"]}` + "\n" }
		show := func() string { return tcIn(t, ns, "filter", "show", "dev", "v0", "ingress") }
		same := func() {
			t.Helper()
			args, tcArgs := []string{"show", "filter", "dev", "v0", "ingress"}, []string{"filter", "show", "dev", "v0", "ingress"}
			compareTCJSON(t, ns, args, tcArgs...)
			compareTCText(t, ns, "filter", false, args, tcArgs...)
		}
		const step = "filter dev v0 ingress protocol all pref 1 chain 0 handle 0x1 bpf bytecode '1,6 0 0 4294967295' flowid 1:1"

		out := applyTCFile(t, ns, redirect("ifb0"), true)
		if w := "+ " + step + " action mirred egress redirect dev ifb0\n"; !strings.Contains(out, w) {
			t.Errorf("dry run lacks %q:\n%s", w, out)
		}
		if _, err := ns.IPErr("link", "show", "ifb0"); err == nil {
			t.Fatalf("the dry run made ifb0")
		}
		applyTCFile(t, ns, redirect("ifb0"), false)
		if f := show(); !strings.Contains(f, "mirred (Egress Redirect to device ifb0) stolen") {
			t.Errorf("first apply: tc filter show:\n%s", f)
		}
		same()
		if out := applyTCFile(t, ns, redirect("ifb0"), false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply:\n%s", out)
		}

		out = applyTCFile(t, ns, redirect("v1"), false)
		if w := "~ " + step + " action mirred egress redirect dev v1: " +
			"actions [action mirred egress redirect dev ifb0] -> [action mirred egress redirect dev v1]\n"; !strings.Contains(out, w) {
			t.Errorf("another target's plan lacks %q:\n%s", w, out)
		}
		if f := show(); !strings.Contains(f, "mirred (Egress Redirect to device v1) stolen") || strings.Contains(f, "ifb0") {
			t.Errorf("another target: tc filter show:\n%s", f)
		}
		same()
		if out := applyTCFile(t, ns, redirect("v1"), false); !strings.Contains(out, "nothing to do") {
			t.Errorf("another target again:\n%s", out)
		}

		before := show()
		for text, want := range map[string]string{
			head + `, actions: ["mirred egress redirect dev ifb9"]}` + "\n":      `"ifb9"`,
			head + `, actions: ["mirred egress redirect dev ifb0 soon"]}` + "\n": `:7: action "mirred egress redirect dev ifb0 soon": mirred: unexpected "soon"`,
		} {
			f := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", f)
			if code != exitError || !strings.Contains(errs, want) {
				t.Errorf("%q: exit %d, want 1 and %q\n%s%s", text, code, want, out, errs)
			}
		}
		if after := show(); after != before {
			t.Errorf("a bad file changed the filters:\n%s\nwas\n%s", after, before)
		}

		out = applyTCFile(t, ns, head+"}\n", false)
		if !strings.Contains(out, "actions [action mirred egress redirect dev v1] -> (none)") {
			t.Errorf("no actions: plan\n%s", out)
		}
		if f := show(); strings.Contains(f, "mirred") || !strings.Contains(f, "flowid 1:1") {
			t.Errorf("no actions: tc filter show:\n%s", f)
		}
		if out := applyTCFile(t, ns, head+"}\n", false); !strings.Contains(out, "nothing to do") {
			t.Errorf("no actions again:\n%s", out)
		}
	})
}
