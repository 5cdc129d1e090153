package oauthkit

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestVersions(t *testing.T) {
	if Version() == "" {
		t.Fatal("empty version")
	}
	if ABIVersion() < HeaderABIVersion {
		t.Fatalf("library ABI %d older than header ABI %d", ABIVersion(), HeaderABIVersion)
	}
	if CodeInvalidGrant.String() != "OAK_ERR_INVALID_GRANT" {
		t.Fatalf("code name %q", CodeInvalidGrant.String())
	}
}

func TestFileStoreRoundTrip(t *testing.T) {
	spec := "file:" + filepath.Join(t.TempDir(), "tokens.json") + "?namespace=go-app"
	store, err := OpenStore(spec)
	mustNoErr(t, err)
	defer store.Close()

	tokens, err := NewTokenSet("at-1")
	mustNoErr(t, err)
	defer tokens.Close()
	rt := "rt-1"
	mustNoErr(t, tokens.SetRefreshToken(&rt))
	mustNoErr(t, tokens.SetScopes("openid", "email"))
	mustNoErr(t, tokens.SetExpiresIn(time.Hour))
	mustNoErr(t, store.Save("alice", tokens))

	// A second handle on the same file sees the save.
	other, err := OpenStore(spec)
	mustNoErr(t, err)
	defer other.Close()
	loaded, err := other.Load("alice")
	mustNoErr(t, err)
	if loaded == nil {
		t.Fatal("alice not found")
	}
	defer loaded.Close()
	at, err := loaded.AccessToken()
	mustNoErr(t, err)
	got, ok, err := loaded.RefreshToken()
	mustNoErr(t, err)
	if at != "at-1" || !ok || got != "rt-1" {
		t.Fatalf("loaded %q %q %v", at, got, ok)
	}
	if _, ok, _ := loaded.IDToken(); ok {
		t.Fatal("no ID token was saved")
	}
	scopes, err := loaded.Scopes()
	mustNoErr(t, err)
	if strings.Join(scopes, ",") != "openid,email" {
		t.Fatalf("scopes %v", scopes)
	}
	exp, known, err := loaded.ExpiresAt()
	mustNoErr(t, err)
	if !known || time.Until(exp) < 59*time.Minute {
		t.Fatalf("expiry %v %v", exp, known)
	}
	expired, err := loaded.IsExpired(time.Minute)
	mustNoErr(t, err)
	if expired {
		t.Fatal("fresh token reported expired")
	}

	keys, err := other.Keys()
	mustNoErr(t, err)
	if len(keys) != 1 || keys[0] != "alice" {
		t.Fatalf("keys %v", keys)
	}
	ns, err := other.Namespaces()
	mustNoErr(t, err)
	if len(ns) != 1 || ns[0] != "go-app" {
		t.Fatalf("namespaces %v", ns)
	}
	name, err := other.Namespace()
	mustNoErr(t, err)
	backend, err := other.Backend()
	mustNoErr(t, err)
	if name != "go-app" || backend != "file" {
		t.Fatalf("namespace %q backend %q", name, backend)
	}
	deleted, err := other.Delete("alice")
	mustNoErr(t, err)
	exists, err := store.Exists("alice")
	mustNoErr(t, err)
	if !deleted || exists {
		t.Fatalf("deleted %v exists %v", deleted, exists)
	}
}

func TestMissingKeyIsNilWithoutError(t *testing.T) {
	store, err := OpenStore("memory:")
	mustNoErr(t, err)
	defer store.Close()
	loaded, err := store.Load("nobody")
	if err != nil || loaded != nil {
		t.Fatalf("got %v, %v", loaded, err)
	}
}

func TestErrorsCarryCodeAndMessage(t *testing.T) {
	_, err := OpenStore("floppy:/a")
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("want ErrInvalidArgument, got %v", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Fatal("matched the wrong code")
	}
	var oakErr *Error
	if !errors.As(err, &oakErr) || oakErr.Code != CodeInvalidArgument ||
		!strings.Contains(oakErr.Message, "unknown store scheme 'floppy'") {
		t.Fatalf("error %#v", err)
	}

	_, err = TokenSetFromJSON(`{"access_token": "secret-at"`)
	if !errors.Is(err, ErrCorrupt) || strings.Contains(err.Error(), "secret-at") {
		t.Fatalf("corrupt JSON gave %v", err)
	}
}

func TestNonUTF8AndNULAreRefused(t *testing.T) {
	store, err := OpenStore("memory:")
	mustNoErr(t, err)
	defer store.Close()
	tokens, err := NewTokenSet("at")
	mustNoErr(t, err)
	defer tokens.Close()

	err = store.Save("caf\xe9", tokens)
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "key is not valid UTF-8") {
		t.Fatalf("non-UTF-8 key gave %v", err)
	}
	// C would see "a" if the NUL went through; the binding refuses it.
	err = store.Save("a\x00b", tokens)
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "NUL") {
		t.Fatalf("key with NUL gave %v", err)
	}
	if _, err := NewTokenSet("\xff"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("non-UTF-8 token gave %v", err)
	}
	keys, err := store.Keys()
	mustNoErr(t, err)
	if len(keys) != 0 {
		t.Fatalf("refused saves stored %v", keys)
	}
}

