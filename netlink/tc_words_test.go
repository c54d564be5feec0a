package netlink

import "testing"

// TestFormatTCWords: rates, sizes and times as tc prints them (values
// taken from `tc qdisc show` of htb, tbf and fq_codel qdiscs).
func TestFormatTCWords(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{FormatTCRate(125000), "1Mbit"},
		{FormatTCRate(187500), "1500Kbit"},
		{FormatTCRate(100), "800bit"},
		{FormatTCRate(1250000000), "10Gbit"},
		{FormatTCRate(0), "0bit"},
		{FormatTCSize(1600), "1600b"},
		{FormatTCSize(10240), "10Kb"},
		{FormatTCSize(10250), "10Kb"},
		{FormatTCSize(10300), "10300b"},
		{FormatTCSize(2 << 20), "2Mb"},
		{FormatTCSize(1514), "1514b"},
		{FormatTCTime(25000), "25ms"},
		{FormatTCTime(1500000), "1.5s"},
		{FormatTCTime(800.9), "800us"},
		{FormatTCTime(5000), "5ms"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
