package ipdb_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// feedModel replays a set's feed: each namespace's links by index.
type feedModel struct {
	links map[string]map[int]string
}

func newFeedModel() *feedModel { return &feedModel{links: map[string]map[int]string{}} }

// apply applies one entry and reports an inconsistency, if any.
func (f *feedModel) apply(c ipdb.SetChange) error {
	ns := c.NS.Name
	switch c.Op {
	case ipdb.SetAttached:
		if _, ok := f.links[ns]; ok {
			return fmt.Errorf("rev %d: %s attached twice", c.Rev, ns)
		}
		f.links[ns] = map[int]string{}
		for l := range c.Snapshot.Links() {
			f.links[ns][l.Index] = l.Name
		}
	case ipdb.SetDetached:
		if _, ok := f.links[ns]; !ok {
			return fmt.Errorf("rev %d: %s detached but not attached", c.Rev, ns)
		}
		delete(f.links, ns)
	case ipdb.SetObject:
		m, ok := f.links[ns]
		if !ok {
			return fmt.Errorf("rev %d: change in %s before it was attached", c.Rev, ns)
		}
		if c.Change.Kind != netlink.KindLink {
			return nil
		}
		if c.MovedFrom != nil {
			from, ok := f.links[c.MovedFrom.Name]
			old := c.Change.Old.(*netlink.Link)
			if !ok || from[old.Index] != old.Name {
				return fmt.Errorf("rev %d: %s moved from %s, which does not have it", c.Rev, old.Name, c.MovedFrom.Name)
			}
			delete(from, old.Index)
		}
		switch c.Change.Op {
		case ipdb.OpDelete:
			delete(m, c.Change.Old.(*netlink.Link).Index)
		default:
			l := c.Change.New.(*netlink.Link)
			m[l.Index] = l.Name
		}
	}
	return nil
}

// count returns how many namespaces have a link named name.
func (f *feedModel) count(name string) int {
	n := 0
	for _, m := range f.links {
		for _, l := range m {
			if l == name {
				n++
			}
		}
	}
	return n
}

// bindInto makes dir/name a namespace file as `ip netns add` does: the
// file first, then (after a pause that the set must wait out) the bind
// mount of ns onto it.
func bindInto(t *testing.T, dir, name string, ns *nstest.NS, pause time.Duration) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pause)
	if err := unix.Mount(ns.Path, p, "none", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unbind(p) })
	return p
}

func unbind(p string) {
	unix.Unmount(p, unix.MNT_DETACH)
	os.Remove(p)
}

// follow reads the set's feed into a model until cond holds, failing on
// any inconsistency, and returns the revision reached.
func follow(t *testing.T, s *ipdb.Set, f *feedModel, rev uint64, what string, cond func() bool) uint64 {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		changes, upTo, ready, err := s.ChangesSince(rev, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			if err := f.apply(c); err != nil {
				t.Fatal(err)
			}
		}
		rev = upTo
		if cond() {
			break
		}
		select {
		case <-ready:
		case <-deadline:
			t.Fatalf("timeout waiting for %s; model %v", what, f.links)
		}
	}
	return rev
}

type footprint struct{ goroutines, fds int }

func measureFootprint(t *testing.T) footprint {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return footprint{runtime.NumGoroutine(), len(fds)}
}

func checkFlat(t *testing.T, before footprint) {
	t.Helper()
	var after footprint
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after = measureFootprint(t)
		if after.goroutines <= before.goroutines && after.fds <= before.fds || time.Now().After(end) {
			break
		}
	}
	if after.goroutines > before.goroutines {
		t.Errorf("%d goroutines leaked: %v", after.goroutines-before.goroutines, goleak.Find(goleak.IgnoreCurrent()))
	}
	if after.fds > before.fds {
		t.Errorf("%d file descriptors leaked", after.fds-before.fds)
	}
}

