package ipdb

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// bindWait bounds how long a file that appeared in RunDir may take to
// become a namespace: `ip netns add` creates the file, then unshares and
// bind-mounts the namespace on it, and the mount makes no inotify event.
// The file is looked at again every bindRetry meanwhile.
const (
	bindWait  = 2 * time.Second
	bindRetry = 5 * time.Millisecond
)

// follow starts following RunDir: an inotify watch for files created,
// moved in, deleted or moved out (IN_CREATE, IN_MOVED_TO, IN_DELETE,
// IN_MOVED_FROM), then a scan of what is already there, so that nothing
// created in between is missed. A missing RunDir is created, as `ip
// netns add` would.
func (s *Set) follow() error {
	dir := s.cfg.RunDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ipdb: set: %w", err)
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("ipdb: set: inotify_init1: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_ONLYDIR); err != nil {
		unix.Close(fd)
		return fmt.Errorf("ipdb: set: inotify watch %s: %w", dir, err)
	}
	// A non-blocking fd in an *os.File waits in the runtime's poller, and
	// Close unblocks the read.
	s.notify = os.NewFile(uintptr(fd), "inotify")
	s.wg.Add(1)
	go s.followLoop(s.notify)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("ipdb: set: %w", err)
	}
	for _, e := range entries {
		s.appeared(e.Name(), time.Now())
	}
	return nil
}

func (s *Set) followLoop(f *os.File) {
	defer s.wg.Done()
	buf := make([]byte, 16<<10)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			// Should not happen; the watch is lost. Say so and stop.
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if !closed {
				fmt.Fprintf(os.Stderr, "ipdb: set: inotify: %v\n", err)
			}
			return
		}
		b := buf[:n]
		for len(b) >= unix.SizeofInotifyEvent {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
			end := unix.SizeofInotifyEvent + int(ev.Len)
			if end > len(b) {
				break
			}
			name := string(bytes.TrimRight(b[unix.SizeofInotifyEvent:end], "\x00"))
			b = b[end:]
			switch {
			case ev.Mask&unix.IN_Q_OVERFLOW != 0:
				s.rescan()
			case name == "":
			case ev.Mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
				s.appeared(name, time.Now())
			case ev.Mask&(unix.IN_DELETE|unix.IN_MOVED_FROM) != 0:
				s.cancelRetry(name)
				s.setAttachErr(name, nil)
				s.detach(name, true)
			}
		}
	}
}

// rescan compares RunDir with the followed members after an inotify
// queue overflow.
func (s *Set) rescan() {
	entries, _ := os.ReadDir(s.cfg.RunDir)
	present := map[string]bool{}
	for _, e := range entries {
		present[e.Name()] = true
		s.appeared(e.Name(), time.Now())
	}
	s.mu.Lock()
	for name := range s.attachErrs {
		if !present[name] {
			delete(s.attachErrs, name)
		}
	}
	var gone []string
	for name, m := range s.members {
		if m.auto && !present[name] {
			gone = append(gone, name)
		}
	}
	s.mu.Unlock()
	for _, name := range gone {
		s.detach(name, true)
	}
}

// appeared attaches RunDir/name once it is a namespace (an nsfs inode),
// looking again every bindRetry until bindWait after first.
func (s *Set) appeared(name string, first time.Time) {
	if s.cfg.Match != nil && !s.cfg.Match(name) {
		return
	}
	s.mu.Lock()
	_, attached := s.members[name]
	s.mu.Unlock()
	if attached {
		return
	}
	path := filepath.Join(s.cfg.RunDir, name)
	ok, err := netlink.IsNetNS(path)
	if err != nil && errors.Is(err, os.ErrNotExist) {
		return // gone again
	}
	if ok {
		err := s.attach(name, path, 0, true)
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrClosed) {
			// The namespace may have gone meanwhile: look again.
			if _, serr := os.Stat(path); serr == nil {
				if time.Since(first) < bindWait {
					s.retry(name, first)
				} else {
					s.setAttachErr(name, err)
				}
			}
			return
		}
		if err == nil {
			s.setAttachErr(name, nil)
		}
		return
	}
	if time.Since(first) < bindWait {
		s.retry(name, first)
	}
}

func (s *Set) retry(name string, first time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if _, ok := s.retries[name]; ok {
		return
	}
	s.wg.Add(1)
	s.retries[name] = time.AfterFunc(bindRetry, func() {
		defer s.wg.Done()
		s.mu.Lock()
		delete(s.retries, name)
		closed := s.closed
		s.mu.Unlock()
		if !closed {
			s.appeared(name, first)
		}
	})
}

func (s *Set) cancelRetry(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.retries[name]; ok {
		if t.Stop() {
			s.wg.Done()
		}
		delete(s.retries, name)
	}
}
