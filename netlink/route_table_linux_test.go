package netlink_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestRouteTableExists: a table exists once a route was added to it and
// stays when it empties; one never used is the kernel's "FIB table does
// not exist", as `ip route show table ID` reports it.
func TestRouteTableExists(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "route add 203.0.113.0/24 dev lo table 300", "route del 203.0.113.0/24 dev lo table 300")
		c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := context.Background()
		for _, x := range []struct {
			fam   uint8
			table uint32
			want  bool
		}{
			{unix.AF_INET, unix.RT_TABLE_MAIN, true},
			{unix.AF_INET, unix.RT_TABLE_LOCAL, true},
			{unix.AF_INET, 300, true},
			{unix.AF_INET, 999, false},
			{unix.AF_INET6, 999, false},
			{unix.AF_INET6, unix.RT_TABLE_MAIN, true},
		} {
			ok, msg, err := c.RouteTableExists(ctx, x.fam, x.table)
			_, ipErr := ns.IPErr(map[uint8]string{unix.AF_INET: "-4", unix.AF_INET6: "-6"}[x.fam], "route", "show", "table", strconv.FormatUint(uint64(x.table), 10))
			if err != nil || ok != x.want || (ipErr == nil) != ok || !ok && !strings.Contains(msg, "does not exist") {
				t.Errorf("family %d table %d: %v %q %v, want %v (ip: %v)", x.fam, x.table, ok, msg, err, x.want, ipErr)
			}
		}
		if _, _, err := c.RouteTableExists(ctx, 0, 5); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("family 0: %v", err)
		}
	})
}
