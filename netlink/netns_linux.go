package netlink

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// NetNSRunDir is where named network namespaces live, as iproute2's
// NETNS_RUN_DIR (ip/ip_common.h).
const NetNSRunDir = "/run/netns"

// NetNSPath returns the path of a namespace given by name (under
// NetNSRunDir) or by path (anything holding a '/'), as Config.NetNS reads it.
func NetNSPath(nameOrPath string) string { return netnsPath(nameOrPath) }

// ValidNetNSName reports whether name can name a namespace under
// NetNSRunDir: not empty, shorter than NAME_MAX (255) bytes, no '/', and
// neither "." nor "..", as iproute2's is_valid_netns_name (ip/ipnetns.c).
func ValidNetNSName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty netns name", ErrInvalid)
	case len(name) >= 255:
		return fmt.Errorf("%w: netns name of %d bytes (at most 254)", ErrInvalid, len(name))
	case strings.ContainsRune(name, '/'):
		return fmt.Errorf("%w: netns name %q holds '/'", ErrInvalid, name)
	case name == "." || name == "..":
		return fmt.Errorf("%w: netns name %q", ErrInvalid, name)
	}
	return nil
}

// AddNetNS creates a named network namespace exactly as `ip netns add NAME`
// does (netns_add in iproute2's ip/ipnetns.c): NetNSRunDir is created and
// made a shared mount point (bound on itself first if it is not a mount
// point yet), so that the namespace mounts propagate to every mount
// namespace; the file NetNSRunDir/NAME is created; a locked OS thread
// unshares CLONE_NEWNET and its namespace (/proc/thread-self/ns/net) is
// bind-mounted onto the file. The thread is thrown away afterwards, never
// reused by the runtime. On any failure nothing is left behind. It needs
// CAP_SYS_ADMIN (unshare, mount); errors say which step failed. An existing
// name fails with unix.EEXIST.
func AddNetNS(name string) error {
	if err := ValidNetNSName(name); err != nil {
		return &OpError{Op: "netns add", Object: name, Err: err}
	}
	fail := func(step string, err error) error {
		return &OpError{Op: "netns add", Object: name, Err: fmt.Errorf("%s: %w", step, err)}
	}
	if err := os.MkdirAll(NetNSRunDir, 0o755); err != nil {
		return fail("create "+NetNSRunDir, unwrapPathErr(err))
	}
	if err := makeSharedRunDir(); err != nil {
		return fail("make "+NetNSRunDir+" a shared mount point", err)
	}
	path := filepath.Join(NetNSRunDir, name)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail("create "+path, err)
	}
	unix.Close(fd)
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the goroutine ends with its thread locked, so
		// the runtime discards the thread that entered the new namespace.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind mount %s on %s: %w", self, path, err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		unix.Unlink(path)
		return &OpError{Op: "netns add", Object: name, Err: err}
	}
	return nil
}

// makeSharedRunDir makes NetNSRunDir a shared, recursive mount point, as
// netns_add does: MS_SHARED|MS_REC, and if that fails with EINVAL (it is
// not a mount point), a recursive bind mount of the directory on itself
// first.
func makeSharedRunDir() error {
	bound := false
	for {
		err := unix.Mount("", NetNSRunDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			return nil
		}
		if err != unix.EINVAL || bound {
			return err
		}
		if err := unix.Mount(NetNSRunDir, NetNSRunDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind mount on itself: %w", err)
		}
		bound = true
	}
}

// DeleteNetNS deletes a named network namespace as `ip netns delete NAME`
// does (netns_delete in ip/ipnetns.c): the bind mount is detached
// (umount2 MNT_DETACH) and the file removed. The namespace itself lives on
// while a process, socket or open file still holds it. A name that does not
// exist fails with unix.ENOENT.
func DeleteNetNS(name string) error {
	if err := ValidNetNSName(name); err != nil {
		return &OpError{Op: "netns delete", Object: name, Err: err}
	}
	path := filepath.Join(NetNSRunDir, name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
		// EINVAL: not a mount point (a file left by an interrupted add);
		// removing it is still right.
		return &OpError{Op: "netns delete", Object: name, Err: fmt.Errorf("umount2 %s MNT_DETACH: %w", path, err)}
	}
	if err := unix.Unlink(path); err != nil {
		return &OpError{Op: "netns delete", Object: name, Err: fmt.Errorf("unlink %s: %w", path, err)}
	}
	return nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// IsNetNS reports whether the file at path is a network namespace: an nsfs
// inode (statfs NSFS_MAGIC) whose ioctl NS_GET_NSTYPE says CLONE_NEWNET. A
// file just created under NetNSRunDir is not one until `ip netns add` has
// bind-mounted the namespace on it.
func IsNetNS(path string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false, err
	}
	if st.Type != unix.NSFS_MAGIC {
		return false, nil
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	t, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return false, err
	}
	return t == unix.CLONE_NEWNET, nil
}

