package netlink

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// SendBarrier asks the kernel for an acknowledgement on a Conn dialed with
// Groups, and returns the request's sequence number. It does not wait for
// the answer, and may be called while another goroutine blocks in
// ReceiveUpdates (it takes no lock; the socket's send and receive sides
// are independent).
//
// The request is an NLMSG_NOOP with NLM_F_ACK: rtnetlink acknowledges
// every message type below NLMSG_MIN_TYPE at once, with no lock taken
// (netlink_rcv_skb in net/netlink/af_netlink.c). The acknowledgement is
// queued on the socket, in the kernel's order, behind every notification
// the kernel queued there before the request was sent. So once
// ReceiveUpdates has read it (BarrierReached returns seq or later), every
// notification sent before SendBarrier was called has been delivered: a
// reader can tell it has caught up with the kernel without polling. If
// the socket's queue is full, the kernel drops the acknowledgement and
// reports the overflow (ENOBUFS) as it does for a lost notification.
//
// Errors: ErrClosed on a closed Conn; the send's errno otherwise.
func (c *Conn) SendBarrier() (uint32, error) {
	if c.closed.Load() {
		return 0, &OpError{Op: "barrier", Err: ErrClosed}
	}
	seq := c.seq.Add(1)
	var req [headerLen]byte
	putHeader(req[:], header{Len: headerLen, Type: unix.NLMSG_NOOP,
		Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK, Seq: seq, Pid: c.pid})
	if err := c.sendLocked(req[:]); err != nil {
		return 0, &OpError{Op: "barrier", Err: err}
	}
	return seq, nil
}

// BarrierReached returns the sequence number of the last barrier
// (SendBarrier) whose acknowledgement ReceiveUpdates has read, or 0 before
// the first. Compare sequence numbers with SeqReached: they wrap.
func (c *Conn) BarrierReached() uint32 { return c.barrier.Load() }

// SeqReached reports whether sequence number reached is seq or later,
// modulo 2^32 (sequence numbers wrap; two within 2^31 of each other are
// ordered).
func SeqReached(reached, seq uint32) bool { return int32(reached-seq) >= 0 }

// noteBarrier records the acknowledgement of a barrier found among the
// notifications: an NLMSG_ERROR with error 0 answering an NLMSG_NOOP.
// Other control messages are ignored; a truncated one is an error
// wrapping ErrMalformed.
func (c *Conn) noteBarrier(h header, p []byte) error {
	if h.Type != unix.NLMSG_ERROR {
		return nil
	}
	if len(p) < 4+headerLen {
		return malformedf("acknowledgement of %d bytes", len(p))
	}
	errno := binary.NativeEndian.Uint32(p)
	if orig := parseHeader(p[4:]); orig.Type != unix.NLMSG_NOOP || errno != 0 {
		return nil
	}
	// Sequence numbers start anywhere (Dial): the first is taken as is.
	if !c.barrierAny.Load() || SeqReached(h.Seq, c.barrier.Load()) {
		c.barrier.Store(h.Seq)
		c.barrierAny.Store(true)
	}
	return nil
}
