//go:build linux

package netlink

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"golang.org/x/sys/unix"
)

// rawLinkRequest builds an RTM_NEWLINK/DELLINK request by hand, so that these
// tests of the Conn core do not depend on the Link encoder.
func rawLinkRequest(v Verb, name, kind string) Request {
	return newRequest(v, KindLink, "link "+name, func() ([]byte, error) {
		b := make([]byte, 16) // struct ifinfomsg, all zero
		b = appendAttr(b, unix.IFLA_IFNAME, append([]byte(name), 0))
		if kind != "" {
			info := appendAttr(nil, unix.IFLA_INFO_KIND, []byte(kind))
			b = appendAttr(b, unix.IFLA_LINKINFO|unix.NLA_F_NESTED, info)
		}
		return b, nil
	})
}

func appendAttr(b []byte, typ uint16, data []byte) []byte {
	var h [4]byte
	binary.NativeEndian.PutUint16(h[0:2], uint16(4+len(data)))
	binary.NativeEndian.PutUint16(h[2:4], typ)
	b = append(b, h[:]...)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// linkCount dumps links with the raw dump helper.
// linkCount counts the links of c's namespace, without the kernel's
// fallback tunnel devices (nstest.FallbackLinks).
func linkCount(t *testing.T, c *Conn) int {
	t.Helper()
	n := 0
	err := c.dump(context.Background(), "link", KindLink.row().getType, make([]byte, 16), func() { n = 0 }, func(b []byte) error {
		u, err := DecodeUpdate(unix.RTM_NEWLINK, 0, b)
		if err != nil {
			return err
		}
		if !nstest.IsFallbackLink(u.Object.(*Link).Name) {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func dialNS(t *testing.T, ns *nstest.NS, cfg Config) *Conn {
	t.Helper()
	cfg.NetNS = ns.Name
	c, err := Dial(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDialNamespace(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "br-dial", "type", "bridge")
		byName := dialNS(t, ns, Config{})
		if got := linkCount(t, byName); got != 2 {
			t.Fatalf("by name: %d links, want lo and br-dial", got)
		}
		byPath, err := Dial(&Config{NetNS: ns.Path})
		if err != nil {
			t.Fatal(err)
		}
		defer byPath.Close()
		if got := linkCount(t, byPath); got != 2 {
			t.Fatalf("by path: %d links, want 2", got)
		}
		f, err := os.Open(ns.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		byFD, err := Dial(&Config{NetNSFD: int(f.Fd())})
		if err != nil {
			t.Fatal(err)
		}
		defer byFD.Close()
		if got := linkCount(t, byFD); got != 2 {
			t.Fatalf("by fd: %d links, want 2", got)
		}
		if !byFD.StrictCheck() {
			t.Error("this kernel supports NETLINK_GET_STRICT_CHK but the Conn did not enable it")
		}
		if err := byFD.Close(); err != nil {
			t.Fatal(err)
		}
		if err := byFD.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := byFD.dump(context.Background(), "link", KindLink.row().getType, make([]byte, 16), nil, func([]byte) error { return nil }); !errors.Is(err, ErrClosed) {
			t.Fatalf("dump on closed Conn: %v, want ErrClosed", err)
		}
	})
}

func TestDialMissingNamespace(t *testing.T) {
	_, err := Dial(&Config{NetNS: "ipdb-no-such-namespace"})
	var oe *OpError
	if !errors.As(err, &oe) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Dial of a missing namespace: %v, want an *OpError wrapping ENOENT", err)
	}
}

func TestDoReportsErrnoAndExtack(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := dialNS(t, ns, Config{})
		ctx := context.Background()
		if err := c.Do(ctx, rawLinkRequest(Add, "br-do", "bridge")); err != nil {
			t.Fatal(err)
		}
		err := c.Do(ctx, rawLinkRequest(Add, "br-do", "bridge"))
		if !errors.Is(err, unix.EEXIST) {
			t.Fatalf("second add: %v, want EEXIST", err)
		}
		err = c.Do(ctx, rawLinkRequest(Add, "x-do", "no-such-kind"))
		var oe *OpError
		if !errors.As(err, &oe) || oe.Err == nil || oe.Op != "add" || oe.Object != "link x-do" {
			t.Fatalf("unknown kind: %#v", err)
		}
		if oe.Message == "" {
			t.Errorf("no extended ACK text in %v", err)
		}
		t.Log(err)
	})
}

func TestPipelineMatchesEachAck(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := dialNS(t, ns, Config{ReadBuffer: 64 << 10}) // small window: several rounds
		var ops []Request
		for i := range 300 {
			ops = append(ops, rawLinkRequest(Add, fmt.Sprintf("br%d", i), "ifb"))
		}
		ops[7] = rawLinkRequest(Add, "br3", "ifb")      // duplicate of an earlier one
		ops[250] = rawLinkRequest(Delete, "nosuch", "") // missing
		ops[299] = rawLinkRequest(Add, "br298", "ifb")  // duplicate within the last round
		errs := c.Pipeline(context.Background(), ops)
		if len(errs) != len(ops) {
			t.Fatalf("got %d errors for %d ops", len(errs), len(ops))
		}
		for i, err := range errs {
			switch i {
			case 7, 299:
				if !errors.Is(err, unix.EEXIST) {
					t.Errorf("op %d: %v, want EEXIST", i, err)
				}
			case 250:
				if !errors.Is(err, unix.ENODEV) {
					t.Errorf("op %d: %v, want ENODEV", i, err)
				}
			default:
				if err != nil {
					t.Errorf("op %d: %v", i, err)
				}
			}
		}
		if got := linkCount(t, c); got != 1+297 {
			t.Fatalf("%d links after the pipeline, want 298", got)
		}
	})
}

