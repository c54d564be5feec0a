package netlink

import "golang.org/x/sys/unix"

// Pending reports whether a datagram is waiting in the socket's receive
// queue (poll POLLIN with a zero timeout), without reading it. It is safe
// to call while another goroutine waits in ReceiveUpdates. A closed Conn
// reports false.
func (c *Conn) Pending() bool {
	if c.raw == nil || c.closed.Load() {
		return false
	}
	pending := false
	c.raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		pending = err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
	})
	return pending
}
