//go:build linux

// Package nstest gives each test its own throwaway network namespace, so
// that no test touches the host's network state, and wraps iproute2 as the
// independent oracle that tests compare against.
//
// As root, New unshares a new namespace on a dedicated, locked OS thread
// (which is then discarded) and bind-mounts it at /run/netns/NAME, where
// both netlink.Config.NetNS and `ip -n NAME` find it. As non-root, Run
// re-executes the test binary for that one test inside a new user, network
// and mount namespace, where it is root; it skips with the reason only where
// neither works.
//
// In that child the whole top-level test runs again, so a Run closure must
// not hand results to code outside it through variables: the parent
// process never sees them. Put everything that needs the namespace inside
// the closure, and make further namespaces there with New.
//
// iproute2 installs bridge and tc in /usr/sbin, which is not on a normal
// user's PATH; this package adds /usr/sbin and /sbin to PATH when they are
// missing, so that the tests find the oracle wherever iproute2 put it.
package nstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const childEnv = "IPDB_NSTEST_CHILD"

// NS is a throwaway network namespace.
type NS struct {
	// Name is the namespace's name under /run/netns: pass it to `ip -n` and
	// to netlink.Config.NetNS.
	Name string
	// Path is /run/netns/Name.
	Path string

	t testing.TB
}

var counter atomic.Uint32

func init() {
	path := os.Getenv("PATH")
	dirs := filepath.SplitList(path)
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if !slices.Contains(dirs, d) {
			path += string(filepath.ListSeparator) + d
		}
	}
	os.Setenv("PATH", path)
}

// Run runs fn with a fresh namespace. As non-root it re-executes this test
// in a user namespace (see the package doc) and reports that run's outcome.
func Run(t *testing.T, fn func(t *testing.T, ns *NS)) {
	t.Helper()
	if os.Geteuid() != 0 && os.Getenv(childEnv) == "" {
		reexec(t)
		return
	}
	fn(t, New(t))
}

// New returns a fresh namespace that is removed when the test ends. It
// needs root (or to run inside Run's re-executed child); otherwise the test
// is skipped with the reason.
func New(t testing.TB) *NS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("creating a network namespace needs root or nstest.Run (euid %d)", os.Geteuid())
	}
	prepareChild(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("iproute2's ip, the tests' oracle, is missing: %v", err)
	}
	name := fmt.Sprintf("ipdbtest-%d-%d", os.Getpid(), counter.Add(1))
	path := filepath.Join("/run/netns", name)
	if err := create(path); err != nil {
		t.Skipf("cannot create a network namespace: %v", err)
	}
	ns := &NS{Name: name, Path: path, t: t}
	t.Cleanup(func() {
		if err := unix.Unmount(path, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", path, err)
		}
		os.Remove(path)
	})
	return ns
}

