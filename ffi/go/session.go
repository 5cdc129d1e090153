package oauthkit

/*
#include <stdint.h>
#include <stdlib.h>
#include <oauthkit.h>

extern void goOakRefreshed(char *key, OakTokenSet *tokens, void *userData);

static OakStatus oak_go_session_new(const OakProvider *p, const OakStore *s, int with_hook, uintptr_t hook,
                                    OakSession **out) {
    return oak_session_new(p, s, with_hook ? (OakRefreshFn)goOakRefreshed : NULL, (void *)hook, out);
}
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
)

// RefreshHook is told of each refreshed token set (already saved). It runs
// on the goroutine whose call refreshed. The TokenSet is the hook's to keep
// (Close it when done).
type RefreshHook func(key string, tokens *TokenSet)

// Session hands out fresh access tokens, refreshing when needed. Safe for
// concurrent use.
type Session struct {
	raw  *C.OakSession
	hook cgo.Handle
}

// NewSession makes a session manager over store, refreshing through
// provider; onRefresh may be nil.
func NewSession(provider *Provider, store *Store, onRefresh RefreshHook) (*Session, error) {
	s := &Session{}
	withHook := C.int(0)
	if onRefresh != nil {
		s.hook = cgo.NewHandle(onRefresh)
		withHook = 1
	}
	err := call(func() C.OakStatus {
		return C.oak_go_session_new(provider.raw, store.raw, withHook, C.uintptr_t(s.hook), &s.raw)
	})
	runtime.KeepAlive(provider)
	runtime.KeepAlive(store)
	if err != nil {
		if s.hook != 0 {
			s.hook.Delete()
		}
		return nil, err
	}
	runtime.SetFinalizer(s, (*Session).Close)
	return s, nil
}

// Close frees the session. Safe to call twice.
func (s *Session) Close() {
	if s != nil && s.raw != nil {
		C.oak_session_free(s.raw)
		s.raw = nil
		if s.hook != 0 {
			s.hook.Delete()
			s.hook = 0
		}
		runtime.SetFinalizer(s, nil)
	}
}

func (s *Session) withKey(key string, f func(*C.char) C.OakStatus) error {
	c, err := cString(key, "key")
	if err != nil {
		return err
	}
	defer freeC(c)
	err = call(func() C.OakStatus { return f(c) })
	runtime.KeepAlive(s)
	return err
}

// AccessToken is a valid access token for key, refreshed first when it
// is about to expire. ErrNotFound: nothing stored; ErrInvalidGrant: sign
// in again.
func (s *Session) AccessToken(key string) (string, error) {
	var out *C.char
	if err := s.withKey(key, func(k *C.char) C.OakStatus { return C.oak_session_access_token(s.raw, k, &out) }); err != nil {
		return "", err
	}
	t, _ := takeString(out)
	return t, nil
}

// Tokens is the fresh token set of key.
func (s *Session) Tokens(key string) (*TokenSet, error) {
	var out *C.OakTokenSet
	if err := s.withKey(key, func(k *C.char) C.OakStatus { return C.oak_session_tokens(s.raw, k, &out) }); err != nil {
		return nil, err
	}
	return adoptTokenSet(out), nil
}

// Refresh refreshes key now, whatever the expiry.
func (s *Session) Refresh(key string) (*TokenSet, error) {
	var out *C.OakTokenSet
	if err := s.withKey(key, func(k *C.char) C.OakStatus { return C.oak_session_refresh(s.raw, k, &out) }); err != nil {
		return nil, err
	}
	return adoptTokenSet(out), nil
}

// Logout revokes and deletes the tokens of key; whether there were any.
func (s *Session) Logout(key string) (bool, error) {
	var had C.bool
	err := s.withKey(key, func(k *C.char) C.OakStatus { return C.oak_session_logout(s.raw, k, &had) })
	return bool(had), err
}

// DPoPHeaders are the header values for one API request with DPoP-bound
// tokens (RFC 9449): send Authorization and DPoP as they are.
type DPoPHeaders struct {
	Authorization string
	DPoP          string
}

// DPoPHeaders gives the headers for method on url with the DPoP-bound
// tokens of key (refreshed first when due, with the same key).
func (s *Session) DPoPHeaders(key, method, url string) (DPoPHeaders, error) {
	m, err := cString(method, "method")
	if err != nil {
		return DPoPHeaders{}, err
	}
	defer freeC(m)
	u, err := cString(url, "url")
	if err != nil {
		return DPoPHeaders{}, err
	}
	defer freeC(u)
	var authz, proof *C.char
	if err := s.withKey(key, func(k *C.char) C.OakStatus {
		return C.oak_dpop_headers(s.raw, k, m, u, &authz, &proof)
	}); err != nil {
		return DPoPHeaders{}, err
	}
	a, _ := takeString(authz)
	p, _ := takeString(proof)
	return DPoPHeaders{Authorization: a, DPoP: p}, nil
}

// RecordDPoPNonce records a resource server's answer to a DPoP request
// (its DPoP-Nonce header; "" when absent) and says whether to send the
// request once more with new headers.
func (s *Session) RecordDPoPNonce(url string, status uint16, wwwAuthenticate, dpopNonce string) (bool, error) {
	u, err := cString(url, "url")
	if err != nil {
		return false, err
	}
	defer freeC(u)
	opt := func(v, name string) (*C.char, error) {
		if v == "" {
			return nil, nil
		}
		return cString(v, name)
	}
	w, err := opt(wwwAuthenticate, "www_authenticate")
	if err != nil {
		return false, err
	}
	if w != nil {
		defer freeC(w)
	}
	n, err := opt(dpopNonce, "dpop_nonce")
	if err != nil {
		return false, err
	}
	if n != nil {
		defer freeC(n)
	}
	var retry C.bool
	err = call(func() C.OakStatus {
		return C.oak_dpop_record_nonce(s.raw, u, C.uint16_t(status), w, n, &retry)
	})
	runtime.KeepAlive(s)
	return bool(retry), err
}
