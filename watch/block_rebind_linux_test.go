package watch_test

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

// TestLinkFiltersSharedBlockRebound (found by a new user's try): a link whose qdisc
// was the last on shared block 40 lets go of it; later another link binds a
// new block 40 and adds and deletes a filter there. The first link's
// LinkIndex subscription must see none of the new block's events (the
// deletion passed: blockBindings.departed was not forgotten when the block
// number was bound again).
func TestLinkFiltersSharedBlockRebound(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add a0 type veth peer name a1", "link add b0 type veth peer name b1")
		tc := func(args ...string) {
			t.Helper()
			if out, err := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		var a0 *netlink.Link
		if err := nstest.Eventually(5*time.Second, func() (err error) {
			a0, err = db.Snapshot().LinkByName("a0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var got []string
		defer w.Subscribe(t.Context(), watch.LinkIndex(a0.Index), func(e watch.Event) bool {
			if f, ok := e.Object().(*netlink.Filter); ok && f.Block != 0 {
				mu.Lock()
				got = append(got, fmt.Sprintf("%s block %d pref %d %#x", e.Op, f.Block, f.Priority, f.Handle))
				mu.Unlock()
			}
			return true
		})()
		time.Sleep(300 * time.Millisecond)
		tc("qdisc", "add", "dev", "a0", "ingress_block", "40", "clsact")
		time.Sleep(300 * time.Millisecond)
		tc("qdisc", "del", "dev", "a0", "clsact") // a0 was the block's only link
		time.Sleep(300 * time.Millisecond)
		tc("qdisc", "add", "dev", "b0", "ingress_block", "40", "clsact") // a new block 40
		tc("filter", "add", "block", "40", "protocol", "all", "pref", "1", "handle", "1", "bpf", "bytecode", "1,6 0 0 0,")
		time.Sleep(300 * time.Millisecond)
		tc("filter", "del", "block", "40", "protocol", "all", "pref", "1")
		time.Sleep(time.Second)
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 0 {
			t.Errorf("a0 let go of block 40 before b0 bound it again, yet its subscription got %q", got)
		}
	})
}