func TestNilTokenSetIsInvalidArgument(t *testing.T) {
	store, err := OpenStore("memory:")
	mustNoErr(t, err)
	defer store.Close()
	err = store.Save("k", nil)
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "tokens is NULL") {
		t.Fatalf("nil tokens gave %v", err)
	}
}

func TestJSONRoundTripAndClone(t *testing.T) {
	ts, err := TokenSetFromJSON(`{"access_token":"at","refresh_token":"rt","scope":"a b","issued_at":1700000000,"expires_at":1700003600,"identity_id":"user-1"}`)
	mustNoErr(t, err)
	defer ts.Close()
	clone, err := ts.Clone()
	mustNoErr(t, err)
	defer clone.Close()
	mustNoErr(t, clone.SetRefreshToken(nil))
	if _, ok, _ := ts.RefreshToken(); !ok {
		t.Fatal("clone changed the original")
	}
	if _, ok, _ := clone.RefreshToken(); ok {
		t.Fatal("refresh token not removed from clone")
	}
	id, ok, err := ts.IdentityID()
	mustNoErr(t, err)
	issued, err := ts.IssuedAt()
	mustNoErr(t, err)
	if !ok || id != "user-1" || issued.Unix() != 1700000000 {
		t.Fatalf("identity %q issued %v", id, issued)
	}
	js, err := ts.JSON()
	mustNoErr(t, err)
	back, err := TokenSetFromJSON(js)
	mustNoErr(t, err)
	defer back.Close()
	exp, known, err := back.ExpiresAt()
	mustNoErr(t, err)
	has, err := back.HasScope("b")
	mustNoErr(t, err)
	if !known || exp.Unix() != 1700003600 || !has {
		t.Fatalf("round trip lost data: %v %v %v", exp, known, has)
	}
	ts.Close()
	ts.Close() // closing twice is harmless
}

func TestConcurrentSaves(t *testing.T) {
	store, err := OpenStore("file:" + filepath.Join(t.TempDir(), "t.json"))
	mustNoErr(t, err)
	defer store.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ts, err := NewTokenSet("at")
			if err != nil {
				errs <- err
				return
			}
			defer ts.Close()
			errs <- store.Save(string(rune('a'+i)), ts)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustNoErr(t, err)
	}
	keys, err := store.Keys()
	mustNoErr(t, err)
	if len(keys) != 8 {
		t.Fatalf("keys %v", keys)
	}
}

// A DPoP-bound token set (an ES256 test key made for this test only):
// header values for an API call, the resource server's nonce.
const dpopTokenJSON = `{"access_token": "go-at", "token_type": "DPoP", "expires_in": 3600,
 "dpop_key": {"alg": "ES256", "pkcs8": "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpQ4Qgf602slxJel7hEnv1niBW_CKURT7rn4DABrvUvGhRANCAASxyO2qv5tWLG-AZjgYOcoicyRSN3yyVKk-cnRMqb5JtBk9z1VtOBTVjZtQ0RJ8REHm79ZKGjNEqI-aCmUmtpyS"}}`

func TestDPoPHeaders(t *testing.T) {
	provider, err := NewOIDCProvider("https://idp.example", "go-client", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer provider.Close()
	store, _ := OpenStore("memory:")
	defer store.Close()
	bound, err := TokenSetFromJSON(dpopTokenJSON)
	if err != nil {
		t.Fatal(err)
	}
	defer bound.Close()
	if err := store.Save("bound", bound); err != nil {
		t.Fatal(err)
	}
	plainFile, _ := OpenStore("file:" + t.TempDir() + "/t.json")
	defer plainFile.Close()
	if err := plainFile.Save("bound", bound); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "encrypt=") {
		t.Fatalf("a plain-text store took the key: %v", err)
	}
	session, err := NewSession(provider, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	url := "https://api.example/v1/items"
	h, err := session.DPoPHeaders("bound", "GET", url+"?page=2")
	if err != nil {
		t.Fatal(err)
	}
	if h.Authorization != "DPoP go-at" || strings.Count(h.DPoP, ".") != 2 {
		t.Fatalf("headers %q %q", h.Authorization, h.DPoP)
	}
	retry, err := session.RecordDPoPNonce(url, 401, `DPoP error="use_dpop_nonce"`, "n-1")
	if err != nil || !retry {
		t.Fatalf("retry %v %v", retry, err)
	}
	again, _ := session.DPoPHeaders("bound", "GET", url)
	if again.DPoP == h.DPoP {
		t.Fatal("a proof was reused")
	}
	if retry, _ := session.RecordDPoPNonce(url, 200, "", ""); retry {
		t.Fatal("retry after a 200")
	}
	if _, err := session.DPoPHeaders("missing", "GET", url); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
}
