package txn

import (
	"fmt"
	"net/netip"
	"strings"
)

// Every `~` operation of a plan lists each attribute it changes as
// "old -> new", in ip(8)'s words. This file holds what the kinds share for
// that; each kind's own list is in its file (addrChanges, routeChanges,
// neighChanges; a link's kind data: linkDataChanges in linkdata.go).

// changeList collects "attr old -> new" items.
type changeList []string

func (c *changeList) add(attr string, old, new any) {
	*c = append(*c, fmt.Sprintf("%s %v -> %v", attr, old, new))
}

// String returns ": a -> b, c -> d", or "" if nothing changes.
func (c changeList) String() string {
	if len(c) == 0 {
		return ""
	}
	return ": " + strings.Join(c, ", ")
}

func addrOrNone(a netip.Addr) any {
	if !a.IsValid() {
		return "(none)"
	}
	return a
}

func strOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
