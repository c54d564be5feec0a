//go:build linux

package netlink

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Config configures Dial. A nil *Config means all defaults.
type Config struct {
	// NetNS opens the Conn inside a network namespace: a name under
	// /run/netns (as `ip netns add` creates) or a path such as
	// /proc/PID/ns/net. Empty means the namespace of the calling thread.
	NetNS string

	// NetNSFD, when positive, is an open file descriptor of a network
	// namespace; it takes precedence over NetNS. Dial does not close it.
	NetNSFD int

	// Groups are the multicast groups to join. A Conn with groups should be
	// used for ReceiveUpdates only: replies and notifications share the
	// socket and a request on it discards notifications that arrive.
	Groups Groups

	// ReadBuffer, when positive, sets the socket receive buffer in bytes,
	// with SO_RCVBUFFORCE where permitted (root) and SO_RCVBUF otherwise.
	// Zero means 4 MiB for a Conn with Groups and 1 MiB otherwise. Large
	// buffers avoid ENOBUFS under bursts and let Pipeline keep more
	// requests in flight.
	ReadBuffer int

	// MaxDumpRetries bounds how often a dump interrupted by concurrent
	// changes (NLM_F_DUMP_INTR) is restarted. Zero means 5; negative means
	// no retry.
	MaxDumpRetries int
}

// A Conn is an rtnetlink socket. Its methods are safe for concurrent use;
// requests on one Conn are serialized. Use several Conns for parallelism.
type Conn struct {
	// sock carries requests, replies and notifications: an rtnlSocket,
	// or a fake in tests of the exchange logic.
	sock socket
	// c and raw are the real socket for options (nil with a fake).
	c   *nl.Conn
	raw syscall.RawConn
	pid uint32

	maxDumpRetries int
	window         int // requests in flight per Pipeline round
	strict         bool

	seq        atomic.Uint32
	barrier    atomic.Uint32 // the last barrier acknowledged (BarrierReached)
	barrierAny atomic.Bool   // barrier holds one
	foreign    atomic.Uint64 // messages dropped because the sender was not the kernel
	stale      atomic.Uint64 // replies to earlier, abandoned requests
	closed     atomic.Bool

	// mu serializes request/reply exchanges and receives.
	mu sync.Mutex
	// buf is the receive buffer; guarded by mu. A Conn without Groups
	// (a command socket) borrows it from recvBufs for each exchange
	// only, so that thousands of idle command sockets (one per
	// namespace of an ipdb.Set) do not each keep 64 KiB.
	buf    []byte
	pooled bool
	// abandonedDump is the sequence number of a dump that was cancelled
	// before NLMSG_DONE; the next exchange drains it first. Guarded by mu.
	abandonedDump uint32
}

const recvBufSize = 64 << 10

// recvBufs holds the receive buffers of command sockets between exchanges.
var recvBufs = sync.Pool{New: func() any { b := make([]byte, recvBufSize); return &b }}

// releaseBufLocked returns a command socket's buffer to recvBufs.
func (c *Conn) releaseBufLocked() {
	if c.pooled && c.buf != nil {
		b := c.buf
		recvBufs.Put(&b)
		c.buf = nil
	}
}

// Dial opens an rtnetlink socket as cfg says.
func Dial(cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	nsfd := cfg.NetNSFD
	if nsfd <= 0 && cfg.NetNS != "" {
		f, err := os.Open(netnsPath(cfg.NetNS))
		if err != nil {
			return nil, &OpError{Op: "dial", Object: "netns " + cfg.NetNS, Err: err}
		}
		defer f.Close()
		nsfd = int(f.Fd())
	}
	if nsfd < 0 || nsfd > 0 && inNetNS(nsfd) {
		// Entering the namespace the socket would be made in anyway
		// needs CAP_SYS_ADMIN over it all the same (setns(2)), which a
		// user following its own namespace lacks.
		nsfd = 0
	}
	c, err := nl.Dial(unix.NETLINK_ROUTE, &nl.Config{NetNS: nsfd})
	if err != nil {
		return nil, &OpError{Op: "dial", Err: unwrapNL(err)}
	}
	conn := &Conn{c: c, pid: c.PID(), pooled: cfg.Groups == 0}
	if !conn.pooled {
		conn.buf = make([]byte, recvBufSize)
	}
	if err := conn.setup(cfg); err != nil {
		c.Close()
		return nil, err
	}
	conn.seq.Store(uint32(time.Now().UnixNano()))
	return conn, nil
}

