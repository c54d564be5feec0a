package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// The README's examples are run as written: the operator tour line by
// line in a throwaway namespace, the Go developer tour built and run
// there, and the install and set-up commands checked against the module.

const readmePath = "../../README.md"

// readmeBlock returns the first fenced block of language lang after the
// heading line.
func readmeBlock(t *testing.T, heading, lang string) string {
	t.Helper()
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no heading %q", heading)
	}
	s = s[i:]
	open := "\n```" + lang + "\n"
	j := strings.Index(s, open)
	if j < 0 {
		t.Fatalf("README: no ```%s block after %q", lang, heading)
	}
	s = s[j+len(open):]
	k := strings.Index(s, "\n```")
	if k < 0 {
		t.Fatalf("README: unterminated block after %q", heading)
	}
	return s[:k+1]
}

// TestReadmeInstall: the install command names this module's command, and
// the two set-up commands are the ones the README has always given.
func TestReadmeInstall(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	module := strings.TrimPrefix(strings.SplitN(string(gomod), "\n", 2)[0], "module ")
	for _, want := range []string{
		"\n    go install " + module + "/cmd/ipdb@latest\n",
		"\n    go run ./cmd/ipdb show\n",
		"\n    go test ./...\n",
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("README lacks the command %q", strings.TrimSpace(want))
		}
	}
}

// TestReadmeOperatorTour runs the operator tour's block as it is written,
// with bash -e, in a fresh namespace (lo up, nothing else) and an empty
// directory, with this package's ipdb first on PATH: what a reader who
// pastes it gets. Every command must succeed and print what it promises.
// Then the README's full state file applies over what the tour made.
func TestReadmeOperatorTour(t *testing.T) {
	block := readmeBlock(t, "### Operator tour", "sh")
	// Build as the test's user; nstest.Run's re-executed child finds the
	// binary through the environment.
	bin := os.Getenv("IPDB_README_IPDB_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "ipdb")
		build := exec.Command(goTool(t), "build", "-o", bin, ".")
		build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false", "GOPROXY=off")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build of ipdb: %v\n%s", err, out)
		}
		os.Setenv("IPDB_README_IPDB_BIN", bin)
		defer os.Unsetenv("IPDB_README_IPDB_BIN")
	}
	for _, tool := range []string{"bash", "curl", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the tour needs %s: %v", tool, err)
		}
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "set", "lo", "up")
		dir := t.TempDir()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command("bash", "-e", "-c", block)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := ns.Do(cmd.Run); err != nil {
			t.Fatalf("the operator tour, run as written: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
		out := stdout.String()
		for _, want := range []string{
			"plan: +",                              // apply --dry-run and apply print the plan
			"+ link veth0 master br0\n",            // what a created link gets is part of its creation
			"applied ",                             // apply
			"\nrules:\n",                           // show: every table
			"100    unicast  default  192.0.2.254", // show route table 100 dev br0
			"br0  inet    192.0.2.1/24",            // -4 show addr dev br0
			"\nbr0              UP             192.0.2.1/24 ",                    // -br show addr
			"br0  192.0.2.7  02:00:00:00:00:07  PERMANENT",                       // show neigh dev br0 nud permanent
			"\n    {\n        \"ifindex\": ",                                     // -j -p show link br0
			"\n198.51.100.0/24 via 192.0.2.254 dev br0 proto static metric 10\n", // lookup
			`"dst":"198.51.100.0/24","gateway":"192.0.2.254"`,                    // curl of serve
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the tour's output lacks %q:\n%s\nstderr:\n%s", want, out, stderr.String())
			}
		}
		if !strings.Contains(out+stderr.String(), "listening on unix:ipdb.sock") {
			t.Errorf("serve did not say where it listens:\n%s", stderr.String())
		}
		// The state file of the README applies over the tour's state.
		state := filepath.Join(dir, "full.yaml")
		if err := os.WriteFile(state, []byte(readmeBlock(t, "### The state file", "yaml")), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", state); code != exitOK {
			t.Fatalf("apply of the README's state file: exit %d\n%s%s", code, out, errs)
		}
		if out := ns.IP("-d", "link", "show", "vx0"); !strings.Contains(out, "vxlan id 42") {
			t.Errorf("after the state file's apply: %s", out)
		}
	})
}

// goTool returns the go command: go test puts $GOROOT/bin first on the
// test's PATH.
func goTool(t *testing.T) string {
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH (go test puts it there): %v", err)
	}
	return p
}

// TestReadmeGoTour builds the Go developer tour in a directory of this
// module (go ignores directories starting with "_" in patterns) and runs
// it in a throwaway namespace; it must exit 0, print its plan and
// answers, and leave what it committed in the namespace as ip sees it.
func TestReadmeGoTour(t *testing.T) {
	src := readmeBlock(t, "## Go developer tour", "go")
	// Build as the test's user; nstest.Run's re-executed child (non-root)
	// finds the binary through the environment.
	bin := os.Getenv("IPDB_README_TOUR_BIN")
	if bin == "" {
		gotool := goTool(t)
		dir, err := os.MkdirTemp(".", "_readme-tour-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		bin = filepath.Join(t.TempDir(), "tour")
		build := exec.Command(gotool, "build", "-o", bin, "./"+dir)
		build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false", "GOPROXY=off") // everything it needs is in the module cache: the test was built
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build of the README's Go tour: %v\n%s", err, out)
		}
		os.Setenv("IPDB_README_TOUR_BIN", bin)
		defer os.Unsetenv("IPDB_README_TOUR_BIN")
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "set", "lo", "up")
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, ns.Name)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("the Go tour: %v\n%s%s", err, stdout.String(), stderr.String())
		}
		out := stdout.String()
		for _, want := range []string{
			"+ link br1 type bridge\n",
			"+ addr 203.0.113.1/24 dev br1\n",
			"+ route 198.51.100.0/25 via 203.0.113.254 proto static\n",
			"address: 203.0.113.1/24\n",
			"lookup: 198.51.100.0/25 via 203.0.113.254\n",
			"route get: table 254 rule 32766\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the Go tour's output lacks %q:\n%s", want, out)
			}
		}
		// The dump counts main's routes of both families: all of ip's IPv4
		// ones, and IPv6 ones that may still be appearing (link-local).
		v4 := strings.Count(ns.IP("-4", "route", "show", "table", "main"), "\n")
		all := v4 + strings.Count(ns.IP("-6", "route", "show", "table", "main"), "\n")
		var n int
		if i := strings.Index(out, "main table: "); i < 0 {
			t.Errorf("the Go tour printed no count:\n%s", out)
		} else if _, err := fmt.Sscanf(out[i:], "main table: %d routes", &n); err != nil || n < v4 || n > all || v4 != 2 {
			t.Errorf("the Go tour counted %d routes of main; ip lists %d IPv4 (want 2) and %d in all:\n%s", n, v4, all, out)
		}
		if got := ns.IP("route", "show", "198.51.100.0/25"); !strings.Contains(got, "via 203.0.113.254 dev br1 proto static") {
			t.Errorf("ip route show 198.51.100.0/25: %q", got)
		}
	})
}
