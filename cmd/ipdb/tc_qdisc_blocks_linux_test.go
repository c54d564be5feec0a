package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestTCQdiscTextBlocks: show qdisc's text prints the shared blocks of
// ingress and clsact qdiscs (ingress_block 22, egress_block 23) as tc
// qdisc show does, and monitor's delete of such a qdisc names its block
// as tc monitor does (found by try7).
func TestTCQdiscTextBlocks(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		blockTC(t, ns)
		compareTCText(t, ns, "qdisc", true, []string{"show", "qdisc"}, "qdisc", "show")
		compareTCText(t, ns, "qdisc", true, []string{"-d", "show", "qdisc"}, "-d", "qdisc", "show")
		compareTCText(t, ns, "qdisc", false, []string{"show", "qdisc", "dev", "v4"}, "qdisc", "show", "dev", "v4")

		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor", "qdisc")
		time.Sleep(300 * time.Millisecond)
		tcIn(t, ns, "qdisc", "del", "dev", "v2", "ingress")
		tcIn(t, ns, "qdisc", "add", "dev", "v3", "ingress_block", "24", "clsact")
		for _, w := range []string{
			`qdisc delete ingress ffff: dev v2 parent ffff:fff1 ingress_block 22 `,
			`qdisc add clsact ffff: dev v3 parent ffff:fff1 ingress_block 24$`,
		} {
			re := regexp.MustCompile(`(?m)^\[\d+\] ` + w)
			waitFor(t, w, out, func(s string) bool { return re.MatchString(s) })
		}
		if code := stop(); code != 0 {
			t.Fatalf("monitor exit %d: %s", code, errs.String())
		}
	})
}
