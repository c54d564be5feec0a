package txn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

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

// fetchOp builds the request, for a Conn in namespace ns, that moves link
// name from there back into this namespace.
func (r *resolver) fetchOp(ns, name string) (netlink.Request, error) {
	c, err := r.conn(ns)
	if err != nil {
		return netlink.Request{}, err
	}
	l, err := c.LinkByName(context.Background(), name)
	if err != nil {
		return netlink.Request{}, err
	}
	fd, err := r.nsFD(r.self)
	if err != nil {
		return netlink.Request{}, err
	}
	return netlink.LinkRequest(netlink.Set, &netlink.Link{Index: l.Index, NetNSFD: fd}), nil
}

func (r *resolver) close() error {
	var errs []error
	for _, f := range r.fds {
		errs = append(errs, f.Close())
	}
	for _, c := range r.remote {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// route builds the request route of s.
func (r *resolver) route(s *RouteSpec, fam uint8, table uint32) (*netlink.Route, error) {
	rt := &netlink.Route{Family: fam, Dst: s.Dst, Table: table, TOS: s.TOS, Priority: s.Priority, Type: s.Type,
		Gateway: s.Gateway, PrefSrc: s.Src, Protocol: s.Protocol}
	if s.Scope != nil {
		rt.Scope = *s.Scope
	}
	if s.Onlink {
		rt.Flags |= unix.RTNH_F_ONLINK
	}
	if s.Dev != "" {
		idx, err := r.index(s.Dev)
		if err != nil {
			return nil, err
		}
		rt.OIF = uint32(idx)
	}
	if s.Metrics != nil {
		m := *s.Metrics
		rt.Extra = &netlink.RouteExtra{Metrics: &m}
	}
	for _, h := range s.Multipath {
		nh := netlink.RouteHop{Gateway: h.Gateway, Hops: uint8(max(h.Weight, 1) - 1)}
		if h.Onlink {
			nh.Flags |= unix.RTNH_F_ONLINK
		}
		if h.Dev != "" {
			idx, err := r.index(h.Dev)
			if err != nil {
				return nil, err
			}
			nh.IfIndex = uint32(idx)
		}
		rt.Multipath = append(rt.Multipath, nh)
	}
	return rt, nil
}
