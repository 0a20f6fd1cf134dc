package forum

import (
	"errors"
	"fmt"
)

// Code classifies an error so each surface can answer it once, in its own
// way (an HTTP status, an exit code).
type Code string

const (
	EINVALID      Code = "invalid"      // the request is wrong; Message says how
	ENOTFOUND     Code = "not_found"    // no such thing, or not visible to the actor
	EFORBIDDEN    Code = "forbidden"    // the actor may not do this
	EUNAUTHORIZED Code = "unauthorized" // log in first, or wrong credentials
	ECONFLICT     Code = "conflict"     // already exists
	ERATELIMIT    Code = "rate_limited" // too many attempts; try later
	EUNAVAILABLE  Code = "unavailable"  // storage is down; retry later
	EREADONLY     Code = "read_only"    // the admin has paused writing; retry later
	EINTERNAL     Code = "internal"     // a bug or an unexpected failure
)

// Sentinels the store wraps driver errors into, once per engine.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("already exists")
	ErrBusy        = errors.New("database busy")
	ErrUnavailable = errors.New("database unavailable")
	// ErrStorageFull is a write refused because the database's disk is
	// full: reading goes on, the forum is read-only until there is room.
	ErrStorageFull = errors.New("database storage full")
)

// Error is a domain error whose Message is safe to show to a member.
type Error struct {
	Code    Code
	Message string
	Field   string // the form field at fault, if any
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with a safe, formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error about one form field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrorCode returns the code of err: from an *Error, from a store sentinel,
// or EINTERNAL.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, ErrNotFound):
		return ENOTFOUND
	case errors.Is(err, ErrConflict):
		return ECONFLICT
	case errors.Is(err, ErrStorageFull):
		return EREADONLY
	case errors.Is(err, ErrBusy), errors.Is(err, ErrUnavailable):
		return EUNAVAILABLE
	}
	return EINTERNAL
}

// ErrorMessage returns the member-safe message for err. Internal errors get
// a generic sentence; their details belong in the log, not on a page.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	switch ErrorCode(err) {
	case ENOTFOUND:
		return "That page does not exist, or you cannot see it."
	case ECONFLICT:
		return "That already exists."
	case EUNAVAILABLE:
		return "The forum's database is unavailable right now. Please try again in a minute."
	case EREADONLY:
		return StorageFullMessage
	}
	return "Something went wrong on our side. It has been logged."
}

// StorageFullMessage tells members why the forum is read-only while its
// disk is full.
const StorageFullMessage = "The forum is read-only for now: its server ran out of disk space. Reading works; posting comes back as soon as there is room, and what you typed is kept."

// ErrorField returns the form field err is about, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
