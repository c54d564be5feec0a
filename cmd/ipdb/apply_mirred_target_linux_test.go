package main

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestApplyMirredTargetRecreated: the filter's mirred target ifb0 is deleted by
// hand (the kernel keeps the action, redirecting to no device: tc prints
// "Egress Redirect to device *"). Applying the same file again recreates
// ifb0 but plans no change of the filter, so the redirect still goes
// nowhere and only a second apply fixes it (found by a new user's try, try7).
func TestApplyMirredTargetRecreated(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up", "link add ifbprobe type ifb")
		ns.NeedTC(t, "action", "mirred", "egress", "redirect", "dev", "ifbprobe")
		ns.IP("link", "del", "ifbprobe")
		const text = `
links:
  - {name: ifb0, kind: ifb, up: true}
qdiscs:
  - {dev: v0, kind: ingress}
filters:
  - {dev: v0, parent: "ffff:", protocol: all, pref: 1, handle: "800::800", kind: u32, match: ["u32 0 0 at 0"], actions: ["mirred egress redirect dev ifb0"]}
`
		applyTCFile(t, ns, text, false)
		ns.IP("link", "del", "ifb0")
		applyTCFile(t, ns, text, false)
		if got := strings.Join(filterActions(t, tcOut(t, ns, "-j", "filter", "show", "dev", "v0", "ingress")), "|"); got != "mirred egress redirect ifb0 stolen" {
			t.Errorf("after an apply that recreated ifb0, tc -j shows actions %q, want \"mirred egress redirect ifb0 stolen\"", got)
		}
		if out := applyTCFile(t, ns, text, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply is not empty:\n%s", out)
		}
	})
}