func TestPipelineInvalidSendsNothing(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := dialNS(t, ns, Config{})
		bad := newRequest(Add, KindLink, "link bad", func() ([]byte, error) {
			return nil, invalidf("name too long")
		})
		errs := c.Pipeline(context.Background(), []Request{rawLinkRequest(Add, "br-a", "bridge"), bad})
		if !errors.Is(errs[0], ErrNotSent) || !errors.Is(errs[1], ErrInvalid) {
			t.Fatalf("errors %v, want ErrNotSent and ErrInvalid", errs)
		}
		if got := linkCount(t, c); got != 1 {
			t.Fatalf("%d links: an invalid batch sent something", got)
		}
	})
}

func TestCancelledDumpLeavesConnUsable(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		var lines []string
		for i := range 400 {
			lines = append(lines, fmt.Sprintf("link add br%d type ifb", i))
		}
		ns.Batch(lines...)
		c := dialNS(t, ns, Config{})
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := c.dump(ctx, "link", KindLink.row().getType, make([]byte, 16), nil, func([]byte) error {
			if n++; n == 10 {
				cancel()
				time.Sleep(10 * time.Millisecond) // let the deadline land mid-dump
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled dump: %v (after %d links), want context.Canceled", err, n)
		}
		if got := linkCount(t, c); got != 401 {
			t.Fatalf("dump after a cancelled one: %d links, want 401", got)
		}
	})
}

func TestForeignSenderDropped(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		l := dialNS(t, ns, Config{Groups: GroupLink})
		// A second userspace socket in the same namespace forges an
		// RTM_DELLINK and sends it straight to the listener's port id.
		err := ns.Do(func() error {
			fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
				return err
			}
			body := appendAttr(make([]byte, 16), unix.IFLA_IFNAME, []byte("forged\x00"))
			msg := make([]byte, headerLen+len(body))
			putHeader(msg, header{Len: uint32(len(msg)), Type: unix.RTM_DELLINK})
			copy(msg[headerLen:], body)
			return unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: l.PID()})
		})
		if err != nil {
			t.Fatal(err)
		}
		ns.IP("link", "add", "br-real", "type", "bridge")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var got []Update
		for len(got) == 0 {
			err := l.ReceiveUpdates(ctx, 0, func(u Update) error {
				got = append(got, u)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, u := range got {
			if u.Type != unix.RTM_NEWLINK {
				t.Errorf("delivered an update of type %d: the forged message got through", u.Type)
			}
		}
		if n := l.ForeignDropped(); n != 1 {
			t.Fatalf("ForeignDropped = %d, want 1", n)
		}
	})
}

func TestReceiveOverflowIsENOBUFS(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		l := dialNS(t, ns, Config{Groups: GroupLink, ReadBuffer: 4096})
		var lines []string
		for i := range 500 {
			lines = append(lines, fmt.Sprintf("link add br%d type ifb", i))
		}
		ns.Batch(lines...)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			err := l.ReceiveUpdates(ctx, 0, func(Update) error { return nil })
			if errors.Is(err, unix.ENOBUFS) {
				return
			}
			if err != nil {
				t.Fatalf("want ENOBUFS after a burst into a tiny buffer, got %v", err)
			}
		}
	})
}

func TestCloseUnblocksReceive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		l := dialNS(t, ns, Config{Groups: GroupAll})
		done := make(chan error, 1)
		go func() {
			done <- l.ReceiveUpdates(context.Background(), 0, func(Update) error { return nil })
		}()
		time.Sleep(20 * time.Millisecond)
		l.Close()
		select {
		case err := <-done:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("receive after Close: %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not unblock ReceiveUpdates")
		}
	})
}

// TestDialOwnNamespaceUnprivileged: a process without CAP_SYS_ADMIN over
// its network namespace (root of a user namespace of its own, as an
// ordinary user's process is) can dial its own namespace by path, as it
// can without one: there is nothing to enter.
func TestDialOwnNamespaceUnprivileged(t *testing.T) {
	if os.Getenv("IPDB_TEST_DIAL_OWN") != "" {
		// Only opens a socket and closes it: nothing in the namespace
		// changes.
		c, err := Dial(&Config{NetNS: "/proc/self/ns/net"})
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(3)
		}
		c.Close()
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDialOwnNamespaceUnprivileged$", "-test.count=1")
	cmd.Env = append(os.Environ(), "IPDB_TEST_DIAL_OWN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dialing its own namespace by path in a user namespace of its own: %v\n%s", err, out)
	}
}
