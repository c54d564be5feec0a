package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// filterActions is what the JSON of `tc -j filter show` (or ipdb's
// `show filters`) shows of the actions of the u32 node 800::800: per
// action its kind and, for mirred, direction, action and target, then
// the verdict ("mirred egress redirect ifb0 stolen", "gact drop"; tc
// writes police's exceed and conform verdicts as two "control_action"
// keys, of which the conform one is read).
func filterActions(t *testing.T, out string) []string {
	t.Helper()
	var fs []struct {
		Options struct {
			Fh      string `json:"fh"`
			Actions []struct {
				Kind      string `json:"kind"`
				Direction string `json:"direction"`
				Mirred    string `json:"mirred_action"`
				To        string `json:"to_dev"`
				Control   struct {
					Type string `json:"type"`
				} `json:"control_action"`
			} `json:"actions"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("tc -j: %v\n%s", err, out)
	}
	var got []string
	found := false
	for _, f := range fs {
		if f.Options.Fh != "800::800" {
			continue
		}
		found = true
		for _, a := range f.Options.Actions {
			switch a.Kind {
			case "mirred":
				got = append(got, fmt.Sprintf("mirred %s %s %s %s", a.Direction, a.Mirred, a.To, a.Control.Type))
			default:
				got = append(got, a.Kind+" "+a.Control.Type)
			}
		}
	}
	if !found {
		t.Fatalf("no filter 800::800 in\n%s", out)
	}
	return got
}

// tcFilterActions is filterActions of `tc -j filter show dev DEV
// ingress`, and ipdb's `show filters dev DEV` must show the same.
func tcFilterActions(t *testing.T, ns *nstest.NS, dev string) []string {
	t.Helper()
	got := filterActions(t, tcOut(t, ns, "-j", "filter", "show", "dev", dev, "ingress"))
	code, out, errs := runCmd(t, "-n", ns.Name, "-j", "show", "filters", "dev", dev)
	if code != exitOK {
		t.Fatalf("ipdb show filters: exit %d: %s", code, errs)
	}
	if ipdb := filterActions(t, out); strings.Join(ipdb, "|") != strings.Join(got, "|") {
		t.Errorf("ipdb show filters dev %s shows actions %q, tc -j %q", dev, ipdb, got)
	}
	return got
}

// applyTCFile writes text to a file, applies it (with --dry-run if dry)
// and returns the output; an exit other than exitApplied fails t.
func applyTCFile(t *testing.T, ns *nstest.NS, text string, dry bool) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "state.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--netns", ns.Name, "apply", "-f", f}
	if dry {
		args = append(args, "--dry-run")
	}
	code, out, errs := runCmd(t, args...)
	if code != exitApplied {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	return out
}

// TestApplyTCMirred: a state file with an ifb, an ingress qdisc and a
// u32 filter redirecting to the ifb (the CNI bandwidth plugin's ingress
// shaping): the plan prints the filter and its action in tc's words, tc
// -j shows the redirect, a second apply has nothing to do; another
// target is one change of the filter's actions; an entry without actions
// removes them (the entry is the whole filter); a bad action is an
// error naming its line that changes nothing. ipdb's show agrees with tc
// -j after each apply (their actions).
func TestApplyTCMirred(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up", "link add ifbprobe type ifb")
		ns.NeedTC(t, "action", "mirred", "egress", "redirect", "dev", "ifbprobe") // CONFIG_NET_ACT_MIRRED
		ns.IP("link", "del", "ifbprobe")
		const head = `
links:
  - {name: ifb0, kind: ifb, up: true}
qdiscs:
  - {dev: v0, kind: ingress}
filters:
  - {dev: v0, parent: "ffff:", protocol: all, pref: 1, handle: "800::800", kind: u32, match: ["u32 0 0 at 0"]`
		redirect := func(dev string) string { return head + `, actions: ["mirred egress redirect dev ` + dev + `"]}` + "\n" }
		check := func(what string, want ...string) {
			t.Helper()
			if got := tcFilterActions(t, ns, "v0"); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s: tc -j shows actions %q, want %q", what, got, want)
			}
		}

		out := applyTCFile(t, ns, redirect("ifb0"), true)
		if w := "+ filter dev v0 parent ffff: protocol all pref 1 chain 0 handle 800::800 u32 match u32 0x00000000 0x00000000 at 0 action mirred egress redirect dev ifb0"; !strings.Contains(out, w) {
			t.Errorf("dry run lacks %q:\n%s", w, out)
		}
		if _, err := ns.IPErr("link", "show", "ifb0"); err == nil {
			t.Fatalf("the dry run made ifb0")
		}
		applyTCFile(t, ns, redirect("ifb0"), false)
		check("first apply", "mirred egress redirect ifb0 stolen")
		if out := applyTCFile(t, ns, redirect("ifb0"), false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply:\n%s", out)
		}

		out = applyTCFile(t, ns, redirect("v1"), false)
		if w := "~ filter dev v0 parent ffff: protocol all pref 1 chain 0 handle 800::800 u32 match u32 0x00000000 0x00000000 at 0 action mirred egress redirect dev v1: " +
			"actions [action mirred egress redirect dev ifb0] -> [action mirred egress redirect dev v1]"; !strings.Contains(out, w) {
			t.Errorf("another target's plan lacks %q:\n%s", w, out)
		}
		check("another target", "mirred egress redirect v1 stolen")
		if out := applyTCFile(t, ns, redirect("v1"), false); !strings.Contains(out, "nothing to do") {
			t.Errorf("another target again:\n%s", out)
		}

		// Someone adds a mirror by hand: the file's entry is the whole
		// filter, so apply takes it away again.
		tcOut(t, ns, "filter", "replace", "dev", "v0", "parent", "ffff:", "protocol", "all", "prio", "1", "handle", "800::800", "u32",
			"match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "v1", "action", "mirred", "egress", "mirror", "dev", "ifb0")
		check("by hand", "mirred egress redirect v1 stolen", "mirred egress mirror ifb0 pipe")
		out = applyTCFile(t, ns, redirect("v1"), false)
		if !strings.Contains(out, "actions [action mirred egress redirect dev v1 action mirred egress mirror dev ifb0] -> [action mirred egress redirect dev v1]") {
			t.Errorf("the hand-made change not corrected:\n%s", out)
		}
		check("corrected", "mirred egress redirect v1 stolen")

		out = applyTCFile(t, ns, head+"}\n", false)
		if !strings.Contains(out, "actions [action mirred egress redirect dev v1] -> (none)") {
			t.Errorf("no actions: plan\n%s", out)
		}
		check("no actions")
		if out := applyTCFile(t, ns, head+"}\n", false); !strings.Contains(out, "nothing to do") {
			t.Errorf("no actions again:\n%s", out)
		}

		before := tcOut(t, ns, "-j", "filter", "show", "dev", "v0", "ingress")
		for text, want := range map[string]string{
			head + `, actions: ["mirred egress redirect dev ifb9"]}` + "\n":      `"ifb9"`,
			head + `, actions: ["mirred egress redirect via ifb0"]}` + "\n":      `:7: action "mirred egress redirect via ifb0": want`,
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
		if after := tcOut(t, ns, "-j", "filter", "show", "dev", "v0", "ingress"); after != before {
			t.Errorf("a bad file changed the filters:\n%s\nwas\n%s", after, before)
		}
	})
}

// TestApplyTCGactPolice: a state file's gact and police actions (the
// kernel needs act_gact and act_police: the guest's), as tc -j shows
// them, and a second apply with nothing to do.
func TestApplyTCGactPolice(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		ns.NeedTC(t, "action", "gact", "drop")                            // CONFIG_NET_ACT_GACT
		ns.NeedTC(t, "action", "police", "rate", "1mbit", "burst", "10k") // CONFIG_NET_ACT_POLICE
		file := `
qdiscs:
  - {dev: v0, kind: ingress}
filters:
  - {dev: v0, parent: "ffff:", protocol: ip, pref: 1, handle: "800::800", kind: u32, match: ["ip dst 192.0.2.0/24"],
     actions: ["police rate 1mbit burst 10kb conform-exceed drop/pass", "gact pipe", "drop"]}
`
		out := applyTCFile(t, ns, file, false)
		if w := "u32 match ip dst 192.0.2.0/24 action police rate 1Mbit burst 10Kb conform-exceed drop/pass action gact pipe action gact drop"; !strings.Contains(out, w) {
			t.Errorf("plan lacks %q:\n%s", w, out)
		}
		// The conform verdict pass is TCA_POLICE_RESULT 0, which the kernel
		// does not dump (tcf_police_dump): tc shows the exceed verdict only.
		if got, want := tcFilterActions(t, ns, "v0"), []string{"police drop", "gact pipe", "gact drop"}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("tc -j shows actions %q, want %q", got, want)
		}
		text := tcOut(t, ns, "filter", "show", "dev", "v0", "ingress")
		for _, re := range []string{`police 0x[0-9a-f]+ rate 1Mbit burst 10Kb .*action drop overhead`, `gact action pipe`, `gact action drop`} {
			if !regexp.MustCompile(re).MatchString(text) {
				t.Errorf("tc filter show lacks %s:\n%s", re, text)
			}
		}
		if out := applyTCFile(t, ns, file, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply:\n%s", out)
		}
	})
}
