package netlink

import (
	"math"
	"strconv"
)

// FormatTCRate returns a rate in bytes per second in tc's words (iproute2's
// sprint_rate, tc/tc_util.c): bits per second with a decimal prefix, the
// largest that leaves a whole number or one below a million: "1Mbit",
// "1500Kbit", "800bit".
func FormatTCRate(bytesPerSec uint64) string {
	units := []string{"", "K", "M", "G", "T"}
	r := bytesPerSec << 3
	i := 0
	for ; i < len(units)-1; i++ {
		if r < 1000 || (r%1000 != 0 && r < 1000*1000) {
			break
		}
		r /= 1000
	}
	return strconv.FormatUint(r, 10) + units[i] + "bit"
}

// FormatTCSize returns a size in bytes in tc's words (sprint_size): "1600b",
// "10Kb", "2Mb", with a binary prefix where the size is within 16 bytes of
// a whole number of KiB, or 1 KiB of MiB.
func FormatTCSize(bytes uint64) string {
	const kilo, mega = 1024.0, 1024.0 * 1024.0
	f := float64(bytes)
	switch {
	case f >= mega && math.Abs(mega*math.RoundToEven(f/mega)-f) < 1024:
		return strconv.FormatFloat(math.RoundToEven(f/mega), 'g', 6, 64) + "Mb"
	case f >= kilo && math.Abs(kilo*math.RoundToEven(f/kilo)-f) < 16:
		return strconv.FormatFloat(math.RoundToEven(f/kilo), 'g', 6, 64) + "Kb"
	}
	return strconv.FormatUint(bytes, 10) + "b"
}

// FormatTCTime returns a time in microseconds in tc's words (sprint_time,
// which takes a __u32 of whole microseconds): "%.3gs", "%.3gms" or
// "%uus": "1.5s", "25ms", "800us".
func FormatTCTime(us float64) string {
	t := float64(uint32(us))
	switch {
	case t >= 1e6:
		return strconv.FormatFloat(t/1e6, 'g', 3, 64) + "s"
	case t >= 1e3:
		return strconv.FormatFloat(t/1e3, 'g', 3, 64) + "ms"
	}
	return strconv.FormatUint(uint64(t), 10) + "us"
}
