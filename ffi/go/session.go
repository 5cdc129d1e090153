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
