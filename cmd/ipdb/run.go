package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
)

// Exit statuses. apply has its own (see apply.go).
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usageText = `usage: ipdb [--netns NAME] COMMAND [ARGS]

commands:
  show [links|addrs|routes|neigh|rules|fdb|nexthops] [-o table|json] [-d]   print the current state
  monitor [-o text|json]                                       print changes as they happen
  lookup ADDR [--table N] [--from ADDR]                        the route the cache would pick
  apply -f FILE [--dry-run] [--timeout D]                      make the state of a YAML file true
  serve --listen 127.0.0.1:PORT                                the cache over HTTP on loopback
`

// env is what every subcommand gets: the namespace, the output streams and
// a context that ends on SIGINT or SIGTERM.
type env struct {
	ctx    context.Context
	netns  string
	stdout io.Writer
	stderr io.Writer
	// syncTimeout bounds the wait for the cache's first full picture.
	syncTimeout time.Duration
}

// run is the whole command: it parses args, runs a subcommand and returns
// the exit status. It writes nothing but to stdout and stderr.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ipdb", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	netns := fs.String("netns", "", "network namespace `name` (under /run/netns) or path")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			return exitOK
		}
		fmt.Fprintf(stderr, "ipdb: %v (see ipdb help)\n", err)
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintf(stderr, "ipdb: missing command: show, monitor, lookup, apply or serve (see ipdb help)\n")
		return exitUsage
	}
	e := &env{ctx: ctx, netns: *netns, stdout: stdout, stderr: stderr, syncTimeout: 60 * time.Second}
	cmd, cargs := rest[0], rest[1:]
	switch cmd {
	case "show":
		return runShow(e, cargs)
	case "monitor":
		return runMonitor(e, cargs)
	case "lookup":
		return runLookup(e, cargs)
	case "apply":
		return runApply(e, cargs)
	case "serve":
		return runServe(e, cargs)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	fmt.Fprintf(stderr, "ipdb: unknown command %q (want show, monitor, lookup, apply or serve)\n", cmd)
	return exitUsage
}

// parseFlags parses a subcommand's flags, allowing them before and after
// its positional arguments (`show routes -o json` and `show -o json
// routes`). It reports errors on stderr in one line.
func (e *env) parseFlags(fs *flag.FlagSet, args []string) ([]string, bool) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(e.stderr, "usage of ipdb %s:\n", fs.Name())
				fs.SetOutput(e.stderr)
				fs.PrintDefaults()
				return nil, false
			}
			fmt.Fprintf(e.stderr, "ipdb %s: %v\n", fs.Name(), err)
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// open starts a cache on the namespace and waits until it is synced.
func (e *env) open(opts ...ipdb.Option) (*ipdb.DB, error) {
	if e.netns != "" {
		opts = append(opts, ipdb.WithNetNS(e.netns))
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.syncTimeout)
	defer cancel()
	db, err := ipdb.Open(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if err := db.WaitSynced(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// fail prints err for people, in one line, and returns the exit status.
func (e *env) fail(cmd string, err error) int {
	fmt.Fprintf(e.stderr, "ipdb %s: %s\n", cmd, describe(err, e.netns))
	return exitError
}

// describe turns the errors people meet into one clear sentence.
func describe(err error, netns string) string {
	switch {
	case netns != "" && errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("network namespace %q does not exist (see `ip netns list`)", netns)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Sprintf("permission denied: %v (changing network state needs CAP_NET_ADMIN; run as root)", oneLine(err))
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: " + oneLine(err)
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return oneLine(err)
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
