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
