package watch

import (
	"context"
	"errors"
	"net/netip"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// A Condition is a predicate on a database snapshot.
type Condition func(s *ipdb.Snapshot) bool

// WaitFor blocks until cond holds on the database, ctx ends, or the
// database is closed. It checks after every revision, so it never misses a
// state that lasted at least one revision.
func WaitFor(ctx context.Context, db *ipdb.DB, cond Condition) error {
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}
	for {
		s := db.Snapshot()
		if cond(s) {
			return nil
		}
		_, _, wake, err := db.ChangesSince(s.Revision(), 1)
		if err != nil && !errors.Is(err, ipdb.ErrTruncated) {
			return err
		}
		if db.Revision() != s.Revision() {
			continue // something landed meanwhile: check again
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-db.Done():
			return ipdb.ErrClosed
		}
	}
}

// LinkExists holds when a link named name exists.
func LinkExists(name string) Condition {
	return func(s *ipdb.Snapshot) bool {
		_, err := s.LinkByName(name)
		return err == nil
	}
}

// LinkGone holds when no link is named name.
func LinkGone(name string) Condition {
	return func(s *ipdb.Snapshot) bool {
		_, err := s.LinkByName(name)
		return errors.Is(err, ipdb.ErrNotFound)
	}
}

// LinkUp holds when the link named name is administratively up and its
// operational state is up (or unknown, as for devices without a carrier).
func LinkUp(name string) Condition {
	return func(s *ipdb.Snapshot) bool {
		l, err := s.LinkByName(name)
		return err == nil && l.Flags&iffUp != 0 &&
			(l.OperState == netlink.OperUp || l.OperState == netlink.OperUnknown)
	}
}

// AddrPresent holds when the link named name has address p (address and
// prefix length), like pyroute2's wait_ip.
func AddrPresent(name string, p netip.Prefix) Condition {
	return func(s *ipdb.Snapshot) bool {
		l, err := s.LinkByName(name)
		if err != nil {
			return false
		}
		for a := range s.AddrsOf(l.Index) {
			if a.Prefix == p {
				return true
			}
		}
		return false
	}
}

// AddrGone holds when the link named name does not have address p (or
// does not exist).
func AddrGone(name string, p netip.Prefix) Condition {
	present := AddrPresent(name, p)
	return func(s *ipdb.Snapshot) bool { return !present(s) }
}

// RoutePresent holds when table has a route to exactly dst.
func RoutePresent(table uint32, dst netip.Prefix) Condition {
	return func(s *ipdb.Snapshot) bool { return hasRoute(s, table, dst) }
}

// RouteGone holds when table has no route to exactly dst.
func RouteGone(table uint32, dst netip.Prefix) Condition {
	return func(s *ipdb.Snapshot) bool { return !hasRoute(s, table, dst) }
}

func hasRoute(s *ipdb.Snapshot, table uint32, dst netip.Prefix) bool {
	for range s.RoutesTo(table, dst.Masked()) {
		return true
	}
	return false
}
