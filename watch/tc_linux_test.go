package watch_test

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/watch"
)

// TestTCEvents: OnQdisc, OnClass and OnFilter deliver typed events,
// LinkName selects one link's, and what the kernel removes silently (a
// replaced root qdisc's classes and filters) comes as events too.
func TestTCEvents(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add t0 type veth peer name t1",
			"link set t0 up", "link set t1 up",
		)
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		var mu sync.Mutex
		var got []string
		note := func(s string) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, s)
		}
		defer w.OnQdisc(watch.LinkName("t0"), func(e watch.QdiscEvent) {
			if e.Op == ipdb.OpDelete {
				note(fmt.Sprintf("%s qdisc %s %s", e.Op, e.Old.TCKind, e.Old.Handle))
			} else {
				note(fmt.Sprintf("%s qdisc %s %s", e.Op, e.New.TCKind, e.New.Handle))
			}
		})()
		defer w.OnClass(watch.LinkName("t0"), func(e watch.ClassEvent) {
			if e.Op == ipdb.OpDelete {
				note(fmt.Sprintf("%s class %s", e.Op, e.Old.Handle))
			} else {
				note(fmt.Sprintf("%s class %s", e.Op, e.New.Handle))
			}
		})()
		defer w.OnFilter(watch.LinkName("t0"), func(e watch.FilterEvent) {
			f := e.New
			if f == nil {
				f = e.Old
			}
			note(fmt.Sprintf("%s filter %s pref %d %#x", e.Op, f.Parent, f.Priority, f.Handle))
		})()
		tc := func(args ...string) {
			t.Helper()
			if out, err := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		// Changes on t1 must not show.
		tc("qdisc", "add", "dev", "t1", "root", "handle", "5:", "htb")
		tc("qdisc", "add", "dev", "t0", "root", "handle", "1:", "htb")
		tc("class", "add", "dev", "t0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit")
		tc("filter", "add", "dev", "t0", "parent", "1:", "protocol", "all", "prio", "2", "bpf", "bytecode", "1,6 0 0 0,")
		tc("qdisc", "replace", "dev", "t0", "root", "handle", "2:", "pfifo")
		want := []string{
			"delete qdisc noqueue none", "add qdisc htb 1:", "add class 1:10",
			"add filter 1: pref 2 0x0", "add filter 1: pref 2 0x1",
			"delete qdisc htb 1:", "add qdisc pfifo 2:",
			"delete class 1:10", "delete filter 1: pref 2 0x0", "delete filter 1: pref 2 0x1",
		}
		eventually(t, "tc events", func() error {
			mu.Lock()
			defer mu.Unlock()
			g := append([]string(nil), got...)
			slices.Sort(g)
			wa := append([]string(nil), want...)
			slices.Sort(wa)
			if fmt.Sprint(g) != fmt.Sprint(wa) {
				return fmt.Errorf("events on t0: %q, want (in any order) %q", got, want)
			}
			return nil
		})
	})
}
