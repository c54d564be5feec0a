//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// Issue 16's targets for an ipdb.Set.
const (
	netnsGoroutineTarget = 3   // per attached namespace
	netnsFDTarget        = 2   // per attached namespace
	netnsIdleTarget      = 1.0 // percent of one core for the whole set
)

// runNetNS is issue 16's benchmark: -n namespaces, each with a veth end
// (its peer in a hub namespace), two addresses and three routes, followed
// by one ipdb.Set: the time to attach them all, memory, goroutines and
// file descriptors per namespace, idle CPU; then namespaces created and
// deleted at -rate per second for -churn while the set is attached:
// nothing missed, nothing leaked.
func runNetNS(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("netns", flag.ContinueOnError)
	n := fs.Int("n", 1000, "namespaces to populate and attach")
	idle := fs.Duration("idle", time.Minute, "idle window for the CPU figure")
	settle := fs.Duration("settle", 70*time.Second, "wait after the attach before the idle window: the periodic refresh backs off from every 2 s to every 64 s over about 62 s")
	rate := fs.Int("rate", 100, "namespaces created (and as many deleted) per second during the churn")
	churn := fs.Duration("churn", 10*time.Second, "how long the churn lasts (0: none)")
	jobs := fs.Int("j", 2, "parallel ip processes while populating")
	memProfile := fs.String("memprofile", "", "write a heap profile after the attach to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the idle window to this file")
	scavenge := fs.Bool("scavenge", true, "return the memory the attach freed to the OS before the idle window (debug.FreeOSMemory)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench netns [flags]\n\nAttaches an ipdb.Set to -n throwaway namespaces (a veth end, 2 addresses and\n3 routes each): attach time, goroutines, fds and memory per namespace, idle CPU;\nthen creates and deletes namespaces at -rate/s while attached.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, func() error {
		return errors.Join(atLeast("n", *n, 1), atLeast("rate", *rate, 1), atLeast("j", *jobs, 1),
			positive("idle", *idle), notNegative("settle", *settle), notNegative("churn", *churn))
	}); err != nil {
		return err
	}
	hub, err := benchns.New(ctx)
	if err != nil {
		return err
	}
	defer hub.Close()
	// Populate.
	t0 := time.Now()
	nss := make([]*benchns.NS, *n)
	for i := range nss {
		if nss[i], err = benchns.New(ctx); err != nil {
			return err
		}
		defer nss[i].Close()
	}
	prefix := strings.TrimSuffix(nss[0].Name, "-1") + "-"
	var lines []string
	for i, ns := range nss {
		lines = append(lines, fmt.Sprintf("link add h%d type veth peer name eth0 netns %s", i, ns.Name), fmt.Sprintf("link set h%d up", i))
	}
	if err := ipBatch(ctx, hub, strings.Join(lines, "\n")+"\n"); err != nil {
		return err
	}
	nsLines := []string{
		"link set eth0 up",
		"addr add 192.0.2.2/24 dev eth0",
		"addr add 2001:db8::2/64 dev eth0 nodad",
		"route add 198.51.100.0/24 via 192.0.2.1",
		"route add 203.0.113.0/24 via 192.0.2.1",
		"route add 2001:db8:1::/48 via 2001:db8::1",
	}
	if err := forEachParallel(ctx, nss, *jobs, func(ns *benchns.NS) error { return ipBatch(ctx, ns, strings.Join(nsLines, "\n")+"\n") }); err != nil {
		return err
	}
	progress("populated %d namespaces in %v", *n, time.Since(t0).Round(time.Millisecond))

	// Attach.
	runtime.GC()
	debug.FreeOSMemory()
	before := footprintNow()
	match := func(name string) bool { return strings.HasPrefix(name, prefix) }
	t1 := time.Now()
	set, err := ipdb.OpenSet(ctx, &ipdb.SetConfig{Match: match})
	if err != nil {
		return err
	}
	defer set.Close()
	if err := waitFor(ctx, 5*time.Minute, func() bool { return len(set.Snapshot().Namespaces()) == *n }); err != nil {
		return fmt.Errorf("attach: %d of %d namespaces synced: %w", len(set.Snapshot().Namespaces()), *n, err)
	}
	attach := time.Since(t1)
	runtime.GC()
	debug.FreeOSMemory()
	after := footprintNow()
	// Check the content: every namespace has eth0 with its addresses
	// and routes.
	ss := set.Snapshot()
	bad := 0
	for _, ns := range ss.Namespaces() {
		l, err := ns.LinkByName("eth0")
		if err != nil {
			bad++
			continue
		}
		addrs, routes := 0, 0
		for a := range ns.AddrsOf(l.Index) {
			if a.Prefix.Addr().String() == "192.0.2.2" || a.Prefix.Addr().String() == "2001:db8::2" {
				addrs++
			}
		}
		for r := range ns.RoutesOf(l.Index) {
			if r.Gateway.IsValid() {
				routes++
			}
		}
		if addrs != 2 || routes != 3 {
			bad++
		}
	}
	per := func(a, b int) float64 { return float64(a-b) / float64(*n) }
	fmt.Printf("netns: %d namespaces, each a veth end, 2 addresses, 3 routes\n", *n)
	fmt.Printf("  attach all (OpenSet to every namespace synced): %v (%.0f namespaces/s)\n", attach.Round(time.Millisecond), float64(*n)/attach.Seconds())
	fmt.Printf("  namespaces with wrong content: %d\n", bad)
	fmt.Printf("  goroutines per namespace: %.2f (target <= %d)\n", per(after.goroutines, before.goroutines), netnsGoroutineTarget)
	fmt.Printf("  file descriptors per namespace: %.2f (target <= %d)\n", per(after.fds, before.fds), netnsFDTarget)
	fmt.Printf("  Go heap per namespace: %.1f KiB; RSS per namespace: %.1f KiB\n", per(int(after.heap), int(before.heap))/1024, per(int(after.rss), int(before.rss))/1024)

	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		pprof.WriteHeapProfile(f)
		f.Close()
	}

	// Idle. The populate and attach phases leave the runtime with freed
	// memory that its background scavenger returns to the OS at about 1 %
	// of a core until done (minutes for a 1,000-namespace attach): a
	// one-off of the start, not the steady idle cost, so it is returned
	// before the window (-scavenge=false keeps it in).
	time.Sleep(*settle)
	if *scavenge {
		debug.FreeOSMemory()
	}
	rev0 := set.Revision()
	st0 := setStats(set)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
	}
	cpu0, w0 := processCPUTime(), time.Now()
	select {
	case <-time.After(*idle):
	case <-ctx.Done():
		return ctx.Err()
	}
	cpu, wall := processCPUTime()-cpu0, time.Since(w0)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	share := cpu.Seconds() / wall.Seconds() * 100
	st1 := setStats(set)
	if chs, _, _, err := set.ChangesSince(rev0, 0); err == nil && len(chs) > 0 {
		kinds := map[string]int{}
		for _, c := range chs {
			kinds[fmt.Sprintf("%v %v", c.Change.Op, c.Change.Kind)]++
		}
		fmt.Printf("  changes during the idle window: %v; first: old %v new %v\n", kinds, chs[0].Change.Old, chs[0].Change.New)
	}
	fmt.Printf("  during the idle window, all databases together: %d notifications in %d batches, %d re-reads, %d resyncs\n",
		st1.Events-st0.Events, st1.Batches-st0.Batches, st1.Reconciles-st0.Reconciles, st1.Resyncs-st0.Resyncs)
	fmt.Printf("  idle CPU over %v, %v after the attach: %.2f %% of one core = %.0f ms CPU per minute (target < %.0f %%); set revisions meanwhile: %d\n",
		*idle, *settle, share, share*600, netnsIdleTarget, set.Revision()-rev0)

	if *churn > 0 {
		if err := netnsChurn(ctx, set, prefix, *n, *rate, *churn); err != nil {
			return err
		}
	}
	return nil
}