func (c *Conn) setup(cfg *Config) error {
	raw, err := c.c.SyscallConn()
	if err != nil {
		return &OpError{Op: "dial", Err: err}
	}
	c.raw = raw
	c.sock = newRTNLSocket(c.c, raw)
	// Best effort: these options exist on every kernel this project targets,
	// but an older one must still work.
	_ = c.c.SetOption(nl.ExtendedAcknowledge, true)
	_ = c.c.SetOption(nl.CapAcknowledge, true)
	c.strict = c.c.SetOption(nl.GetStrictCheck, true) == nil

	c.maxDumpRetries = cfg.MaxDumpRetries
	if c.maxDumpRetries == 0 {
		c.maxDumpRetries = 5
	}
	size := cfg.ReadBuffer
	if size <= 0 {
		size = 1 << 20
		if cfg.Groups != 0 {
			size = 4 << 20
		}
	}
	if err := c.setReadBuffer(size); err != nil {
		return err
	}
	got, err := c.c.ReadBuffer()
	if err != nil {
		got = 212992
	}
	// An ACK costs about 1 KiB of receive buffer (skb truesize); keep the
	// acknowledgements of one round within half of it.
	c.window = min(max(got/2048, 16), 1024)

	for i, g := range groupRows {
		if cfg.Groups&(1<<i) == 0 {
			continue
		}
		if err := c.c.JoinGroup(g.rtnlgrp); err != nil {
			return &OpError{Op: "dial", Object: fmt.Sprintf("join group %d", g.rtnlgrp), Err: unwrapNL(err)}
		}
	}
	return nil
}

func (c *Conn) setReadBuffer(size int) error {
	var serr error
	err := c.raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size)
		if serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, size)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return &OpError{Op: "dial", Object: "receive buffer", Err: err}
	}
	return nil
}

// netnsPath turns a namespace name into a path; a value with a slash is
// already one.
func netnsPath(ns string) string {
	if strings.ContainsRune(ns, '/') {
		return ns
	}
	return filepath.Join("/run/netns", ns)
}

// PID returns the socket's netlink port id.
func (c *Conn) PID() uint32 { return c.pid }

// ForeignDropped returns how many messages were dropped because their
// sender was not the kernel (port id 0).
func (c *Conn) ForeignDropped() uint64 { return c.foreign.Load() }

// StrictCheck reports whether the kernel accepted NETLINK_GET_STRICT_CHK,
// so that dump filters are applied in the kernel.
func (c *Conn) StrictCheck() bool { return c.strict }

// Close closes the socket and unblocks any receive in progress. It is safe
// to call more than once.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.sock.close()
}

// SetReadBuffer changes the receive buffer size (see Config.ReadBuffer).
func (c *Conn) SetReadBuffer(bytes int) error { return c.setReadBuffer(bytes) }

func unwrapNL(err error) error {
	var oe *nl.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// recvLocked reads one datagram from the kernel into c.buf. Messages from
// any other sender are dropped and counted. With wait false it returns
// unix.EAGAIN instead of blocking. Called with c.mu held.
func (c *Conn) recvLocked(wait bool) ([]byte, error) {
	if c.buf == nil {
		c.buf = *recvBufs.Get().(*[]byte)
	}
	for {
		d, err := c.sock.recvmsg(c.buf, wait)
		if err != nil {
			if c.closed.Load() {
				return nil, ErrClosed
			}
			return nil, err
		}
		if d.family != unix.AF_NETLINK || d.pid != 0 {
			c.foreign.Add(1)
			continue
		}
		if d.flags&unix.MSG_TRUNC != 0 {
			return nil, malformedf("datagram truncated to %d bytes", d.n)
		}
		return c.buf[:d.n], nil
	}
}

func (c *Conn) sendLocked(b []byte) error {
	err := c.sock.sendto(b)
	if err != nil && c.closed.Load() {
		return ErrClosed
	}
	return err
}

// watchContext makes blocking reads return when ctx is done. The returned
// function must be called (with c.mu held) when the exchange ends.
func (c *Conn) watchContext(ctx context.Context) func() {
	if ctx.Done() == nil {
		return func() {}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.sock.setReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired
			_ = c.sock.setReadDeadline(time.Time{})
		}
	}
}

