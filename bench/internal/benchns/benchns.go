//go:build linux

// Package benchns gives a benchmark its own throwaway network namespace,
// wired like a small router, and fills it with routes through iproute2.
//
// The namespace is unshared on a goroutine whose OS thread stays locked and
// is then discarded, so no thread of the benchmark process ever runs in it;
// it is bind-mounted at /run/netns/NAME, where `ip -n NAME` and every
// netlink library under test find it. Close unmounts and removes it;
// CloseAll does that for every namespace still open, for signal handlers.
//
// Only documentation prefixes are used for addresses and gateways
// (192.0.2.0/24); route destinations come from 10.0.0.0/8 and are never
// used to send anything. No packet is sent.
package benchns

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Setup of the namespace: a veth pair b0/b1, both up, 192.0.2.1/24 on b0;
// loaded routes go via Gateway on Dev.
const (
	Dev     = "b0"
	Peer    = "b1"
	Addr    = "192.0.2.1/24"
	Gateway = "192.0.2.2"
)

// Base is where loaded route destinations start.
var Base = netip.MustParsePrefix("10.0.0.0/8")

// NS is a throwaway network namespace.
type NS struct {
	// Name is the name under /run/netns, for `ip -n` and
	// netlink.Config.NetNS.
	Name string
	// Path is /run/netns/Name.
	Path string

	once sync.Once
	err  error
}

var (
	// mu guards open.
	mu   sync.Mutex
	open = map[*NS]struct{}{}
	// made counts namespaces created, for unique names; guarded by mu.
	made int
)

// New creates a namespace named ipdb-bench-PID (with a suffix for the
// second and later one) and brings lo up. It needs root.
func New(ctx context.Context) (*NS, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("benchns: creating a network namespace needs root (euid %d)", os.Geteuid())
	}
	mu.Lock()
	name := fmt.Sprintf("ipdb-bench-%d", os.Getpid())
	if made > 0 {
		name = fmt.Sprintf("%s-%d", name, made)
	}
	made++
	ns := &NS{Name: name, Path: filepath.Join("/run/netns", name)}
	// Registered before it exists, so that a signal arriving during
	// creation still cleans up.
	open[ns] = struct{}{}
	mu.Unlock()
	if err := create(ns.Path); err != nil {
		ns.Close()
		return nil, err
	}
	if err := ns.IP(ctx, "link", "set", "lo", "up"); err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// create makes a new network namespace and binds it at path, on a thread
// that is thrown away afterwards.
func create(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return fmt.Errorf("benchns: %w", err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("benchns: unshare: %w", err)
			return
		}
		// Benchmarks send no packets: no router solicitations on the
		// links that come up (they would also make the kernel create
		// neighbour entries without a notification, all through a run
		// meant to be idle).
		for _, conf := range []string{"all", "default"} {
			p := "/proc/sys/net/ipv6/conf/" + conf + "/router_solicitations"
			if err := os.WriteFile(p, []byte("0"), 0); err != nil {
				errc <- fmt.Errorf("benchns: %s: %w", p, err)
				return
			}
		}
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("benchns: bind %s: %w", path, err)
			return
		}
		errc <- nil
	}()
	return <-errc
}

// Close unmounts and removes the namespace. The kernel frees it once the
// last socket in it is closed. Close is idempotent.
func (ns *NS) Close() error {
	ns.once.Do(func() {
		err := unix.Unmount(ns.Path, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			err = nil // never mounted
		}
		if rerr := os.Remove(ns.Path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
		if err != nil {
			ns.err = fmt.Errorf("benchns: remove %s: %w", ns.Name, err)
		}
		mu.Lock()
		delete(open, ns)
		mu.Unlock()
	})
	return ns.err
}

// CloseAll closes every namespace this process created and has not closed
// yet. It is safe to call from a signal handler goroutine.
func CloseAll() error {
	mu.Lock()
	all := make([]*NS, 0, len(open))
	for ns := range open {
		all = append(all, ns)
	}
	mu.Unlock()
	var errs []error
	for _, ns := range all {
		errs = append(errs, ns.Close())
	}
	return errors.Join(errs...)
}

// IP runs `ip -n NAME args...` and returns an error with ip's stderr if it
// fails.
func (ns *NS) IP(ctx context.Context, args ...string) error {
	_, err := ns.IPOutput(ctx, args...)
	return err
}

// IPOutput runs `ip -n NAME args...` and returns its standard output.
func (ns *NS) IPOutput(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"-n", ns.Name}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ip -n %s %s: %w: %s", ns.Name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Command returns an unstarted `ip -n NAME args...`, for callers that time
// it or redirect its output themselves.
func (ns *NS) Command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"-n", ns.Name}, args...)...)
}

