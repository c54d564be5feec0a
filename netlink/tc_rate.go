package netlink

import (
	"encoding/binary"
	"math"
	"time"
)

// RateSpec is what struct tc_ratespec (include/uapi/linux/pkt_sched.h)
// says besides the rate itself: how packet sizes are counted. The kernel
// reports Linklayer, Overhead and MPU (psched_ratecfg_getrate) and zero
// for CellLog and CellAlign, which only describe a rate table.
type RateSpec struct {
	// CellLog and CellAlign describe a rate table (tc_calc_rtable).
	CellLog   uint8
	CellAlign int16
	// Linklayer is TC_LINKLAYER_*: 0 unaware (the kernel then learns it
	// from a rate table, if one is sent), 1 ethernet (what tc sends), 2
	// ATM.
	Linklayer uint8
	// Overhead is added to each packet's size, in bytes (tc's "overhead").
	Overhead uint16
	// MPU is the minimum packet size counted, in bytes (tc's "mpu").
	MPU uint16
}

const (
	tcRatespecLen = 12 // sizeof(struct tc_ratespec)

	// psched ticks: the kernel keeps buffers in nanoseconds and reports
	// them in ticks of 64 ns (PSCHED_SHIFT 6, PSCHED_NS2TICKS).
	pschedTick = 64 * time.Nanosecond
)

// decodeRatespec reads a struct tc_ratespec: cell_log u8, linklayer u8,
// overhead u16, cell_align s16, mpu u16, rate u32 (bytes per second).
func decodeRatespec(b []byte) (RateSpec, uint32) {
	return RateSpec{
		CellLog:   b[0],
		Linklayer: b[1],
		Overhead:  binary.NativeEndian.Uint16(b[2:]),
		CellAlign: int16(binary.NativeEndian.Uint16(b[4:])),
		MPU:       binary.NativeEndian.Uint16(b[6:]),
	}, binary.NativeEndian.Uint32(b[8:])
}

// appendRatespec writes s with rate capped to 32 bits (~0U for larger
// rates, which go into a *_RATE64 attribute, as the kernel and tc do).
func appendRatespec(b []byte, s RateSpec, rate uint64) []byte {
	b = append(b, s.CellLog, s.Linklayer)
	b = binary.NativeEndian.AppendUint16(b, s.Overhead)
	b = binary.NativeEndian.AppendUint16(b, uint16(s.CellAlign))
	b = binary.NativeEndian.AppendUint16(b, s.MPU)
	return binary.NativeEndian.AppendUint32(b, uint32(min(rate, math.MaxUint32)))
}

// ticksToDuration converts psched ticks to a duration.
func ticksToDuration(t uint32) time.Duration { return time.Duration(t) * pschedTick }

// durationToTicks converts a duration to psched ticks, rounding down, or
// reports that it does not fit in 32 bits.
func durationToTicks(d time.Duration) (uint32, bool) {
	t := d / pschedTick
	return uint32(t), d >= 0 && t <= math.MaxUint32
}

// transmitTime is how long sending size bytes takes at rate bytes per
// second (tc_calc_xmittime), 0 for rate 0.
func transmitTime(rate uint64, size uint32) time.Duration {
	if rate == 0 {
		return 0
	}
	return time.Duration(float64(size) * float64(time.Second) / float64(rate))
}

// transmitSize is how many bytes rate sends in d (tc_calc_xmitsize), the
// "burst" tc prints for a buffer.
func transmitSize(rate uint64, d time.Duration) uint64 {
	return uint64(float64(rate) * d.Seconds())
}
