//go:build linux

package soak

import (
	"flag"
	"fmt"
	"time"
)

// flagMins are the smallest accepted values of the flags that count
// something: below them a test would run and check nothing.
var flagMins = map[string]struct {
	min      int64
	accepted string
}{
	"soak.duration": {1, "a positive duration, e.g. 40s"},
	"soak.changes":  {1, "1 or more"},
	"soak.maxburst": {1, "1 or more"},
	"soak.rcvbuf":   {0, "0 (no small-buffer run) or more bytes"},
	"soak.leaks":    {1, "1 or more"},
}

// CheckFlags returns an error naming the first of the given flags of this
// package (all of them if none is given) whose value is outside its
// accepted range, and that range. A soak test calls it before anything
// else, so that a bad value fails the test instead of making it pass
// without checking anything.
func CheckFlags(names ...string) error {
	if len(names) == 0 {
		names = []string{"soak.duration", "soak.changes", "soak.maxburst", "soak.rcvbuf", "soak.leaks"}
	}
	for _, name := range names {
		b, ok := flagMins[name]
		f := flag.Lookup(name)
		if !ok || f == nil {
			return fmt.Errorf("soak.CheckFlags: no flag -%s", name)
		}
		var v int64
		switch x := f.Value.(flag.Getter).Get().(type) {
		case int:
			v = int64(x)
		case time.Duration:
			v = int64(x)
		default:
			return fmt.Errorf("soak.CheckFlags: -%s is a %T", name, x)
		}
		if v < b.min {
			return fmt.Errorf("-%s=%s: must be %s", name, f.Value, b.accepted)
		}
	}
	return nil
}

// AtLeast returns an error naming flag and its accepted range if v < min,
// for the flags of a test package.
func AtLeast(flag string, v, min int) error {
	if v < min {
		return fmt.Errorf("-%s=%d: must be %d or more", flag, v, min)
	}
	return nil
}