// SetupVeth adds the veth pair Dev/Peer, brings both up and puts Addr on
// Dev, so that Gateway is on a connected subnet.
func (ns *NS) SetupVeth(ctx context.Context) error {
	for _, args := range [][]string{
		{"link", "add", Dev, "type", "veth", "peer", "name", Peer},
		{"link", "set", Dev, "up"},
		{"link", "set", Peer, "up"},
		{"addr", "add", Addr, "dev", Dev},
	} {
		if err := ns.IP(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// LoadStats says how loading routes went.
type LoadStats struct {
	Routes   int
	Duration time.Duration
}

// PerSecond is the load rate in routes per second.
func (s LoadStats) PerSecond() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Routes) / s.Duration.Seconds()
}

// RouteDst returns the destination of the i-th loaded route: consecutive
// prefixes of length bits from Base.
func RouteDst(i int, bits int) netip.Prefix {
	a := Base.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(i) << (32 - bits)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
}

// MaxRoutes is how many distinct prefixes of length bits fit in Base.
func MaxRoutes(bits int) int {
	if bits < Base.Bits() || bits > 32 {
		return 0
	}
	return 1 << (bits - Base.Bits())
}

// LoadRoutes adds n IPv4 routes to the main table, `route add DST via
// Gateway dev Dev`, by piping them to `ip -n NAME -batch -`, and reports
// how long that took. SetupVeth must have run.
func (ns *NS) LoadRoutes(ctx context.Context, n, bits int) (LoadStats, error) {
	if n > MaxRoutes(bits) {
		return LoadStats{}, fmt.Errorf("benchns: %d routes of length /%d do not fit in %v (at most %d)", n, bits, Base, MaxRoutes(bits))
	}
	cmd := ns.Command(ctx, "-batch", "-")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return LoadStats{}, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return LoadStats{}, err
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	var werr error
	buf := make([]byte, 0, 96)
	for i := 0; i < n && werr == nil; i++ {
		buf = append(buf[:0], "route add "...)
		buf = RouteDst(i, bits).AppendTo(buf)
		buf = append(buf, " via "+Gateway+" dev "+Dev+"\n"...)
		_, werr = w.Write(buf)
	}
	if werr == nil {
		werr = w.Flush()
	}
	stdin.Close()
	err = cmd.Wait()
	d := time.Since(start)
	if err != nil {
		return LoadStats{}, fmt.Errorf("ip -n %s -batch -: %w: %s", ns.Name, err, strings.TrimSpace(stderr.String()))
	}
	if werr != nil {
		return LoadStats{}, fmt.Errorf("ip -n %s -batch -: writing commands: %w", ns.Name, werr)
	}
	return LoadStats{Routes: n, Duration: d}, nil
}

// CountRoutes counts the IPv4 routes `ip -4 route show` prints for table
// ("main", "all", ...): one line per route, as no loaded route is
// multipath.
func (ns *NS) CountRoutes(ctx context.Context, table string) (int, error) {
	cmd := ns.Command(ctx, "-4", "route", "show", "table", table)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	n := 0
	atStart := true
	r := bufio.NewReaderSize(out, 1<<20)
	for {
		line, err := r.ReadSlice('\n')
		if atStart && len(line) > 0 && line[0] != ' ' && line[0] != '\t' {
			n++ // a continuation line (multipath nexthop) starts with blanks
		}
		atStart = err == nil
		if err != nil && err != bufio.ErrBufferFull {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("ip -n %s -4 route show table %s: %w: %s", ns.Name, table, err, strings.TrimSpace(stderr.String()))
	}
	return n, nil
}
