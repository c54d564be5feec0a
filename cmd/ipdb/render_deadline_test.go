package main

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestRenderCountsDownDeadlines: an address or route from the cache, which
// keeps deadlines, prints what is left now (valid_life_time,
// preferred_life_time, expires in JSON; valid_lft and preferred_lft in
// monitor's words), not the values of the message it came in; one from a
// dump, which has no deadlines, prints the values it received.
func TestRenderCountsDownDeadlines(t *testing.T) {
	names := newLinkNames(nil)
	names.m[2] = linkRef{name: "br0"}
	render := func(fn func(j *jsonOut)) string {
		var buf bytes.Buffer
		j := newJSONOut(&buf)
		fn(j)
		j.flush()
		return buf.String()
	}
	received := time.Now().Add(-400 * time.Second)
	a := &netlink.Addr{
		Family: unix.AF_INET6, Index: 2, Prefix: netip.MustParsePrefix("2001:db8:2::1/64"),
		Flags: unix.IFA_F_PERMANENT, ValidLifetime: 1000, PreferredLifetime: 500,
	}
	dumped := *a
	a.SetDeadlines(received)
	r := &netlink.Route{
		Family: unix.AF_INET6, Table: unix.RT_TABLE_MAIN, Type: netlink.RouteUnicast,
		Dst: netip.MustParsePrefix("2001:db8:1::/48"), OIF: 2,
		Extra: &netlink.RouteExtra{CacheInfo: netlink.RouteCacheInfo{Expires: 30000}},
	}
	dumpedRoute := *r
	dumpedRoute.Extra = &netlink.RouteExtra{CacheInfo: r.Extra.CacheInfo}
	r.Extra.SetDeadline(received.Add(200 * time.Second)) // 100 s left of 300

	for _, c := range []struct {
		what, got string
		want      []string // any of them: the clock may tick between the two reads
	}{
		{"cached addr", render(func(j *jsonOut) { writeAddrInfo(j, a) }),
			[]string{`"valid_life_time":600,"preferred_life_time":100`, `"valid_life_time":599,"preferred_life_time":99`}},
		{"dumped addr", render(func(j *jsonOut) { writeAddrInfo(j, &dumped) }),
			[]string{`"valid_life_time":1000,"preferred_life_time":500`}},
		{"cached route", render(func(j *jsonOut) { writeRoute(j, r, names) }),
			[]string{`"expires":100,`, `"expires":99,`}},
		{"dumped route", render(func(j *jsonOut) { writeRoute(j, &dumpedRoute, names) }),
			[]string{`"expires":300,`}},
		{"cached addr words", addrWords(a, names).text(),
			[]string{"valid_lft 600sec preferred_lft 100sec", "valid_lft 599sec preferred_lft 99sec"}},
	} {
		ok := false
		for _, w := range c.want {
			ok = ok || strings.Contains(c.got, w)
		}
		if !ok {
			t.Errorf("%s: %s lacks %q", c.what, c.got, c.want)
		}
	}
}
