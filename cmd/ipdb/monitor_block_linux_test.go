package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestMonitorSharedBlock: monitor prints a shared block's filter changes
// once, as tc monitor words them ("filter add block 22 protocol all pref
// 20 bpf chain 0 ..."), not once per link bound to the block; `monitor
// dev X` prints them while X is bound to the block and not for another
// link; deleting one of two bound links prints nothing for the filters,
// deleting the last prints a delete for each, under dev of that link too.
func TestMonitorSharedBlock(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add a0 type veth peer name a1", "link add b0 type veth peer name b1", "link add c0 type veth peer name c1",
			"link set a0 up", "link set b0 up", "link set c0 up",
		)
		tcIn(t, ns, "qdisc", "add", "dev", "a0", "ingress_block", "22", "ingress")
		tcIn(t, ns, "qdisc", "add", "dev", "b0", "ingress_block", "22", "ingress")
		tcIn(t, ns, "qdisc", "add", "dev", "c0", "clsact")
		all, allErrs, stopAll := startCmd(t, "--netns", ns.Name, "monitor", "filter")
		devA, devAErrs, stopA := startCmd(t, "--netns", ns.Name, "monitor", "filter", "dev", "a0")
		devC, devCErrs, stopC := startCmd(t, "--netns", ns.Name, "monitor", "filter", "dev", "c0")
		time.Sleep(500 * time.Millisecond)

		addRe := regexp.MustCompile(`(?m)^\[\d+\] filter add block 22 protocol all pref 20 bpf chain 0( handle 0x1 not_in_hw bytecode '1,6 0 0 0')?$`)
		delRe := regexp.MustCompile(`(?m)^\[\d+\] filter delete block 22 `)
		count := func(re *regexp.Regexp, s string) int { return len(re.FindAllString(s, -1)) }

		// The priority's entry and the filter: one line each.
		tcIn(t, ns, "filter", "add", "block", "22", "protocol", "all", "pref", "20", "bpf", "bytecode", "1,6 0 0 0,")
		waitFor(t, "the block filter's add", all, func(s string) bool { return count(addRe, s) >= 2 })
		waitFor(t, "the block filter's add under dev a0", devA, func(s string) bool { return count(addRe, s) >= 2 })

		ns.IP("link", "del", "b0")
		time.Sleep(time.Second)
		if n := count(delRe, all.String()); n != 0 {
			t.Errorf("deleting b0, one of two links bound to block 22, printed %d filter deletions:\n%s", n, all.String())
		}
		ns.IP("link", "del", "a0")
		waitFor(t, "the block filters' deletions", all, func(s string) bool { return count(delRe, s) >= 2 })
		waitFor(t, "the block filters' deletions under dev a0", devA, func(s string) bool { return count(delRe, s) >= 2 })
		time.Sleep(time.Second)
		for _, m := range []struct {
			name       string
			out        *lockedBuffer
			errs       *lockedBuffer
			stop       func() int
			adds, dels int
		}{{"monitor filter", all, allErrs, stopAll, 2, 2}, {"monitor filter dev a0", devA, devAErrs, stopA, 2, 2}, {"monitor filter dev c0", devC, devCErrs, stopC, 0, 0}} {
			if code := m.stop(); code != 0 {
				t.Fatalf("%s: exit %d: %s", m.name, code, m.errs.String())
			}
			text := m.out.String()
			if a, d := count(addRe, text), count(delRe, text); a != m.adds || d != m.dels {
				t.Errorf("%s: %d adds and %d deletes of block 22's filters, want %d and %d:\n%s", m.name, a, d, m.adds, m.dels, text)
			}
			if n := strings.Count(text, "filter "); n != m.adds+m.dels {
				t.Errorf("%s: %d filter lines, want %d:\n%s", m.name, n, m.adds+m.dels, text)
			}
		}
	})
}
