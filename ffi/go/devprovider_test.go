package oauthkit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDevProviderBasics(t *testing.T) {
	idp, err := StartDevProvider(true, 2*time.Minute, false)
	if errors.Is(err, ErrUnsupported) {
		t.Fatal("the library lacks the dev provider: build it with FEATURES=dev-provider,capi-server scripts/install-local.sh")
	}
	mustNoErr(t, err)
	defer idp.Close()
	issuer, err := idp.Issuer()
	mustNoErr(t, err)
	if !strings.HasPrefix(issuer, "http://127.0.0.1:") {
		t.Fatalf("issuer %q", issuer)
	}
	id, err := idp.ClientID()
	mustNoErr(t, err)
	n, err := idp.TokenRequests("authorization_code")
	mustNoErr(t, err)
	active, err := idp.IsTokenActive("never-issued")
	mustNoErr(t, err)
	if id == "" || n != 0 || active {
		t.Fatalf("client %q, %d exchanges, active %v", id, n, active)
	}
	if _, err := idp.TokenRequests("a\x00b"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NUL grant type gave %v", err)
	}
	if err := DevBrowserApprove("https://accounts.example.com/authorize"); err == nil {
		t.Fatal("the headless browser went to a non-loopback URL")
	}
}
