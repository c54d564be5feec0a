package ipdb

import (
	"context"
	"errors"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

// followIDs keeps NetNS.NSID current from the RTNLGRP_NSID notifications
// of the set's own namespace: the kernel assigns an id when it first needs
// one (a veth peer, a link moved, `ip netns set`), and removes it when the
// namespace dies (rtnl_net_notifyid in net/core/net_namespace.c). A new id
// is looked up for the members that have none (RTM_GETNSID with each
// one's namespace from SIOCGSKNS); a removed one is cleared.
func (s *Set) followIDs() error {
	c, err := netlink.Dial(nil)
	if err != nil {
		return err
	}
	if err := c.JoinNSIDGroup(); err != nil {
		c.Close()
		return err
	}
	s.ids = c
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			var events []netlink.NSIDEvent
			err := c.ReceiveNSIDs(context.Background(), func(e netlink.NSIDEvent) { events = append(events, e) })
			if errors.Is(err, netlink.ErrClosed) {
				return
			}
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			lost := err != nil // ENOBUFS or a malformed message: look again at every member
			for _, e := range events {
				if e.Deleted {
					s.mu.Lock()
					for _, m := range s.members {
						if m.ns.NSID == e.NSID {
							m.ns.NSID = netlink.NSIDNotAssigned
						}
					}
					s.mu.Unlock()
				} else {
					lost = true
				}
			}
			if lost {
				s.refreshIDs()
			}
		}
	}()
	return nil
}

// refreshIDs reads the id of every member that has none.
func (s *Set) refreshIDs() {
	s.mu.Lock()
	var todo []*member
	for _, m := range s.members {
		if m.db != nil && !m.gone && m.ns.NSID == netlink.NSIDNotAssigned {
			todo = append(todo, m)
		}
	}
	s.mu.Unlock()
	for _, m := range todo {
		f, err := m.db.cmd.NetNSFile()
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		id, err := s.own.NSID(ctx, netlink.NetNSRef{FD: int(f.Fd())})
		cancel()
		f.Close()
		if err != nil {
			continue
		}
		s.mu.Lock()
		m.ns.NSID = id
		s.mu.Unlock()
	}
}