// ctxErr turns a deadline error caused by watchContext into ctx's error.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// parseErrorMsg decodes the payload of NLMSG_ERROR or NLMSG_DONE: the errno
// (0 for an ACK) and the extended-ACK message text.
func parseErrorMsg(h header, p []byte, done bool) (errno int32, msg string, err error) {
	if len(p) < 4 {
		if done {
			return 0, "", nil // old kernels send an empty DONE
		}
		return 0, "", malformedf("short error message (%d bytes)", len(p))
	}
	errno = int32(binary.NativeEndian.Uint32(p))
	if h.Flags&unix.NLM_F_ACK_TLVS == 0 {
		return errno, "", nil
	}
	tlvs := p[4:]
	if !done {
		// struct nlmsgerr: the original header, and its payload unless
		// NLM_F_CAPPED says it was left out.
		if len(tlvs) < headerLen {
			return errno, "", malformedf("short error message (%d bytes)", len(p))
		}
		skip := headerLen
		if h.Flags&unix.NLM_F_CAPPED == 0 {
			skip = align4(int(binary.NativeEndian.Uint32(tlvs)))
		}
		if skip > len(tlvs) {
			return errno, "", malformedf("error message shorter than its request")
		}
		tlvs = tlvs[skip:]
	}
	ad, derr := nl.NewAttributeDecoder(tlvs)
	if derr != nil {
		return errno, "", nil // the errno still stands
	}
	for ad.Next() {
		if ad.Type() == unix.NLMSGERR_ATTR_MSG {
			msg = ad.String()
		}
	}
	return errno, msg, nil
}

func errnoError(errno int32) error {
	if errno < 0 {
		errno = -errno
	}
	return unix.Errno(errno)
}

// exchange sends one request and reads its replies: an ACK or error, a
// single reply, or a multi-part dump up to NLMSG_DONE. fn is called for each
// data message; after fn fails the remaining replies are drained, not
// passed on. intr reports whether any reply carried NLM_F_DUMP_INTR.
func (c *Conn) exchange(ctx context.Context, typ, flags uint16, body []byte, fn func(h header, payload []byte) error) (intr bool, msg string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return false, "", ErrClosed
	}
	defer c.watchContext(ctx)()

	if c.abandonedDump != 0 {
		if _, _, err := c.readRepliesLocked(c.abandonedDump, nil); err != nil {
			return false, "", ctxErr(ctx, err)
		}
		c.abandonedDump = 0
	}

	seq := c.seq.Add(1)
	req := make([]byte, headerLen+len(body))
	putHeader(req, header{Len: uint32(len(req)), Type: typ, Flags: unix.NLM_F_REQUEST | flags, Seq: seq, Pid: c.pid})
	copy(req[headerLen:], body)
	if err := c.sendLocked(req); err != nil {
		return false, "", err
	}
	intr, msg, err = c.readRepliesLocked(seq, fn)
	if err != nil && flags&unix.NLM_F_DUMP != 0 && isReadAbort(err) {
		c.abandonedDump = seq
	}
	c.releaseBufLocked()
	return intr, msg, ctxErr(ctx, err)
}

func isReadAbort(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// readRepliesLocked reads the replies to request seq until the exchange ends.
func (c *Conn) readRepliesLocked(seq uint32, fn func(h header, payload []byte) error) (intr bool, msg string, err error) {
	var fnErr error
	for finished := false; !finished; {
		b, rerr := c.recvLocked(true)
		if rerr != nil {
			return intr, "", rerr
		}
		perr := forEachMessage(b, func(h header, p []byte) error {
			if finished {
				return nil
			}
			if h.Seq != seq {
				c.stale.Add(1)
				return nil
			}
			switch h.Type {
			case unix.NLMSG_NOOP:
				return nil
			case unix.NLMSG_ERROR, unix.NLMSG_DONE:
				finished = true
				errno, text, perr := parseErrorMsg(h, p, h.Type == unix.NLMSG_DONE)
				if perr != nil {
					return perr
				}
				if errno != 0 {
					err, msg = errnoError(errno), text
				}
				return nil
			}
			if h.Flags&unix.NLM_F_DUMP_INTR != 0 {
				intr = true
			}
			if h.Flags&unix.NLM_F_MULTI == 0 {
				finished = true
			}
			if fn != nil && fnErr == nil {
				fnErr = fn(h, p)
			}
			return nil
		})
		if perr != nil {
			return intr, "", perr
		}
	}
	if err == nil {
		err = fnErr
	}
	return intr, msg, err
}

// do runs one request that expects an ACK.
func (c *Conn) do(ctx context.Context, op, object string, typ, flags uint16, body []byte) error {
	_, msg, err := c.exchange(ctx, typ, flags|unix.NLM_F_ACK, body, nil)
	if err != nil {
		return &OpError{Op: op, Object: object, Err: err, Message: msg}
	}
	return nil
}

// get runs one request that expects a single reply and passes it to fn.
func (c *Conn) get(ctx context.Context, object string, typ uint16, body []byte, fn func(payload []byte) error) error {
	got := false
	_, msg, err := c.exchange(ctx, typ, 0, body, func(_ header, p []byte) error {
		got = true
		return fn(p)
	})
	if err == nil && !got {
		err = ErrNotFound
	}
	if err != nil {
		return &OpError{Op: "get", Object: object, Err: err, Message: msg}
	}
	return nil
}

// dump streams a dump request's replies to fn, restarting it when the
// kernel marks it interrupted. restart, if not nil, runs before each
// repetition so that a caller collecting results can start over.
func (c *Conn) dump(ctx context.Context, object string, typ uint16, body []byte, restart func(), fn func(payload []byte) error) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 && restart != nil {
			restart()
		}
		intr, msg, err := c.exchange(ctx, typ, unix.NLM_F_DUMP, body, func(_ header, p []byte) error { return fn(p) })
		if err != nil {
			return &OpError{Op: "dump", Object: object, Err: err, Message: msg}
		}
		if !intr {
			return nil
		}
		if attempt >= c.maxDumpRetries {
			return &OpError{Op: "dump", Object: object, Err: ErrDumpInterrupted}
		}
	}
}

