package oauthkit

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// devPair starts the development provider (the library must be built with
// FEATURES=dev-provider,capi-server) and an OIDC provider pointed at it.
func devPair(t *testing.T) (*DevProvider, *Provider) {
	t.Helper()
	idp, err := StartDevProvider(true, 0, false)
	if errors.Is(err, ErrUnsupported) {
		t.Fatal("the library lacks the dev provider: build it with FEATURES=dev-provider,capi-server scripts/install-local.sh")
	}
	mustNoErr(t, err)
	t.Cleanup(idp.Close)
	issuer, err := idp.Issuer()
	mustNoErr(t, err)
	clientID, err := idp.ClientID()
	mustNoErr(t, err)
	p, err := NewOIDCProvider(issuer, clientID, "", "openid email profile offline_access")
	mustNoErr(t, err)
	t.Cleanup(p.Close)
	return idp, p
}

// approver opens the URL in the headless browser on another goroutine.
func approver(wg *sync.WaitGroup, seen *string) OpenBrowser {
	return func(url string) error {
		*seen = url
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = DevBrowserApprove(url)
		}()
		return nil
	}
}

func TestSignInRefreshLogout(t *testing.T) {
	idp, provider := devPair(t)
	store, err := OpenStore("file:" + filepath.Join(t.TempDir(), "t.json"))
	mustNoErr(t, err)
	defer store.Close()
	flow, err := NewFlow(provider, store, nil)
	mustNoErr(t, err)
	defer flow.Close()
	mustNoErr(t, flow.SetTimeout(30*time.Second))

	var wg sync.WaitGroup
	var url string
	res, err := flow.RunNative(approver(&wg, &url))
	wg.Wait()
	mustNoErr(t, err)
	defer res.Tokens.Close()
	if !strings.Contains(url, "code_challenge_method=S256") {
		t.Fatalf("authorize URL without PKCE: %s", url)
	}
	if res.Key != "dev-user-1" || !strings.Contains(res.UserInfoJSON, "dev.user@example.test") {
		t.Fatalf("sign-in result %q %q", res.Key, res.UserInfoJSON)
	}
	if st, _ := flow.State(); st != FlowCompleted {
		t.Fatalf("state %d", st)
	}
	checkClaims(t, idp, res)
	if n, _ := idp.TokenRequests("authorization_code"); n != 1 {
		t.Fatalf("%d code exchanges", n)
	}

	var mu sync.Mutex
	var refreshed []string
	session, err := NewSession(provider, store, func(key string, tokens *TokenSet) {
		defer tokens.Close()
		at, _ := tokens.AccessToken()
		mu.Lock()
		refreshed = append(refreshed, key+":"+at)
		mu.Unlock()
	})
	mustNoErr(t, err)
	defer session.Close()
	stored, err := store.Load("dev-user-1")
	mustNoErr(t, err)
	mustNoErr(t, stored.SetExpiresIn(-10*time.Second))
	mustNoErr(t, store.Save("dev-user-1", stored))
	stored.Close()

	// Several goroutines ask at once: one refresh.
	var got sync.Map
	var g sync.WaitGroup
	for i := 0; i < 4; i++ {
		g.Add(1)
		go func(i int) {
			defer g.Done()
			at, err := session.AccessToken("dev-user-1")
			if err != nil {
				t.Error(err)
			}
			got.Store(i, at)
		}(i)
	}
	g.Wait()
	if n, _ := idp.TokenRequests("refresh_token"); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	at0, _ := got.Load(0)
	if len(refreshed) != 1 || refreshed[0] != "dev-user-1:"+at0.(string) {
		t.Fatalf("refresh hook saw %v", refreshed)
	}
	if _, err := session.AccessToken("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key gave %v", err)
	}

	rt, _, _ := res.Tokens.RefreshToken()
	had, err := session.Logout("dev-user-1")
	mustNoErr(t, err)
	active, _ := idp.IsTokenActive(rt)
	exists, _ := store.Exists("dev-user-1")
	if !had || active || exists {
		t.Fatalf("logout: had %v, refresh token active %v, still stored %v", had, active, exists)
	}
}

