package main

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestTCShowQdiscInvisible: `show qdisc invisible` lists the qdiscs the
// kernel hides (an htb class's default pfifo leaf), as `tc qdisc show
// invisible` does; without the word they stay hidden, as in tc (found by
// try7: the word was refused).
func TestTCShowQdiscInvisible(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		tcIn(t, ns, "qdisc", "add", "dev", "v0", "root", "handle", "1:", "htb", "default", "10")
		tcIn(t, ns, "class", "add", "dev", "v0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit")
		if hidden := tcIn(t, ns, "qdisc", "show", "dev", "v0", "invisible"); !strings.Contains(hidden, "parent 1:10") {
			t.Fatalf("tc qdisc show invisible lists no leaf of class 1:10:\n%s", hidden)
		}
		compareTCJSON(t, ns, []string{"show", "qdisc", "invisible"}, "qdisc", "show", "invisible")
		compareTCJSON(t, ns, []string{"-d", "show", "qdisc", "dev", "v0", "invisible"}, "-d", "qdisc", "show", "dev", "v0", "invisible")
		compareTCText(t, ns, "qdisc", true, []string{"show", "qdisc", "invisible"}, "qdisc", "show", "invisible")
		compareTCJSON(t, ns, []string{"show", "qdisc", "dev", "v0"}, "qdisc", "show", "dev", "v0")
		code, out, errs := runCmd(t, "-n", ns.Name, "show", "qdisc", "dev", "v0")
		if code != exitOK || strings.Contains(out, "1:10") {
			t.Errorf("show qdisc dev v0 without invisible: exit %d, %q %q; want the leaf hidden", code, out, errs)
		}
	})
}
