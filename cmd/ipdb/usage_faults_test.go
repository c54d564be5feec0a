package main

// Usage and message faults a new user met trying issues 17 and 11: help
// and completion of unknown words, errors that blamed the wrong cause,
// number ranges in the state file, ip's abbreviations of show.

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// `ipdb help bogus` prints the root help and exits 0, naming nothing; an
// unknown command elsewhere is exit 2 with the nearest word.
func TestHelpUnknownTopicIsAnError(t *testing.T) {
	// (`sho` itself is now ip's abbreviation of show: see TestShowAbbreviations.)
	code, out, errs := runCmd(t, "help", "shwo")
	if code != exitUsage || !strings.Contains(errs, `"show"`) {
		t.Errorf("help shwo: exit %d, stderr %q, stdout %d bytes; want exit %d naming \"show\"", code, errs, len(out), exitUsage)
	}
	code, out, errs = runCmd(t, "help", "bogus")
	if code != exitUsage || !strings.Contains(errs, `"bogus"`) || out != "" {
		t.Errorf("help bogus: exit %d, stderr %q, stdout %d bytes; want exit %d naming \"bogus\"", code, errs, len(out), exitUsage)
	}
	if code, out, _ := runCmd(t, "help", "show"); code != exitOK || !strings.Contains(out, "ipdb show") {
		t.Errorf("help show: exit %d, %d bytes", code, len(out))
	}
}

// `ipdb completion tcsh` prints the completion help and exits 0.
func TestCompletionUnknownShellIsAnError(t *testing.T) {
	code, _, errs := runCmd(t, "completion", "tcsh")
	if code != exitUsage || errs == "" {
		t.Errorf("completion tcsh: exit %d, stderr %q; want exit %d and an error", code, errs, exitUsage)
	}
}

// With -n, every ENOENT is reported as a missing namespace: `ipdb -n blue
// serve --listen unix:/nonexistent/dir/s.sock` says `network namespace
// "blue" does not exist` while blue exists.
func TestDescribeENOENTOfAFileIsNotTheNamespace(t *testing.T) {
	err := fmt.Errorf("stat /nonexistent/dir: %w", fs.ErrNotExist)
	if got := describe(err, "blue"); strings.Contains(got, "namespace") {
		t.Errorf("describe(%v, blue) = %q: blames the namespace", err, got)
	}
}

// A socket directory the user can't write is reported as needing
// CAP_NET_ADMIN ("changing network state"), which is not what is missing.
func TestDescribeEACCESOfAFileIsNotCapNetAdmin(t *testing.T) {
	err := fmt.Errorf("mkdir /srv/ro/.ipdb-serve-1: %w", unix.EACCES)
	if got := describe(err, ""); strings.Contains(got, "CAP_NET_ADMIN") {
		t.Errorf("describe(%v) = %q: blames CAP_NET_ADMIN for a file-system permission", err, got)
	}
}

// TestStateFileNumberRange: a number out of its key's range names the
// range, not just "a number".
func TestStateFileNumberRange(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"links:\n  - name: br0\n    mtu: -1\n", ":3: mtu: bad value `-1` (want a number from 0 to 4294967295)"},
		{"links:\n  - name: vx0\n    kind: vxlan\n    id: 1\n    port: 70000\n", "(want a number from 0 to 65535)"},
	} {
		file := filepath.Join(t.TempDir(), "s.yaml")
		if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readStateFile(file); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}

// TestShowAbbreviations: ip's s, sh, sho, list and lst are show, as in
// `ip route s`; se is not (serve or show?), and names the nearest.
func TestShowAbbreviations(t *testing.T) {
	for _, w := range []string{"s", "sh", "sho", "list", "lst"} {
		if code, out, errs := runCmd(t, "help", w); code != exitOK || !strings.Contains(out, "ipdb show") {
			t.Errorf("help %s: exit %d, %s", w, code, errs)
		}
	}
	if code, _, errs := runCmd(t, "se"); code != exitUsage || !strings.Contains(errs, `"serve"`) {
		t.Errorf("se: exit %d, %s", code, errs)
	}
}
