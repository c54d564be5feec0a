package ipdb_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestRereadWaitsForReader: a re-read waits until the reader has read
// every notification the kernel sent before it (a barrier on the listener
// socket), so that watchers never see the cache go back in time. Here the
// reader lags behind the kernel (WithReadPause, as on a loaded host) while
// a link's MTU changes and the link is deleted, and a re-read of the link
// is asked meanwhile. Without the wait the re-read found the link gone
// first, and the older notifications then re-added it and deleted it
// again: delete, add, delete for one deletion (found in the guest's
// TestMonitor: "link delete", then "link add ... mtu 1400").
func TestRereadWaitsForReader(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link add v2 type veth peer name v3")
		// No periodic refresh, and a pause between rounds for the re-reads
		// the changes call for: only the asked re-read runs while the
		// reader lags. (A change made during a re-read's own dump is
		// another matter: see doc.go, "Re-reads".)
		db := dbtest.Open(t, ns, ipdb.WithReadPause(200*time.Millisecond), ipdb.WithBatchMax(1), ipdb.WithRefresh(0))
		var v0 *netlink.Link
		if err := nstest.Eventually(5*time.Second, func() (err error) {
			v0, err = db.Snapshot().LinkByName("v0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		rev := db.Revision()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for round := range 3 {
			time.Sleep(1500 * time.Millisecond)
			// A change the reader reads at once, then pauses after.
			ns.IP("link", "set", "v2", "mtu", fmt.Sprint(1300+round))
			time.Sleep(50 * time.Millisecond)
			if round < 2 {
				ns.IP("link", "set", "v0", "mtu", fmt.Sprint(1400+round))
			} else {
				ns.Batch("link set v0 mtu 1450", "link del v0")
			}
			if err := db.RereadLink(ctx, v0.Index); err != nil {
				t.Fatal(err)
			}
		}
		if err := nstest.Eventually(20*time.Second, func() error {
			if _, err := db.Snapshot().LinkByName("v0"); err == nil {
				return fmt.Errorf("v0 is still in the cache")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		changes, _, _, err := db.ChangesSince(rev, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, c := range changes {
			if c.Kind != netlink.KindLink {
				continue
			}
			o := c.New
			if o == nil {
				o = c.Old
			}
			if l := o.(*netlink.Link); l.Index == v0.Index {
				ops = append(ops, fmt.Sprintf("%s mtu %d", c.Op, l.MTU))
			}
		}
		want := "change mtu 1400, change mtu 1401, change mtu 1450, delete mtu 1450"
		if got := strings.Join(ops, ", "); got != want {
			t.Errorf("v0's events: %s\nwant %s", got, want)
		}
	})
}

// TestRereadYieldsToAnnounced: a change the kernel announces while a
// re-read's dump runs is not taken back. Here the link's MTU changes twice
// just before the dump (1401, then 1402) while the reader lags, so the
// dump reads 1402 and both notifications are still unapplied. Written
// over, the dump's 1402 was followed by the older 1401 and then 1402
// again: the cache went back in time for one revision. The re-read now
// yields to the notifications: 1401, then 1402.
func TestRereadYieldsToAnnounced(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 mtu 1400")
		var armed atomic.Bool
		db := dbtest.Open(t, ns, ipdb.WithReadPause(200*time.Millisecond), ipdb.WithBatchMax(1), ipdb.WithRefresh(0),
			ipdb.WithBeforeDump(func() {
				if armed.CompareAndSwap(true, false) {
					ns.Batch("link set v0 mtu 1401", "link set v0 mtu 1402")
				}
			}))
		var v0 *netlink.Link
		if err := nstest.Eventually(5*time.Second, func() (err error) {
			v0, err = db.Snapshot().LinkByName("v0")
			if err == nil && v0.MTU != 1400 {
				err = fmt.Errorf("v0 has mtu %d", v0.MTU)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // the settle re-reads of the new links
		rev := db.Revision()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		armed.Store(true)
		if err := db.RereadLink(ctx, v0.Index); err != nil {
			t.Fatal(err)
		}
		if armed.Load() {
			t.Fatal("the re-read ran no dump")
		}
		if err := nstest.Eventually(10*time.Second, func() error {
			l, err := db.Snapshot().LinkByName("v0")
			if err == nil && l.MTU != 1402 {
				err = fmt.Errorf("v0 has mtu %d", l.MTU)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // anything still queued
		changes, _, _, err := db.ChangesSince(rev, 0)
		if err != nil {
			t.Fatal(err)
		}
		var mtus []string
		for _, c := range changes {
			if l, ok := c.New.(*netlink.Link); ok && l.Index == v0.Index {
				mtus = append(mtus, fmt.Sprint(l.MTU))
			}
		}
		if got, want := strings.Join(mtus, ", "), "1401, 1402"; got != want {
			t.Errorf("v0's MTU in its changes: %s, want %s", got, want)
		}
	})
}
