//go:build !linux

package main

import "errors"

// readBPFProg: bpf(2) is Linux's.
func readBPFProg(id uint32) (bpfProg, error) { return bpfProg{}, errors.ErrUnsupported }
