//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
)

// helpError is returned by parseArgs for -h and -help: main prints the
// subcommand's usage to stdout and exits 0.
type helpError struct{ fs *flag.FlagSet }

func (e *helpError) Error() string { return "help requested" }

// usageError is a bad invocation (an unknown flag, a value out of range,
// an argument no subcommand takes): main prints it and the subcommand's
// usage to stderr and exits 2, before anything is measured.
type usageError struct {
	fs  *flag.FlagSet
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// parseArgs parses args into fs, rejects positional arguments (no
// subcommand takes any), then runs check, which validates the flags'
// values and names the flag and its accepted range in its error. Parsing
// prints nothing: main prints the usage, to stdout for -h (exit 0) and to
// stderr with the error for a bad invocation (exit 2).
func parseArgs(fs *flag.FlagSet, args []string, check func() error) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return &helpError{fs}
	case err != nil:
		return &usageError{fs, err}
	case fs.NArg() > 0:
		return &usageError{fs, fmt.Errorf("unexpected argument %q: %s takes flags only", fs.Arg(0), fs.Name())}
	}
	if check != nil {
		if err := check(); err != nil {
			return &usageError{fs, err}
		}
	}
	return nil
}

// atLeast returns an error naming flag if v < lo.
func atLeast(flag string, v, lo int) error {
	if v < lo {
		return fmt.Errorf("-%s %d: must be at least %d", flag, v, lo)
	}
	return nil
}

// inRange returns an error naming flag if v is outside lo..hi.
func inRange(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("-%s %d: must be %d to %d", flag, v, lo, hi)
	}
	return nil
}

// usage prints the list of subcommands to w.
func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: bench SUBCOMMAND [flags]   (as root; SUBCOMMAND -h lists its flags)\n       bench help [SUBCOMMAND]\n\nsubcommands:\n")
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

// runMain runs the command line args (without the program name) and
// returns the exit status: 0 on success and for help, 1 if a benchmark
// failed, 2 for a bad invocation (with the usage on stderr). A missed
// performance target is not a failure.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) == 1 {
			usage(stdout)
			return 0
		}
		if len(args) > 2 {
			fmt.Fprintf(stderr, "bench help: one subcommand at most, got %q\n", args[1:])
			usage(stderr)
			return 2
		}
		// help SUBCOMMAND is SUBCOMMAND -h.
		name, args = args[1], []string{args[1], "-h"}
	}
	var cmd *subcommand
	for i := range subcommands {
		if subcommands[i].name == name {
			cmd = &subcommands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "bench: unknown subcommand %q\n", name)
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:])
	var he *helpError
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &he):
		he.fs.SetOutput(stdout)
		he.fs.Usage()
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "bench %s: %v\n", cmd.name, ue.err)
		ue.fs.SetOutput(stderr)
		ue.fs.Usage()
		return 2
	default:
		fmt.Fprintf(stderr, "bench %s: %v\n", cmd.name, err)
		return 1
	}
}

// positive returns an error naming flag if d <= 0.
func positive(flag string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("-%s %v: must be positive", flag, d)
	}
	return nil
}

// notNegative returns an error naming flag if d < 0.
func notNegative(flag string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("-%s %v: must not be negative", flag, d)
	}
	return nil
}

// watchEvents checks that rate route adds per second over d make at least
// one and fewer than the routes benchns can number.
func watchEvents(rate int, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("-duration %v: must be positive", d)
	}
	n := int(float64(rate) * d.Seconds())
	if lim := benchns.MaxRoutes(32) - 1; n < 1 || n >= lim {
		return fmt.Errorf("-rate %d x -duration %v = %d route adds: must be 1 to %d", rate, d, n, lim-1)
	}
	return nil
}
