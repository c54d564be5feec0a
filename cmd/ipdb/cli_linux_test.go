package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestCompletionLive: completion requests are answered from the live
// namespace -n names: link names after dev, routing tables after table.
func TestCompletionLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add v0 type veth peer name v1",
			"link set v0 up",
			"addr add 192.0.2.1/24 dev v0",
			"route add 198.51.100.0/24 via 192.0.2.254 table 100",
		)
		var links []struct {
			Name string `json:"ifname"`
		}
		ns.IPJSON(&links, "link", "show")
		code, out, errs := runCmd(t, "__complete", "-n", ns.Name, "show", "link", "dev", "")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		got := strings.Split(strings.TrimSpace(out), "\n")
		if got[len(got)-1] != ":4" { // ShellCompDirectiveNoFileComp
			t.Errorf("directive %q, want :4", got[len(got)-1])
		}
		got = got[:len(got)-1]
		var want []string
		for _, l := range links {
			want = append(want, l.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("__complete show link dev '': %q, want ip's links %q", got, want)
		}
		// The bare name form (ip link show NAME), with a prefix.
		if _, out, _ := runCmd(t, "__complete", "-n", ns.Name, "show", "addr", "v"); !strings.HasPrefix(out, "v1\nv0\n:4\n") && !strings.HasPrefix(out, "v0\nv1\n:4\n") {
			t.Errorf("__complete show addr v: %q", out)
		}
		if _, out, _ := runCmd(t, "__complete", "-n", ns.Name, "show", "route", "table", ""); !strings.HasPrefix(out, "100\nmain\nlocal\nall\n:4\n") {
			t.Errorf("__complete show route table '': %q", out)
		}
		if _, out, _ := runCmd(t, "__complete", "-n", ns.Name, "lookup", "192.0.2.9", "--oif", "b"); !strings.HasPrefix(out, "br0\n:4\n") {
			t.Errorf("__complete lookup --oif b: %q", out)
		}
		if _, out, _ := runCmd(t, "__complete", "-n", ""); !strings.Contains(out, ns.Name+"\n") {
			t.Errorf("__complete -n '' lacks %s: %q", ns.Name, out)
		}
	})
}

// unixClient is an HTTP client that dials the Unix socket path.
func unixClient(path string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

// TestServeUnixSocket: serve --listen unix:PATH makes a socket of mode
// 0600 whatever the umask, serves on it, refuses to replace a socket a
// live server holds (or a file that is no socket), replaces a stale one,
// and removes its socket on exit.
func TestServeUnixSocket(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add br0 type bridge")
		dir := t.TempDir()
		sock := filepath.Join(dir, "ipdb.sock")
		old := unix.Umask(0) // the most permissive umask: the mode must not depend on it
		out, errs, stop := startCmd(t, "-n", ns.Name, "serve", "--listen", "unix:"+sock)
		waitFor(t, "listening", out, func(s string) bool { return strings.Contains(s, "listening on unix:"+sock) })
		unix.Umask(old)
		fi, err := os.Lstat(sock)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
			t.Errorf("socket mode %v, want a socket of 0600", fi.Mode())
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != uint32(os.Geteuid()) {
			t.Errorf("socket owned by %d, want %d", st.Uid, os.Geteuid())
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("left in the socket's directory: %v", ents)
		}
		err = nstest.Eventually(10*time.Second, func() error {
			resp, err := unixClient(sock).Get("http://ipdb/v1/links")
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var links []map[string]any
			if resp.StatusCode != 200 || json.Unmarshal(body, &links) != nil || !strings.Contains(string(body), `"ifname":"br0"`) {
				return fmt.Errorf("GET /v1/links over the socket: %d %s", resp.StatusCode, body)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		// A second server refuses to take the live socket over.
		code, _, errs2 := runCmd(t, "-n", ns.Name, "serve", "--listen", "unix:"+sock)
		if code != exitError || !strings.Contains(errs2, "a server is listening on this socket already") {
			t.Errorf("second serve: exit %d, %q", code, errs2)
		}
		if fi2, err := os.Lstat(sock); err != nil || !os.SameFile(fi, fi2) {
			t.Errorf("the live socket was replaced: %v", err)
		}
		if code := stop(); code != exitOK {
			t.Errorf("serve: exit %d: %s", code, errs.String())
		}
		if _, err := os.Lstat(sock); !os.IsNotExist(err) {
			t.Errorf("socket left after exit: %v", err)
		}

		// A stale socket (nothing listens) is replaced.
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		ln.SetUnlinkOnClose(false)
		ln.Close()
		out, errs, stop = startCmd(t, "-n", ns.Name, "serve", "--listen", "unix:"+sock)
		waitFor(t, "listening over a stale socket", out, func(s string) bool { return strings.Contains(s, "listening on") })
		if code := stop(); code != exitOK {
			t.Errorf("serve over a stale socket: exit %d: %s", code, errs.String())
		}
		// A file that is no socket is never replaced.
		if err := os.WriteFile(sock, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errs2 = runCmd(t, "-n", ns.Name, "serve", "--listen", "unix:"+sock)
		if b, _ := os.ReadFile(sock); code != exitError || string(b) != "keep me" || !strings.Contains(errs2, "is not a socket") {
			t.Errorf("serve over a file: exit %d, %q, file %q", code, errs2, b)
		}
	})
}

// TestNonRootNetns: a process without CAP_SYS_ADMIN over the namespace
// (here: root of a user namespace of its own, as an ordinary user is)
// gets one line saying what entering it needs. The test binary runs
// itself in a new user namespace (helperNonRoot).
func TestNonRootNetns(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		for _, args := range [][]string{
			{"-n", ns.Name, "show", "link"},
			{"-n", ns.Name, "monitor"},
			{"-n", ns.Name, "apply", "-f", "testdata/sample.yaml", "--dry-run"},
		} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestNonRootHelper$", "-test.count=1")
			enc, _ := json.Marshal(args)
			cmd.Env = append(os.Environ(), "IPDB_TEST_NONROOT_ARGS="+string(enc))
			cmd.SysProcAttr = &syscall.SysProcAttr{
				Cloneflags:  unix.CLONE_NEWUSER,
				UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
				GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if err == nil || !errors.As(err, &ee) || ee.ExitCode() != exitError {
				t.Fatalf("%v: %v, want exit %d; stderr %q", args, err, exitError, stderr.String())
			}
			msg := stderr.String()
			oneClearLine(t, strings.Join(args, " "), msg, "cannot enter network namespace \""+ns.Name+"\"")
			for _, w := range []string{"CAP_SYS_ADMIN", "CAP_NET_ADMIN"} {
				if !strings.Contains(msg, w) {
					t.Errorf("%v: %q does not name %s", args, msg, w)
				}
			}
		}
	})
}

// TestNonRootHelper runs the command with IPDB_TEST_NONROOT_ARGS (a JSON
// array) and exits with its status; it does nothing otherwise.
func TestNonRootHelper(t *testing.T) {
	a := os.Getenv("IPDB_TEST_NONROOT_ARGS")
	if a == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(a), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(runContext(context.Background(), args, io.Discard, os.Stderr))
}

// TestMonitorChoosesKinds: monitor's objects choose kinds as ip monitor's
// do (prefixes too); the other kinds' changes are not printed.
func TestMonitorChoosesKinds(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add br0 type bridge", "link set br0 up")
		out, errs, stop := startCmd(t, "-n", ns.Name, "monitor", "l", "route")
		waitMonitoring(t, ns, out)
		ns.Batch(
			"addr add 192.0.2.1/24 dev br0",
			"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
			"route add 198.51.100.0/24 via 192.0.2.254",
			"link set br0 mtu 1300",
		)
		s := waitFor(t, "route and link lines", out, func(s string) bool {
			return strings.Contains(s, "route add 198.51.100.0/24") && strings.Contains(s, "-> 1300")
		})
		if code := stop(); code != exitOK {
			t.Errorf("monitor: exit %d: %s", code, errs.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
			if !strings.Contains(line, "] link ") && !strings.Contains(line, "] route ") {
				t.Errorf("monitor l route printed another kind: %q", line)
			}
		}
		if code, _, errs := runCmd(t, "-n", ns.Name, "monitor", "bogus"); code != exitUsage || !strings.Contains(errs, `unknown table "bogus"`) {
			t.Errorf("monitor bogus: exit %d, %q", code, errs)
		}
	})
}

