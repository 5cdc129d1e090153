package oauthkit

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
)

// A Go web server mounts Deploy on /auth/; a browser-like client (cookie
// jar, following redirects) signs in against the dev provider, reads its
// status, and logs out.
func TestDeployAsAnHTTPHandler(t *testing.T) {
	_, provider := devPair(t)
	store, err := OpenStore("memory:")
	mustNoErr(t, err)
	defer store.Close()
	var deploy *Deploy
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/", func(w http.ResponseWriter, r *http.Request) { deploy.ServeHTTP(w, r) })
	mux.HandleFunc("/home", func(w http.ResponseWriter, r *http.Request) {
		key, ok, err := deploy.SessionKey(r.Header.Get("Cookie"))
		if err != nil || !ok {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "hello "+key)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	deploy, err = NewDeploy(provider, store, srv.URL, "/home", 0)
	mustNoErr(t, err)
	defer deploy.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(srv.URL + "/auth/login")
	mustNoErr(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello dev-user-1" {
		t.Fatalf("after sign-in: %d %q", resp.StatusCode, body)
	}
	if ok, _ := store.Exists("dev-user-1"); !ok {
		t.Fatal("tokens not stored")
	}
	resp, err = browser.Get(srv.URL + "/auth/status")
	mustNoErr(t, err)
	var status map[string]any
	mustNoErr(t, json.NewDecoder(resp.Body).Decode(&status))
	resp.Body.Close()
	if status["authenticated"] != true || status["key"] != "dev-user-1" {
		t.Fatalf("status %v", status)
	}

	// logout without proof of same origin is refused; with Origin it works
	req, _ := http.NewRequest("POST", srv.URL+"/auth/logout", nil)
	resp, err = browser.Do(req)
	mustNoErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site logout: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", srv.URL+"/auth/logout", nil)
	req.Header.Set("Origin", srv.URL)
	resp, err = browser.Do(req)
	mustNoErr(t, err)
	resp.Body.Close()
	if ok, _ := store.Exists("dev-user-1"); resp.StatusCode != 200 || ok {
		t.Fatalf("logout: %d, still stored %v", resp.StatusCode, ok)
	}

	// a forged callback is an HTTP error, not a crash
	r, err := deploy.Handle("GET", "/auth/callback", "code=x&state=y", nil)
	mustNoErr(t, err)
	if r.Status != 400 {
		t.Fatalf("forged callback: %d", r.Status)
	}
	// a header value with a line break is refused
	_, err = deploy.Handle("GET", "/auth/status", "", http.Header{"Cookie": {"a=1\r\nX: y"}})
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "line break") {
		t.Fatalf("CRLF header gave %v", err)
	}
	if _, err := NewDeploy(provider, store, "ftp://x", "", 0); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad base URL gave %v", err)
	}
}
