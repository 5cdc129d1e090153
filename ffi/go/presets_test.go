package oauthkit

import (
	"errors"
	"strings"
	"testing"
)

func TestKeycloakAuth0OktaGitLabIssuers(t *testing.T) {
	for _, c := range []struct {
		name, issuer string
		mk           func() (*Provider, error)
	}{
		{"keycloak", "https://sso.example/realms/acme", func() (*Provider, error) {
			return NewKeycloakProvider("https://sso.example/", "acme", "cli", "", "", false)
		}},
		{"keycloak", "https://sso.example/auth/realms/acme", func() (*Provider, error) {
			return NewKeycloakProvider("https://sso.example/auth", "acme", "cli", "s", "openid", true)
		}},
		{"auth0", "https://acme.eu.auth0.com/", func() (*Provider, error) {
			return NewAuth0Provider("acme.eu.auth0.com", "app", "", "", "https://api.acme")
		}},
		{"okta", "https://acme.okta.com/oauth2/default", func() (*Provider, error) {
			return NewOktaProvider("https://acme.okta.com", "", "0oa1", "", "")
		}},
		{"okta", "https://acme.okta.com/oauth2/aus9", func() (*Provider, error) {
			return NewOktaProvider("https://acme.okta.com/", "aus9", "0oa1", "", "")
		}},
		{"okta", "https://acme.okta.com", func() (*Provider, error) {
			return NewOktaProvider("https://acme.okta.com", OktaOrgServer, "0oa1", "", "")
		}},
		{"gitlab", "https://gitlab.com", func() (*Provider, error) { return NewGitLabProvider("", "app", "", "") }},
		{"gitlab", "https://git.example/gitlab", func() (*Provider, error) {
			return NewGitLabProvider("https://git.example/gitlab/", "app", "", "")
		}},
	} {
		p, err := c.mk()
		mustNoErr(t, err)
		if got, _ := p.Name(); got != c.name {
			t.Fatalf("preset %s is named %s", c.name, got)
		}
		iss, ok, err := p.Issuer()
		mustNoErr(t, err)
		if !ok || iss != c.issuer {
			t.Fatalf("%s: issuer %q (%v), want %q", c.name, iss, ok, c.issuer)
		}
		p.Close()
	}
	gh, err := NewGitHubProvider("id", "", "")
	mustNoErr(t, err)
	defer gh.Close()
	if _, ok, _ := gh.Issuer(); ok {
		t.Fatal("GitHub has no issuer")
	}
}

func TestPresetArgumentsAreChecked(t *testing.T) {
	for want, mk := range map[string]func() (*Provider, error){
		"realm": func() (*Provider, error) { return NewKeycloakProvider("https://sso.example", "", "cli", "", "", false) },
		"Keycloak realm": func() (*Provider, error) {
			return NewKeycloakProvider("https://sso.example", "a/b", "cli", "", "", false)
		},
		"Keycloak base URL":         func() (*Provider, error) { return NewKeycloakProvider("sso.example", "acme", "cli", "", "", false) },
		"Auth0 domain":              func() (*Provider, error) { return NewAuth0Provider("acme.auth0.com/x", "app", "", "", "") },
		"Okta org URL":              func() (*Provider, error) { return NewOktaProvider("http://acme.okta.com", "", "0oa1", "", "") },
		"Okta authorization server": func() (*Provider, error) { return NewOktaProvider("https://acme.okta.com", "a b", "0oa1", "", "") },
		"GitLab base URL":           func() (*Provider, error) { return NewGitLabProvider("ftp://git.example", "app", "", "") },
	} {
		p, err := mk()
		if p != nil || !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: got %v, %v", want, p, err)
		}
	}
}