// TestSetFollowsRunDir follows a namespace directory with inotify: a
// namespace bound into it (after a pause, as `ip netns add` binds after
// creating the file) is attached, tagged and queryable; one removed is
// detached; a plain file is never attached; closing the set leaves no
// goroutine or file descriptor behind.
func TestSetFollowsRunDir(t *testing.T) {
	nstest.Run(t, func(t *testing.T, a *nstest.NS) {
		b := nstest.New(t)
		a.IP("addr", "add", "192.0.2.1/32", "dev", "lo")
		dir := t.TempDir()
		before := measureFootprint(t)
		bindInto(t, dir, "early", a, 0) // there before the set starts
		s, err := ipdb.OpenSet(context.Background(), &ipdb.SetConfig{RunDir: dir, AssignNSIDs: true})
		if err != nil {
			t.Fatal(err)
		}
		f := newFeedModel()
		rev := follow(t, s, f, 0, "early attached", func() bool { return f.links["early"] != nil })
		pb := bindInto(t, dir, "late", b, 20*time.Millisecond)
		os.WriteFile(filepath.Join(dir, "plain"), nil, 0o444)
		rev = follow(t, s, f, rev, "late attached", func() bool { return f.links["late"] != nil })

		nss := s.Namespaces()
		if len(nss) != 2 || nss[0].Name != "early" || nss[1].Name != "late" {
			t.Fatalf("Namespaces: %v", nss)
		}
		for _, n := range nss {
			if n.NSID < 0 || n.Inode == 0 {
				t.Errorf("%s: nsid %d inode %d, want both set (AssignNSIDs)", n.Name, n.NSID, n.Inode)
			}
			var st unix.Stat_t
			unix.Stat(filepath.Join(dir, n.Name), &st)
			if st.Ino != n.Inode {
				t.Errorf("%s: inode %d, the file's is %d", n.Name, n.Inode, st.Ino)
			}
		}
		out, _ := runCmd("ip", "netns", "list-id")
		for _, n := range nss {
			if !strings.Contains(out, fmt.Sprintf("nsid %d ", n.NSID)) {
				t.Errorf("ip netns list-id lacks nsid %d of %s:\n%s", n.NSID, n.Name, out)
			}
		}
		ss := s.Snapshot()
		lo := 0
		for ns := range ss.LinksNamed("lo") {
			lo++
			_ = ns
		}
		if lo != 2 {
			t.Errorf("LinksNamed(lo): %d, want 2", lo)
		}
		var holders []string
		for ns := range ss.AddrHolders(netip.MustParseAddr("192.0.2.1")) {
			holders = append(holders, ns.Name)
		}
		if len(holders) != 1 || holders[0] != "early" {
			t.Errorf("AddrHolders(192.0.2.1): %v, want [early]", holders)
		}
		// The feed tags every change with its namespace.
		b.IP("link", "add", "tag0", "type", "veth", "peer", "name", "tag1")
		rev = follow(t, s, f, rev, "tag0 in late", func() bool { return f.count("tag0") == 1 })
		for name, links := range f.links {
			for _, l := range links {
				if l == "tag0" && name != "late" {
					t.Errorf("tag0 seen in %s", name)
				}
			}
		}

		unbind(pb)
		follow(t, s, f, rev, "late detached", func() bool { return f.links["late"] == nil })
		if _, ok := s.DB("late"); ok {
			t.Error("late still has a database")
		}
		if _, ok := s.DB("plain"); ok {
			t.Error("a plain file was attached")
		}
		if err := s.Detach("late"); err == nil {
			t.Error("detaching twice succeeded")
		}
		s.Close()
		s.Close()
		checkFlat(t, before)
	})
}