// TestLookupIPWords: lookup takes ip route get's words as its flags
// (`lookup 198.51.100.7 from 192.0.2.1 mark 0x10`) and answers the same.
func TestLookupIPWords(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link set lo up",
			"link add br0 type bridge",
			"link set br0 up",
			"addr add 192.0.2.1/24 dev br0",
			"route add 198.51.100.0/24 via 192.0.2.254 table 100",
			"route add 198.51.100.0/24 via 192.0.2.253",
			"rule add fwmark 0x10 table 100 pref 100",
		)
		flags := []string{"-n", ns.Name, "-j", "lookup", "198.51.100.7", "--from", "192.0.2.1", "--mark", "0x10"}
		words := []string{"-n", ns.Name, "-j", "lookup", "to", "198.51.100.7", "from", "192.0.2.1", "mark", "0x10", "fibmatch"}
		var want string
		err := nstest.Eventually(5*time.Second, func() error {
			code, out, errs := runCmd(t, flags...)
			if code != exitOK || !strings.Contains(out, `"gateway":"192.0.2.254"`) {
				return fmt.Errorf("flags: exit %d, %s %s", code, out, errs)
			}
			want = out
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if code, out, errs := runCmd(t, words...); code != exitOK || out != want {
			t.Errorf("ip's words: exit %d, %q %s; flags gave %q", code, out, errs, want)
		}
		if code, _, errs := runCmd(t, "-n", ns.Name, "lookup", "198.51.100.7", "mark", "1", "--mark", "2"); code != exitUsage || !strings.Contains(errs, "mark given twice") {
			t.Errorf("mark twice: exit %d, %q", code, errs)
		}
	})
}

// waitMonitoring changes br0's MTU (1400, 1500, ...) until a monitor
// running on ns prints it: the monitor has then subscribed, and sees every
// later change. br0 must exist.
func waitMonitoring(t *testing.T, ns *nstest.NS, out *lockedBuffer) {
	t.Helper()
	mtu := 1400
	err := nstest.Eventually(10*time.Second, func() error {
		ns.IP("link", "set", "br0", "mtu", fmt.Sprint(mtu))
		mtu = 2900 - mtu
		time.Sleep(50 * time.Millisecond)
		if !strings.Contains(out.String(), "link change") {
			return errors.New("no link change printed yet")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("monitor printed no change of br0's MTU: %v\n%s", err, out.String())
	}
}
