package netlink_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestNetNSAddDelete creates and deletes a named namespace as `ip netns
// add/delete` do, and checks it with iproute2: listed, usable by `ip -n`,
// an nsfs inode, gone afterwards.
func TestNetNSAddDelete(t *testing.T) {
	nstest.Run(t, func(t *testing.T, _ *nstest.NS) {
		name := nstest.Name()
		path := filepath.Join(netlink.NetNSRunDir, name)
		t.Cleanup(func() {
			if _, err := os.Stat(path); err == nil {
				unix.Unmount(path, unix.MNT_DETACH)
				os.Remove(path)
			}
		})
		if err := netlink.AddNetNS(name); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ip", "netns", "list").Output()
		if err != nil || !strings.Contains(string(out), name) {
			t.Fatalf("ip netns list does not show %s: %v\n%s", name, err, out)
		}
		if out, err := exec.Command("ip", "-n", name, "-j", "link", "show", "lo").CombinedOutput(); err != nil || !strings.Contains(string(out), `"ifname":"lo"`) {
			t.Fatalf("ip -n %s link show lo: %v\n%s", name, err, out)
		}
		if ok, err := netlink.IsNetNS(path); !ok || err != nil {
			t.Fatalf("IsNetNS(%s) = %v, %v", path, ok, err)
		}
		// A different namespace from ours.
		own, _ := os.Readlink("/proc/thread-self/ns/net")
		var st, ownSt unix.Stat_t
		unix.Stat(path, &st)
		unix.Stat("/proc/thread-self/ns/net", &ownSt)
		if st.Ino == ownSt.Ino {
			t.Fatalf("%s is the caller's own namespace %s", name, own)
		}
		c, err := netlink.Dial(&netlink.Config{NetNS: name})
		if err != nil {
			t.Fatal(err)
		}
		links, err := c.Links(context.Background(), nil)
		c.Close()
		// lo, and the fallback devices the kernel's tunnel modules put in
		// every new namespace (gre0, sit0, ...), as ip lists them.
		var want []struct {
			Name string `json:"ifname"`
		}
		out, err2 := exec.Command("ip", "-n", name, "-j", "link", "show").Output()
		if err2 == nil {
			err2 = json.Unmarshal(out, &want)
		}
		if err != nil || err2 != nil || len(links) != len(want) || len(links) == 0 || links[0].Name != "lo" {
			t.Fatalf("links of a new namespace: %v %v; ip lists %s %v", links, err, out, err2)
		}
		for i := range want {
			if links[i].Name != want[i].Name {
				t.Fatalf("link %d of a new namespace: %s, ip lists %s", i, links[i].Name, want[i].Name)
			}
		}
		if err := netlink.AddNetNS(name); !errors.Is(err, unix.EEXIST) {
			t.Errorf("second add: got %v, want EEXIST", err)
		}
		if err := netlink.DeleteNetNS(name); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s still there after delete: %v", path, err)
		}
		if err := netlink.DeleteNetNS(name); !errors.Is(err, unix.ENOENT) {
			t.Errorf("second delete: got %v, want ENOENT", err)
		}
		for _, bad := range []string{"", "..", "a/b"} {
			if err := netlink.AddNetNS(bad); !errors.Is(err, netlink.ErrInvalid) {
				t.Errorf("add %q: got %v, want ErrInvalid", bad, err)
			}
		}
		// A plain file is not a namespace.
		f := filepath.Join(t.TempDir(), "plain")
		os.WriteFile(f, nil, 0o600)
		if ok, err := netlink.IsNetNS(f); ok || err != nil {
			t.Errorf("IsNetNS(plain file) = %v, %v", ok, err)
		}
	})
}

// TestNSIDLive reads, assigns and lists netns ids, follows RTNLGRP_NSID,
// checks the Conn's own namespace through SIOCGSKNS, and reads where a
// moved link went (IFLA_NEW_NETNSID, IFLA_NEW_IFINDEX), each against
// iproute2.
func TestNSIDLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, a *nstest.NS) {
		b := nstest.New(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := netlink.Dial(&netlink.Config{NetNS: a.Name})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ev, err := netlink.Dial(&netlink.Config{NetNS: a.Name})
		if err != nil {
			t.Fatal(err)
		}
		defer ev.Close()
		if err := ev.JoinNSIDGroup(); err != nil {
			t.Fatal(err)
		}
		// SIOCGSKNS gives a's namespace.
		f, err := c.NetNSFile()
		if err != nil {
			t.Fatal(err)
		}
		var got, want unix.Stat_t
		unix.Fstat(int(f.Fd()), &got)
		unix.Stat(a.Path, &want)
		f.Close()
		if got.Ino != want.Ino {
			t.Fatalf("NetNSFile: inode %d, want %d (%s)", got.Ino, want.Ino, a.Path)
		}
		bf, err := os.Open(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer bf.Close()
		peer := netlink.NetNSRef{FD: int(bf.Fd())}
		id, err := c.NSID(ctx, peer)
		if err != nil || id != netlink.NSIDNotAssigned {
			t.Fatalf("NSID before assignment: %d %v", id, err)
		}
		if err := c.SetNSID(ctx, peer, 5); err != nil {
			t.Fatal(err)
		}
		if id, err := c.NSID(ctx, peer); err != nil || id != 5 {
			t.Fatalf("NSID after set 5: %d %v", id, err)
		}
		if err := c.SetNSID(ctx, peer, 6); !errors.Is(err, unix.EEXIST) {
			t.Errorf("second SetNSID: got %v, want EEXIST", err)
		}
		out := a.IP("netns", "list-id")
		if !strings.Contains(out, "nsid 5 ") && !strings.HasPrefix(strings.TrimSpace(out), "nsid 5") {
			t.Errorf("ip netns list-id: %q lacks nsid 5", out)
		}
		ids, err := c.NSIDs(ctx)
		if err != nil || len(ids) != 1 || ids[0] != 5 {
			t.Errorf("NSIDs: %v %v", ids, err)
		}
		var events []netlink.NSIDEvent
		if err := ev.ReceiveNSIDs(ctx, func(e netlink.NSIDEvent) { events = append(events, e) }); err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].NSID != 5 || events[0].Deleted {
			t.Errorf("RTNLGRP_NSID: %v, want [nsid 5]", events)
		}

		// A link moved from a to b: a's RTM_DELLINK says where it went.
		l, err := netlink.Dial(&netlink.Config{NetNS: a.Name, Groups: netlink.GroupLink})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		a.IP("link", "add", "mv0", "type", "veth", "peer", "name", "mv1")
		a.IP("link", "set", "mv0", "netns", b.Name)
		newIndex := b.Ifindex("mv0")
		deadline := time.Now().Add(5 * time.Second)
		found := false
		for !found && time.Now().Before(deadline) {
			rctx, rcancel := context.WithTimeout(ctx, time.Second)
			l.ReceiveUpdates(rctx, 0, func(u netlink.Update) error {
				link, ok := u.Object.(*netlink.Link)
				if !ok || !u.Deleted() || link.Name != "mv0" {
					return nil
				}
				nsid, idx, ok := link.LinkMovedTo()
				if !ok || nsid != 5 || idx != newIndex {
					t.Errorf("LinkMovedTo = %d %d %v, want 5 %d true", nsid, idx, ok, newIndex)
				}
				found = true
				return nil
			})
			rcancel()
		}
		if !found {
			t.Fatal("no RTM_DELLINK for the moved mv0")
		}
	})
}
