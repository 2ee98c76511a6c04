// Package exit gives every error the process exit code it should end with,
// so that `main` stays a thin mapping and CI pipelines can gate on codes
// that are documented and tested (README, "Exit codes").
package exit

import (
	"context"
	"errors"
	"fmt"
)

// The documented exit codes of rehearse.
const (
	Approved    = 0   // every check passed; an approval was written
	Rejected    = 1   // the rehearsal ran and the upgrade is not safe
	CannotRun   = 2   // bad input, missing image, infrastructure failure
	Interrupted = 130 // SIGINT / SIGTERM: torn down, no verdict
)

// Error carries the exit code of the failure it wraps. The message of the
// wrapped error is what the user reads, so it must say what to do.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Input marks bad input from the user: a file, a flag, a spec field. The
// message should name the file (and line or field) and what to do.
func Input(format string, args ...any) error {
	return &Error{Code: CannotRun, Err: fmt.Errorf(format, args...)}
}

// Infra marks a failure of the machinery around the rehearsal (Docker,
// PostgreSQL, a missing image): the upgrade was not judged.
func Infra(format string, args ...any) error {
	return &Error{Code: CannotRun, Err: fmt.Errorf(format, args...)}
}

// Reject marks a rehearsal that ran and found the upgrade unsafe.
func Reject(format string, args ...any) error {
	return &Error{Code: Rejected, Err: fmt.Errorf(format, args...)}
}

// WithCode wraps err with code unless err already carries one.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: code, Err: err}
}

// Code maps an error to the process exit code. An error that carries no
// code means rehearse could not do its job: 2, never 1, so that an
// unexpected failure is never mistaken for a judged rejection.
func Code(err error) int {
	if err == nil {
		return Approved
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return CannotRun
}