// ErrNotSent is reported by Pipeline for the requests it did not send
// because another request in the same call was invalid.
var ErrNotSent = errors.New("not sent: another request in the batch was invalid")

// Do runs one write request and waits for the kernel's acknowledgement.
func (c *Conn) Do(ctx context.Context, op Request) error {
	if op.err != nil {
		return op.err
	}
	if op.typ == 0 {
		return &OpError{Op: op.Verb.String(), Object: op.Object, Err: invalidf("empty request")}
	}
	return c.do(ctx, op.Verb.String(), op.Object, op.typ, op.flags, op.body)
}

// Pipeline sends ops with many requests in flight and matches each
// acknowledgement to its request by sequence number. Requests are handed to
// the kernel in order. It returns nil if every request succeeded; otherwise
// a slice as long as ops whose i-th element is the error of ops[i] (nil
// where it succeeded). If any op is invalid, nothing is sent: the invalid
// ones report their error and the others ErrNotSent.
//
// A failed request does not stop the ones after it; callers that need
// all-or-nothing use the txn package, which rolls back.
func (c *Conn) Pipeline(ctx context.Context, ops []Request) []error {
	var errs []error
	setErr := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(ops))
		}
		errs[i] = err
	}
	for i, op := range ops {
		if op.err != nil {
			setErr(i, op.err)
		} else if op.typ == 0 {
			setErr(i, &OpError{Op: op.Verb.String(), Object: op.Object, Err: invalidf("empty request")})
		}
	}
	if errs != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = &OpError{Op: ops[i].Verb.String(), Object: ops[i].Object, Err: ErrNotSent}
			}
		}
		return errs
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		for i := range ops {
			setErr(i, &OpError{Op: ops[i].Verb.String(), Object: ops[i].Object, Err: ErrClosed})
		}
		return errs
	}
	defer c.watchContext(ctx)()

	const maxSend = 128 << 10 // below the default socket send buffer
	buf := make([]byte, 0, maxSend)
	for start := 0; start < len(ops); {
		// Build one round: as many requests as fit in the window.
		buf = buf[:0]
		first := c.seq.Add(uint32(c.window)) - uint32(c.window) + 1
		end := start
		for end < len(ops) && end-start < c.window {
			op := &ops[end]
			n := headerLen + len(op.body)
			if end > start && len(buf)+align4(n) > maxSend {
				break
			}
			off := len(buf)
			buf = append(buf, make([]byte, align4(n))...)
			putHeader(buf[off:], header{Len: uint32(n), Type: op.typ, Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK | op.flags, Seq: first + uint32(end-start), Pid: c.pid})
			copy(buf[off+headerLen:], op.body)
			end++
		}
		if err := c.sendLocked(buf); err != nil {
			for i := start; i < len(ops); i++ {
				setErr(i, &OpError{Op: ops[i].Verb.String(), Object: ops[i].Object, Err: ctxErr(ctx, err)})
			}
			return errs
		}
		// Collect one acknowledgement per request of the round.
		pending := end - start
		acked := make([]bool, pending)
		for pending > 0 {
			b, err := c.recvLocked(true)
			if err != nil {
				// Lost acknowledgements (ENOBUFS) or cancellation: the
				// outcome of what is unacknowledged is unknown.
				for i := start; i < len(ops); i++ {
					if i >= end || !acked[i-start] {
						setErr(i, &OpError{Op: ops[i].Verb.String(), Object: ops[i].Object, Err: ctxErr(ctx, err)})
					}
				}
				return errs
			}
			perr := forEachMessage(b, func(h header, p []byte) error {
				i := int(h.Seq - first)
				if h.Type != unix.NLMSG_ERROR || h.Seq-first >= uint32(end-start) || acked[i] {
					c.stale.Add(1)
					return nil
				}
				acked[i] = true
				pending--
				errno, text, perr := parseErrorMsg(h, p, false)
				if perr != nil {
					return perr
				}
				if errno != 0 {
					op := &ops[start+i]
					setErr(start+i, &OpError{Op: op.Verb.String(), Object: op.Object, Err: errnoError(errno), Message: text})
				}
				return nil
			})
			if perr != nil {
				for i := start; i < len(ops); i++ {
					setErr(i, &OpError{Op: ops[i].Verb.String(), Object: ops[i].Object, Err: perr})
				}
				return errs
			}
		}
		start = end
	}
	return errs
}

