package oauthkit

/*
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import (
	"encoding/json"
	"runtime"
	"time"
)

// Claims are the claims about a user of an ID token or a userinfo answer
// (OakClaims), read by name. Standard claims sent with the wrong JSON type
// never fail the read ("true"/"false" strings are booleans; anything else
// is kept as sent, see JSON); a typed getter asked for a claim of another
// type returns ErrInvalidArgument. Read it from any number of goroutines;
// Close it when done.
type Claims struct {
	raw *C.OakClaims
}

func adoptClaims(raw *C.OakClaims) *Claims {
	if raw == nil {
		return nil
	}
	c := &Claims{raw: raw}
	runtime.SetFinalizer(c, (*Claims).Close)
	return c
}

// ClaimsFromJSON reads claims from a JSON object (a SignIn's UserInfoJSON,
// Provider.UserInfoJSON); anything else is ErrInvalidArgument.
func ClaimsFromJSON(text string) (*Claims, error) {
	c, err := cString(text, "json")
	if err != nil {
		return nil, err
	}
	defer freeC(c)
	var raw *C.OakClaims
	if err := call(func() C.OakStatus { return C.oak_claims_from_json(c, &raw) }); err != nil {
		return nil, err
	}
	return adoptClaims(raw), nil
}

// IDTokenClaims are the claims of the token set's ID token (validated when
// it was received); nil without an ID token.
func (t *TokenSet) IDTokenClaims() (*Claims, error) {
	var raw *C.OakClaims
	err := call(func() C.OakStatus { return C.oak_token_set_id_token_claims(t.raw, &raw) })
	runtime.KeepAlive(t)
	if err != nil {
		return nil, err
	}
	return adoptClaims(raw), nil
}

// Close frees the claims. Safe to call twice.
func (c *Claims) Close() {
	if c != nil && c.raw != nil {
		C.oak_claims_free(c.raw)
		c.raw = nil
		runtime.SetFinalizer(c, nil)
	}
}

func (c *Claims) named(name string, get func(*C.char) C.OakStatus) error {
	n, err := cString(name, "name")
	if err != nil {
		return err
	}
	defer freeC(n)
	err = call(func() C.OakStatus { return get(n) })
	runtime.KeepAlive(c)
	return err
}

// String is the string claim name ("sub", "email", a custom claim); ok is
// false when it is absent.
func (c *Claims) String(name string) (value string, ok bool, err error) {
	var out *C.char
	err = c.named(name, func(n *C.char) C.OakStatus { return C.oak_claims_string(c.raw, n, &out) })
	if err != nil {
		return "", false, err
	}
	value, ok = takeString(out)
	return value, ok, nil
}

// Bool is the boolean claim name ("email_verified"); ok is false when it
// is absent.
func (c *Claims) Bool(name string) (value bool, ok bool, err error) {
	var present, v C.bool
	err = c.named(name, func(n *C.char) C.OakStatus { return C.oak_claims_bool(c.raw, n, &present, &v) })
	return bool(v), bool(present), err
}

// Time is the time claim name ("exp", "iat", "auth_time", "updated_at");
// ok is false when it is absent.
func (c *Claims) Time(name string) (value time.Time, ok bool, err error) {
	var present C.bool
	var secs C.int64_t
	err = c.named(name, func(n *C.char) C.OakStatus { return C.oak_claims_time(c.raw, n, &present, &secs) })
	if err != nil || !bool(present) {
		return time.Time{}, false, err
	}
	return time.Unix(int64(secs), 0), true, nil
}

// Get decodes claim name (any claim: "aud", a custom object, a
// wrong-typed standard claim as sent) into v; ok is false when it is
// absent.
func (c *Claims) Get(name string, v any) (ok bool, err error) {
	var out *C.char
	err = c.named(name, func(n *C.char) C.OakStatus { return C.oak_claims_json(c.raw, n, &out) })
	if err != nil {
		return false, err
	}
	text, ok := takeString(out)
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal([]byte(text), v)
}

// DisplayName is the name to show for who signed in (email, else
// preferred_username, login, name, then the subject id); it came from the
// provider.
func (c *Claims) DisplayName() (string, bool, error) {
	var out *C.char
	err := call(func() C.OakStatus { return C.oak_claims_display_name(c.raw, &out) })
	runtime.KeepAlive(c)
	if err != nil {
		return "", false, err
	}
	s, ok := takeString(out)
	return s, ok, nil
}

// SubjectID is the stable id of the user (sub, else id, login, email).
func (c *Claims) SubjectID() (string, bool, error) {
	var out *C.char
	err := call(func() C.OakStatus { return C.oak_claims_subject_id(c.raw, &out) })
	runtime.KeepAlive(c)
	if err != nil {
		return "", false, err
	}
	s, ok := takeString(out)
	return s, ok, nil
}