// NetNSFile returns a new file descriptor of the network namespace the
// Conn's socket lives in (ioctl SIOCGSKNS, sock_ioctl in net/socket.c;
// needs CAP_NET_ADMIN in that namespace's user namespace). The caller
// closes it.
func (c *Conn) NetNSFile() (*os.File, error) {
	if c.raw == nil {
		return nil, &OpError{Op: "netns", Err: ErrNotSupported}
	}
	var nsfd int
	var ierr error
	if err := c.raw.Control(func(fd uintptr) {
		nsfd, ierr = unix.IoctlRetInt(int(fd), unix.SIOCGSKNS)
	}); err != nil {
		return nil, &OpError{Op: "netns", Err: err}
	}
	if ierr != nil {
		return nil, &OpError{Op: "netns", Object: "SIOCGSKNS", Err: ierr}
	}
	unix.CloseOnExec(nsfd)
	return os.NewFile(uintptr(nsfd), "netns"), nil
}

// NSIDNotAssigned is the id the kernel reports for a namespace that has
// none in the asking namespace (NETNSA_NSID_NOT_ASSIGNED); as a requested
// id in SetNSID it means "allocate one" (`ip netns set NAME auto`).
const NSIDNotAssigned = unix.NETNSA_NSID_NOT_ASSIGNED

// NetNSRef names a peer network namespace in an nsid request: by an open
// file descriptor (NETNSA_FD), by a process (NETNSA_PID), or by the id it
// already has in the Conn's namespace (NETNSA_NSID). Exactly one is set.
type NetNSRef struct {
	FD   int    // an open namespace file, > 0
	PID  int    // a process, > 0
	NSID *int32 // an id in the Conn's namespace, >= 0
}

func (r NetNSRef) String() string {
	switch {
	case r.FD > 0:
		return fmt.Sprintf("netns fd %d", r.FD)
	case r.PID > 0:
		return fmt.Sprintf("netns of pid %d", r.PID)
	case r.NSID != nil:
		return fmt.Sprintf("netns nsid %d", *r.NSID)
	}
	return "netns"
}

func (r NetNSRef) encode(ae *nl.AttributeEncoder) error {
	n := 0
	if r.FD > 0 {
		ae.Uint32(unix.NETNSA_FD, uint32(r.FD))
		n++
	}
	if r.PID > 0 {
		ae.Uint32(unix.NETNSA_PID, uint32(r.PID))
		n++
	}
	if r.NSID != nil {
		if *r.NSID < 0 {
			return fmt.Errorf("%w: nsid %d", ErrInvalid, *r.NSID)
		}
		ae.Int32(unix.NETNSA_NSID, *r.NSID)
		n++
	}
	if n != 1 {
		return fmt.Errorf("%w: a netns reference needs exactly one of fd, pid, nsid (has %d)", ErrInvalid, n)
	}
	return nil
}

// nsidBody is struct rtgenmsg (AF_UNSPEC), padded to 4 bytes, and attrs.
func nsidBody(attrs []byte) []byte {
	b := make([]byte, 4, 4+len(attrs))
	return append(b, attrs...)
}

// NSIDRequest encodes an RTM_GETNSID (set false) or RTM_NEWNSID (set true,
// with NETNSA_NSID = nsid, -1 for "allocate") payload for peer, with
// NETNSA_TARGET_NSID when target is not nil (the id is then the one peer
// has in that namespace, itself named by its id in the Conn's).
func nsidPayload(peer NetNSRef, target *int32, set bool, nsid int32) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if err := peer.encode(ae); err != nil {
		return nil, err
	}
	if set {
		if peer.NSID != nil {
			return nil, fmt.Errorf("%w: RTM_NEWNSID names its peer by fd or pid", ErrInvalid)
		}
		if nsid < NSIDNotAssigned {
			return nil, fmt.Errorf("%w: nsid %d", ErrInvalid, nsid)
		}
		ae.Int32(unix.NETNSA_NSID, nsid)
	}
	if target != nil {
		ae.Int32(unix.NETNSA_TARGET_NSID, *target)
	}
	b, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	return nsidBody(b), nil
}

