package oauthkit

/*
#include <stdint.h>
#include <stdlib.h>
#include <oauthkit.h>

extern OakStatus goOakOpenBrowser(char *url, void *userData);

static OakStatus oak_go_run_native(const OakFlow *flow, int with_opener, uintptr_t run, OakTokenSet **tokens,
                                   char **key, char **info) {
    return oak_flow_run_native(flow, with_opener ? (OakOpenBrowserFn)goOakOpenBrowser : NULL, (void *)run,
                               tokens, key, info);
}
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"time"
)

// FlowState is where a sign-in is.
type FlowState int32

// Flow states, as Flow.State reports them.
const (
	FlowIdle               FlowState = C.OAK_FLOW_IDLE
	FlowWaitingForCallback FlowState = C.OAK_FLOW_WAITING_FOR_CALLBACK
	FlowExchanging         FlowState = C.OAK_FLOW_EXCHANGING
	FlowCompleted          FlowState = C.OAK_FLOW_COMPLETED
	FlowFailed             FlowState = C.OAK_FLOW_FAILED
	FlowCancelled          FlowState = C.OAK_FLOW_CANCELLED
	FlowTimedOut           FlowState = C.OAK_FLOW_TIMED_OUT
)

// Flow is the native loopback sign-in. Configure it, run it on one
// goroutine, Cancel it from any other.
type Flow struct {
	raw *C.OakFlow
}

// SignIn is a successful sign-in.
type SignIn struct {
	Tokens *TokenSet
	// Key is the key the tokens were stored under.
	Key string
	// UserInfoJSON holds the userinfo claims, "" when there were none.
	UserInfoJSON string
}

// OpenBrowser shows the authorization URL; it must return promptly.
type OpenBrowser func(url string) error

type flowRun struct {
	open    OpenBrowser
	openErr error
}

// NewFlow makes a flow signing in with provider and saving to store
// (either store or session may be nil).
func NewFlow(provider *Provider, store *Store, session *Session) (*Flow, error) {
	var s *C.OakStore
	if store != nil {
		s = store.raw
	}
	var m *C.OakSession
	if session != nil {
		m = session.raw
	}
	var raw *C.OakFlow
	if err := call(func() C.OakStatus { return C.oak_flow_new(provider.raw, s, m, &raw) }); err != nil {
		return nil, err
	}
	runtime.KeepAlive(provider)
	runtime.KeepAlive(store)
	runtime.KeepAlive(session)
	f := &Flow{raw: raw}
	runtime.SetFinalizer(f, (*Flow).Close)
	return f, nil
}

// Close frees the flow; only once RunNative has returned.
func (f *Flow) Close() {
	if f != nil && f.raw != nil {
		C.oak_flow_free(f.raw)
		f.raw = nil
		runtime.SetFinalizer(f, nil)
	}
}

// SetTimeout sets how long the user has to sign in.
func (f *Flow) SetTimeout(d time.Duration) error {
	return call(func() C.OakStatus { return C.oak_flow_set_timeout(f.raw, C.uint64_t(d/time.Second)) })
}

// SetTokenKey stores the tokens under key instead of the identity's sub.
func (f *Flow) SetTokenKey(key string) error {
	c, err := cString(key, "key")
	if err != nil {
		return err
	}
	defer freeC(c)
	return call(func() C.OakStatus { return C.oak_flow_set_token_key(f.raw, c) })
}

// AddParam adds a query parameter to the authorization URL.
func (f *Flow) AddParam(name, value string) error {
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
	return call(func() C.OakStatus { return C.oak_flow_add_param(f.raw, n, v) })
}

// RunNative signs in and blocks until done. open nil uses the system
// browser. An error open returns ends the run and is returned as is.
func (f *Flow) RunNative(open OpenBrowser) (*SignIn, error) {
	run := &flowRun{open: open}
	h := cgo.NewHandle(run)
	defer h.Delete()
	withOpener := C.int(0)
	if open != nil {
		withOpener = 1
	}
	var tokens *C.OakTokenSet
	var key, info *C.char
	err := call(func() C.OakStatus {
		return C.oak_go_run_native(f.raw, withOpener, C.uintptr_t(h), &tokens, &key, &info)
	})
	runtime.KeepAlive(f)
	if run.openErr != nil {
		return nil, run.openErr
	}
	if err != nil {
		return nil, err
	}
	k, _ := takeString(key)
	i, _ := takeString(info)
	return &SignIn{Tokens: adoptTokenSet(tokens), Key: k, UserInfoJSON: i}, nil
}

// Cancel cancels a running sign-in; RunNative returns ErrCancelled.
func (f *Flow) Cancel() error {
	err := call(func() C.OakStatus { return C.oak_flow_cancel(f.raw) })
	runtime.KeepAlive(f)
	return err
}

// State is where the current or last sign-in is.
func (f *Flow) State() (FlowState, error) {
	var s C.OakFlowState
	err := call(func() C.OakStatus { return C.oak_flow_state(f.raw, &s) })
	runtime.KeepAlive(f)
	return FlowState(s), err
}
