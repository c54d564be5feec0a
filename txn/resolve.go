package txn

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ipdb-go/ipdb/internal/bpfprog"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// resolver turns link names into interface indexes while a plan is
// applied: from the snapshot the commit started from, from the database
// for links the transaction created, and from renames done so far.
type resolver struct {
	st     State
	self   string // the namespace path of the DB and Conn
	names  map[string]int
	gone   map[string]bool
	fds    map[string]*os.File
	remote map[string]*netlink.Conn
	progs  map[uint32]int // eBPF program descriptors by program id
}

func newResolver(st State, self string) *resolver {
	if self == "" {
		self = "/proc/self/ns/net"
	}
	return &resolver{st: st, self: nsPath(self), names: map[string]int{}, gone: map[string]bool{},
		fds: map[string]*os.File{}, remote: map[string]*netlink.Conn{}}
}

func nsPath(ns string) string {
	if strings.Contains(ns, "/") {
		return ns
	}
	return "/run/netns/" + ns
}

func (r *resolver) index(name string) (int, error) {
	if idx, ok := r.names[name]; ok {
		return idx, nil
	}
	if r.gone[name] {
		return 0, fmt.Errorf("link %s: %w", name, unix.ENODEV)
	}
	l, err := r.st.LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("link %s: %w", name, unix.ENODEV)
	}
	r.names[name] = l.Index
	return l.Index, nil
}

func (r *resolver) renamed(from, to string, index int) {
	delete(r.names, from)
	r.gone[from] = true
	delete(r.gone, to)
	r.names[to] = index
}

// nsFD returns an open descriptor of namespace ns, kept until close.
func (r *resolver) nsFD(ns string) (int, error) {
	p := nsPath(ns)
	if f, ok := r.fds[p]; ok {
		return int(f.Fd()), nil
	}
	f, err := os.Open(p)
	if err != nil {
		return 0, fmt.Errorf("netns %s: %w", ns, err)
	}
	r.fds[p] = f
	return int(f.Fd()), nil
}

func (r *resolver) conn(ns string) (*netlink.Conn, error) {
	p := nsPath(ns)
	if c, ok := r.remote[p]; ok {
		return c, nil
	}
	c, err := netlink.Dial(&netlink.Config{NetNS: p})
	if err != nil {
		return nil, err
	}
	r.remote[p] = c
	return c, nil
}

// progFD returns an open descriptor of the eBPF program with this id,
// kept until close: a request that puts back a program the kernel
// reported by id (a rollback's) sends it (bpfprog.FDByID: needs
// CAP_SYS_ADMIN; the error names the id).
func (r *resolver) progFD(id uint32) (int, error) {
	if fd, ok := r.progs[id]; ok {
		return fd, nil
	}
	fd, err := bpfprog.FDByID(id)
	if err != nil {
		return 0, fmt.Errorf("eBPF program id %d: bpf(2) BPF_PROG_GET_FD_BY_ID: %w", id, err)
	}
	if r.progs == nil {
		r.progs = map[uint32]int{}
	}
	r.progs[id] = fd
	return fd, nil
}

func (r *resolver) close() error {
	var errs []error
	for _, fd := range r.progs {
		errs = append(errs, unix.Close(fd))
	}
	clear(r.progs)
	for _, f := range r.fds {
		errs = append(errs, f.Close())
	}
	for _, c := range r.remote {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