// NSID returns the id the namespace peer has in the Conn's namespace
// (RTM_GETNSID, rtnl_net_getid in net/core/net_namespace.c), or
// NSIDNotAssigned if it has none. Ids are assigned on demand by the kernel
// (a veth peer in another namespace, `ip netns set`), never by this call.
func (c *Conn) NSID(ctx context.Context, peer NetNSRef) (int32, error) {
	body, err := nsidPayload(peer, nil, false, 0)
	if err != nil {
		return 0, &OpError{Op: "get", Object: "nsid of " + peer.String(), Err: err}
	}
	var ev NSIDEvent
	err = c.get(ctx, "nsid of "+peer.String(), unix.RTM_GETNSID, body, func(p []byte) error {
		var derr error
		ev, derr = decodeNSID(p)
		return derr
	})
	if err != nil {
		return 0, err
	}
	return ev.NSID, nil
}

// SetNSID assigns nsid to peer in the Conn's namespace, as `ip netns set
// NAME NSID` (RTM_NEWNSID, rtnl_net_newid); NSIDNotAssigned asks the
// kernel to allocate the lowest free id (`ip netns set NAME auto`). A peer
// that already has an id fails with unix.EEXIST; an id in use by another
// namespace too. peer must be given by fd or pid.
func (c *Conn) SetNSID(ctx context.Context, peer NetNSRef, nsid int32) error {
	body, err := nsidPayload(peer, nil, true, nsid)
	if err != nil {
		return &OpError{Op: "set", Object: "nsid of " + peer.String(), Err: err}
	}
	return c.do(ctx, "set", fmt.Sprintf("nsid %d of %s", nsid, peer), unix.RTM_NEWNSID, unix.NLM_F_CREATE|unix.NLM_F_EXCL, body)
}

// NSIDEvent is an RTM_NEWNSID or RTM_DELNSID message: a reply to NSID, an
// entry of `ip netns list-id`, or a notification of the RTNLGRP_NSID group
// (rtnl_net_notifyid: an id assigned, or removed when its namespace dies).
type NSIDEvent struct {
	// Deleted is true for RTM_DELNSID.
	Deleted bool
	// NSID is NETNSA_NSID: the namespace's id in the receiving namespace,
	// or NSIDNotAssigned.
	NSID int32
	// CurrentNSID is NETNSA_CURRENT_NSID when present (a reply to a
	// request with NETNSA_TARGET_NSID), else nil.
	CurrentNSID *int32
}

func (e NSIDEvent) String() string {
	if e.Deleted {
		return fmt.Sprintf("delete nsid %d", e.NSID)
	}
	return fmt.Sprintf("nsid %d", e.NSID)
}

// DecodeNSID decodes the payload (after the netlink header) of an
// RTM_NEWNSID or RTM_DELNSID message. A malformed payload is an error
// wrapping ErrMalformed; a message without NETNSA_NSID too.
func DecodeNSID(typ uint16, payload []byte) (NSIDEvent, error) {
	if typ != unix.RTM_NEWNSID && typ != unix.RTM_DELNSID {
		return NSIDEvent{}, fmt.Errorf("%w: message type %d is not RTM_NEWNSID or RTM_DELNSID", ErrInvalid, typ)
	}
	ev, err := decodeNSID(payload)
	ev.Deleted = typ == unix.RTM_DELNSID
	return ev, err
}

func decodeNSID(p []byte) (NSIDEvent, error) {
	if len(p) < 4 {
		return NSIDEvent{}, malformedf("nsid message of %d bytes, shorter than rtgenmsg", len(p))
	}
	ev := NSIDEvent{NSID: NSIDNotAssigned}
	if len(p) == 4 {
		return ev, malformedf("nsid message without NETNSA_NSID")
	}
	ad, err := nl.NewAttributeDecoder(p[4:])
	if err != nil {
		return ev, malformedf("nsid: %v", err)
	}
	seen := false
	for ad.Next() {
		switch ad.Type() {
		case unix.NETNSA_NSID:
			ev.NSID = ad.Int32()
			seen = true
		case unix.NETNSA_CURRENT_NSID:
			v := ad.Int32()
			ev.CurrentNSID = &v
		}
	}
	if err := ad.Err(); err != nil {
		return ev, malformedf("nsid: %v", err)
	}
	if !seen {
		return ev, malformedf("nsid message without NETNSA_NSID")
	}
	return ev, nil
}

