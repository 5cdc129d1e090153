package oauthkit

/*
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import (
	"runtime"
	"strings"
	"time"
)

// TokenSet holds an access token and what came with it. Read it from any
// number of goroutines; mutate it from one. Close it when done.
type TokenSet struct {
	raw *C.OakTokenSet
}

func adoptTokenSet(raw *C.OakTokenSet) *TokenSet {
	if raw == nil {
		return nil
	}
	t := &TokenSet{raw: raw}
	runtime.SetFinalizer(t, (*TokenSet).Close)
	return t
}

// NewTokenSet makes a bearer token set holding only accessToken.
func NewTokenSet(accessToken string) (*TokenSet, error) {
	c, err := cString(accessToken, "access_token")
	if err != nil {
		return nil, err
	}
	defer freeC(c)
	var raw *C.OakTokenSet
	if err := call(func() C.OakStatus { return C.oak_token_set_new(c, &raw) }); err != nil {
		return nil, err
	}
	return adoptTokenSet(raw), nil
}

// TokenSetFromJSON parses oauthkit's JSON form; malformed input is ErrCorrupt.
func TokenSetFromJSON(json string) (*TokenSet, error) {
	c, err := cString(json, "json")
	if err != nil {
		return nil, err
	}
	defer freeC(c)
	var raw *C.OakTokenSet
	if err := call(func() C.OakStatus { return C.oak_token_set_from_json(c, &raw) }); err != nil {
		return nil, err
	}
	return adoptTokenSet(raw), nil
}

// Close frees the token set (zeroing its tokens). Safe to call twice.
func (t *TokenSet) Close() {
	if t != nil && t.raw != nil {
		C.oak_token_set_free(t.raw)
		t.raw = nil
		runtime.SetFinalizer(t, nil)
	}
}

// Clone makes an independent copy.
func (t *TokenSet) Clone() (*TokenSet, error) {
	var raw *C.OakTokenSet
	if err := call(func() C.OakStatus { return C.oak_token_set_clone(t.raw, &raw) }); err != nil {
		return nil, err
	}
	return adoptTokenSet(raw), nil
}

type getter func(*C.OakTokenSet, **C.char) C.OakStatus

func (t *TokenSet) text(get getter) (string, bool, error) {
	var out *C.char
	if err := call(func() C.OakStatus { return get(t.raw, &out) }); err != nil {
		return "", false, err
	}
	s, ok := takeString(out)
	runtime.KeepAlive(t)
	return s, ok, nil
}

// JSON is the token set in oauthkit's JSON form (it holds the tokens).
func (t *TokenSet) JSON() (string, error) {
	s, _, err := t.text(func(r *C.OakTokenSet, o **C.char) C.OakStatus { return C.oak_token_set_to_json(r, o) })
	return s, err
}

// AccessToken is the access token.
func (t *TokenSet) AccessToken() (string, error) {
	s, _, err := t.text(func(r *C.OakTokenSet, o **C.char) C.OakStatus { return C.oak_token_set_access_token(r, o) })
	return s, err
}

// RefreshToken is the refresh token; ok is false when there is none.
func (t *TokenSet) RefreshToken() (token string, ok bool, err error) {
	return t.text(func(r *C.OakTokenSet, o **C.char) C.OakStatus { return C.oak_token_set_refresh_token(r, o) })
}

// IDToken is the OpenID Connect ID token; ok is false when there is none.
func (t *TokenSet) IDToken() (token string, ok bool, err error) {
	return t.text(func(r *C.OakTokenSet, o **C.char) C.OakStatus { return C.oak_token_set_id_token(r, o) })
}

// TokenType is the token type, normally "Bearer".
func (t *TokenSet) TokenType() (string, error) {
	s, _, err := t.text(func(r *C.OakTokenSet, o **C.char) C.OakStatus { return C.oak_token_set_token_type(r, o) })
	return s, err
}

// Scopes are the granted scopes.
func (t *TokenSet) Scopes() ([]string, error) {
	s, _, err := t.text(func(r *C.OakTokenSet, o **C.char) C.OakStatus { return C.oak_token_set_scope(r, o) })
	return strings.Fields(s), err
}

// IdentityID is the identity (the ID token's sub); ok is false when unknown.
func (t *TokenSet) IdentityID() (id string, ok bool, err error) {
	return t.text(func(r *C.OakTokenSet, o **C.char) C.OakStatus { return C.oak_token_set_identity_id(r, o) })
}

// ResourceServer is the resource server; ok is false when unset.
func (t *TokenSet) ResourceServer() (rs string, ok bool, err error) {
	return t.text(func(r *C.OakTokenSet, o **C.char) C.OakStatus { return C.oak_token_set_resource_server(r, o) })
}

// ExpiresAt is when the access token expires; ok is false when unknown.
func (t *TokenSet) ExpiresAt() (at time.Time, ok bool, err error) {
	var unix C.int64_t
	var known C.bool
	err = call(func() C.OakStatus { return C.oak_token_set_expires_at(t.raw, &unix, &known) })
	if err != nil || !bool(known) {
		return time.Time{}, false, err
	}
	return time.Unix(int64(unix), 0), true, nil
}

// IssuedAt is when the tokens were received.
func (t *TokenSet) IssuedAt() (time.Time, error) {
	var unix C.int64_t
	err := call(func() C.OakStatus { return C.oak_token_set_issued_at(t.raw, &unix) })
	return time.Unix(int64(unix), 0), err
}

// IsExpired tells whether the access token expires within leeway from now
// (never true when the expiry is unknown).
func (t *TokenSet) IsExpired(leeway time.Duration) (bool, error) {
	var expired C.bool
	err := call(func() C.OakStatus {
		return C.oak_token_set_is_expired(t.raw, C.int64_t(leeway/time.Second), &expired)
	})
	return bool(expired), err
}

// HasScope tells whether scope was granted.
func (t *TokenSet) HasScope(scope string) (bool, error) {
	c, err := cString(scope, "scope")
	if err != nil {
		return false, err
	}
	defer freeC(c)
	var has C.bool
	err = call(func() C.OakStatus { return C.oak_token_set_has_scope(t.raw, c, &has) })
	return bool(has), err
}

func (t *TokenSet) setOptional(value *string, name string, set func(*C.OakTokenSet, *C.char) C.OakStatus) error {
	var c *C.char
	if value != nil {
		var err error
		if c, err = cString(*value, name); err != nil {
			return err
		}
		defer freeC(c)
	}
	return call(func() C.OakStatus { return set(t.raw, c) })
}

// SetRefreshToken sets, or with nil removes, the refresh token.
func (t *TokenSet) SetRefreshToken(token *string) error {
	return t.setOptional(token, "refresh_token", func(r *C.OakTokenSet, c *C.char) C.OakStatus {
		return C.oak_token_set_set_refresh_token(r, c)
	})
}

// SetIDToken sets, or with nil removes, the ID token.
func (t *TokenSet) SetIDToken(token *string) error {
	return t.setOptional(token, "id_token", func(r *C.OakTokenSet, c *C.char) C.OakStatus {
		return C.oak_token_set_set_id_token(r, c)
	})
}

// SetResourceServer sets, or with nil removes, the resource server.
func (t *TokenSet) SetResourceServer(rs *string) error {
	return t.setOptional(rs, "resource_server", func(r *C.OakTokenSet, c *C.char) C.OakStatus {
		return C.oak_token_set_set_resource_server(r, c)
	})
}

// SetScopes sets the granted scopes.
func (t *TokenSet) SetScopes(scopes ...string) error {
	joined := strings.Join(scopes, " ")
	return t.setOptional(&joined, "scope", func(r *C.OakTokenSet, c *C.char) C.OakStatus {
		return C.oak_token_set_set_scope(r, c)
	})
}

// SetExpiresIn sets the expiry to d after the issue time.
func (t *TokenSet) SetExpiresIn(d time.Duration) error {
	return call(func() C.OakStatus { return C.oak_token_set_set_expires_in(t.raw, C.int64_t(d/time.Second)) })
}
