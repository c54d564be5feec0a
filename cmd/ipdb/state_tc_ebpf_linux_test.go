package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/internal/bpfprog"
	"github.com/ipdb-go/ipdb/internal/nstest"
)

// bpfFilterShow returns tc -j's options of the filter with a handle on
// dev's ingress, less its handle.
func bpfFilterShow(t *testing.T, ns *nstest.NS, dev string) map[string]any {
	t.Helper()
	var fs []map[string]any
	if err := json.Unmarshal([]byte(tcOut(t, ns, "-j", "filter", "show", "dev", dev, "ingress")), &fs); err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if o, ok := f["options"].(map[string]any); ok {
			delete(o, "handle")
			return o
		}
	}
	t.Fatalf("tc shows no filter on %s's ingress: %v", dev, fs)
	return nil
}

// TestApplyTCPinnedProgram: a bpf filter entry names an eBPF program
// pinned in a BPF file system (object-pinned, direct-action): apply
// attaches it as `tc filter add ... bpf object-pinned PATH da` does,
// name included (tc -j shows both filters alike); a second apply has
// nothing to do; a new program pinned at the same path replaces the
// attached one; a bad path is an error naming its line that changes
// nothing.
func TestApplyTCPinnedProgram(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		dir := nstest.BPFFS(t)
		path := filepath.Join(dir, "cls")
		fdA := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "ipdb_pin_a")
		nstest.PinProg(t, fdA, path)
		a, err := bpfprog.ByFD(fdA)
		if err != nil {
			t.Fatal(err)
		}
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		file := func(p string) string {
			return `
qdiscs:
  - {dev: v0, kind: clsact}
filters:
  - {dev: v0, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf, object-pinned: ` + p + `, direct-action: true}
`
		}
		out := applyTCFile(t, ns, file(path), true)
		if w := fmt.Sprintf("+ filter dev v0 ingress protocol all pref 1 chain 0 handle 0x1 bpf name cls:[*fsobj] id %d direct-action", a.ID); !strings.Contains(out, w) {
			t.Errorf("dry run lacks %q:\n%s", w, out)
		}
		applyTCFile(t, ns, file(path), false)
		// tc attaching the same pin to v1 is the oracle.
		tcOut(t, ns, "qdisc", "add", "dev", "v1", "clsact")
		tcOut(t, ns, "filter", "add", "dev", "v1", "ingress", "protocol", "all", "pref", "1", "handle", "1", "bpf", "object-pinned", path, "da")
		got, want := bpfFilterShow(t, ns, "v0"), bpfFilterShow(t, ns, "v1")
		if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
			t.Errorf("apply made\n%s\nwhere tc makes\n%s", g, w)
		}
		if prog, _ := got["prog"].(map[string]any); prog == nil || prog["id"] != float64(a.ID) {
			t.Errorf("the attached program: %v, want id %d", got["prog"], a.ID)
		}
		if out := applyTCFile(t, ns, file(path), false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply:\n%s", out)
		}

		// A new version pinned at the same path replaces the attached one.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		fdB := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "ipdb_pin_b")
		nstest.PinProg(t, fdB, path)
		b, err := bpfprog.ByFD(fdB)
		if err != nil {
			t.Fatal(err)
		}
		out = applyTCFile(t, ns, file(path), false)
		if w := fmt.Sprintf(": name cls:[*fsobj] id %d -> name cls:[*fsobj] id %d", a.ID, b.ID); !strings.Contains(out, w) {
			t.Errorf("the new version's plan lacks %q:\n%s", w, out)
		}
		if prog, _ := bpfFilterShow(t, ns, "v0")["prog"].(map[string]any); prog == nil || prog["id"] != float64(b.ID) {
			t.Errorf("after the new version: %v, want id %d", prog, b.ID)
		}
		if out := applyTCFile(t, ns, file(path), false); !strings.Contains(out, "nothing to do") {
			t.Errorf("the new version again:\n%s", out)
		}

		// Bad entries: an error with the line, nothing changed.
		before := tcOut(t, ns, "-j", "filter", "show", "dev", "v0", "ingress")
		act := filepath.Join(dir, "act")
		nstest.PinProg(t, nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_ACT, "ipdb_pin_act"), act)
		nstest.PinMap(t, filepath.Join(dir, "map"))
		for text, want := range map[string]string{
			file(filepath.Join(dir, "map")): ":5: object-pinned " + dir + "/map: the pinned object is not an eBPF program\n",
			file(dir):                       ":5: object-pinned " + dir + ": a directory (want the file a loader pinned the program as, in it)",
			file(act):                       "is of type sched_act; a bpf filter takes sched_cls",
			file(path + "-none"):            ":5: object-pinned " + path + "-none: no such file or directory",
			file("cls"):                     `:5: bad object-pinned "cls" (want the absolute path of a program pinned in a BPF file system)`,
			file("/dev/null"):               ":5: object-pinned /dev/null: not in a BPF file system (mount -t bpf; loaders pin under /sys/fs/bpf)",
			"filters:\n  - {dev: v0, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf, object-pinned: " + path + `, bytecode: "1,6 0 0 0"}` + "\n":   ":2: a bpf filter needs bytecode",
			"filters:\n  - {dev: v0, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: \"1,6 0 0 0\", actions: [\"bpf object-pinned\"]}\n": `:2: action "bpf object-pinned": bad bpf action "bpf object-pinned" (want`,
		} {
			f := filepath.Join(t.TempDir(), "state.yaml")
			if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", f)
			if code == exitApplied || !strings.Contains(errs, want) {
				t.Errorf("%q: exit %d, stderr %q, want %q\n%s", text, code, errs, want, out)
			}
		}
		if after := tcOut(t, ns, "-j", "filter", "show", "dev", "v0", "ingress"); after != before {
			t.Errorf("a refused file changed the filters:\n%s\n->\n%s", before, after)
		}
	})
}

// TestApplyTCPinnedAction: a bpf action names a pinned program as the
// filter does; tc -j shows it as tc's own object-pinned action. The
// host lacks act_bpf; the guest (.ci/vm/run.sh) runs it.
func TestApplyTCPinnedAction(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedTC(t, "action", "bpf", "bytecode", "1,6 0 0 0")
		path := nstest.PinTCProg(t, unix.BPF_PROG_TYPE_SCHED_ACT, "ipdb_pin_act", "act")
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		text := `
qdiscs:
  - {dev: v0, kind: clsact}
filters:
  - {dev: v0, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 0",
     actions: ["bpf object-pinned ` + path + ` pipe"]}
`
		applyTCFile(t, ns, text, false)
		tcOut(t, ns, "qdisc", "add", "dev", "v1", "clsact")
		tcOut(t, ns, "filter", "add", "dev", "v1", "ingress", "protocol", "all", "pref", "1", "handle", "1", "bpf", "bytecode", "1,6 0 0 0",
			"action", "bpf", "object-pinned", path, "pipe")
		strip := func(o map[string]any) string {
			acts, _ := o["actions"].([]any)
			for _, a := range acts {
				if m, ok := a.(map[string]any); ok {
					delete(m, "index")
					delete(m, "stats")
				}
			}
			return fmt.Sprint(o)
		}
		if got, want := strip(bpfFilterShow(t, ns, "v0")), strip(bpfFilterShow(t, ns, "v1")); got != want {
			t.Errorf("apply made\n%s\nwhere tc makes\n%s", got, want)
		}
		if out := applyTCFile(t, ns, text, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply:\n%s", out)
		}
	})
}