func TestCancelFromAnotherGoroutine(t *testing.T) {
	_, provider := devPair(t)
	flow, err := NewFlow(provider, nil, nil)
	mustNoErr(t, err)
	defer flow.Close()
	go func() {
		for {
			if st, _ := flow.State(); st == FlowWaitingForCallback {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		_ = flow.Cancel()
	}()
	_, err = flow.RunNative(func(string) error { return nil })
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("want ErrCancelled, got %v", err)
	}
}

func TestOpenerErrorIsReturned(t *testing.T) {
	_, provider := devPair(t)
	flow, err := NewFlow(provider, nil, nil)
	mustNoErr(t, err)
	defer flow.Close()
	mine := errors.New("no browser here")
	if _, err := flow.RunNative(func(string) error { return mine }); err != mine {
		t.Fatalf("want the opener's error, got %v", err)
	}
}

func TestPresetsRevokeAndBadArguments(t *testing.T) {
	for name, mk := range map[string]func() (*Provider, error){
		"google":    func() (*Provider, error) { return NewGoogleProvider("id.apps.googleusercontent.com", "", "") },
		"microsoft": func() (*Provider, error) { return NewMicrosoftProvider("consumers", "id", "", "") },
		"github":    func() (*Provider, error) { return NewGitHubProvider("id", "secret", "") },
	} {
		p, err := mk()
		mustNoErr(t, err)
		if got, _ := p.Name(); got != name {
			t.Fatalf("preset %s is named %s", name, got)
		}
		p.Close()
	}
	if _, err := NewGoogleProvider("a\x00b", "", ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NUL in client id gave %v", err)
	}
	if _, err := NewOIDCProvider("http://127.0.0.1:1", "\xff", "", ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("non-UTF-8 client id gave %v", err)
	}
	t.Setenv("OAUTHKIT_PROVIDER", "github")
	t.Setenv("OAUTHKIT_CLIENT_ID", "")
	if _, err := NewProviderFromEnv(); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "OAUTHKIT_CLIENT_ID") {
		t.Fatalf("missing client id gave %v", err)
	}

	idp, provider := devPair(t)
	store, _ := OpenStore("memory:")
	defer store.Close()
	flow, err := NewFlow(provider, store, nil)
	mustNoErr(t, err)
	defer flow.Close()
	var wg sync.WaitGroup
	var url string
	res, err := flow.RunNative(approver(&wg, &url))
	wg.Wait()
	mustNoErr(t, err)
	defer res.Tokens.Close()
	at, _ := res.Tokens.AccessToken()
	info, err := provider.UserInfoJSON(at)
	mustNoErr(t, err)
	if !strings.Contains(info, "dev-user-1") {
		t.Fatalf("userinfo %s", info)
	}
	revoked, err := provider.Revoke(at, HintAccessToken)
	mustNoErr(t, err)
	if active, _ := idp.IsTokenActive(at); !revoked || active {
		t.Fatalf("revoked %v, still active %v", revoked, active)
	}
}

// checkClaims: the typed identity of a real sign-in (ID token and userinfo),
// and wrong-typed standard claims read without failing.
func checkClaims(t *testing.T, idp *DevProvider, res *SignIn) {
	t.Helper()
	id, err := res.Tokens.IDTokenClaims()
	mustNoErr(t, err)
	if id == nil {
		t.Fatal("no ID token claims")
	}
	defer id.Close()
	if sub, ok, err := id.String("sub"); err != nil || !ok || sub != "dev-user-1" {
		t.Fatalf("sub %q %v %v", sub, ok, err)
	}
	iss, _, _ := id.String("iss")
	if want, _ := idp.Issuer(); iss != want {
		t.Fatalf("iss %q, want %q", iss, want)
	}
	if exp, ok, err := id.Time("exp"); err != nil || !ok || !exp.After(time.Now()) {
		t.Fatalf("exp %v %v %v", exp, ok, err)
	}
	if _, _, err := id.Time("sub"); err == nil || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a string read as a time: %v", err)
	}
	info, err := ClaimsFromJSON(res.UserInfoJSON)
	mustNoErr(t, err)
	defer info.Close()
	if who, ok, _ := info.DisplayName(); !ok || who != "dev.user@example.test" {
		t.Fatalf("display name %q", who)
	}
	odd, err := ClaimsFromJSON(`{"sub":"u","email_verified":"true","updated_at":"2024-01-01","groups":["a"]}`)
	mustNoErr(t, err)
	defer odd.Close()
	if v, ok, err := odd.Bool("email_verified"); err != nil || !ok || !v {
		t.Fatalf("email_verified %v %v %v", v, ok, err)
	}
	var groups []string
	if ok, err := odd.Get("groups", &groups); err != nil || !ok || len(groups) != 1 || groups[0] != "a" {
		t.Fatalf("groups %v %v %v", groups, ok, err)
	}
	var updated string
	if ok, err := odd.Get("updated_at", &updated); err != nil || !ok || updated != "2024-01-01" {
		t.Fatalf("updated_at kept as sent: %q %v %v", updated, ok, err)
	}
	if _, err := ClaimsFromJSON("[1]"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("an array as claims: %v", err)
	}
}
