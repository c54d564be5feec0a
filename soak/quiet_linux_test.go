package soak_test

import (
	"bufio"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/internal/soak"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// Bounds of the quiet pause: a pause in which the kernel (ip monitor) or
// the database saw anything is checked, then made again after
// quietSettle, at most quietAttempts times.
const (
	quietAttempts = 5
	quietSettle   = 2 * time.Second
)

// monitorEntry is one notification as `ip monitor all` prints it: the
// object kind in its brackets ("LINK", "ADDR", "ROUTE", "NEIGH", "RULE",
// "NEXTHOP", "NETCONF", ...) and its text, continuation lines joined.
type monitorEntry struct {
	kind, text string
}

func (e monitorEntry) String() string { return "[" + e.kind + "]" + e.text }

// parseMonitor splits the output of `ip monitor all` into entries: a line
// that starts with "[KIND]" begins one, an indented line continues it.
func parseMonitor(lines []string) []monitorEntry {
	var out []monitorEntry
	for _, l := range lines {
		if k, rest, ok := strings.Cut(l, "]"); ok && strings.HasPrefix(k, "[") && !strings.ContainsAny(k, " \t") {
			out = append(out, monitorEntry{kind: k[1:], text: strings.TrimSpace(rest)})
			continue
		}
		if len(out) > 0 && strings.TrimSpace(l) != "" {
			out[len(out)-1].text += " " + strings.TrimSpace(l)
		}
	}
	return out
}

// monitorKinds are the bracketed kinds of `ip monitor all` by object kind;
// the kinds it does not print (qdiscs, classes, filters) are missing.
var monitorKinds = map[netlink.Kind]string{
	netlink.KindLink: "LINK", netlink.KindAddr: "ADDR", netlink.KindRoute: "ROUTE",
	netlink.KindNeigh: "NEIGH", netlink.KindFDB: "NEIGH", netlink.KindRule: "RULE", netlink.KindNexthop: "NEXTHOP",
}

// explains reports whether e is a notification about the object c
// changed: same kind, and the object's key as ip prints it (a link's or
// address's ifindex, a route's destination, a neighbour's address, an FDB
// entry's MAC, a rule's priority, a nexthop's id).
func explains(e monitorEntry, c ipdb.Change) bool {
	if monitorKinds[c.Kind] == "" || monitorKinds[c.Kind] != e.kind {
		return false
	}
	o := c.New
	if o == nil {
		o = c.Old
	}
	f := strings.Fields(e.text)
	if len(f) > 0 && f[0] == "Deleted" {
		f = f[1:]
	}
	has := func(tok string) bool {
		for _, x := range f {
			if x == tok {
				return true
			}
		}
		return false
	}
	first := func(tok string) bool { return len(f) > 0 && f[0] == tok }
	switch o := o.(type) {
	case *netlink.Link:
		return first(fmt.Sprintf("%d:", o.Index))
	case *netlink.Addr:
		return first(fmt.Sprintf("%d:", o.Index)) && (has(o.Prefix.String()) || has(o.Prefix.Addr().String()))
	case *netlink.Route:
		switch {
		case o.Dst.Bits() == 0:
			return has("default") || has(o.Dst.String())
		case o.Dst.Bits() == o.Dst.Addr().BitLen():
			return has(o.Dst.Addr().String()) || has(o.Dst.String())
		}
		return has(o.Dst.String())
	case *netlink.Neigh:
		return o.Dst.IsValid() && has(o.Dst.String()) || !o.Dst.IsValid() && len(o.LLAddr) > 0 && has(o.LLAddr.String())
	case *netlink.FDB:
		return len(o.LLAddr) > 0 && has(o.LLAddr.String())
	case *netlink.Rule:
		return first(fmt.Sprintf("%d:", o.Priority))
	case *netlink.Nexthop:
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "id" && f[i+1] == fmt.Sprint(o.ID) {
				return true
			}
		}
	}
	return false
}

// changeLine is a change in one line for messages.
func changeLine(c ipdb.Change) string {
	o := c.New
	if o == nil {
		o = c.Old
	}
	return fmt.Sprintf("rev %d %s %s", c.Rev, c.Op, oracle.Line(o))
}