// netnsChurn creates a namespace and deletes the one created half a
// second earlier, rate times a second for d (on 4 workers), then deletes
// the rest once they are attached, and
// checks that the set attached and detached every one and that the
// goroutines and file descriptors are back where they were.
func netnsChurn(ctx context.Context, set *ipdb.Set, prefix string, n, rate int, d time.Duration) error {
	runtime.GC()
	runtime.GC()
	before := footprintNow()
	rev0 := set.Revision()
	// Creating a namespace takes the kernel several milliseconds (more
	// under load), so -j workers share the rate: each creates one
	// namespace and deletes the one it created lag ticks before.
	const workers = 4
	lag := max(1, rate/2/workers)
	var (
		mu               sync.Mutex
		created, deleted int
		errs             []error
		left             []string
	)
	t0 := time.Now()
	end := t0.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var live []string
			tick := time.NewTicker(time.Second * workers / time.Duration(rate))
			defer tick.Stop()
			for i := 0; time.Now().Before(end); i++ {
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
				name := fmt.Sprintf("%schurn-%d-%d", prefix, w, i)
				err := netlink.AddNetNS(name)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				created++
				mu.Unlock()
				live = append(live, name)
				if len(live) > lag {
					err := netlink.DeleteNetNS(live[0])
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					}
					deleted++
					mu.Unlock()
					live = live[1:]
				}
			}
			mu.Lock()
			left = append(left, live...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(t0)
	// Let the last ones attach, then delete them.
	waitFor(ctx, 5*time.Second, func() bool { return len(set.Namespaces()) == n+len(left) })
	for _, name := range left {
		if err := netlink.DeleteNetNS(name); err != nil {
			errs = append(errs, err)
		}
		deleted++
	}
	if err := waitFor(ctx, time.Minute, func() bool { return len(set.Namespaces()) == n }); err != nil {
		errs = append(errs, fmt.Errorf("after the churn %d namespaces attached, want %d", len(set.Namespaces()), n))
	}
	// Count the feed's attach and detach entries of churned namespaces.
	attached, detached := map[string]bool{}, map[string]bool{}
	changes, _, _, err := set.ChangesSince(rev0, 0)
	if err != nil {
		errs = append(errs, err)
	}
	for _, c := range changes {
		if !strings.HasPrefix(c.NS.Name, prefix+"churn-") {
			continue
		}
		switch c.Op {
		case ipdb.SetAttached:
			attached[c.NS.Name] = true
		case ipdb.SetDetached:
			detached[c.NS.Name] = true
		}
	}
	runtime.GC()
	runtime.GC() // the second empties sync.Pool's victim cache
	var after footprint
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		after = footprintNow()
		if after.goroutines <= before.goroutines && after.fds <= before.fds || time.Now().After(end) {
			break
		}
	}
	fmt.Printf("  churn: %d namespaces created and %d deleted in %v (%.0f/s each) while attached\n", created, deleted, took.Round(time.Millisecond), float64(created)/took.Seconds())
	fmt.Printf("  churn: attached %d of %d, detached %d of %d (a namespace deleted before its database synced has no entry: %d)\n",
		len(attached), created, len(detached), deleted, created-len(attached))
	fmt.Printf("  churn: goroutines %d -> %d, file descriptors %d -> %d, Go heap %.1f -> %.1f MiB\n",
		before.goroutines, after.goroutines, before.fds, after.fds, float64(before.heap)/(1<<20), float64(after.heap)/(1<<20))
	if after.goroutines > before.goroutines || after.fds > before.fds {
		errs = append(errs, fmt.Errorf("churn leaked: goroutines %d -> %d, fds %d -> %d", before.goroutines, after.goroutines, before.fds, after.fds))
	}
	if len(detached) != len(attached) {
		errs = append(errs, fmt.Errorf("churn: %d attached but %d detached", len(attached), len(detached)))
	}
	return errors.Join(errs...)
}

