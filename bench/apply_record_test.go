//go:build linux

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/ipdb"
)

// routeAdd is the RTM_NEWROUTE payload (rtmsg and attributes) the kernel
// sends for `route add RouteDst(i, 32) via 192.0.2.2 dev 2`.
func routeAdd(i int) recorded {
	b := []byte{unix.AF_INET, 32, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_BOOT, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST, 0, 0, 0, 0}
	attr := func(typ uint16, data []byte) {
		b = binary.NativeEndian.AppendUint16(b, uint16(4+len(data)))
		b = binary.NativeEndian.AppendUint16(b, typ)
		b = append(b, data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	dst := benchns.RouteDst(i, 32).Addr().As4()
	attr(unix.RTA_TABLE, binary.NativeEndian.AppendUint32(nil, unix.RT_TABLE_MAIN))
	attr(unix.RTA_DST, dst[:])
	attr(unix.RTA_GATEWAY, []byte{192, 0, 2, 2})
	attr(unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, 2))
	return recorded{typ: unix.RTM_NEWROUTE, flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL, payload: b}
}

func recording(idx ...int) *liveRun {
	live := &liveRun{}
	for _, i := range idx {
		live.stream = append(live.stream, routeAdd(i))
	}
	return live
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestRetryRecording: a recording that overflowed (the recorder's ENOBUFS,
// a short stream, the live DB's overflow) is made again, at most
// recordAttempts times, and then fails saying so; a complete one is used;
// another error ends it at once; nothing partial is ever returned. No
// kernel needed.
func TestRetryRecording(t *testing.T) {
	const n = 50
	enobufs := fmt.Errorf("%w: the recorder's socket lost notifications: %w", errOverflowed, unix.ENOBUFS)
	overflowedDB := recording(seq(n)...)
	overflowedDB.stats = ipdb.Stats{Overflows: 1, Resyncs: 1}
	dup := recording(append(seq(n-1), 3)...)
	for _, c := range []struct {
		name    string
		runs    []func() (*liveRun, error) // attempt k returns runs[k-1]
		calls   int
		ok      bool
		errWant string
	}{
		{"complete at once", []func() (*liveRun, error){func() (*liveRun, error) { return recording(seq(n)...), nil }}, 1, true, ""},
		{"ENOBUFS, then complete", []func() (*liveRun, error){
			func() (*liveRun, error) { return nil, enobufs },
			func() (*liveRun, error) { return recording(seq(n)...), nil }}, 2, true, ""},
		{"short stream, live DB overflow, then complete", []func() (*liveRun, error){
			func() (*liveRun, error) { return recording(seq(n - 1)...), nil },
			func() (*liveRun, error) { return overflowedDB, nil },
			func() (*liveRun, error) { return recording(seq(n)...), nil }}, 3, true, ""},
		{"overflows every time", []func() (*liveRun, error){
			func() (*liveRun, error) { return nil, enobufs },
			func() (*liveRun, error) { return recording(seq(n - 7)...), nil },
			func() (*liveRun, error) { return nil, enobufs },
			func() (*liveRun, error) { t.Error("a fourth attempt"); return recording(seq(n)...), nil }}, 3, false, "all 3 recordings overflowed, nothing measured"},
		{"another error", []func() (*liveRun, error){
			func() (*liveRun, error) { return nil, errors.New("no such device") },
			func() (*liveRun, error) {
				t.Error("retried after a non-overflow error")
				return recording(seq(n)...), nil
			}}, 1, false, "no such device"},
		{"a route twice", []func() (*liveRun, error){
			func() (*liveRun, error) { return dup, nil }}, 1, false, "a second time"},
	} {
		calls := 0
		live, notes, err := retryRecording(recordAttempts, n, func(attempt int) (*liveRun, error) {
			calls++
			if attempt != calls {
				t.Errorf("%s: attempt %d at call %d", c.name, attempt, calls)
			}
			return c.runs[attempt-1]()
		})
		if calls != c.calls {
			t.Errorf("%s: %d attempts, want %d", c.name, calls, c.calls)
		}
		if c.ok != (err == nil) || c.ok != (live != nil) {
			t.Errorf("%s: recording %v, error %v; want success %v", c.name, live != nil, err, c.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), c.errWant) {
			t.Errorf("%s: error %q lacks %q", c.name, err, c.errWant)
		}
		if c.ok && len(live.stream) != n {
			t.Errorf("%s: %d notifications returned, want %d", c.name, len(live.stream), n)
		}
		overflows := map[string]int{"ENOBUFS, then complete": 1, "short stream, live DB overflow, then complete": 2, "overflows every time": 3}[c.name]
		if len(notes) != overflows {
			t.Errorf("%s: %d notes %q, want one per overflow, %d", c.name, len(notes), notes, overflows)
		}
	}
}
