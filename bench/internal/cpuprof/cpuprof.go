// Package cpuprof gives bench subcommands a -cpuprofile flag: a CPU profile
// of the measured part of a run, for `go tool pprof`; with it come
// -exectrace (an execution trace) and -memprofile (the allocations made
// between Start and Stop).
package cpuprof

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// Flag is a -cpuprofile flag. Start and Stop bracket what is profiled;
// both do nothing when the flag is empty.
type Flag struct {
	path, tracePath, memPath string
	f, tf                    *os.File
	memStarted               bool
}

// Register adds -cpuprofile to fs.
func (p *Flag) Register(fs *flag.FlagSet) {
	fs.StringVar(&p.path, "cpuprofile", "", "write a CPU profile of the measured runs to `file` (for go tool pprof)")
	fs.StringVar(&p.tracePath, "exectrace", "", "write an execution trace of the measured runs to `file` (for go tool trace)")
	fs.StringVar(&p.memPath, "memprofile", "", "write a profile of the allocations the measured runs make to `file` (for go tool pprof -sample_index=alloc_space)")
}

// Start begins profiling if the flag is set.
func (p *Flag) Start() error {
	if p.memPath != "" && !p.memStarted {
		// The profile is cumulative: its base is what was allocated
		// before (go tool pprof -base takes the difference).
		if err := p.writeHeap(p.memPath + ".base"); err != nil {
			return err
		}
		p.memStarted = true
	}
	if p.tracePath != "" && p.tf == nil {
		f, err := os.Create(p.tracePath)
		if err != nil {
			return fmt.Errorf("exectrace: %w", err)
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			return fmt.Errorf("exectrace: %w", err)
		}
		p.tf = f
	}
	if p.path == "" || p.f != nil {
		return nil
	}
	f, err := os.Create(p.path)
	if err != nil {
		return fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("cpuprofile: %w", err)
	}
	p.f = f
	return nil
}

// Stop ends profiling and closes the file. It is safe to call more than
// once, and without Start.
func (p *Flag) Stop() error {
	if p.tf != nil {
		trace.Stop()
		err := p.tf.Close()
		p.tf = nil
		if err != nil {
			return fmt.Errorf("exectrace: %w", err)
		}
	}
	if p.memStarted {
		p.memStarted = false
		if err := p.writeHeap(p.memPath); err != nil {
			return err
		}
	}
	if p.f == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.f.Close()
	p.f = nil
	if err != nil {
		return fmt.Errorf("cpuprofile: %w", err)
	}
	return nil
}

// writeHeap writes the allocation profile to path.
func (p *Flag) writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("memprofile: %w", err)
	}
	werr := pprof.Lookup("allocs").WriteTo(f, 0)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("memprofile: %w", err)
	}
	return nil
}
