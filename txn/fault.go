package txn

import "github.com/ipdb-go/ipdb/netlink"

// FaultAt makes a commit with this Config fail at its k-th applied step
// (counted from 0 across the plan, as Plan.Steps lists them): the step's
// request is replaced by one the kernel refuses (a change of a link that
// does not exist: ENODEV), and the commit rolls back as after any other
// failure. It is for the tests of programs built on txn, to check their
// rollback at every step; a negative k removes the fault.
func (c *Config) FaultAt(k int) {
	if k < 0 {
		c.inject = nil
		return
	}
	c.inject = func(i int, _ *Step, req netlink.Request) netlink.Request {
		if i != k {
			return req
		}
		const noLink = 0x7ffffff0 // no interface has this index
		return netlink.LinkRequest(netlink.Set, &netlink.Link{Index: noLink, MTU: 1500})
	}
}
