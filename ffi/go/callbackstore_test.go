package oauthkit

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// mapBackend is a StoreBackend over a map, with a per-key lock and faults.
type mapBackend struct {
	mu      sync.Mutex
	data    map[[2]string]string
	fail    error
	junk    string // when set, Load returns this instead of the JSON
	boom    bool   // when set, Load panics
	locks   int
	unlocks int
	held    map[[2]string]bool
}

func newMapBackend() *mapBackend {
	return &mapBackend{data: map[[2]string]string{}, held: map[[2]string]bool{}}
}

func (m *mapBackend) Save(ns, key, json string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.data[[2]string{ns, key}] = json
	return nil
}

func (m *mapBackend) Load(ns, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.boom {
		panic("backend bug")
	}
	if m.fail != nil {
		return "", false, m.fail
	}
	if m.junk != "" {
		return m.junk, true, nil
	}
	v, ok := m.data[[2]string{ns, key}]
	return v, ok, nil
}

func (m *mapBackend) Delete(ns, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.data[[2]string{ns, key}]
	delete(m.data, [2]string{ns, key})
	return ok, m.fail
}

func (m *mapBackend) List(ns string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.data {
		if k[0] == ns {
			keys = append(keys, k[1])
		}
	}
	return keys, m.fail
}

func (m *mapBackend) Namespaces() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for k := range m.data {
		if !seen[k[0]] {
			seen[k[0]] = true
			out = append(out, k[0])
		}
	}
	return out, nil
}

func (m *mapBackend) Lock(ns, key string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		m.mu.Lock()
		if !m.held[[2]string{ns, key}] {
			m.held[[2]string{ns, key}] = true
			m.locks++
			m.mu.Unlock()
			return nil
		}
		m.mu.Unlock()
		if time.Now().After(deadline) {
			return &Error{Code: CodeLockTimeout, Message: "lock wait ran out"}
		}
		time.Sleep(time.Millisecond)
	}
}

func (m *mapBackend) Unlock(ns, key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.held, [2]string{ns, key})
	m.unlocks++
}

func newToken(t *testing.T, at string) *TokenSet {
	t.Helper()
	ts, err := NewTokenSet(at)
	mustNoErr(t, err)
	return ts
}

// The store conformance checks, through a Go backend and the C ABI.
func TestCallbackStoreConformance(t *testing.T) {
	b := newMapBackend()
	store, err := NewCallbackStore(b, "app")
	mustNoErr(t, err)
	defer store.Close()
	other, err := store.InNamespace("other")
	mustNoErr(t, err)
	defer other.Close()

	if ts, err := store.Load("nobody"); ts != nil || err != nil {
		t.Fatalf("missing key: %v %v", ts, err)
	}
	if d, err := store.Delete("nobody"); d || err != nil {
		t.Fatalf("delete missing: %v %v", d, err)
	}
	for i, k := range []string{"zeta", "alpha", "user:with/odd chars?"} {
		ts := newToken(t, fmt.Sprintf("at-%d-é✓", i))
		rt := fmt.Sprintf("rt-%d", i)
		mustNoErr(t, ts.SetRefreshToken(&rt))
		mustNoErr(t, ts.SetScopes("openid", "email"))
		mustNoErr(t, store.Save(k, ts))
		ts.Close()
	}
	// replace
	ts := newToken(t, "newer")
	mustNoErr(t, store.Save("zeta", ts))
	ts.Close()
	keys, err := store.Keys()
	mustNoErr(t, err)
	if strings.Join(keys, ",") != "alpha,user:with/odd chars?,zeta" {
		t.Fatalf("keys %v (must be sorted)", keys)
	}
	loaded, err := store.Load("alpha")
	mustNoErr(t, err)
	at, _ := loaded.AccessToken()
	rt, _, _ := loaded.RefreshToken()
	has, _ := loaded.HasScope("email")
	loaded.Close()
	if at != "at-1-é✓" || rt != "rt-1" || !has {
		t.Fatalf("round trip: %q %q %v", at, rt, has)
	}
	loaded, err = store.Load("zeta")
	mustNoErr(t, err)
	at, _ = loaded.AccessToken()
	loaded.Close()
	if at != "newer" {
		t.Fatalf("save did not replace: %q", at)
	}
	// namespaces are separate
	ts = newToken(t, "other-ns")
	mustNoErr(t, other.Save("alpha", ts))
	ts.Close()
	loaded, err = store.Load("alpha")
	mustNoErr(t, err)
	at, _ = loaded.AccessToken()
	loaded.Close()
	if at != "at-1-é✓" {
		t.Fatalf("namespaces mixed: %q", at)
	}
	names, err := store.Namespaces()
	mustNoErr(t, err)
	if strings.Join(names, ",") != "app,other" {
		t.Fatalf("namespaces %v", names)
	}
	if d, err := store.Delete("alpha"); !d || err != nil {
		t.Fatalf("delete: %v %v", d, err)
	}
	if ok, _ := other.Exists("alpha"); !ok {
		t.Fatal("delete reached the other namespace")
	}
	if err := store.Save("", newToken(t, "x")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty key gave %v", err)
	}
	if backend, _ := store.Backend(); backend != "callback" {
		t.Fatalf("backend %q", backend)
	}

	// concurrent goroutines lose nothing
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				ts, _ := NewTokenSet(fmt.Sprintf("at-%d-%d", g, i))
				if err := other.Save(fmt.Sprintf("g%d-%d", g, i), ts); err != nil {
					t.Error(err)
				}
				ts.Close()
			}
		}(g)
	}
	wg.Wait()
	keys, _ = other.Keys()
	if len(keys) != 81 || !sort.StringsAreSorted(keys) {
		t.Fatalf("%d keys after concurrent saves", len(keys))
	}
}

