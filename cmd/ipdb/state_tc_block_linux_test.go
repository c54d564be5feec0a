package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestApplyTCBlockFilters: a state file names a shared block's filters
// by `block: N`, as `tc filter add block N` does: apply plans and makes
// what tc -j shows, again has nothing to do, `absent: true` without a
// kind removes it; an entry by dev and parent of a link whose qdisc is
// bound to the block is an error pointing to the block, and `parent:
// egress` on a plain ingress qdisc is refused at plan, both changing
// nothing (found by try7: `block` was an unknown key, the dev entry
// failed at commit with "This filter block is shared", absent did
// nothing, egress never converged).
func TestApplyTCBlockFilters(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add va type veth peer name vb", "link set va up", "link set vb up",
			"link add vc type veth peer name vd", "link set vc up")
		tcOut(t, ns, "qdisc", "add", "dev", "va", "ingress_block", "22", "clsact")
		tcOut(t, ns, "qdisc", "add", "dev", "vb", "ingress_block", "22", "ingress")
		tcOut(t, ns, "qdisc", "add", "dev", "vc", "ingress")
		const entry = `{block: 22, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}`
		out := applyTCFile(t, ns, "filters:\n  - "+entry+"\n", false)
		if want := "+ filter block 22 protocol all pref 1 chain 0 handle 0x1 bpf bytecode '1,6 0 0 0'"; !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
		got := tcOut(t, ns, "-j", "filter", "show", "block", "22")
		if !strings.Contains(got, `"pref":1,"kind":"bpf"`) || !strings.Contains(got, `"handle":"0x1"`) {
			t.Errorf("tc -j filter show block 22:\n%s", got)
		}
		if out := applyTCFile(t, ns, "filters:\n  - "+entry+"\n", false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply is not empty:\n%s", out)
		}

		before := tcOut(t, ns, "-j", "filter", "show", "block", "22") + tcOut(t, ns, "-j", "filter", "show", "dev", "vc", "ingress")
		dir := t.TempDir()
		for name, c := range map[string]struct{ text, want string }{
			"dev of a bound qdisc": {"filters:\n  - {dev: va, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: \"1,6 0 0 0\"}\n",
				"bound to shared block 22"},
			"dev of a bound qdisc, absent": {"filters:\n  - {dev: vb, parent: ingress, protocol: all, pref: 1, handle: 1, absent: true}\n",
				"bound to shared block 22"},
			"egress on ingress": {"filters:\n  - {dev: vc, parent: egress, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: \"1,6 0 0 0\"}\n",
				"egress is a clsact qdisc's block"},
			"block and dev": {"filters:\n  - {block: 22, dev: va, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: \"1,6 0 0 0\"}\n",
				".yaml:2: a filter of block 22 takes no dev or parent"},
			"unbound block": {"filters:\n  - {block: 7, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: \"1,6 0 0 0\"}\n",
				"no qdisc is bound to shared block 7"},
		} {
			f := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
			if err := os.WriteFile(f, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", f)
			if code == exitApplied || !strings.Contains(errs, c.want) {
				t.Errorf("%s: exit %d, want an error with %q\n%s%s", name, code, c.want, out, errs)
			}
		}
		if after := tcOut(t, ns, "-j", "filter", "show", "block", "22") + tcOut(t, ns, "-j", "filter", "show", "dev", "vc", "ingress"); after != before {
			t.Errorf("refused files changed tc's filters:\n%s\nwas\n%s", after, before)
		}

		out = applyTCFile(t, ns, "filters:\n  - {block: 22, protocol: all, pref: 1, handle: 1, absent: true}\n", false)
		if !strings.Contains(out, "- filter block 22 protocol all pref 1 chain 0 handle 0x1 bpf") {
			t.Errorf("absent entry's plan:\n%s", out)
		}
		if got := tcOut(t, ns, "-j", "filter", "show", "block", "22"); strings.Contains(got, "bpf") {
			t.Errorf("the absent filter stays:\n%s", got)
		}
	})
}

// TestApplyTCQdiscBlocks: one state file binds two links' qdiscs to
// shared block 22 (ingress_block, as tc qdisc add takes it) and gives
// the block's filter; tc shows both, a second apply has nothing to do;
// an entry without the block unbinds its qdisc in one apply; a block on
// a kind without one is an error naming its line.
func TestApplyTCQdiscBlocks(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add va type veth peer name vb", "link set va up", "link set vb up")
		const text = `
qdiscs:
  - {dev: va, kind: clsact, ingress_block: 22, egress_block: 33}
  - {dev: vb, kind: ingress, ingress_block: 22}
filters:
  - {block: 22, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
`
		out := applyTCFile(t, ns, text, false)
		if want := "+ qdisc clsact ffff: dev va ingress ingress_block 22 egress_block 33"; !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
		if q := tcOut(t, ns, "qdisc", "show", "dev", "va"); !strings.Contains(q, "ingress_block 22 egress_block 33") {
			t.Errorf("tc qdisc show dev va:\n%s", q)
		}
		if q := tcOut(t, ns, "-j", "qdisc", "show", "dev", "vb"); !strings.Contains(q, `"ingress_block":22`) {
			t.Errorf("tc -j qdisc show dev vb:\n%s", q)
		}
		if f := tcOut(t, ns, "filter", "show", "block", "22"); !strings.Contains(f, "handle 0x1") {
			t.Errorf("tc filter show block 22:\n%s", f)
		}
		if out := applyTCFile(t, ns, text, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply is not empty:\n%s", out)
		}
		// An entry without the blocks is the qdisc with its own: one
		// apply unbinds it (its removal and creation; before, the entry
		// kept the binding, and unbinding took two applies).
		out = applyTCFile(t, ns, "qdiscs:\n  - {dev: vb, kind: ingress}\n", false)
		if want := "(to add it again bound to other blocks: the kernel keeps a qdisc's blocks)"; !strings.Contains(out, want) {
			t.Errorf("the unbinding plan lacks %q:\n%s", want, out)
		}
		if q := tcOut(t, ns, "-j", "qdisc", "show", "dev", "vb"); strings.Contains(q, "ingress_block") || !strings.Contains(q, `"kind":"ingress"`) {
			t.Errorf("tc -j qdisc show dev vb after unbinding:\n%s", q)
		}
		if out := applyTCFile(t, ns, "qdiscs:\n  - {dev: vb, kind: ingress}\n", false); !strings.Contains(out, "nothing to do") {
			t.Errorf("the unbinding again is not empty:\n%s", out)
		}
		f := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(f, []byte("qdiscs:\n  - {dev: va, handle: \"1:\", kind: htb, ingress_block: 5}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", f); code == exitApplied || !strings.Contains(errs, `bad.yaml:2: qdisc htb takes no "ingress_block"`) {
			t.Errorf("htb with a block: exit %d\n%s%s", code, out, errs)
		}
	})
}