// setStats sums the counters of every database of set.
func setStats(set *ipdb.Set) ipdb.Stats {
	var sum ipdb.Stats
	for _, ns := range set.Namespaces() {
		db, ok := set.DB(ns.Name)
		if !ok {
			continue
		}
		st := db.Stats()
		sum.Events += st.Events
		sum.Batches += st.Batches
		sum.Reconciles += st.Reconciles
		sum.Resyncs += st.Resyncs
	}
	return sum
}

type footprint struct {
	goroutines, fds int
	heap, rss       uint64
}

func footprintNow() footprint {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, _ := os.ReadDir("/proc/self/fd")
	return footprint{goroutines: runtime.NumGoroutine(), fds: len(fds), heap: ms.HeapAlloc, rss: vmRSS()}
}

// vmRSS reads VmRSS from /proc/self/status, in bytes.
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb uint64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}

func forEachParallel(ctx context.Context, nss []*benchns.NS, jobs int, fn func(*benchns.NS) error) error {
	work := make(chan *benchns.NS)
	errc := make(chan error, jobs)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for ns := range work {
				if err := fn(ns); err != nil && first == nil {
					first = err
				}
			}
			errc <- first
		}()
	}
	for _, ns := range nss {
		select {
		case work <- ns:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			return errors.New("timeout")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