func TestCallbackStoreErrors(t *testing.T) {
	b := newMapBackend()
	store, err := NewCallbackStore(b, "")
	mustNoErr(t, err)
	defer store.Close()
	if ns, _ := store.Namespace(); ns != "DEFAULT" {
		t.Fatalf("namespace %q", ns)
	}
	ts := newToken(t, "at")
	defer ts.Close()
	mustNoErr(t, store.Save("k", ts))

	b.fail = &Error{Code: CodeUnavailable, Message: "down"}
	if err := store.Save("k", ts); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("typed failure gave %v", err)
	}
	b.fail = errors.New("plain")
	if _, err := store.Load("k"); !errors.Is(err, ErrStorage) {
		t.Fatalf("plain failure gave %v", err)
	}
	b.fail = nil
	b.junk = `{"access_token": "go-secret"`
	_, err = store.Load("k")
	if !errors.Is(err, ErrStorage) || !strings.Contains(err.Error(), "not a token set") || strings.Contains(err.Error(), "go-secret") {
		t.Fatalf("junk gave %v", err)
	}
	b.junk = "nul\x00inside"
	if _, err := store.Load("k"); !errors.Is(err, ErrStorage) {
		t.Fatalf("NUL value gave %v", err)
	}
	b.junk = ""
	b.boom = true
	if _, err := store.Load("k"); !errors.Is(err, ErrStorage) {
		t.Fatalf("panic gave %v", err)
	}
	b.boom = false
	if _, err := NewCallbackStore(nil, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("nil backend gave %v", err)
	}
	if _, err := NewCallbackStore(b, "bad\tns"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad namespace gave %v", err)
	}
	mem, err := OpenStore("memory:")
	mustNoErr(t, err)
	defer mem.Close()
	if _, err := mem.InNamespace("x"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("InNamespace on memory gave %v", err)
	}
}

// A sign-in and a refresh through a Go store, the refresh under its lock.
func TestCallbackStoreSignInAndRefresh(t *testing.T) {
	idp, provider := devPair(t)
	b := newMapBackend()
	store, err := NewCallbackStore(b, "app")
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
	b.mu.Lock()
	json, ok := b.data[[2]string{"app", res.Key}]
	b.mu.Unlock()
	if !ok || !strings.Contains(json, "refresh_token") {
		t.Fatalf("the flow did not save through the Go store: %v", ok)
	}
	stored, err := store.Load(res.Key)
	mustNoErr(t, err)
	mustNoErr(t, stored.SetExpiresIn(-10*time.Second))
	mustNoErr(t, store.Save(res.Key, stored))
	stored.Close()
	session, err := NewSession(provider, store, nil)
	mustNoErr(t, err)
	defer session.Close()
	first, _ := res.Tokens.AccessToken()
	at, err := session.AccessToken(res.Key)
	mustNoErr(t, err)
	if at == first {
		t.Fatal("not refreshed")
	}
	if n, _ := idp.TokenRequests("refresh_token"); n != 1 {
		t.Fatalf("%d refreshes", n)
	}
	b.mu.Lock()
	locks, unlocks := b.locks, b.unlocks
	b.mu.Unlock()
	if locks < 1 || locks != unlocks {
		t.Fatalf("locks %d, unlocks %d", locks, unlocks)
	}
}
