package txn

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

func TestConflict(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		baseState(t, ns)
		db, c := setup(t, ns)
		tx := bigTxn(db, c, nil)
		if _, err := tx.Plan(); err != nil {
			t.Fatal(err)
		}
		// Someone else changes a route the transaction touches.
		ns.IP("route", "replace", "198.51.100.0/24", "via", "192.0.2.4", "table", "300")
		before := ipState(t, ns)
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		err := tx.Commit(context.Background())
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("got %v, want ErrConflict", err)
		}
		if tx.Writes() != 0 {
			t.Errorf("%d writes despite the conflict", tx.Writes())
		}
		checkRestored(t, ns, ipState, before)
		// Without a prior Plan, Commit plans on the current state.
		if err := bigTxn(db, c, nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyTimeoutRollsBack(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		baseState(t, ns)
		db, c := setup(t, ns)
		before := ipState(t, ns)
		// Every request is acknowledged, but the route op is swapped for one
		// in another table, so the database never shows the desired state.
		swapped := false
		cfg := &Config{VerifyTimeout: 500 * time.Millisecond, inject: func(i int, o *Step, req netlink.Request) netlink.Request {
			if o.Kind == netlink.KindRoute && o.Action == Create && !swapped {
				swapped = true
				return netlink.RouteRequest(netlink.Add, &netlink.Route{Dst: netip.MustParsePrefix("203.0.113.128/25"),
					Type: netlink.RouteBlackhole, Table: 302})
			}
			return req
		}}
		err := bigTxn(db, c, cfg).Commit(context.Background())
		var ce *CommitError
		if !errors.As(err, &ce) || !errors.Is(err, ErrVerify) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want a verification timeout", err)
		}
		if !ce.RolledBack {
			t.Fatalf("not rolled back: %v", err)
		}
		if out := ns.IP("route", "show", "table", "302"); strings.TrimSpace(out) != "" {
			t.Logf("table 302 is outside the transaction's scope: %s", out)
			ns.IP("route", "del", "blackhole", "203.0.113.128/25", "table", "302")
		}
		checkRestored(t, ns, ipState, before)
	})
}

func TestCancelMidCommitRollsBack(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		baseState(t, ns)
		db, c := setup(t, ns)
		before := ipState(t, ns)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := &Config{inject: func(i int, o *Step, req netlink.Request) netlink.Request {
			if o.Kind == netlink.KindAddr {
				cancel() // half-way: links done, addresses not yet sent
			}
			return req
		}}
		err := bigTxn(db, c, cfg).Commit(ctx)
		var ce *CommitError
		if !errors.As(err, &ce) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want a cancelled commit", err)
		}
		if !ce.RolledBack {
			t.Fatalf("not rolled back: %v", err)
		}
		checkRestored(t, ns, ipState, before)
	})
}

func TestNaturalKernelErrors(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		baseState(t, ns)
		db, c := setup(t, ns)
		before := ipState(t, ns)
		// A route through a gateway on no connected subnet: ENETUNREACH.
		tx := bigTxn(db, c, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.240/28"),
			Gateway: netip.MustParseAddr("203.0.113.254"), Table: 7, Dev: "a0"})
		err := tx.Commit(context.Background())
		var ce *CommitError
		if !errors.As(err, &ce) || !ce.RolledBack {
			t.Fatalf("got %v", err)
		}
		t.Log(err)
		var oe *netlink.OpError
		if !errors.As(err, &oe) {
			t.Fatalf("no OpError in %v", err)
		}
		checkRestored(t, ns, ipState, before)

		// Bad input: nothing applied.
		bad := New(db, c, nil).Link(LinkSpec{Name: "x0", Info: &netlink.LinkInfo{InfoKind: "bridge"}}).
			Addr(AddrSpec{Link: "nosuch", Prefix: netip.MustParsePrefix("192.0.2.5/24")})
		if err := bad.Commit(context.Background()); !errors.Is(err, ErrInvalid) || bad.Writes() != 0 {
			t.Fatalf("got %v with %d writes, want ErrInvalid and none", err, bad.Writes())
		}
		checkRestored(t, ns, ipState, before)
	})
}

func TestCommitConfirm(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		baseState(t, ns)
		db, c := setup(t, ns)
		before := ipState(t, ns)
		p, err := bigTxn(db, c, nil).CommitConfirm(context.Background(), 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if ipState(t, ns) == before {
			t.Fatal("nothing applied")
		}
		<-p.Done()
		if rb, err := p.RolledBack(); !rb || err != nil {
			t.Fatalf("rolled back %v, %v", rb, err)
		}
		if err := p.Confirm(); !errors.Is(err, ErrRolledBack) {
			t.Errorf("late Confirm: %v", err)
		}
		checkRestored(t, ns, ipState, before)

		p, err = bigTxn(db, c, nil).CommitConfirm(context.Background(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Confirm(); err != nil {
			t.Fatal(err)
		}
		if rb, _ := p.RolledBack(); rb {
			t.Fatal("rolled back after Confirm")
		}
		if plan, _ := bigTxn(db, c, nil).Plan(); !plan.Empty() {
			t.Errorf("confirmed state lost:\n%s", plan)
		}
	})
}
