package netlink

import (
	"context"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestBarrierAcknowledged: a barrier's acknowledgement is read by
// ReceiveUpdates after the notifications the kernel queued before it,
// and BarrierReached then returns its sequence number.
func TestBarrierAcknowledged(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, err := Dial(&Config{NetNS: ns.Name, Groups: GroupLink})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		seq, err := c.SendBarrier()
		if err != nil {
			t.Fatal(err)
		}
		if SeqReached(c.BarrierReached(), seq) && c.BarrierReached() != 0 {
			t.Fatalf("barrier %d reached before any read (%d)", seq, c.BarrierReached())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var links []string
		for c.BarrierReached() != seq {
			err := c.ReceiveUpdates(ctx, 0, func(u Update) error {
				if c.BarrierReached() == seq {
					t.Errorf("an update after the barrier: %v", u.Object)
				}
				if l, ok := u.Object.(*Link); ok {
					links = append(links, l.Name)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("barrier %d not acknowledged (reached %d): %v", seq, c.BarrierReached(), err)
			}
		}
		if len(links) < 2 {
			t.Errorf("read %v before the barrier, want v0 and v1's notifications", links)
		}
	})
}
