package oauthkit

/*
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import "runtime"

// Provider is an authorization server. Flows and sessions keep their own
// reference, so it may be closed before them. Safe for concurrent use.
type Provider struct {
	raw *C.OakProvider
}

// TokenHint names the kind of token being revoked (RFC 7009).
type TokenHint int32

// Token hints for Provider.Revoke.
const (
	HintNone         TokenHint = C.OAK_TOKEN_HINT_NONE
	HintAccessToken  TokenHint = C.OAK_TOKEN_HINT_ACCESS_TOKEN
	HintRefreshToken TokenHint = C.OAK_TOKEN_HINT_REFRESH_TOKEN
)

// Close frees the provider handle. Safe to call twice.
func (p *Provider) Close() {
	if p != nil && p.raw != nil {
		C.oak_provider_free(p.raw)
		p.raw = nil
		runtime.SetFinalizer(p, nil)
	}
}

// Name is the provider's short name ("oidc", "google", ...).
func (p *Provider) Name() (string, error) {
	var out *C.char
	if err := call(func() C.OakStatus { return C.oak_provider_name(p.raw, &out) }); err != nil {
		return "", err
	}
	runtime.KeepAlive(p)
	s, _ := takeString(out)
	return s, nil
}

// Issuer is the configured issuer (no network); ok is false for providers
// without one (GitHub).
func (p *Provider) Issuer() (issuer string, ok bool, err error) {
	var out *C.char
	if err := call(func() C.OakStatus { return C.oak_provider_issuer(p.raw, &out) }); err != nil {
		return "", false, err
	}
	runtime.KeepAlive(p)
	issuer, ok = takeString(out)
	return issuer, ok, nil
}

// Revoke revokes token at the provider; false when it cannot revoke.
func (p *Provider) Revoke(token string, hint TokenHint) (bool, error) {
	c, err := cString(token, "token")
	if err != nil {
		return false, err
	}
	defer freeC(c)
	var revoked C.bool
	err = call(func() C.OakStatus { return C.oak_provider_revoke(p.raw, c, C.int32_t(hint), &revoked) })
	runtime.KeepAlive(p)
	return bool(revoked), err
}

// UserInfoJSON is the userinfo claims as JSON ("null" when none).
func (p *Provider) UserInfoJSON(accessToken string) (string, error) {
	c, err := cString(accessToken, "access_token")
	if err != nil {
		return "", err
	}
	defer freeC(c)
	var out *C.char
	if err := call(func() C.OakStatus { return C.oak_provider_userinfo(p.raw, c, &out) }); err != nil {
		return "", err
	}
	runtime.KeepAlive(p)
	s, _ := takeString(out)
	return s, nil
}
