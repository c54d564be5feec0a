package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestApplyAbsentNamesWhatGoesWith: `absent` on a veth plans the deletion
// of every link the kernel deletes with it (its peer, the macvlans on
// either end, a vxlan over the peer), and after the apply exactly the
// links the plan named are gone, as ip sees it. A link that would go so
// while the file wants it is refused.
func TestApplyAbsentNamesWhatGoesWith(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link set lo up",
			"link add va type veth peer name vb",
			"link add mva link vb type macvlan mode bridge",
			"link add mvx link va type macvlan mode private",
			"link add mvy link mva type macvlan mode bridge",
			"link add vx1 type vxlan id 5 dev vb dstport 4789",
			"link add keep0 type bridge",
			"link add kv0 type veth peer name kv1",
			"link set kv0 master keep0",
		)
		dir := t.TempDir()
		write := func(text string) string {
			f := filepath.Join(dir, "state.yaml")
			if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			return f
		}
		// A link that goes with va, which the file wants: refused, with
		// the line.
		f := write("links:\n  - name: va\n    absent: true\n  - name: mva\n    mtu: 1400\n")
		if code, _, errs := runCmd(t, "-n", ns.Name, "apply", "-f", f, "--dry-run"); code != exitError ||
			!strings.Contains(errs, ":2: txn: invalid spec: link va: deleting it deletes mva (macvlan on vb), which has a spec") {
			t.Errorf("absent va with a spec for mva: exit %d, %q", code, errs)
		}
		links := func() []string {
			var out []string
			for _, m := range regexp.MustCompile(`(?m)^\d+: ([^:@]+)[:@]`).FindAllStringSubmatch(ns.IP("link"), -1) {
				out = append(out, m[1])
			}
			slices.Sort(out)
			return out
		}
		before := links()
		f = write("links:\n  - name: va\n    absent: true\n")
		code, plan, errs := runCmd(t, "-n", ns.Name, "apply", "-f", f, "--dry-run")
		if code != exitOK {
			t.Fatalf("dry run: exit %d: %s", code, errs)
		}
		if code, _, errs := runCmd(t, "-n", ns.Name, "apply", "-f", f); code != exitOK {
			t.Fatalf("apply: exit %d: %s", code, errs)
		}
		after := links()
		var gone []string
		for _, l := range before {
			if !slices.Contains(after, l) {
				gone = append(gone, l)
			}
		}
		line := strings.SplitN(plan, "\n", 2)[0]
		for _, l := range gone {
			if !regexp.MustCompile(`\b` + l + `\b`).MatchString(line) {
				t.Errorf("the kernel deleted %s, which the plan does not name: %q (gone: %v)", l, line, gone)
			}
		}
		for _, l := range after {
			if regexp.MustCompile(`\b` + l + `\b`).MatchString(line) {
				t.Errorf("the plan names %s, which the kernel kept: %q", l, line)
			}
		}
		if len(gone) != 6 { // va, vb, mva, mvx, mvy, vx1
			t.Errorf("gone: %v; want va, vb and the 4 links stacked on them", gone)
		}
	})
}

// TestApplyCreatedLinkPlansWithPlus: what the plan sets on a link it
// creates (master, up) is shown with +, as part of the creation, never
// as a ~ change.
func TestApplyCreatedLinkPlansWithPlus(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add old0 type bridge")
		f := filepath.Join(t.TempDir(), "state.yaml")
		text := "links:\n  - {name: z0, kind: bridge, mtu: 1400, up: true}\n  - {name: z1, kind: veth, peer: z2, master: z0, up: true}\n  - {name: old0, up: true}\n"
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", f, "--dry-run")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, want := range []string{"+ link z0 type bridge mtu 1400\n", "+ link z1 master z0\n", "+ link z0 up\n", "+ link z1 up\n", "~ link old0 down -> up\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %q:\n%s", want, out)
			}
		}
		for _, bad := range []string{"~ link z0", "~ link z1", "~ link z2"} {
			if strings.Contains(out, bad) {
				t.Errorf("plan has %q for a link it creates:\n%s", bad, out)
			}
		}
	})
}

// TestApplyRollbackRestoresWhatWentWith: when a transaction that removed
// a veth fails later, the rollback recreates the links the kernel deleted
// with it (the macvlans on either end, with their mode and addresses), as
// ip shows them before.
func TestApplyRollbackRestoresWhatWentWith(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link set lo up",
			"link add va type veth peer name vb",
			"link add mva link vb type macvlan mode bridge",
			"link add mvx link va type macvlan mode private",
			"addr add 192.0.2.77/24 dev mva",
			"link add vb2 type bridge",
			"link set vb2 up",
		)
		view := func() string {
			return ns.IP("-br", "link", "show", "type", "macvlan") + ns.IP("-d", "link", "show", "mvx") + ns.IP("-4", "-br", "addr", "show", "dev", "mva")
		}
		clean := regexp.MustCompile(`(?m)^(\S+)\s+\S+\s+`) // operstates settle after a re-creation; names and addresses stay
		before := clean.ReplaceAllString(view(), "$1 ")
		f := filepath.Join(t.TempDir(), "state.yaml")
		// The route's gateway is unreachable: the kernel refuses it after
		// va is gone, and the transaction rolls back.
		text := "links:\n  - name: va\n    absent: true\nroutes:\n  - dst: 198.51.100.0/24\n    gateway: 203.0.113.99\n    dev: vb2\n"
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errs := runCmd(t, "-n", ns.Name, "apply", "-f", f)
		if code != exitRolledBack {
			t.Fatalf("apply: exit %d: %s", code, errs)
		}
		after := clean.ReplaceAllString(view(), "$1 ")
		// The re-created links have new indexes, so another order.
		norm := regexp.MustCompile(`(?m)^\d+: `)
		sorted := func(s string) string {
			l := strings.Split(norm.ReplaceAllString(s, ""), "\n")
			slices.Sort(l)
			return strings.Join(l, "\n")
		}
		if sorted(before) != sorted(after) {
			t.Errorf("after the rollback:\n%s\nbefore:\n%s", after, before)
		}
	})
}
