package ipdb

import "time"

// WithReadPause makes the listener pause after each batch it reads, so
// that tests can build the socket backlog of a loaded host.
func WithReadPause(d time.Duration) Option {
	return func(o *options) error {
		o.readPause = d
		return nil
	}
}

// WithBatchMax makes the listener read at most n datagrams per batch, so
// that tests can have notifications applied one revision each.
func WithBatchMax(n int) Option {
	return func(o *options) error {
		o.batchMax = n
		return nil
	}
}

// WithBeforeDump runs f in each targeted re-read just before its dump, so
// that tests can change the kernel while a re-read is under way.
func WithBeforeDump(f func()) Option {
	return func(o *options) error {
		o.beforeDump = f
		return nil
	}
}