// NSIDs lists the ids the Conn's namespace has assigned to others, as `ip
// netns list-id` (an RTM_GETNSID dump, rtnl_net_dumpid).
func (c *Conn) NSIDs(ctx context.Context) ([]int32, error) {
	var ids []int32
	err := c.dump(ctx, "nsid", unix.RTM_GETNSID, nsidBody(nil), func() { ids = ids[:0] }, func(p []byte) error {
		ev, err := decodeNSID(p)
		if err != nil {
			return err
		}
		ids = append(ids, ev.NSID)
		return nil
	})
	return ids, err
}

// JoinNSIDGroup subscribes the Conn to RTNLGRP_NSID, whose RTM_NEWNSID and
// RTM_DELNSID notifications ReceiveNSIDs reads. Use a Conn for it alone:
// notifications of other groups are skipped there.
func (c *Conn) JoinNSIDGroup() error {
	if c.c == nil {
		return &OpError{Op: "join", Object: "RTNLGRP_NSID", Err: ErrNotSupported}
	}
	if err := c.c.JoinGroup(unix.RTNLGRP_NSID); err != nil {
		return &OpError{Op: "join", Object: "RTNLGRP_NSID", Err: unwrapNL(err)}
	}
	return nil
}

// ReceiveNSIDs waits for RTM_NEWNSID/RTM_DELNSID notifications on a Conn
// that joined RTNLGRP_NSID and calls fn for each one already queued (at
// least one datagram). Other messages are skipped; a malformed one is
// reported as an error wrapping ErrMalformed after the rest. ENOBUFS is
// an *OpError wrapping unix.ENOBUFS: ids were lost, re-read them. ctx and
// Close unblock the wait.
func (c *Conn) ReceiveNSIDs(ctx context.Context, fn func(NSIDEvent)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return &OpError{Op: "receive", Err: ErrClosed}
	}
	defer c.watchContext(ctx)()
	var decodeErr error
	for i := 0; i < 256; i++ {
		b, err := c.recvLocked(i == 0)
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			return &OpError{Op: "receive", Err: ctxErr(ctx, err)}
		}
		perr := forEachMessage(b, func(h header, p []byte) error {
			if h.Type != unix.RTM_NEWNSID && h.Type != unix.RTM_DELNSID {
				return nil
			}
			ev, err := DecodeNSID(h.Type, p)
			if err != nil {
				if decodeErr == nil {
					decodeErr = &OpError{Op: "decode", Object: "nsid", Err: err}
				}
				return nil
			}
			fn(ev)
			return nil
		})
		if perr != nil && decodeErr == nil {
			decodeErr = &OpError{Op: "receive", Err: perr}
		}
	}
	return decodeErr
}

// LinkMovedTo reports where a deleted link went when it was moved to
// another namespace: the RTM_DELLINK the kernel sends in the old namespace
// carries IFLA_NEW_NETNSID (the new namespace's id in the old one) and
// IFLA_NEW_IFINDEX (its index there) (rtmsg_ifinfo_newnet from
// dev_change_net_namespace, net/core/dev.c). ok is false for a link that
// was really deleted. The attributes are kept raw in Link.Unknown; a
// malformed one counts as absent.
func (l *Link) LinkMovedTo() (nsid int32, ifindex int, ok bool) {
	var haveID, haveIndex bool
	for _, a := range l.Unknown {
		if len(a.Data) != 4 {
			continue
		}
		switch a.Type &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER) {
		case unix.IFLA_NEW_NETNSID:
			nsid, haveID = int32(binary.NativeEndian.Uint32(a.Data)), true
		case unix.IFLA_NEW_IFINDEX:
			ifindex, haveIndex = int(int32(binary.NativeEndian.Uint32(a.Data))), true
		}
	}
	return nsid, ifindex, haveID && haveIndex
}
