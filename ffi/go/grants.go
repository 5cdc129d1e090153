package oauthkit

// The device grant (RFC 8628), client credentials, signing out at the
// provider (RP-initiated logout) and token exchange (RFC 8693).

/*
#include <stdint.h>
#include <stdlib.h>
#include <oauthkit.h>

extern int32_t goOakDevicePrompt(char *userCode, char *uri, char *uriComplete, uint64_t expiresIn, void *userData);
extern int32_t goOakOpenEndSession(char *url, void *userData);

static OakStatus oak_go_device_run(const OakDeviceFlow *flow, int with_prompt, uintptr_t run, OakTokenSet **tokens,
                                   char **key) {
    return oak_device_flow_run(flow, with_prompt ? (OakDevicePromptFn)goOakDevicePrompt : NULL, (void *)run, tokens,
                               key);
}

static OakStatus oak_go_logout(const OakProvider *p, const OakStore *s, const char *key, uint64_t timeout,
                               int with_opener, uintptr_t run, OakLogoutResult *out) {
    return oak_logout(p, s, key, timeout, with_opener ? (OakOpenBrowserFn)goOakOpenEndSession : NULL, (void *)run,
                      out);
}
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"time"
	"unsafe"
)

// DeviceCode is what the user needs to approve a device sign-in.
type DeviceCode struct {
	UserCode        string
	VerificationURI string
	// VerificationURIComplete embeds the code ("" when the provider sent
	// none); show it as a QR code.
	VerificationURIComplete string
	// ExpiresIn is the code's lifetime in seconds.
	ExpiresIn uint64
}

// DevicePrompt shows the code to the user; it must return promptly. An
// error ends the run and is returned by Run.
type DevicePrompt func(code DeviceCode) error

type deviceRun struct {
	prompt    DevicePrompt
	promptErr error
}

// DeviceFlow is the device authorization grant (RFC 8628): for machines
// without a browser. Configure it, Run it on one goroutine, Cancel it from
// any other.
type DeviceFlow struct {
	raw *C.OakDeviceFlow
}

// NewDeviceFlow makes a device flow for provider saving to store (nil:
// nowhere).
func NewDeviceFlow(provider *Provider, store *Store) (*DeviceFlow, error) {
	var s *C.OakStore
	if store != nil {
		s = store.raw
	}
	var raw *C.OakDeviceFlow
	err := call(func() C.OakStatus { return C.oak_device_flow_new(provider.raw, s, &raw) })
	runtime.KeepAlive(provider)
	runtime.KeepAlive(store)
	if err != nil {
		return nil, err
	}
	f := &DeviceFlow{raw: raw}
	runtime.SetFinalizer(f, (*DeviceFlow).Close)
	return f, nil
}

// Close frees the flow; only once Run has returned. Safe to call twice.
func (f *DeviceFlow) Close() {
	if f != nil && f.raw != nil {
		C.oak_device_flow_free(f.raw)
		f.raw = nil
		runtime.SetFinalizer(f, nil)
	}
}

// SetTimeout gives up after d (at least a second) even if the code lives
// longer (ErrTimeout).
func (f *DeviceFlow) SetTimeout(d time.Duration) error {
	err := call(func() C.OakStatus { return C.oak_device_flow_set_timeout(f.raw, C.uint64_t(d/time.Second)) })
	runtime.KeepAlive(f)
	return err
}

// SetScopes asks for these scopes instead of the provider's.
func (f *DeviceFlow) SetScopes(scopes string) error {
	c, err := cString(scopes, "scopes")
	if err != nil {
		return err
	}
	defer freeC(c)
	err = call(func() C.OakStatus { return C.oak_device_flow_set_scopes(f.raw, c) })
	runtime.KeepAlive(f)
	return err
}

// AddParam adds a parameter to the device authorization request.
func (f *DeviceFlow) AddParam(name, value string) error {
	var a cArgs
	defer a.free()
	n, err := a.str(name, "name")
	if err != nil {
		return err
	}
	v, err := a.str(value, "value")
	if err != nil {
		return err
	}
	err = call(func() C.OakStatus { return C.oak_device_flow_add_param(f.raw, n, v) })
	runtime.KeepAlive(f)
	return err
}

// SetTokenKey stores the tokens under key instead of the identity's sub.
func (f *DeviceFlow) SetTokenKey(key string) error {
	c, err := cString(key, "key")
	if err != nil {
		return err
	}
	defer freeC(c)
	err = call(func() C.OakStatus { return C.oak_device_flow_set_token_key(f.raw, c) })
	runtime.KeepAlive(f)
	return err
}

// Run asks for a code, shows it with prompt (nil: the URI, the code and a
// QR code on standard error) and blocks until the user approved (the
// tokens and the key they were stored under), refused, the code expired,
// the timeout passed or Cancel was called (ErrCancelled).
func (f *DeviceFlow) Run(prompt DevicePrompt) (*TokenSet, string, error) {
	run := &deviceRun{prompt: prompt}
	h := cgo.NewHandle(run)
	defer h.Delete()
	with := C.int(0)
	if prompt != nil {
		with = 1
	}
	var tokens *C.OakTokenSet
	var key *C.char
	err := call(func() C.OakStatus { return C.oak_go_device_run(f.raw, with, C.uintptr_t(h), &tokens, &key) })
	runtime.KeepAlive(f)
	if run.promptErr != nil {
		return nil, "", run.promptErr
	}
	if err != nil {
		return nil, "", err
	}
	k, _ := takeString(key)
	return adoptTokenSet(tokens), k, nil
}

// Cancel ends a running Run with ErrCancelled (from any goroutine).
func (f *DeviceFlow) Cancel() error {
	err := call(func() C.OakStatus { return C.oak_device_flow_cancel(f.raw) })
	runtime.KeepAlive(f)
	return err
}

// ClientCredentials returns a client-credentials token of the session's
// (confidential) provider, cached and renewed ahead of expiry, one grant
// per key however many goroutines ask. scopes ("" : the provider's) are
// separated by spaces; resource and audience "" are not sent. Also returns
// the store key the token is cached under.
func (s *Session) ClientCredentials(scopes, resource, audience string) (*TokenSet, string, error) {
	var a cArgs
	defer a.free()
	sc, err := a.opt(scopes, "scopes")
	if err != nil {
		return nil, "", err
	}
	r, err := a.opt(resource, "resource")
	if err != nil {
		return nil, "", err
	}
	au, err := a.opt(audience, "audience")
	if err != nil {
		return nil, "", err
	}
	var tokens *C.OakTokenSet
	var key *C.char
	err = call(func() C.OakStatus { return C.oak_session_client_credentials(s.raw, sc, r, au, &tokens, &key) })
	runtime.KeepAlive(s)
	if err != nil {
		return nil, "", err
	}
	k, _ := takeString(key)
	return adoptTokenSet(tokens), k, nil
}

// LogoutResult says what a sign-out did.
type LogoutResult struct {
	// TokensRevoked: the provider accepted the revocation of a stored token.
	TokensRevoked bool
	// TokensDeleted: tokens were stored under the key and are now deleted.
	TokensDeleted bool
	// ProviderSessionEnded: the provider redirected back with the right
	// state (Logout only).
	ProviderSessionEnded bool
}

func logoutResult(r C.OakLogoutResult) LogoutResult {
	return LogoutResult{
		TokensRevoked:        bool(r.tokens_revoked),
		TokensDeleted:        bool(r.tokens_deleted),
		ProviderSessionEnded: bool(r.provider_session_ended),
	}
}

// Logout signs key out everywhere: revokes its tokens, deletes them from
// store, then opens the provider's end-session URL with open (nil: the
// system browser) and waits up to timeout (0: 120 s) for the provider's
// redirect to the loopback port. A timeout or a provider without an
// end-session endpoint is not an error: ProviderSessionEnded is false.
func Logout(provider *Provider, store *Store, key string, timeout time.Duration, open OpenBrowser) (LogoutResult, error) {
	c, err := cString(key, "key")
	if err != nil {
		return LogoutResult{}, err
	}
	defer freeC(c)
	run := &flowRun{open: open}
	h := cgo.NewHandle(run)
	defer h.Delete()
	with := C.int(0)
	if open != nil {
		with = 1
	}
	var out C.OakLogoutResult
	err = call(func() C.OakStatus {
		return C.oak_go_logout(provider.raw, store.raw, c, C.uint64_t(timeout/time.Second), with, C.uintptr_t(h), &out)
	})
	runtime.KeepAlive(provider)
	runtime.KeepAlive(store)
	if run.openErr != nil {
		return LogoutResult{}, run.openErr
	}
	return logoutResult(out), err
}

// LogoutURL revokes and deletes key's tokens and returns the provider's
// end-session URL ("" when it has none) for programs that navigate
// themselves; postLogoutRedirectURI "" is not sent.
func LogoutURL(provider *Provider, store *Store, key, postLogoutRedirectURI string) (string, LogoutResult, error) {
	var a cArgs
	defer a.free()
	k, err := a.str(key, "key")
	if err != nil {
		return "", LogoutResult{}, err
	}
	r, err := a.opt(postLogoutRedirectURI, "post_logout_redirect_uri")
	if err != nil {
		return "", LogoutResult{}, err
	}
	var url *C.char
	var out C.OakLogoutResult
	err = call(func() C.OakStatus { return C.oak_logout_url(provider.raw, store.raw, k, r, &url, &out) })
	runtime.KeepAlive(provider)
	runtime.KeepAlive(store)
	if err != nil {
		return "", LogoutResult{}, err
	}
	u, _ := takeString(url)
	return u, logoutResult(out), nil
}

// Token type URIs of RFC 8693 §3.
const (
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
	TokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT          = "urn:ietf:params:oauth:token-type:jwt"
)

// TokenExchange is an RFC 8693 request. SubjectToken and SubjectTokenType
// are required; empty fields are not sent.
type TokenExchange struct {
	SubjectToken       string
	SubjectTokenType   string
	ActorToken         string
	ActorTokenType     string
	Audiences          []string
	Resources          []string
	Scopes             string
	RequestedTokenType string
}

// ExchangeToken trades the request's subject token at the provider's token
// endpoint (with its client authentication). It returns the issued token
// (in the token set's access token; its TokenType is "N_A" when it is not
// an access token and must not be sent as Bearer) and the issued token
// type URI.
func (p *Provider) ExchangeToken(req TokenExchange) (*TokenSet, string, error) {
	var a cArgs
	defer a.free()
	subject, err := a.str(req.SubjectToken, "subject_token")
	if err != nil {
		return nil, "", err
	}
	subjectType, err := a.str(req.SubjectTokenType, "subject_token_type")
	if err != nil {
		return nil, "", err
	}
	opts := make([]*C.char, 4)
	for i, v := range []struct{ value, name string }{
		{req.ActorToken, "actor_token"}, {req.ActorTokenType, "actor_token_type"},
		{req.Scopes, "scopes"}, {req.RequestedTokenType, "requested_token_type"},
	} {
		if opts[i], err = a.opt(v.value, v.name); err != nil {
			return nil, "", err
		}
	}
	list := func(items []string, name string) (**C.char, C.size_t, func(), error) {
		if len(items) == 0 {
			return nil, 0, func() {}, nil
		}
		arr := (*[1 << 20]*C.char)(C.malloc(C.size_t(len(items)) * C.size_t(unsafe.Sizeof(uintptr(0)))))[:len(items):len(items)]
		for i, s := range items {
			c, err := a.str(s, name)
			if err != nil {
				C.free(unsafe.Pointer(&arr[0]))
				return nil, 0, func() {}, err
			}
			arr[i] = c
		}
		return &arr[0], C.size_t(len(items)), func() { C.free(unsafe.Pointer(&arr[0])) }, nil
	}
	auds, nAuds, freeAuds, err := list(req.Audiences, "audience")
	if err != nil {
		return nil, "", err
	}
	defer freeAuds()
	res, nRes, freeRes, err := list(req.Resources, "resource")
	if err != nil {
		return nil, "", err
	}
	defer freeRes()
	var tokens *C.OakTokenSet
	var issued *C.char
	err = call(func() C.OakStatus {
		return C.oak_token_exchange(p.raw, subject, subjectType, opts[0], opts[1], auds, nAuds, res, nRes, opts[2],
			opts[3], &tokens, &issued)
	})
	runtime.KeepAlive(p)
	if err != nil {
		return nil, "", err
	}
	it, _ := takeString(issued)
	return adoptTokenSet(tokens), it, nil
}
