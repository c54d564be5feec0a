package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"
)

// unixSocket is serve's listening Unix socket: mode 0600, so that only its
// owner (and root) can connect: access is the file system's, where a
// loopback port is open to every local user.
type unixSocket struct {
	ln   *net.UnixListener
	path string
	fi   fs.FileInfo // the socket file at path, to remove only ours
}

// listenUnix listens on a Unix socket at path with mode 0600, whatever the
// umask: it binds in a new private (0700) directory beside path, sets the
// mode, then hard-links the socket to path, which fails if path exists, so
// a socket is never replaced. A socket at path that accepts a connection
// belongs to a live server and is refused; one that refuses connections
// (ECONNREFUSED: a server that died without removing it) is removed first.
func listenUnix(path string) (*unixSocket, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket; not replacing it", path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: a server is listening on this socket already; not replacing it", path)
		}
		if err := os.Remove(path); err != nil { // stale: nothing listens
			return nil, err
		}
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".ipdb-serve-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false) // the name is tmp's, removed with dir
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Link(tmp, path); err != nil {
		ln.Close()
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s appeared while starting; not replacing it", path)
		}
		return nil, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &unixSocket{ln: ln, path: path, fi: fi}, nil
}

// remove deletes the socket file if it is still this server's.
func (u *unixSocket) remove() {
	if fi, err := os.Lstat(u.path); err == nil && os.SameFile(fi, u.fi) {
		os.Remove(u.path)
	}
}
