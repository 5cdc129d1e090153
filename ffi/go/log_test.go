package oauthkit

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestLogHandlerGetsRecordsWithoutSecrets(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	mustNoErr(t, SetLogHandler(LogInfo, func(level LogLevel, target, message string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, string(rune('0'+level))+" "+target+": "+message)
	}))
	defer func() { _ = SetLogHandler(LogOff, nil) }()
	if err := SetLogHandler(LogLevel(9), func(LogLevel, string, string) {}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("level 9: %v", err)
	}

	_, provider := devPair(t)
	store, err := OpenStore("memory:")
	mustNoErr(t, err)
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
	at, err := res.Tokens.AccessToken()
	mustNoErr(t, err)
	rt, _, err := res.Tokens.RefreshToken()
	mustNoErr(t, err)

	mu.Lock()
	all := strings.Join(lines, "\n")
	before := len(lines)
	mu.Unlock()
	for _, want := range []string{
		"3 oauthkit::flow::native: sign-in at oidc started",
		"tokens stored under 'dev-user-1'",
	} {
		if !strings.Contains(all, want) {
			t.Fatalf("no %q in the log:\n%s", want, all)
		}
	}
	if at == "" || rt == "" || strings.Contains(all, at) || strings.Contains(all, rt) {
		t.Fatalf("a token in the log (or no token):\n%s", all)
	}
	if strings.Contains(all, "ureq") {
		t.Fatalf("HTTP client records below warn passed:\n%s", all)
	}

	mustNoErr(t, SetLogHandler(LogOff, nil))
	session, err := NewSession(provider, store, nil)
	mustNoErr(t, err)
	defer session.Close()
	had, err := session.Logout("dev-user-1")
	mustNoErr(t, err)
	if !had {
		t.Fatal("no tokens to log out")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != before {
		t.Fatalf("records after logging was turned off: %v", lines[before:])
	}
}
