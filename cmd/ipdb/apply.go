package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// Exit statuses of apply, so that scripts can tell the outcomes apart.
// Without --detailed-exitcode, success is 0 whether or not anything
// changed; with it, terraform's convention: 0 nothing to do, 2 changes
// planned (--dry-run) or applied, 1 any error, the command line included.
// Both keep the rollback outcomes distinct (4 and 5).
const (
	// exitApplied (0): the state holds: it was applied and verified, it
	// held already, or --dry-run planned it.
	exitApplied = 0
	// exitChanges (2, --detailed-exitcode only): changes were planned
	// (--dry-run) or applied.
	exitChanges = 2
	// exitRolledBack: applying failed and everything was rolled back.
	exitRolledBack = 4
	// exitRollbackFailed: applying failed and the rollback did not restore
	// everything; the namespace may be half-configured.
	exitRollbackFailed = 5
)

// progressMin is the plan size from which apply shows a progress bar on a
// terminal.
const progressMin = 200

// applyOpts are apply's flags.
type applyOpts struct {
	file     string        // -f
	dryRun   bool          // --dry-run
	timeout  time.Duration // --timeout
	quiet    bool          // -q
	detailed bool          // --detailed-exitcode
}

// runApply reads a state file, prints the plan and commits it.
func runApply(e *env, o applyOpts, pos []string) int {
	file, dryRun, timeout, quiet, detailed := &o.file, &o.dryRun, &o.timeout, &o.quiet, &o.detailed
	exitUsage := exitUsage
	changed := exitApplied
	if *detailed {
		exitUsage = exitError // terraform's convention: every error is 1
		changed = exitChanges
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "ipdb apply: unexpected argument %q (the file goes after -f)\n", pos[0])
		return exitUsage
	}
	if *file == "" {
		fmt.Fprintln(e.stderr, "ipdb apply: missing -f FILE")
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintln(e.stderr, "ipdb apply: --timeout must be positive")
		return exitUsage
	}
	specs, err := readStateFile(*file)
	if err != nil {
		fmt.Fprintf(e.stderr, "ipdb apply: %v\n", err)
		return exitError
	}
	defer specs.close()
	db, err := e.open()
	if err != nil {
		return e.fail("apply", err)
	}
	defer db.Close()
	conn, err := netlink.Dial(&netlink.Config{NetNS: e.netns})
	if err != nil {
		return e.fail("apply", err)
	}
	defer conn.Close()
	if err := specs.resolveLinks(db.Snapshot()); err != nil {
		var le *lineError
		if errors.As(err, &le) {
			fmt.Fprintf(e.stderr, "ipdb apply: %s:%d: %s\n", *file, le.Line, le.Msg)
		} else {
			fmt.Fprintf(e.stderr, "ipdb apply: %s: %v\n", *file, err)
		}
		return exitError
	}
	t := specs.into(txn.New(db, conn, &txn.Config{NetNS: e.netns}))
	plan, err := t.Plan()
	if err != nil {
		if line := specs.specLine(err); line > 0 {
			fmt.Fprintf(e.stderr, "ipdb apply: %s:%d: %s%s\n", *file, line, describe(err, e.netns), specs.otherLines(err))
			return exitError
		}
		fmt.Fprintf(e.stderr, "ipdb apply: %s: %s\n", *file, describe(err, e.netns))
		return exitError
	}
	if plan.Empty() {
		if !*quiet {
			fmt.Fprintln(e.stdout, "nothing to do: the state already holds")
		}
		return exitApplied
	}
	if !*quiet {
		fmt.Fprint(e.stdout, plan.String())
		if !strings.HasSuffix(plan.String(), "\n") {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "plan: %s\n", plan.Summary())
	}
	if *dryRun {
		return changed
	}
	ctx, cancel := context.WithTimeout(e.ctx, *timeout)
	defer cancel()
	var bar *progressBar
	if len(plan.Steps) >= progressMin && isTerminal(e.stderr) {
		bar = startProgress(db, e.stderr, len(plan.Steps))
	}
	start := time.Now()
	err = t.Commit(ctx)
	bar.stop(err == nil)
	if err == nil {
		if *quiet {
			return changed
		}
		fmt.Fprintf(e.stdout, "applied %d operations in %v\n", len(plan.Steps), time.Since(start).Round(time.Millisecond))
		return changed
	}
	return reportCommitError(e, err)
}

// reportCommitError prints a failed commit in one line and picks the exit
// status.
func reportCommitError(e *env, err error) int {
	var ce *txn.CommitError
	if !errors.As(err, &ce) {
		// Validation or conflict: nothing was applied.
		fmt.Fprintf(e.stderr, "ipdb apply: nothing applied: %s\n", describe(err, e.netns))
		return exitError
	}
	cause := describe(ce.Err, e.netns)
	if ce.Step != "" {
		cause = fmt.Sprintf("%q failed: %s", ce.Step, cause)
	}
	if ce.RolledBack {
		fmt.Fprintf(e.stderr, "ipdb apply: %s; rolled back, the namespace is as before\n", cause)
		return exitRolledBack
	}
	left := ""
	if len(ce.Left) > 0 {
		left = "; left over: " + strings.Join(ce.Left, ", ")
	}
	rb := ""
	if ce.RollbackErr != nil {
		rb = ": " + oneLine(ce.RollbackErr)
	}
	fmt.Fprintf(e.stderr, "ipdb apply: %s; ROLLBACK FAILED%s%s\n", cause, rb, left)
	return exitRollbackFailed
}

// maxStateFile is the largest state file apply reads, in bytes. Parsing
// YAML costs many times the file's size in memory (a node per key and
// value); 32 MiB is about 300,000 routes.
const maxStateFile = 32 << 20

// readStateFile reads and converts a state file; errors start with the
// file name and line.
func readStateFile(name string) (*specSet, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxStateFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStateFile {
		line := bytes.Count(data[:maxStateFile], []byte("\n")) + 1
		return nil, fmt.Errorf("%s:%d: the file is larger than the limit of %d MiB (split it, or use the txn package)", name, line, maxStateFile>>20)
	}
	st, err := parseStateFile(data)
	if err == nil {
		var specs *specSet
		if specs, err = st.specs(); err == nil {
			return specs, nil
		}
	}
	var le *lineError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("%s:%d: %s", name, le.Line, le.Msg)
	}
	return nil, fmt.Errorf("%s: %v", name, err)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar draws how much of a commit the cache has seen applied: the
// number of object changes since the commit started against the number of
// planned operations (one change per operation, capped below 100% until
// the commit returns).
type progressBar struct {
	w     io.Writer
	total int
	done  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(db *ipdb.DB, w io.Writer, total int) *progressBar {
	p := &progressBar{w: w, total: total, done: make(chan struct{})}
	rev := db.Revision()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		seen := 0
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			changes, next, _, err := db.ChangesSince(rev, 0)
			if err == nil {
				seen += len(changes)
				rev = next
			}
			p.draw(min(seen, total-1))
			select {
			case <-p.done:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *progressBar) draw(n int) {
	const width = 40
	fill := n * width / p.total
	fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d", strings.Repeat("#", fill), strings.Repeat(".", width-fill), n*100/p.total, n, p.total)
}

// stop ends the bar; a nil bar does nothing.
func (p *progressBar) stop(ok bool) {
	if p == nil {
		return
	}
	close(p.done)
	p.wg.Wait()
	if ok {
		p.draw(p.total)
	}
	fmt.Fprintln(p.w)
}