// DiscardQueued reads and throws away every datagram queued on the socket,
// without blocking, until the queue is empty, and returns how many it
// discarded. ENOBUFS met on the way is not an error: the point of calling
// it is to get past a loss.
//
// After an overflow (ENOBUFS from ReceiveUpdates) the kernel marks the
// socket congested and delivers no notification at all until its queue has
// been emptied once (netlink_broadcast_deliver checks NETLINK_S_CONGESTED;
// netlink_rcv_wake clears it when recvmsg finds the queue empty). So what
// is queued at an overflow is older than the loss, and every notification
// read after DiscardQueued returns was sent after the queue was found
// empty: an unbroken stream, as long as no new ENOBUFS is reported.
func (c *Conn) DiscardQueued() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for {
		_, err := c.recvLocked(false)
		switch {
		case err == nil, errors.Is(err, ErrMalformed):
			n++
		case err == unix.EAGAIN:
			return n, nil
		case err == unix.ENOBUFS:
		default:
			return n, &OpError{Op: "receive", Err: err}
		}
	}
}

// ReceiveUpdates waits for notifications on a Conn dialed with Groups. It
// blocks until at least one datagram arrives, reads every datagram already
// queued (up to max, or 256 if max <= 0), and calls fn for each update in
// arrival order, so a caller can apply one batch at a time.
//
// If the socket overflowed, it returns an *OpError wrapping unix.ENOBUFS
// after delivering what it read: notifications were lost and the caller must
// resynchronize. A malformed message is skipped and reported as an error
// wrapping ErrMalformed after the rest of the batch was delivered. ctx
// cancellation and Close unblock the wait.
func (c *Conn) ReceiveUpdates(ctx context.Context, max int, fn func(Update) error) error {
	if max <= 0 {
		max = 256
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return &OpError{Op: "receive", Err: ErrClosed}
	}
	defer c.watchContext(ctx)()
	var decodeErr error
	for i := 0; i < max; i++ {
		b, err := c.recvLocked(i == 0)
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			return &OpError{Op: "receive", Err: ctxErr(ctx, err)}
		}
		var fnErr error
		perr := forEachMessage(b, func(h header, p []byte) error {
			if h.Type < unix.NLMSG_MIN_TYPE {
				// A control message, not a notification: a barrier's
				// acknowledgement is noted (SendBarrier).
				if err := c.noteBarrier(h, p); err != nil && decodeErr == nil {
					decodeErr = err
				}
				return nil
			}
			u, err := DecodeUpdate(h.Type, h.Flags, p)
			if err != nil {
				if errors.Is(err, ErrNotSupported) {
					return nil
				}
				if decodeErr == nil {
					decodeErr = err
				}
				return nil
			}
			if fnErr = fn(u); fnErr != nil {
				return fnErr
			}
			return nil
		})
		if fnErr != nil {
			return fnErr
		}
		if perr != nil && decodeErr == nil {
			decodeErr = &OpError{Op: "receive", Err: perr}
		}
	}
	return decodeErr
}

// inNetNS reports whether the namespace nsfd names is the calling
// thread's (same nsfs device and inode as /proc/thread-self/ns/net).
func inNetNS(nsfd int) bool {
	var a, b unix.Stat_t
	if unix.Fstat(nsfd, &a) != nil || unix.Stat("/proc/thread-self/ns/net", &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}
