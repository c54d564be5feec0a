package netlink

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// RouteTableExists asks the kernel whether routing table table exists for
// family (unix.AF_INET or unix.AF_INET6), as `ip route show table ID`
// learns it: a dump filtered by the table, which with strict checking the
// kernel answers with ENOENT ("ipv4: FIB table does not exist.",
// inet_dump_fib; inet6_dump_fib alike) for a table it never created. A
// table exists once a route was added to it, and stays when it empties.
// Without strict checking (StrictCheck false) the kernel ignores the filter
// and every table seems to exist. The second result is the kernel's
// message for a missing table.
func (c *Conn) RouteTableExists(ctx context.Context, family uint8, table uint32) (bool, string, error) {
	if family != unix.AF_INET && family != unix.AF_INET6 || table == 0 {
		return false, "", fmt.Errorf("%w: route table %d of family %d", ErrInvalid, table, family)
	}
	f := &RouteFilter{Family: family, Table: table}
	err := c.dump(ctx, "routes", KindRoute.row().getType, f.dumpRequest(), nil, func([]byte) error { return nil })
	if errors.Is(err, unix.ENOENT) {
		msg := "FIB table does not exist."
		var oe *OpError
		if errors.As(err, &oe) && oe.Message != "" {
			msg = oe.Message
		}
		return false, msg, nil
	}
	return err == nil, "", err
}
