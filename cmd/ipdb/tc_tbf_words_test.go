package main

import (
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestTBFOptionsAsTC: tbf options as tc 6.1 prints them for values the
// kernel holds after `ipdb apply` or the CNI bandwidth plugin (linklayer 0,
// a buffer that is not a whole number of microseconds).
func TestTBFOptionsAsTC(t *testing.T) {
	// 426667 ticks of 64ns: tc_core_tick2time truncates to 27306us.
	buf := 426667 * 64 * time.Nanosecond
	for _, c := range []struct {
		name string
		o    *netlink.TBF
		v    tcView
		want string
	}{
		{"tbf linklayer 0 -d", &netlink.TBF{Rate: 125000, Buffer: 81920 * time.Microsecond, Limit: 16490}, tcView{details: true},
			`{"rate":125000,"burst":"10Kb/1","mpu":0,"lat":50000,"linklayer":"unspec"}`},
		{"tbf tick2time truncates", &netlink.TBF{Rate: 375000, Buffer: buf, Limit: 19615, RateSpec: netlink.RateSpec{Linklayer: 1}}, tcView{},
			`{"rate":375000,"burst":10239,"lat":25000}`},
	} {
		if got := qdiscOptionsJSON(c.o, c.v); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}
