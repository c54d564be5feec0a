package main

import (
	"errors"
	"fmt"

	"github.com/ipdb-go/ipdb/netlink"
)

// showAllNetns is show --all-netns: each table once, its rows those of
// every namespace in name order (listNetns), read from the kernel as show
// reads one namespace. Tables get a NETNS column first, JSON objects the
// key "netns" first. A selector's dev or routing table that a namespace
// lacks leaves that namespace out of the table; only when no namespace
// has it is it ip's error. A namespace that goes away while show runs is
// left out.
func showAllNetns(e *env, want []string, sels map[string]*selection, format string) int {
	for _, t := range want {
		if k := commandKindOfTable(t); k == nil || k.dumpJSON == nil || k.dumpRows == nil {
			fmt.Fprintf(e.stderr, "ipdb show: --all-netns cannot show %s\n", t)
			return exitUsage
		}
	}
	targets, err := listNetns()
	if err != nil {
		return e.fail("show", err)
	}
	type nsDump struct {
		name string
		d    *dumpShow
	}
	var dumps []nsDump
	defer func() {
		for _, n := range dumps {
			n.d.c.Close()
		}
	}()
	var tableErr, devErr error
	for _, t := range targets {
		c, err := netlink.Dial(&netlink.Config{NetNS: t.dialPath(), MaxDumpRetries: -1})
		if err != nil && netnsGone(t) {
			continue // deleted since it was listed
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "ipdb show: %v\n", netnsError(t.name, err))
			return exitError
		}
		d := &dumpShow{ctx: e.ctx, c: c, stderr: e.stderr, details: e.g.details, sels: sels, stats: e.g.stats}
		dumps = append(dumps, nsDump{t.name, d})
		if err := d.checkRouteTable(); err != nil {
			var mt *missingTableError
			if !errors.As(err, &mt) {
				return e.fail("show", netnsError(t.name, err))
			}
			tableErr = err
			dumps = dumps[:len(dumps)-1]
			c.Close()
			continue
		}
		if err := d.loadLinks(); err != nil {
			return e.fail("show", netnsError(t.name, err))
		}
		if err := d.resolveDevs(); err != nil {
			var nd noDeviceError
			if !errors.As(err, &nd) {
				return e.fail("show", netnsError(t.name, err))
			}
			devErr = err
			dumps = dumps[:len(dumps)-1]
			c.Close()
		}
	}
	switch {
	case len(dumps) == 0 && tableErr != nil:
		fmt.Fprintf(e.stderr, "ipdb show: %v in any network namespace\n", tableErr)
		return exitUsage // as ip's exit status 2
	case len(dumps) == 0 && devErr != nil:
		fmt.Fprintf(e.stderr, "ipdb show: %v in any network namespace\n", devErr)
		return exitError
	}
	// resolveDevs writes the dev's index into the shared selection: each
	// namespace sets its own before its rows.
	each := func(fn func(name string, d *dumpShow) error) error {
		for _, n := range dumps {
			if err := n.d.resolveDevs(); err != nil {
				return netnsError(n.name, err)
			}
			if err := fn(n.name, n.d); err != nil {
				return netnsError(n.name, err)
			}
		}
		return nil
	}
	w := e.out()
	if format == "json" {
		j := newJSONOut(w)
		j.tagDepth = 2 // [ {row} ]
		if len(want) > 1 {
			j.tagDepth = 3 // {"links": [ {row} ], ...}
			j.openObject("")
		}
		for _, t := range want {
			k := commandKindOfTable(t)
			if len(want) > 1 {
				j.key(t)
				j.comma = false
			}
			j.openArray("")
			err := each(func(name string, d *dumpShow) error {
				j.netns = name
				if err := k.dumpJSON(d, j); err != nil {
					return err
				}
				j.maybeFlush()
				return j.err()
			})
			if err != nil {
				return e.fail("show", err)
			}
			j.closeArray()
		}
		if len(want) > 1 {
			j.closeObject()
		}
		j.newline()
		if err := j.flush(); err != nil {
			return e.fail("show", err)
		}
		return exitOK
	}
	tw := newTableOut(w)
	tw.nsColumn = true
	for i, t := range want {
		k := commandKindOfTable(t)
		if len(want) > 1 {
			if i > 0 {
				tw.line("")
			}
			tw.line(t + ":")
		}
		err := each(func(name string, d *dumpShow) error {
			tw.netns = name
			if err := k.dumpRows(d, tw); err != nil {
				return err
			}
			return tw.err()
		})
		if err != nil {
			return e.fail("show", err)
		}
		tw.endTable()
	}
	if err := tw.flush(); err != nil {
		return e.fail("show", err)
	}
	return exitOK
}
