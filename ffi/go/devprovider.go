package oauthkit

/*
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import (
	"runtime"
	"time"
)

// DevProvider is the development OpenID provider on 127.0.0.1 (library
// built with the dev-provider feature; otherwise ErrUnsupported).
type DevProvider struct {
	raw *C.OakDevProvider
}

// StartDevProvider starts one on a free port. ttl 0 means one hour.
func StartDevProvider(autoApprove bool, ttl time.Duration, rotateRefreshTokens bool) (*DevProvider, error) {
	var raw *C.OakDevProvider
	err := call(func() C.OakStatus {
		return C.oak_dev_provider_start(C.bool(autoApprove), C.uint64_t(ttl/time.Second), C.bool(rotateRefreshTokens), &raw)
	})
	if err != nil {
		return nil, err
	}
	d := &DevProvider{raw: raw}
	runtime.SetFinalizer(d, (*DevProvider).Close)
	return d, nil
}

// Close stops the provider. Safe to call twice.
func (d *DevProvider) Close() {
	if d != nil && d.raw != nil {
		C.oak_dev_provider_free(d.raw)
		d.raw = nil
		runtime.SetFinalizer(d, nil)
	}
}

func (d *DevProvider) text(f func(**C.char) C.OakStatus) (string, error) {
	var out *C.char
	if err := call(func() C.OakStatus { return f(&out) }); err != nil {
		return "", err
	}
	runtime.KeepAlive(d)
	s, _ := takeString(out)
	return s, nil
}

// Issuer is the provider's issuer URL.
func (d *DevProvider) Issuer() (string, error) {
	return d.text(func(o **C.char) C.OakStatus { return C.oak_dev_provider_issuer(d.raw, o) })
}

// ClientID is the public native client the provider has registered.
func (d *DevProvider) ClientID() (string, error) {
	return d.text(func(o **C.char) C.OakStatus { return C.oak_dev_provider_client_id(d.raw, o) })
}

// TokenRequests counts the token requests of grantType it answered.
func (d *DevProvider) TokenRequests(grantType string) (uint64, error) {
	c, err := cString(grantType, "grant_type")
	if err != nil {
		return 0, err
	}
	defer freeC(c)
	var n C.uint64_t
	err = call(func() C.OakStatus { return C.oak_dev_provider_token_requests(d.raw, c, &n) })
	runtime.KeepAlive(d)
	return uint64(n), err
}

// IsTokenActive tells whether token is issued, unexpired and unrevoked.
func (d *DevProvider) IsTokenActive(token string) (bool, error) {
	c, err := cString(token, "token")
	if err != nil {
		return false, err
	}
	defer freeC(c)
	var active C.bool
	err = call(func() C.OakStatus { return C.oak_dev_provider_is_token_active(d.raw, c, &active) })
	runtime.KeepAlive(d)
	return bool(active), err
}

// DevBrowserApprove is the headless browser: it approves the sign-in at
// authorizeURL and follows the redirect to the flow's callback. Blocks;
// run it on another goroutine than RunNative.
func DevBrowserApprove(authorizeURL string) error {
	c, err := cString(authorizeURL, "authorize_url")
	if err != nil {
		return err
	}
	defer freeC(c)
	return call(func() C.OakStatus { return C.oak_dev_browser_approve(c) })
}

// DevBrowserDeny presses "Deny" instead.
func DevBrowserDeny(authorizeURL string) error {
	c, err := cString(authorizeURL, "authorize_url")
	if err != nil {
		return err
	}
	defer freeC(c)
	return call(func() C.OakStatus { return C.oak_dev_browser_deny(c) })
}
