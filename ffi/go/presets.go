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

// NewKeycloakProvider makes a Keycloak provider for realm on the server at
// baseURL (issuer {baseURL}/realms/{realm}; a trailing "/" and a legacy
// /auth path are fine). parRequired: the client has "Pushed authorization
// request required" on, so every sign-in is pushed ("" for the other
// defaults).
func NewKeycloakProvider(baseURL, realm, clientID, clientSecret, scopes string, parRequired bool) (*Provider, error) {
	var a cArgs
	defer a.free()
	base, err := a.str(baseURL, "base_url")
	if err != nil {
		return nil, err
	}
	r, err := a.str(realm, "realm")
	if err != nil {
		return nil, err
	}
	id, secret, sc, err := presetArgs(&a, clientID, clientSecret, scopes)
	if err != nil {
		return nil, err
	}
	return newProvider(func(o **C.OakProvider) C.OakStatus {
		return C.oak_provider_keycloak(base, r, id, secret, sc, C.bool(parRequired), o)
	})
}

// NewAuth0Provider makes an Auth0 provider for the tenant domain (issuer
// https://{domain}/); audience ("" for none) names the API access tokens
// are for.
func NewAuth0Provider(domain, clientID, clientSecret, scopes, audience string) (*Provider, error) {
	var a cArgs
	defer a.free()
	d, err := a.str(domain, "domain")
	if err != nil {
		return nil, err
	}
	id, secret, sc, err := presetArgs(&a, clientID, clientSecret, scopes)
	if err != nil {
		return nil, err
	}
	aud, err := a.opt(audience, "audience")
	if err != nil {
		return nil, err
	}
	return newProvider(func(o **C.OakProvider) C.OakStatus { return C.oak_provider_auth0(d, id, secret, sc, aud, o) })
}

// OktaDefaultServer and OktaOrgServer name Okta authorization servers:
// "default" ({org}/oauth2/default, also picked by "") and the org
// authorization server (issuer = the org URL).
const (
	OktaDefaultServer = "default"
	OktaOrgServer     = "org"
)

// NewOktaProvider makes an Okta provider for the org at orgURL and its
// authorizationServer ("" or OktaDefaultServer, an id, or OktaOrgServer).
func NewOktaProvider(orgURL, authorizationServer, clientID, clientSecret, scopes string) (*Provider, error) {
	var a cArgs
	defer a.free()
	org, err := a.str(orgURL, "org_url")
	if err != nil {
		return nil, err
	}
	server, err := a.opt(authorizationServer, "authorization_server")
	if err != nil {
		return nil, err
	}
	id, secret, sc, err := presetArgs(&a, clientID, clientSecret, scopes)
	if err != nil {
		return nil, err
	}
	return newProvider(func(o **C.OakProvider) C.OakStatus { return C.oak_provider_okta(org, server, id, secret, sc, o) })
}

// NewGitLabProvider makes a GitLab provider for the instance at baseURL
// ("" for https://gitlab.com); the issuer is the base URL.
func NewGitLabProvider(baseURL, clientID, clientSecret, scopes string) (*Provider, error) {
	var a cArgs
	defer a.free()
	base, err := a.opt(baseURL, "base_url")
	if err != nil {
		return nil, err
	}
	id, secret, sc, err := presetArgs(&a, clientID, clientSecret, scopes)
	if err != nil {
		return nil, err
	}
	return newProvider(func(o **C.OakProvider) C.OakStatus { return C.oak_provider_gitlab(base, id, secret, sc, o) })
}
