package main

import (
	"context"
	"errors"
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
	"github.com/ipdb-go/ipdb/netlink"
)

// Exit statuses. apply has its own (see apply.go).
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// env is what every subcommand gets: the namespace, ip's options, the
// output streams and a context that ends on SIGINT or SIGTERM.
type env struct {
	ctx    context.Context
	netns  string
	g      *globalFlags
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
	case netns != "" && netnsMissing(err, netns):
		return fmt.Sprintf("network namespace %q does not exist (see `ip netns list`)", netns)
	case netns != "" && enteringNetns(err) && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)):
		return fmt.Sprintf("cannot enter network namespace %q: %v (entering a namespace needs CAP_SYS_ADMIN over it; writing in it also needs CAP_NET_ADMIN: run as root, e.g. with sudo)", netns, oneLine(err))
	case kernelRefused(err) && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)):
		return fmt.Sprintf("permission denied: %v (changing network state needs CAP_NET_ADMIN; run as root)", oneLine(err))
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: " + oneLine(err)
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	// Anything else, a file-system ENOENT or EACCES included, says itself
	// what failed (the path and the errno).
	return oneLine(err)
}

// netnsMissing reports whether err is the failure to open the namespace
// file of netns itself (netlink.Dial's "dial netns X", or an os.Open of
// /run/netns/X or of the path given), not some other ENOENT such as a
// socket directory of serve --listen.
func netnsMissing(err error, netns string) bool {
	if !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	var oe *netlink.OpError
	if errors.As(err, &oe) && oe.Op == "dial" && strings.HasPrefix(oe.Object, "netns ") {
		return true
	}
	var pe *fs.PathError
	return errors.As(err, &pe) && (pe.Path == netns || pe.Path == "/run/netns/"+netns || pe.Path == "/var/run/netns/"+netns)
}

// kernelRefused reports whether err is the kernel's answer to a netlink
// request (a netlink.OpError other than "dial"): only then is an EPERM or
// EACCES a missing CAP_NET_ADMIN, not a file-system permission.
func kernelRefused(err error) bool {
	var oe *netlink.OpError
	return errors.As(err, &oe) && oe.Op != "dial"
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// enteringNetns reports whether err comes from opening a netlink socket in
// another namespace (setns(2), which needs CAP_SYS_ADMIN in the user
// namespace that owns the network namespace), rather than from a request.
func enteringNetns(err error) bool {
	var oe *netlink.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}
