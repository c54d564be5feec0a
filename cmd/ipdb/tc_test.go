package main

import (
	"testing"
	"time"
)

// TestTCFormats: rates, sizes, times and u32 handles as iproute2 6.1's
// sprint_rate, sprint_size, sprint_time and sprint_u32_handle print them
// (values seen in tc's output on this machine).
func TestTCFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{tcRate(125000), "1Mbit"}, {tcRate(625000), "5Mbit"}, {tcRate(1500), "12Kbit"},
		{tcRate(100), "800bit"}, {tcRate(125125), "1001Kbit"}, {tcRate(125_000_000_000), "1Tbit"},
		{tcSize(1600), "1600b"}, {tcSize(10240), "10Kb"}, {tcSize(2010), "2010b"},
		{tcSize(1 << 20), "1Mb"}, {tcSize(1050), "1050b"}, {tcSize(1034), "1Kb"},
		{tcTime(50000), "50ms"}, {tcTime(69960), "70ms"}, {tcTime(800), "800us"}, {tcTime(1500000), "1.5s"},
		{u32Handle(0x80000000), "800:"}, {u32Handle(0x80000800), "800::800"}, {u32Handle(0x80101800), "801:1:800"},
		{u32Handle(0), "none"},
		{hex08(0xc0000200), "c0000200"}, {hex08(0x100000), "00100000"}, {hex0x(0x10), "0x10"}, {hex0x(0), "0"},
		// htb's default class: 1 Mbit for the time of 1600 bytes.
		{tcSize(tcXmitSize(125000, 12800*time.Microsecond)), "1600b"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