func runCmd(name string, args ...string) (string, error) {
	out, err := osexec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// TestSetMove moves links between two namespaces of a set, back and
// forth, while a reader follows the feed and another takes snapshots:
// every move is one entry, and at no revision and in no snapshot is a
// moved link in both namespaces or in neither.
func TestSetMove(t *testing.T) {
	nstest.Run(t, func(t *testing.T, a *nstest.NS) {
		b := nstest.New(t)
		before := measureFootprint(t)
		s, err := ipdb.OpenSet(context.Background(), &ipdb.SetConfig{RunDir: "-"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.AttachPath("a", a.Path); err != nil {
			t.Fatal(err)
		}
		fb, err := os.Open(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AttachFD("b", int(fb.Fd())); err != nil {
			t.Fatal(err)
		}
		fb.Close() // the set keeps its sockets, not the fd
		if err := s.AttachPath("a", a.Path); err == nil {
			t.Error("attaching a name twice succeeded")
		}
		if err := s.AttachPath("x", "/proc/self/status"); err == nil {
			t.Error("attaching a plain file succeeded")
		}
		// The kernel assigns b an id in our namespace: the set follows.
		if got := nsidOf(s, "b"); got != netlink.NSIDNotAssigned {
			t.Logf("b already has nsid %d", got)
		} else {
			if out, err := runCmd("ip", "netns", "set", b.Name, "auto"); err != nil {
				t.Fatalf("ip netns set %s auto: %v: %s", b.Name, err, out)
			}
			if err := nstest.Eventually(5*time.Second, func() error {
				if nsidOf(s, "b") == netlink.NSIDNotAssigned {
					return fmt.Errorf("b has no nsid after ip netns set auto")
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		out, _ := runCmd("ip", "netns", "list")
		if want := fmt.Sprintf("%s (id: %d)", b.Name, nsidOf(s, "b")); !strings.Contains(out, want) {
			t.Errorf("ip netns list lacks %q:\n%s", want, out)
		}
		const n = 4
		for i := range n {
			a.IP("link", "add", fmt.Sprintf("mv%d", i), "type", "veth", "peer", "name", fmt.Sprintf("pr%d", i))
		}
		f := newFeedModel()
		rev := follow(t, s, f, 0, "links in a", func() bool { return f.count(fmt.Sprintf("mv%d", n-1)) == 1 && f.links["b"] != nil })

		// Snapshots, concurrently: each moved link in exactly one place.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var snapErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ss := s.Snapshot()
				for i := range n {
					c := 0
					for range ss.LinksNamed(fmt.Sprintf("mv%d", i)) {
						c++
					}
					if c != 1 && snapErr == nil {
						snapErr = fmt.Errorf("snapshot rev %d: mv%d in %d namespaces", ss.Revision(), i, c)
					}
				}
			}
		}()
		moves := 0
		for round := range 3 {
			from, to := a, b
			if round%2 == 1 {
				from, to = b, a
			}
			for i := range n {
				from.IP("link", "set", fmt.Sprintf("mv%d", i), "netns", to.Name)
			}
			toName := map[*nstest.NS]string{a: "a", b: "b"}[to]
			rev = follow(t, s, f, rev, "moves", func() bool {
				for i := range n {
					if _, ok := findLink(f.links[toName], fmt.Sprintf("mv%d", i)); !ok {
						return false
					}
				}
				return true
			})
			moves += n
			for i := range n {
				if c := f.count(fmt.Sprintf("mv%d", i)); c != 1 {
					t.Fatalf("round %d: mv%d in %d namespaces", round, i, c)
				}
			}
		}
		close(stop)
		wg.Wait()
		if snapErr != nil {
			t.Error(snapErr)
		}
		// Every move was one entry with MovedFrom.
		all, _, _, err := s.ChangesSince(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, c := range all {
			if c.MovedFrom != nil {
				got++
				if c.Change.Old.(*netlink.Link).Name != c.Change.New.(*netlink.Link).Name {
					t.Errorf("move %v: old %v new %v", c, c.Change.Old, c.Change.New)
				}
			}
			if c.Op == ipdb.SetObject && c.Change.Kind == netlink.KindLink && c.Change.Op == ipdb.OpDelete &&
				strings.HasPrefix(c.Change.Old.(*netlink.Link).Name, "mv") {
				t.Errorf("rev %d: a move published as a plain delete of %s in %s", c.Rev, c.Change.Old.(*netlink.Link).Name, c.NS.Name)
			}
		}
		if got != moves {
			t.Errorf("%d move entries, want %d", got, moves)
		}
		// The model built from the feed equals the set's snapshot.
		ss := s.Snapshot()
		for _, n := range ss.Namespaces() {
			want := map[int]string{}
			for l := range n.Links() {
				want[l.Index] = l.Name
			}
			if fmt.Sprint(want) != fmt.Sprint(f.links[n.NS.Name]) {
				t.Errorf("%s: feed model %v, snapshot %v", n.NS.Name, f.links[n.NS.Name], want)
			}
		}
		// A link moved out of the set is a plain delete.
		c := nstest.New(t)
		a.IP("link", "add", "out0", "type", "veth", "peer", "name", "out1")
		rev = follow(t, s, f, rev, "out0", func() bool { return f.count("out0") == 1 })
		start := time.Now()
		a.IP("link", "set", "out0", "netns", c.Name)
		follow(t, s, f, rev, "out0 gone", func() bool { return f.count("out0") == 0 })
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("a move out of the set took %v to publish (the window is 1 s; the drained check should end it sooner)", d)
		}
		if err := s.Detach("a"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		checkFlat(t, before)
	})
}

func nsidOf(s *ipdb.Set, name string) int32 {
	for _, n := range s.Namespaces() {
		if n.Name == name {
			return n.NSID
		}
	}
	return -2
}

func findLink(m map[int]string, name string) (int, bool) {
	for i, n := range m {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// TestSetAttachPID attaches the namespace of a process (/proc/PID/ns/net)
// and checks that it is the namespace the process runs in.
func TestSetAttachPID(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		cmd := ns.Start(t, "sleep", "30")
		before := measureFootprint(t)
		s, err := ipdb.OpenSet(context.Background(), &ipdb.SetConfig{RunDir: "-"})
		if err != nil {
			t.Fatal(err)
		}
		var want unix.Stat_t
		unix.Stat(ns.Path, &want)
		if err := s.AttachPID("p", cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
		if err := s.AttachPID("q", -1); err == nil {
			t.Error("AttachPID(-1) succeeded")
		}
		nss := s.Namespaces()
		if len(nss) != 1 || nss[0].Inode != want.Ino || nss[0].Path != fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid) {
			t.Fatalf("Namespaces: %+v, want inode %d", nss, want.Ino)
		}
		if err := nstest.Eventually(5*time.Second, func() error {
			if _, ok := s.Snapshot().NS("p"); !ok {
				return fmt.Errorf("p not synced")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		checkFlat(t, before)
	})
}
