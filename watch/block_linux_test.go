package watch_test

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

// TestLinkFiltersSharedBlock: LinkIndex and LinkName select a shared tc
// block's filters (which have no link, netlink.Filter.Block) for the links
// bound to the block, as `tc filter show dev X ingress` lists them: the
// adds while bound, nothing for a link never bound, nothing when one of
// two bound links goes (and not the block's later death for that link),
// and the deletions when the block dies with its last link. It checks subscriptions started before and after the
// binding (from the snapshot) and with WithInitial, and one over a Set.
func TestLinkFiltersSharedBlock(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add a0 type veth peer name a1", "link add b0 type veth peer name b1",
			"link add c0 type veth peer name c1",
		)
		tc := func(args ...string) {
			t.Helper()
			if out, err := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		db := dbtest.Open(t, ns)
		set, err := ipdb.OpenSet(t.Context(), &ipdb.SetConfig{RunDir: "-"})
		if err != nil {
			t.Fatal(err)
		}
		defer set.Close()
		if err := set.AttachPath("a", ns.Path); err != nil {
			t.Fatal(err)
		}
		w := watch.New(db)
		defer w.Close()
		sw := watch.NewSet(set)
		defer sw.Close()

		var mu sync.Mutex
		got := map[string][]string{}
		record := func(name string) func(watch.Event) bool {
			return func(e watch.Event) bool {
				if f, ok := e.Object().(*netlink.Filter); ok && f.Block != 0 && !e.Initial {
					mu.Lock()
					got[name] = append(got[name], fmt.Sprintf("%s pref %d %#x", e.Op, f.Priority, f.Handle))
					mu.Unlock()
				}
				return true
			}
		}
		link := func(name string) *netlink.Link {
			t.Helper()
			var l *netlink.Link
			if err := nstest.Eventually(5*time.Second, func() (err error) {
				l, err = db.Snapshot().LinkByName(name)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return l
		}
		a0, b0, c0 := link("a0"), link("b0"), link("c0")
		tc("qdisc", "add", "dev", "a0", "ingress_block", "22", "ingress")
		defer w.Subscribe(t.Context(), watch.LinkIndex(a0.Index), record("early a0"))()
		defer w.Subscribe(t.Context(), watch.LinkIndex(c0.Index), record("c0"))()
		defer w.Subscribe(t.Context(), watch.LinkIndex(b0.Index), record("b0"))()
		defer sw.Subscribe(t.Context(), watch.LinkName("a0"), record("set a0"))()
		tc("qdisc", "add", "dev", "b0", "ingress_block", "22", "ingress")
		// Subscriptions that start with the binding in place.
		if err := nstest.Eventually(5*time.Second, func() error {
			if len(db.Snapshot().BlocksOf(a0.Index)) == 0 {
				return fmt.Errorf("a0's block is not in the cache yet")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		defer w.Subscribe(t.Context(), watch.LinkName("a0"), record("late a0"))()
		defer w.Subscribe(t.Context(), watch.LinkIndex(a0.Index), record("initial a0"), watch.WithInitial())()
		time.Sleep(500 * time.Millisecond) // every subscription has started

		tc("filter", "add", "block", "22", "protocol", "all", "pref", "20", "bpf", "bytecode", "1,6 0 0 0,")
		ns.IP("link", "del", "b0") // one of two bound links: the block lives on
		time.Sleep(time.Second)
		ns.IP("link", "del", "a0") // the last: the block and its filter go
		want := []string{"add pref 20 0x0", "add pref 20 0x1", "delete pref 20 0x0", "delete pref 20 0x1"}
		for _, name := range []string{"early a0", "late a0", "initial a0", "set a0"} {
			if err := nstest.Eventually(10*time.Second, func() error {
				mu.Lock()
				g := slices.Clone(got[name])
				mu.Unlock()
				slices.Sort(g)
				if !slices.Equal(g, want) {
					return fmt.Errorf("%s's block filter events: %q, want %q", name, g, want)
				}
				return nil
			}); err != nil {
				t.Error(err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		// b0 let go of the block while a0 still held it: the block's
		// later death is not b0's.
		b0Got := slices.Clone(got["b0"])
		slices.Sort(b0Got)
		if want := want[:2]; !slices.Equal(b0Got, want) {
			t.Errorf("b0's block filter events: %q, want %q", b0Got, want)
		}
		if g := got["c0"]; len(g) != 0 {
			t.Errorf("c0, never bound to block 22, got its filters' events: %q", g)
		}
	})
}
