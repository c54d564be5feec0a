// Package measure times one run of a benchmarked operation and the memory
// it allocates, aggregates repeated runs (best and median), and prints the
// side-by-side table or JSON that every bench subcommand shares.
package measure

import (
	"runtime"
	"slices"
	"syscall"
	"time"
)

// Sample is one run.
type Sample struct {
	// Wall is the elapsed time of the measured operation.
	Wall time.Duration
	// CPU is user+system CPU time: of this process for Go libraries (all
	// threads, including the garbage collector and the kernel's work on
	// the dump), of the child for external commands.
	CPU time.Duration
	// Objects is how many objects (routes) the run produced.
	Objects int
	// AllocBytes and Mallocs are what the run allocated
	// (runtime.MemStats TotalAlloc and Mallocs deltas); zero for external
	// commands.
	AllocBytes uint64
	Mallocs    uint64
	// LiveBytes is the heap still in use after a GC while the run's result
	// is held, minus the heap before the run; -1 when the run keeps no
	// result (streaming) or is an external command.
	LiveBytes int64
}

// Run is the measured operation. It returns the number of objects it saw
// and, for libraries that return a collection, the collection itself so
// that Measure can weigh it while it is live (nil when streaming).
type Run func() (objects int, keep any, err error)

// Measure runs fn once after a full GC and records wall time, process CPU
// time, allocations and (if fn keeps a result) the live heap it holds.
func Measure(fn Run) (Sample, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := processCPU()
	start := time.Now()
	n, keep, err := fn()
	wall := time.Since(start)
	cpu := processCPU() - cpu0
	runtime.ReadMemStats(&after)
	if err != nil {
		return Sample{}, err
	}
	s := Sample{
		Wall:       wall,
		CPU:        cpu,
		Objects:    n,
		AllocBytes: after.TotalAlloc - before.TotalAlloc,
		Mallocs:    after.Mallocs - before.Mallocs,
		LiveBytes:  -1,
	}
	if keep != nil {
		var held runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&held)
		s.LiveBytes = int64(held.HeapAlloc) - int64(before.HeapAlloc)
		runtime.KeepAlive(keep)
	}
	return s, nil
}

// processCPU is this process's user+system time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ChildCPU is the user+system time of a finished child process, from its
// os.ProcessState.SysUsage().
func ChildCPU(sysUsage any) time.Duration {
	ru, ok := sysUsage.(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Result is all runs of one contender.
type Result struct {
	// Name is the contender, e.g. "ip route show" or a library.
	Name string
	// What says exactly what was run, for the notes under the table.
	What string
	// Reference marks the contender other rows' ratios are computed
	// against.
	Reference bool
	// Expected is the object count each run must produce; 0 means
	// unchecked.
	Expected int
	// Samples are the successful runs, in order.
	Samples []Sample
	// Err is the first error, if a run failed; later runs are skipped.
	Err error
	// Note is shown for contenders that could not run (e.g. not
	// implemented yet).
	Note string
}

// Best is the fastest run's wall time.
func (r *Result) Best() time.Duration {
	return r.stat(func(s Sample) float64 { return float64(s.Wall) }, true).d()
}

// Median is the median wall time.
func (r *Result) Median() time.Duration {
	return r.stat(func(s Sample) float64 { return float64(s.Wall) }, false).d()
}

// MedianCPU is the median CPU time.
func (r *Result) MedianCPU() time.Duration {
	return r.stat(func(s Sample) float64 { return float64(s.CPU) }, false).d()
}

// Objects is the object count of the last run.
func (r *Result) Objects() int {
	if len(r.Samples) == 0 {
		return 0
	}
	return r.Samples[len(r.Samples)-1].Objects
}

// CountOK reports whether every run produced the expected count.
func (r *Result) CountOK() bool {
	if r.Expected == 0 {
		return true
	}
	for _, s := range r.Samples {
		if s.Objects != r.Expected {
			return false
		}
	}
	return true
}

// PerSecond is objects per second in the best run.
func (r *Result) PerSecond() float64 {
	b := r.Best()
	if b <= 0 {
		return 0
	}
	return float64(r.Objects()) / b.Seconds()
}

// AllocPerObject is the median allocated bytes per object; -1 for
// external commands.
func (r *Result) AllocPerObject() float64 {
	return r.perObject(func(s Sample) float64 { return float64(s.AllocBytes) }, func(s Sample) bool { return s.Mallocs > 0 || s.AllocBytes > 0 })
}

// MallocsPerObject is the median number of heap allocations per object;
// -1 for external commands.
func (r *Result) MallocsPerObject() float64 {
	return r.perObject(func(s Sample) float64 { return float64(s.Mallocs) }, func(s Sample) bool { return s.Mallocs > 0 || s.AllocBytes > 0 })
}

// LivePerObject is the median live heap per object while a returned
// collection is held; -1 when nothing is kept.
func (r *Result) LivePerObject() float64 {
	return r.perObject(func(s Sample) float64 { return float64(s.LiveBytes) }, func(s Sample) bool { return s.LiveBytes >= 0 })
}

func (r *Result) perObject(v func(Sample) float64, has func(Sample) bool) float64 {
	var xs []float64
	for _, s := range r.Samples {
		if !has(s) || s.Objects == 0 {
			return -1
		}
		xs = append(xs, v(s)/float64(s.Objects))
	}
	if len(xs) == 0 {
		return -1
	}
	return median(xs)
}

type value float64

func (v value) d() time.Duration { return time.Duration(v) }

func (r *Result) stat(v func(Sample) float64, min bool) value {
	if len(r.Samples) == 0 {
		return 0
	}
	xs := make([]float64, len(r.Samples))
	for i, s := range r.Samples {
		xs[i] = v(s)
	}
	if min {
		return value(slices.Min(xs))
	}
	return value(median(xs))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
