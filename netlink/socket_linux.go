//go:build linux

package netlink

import (
	"syscall"
	"time"
	"unsafe"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// socket is what a Conn's exchanges need of its netlink socket: send a
// datagram, receive one, bound a blocking receive, close. The real one is
// rtnlSocket; tests of the exchange logic (sequence matching, dumps,
// NLM_F_DUMP_INTR, errors, ENOBUFS) give a Conn a fake (fakeSocket in
// conn_fake_linux_test.go), after mdlayher/netlink's nltest, kept private.
// Calls are serialized by Conn.mu, except close and setReadDeadline, which
// may come from any goroutine to unblock a recvmsg.
type socket interface {
	// recvmsg reads one datagram into buf and says how long it was, its
	// MSG_* flags and its sender. With wait false it returns unix.EAGAIN
	// instead of blocking when nothing is queued; a passed read deadline
	// makes it return os.ErrDeadlineExceeded.
	recvmsg(buf []byte, wait bool) (datagram, error)
	// sendto sends one datagram (one or more netlink messages) to the
	// kernel.
	sendto(b []byte) error
	// setReadDeadline sets the deadline of receives; zero means none.
	setReadDeadline(t time.Time) error
	// close closes the socket and unblocks a receive in progress.
	close() error
}

// datagram describes one received datagram.
type datagram struct {
	n      int    // its length in bytes
	flags  int32  // recvmsg's msg_flags (MSG_TRUNC)
	pid    uint32 // the sender's port id; 0 is the kernel
	family uint16 // the sender's address family (AF_NETLINK)
}

// rtnlSocket is a NETLINK_ROUTE socket of mdlayher/netlink, read with
// recvmsg through its RawConn.
type rtnlSocket struct {
	c   *nl.Conn
	raw syscall.RawConn
	// buf, wait and rx are the arguments and outcome of the recvmsg in
	// progress, for readOnce; guarded by Conn.mu. readFn is s.readOnce,
	// made once.
	buf    []byte
	wait   bool
	rx     datagram
	rxErr  error
	readFn func(fd uintptr) bool
}

func newRTNLSocket(c *nl.Conn, raw syscall.RawConn) *rtnlSocket {
	s := &rtnlSocket{c: c, raw: raw}
	s.readFn = s.readOnce
	return s
}

func (s *rtnlSocket) recvmsg(buf []byte, wait bool) (datagram, error) {
	s.buf, s.wait = buf, wait
	err := s.raw.Read(s.readFn)
	if err == nil {
		err = s.rxErr
	}
	return s.rx, err
}

// readOnce is the function recvmsg hands to RawConn.Read: one recvmsg
// into s.buf, with the sender's address, and no allocation (a closure or
// unix.Recvmsg's Sockaddr would cost one per datagram, on the listener's
// hot path). Called with Conn.mu held.
func (s *rtnlSocket) readOnce(fd uintptr) bool {
	var sa unix.RawSockaddrNetlink
	iov := unix.Iovec{Base: &s.buf[0]}
	iov.SetLen(len(s.buf))
	msg := unix.Msghdr{Name: (*byte)(unsafe.Pointer(&sa)), Namelen: unix.SizeofSockaddrNetlink, Iov: &iov, Iovlen: 1}
	for {
		r, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&msg)), unix.MSG_DONTWAIT)
		switch errno {
		case 0:
			s.rx, s.rxErr = datagram{n: int(r), flags: msg.Flags, pid: sa.Pid, family: sa.Family}, nil
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			s.rxErr = errno
			return !s.wait
		}
		s.rxErr = errno
		return true
	}
}

func (s *rtnlSocket) sendto(b []byte) error {
	var serr error
	err := s.raw.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	})
	if err == nil {
		err = serr
	}
	return err
}

func (s *rtnlSocket) setReadDeadline(t time.Time) error { return s.c.SetReadDeadline(t) }

func (s *rtnlSocket) close() error { return s.c.Close() }
