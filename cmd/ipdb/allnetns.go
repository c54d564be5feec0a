package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// --all-netns (-a): show, monitor and serve over every named network
// namespace (the files under /run/netns, as `ip netns add` makes them)
// plus the one ipdb runs in. ip's nearest word is `ip -all netns exec
// CMD` (-a, -all), which runs CMD in each named namespace in turn and
// prints "netns: NAME" before each one's output; ipdb prints one table per
// kind instead, with the namespace in a NETNS column first, and in JSON
// the key "netns" first in every object (ipdb's own key: ip prints none).
// show reads each namespace from the kernel, as it does for one; monitor
// and serve follow the namespaces with an ipdb.Set, which attaches and
// detaches them as their files come and go.

// netnsKey is the JSON key of an object's namespace under --all-netns.
const netnsKey = "netns"

// currentName is the name --all-netns gives the namespace ipdb runs in
// when it is none of the named ones (ip monitor all-nsid prints such
// events as "[nsid current]"). A named namespace called "current" that is
// another namespace keeps its name, and the current one is then named
// "current-INODE".
const currentName = "current"

// netnsRunDir is the directory of named namespaces --all-netns follows;
// currentNetNS is the file of the namespace ipdb runs in. Tests point
// both at their own.
var (
	netnsRunDir  = netlink.NetNSRunDir
	currentNetNS = selfNetNS
)

const selfNetNS = "/proc/self/ns/net"

// nsTarget is one namespace --all-netns covers.
type nsTarget struct {
	name    string
	path    string
	current bool
}

// dialPath is the namespace as netlink.Config.NetNS takes it: "" for the
// namespace ipdb runs in, which needs no setns(2).
func (t nsTarget) dialPath() string {
	if t.current && currentNetNS == selfNetNS {
		return ""
	}
	return t.path
}

// listNetns returns the namespaces --all-netns covers now, by name: the
// namespace files under netnsRunDir (other files, such as one `ip netns
// add` has created but not bound yet, are left out) and the current
// namespace unless it is one of them.
func listNetns() ([]nsTarget, error) {
	var cur unix.Stat_t
	if err := unix.Stat(currentNetNS, &cur); err != nil {
		return nil, fmt.Errorf("the current network namespace: %w", err)
	}
	entries, err := os.ReadDir(netnsRunDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []nsTarget
	isCurrent, taken := false, false
	for _, e := range entries {
		p := filepath.Join(netnsRunDir, e.Name())
		if ok, _ := netlink.IsNetNS(p); !ok {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Ino == cur.Ino && st.Dev == cur.Dev {
			isCurrent = true
		}
		taken = taken || e.Name() == currentName
		out = append(out, nsTarget{name: e.Name(), path: p})
	}
	if !isCurrent {
		out = append(out, nsTarget{name: currentLabel(taken, cur.Ino), path: currentNetNS, current: true})
	}
	slices.SortFunc(out, func(a, b nsTarget) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

func currentLabel(taken bool, ino uint64) string {
	if taken {
		return currentName + "-" + strconv.FormatUint(ino, 10)
	}
	return currentName
}

// netnsGone reports whether t's namespace went away since it was listed:
// `ip netns del` unmounts the file, then removes it, so a dial in between
// fails with EINVAL (setns of a file that is no namespace), after it with
// ENOENT.
func netnsGone(t nsTarget) bool {
	if t.current {
		return false
	}
	ok, err := netlink.IsNetNS(t.path)
	return err != nil || !ok
}

// netnsError says why a namespace of --all-netns could not be read, in
// one line.
func netnsError(name string, err error) error {
	if enteringNetns(err) && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)) {
		return fmt.Errorf("--all-netns: cannot enter network namespace %q: %v (entering a namespace needs CAP_SYS_ADMIN over it, also for the current one under --all-netns: run as root, e.g. with sudo)", name, oneLine(err))
	}
	return fmt.Errorf("--all-netns: network namespace %q: %v", name, oneLine(err))
}

// openSet starts an ipdb.Set over the named namespaces and the current
// one and waits until each namespace present at the start has synced. A
// namespace that cannot be entered (no CAP_SYS_ADMIN) is an error that
// says so; one that goes away meanwhile is not waited for.
func (e *env) openSet() (*ipdb.Set, error) {
	targets, err := listNetns()
	if err != nil {
		return nil, err
	}
	// Without CAP_SYS_ADMIN no namespace can be entered (the current one
	// neither: the set enters each): say so before the set tries them all.
	if c, err := netlink.Dial(&netlink.Config{NetNS: targets[0].path}); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, netnsError(targets[0].name, err)
		}
	} else {
		c.Close()
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.syncTimeout)
	defer cancel()
	set, err := ipdb.OpenSet(ctx, &ipdb.SetConfig{RunDir: netnsRunDir})
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(targets, func(t nsTarget) bool { return t.current }); i >= 0 {
		if err := set.AttachPath(targets[i].name, targets[i].path); err != nil {
			set.Close()
			return nil, netnsError(targets[i].name, err)
		}
	}
	// The set attaches what it finds when it starts and leaves out, in
	// silence, what it cannot enter: look for the reason of a missing one.
	for _, t := range targets {
		if _, ok := set.DB(t.name); ok {
			continue
		}
		c, err := netlink.Dial(&netlink.Config{NetNS: t.path})
		if err == nil {
			c.Close()
			continue // not bound yet when the set looked: it will come
		}
		if !netnsGone(t) {
			set.Close()
			return nil, netnsError(t.name, err)
		}
	}
	for {
		_, _, ready, err := set.ChangesSince(set.Revision(), 1)
		if err != nil {
			set.Close()
			return nil, err
		}
		snap := set.Snapshot()
		var waiting []string
		for _, t := range targets {
			if _, ok := snap.NS(t.name); ok {
				continue
			}
			if ok, _ := netlink.IsNetNS(t.path); ok {
				waiting = append(waiting, t.name)
			}
		}
		if len(waiting) == 0 {
			return set, nil
		}
		select {
		case <-ready:
		case <-time.After(20 * time.Millisecond): // a namespace that went away
		case <-ctx.Done():
			set.Close()
			if e.ctx.Err() != nil {
				return nil, e.ctx.Err()
			}
			return nil, fmt.Errorf("--all-netns: timed out after %v waiting for %s to sync", e.syncTimeout, andList(waiting))
		}
	}
}
