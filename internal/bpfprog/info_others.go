//go:build !linux

package bpfprog

import "errors"

// ByID: bpf(2) is Linux's.
func ByID(id uint32) (Info, error) { return Info{}, errors.ErrUnsupported }

// FDByID: bpf(2) is Linux's.
func FDByID(id uint32) (int, error) { return -1, errors.ErrUnsupported }

// ByFD: bpf(2) is Linux's.
func ByFD(fd int) (Info, error) { return Info{}, errors.ErrUnsupported }

// Pinned: bpf(2) is Linux's.
func Pinned(path string) (int, error) { return -1, errors.ErrUnsupported }
