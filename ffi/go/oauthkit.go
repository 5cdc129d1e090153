// Package oauthkit is the Go binding of the oauthkit C ABI: OAuth 2.0 /
// OpenID Connect sign-in and token storage for native apps.
//
// It links against liboauthkit through pkg-config (package "oauthkit"):
// build the library with scripts/install-local.sh and set
// PKG_CONFIG_PATH=<prefix>/lib/pkgconfig (and LD_LIBRARY_PATH=<prefix>/lib
// to run, or link the static library).
//
// Every failing call returns an *Error with the library's status Code and
// Message; compare with errors.Is(err, oauthkit.ErrNotFound) and friends.
// Handles (Store, TokenSet, ...) must be closed with Close; a finalizer
// frees forgotten ones, but do not rely on it for secrets.
package oauthkit

/*
#cgo pkg-config: oauthkit
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// Code is a status of the C ABI (OAK_ERR_*).
type Code int32

// The status codes; they equal the C header's OAK_ERR_* values.
const (
	CodeNotFound        Code = C.OAK_ERR_NOT_FOUND
	CodeStorage         Code = C.OAK_ERR_STORAGE
	CodeCorrupt         Code = C.OAK_ERR_CORRUPT
	CodeValidation      Code = C.OAK_ERR_VALIDATION
	CodeIO              Code = C.OAK_ERR_IO
	CodeUnavailable     Code = C.OAK_ERR_UNAVAILABLE
	CodeUnsupported     Code = C.OAK_ERR_UNSUPPORTED
	CodeInvalidArgument Code = C.OAK_ERR_INVALID_ARGUMENT
	CodeHTTP            Code = C.OAK_ERR_HTTP
	CodeOAuth           Code = C.OAK_ERR_OAUTH
	CodeInvalidGrant    Code = C.OAK_ERR_INVALID_GRANT
	CodeIDToken         Code = C.OAK_ERR_ID_TOKEN
	CodeTimeout         Code = C.OAK_ERR_TIMEOUT
	CodeCancelled       Code = C.OAK_ERR_CANCELLED
	CodeAuthentication  Code = C.OAK_ERR_AUTHENTICATION
	CodeLockTimeout     Code = C.OAK_ERR_LOCK_TIMEOUT
	CodeInternal        Code = C.OAK_ERR_INTERNAL
)

// String is the status' C name, e.g. "OAK_ERR_NOT_FOUND".
func (c Code) String() string {
	return C.GoString(C.oak_status_name(C.int32_t(c)))
}

// Error is a failed oauthkit call.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("oauthkit: %s (%s)", e.Message, e.Code)
}

// Is makes errors.Is(err, oauthkit.ErrNotFound) match any *Error of that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// Sentinels for errors.Is: each matches every error of its code.
var (
	ErrNotFound        = &Error{Code: CodeNotFound}
	ErrStorage         = &Error{Code: CodeStorage}
	ErrCorrupt         = &Error{Code: CodeCorrupt}
	ErrValidation      = &Error{Code: CodeValidation}
	ErrIO              = &Error{Code: CodeIO}
	ErrUnavailable     = &Error{Code: CodeUnavailable}
	ErrUnsupported     = &Error{Code: CodeUnsupported}
	ErrInvalidArgument = &Error{Code: CodeInvalidArgument}
	ErrHTTP            = &Error{Code: CodeHTTP}
	ErrOAuth           = &Error{Code: CodeOAuth}
	ErrInvalidGrant    = &Error{Code: CodeInvalidGrant}
	ErrIDToken         = &Error{Code: CodeIDToken}
	ErrTimeout         = &Error{Code: CodeTimeout}
	ErrCancelled       = &Error{Code: CodeCancelled}
	ErrAuthentication  = &Error{Code: CodeAuthentication}
	ErrLockTimeout     = &Error{Code: CodeLockTimeout}
	ErrInternal        = &Error{Code: CodeInternal}
)

// call runs one C call and, on failure, reads the thread-local message on
// the same OS thread (a goroutine may otherwise move between threads
// between the two cgo calls).
func call(f func() C.OakStatus) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	status := f()
	if status == C.OAK_OK {
		return nil
	}
	return &Error{Code: Code(status), Message: C.GoString(C.oak_last_error_message())}
}

// cString copies s for C. A NUL byte would silently cut the string short
// in C, so it is refused.
func cString(s, name string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: "invalid argument: " + name + " contains a NUL byte"}
	}
	return C.CString(s), nil
}

func freeC(p *C.char) { C.free(unsafe.Pointer(p)) }

// takeString copies and frees (zeroing) a string the library returned.
func takeString(p *C.char) (string, bool) {
	if p == nil {
		return "", false
	}
	defer C.oak_string_free(p)
	return C.GoString(p), true
}

func takeArray(items **C.char, n C.size_t) []string {
	defer C.oak_string_array_free(items, n)
	out := make([]string, 0, int(n))
	for _, p := range unsafe.Slice(items, int(n)) {
		out = append(out, C.GoString(p))
	}
	return out
}

// Version is the library's version, e.g. "0.1.0".
func Version() string { return C.GoString(C.oak_version()) }

// ABIVersion is the loaded library's ABI version; it is at least
// HeaderABIVersion when the library is compatible with this package.
func ABIVersion() uint32 { return uint32(C.oak_abi_version()) }

// HeaderABIVersion is the ABI version of the header this package was built
// against.
const HeaderABIVersion = C.OAK_ABI_VERSION

// cArgs converts string arguments and frees them afterwards; "" in an optional position becomes NULL.
type cArgs struct{ ptrs []*C.char }

func (a *cArgs) str(s, name string) (*C.char, error) {
	c, err := cString(s, name)
	if err == nil {
		a.ptrs = append(a.ptrs, c)
	}
	return c, err
}

func (a *cArgs) opt(s, name string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return a.str(s, name)
}

func (a *cArgs) free() {
	for _, p := range a.ptrs {
		freeC(p)
	}
}
