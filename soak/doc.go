// Package soak holds the torture tests of ipdb, run with
// `go test ./soak -run Soak` and the flags of package internal/soak
// (-soak.seed, -soak.duration, -soak.changes, -soak.maxburst,
// -soak.rcvbuf, -soak.leaks). Their defaults are the bounded run of CI;
// a long run raises them, e.g.
//
//	go test ./soak -run Soak -timeout 0 -soak.duration=30m -soak.changes=2000000 -soak.maxburst=200000
//
// On a mismatch a test prints the seed, the checkpoint and the
// differences, and keeps the commands it ran in a log file.
package soak
