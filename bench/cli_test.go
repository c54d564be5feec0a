//go:build linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCLI checks every subcommand's handling of its command line without
// the kernel: -h prints the usage to stdout and exits 0; a positional
// argument, an unknown flag or a value out of range exits 2 with an error
// that names the flag (or argument) and the usage on stderr. The context
// is cancelled, so that an invocation wrongly accepted fails at once
// instead of measuring.
func TestCLI(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	type tc struct {
		args   []string
		status int
		stdout string // substring of stdout
		stderr string // substring of stderr
	}
	cases := []tc{
		{nil, 2, "", "usage: bench SUBCOMMAND"},
		{[]string{"help"}, 0, "usage: bench SUBCOMMAND", ""},
		{[]string{"-h"}, 0, "usage: bench SUBCOMMAND", ""},
		{[]string{"--help"}, 0, "usage: bench SUBCOMMAND", ""},
		{[]string{"help", "report"}, 0, "usage: bench report", ""},
		{[]string{"help", "nosuch"}, 2, "", `unknown subcommand "nosuch"`},
		{[]string{"help", "report", "apply"}, 2, "", "one subcommand at most"},
		{[]string{"nosuch"}, 2, "", `unknown subcommand "nosuch"`},

		{[]string{"report", "extra-arg"}, 2, "", `unexpected argument "extra-arg"`},
		{[]string{"report", "-n", "-5"}, 2, "", "-n -5: must be 0"},
		{[]string{"report", "-count", "0"}, 2, "", "-count 0: must be at least 1"},
		{[]string{"report", "-sizes", "0"}, 2, "", `bad size "0"`},
		{[]string{"report", "-only", "10"}, 2, "", `bad scenario "10"`},
		{[]string{"report", "-lookups", "-1"}, 2, "", "-lookups -1"},
		{[]string{"report", "-small-buffer", "0"}, 2, "", "-small-buffer 0"},
		{[]string{"report", "-idle", "0s"}, 2, "", "-idle 0s"},
		{[]string{"report", "-idle-settle", "-1s"}, 2, "", "-idle-settle -1s"},
		{[]string{"report", "-idle-links", "0"}, 2, "", "-idle-links 0"},
		{[]string{"report", "-idle-neighs", "-1"}, 2, "", "-idle-neighs -1"},
		{[]string{"report", "-idle-bridges", "-1"}, 2, "", "-idle-bridges -1"},
		{[]string{"report", "-rate", "0"}, 2, "", "-rate 0"},
		{[]string{"report", "-watch", "-1s"}, 2, "", "-watch -1s"},
		{[]string{"report", "-subs", "0"}, 2, "", "-subs 0"},

		{[]string{"routedump", "-n", "-5"}, 2, "", "-n -5: must be 1 to"},
		{[]string{"routedump", "-n", "0"}, 2, "", "-n 0: must be 1 to"},
		{[]string{"routedump", "-len", "40"}, 2, "", "-len 40: must be 8 to 32"},
		{[]string{"coldsync", "-count", "0"}, 2, "", "-count 0"},
		{[]string{"show", "-count", "-1"}, 2, "", "-count -1"},
		{[]string{"resync", "-burst", "0"}, 2, "", "-burst 0"},
		{[]string{"resync", "-n", "100", "-burst", "101"}, 2, "", "-burst 101"},
		{[]string{"nexthop", "-groups", "0"}, 2, "", "-groups 0"},
		{[]string{"apply", "-n", "0"}, 2, "", "-n 0"},
		{[]string{"apply", "-count", "0"}, 2, "", "-count 0"},
		{[]string{"commit", "-n", "-1"}, 2, "", "-n -1"},
		{[]string{"commit", "-count", "0"}, 2, "", "-count 0"},
		{[]string{"tc", "-classes", "0"}, 2, "", "-classes 0"},
		{[]string{"tc", "-filters", "-1"}, 2, "", "-filters -1"},
		{[]string{"tc", "-count", "0"}, 2, "", "-count 0"},
		{[]string{"watchlat", "-rate", "0"}, 2, "", "-rate 0"},
		{[]string{"watchlat", "-subs", "0"}, 2, "", "-subs 0"},
		{[]string{"watchlat", "-duration", "-1s"}, 2, "", "-duration -1s"},
		{[]string{"watchlat", "-rate", "1", "-duration", "1ms"}, 2, "", "route adds: must be 1 to"},
		{[]string{"netns", "-n", "0"}, 2, "", "-n 0"},
		{[]string{"netns", "-rate", "0"}, 2, "", "-rate 0"},
		{[]string{"netns", "-j", "0"}, 2, "", "-j 0"},
		{[]string{"netns", "-idle", "0s"}, 2, "", "-idle 0s"},
		{[]string{"netns", "-settle", "-1s"}, 2, "", "-settle -1s"},
		{[]string{"netns", "-churn", "-1s"}, 2, "", "-churn -1s"},
	}
	// Every subcommand: help, an argument, an unknown flag.
	for _, c := range subcommands {
		cases = append(cases,
			tc{[]string{c.name, "-h"}, 0, "usage: bench " + c.name, ""},
			tc{[]string{c.name, "-help"}, 0, "usage: bench " + c.name, ""},
			tc{[]string{c.name, "extra-arg"}, 2, "", `unexpected argument "extra-arg"`},
			tc{[]string{c.name, "-nosuchflag"}, 2, "", "flag provided but not defined: -nosuchflag"},
		)
	}
	for _, c := range cases {
		var out, errw bytes.Buffer
		status := runMain(ctx, c.args, &out, &errw)
		name := strings.Join(c.args, " ")
		if status != c.status {
			t.Errorf("bench %s: exit status %d, want %d\nstdout: %s\nstderr: %s", name, status, c.status, out.String(), errw.String())
			continue
		}
		if !strings.Contains(out.String(), c.stdout) {
			t.Errorf("bench %s: stdout lacks %q:\n%s", name, c.stdout, out.String())
		}
		if !strings.Contains(errw.String(), c.stderr) {
			t.Errorf("bench %s: stderr lacks %q:\n%s", name, c.stderr, errw.String())
		}
		if c.status == 2 && len(c.args) > 0 && !strings.Contains(errw.String(), "usage: bench") {
			t.Errorf("bench %s: exit 2 without the usage on stderr:\n%s", name, errw.String())
		}
		if c.status == 0 && errw.Len() > 0 {
			t.Errorf("bench %s: help wrote to stderr:\n%s", name, errw.String())
		}
	}
}
