//go:build !linux

package main

import "errors"

// noEcho is only done on Linux; elsewhere the password shows as typed,
// and the prompt says so.
func noEcho(int) (func(), error) { return nil, errors.New("no echo control here") }
