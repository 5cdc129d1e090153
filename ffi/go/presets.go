package oauthkit

/*
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import "runtime"

func newProvider(f func(**C.OakProvider) C.OakStatus) (*Provider, error) {
	var raw *C.OakProvider
	if err := call(func() C.OakStatus { return f(&raw) }); err != nil {
		return nil, err
	}
	p := &Provider{raw: raw}
	runtime.SetFinalizer(p, (*Provider).Close)
	return p, nil
}

// presetArgs converts the arguments every provider constructor takes.
func presetArgs(a *cArgs, clientID, clientSecret, scopes string) (id, secret, sc *C.char, err error) {
	if id, err = a.str(clientID, "client_id"); err != nil {
		return
	}
	if secret, err = a.opt(clientSecret, "client_secret"); err != nil {
		return
	}
	sc, err = a.opt(scopes, "scopes")
	return
}

// NewOIDCProvider makes a generic OpenID Connect provider for issuer.
// clientSecret "" means a public client; scopes "" (space-separated) means
// "openid email profile".
func NewOIDCProvider(issuer, clientID, clientSecret, scopes string) (*Provider, error) {
	var a cArgs
	defer a.free()
	iss, err := a.str(issuer, "issuer")
	if err != nil {
		return nil, err
	}
	id, secret, sc, err := presetArgs(&a, clientID, clientSecret, scopes)
	if err != nil {
		return nil, err
	}
	return newProvider(func(o **C.OakProvider) C.OakStatus { return C.oak_provider_oidc(iss, id, secret, sc, o) })
}

// NewGoogleProvider makes a Google provider ("" for defaults).
func NewGoogleProvider(clientID, clientSecret, scopes string) (*Provider, error) {
	var a cArgs
	defer a.free()
	id, secret, sc, err := presetArgs(&a, clientID, clientSecret, scopes)
	if err != nil {
		return nil, err
	}
	return newProvider(func(o **C.OakProvider) C.OakStatus { return C.oak_provider_google(id, secret, sc, o) })
}

// NewMicrosoftProvider makes a Microsoft identity platform provider; tenant
// "" means "common".
func NewMicrosoftProvider(tenant, clientID, clientSecret, scopes string) (*Provider, error) {
	var a cArgs
	defer a.free()
	t, err := a.opt(tenant, "tenant")
	if err != nil {
		return nil, err
	}
	id, secret, sc, err := presetArgs(&a, clientID, clientSecret, scopes)
	if err != nil {
		return nil, err
	}
	return newProvider(func(o **C.OakProvider) C.OakStatus { return C.oak_provider_microsoft(t, id, secret, sc, o) })
}

// NewGitHubProvider makes a GitHub provider ("" for defaults).
func NewGitHubProvider(clientID, clientSecret, scopes string) (*Provider, error) {
	var a cArgs
	defer a.free()
	id, secret, sc, err := presetArgs(&a, clientID, clientSecret, scopes)
	if err != nil {
		return nil, err
	}
	return newProvider(func(o **C.OakProvider) C.OakStatus { return C.oak_provider_github(id, secret, sc, o) })
}

// NewProviderFromEnv makes the provider the OAUTHKIT_* environment
// variables describe.
func NewProviderFromEnv() (*Provider, error) {
	return newProvider(func(o **C.OakProvider) C.OakStatus { return C.oak_provider_from_env(o) })
}
