package oauthkit

// panva's oidc-provider (tests/browser/oidc-server.mjs, installed by
// scripts/setup-browser.sh) as a child process, and a small cookie-keeping
// HTTP "browser" that logs in, consents and confirms sign-outs on its
// pages, as tests/support/src/interactions.rs does for the Rust tests.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const clientSecretSuffix = "-secret-0123456789abcdef0123456789abcdef"

type oidcProvider struct {
	issuer   string
	clientID string
}

// startOIDCProvider runs the server for this test; it fails the test with
// how to install it when node or the package is missing.
func startOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tests", "browser"))
	mustNoErr(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil {
		t.Fatalf("oidc-provider is not installed in %s: run scripts/setup-browser.sh", dir)
	}
	clientID := "oauthkit-go-test"
	cmd := exec.Command("node", filepath.Join(dir, "oidc-server.mjs"), clientID)
	stdin, err := cmd.StdinPipe()
	mustNoErr(t, err)
	stdout, err := cmd.StdoutPipe()
	mustNoErr(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node (install it with scripts/setup-browser.sh): %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY ") {
		t.Fatalf("oidc-server.mjs did not start: %q %v\n%s", line, err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return &oidcProvider{issuer: strings.TrimSpace(strings.TrimPrefix(line, "READY ")), clientID: clientID}
}

func (o *oidcProvider) client(kind string) (id, secret string) {
	id = o.clientID + "-" + kind
	return id, id + clientSecretSuffix
}

func (o *oidcProvider) stats(t *testing.T) map[string]any {
	t.Helper()
	resp, err := http.Get(o.issuer + "/test/stats")
	mustNoErr(t, err)
	defer resp.Body.Close()
	var v map[string]any
	mustNoErr(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

// browser keeps the provider's cookies and stops at redirects that leave
// the provider.
type browser struct {
	client *http.Client
	issuer string
}

func newBrowser(issuer string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{
		issuer: issuer,
		client: &http.Client{
			Jar:     jar,
			Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

var (
	formRe   = regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`)
	attrRe   = regexp.MustCompile(`(name|value)="([^"]*)"`)
)

// page is a status, a Location (absolute) and a body.
type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) (page, error) {
	resp, err := b.client.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, body: string(body)}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := req.URL.Parse(loc)
		if err != nil {
			return page{}, err
		}
		p.location = u.String()
	}
	return p, nil
}

func (b *browser) get(u string) (page, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return page{}, err
	}
	return b.do(req)
}

// submit posts the page's first form with its hidden inputs plus extra.
func (b *browser) submit(p page, extra url.Values) (page, error) {
	m := formRe.FindStringSubmatch(p.body)
	if m == nil {
		return page{}, fmt.Errorf("no form on the page (status %d): %.300s", p.status, p.body)
	}
	form := url.Values{}
	for _, input := range hiddenRe.FindAllString(p.body[strings.Index(p.body, m[0]):], -1) {
		var name, value string
		for _, a := range attrRe.FindAllStringSubmatch(input, -1) {
			if a[1] == "name" {
				name = a[2]
			} else {
				value = a[2]
			}
		}
		form.Set(name, value)
	}
	for k, v := range extra {
		form[k] = v
	}
	action, err := url.Parse(b.issuer)
	if err != nil {
		return page{}, err
	}
	action, err = action.Parse(m[1])
	if err != nil {
		return page{}, err
	}
	req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return page{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow walks from start through the provider's pages (logging in as
// login, consenting, confirming a sign-out) until a redirect leaves the
// provider, and returns that URL.
func (b *browser) follow(start, login string) (string, error) {
	p, err := b.get(start)
	for i := 0; i < 20 && err == nil; i++ {
		if p.location != "" {
			if !strings.HasPrefix(p.location, b.issuer) {
				return p.location, nil
			}
			p, err = b.get(p.location)
			continue
		}
		extra := url.Values{}
		if strings.Contains(p.body, `name="login"`) {
			extra.Set("login", login)
			extra.Set("password", "any-password")
		}
		if strings.Contains(p.body, `name="logout"`) {
			extra.Set("logout", "yes")
		}
		p, err = b.submit(p, extra)
	}
	if err != nil {
		return "", err
	}
	return "", fmt.Errorf("no redirect away from the provider after 20 steps: %.300s", p.body)
}

// deliver follows start and then GETs where the provider sent the browser
// (the flow's loopback server), on another goroutine as a browser would.
func (b *browser) deliver(login string, errs chan<- error) OpenBrowser {
	return func(u string) error {
		go func() {
			back, err := b.follow(u, login)
			if err == nil {
				var resp *http.Response
				resp, err = http.Get(back)
				if err == nil {
					resp.Body.Close()
				}
			}
			errs <- err
		}()
		return nil
	}
}