// checkPause checks the database's events of one pause against what `ip
// monitor` printed in it: no event may be a change without a difference;
// an event that no monitor entry of the same object explains is a change
// the kernel did not announce (the multicast neighbours of its own MLD
// reports, say), which the database can only have found by re-reading, so
// the database must equal ip -j (equal) after it. equal is called only if
// there were events.
func checkPause(kernel []monitorEntry, changes []ipdb.Change, equal func() error) error {
	var errs []error
	var unexplained []string
	for _, c := range changes {
		if c.Op == ipdb.OpChange && oracle.Line(c.Old) == oracle.Line(c.New) {
			errs = append(errs, fmt.Errorf("a change without a difference: %s", changeLine(c)))
			continue
		}
		found := false
		for _, e := range kernel {
			if explains(e, c) {
				found = true
				break
			}
		}
		if !found {
			unexplained = append(unexplained, changeLine(c))
		}
	}
	if len(changes) > 0 {
		if err := equal(); err != nil {
			what := "after its events"
			if len(unexplained) > 0 {
				what = fmt.Sprintf("after %d events no `ip monitor` entry explains (%s)", len(unexplained), strings.Join(unexplained[:min(5, len(unexplained))], "; "))
			}
			errs = append(errs, fmt.Errorf("the database differs from ip -j %s:\n%s", what, soak.Trim(err, 20)))
		}
	}
	return errors.Join(errs...)
}

// observePause runs `ip monitor all` on ns while nothing is changed for d,
// and returns what it printed and the database's events in d.
func observePause(ns *nstest.NS, db *ipdb.DB, d time.Duration) ([]monitorEntry, []ipdb.Change, error) {
	mon := exec.Command("ip", "-n", ns.Name, "monitor", "all")
	out, err := mon.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := mon.Start(); err != nil {
		return nil, nil, err
	}
	lines := make(chan []string, 1)
	go func() {
		var got []string
		s := bufio.NewScanner(out)
		for s.Scan() {
			got = append(got, s.Text())
		}
		lines <- got
	}()
	time.Sleep(300 * time.Millisecond) // ip monitor subscribes
	rev := db.Revision()
	time.Sleep(d)
	changes, _, _, err := db.ChangesSince(rev, 0)
	// Notifications the database applied late were sent before this;
	// ip monitor gets a little longer to print them.
	time.Sleep(200 * time.Millisecond)
	mon.Process.Kill()
	mon.Wait()
	kernel := parseMonitor(<-lines)
	return kernel, changes, err
}

// quiet checks that the database reports no event during a pause of d in
// which nothing changes (quietPause, quietAttempts pauses at most,
// quietSettle apart).
func quiet(t *testing.T, ns *nstest.NS, db *ipdb.DB, d time.Duration) {
	t.Helper()
	if err := quietPause(ns, db, d, quietAttempts, quietSettle, t.Logf); err != nil {
		t.Error(err)
	}
}

// quietPause watches pauses of d in which nothing is changed. A pause in
// which `ip monitor` saw the kernel change something (a neighbour going
// stale, a late DAD), or the database changed, is checked (checkPause: its
// events are about objects ip monitor saw change, or bring the database to
// what ip -j shows within 10 s) and then made again after settle, until one is quiet
// on both sides: no monitor entry, no event. It returns an error if a
// check fails, or if none of attempts pauses is quiet.
func quietPause(ns *nstest.NS, db *ipdb.DB, d time.Duration, attempts int, settle time.Duration, logf func(string, ...any)) error {
	var last string
	for attempt := 1; attempt <= attempts; attempt++ {
		kernel, changes, err := observePause(ns, db, d)
		if err != nil {
			return err
		}
		// The kernel may still be at its own work: the database must reach
		// what ip -j shows within 10 s.
		equal := func() error { _, _, err := soak.Settle(ns, db, 10*time.Second); return err }
		if err := checkPause(kernel, changes, equal); err != nil {
			return fmt.Errorf("quiet pause %d of %v: ip monitor printed %d entries, the database %d events: %w", attempt, d, len(kernel), len(changes), err)
		}
		if len(kernel) == 0 && len(changes) == 0 {
			logf("quiet pause of %v: no events, ip monitor silent (attempt %d)", d, attempt)
			return nil
		}
		var ev []string
		for _, c := range changes[:min(5, len(changes))] {
			ev = append(ev, changeLine(c))
		}
		var kl []string
		for _, e := range kernel[:min(5, len(kernel))] {
			kl = append(kl, e.String())
		}
		last = fmt.Sprintf("ip monitor printed %d entries:\n  %s\nthe database %d events:\n  %s",
			len(kernel), strings.Join(kl, "\n  "), len(changes), strings.Join(ev, "\n  "))
		logf("pause %d of %v was not quiet, its events checked; another after %v: %s", attempt, d, settle, last)
		time.Sleep(settle)
	}
	return fmt.Errorf("no quiet pause of %v in %d attempts %v apart: the kernel or the database kept changing; the last: %s", d, attempts, settle, last)
}
