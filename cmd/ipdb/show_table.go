package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// missingTableError is a `table ID` selector naming a routing table that
// does not exist: ip route show answers the kernel's "FIB table does not
// exist." (inet_dump_fib and inet6_dump_fib with strict checking answer
// ENOENT for a table they never created) and exits 2.
type missingTableError struct{ msg string }

func (e *missingTableError) Error() string { return e.msg }

// checkRouteTable asks the kernel, as ip route show does, whether the table
// a routes selection names exists in the selected families (both without
// -4 or -6): a dump filtered by that table. Only when no family has it is
// it an error, with the kernel's message (that of IPv4 first). A table
// that exists but is empty prints nothing, as with ip.
func (d *dumpShow) checkRouteTable() error {
	s := d.sel("routes")
	if s == nil || !s.tableGiven || s.table == 0 || s.family == afMPLS {
		// MPLS routes are in no table: ip -f mpls route show table N
		// prints those of main, and nothing for another N.
		return nil
	}
	fams := []uint8{unix.AF_INET, unix.AF_INET6}
	if s.family != 0 {
		fams = []uint8{s.family}
	}
	var first error
	for _, fam := range fams {
		ok, msg, err := d.c.RouteTableExists(d.ctx, fam, s.table)
		if err != nil || ok {
			return err
		}
		if first == nil {
			first = &missingTableError{msg: fmt.Sprintf("Error: %s (table %d)", msg, s.table)}
		}
	}
	return first
}
