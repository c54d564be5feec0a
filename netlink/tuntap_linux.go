//go:build linux

package netlink

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// CreateTuntap creates a persistent tun or tap device named name in the
// network namespace netns (a name under /run/netns or a path such as
// /proc/PID/ns/net; empty for the caller's namespace), as `ip tuntap add`
// does. The kernel cannot create these devices through rtnetlink, so
// LinkAdd refuses kind "tun"; this opens /dev/net/tun and uses the
// TUNSETIFF, TUNSETOWNER, TUNSETGROUP and TUNSETPERSIST ioctls.
//
// d.Type (TunType or TapType) is required; d.PI, d.VnetHdr, d.MultiQueue,
// d.Owner and d.Group are applied; the device is always made persistent
// (d.Persist is ignored), since otherwise it would vanish when this
// function returns. Change or delete it afterwards with LinkSet and LinkDel
// like any link.
//
// To enter the namespace, the work runs on a new goroutine whose OS thread
// is locked, moved into netns and never unlocked, so the Go runtime
// discards that thread instead of reusing it; the caller's thread and
// namespace are unaffected.
func CreateTuntap(netns, name string, d *Tuntap) error {
	object := "link " + name
	fail := func(err error) error { return &OpError{Op: "add", Object: object, Err: err} }
	if err := ValidLinkName(name); err != nil {
		return fail(err)
	}
	if d == nil {
		return fail(invalidf("no tuntap data"))
	}
	if err := d.validate(Add); err != nil {
		return fail(err)
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if netns != "" {
			f, err := os.Open(netnsPath(netns))
			if err != nil {
				errc <- err
				return
			}
			err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
			f.Close()
			if err != nil {
				errc <- fmt.Errorf("setns %s: %w", netns, err)
				return
			}
		}
		errc <- createTuntap(name, d)
	}()
	if err := <-errc; err != nil {
		return fail(err)
	}
	return nil
}

func createTuntap(name string, d *Tuntap) error {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/net/tun: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return invalidf("link name %q: %v", name, err)
	}
	flags := uint16(unix.IFF_TUN)
	if d.Type == TapType {
		flags = unix.IFF_TAP
	}
	if !d.PI {
		flags |= unix.IFF_NO_PI
	}
	if d.VnetHdr {
		flags |= unix.IFF_VNET_HDR
	}
	if d.MultiQueue {
		flags |= unix.IFF_MULTI_QUEUE
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return fmt.Errorf("TUNSETIFF: %w", err)
	}
	if d.Owner != nil {
		if err := unix.IoctlSetInt(fd, unix.TUNSETOWNER, int(*d.Owner)); err != nil {
			return fmt.Errorf("TUNSETOWNER: %w", err)
		}
	}
	if d.Group != nil {
		if err := unix.IoctlSetInt(fd, unix.TUNSETGROUP, int(*d.Group)); err != nil {
			return fmt.Errorf("TUNSETGROUP: %w", err)
		}
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETPERSIST, 1); err != nil {
		return fmt.Errorf("TUNSETPERSIST: %w", err)
	}
	return nil
}
