//go:build linux

package nstest

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestTCProbe: HaveTC finds the kinds every kernel the tests run on has
// (htb, u32, mirred), tells a kind no kernel has from a probe that fails
// for another reason, and leaves nothing behind.
func TestTCProbe(t *testing.T) {
	Run(t, func(t *testing.T, ns *NS) {
		for _, p := range [][]string{
			{"qdisc", "htb"},
			{"filter", "u32", "match", "u32", "0", "0"},
			{"action", "mirred", "egress", "redirect", "dev", "lo"},
		} {
			if err := ns.HaveTC(p[0], p[1], p[2:]...); err != nil {
				t.Errorf("HaveTC(%q): %v", p, err)
			}
		}
		if err := ns.HaveTC("qdisc", "nosuchqdisc"); !errors.Is(err, ErrLacksTC) {
			t.Errorf("HaveTC(qdisc nosuchqdisc) = %v, want ErrLacksTC", err)
		}
		if err := ns.HaveTC("filter", "nosuchcls"); !errors.Is(err, ErrLacksTC) {
			t.Errorf("HaveTC(filter nosuchcls) = %v, want ErrLacksTC", err)
		}
		// htb exists but refuses the option: not a lack.
		if err := ns.HaveTC("qdisc", "htb", "r2q", "x"); err == nil || errors.Is(err, ErrLacksTC) {
			t.Errorf("HaveTC(qdisc htb r2q x) = %v, want a failed probe", err)
		}
		if err := ns.HaveTC("link", "x"); err == nil {
			t.Error("HaveTC accepted object link")
		}
		if out := ns.IP("-o", "link", "show"); strings.Contains(out, "tcprobe") {
			t.Errorf("probe links left behind:\n%s", out)
		}
		out, err := exec.Command("tc", "-n", ns.Name, "actions", "ls", "action", "mirred").CombinedOutput()
		if err != nil || strings.Contains(string(out), "index") {
			t.Errorf("probe action left behind (%v):\n%s", err, out)
		}
	})
}
