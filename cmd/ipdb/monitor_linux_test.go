package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// lockedBuffer is an io.Writer safe for a command running on another
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until cond holds on the output, or fails after 5 s.
func waitFor(t *testing.T, what string, out *lockedBuffer, cond func(string) bool) string {
	t.Helper()
	var s string
	err := nstest.Eventually(5*time.Second, func() error {
		if s = out.String(); !cond(s) {
			return errors.New("not seen")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: not seen in 5 s; output so far:\n%s", what, s)
	}
	return s
}

// startCmd runs the command on a goroutine until its context is cancelled.
func startCmd(t *testing.T, args ...string) (out, errs *lockedBuffer, stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	out, errs = &lockedBuffer{}, &lockedBuffer{}
	code := make(chan int, 1)
	go func() { code <- runContext(ctx, args, out, errs) }()
	var once sync.Once
	var c int
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case c = <-code:
			case <-time.After(10 * time.Second):
				t.Fatalf("%v did not stop within 10 s of the signal", args)
			}
		})
		return c
	}
	t.Cleanup(func() { stop() })
	return out, errs, stop
}

// TestMonitor: monitor prints adds, changes with old and new, and deletes,
// as text and as JSON lines.
func TestMonitor(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor", "-o", "json")
		jout, _, jstop := out, errs, stop
		tout, terrs, tstop := startCmd(t, "--netns", ns.Name, "monitor")
		// The monitors are running once they have subscribed; give them
		// a moment, then change things.
		time.Sleep(300 * time.Millisecond)
		ns.Batch("link add mon0 type bridge", "link set mon0 mtu 1400", "link del mon0")
		waitFor(t, "json delete", jout, func(s string) bool { return strings.Contains(s, `"op":"delete","kind":"link"`) })
		if code := jstop(); code != 0 {
			t.Errorf("monitor exit %d: %s", code, errs.String())
		}
		var ops []string
		sc := bufio.NewScanner(strings.NewReader(jout.String()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev struct {
				Op, Kind string
				Rev      uint64
				Old, New map[string]any
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("bad line %q: %v", sc.Text(), err)
			}
			if ev.Kind != "link" {
				continue
			}
			switch ev.Op {
			case "add":
				if ev.Old != nil || ev.New["ifname"] != "mon0" {
					t.Errorf("add event %s", sc.Text())
				}
			case "change":
				if ev.Old == nil || ev.New == nil {
					t.Errorf("change without old and new: %s", sc.Text())
				}
				if ev.Old["mtu"] == float64(1500) && ev.New["mtu"] == float64(1400) {
					ops = append(ops, "mtu")
				}
			case "delete":
				if ev.New != nil || ev.Old["ifname"] != "mon0" {
					t.Errorf("delete event %s", sc.Text())
				}
			}
			ops = append(ops, ev.Op)
		}
		if !strings.Contains(strings.Join(ops, " "), "add") || !strings.Contains(strings.Join(ops, " "), "mtu") {
			t.Errorf("want an add and the mtu change 1500 -> 1400, got %v\n%s", ops, jout.String())
		}
		text := waitFor(t, "text delete", tout, func(s string) bool { return strings.Contains(s, "link delete") })
		if !regexp.MustCompile(`link change \d+: mon0: .*mtu 1500 -> 1400`).MatchString(text) {
			t.Errorf("text monitor does not show old -> new:\n%s", text)
		}
		if code := tstop(); code != 0 {
			t.Errorf("monitor exit %d: %s", code, terrs.String())
		}
	})
}

// TestServeCommand: serve on 127.0.0.1:0 through run answers, then shuts
// down gracefully when its context ends (as on SIGINT/SIGTERM), ending an
// open watch stream.
func TestServeCommand(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		out, errs, stop := startCmd(t, "--netns", ns.Name, "serve", "--listen", "127.0.0.1:0")
		s := waitFor(t, "listening", out, func(s string) bool { return strings.Contains(s, "listening on") })
		url := regexp.MustCompile(`http://[0-9.:]+`).FindString(s)
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		err := nstest.Eventually(5*time.Second, func() error {
			resp, err := client.Get(url + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case 200:
				return nil
			case 503:
				return fmt.Errorf("healthz: %d", resp.StatusCode)
			}
			t.Fatalf("healthz: %d", resp.StatusCode)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Get(url + "/v1/watch")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		ended := make(chan error, 1)
		go func() { _, err := io.Copy(io.Discard, resp.Body); ended <- err }()
		if code := stop(); code != 0 {
			t.Errorf("serve exit %d: %s", code, errs.String())
		}
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Error("watch stream still open after shutdown")
		}
		if !strings.Contains(out.String(), "stopped") {
			t.Errorf("no shutdown message: %s", out.String())
		}
	})
}
