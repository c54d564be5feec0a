package ipdb

import "github.com/ipdb-go/ipdb/netlink"

// mirredFollowsLink adds, inside w, the re-reads a deleted link calls for
// in the filters of the other links whose mirred actions send packets to
// it: the kernel points such an action at no device (mirred_device_event
// on NETDEV_UNREGISTER clears tcfm_dev; a dump then reports ifindex 0,
// tc's "to_dev *") without a notification for the filter
// (TestTCMirredTargetDeleted). A link moved to another namespace is
// unregistered from this one and counts as deleted. The deleted link's own
// filters go with it (tcDeletedWith). Actions of filters kept raw
// (RawTCOptions) are not seen here.
func mirredFollowsLink(w *writer, ifindex uint32, fx *rereads) {
	it, err := w.txn.Get(filterDef.table, "id")
	if err != nil {
		return
	}
	seen := map[scope]bool{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		f := raw.(*netlink.Filter)
		s := filterScope(f)
		if f.Block == 0 && uint32(f.Index) == ifindex || seen[s] || !mirrorsTo(filterActions(f), ifindex) {
			continue
		}
		seen[s] = true
		fx.now = append(fx.now, reconcileJob{kind: netlink.KindFilter, s: s})
	}
}

// filterActions returns the action list of a filter of a kind that has
// one decoded (flower, matchall, basic, u32, bpf).
func filterActions(f *netlink.Filter) netlink.TCActions {
	switch o := f.Options.(type) {
	case *netlink.Flower:
		return o.Actions
	case *netlink.Matchall:
		return o.Actions
	case *netlink.Basic:
		return o.Actions
	case *netlink.U32:
		return o.Actions
	case *netlink.BPFFilter:
		return o.Actions
	}
	return nil
}

// mirrorsTo reports whether one of acts is a mirred action to the link
// ifindex.
func mirrorsTo(acts netlink.TCActions, ifindex uint32) bool {
	for _, a := range acts {
		if m, ok := a.Options.(*netlink.Mirred); ok && m.Ifindex == ifindex {
			return true
		}
	}
	return false
}
