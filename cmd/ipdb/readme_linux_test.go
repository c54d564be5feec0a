package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestReadmeOperatorTour runs every line of the operator tour in a
// namespace with what its selectors name (br0 with a port, an address, a
// route in table 100, a permanent neighbour), state.yaml being the
// README's state file and the socket a temporary one. Each command must
// exit 0 and print what it promises.
func TestReadmeOperatorTour(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link set lo up",
			"link add br0 type bridge",
			"link add p0 type veth peer name p1",
			"link set p0 master br0",
			"link set p1 up",
			"link set p0 up",
			"link set br0 up",
			"addr add 192.0.2.1/24 dev br0",
			"route add 198.51.100.0/24 via 192.0.2.254 dev br0 table 100",
			"route add 198.51.100.0/24 via 192.0.2.254 dev br0 metric 10 proto static",
			"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
		)
		ns.WaitCarrier("br0")
		dir := t.TempDir()
		state := filepath.Join(dir, "state.yaml")
		if err := os.WriteFile(state, []byte(readmeBlock(t, "### The state file", "yaml")), 0o600); err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(dir, "ipdb.sock")
		var stopServe func() int
		ran := 0
		sc := bufio.NewScanner(strings.NewReader(readmeBlock(t, "### Operator tour", "sh")))
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "#"); i >= 0 {
				line = line[:i]
			}
			line = strings.ReplaceAll(line, "/run/ipdb.sock", sock)
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			ran++
			switch f[0] {
			case "curl": // curl --unix-socket PATH URL
				if len(f) != 4 || f[1] != "--unix-socket" || stopServe == nil {
					t.Fatalf("tour: %q: want curl --unix-socket PATH URL after serve", line)
				}
				err := nstest.Eventually(10*time.Second, func() error {
					resp, err := unixClient(f[2]).Get(f[3])
					if err != nil {
						return err
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"dst":"198.51.100.0/24"`)) {
						return fmt.Errorf("%d %s", resp.StatusCode, body)
					}
					return nil
				})
				if err != nil {
					t.Errorf("tour: %s: %v", line, err)
				}
				if code := stopServe(); code != exitOK {
					t.Errorf("tour: serve: exit %d", code)
				}
				stopServe = nil
				continue
			case "ipdb":
			default:
				t.Fatalf("tour: %q is no ipdb or curl command", line)
			}
			args := append([]string{"-n", ns.Name}, f[1:]...)
			for i, a := range args {
				if a == "state.yaml" {
					args[i] = state
				}
			}
			switch {
			case f[1] == "monitor":
				out, errs, stop := startCmd(t, args...)
				waitMonitoring(t, ns, out) // it prints br0's MTU changes
				if code := stop(); code != exitOK {
					t.Errorf("tour: %s: exit %d: %s", line, code, errs.String())
				}
			case f[1] == "serve":
				out, _, stop := startCmd(t, args...)
				waitFor(t, "serve listening", out, func(s string) bool { return strings.Contains(s, "listening on unix:"+sock) })
				stopServe = stop
			default:
				code, out, errs := runCmd(t, args...)
				if code != exitOK || strings.TrimSpace(out) == "" {
					t.Errorf("tour: %s: exit %d, stdout %q, stderr %q", line, code, out, errs)
				}
				for word, want := range map[string]string{
					"table":   "198.51.100.0/24",
					"nud":     "192.0.2.7",
					"lookup":  "198.51.100.0/24 via 192.0.2.254 dev br0",
					"-p":      "\n    {\n        \"ifindex\": ",
					"-4":      "192.0.2.1",
					"dry-run": "plan: ",
				} {
					if strings.Contains(line, word) && !strings.Contains(out, want) {
						t.Errorf("tour: %s: output lacks %q:\n%s", line, want, out)
					}
				}
			}
		}
		if stopServe != nil {
			t.Errorf("tour: serve was never queried")
			stopServe()
		}
		if ran < 10 {
			t.Errorf("tour: only %d commands found", ran)
		}
		// The apply line made the state file true.
		if out := ns.IP("-d", "link", "show", "vx0"); !strings.Contains(out, "vxlan id 42") {
			t.Errorf("after the tour's apply: %s", out)
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