// create makes a new network namespace and binds it at path. The work runs
// on a goroutine that keeps its OS thread locked and exits, so the thread
// that entered the new namespace is thrown away and never reused.
func create(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with us
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		if err := quietIPv6(); err != nil {
			errc <- err
			return
		}
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind %s: %w", path, err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// quietIPv6 stops the calling thread's new namespace from sending router
// solicitations on links that come up (net.ipv6.conf.default.
// router_solicitations = 0; /proc/sys/net is the opener's namespace). Tests
// send no packets, and the kernel keeps soliciting with a back-off for as
// long as a link is up (rtr_solicits -1 since Linux 4.9): each solicitation
// creates an ff02::2 NOARP neighbour without RTM_NEWNEIGH, which a cache
// learns only from its next dump, as an event in what the test takes for a
// quiet period.
func quietIPv6() error {
	for _, conf := range []string{"all", "default"} {
		p := "/proc/sys/net/ipv6/conf/" + conf + "/router_solicitations"
		if err := os.WriteFile(p, []byte("0"), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// Do runs fn on an OS thread that is inside the namespace, for the few
// things that need it (tun/tap creation through /dev/net/tun). The thread is
// discarded afterwards.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(ns.Path)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// IP runs `ip -n NAME args...` and fails the test if it fails.
func (ns *NS) IP(args ...string) string {
	ns.t.Helper()
	out, err := ns.IPErr(args...)
	if err != nil {
		ns.t.Fatal(err)
	}
	return out
}

// IPErr runs `ip -n NAME args...` and returns its output.
func (ns *NS) IPErr(args ...string) (string, error) {
	cmd := exec.Command("ip", append([]string{"-n", ns.Name}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// IPJSON runs `ip -j -n NAME args...` and decodes its output into v.
func (ns *NS) IPJSON(v any, args ...string) {
	ns.t.Helper()
	out := ns.IP(append([]string{"-j"}, args...)...)
	if strings.TrimSpace(out) == "" {
		out = "[]"
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		ns.t.Fatalf("ip -j %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Ifindex returns the index of the link named name, as ip reports it, and
// fails the test if there is no such link.
func (ns *NS) Ifindex(name string) int {
	ns.t.Helper()
	var links []struct {
		Ifindex int `json:"ifindex"`
	}
	ns.IPJSON(&links, "link", "show", "dev", name)
	if len(links) != 1 {
		ns.t.Fatalf("ip link show dev %s: %d links", name, len(links))
	}
	return links[0].Ifindex
}

// Batch feeds lines to `ip -n NAME -batch -` and fails the test if any
// fails.
func (ns *NS) Batch(lines ...string) {
	ns.t.Helper()
	cmd := exec.Command("ip", "-n", ns.Name, "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		ns.t.Fatalf("ip -batch: %v: %s", err, out)
	}
}

// HaveKind reports whether the kernel can create links of kind, by trying
// in ns with the kind's required options in args (vxlan needs "id", "1");
// when it cannot, the error is the kernel's answer.
func (ns *NS) HaveKind(kind string, args ...string) error {
	probe := "probe" + fmt.Sprint(counter.Add(1))
	if _, err := ns.IPErr(append([]string{"link", "add", probe, "type", kind}, args...)...); err != nil {
		return err
	}
	_, _ = ns.IPErr("link", "del", probe)
	return nil
}

var childOnce sync.Once

// prepareChild gives a re-executed child its own /run/netns (in the
// child's private mount namespace, a tmpfs there is invisible to the host)
// and brings up loopback in the child's own network namespace, where a
// test's servers listen on 127.0.0.1 as they would on the host's.
func prepareChild(t testing.TB) {
	if os.Getenv(childEnv) == "" {
		return
	}
	childOnce.Do(func() {
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			t.Logf("make / private: %v", err)
		}
		// A fresh host may have no /run/netns yet (ip creates it at the
		// first "ip netns add"), and the child's root cannot create it in
		// the host's /run: then a tmpfs on /run, private to the child
		// too, holds it.
		if err := os.MkdirAll("/run/netns", 0o755); err != nil {
			if err := unix.Mount("tmpfs", "/run", "tmpfs", 0, ""); err != nil {
				t.Logf("tmpfs on /run: %v", err)
			}
			os.MkdirAll("/run/netns", 0o755)
		}
		if err := unix.Mount("tmpfs", "/run/netns", "tmpfs", 0, ""); err != nil {
			t.Logf("tmpfs on /run/netns: %v", err)
		}
		if err := loopbackUp(); err != nil {
			t.Logf("loopback up in the child's namespace: %v", err)
		}
	})
}

// loopbackUp sets IFF_UP on lo in the calling thread's network namespace
// (the same for every thread of a re-executed child).
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// UIDRange returns a range of at least two user ids that this process's
// user namespace maps, for rules with a uidrange selector: the kernel
// refuses ids the namespace does not map (make_kuid, EINVAL). As root in
// the initial namespace it is 100-200; in Run's re-executed child, which
// maps only its own uid as 0, it is 0-0.
func UIDRange() (start, end uint32) {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var inside, outside, n uint64
		if _, err := fmt.Sscan(line, &inside, &outside, &n); err != nil {
			continue
		}
		if inside <= 100 && inside+n > 200 {
			return 100, 200
		}
	}
	return 0, 0
}

// InInitialUserNS reports whether this process runs in the initial user
// namespace (its uid_map maps every id to itself), where root has the
// capabilities that only it can hold (CAP_BPF, CAP_SYS_ADMIN over the
// whole host); Run's re-executed child, as a normal user, does not.
func InInitialUserNS() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(data))
	return len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
}

// reexec runs the current test again in a new user+net+mount namespace.
func reexec(t *testing.T) {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWNET | unix.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Skipf("not root, and cannot create a user namespace to run in: %v", err)
		}
		t.Fatalf("test failed in a user namespace:\n%s", out)
	}
	if bytes.Contains(out, []byte("--- SKIP")) && !bytes.Contains(out, []byte("--- PASS")) {
		t.Skipf("skipped in a user namespace:\n%s", out)
	}
	t.Logf("ran in a user namespace:\n%s", out)
}

// NeedTun skips the test, with the reason, when this process cannot open
// /dev/net/tun: the device is usually mode 0600 and owned by the initial
// namespace's root, so a user namespace's root cannot create tun/tap links.
func NeedTun(t testing.TB) {
	t.Helper()
	if err := CanTun(); err != nil {
		t.Skipf("cannot open /dev/net/tun (tun/tap links need it): %v", err)
	}
}

// CanTun returns nil if this process can open /dev/net/tun, and the
// error otherwise (see NeedTun).
func CanTun() error {
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// Eventually calls check until it returns nil, at most for timeout, and
// returns check's last error. It is for comparisons of two reads of the
// kernel (the library's and ip's) that can see two moments of a state the
// kernel changes after the fact: linkwatch sets a new link's operstate and
// carrier flags up to a second after the change that caused them
// (net/core/link_watch.c), routes and addresses expire, the IPv6 stack
// adds link-local addresses and routes when a link comes up. check must
// read both sides again on every call.
func Eventually(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// FallbackLinks are the devices the kernel creates in every new network
// namespace once a tunnel module is loaded, unless the sysctl
// net.core.fb_tunnels_only_for_init_net is 1: ip_gre's gre0, gretap0 and
// erspan0, ipip's tunl0, sit's sit0, ip6_tunnel's ip6tnl0, ip6_gre's
// ip6gre0, ip_vti's ip_vti0 and ip6_vti's ip6_vti0. They are down and
// cannot be moved to another namespace. A namespace made by New holds lo
// and any of these; tests that count links must allow for them.
var FallbackLinks = []string{"gre0", "gretap0", "erspan0", "tunl0", "sit0", "ip6tnl0", "ip6gre0", "ip_vti0", "ip6_vti0"}

// IsFallbackLink reports whether name is one of FallbackLinks.
func IsFallbackLink(name string) bool { return slices.Contains(FallbackLinks, name) }

// AllKindsEnv is the environment variable that says the kernel has every
// link kind the tests use (.ci/vm/run.sh sets it in its guest): then a
// kind the kernel lacks fails the test instead of skipping it.
const AllKindsEnv = "IPDB_TEST_ALL_KINDS"

// LacksKind ends the test because the kernel has no links of kind (err is
// the kernel's answer): a skip with the reason, or a failure where
// AllKindsEnv is set.
func LacksKind(t testing.TB, kind string, err error) {
	t.Helper()
	if os.Getenv(AllKindsEnv) != "" {
		t.Fatalf("this kernel lacks %s links (%v), but %s is set", kind, err, AllKindsEnv)
	}
	t.Skipf("this kernel lacks %s links: %v", kind, err)
}

// NeedKind ends the test through LacksKind unless the kernel can create
// links of kind in ns (see HaveKind; args are the kind's required
// options).
func (ns *NS) NeedKind(t testing.TB, kind string, args ...string) {
	t.Helper()
	if err := ns.HaveKind(kind, args...); err != nil {
		LacksKind(t, kind, err)
	}
}

// SettleIPv6 waits, for at most timeout, until no IPv6 address in the
// namespace is tentative: until duplicate address detection has finished,
// the kernel has not yet added the address's local route
// (addrconf_dad_completed in net/ipv6/addrconf.c), so a picture of the
// namespace taken earlier lacks routes that appear by themselves later.
// It fails the test if they are still tentative at the end.
func (ns *NS) SettleIPv6(timeout time.Duration) {
	ns.t.Helper()
	err := Eventually(timeout, func() error {
		out, err := ns.IPErr("-6", "addr", "show", "tentative")
		if err != nil {
			return err
		}
		if strings.TrimSpace(out) != "" {
			return fmt.Errorf("tentative IPv6 addresses after %v:\n%s", timeout, out)
		}
		return nil
	})
	if err != nil {
		ns.t.Fatal(err)
	}
}
