package oauthkit

/*
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"unsafe"
)

// Deploy is deploy mode: the application serves the sign-in itself. It is
// an http.Handler for GET /auth/login, GET /auth/callback, POST
// /auth/logout and GET /auth/status; mount it with
// mux.Handle("/auth/", deploy). Safe for concurrent use; Close it when done.
// It needs a library built with the cargo feature capi-server
// (scripts/build-capi.sh --features capi-server); without it NewDeploy
// returns ErrUnsupported naming the feature.
type Deploy struct {
	raw *C.OakDeploy
}

// NewDeploy makes the routes for an application at baseURL
// ("https://app.example"; register baseURL+"/auth/callback" at the
// provider) signing in with provider and storing tokens in store.
// afterLogin is where the browser goes after signing in ("" means "/");
// sessionTTLSeconds how long a session lasts (0: one day).
func NewDeploy(provider *Provider, store *Store, baseURL, afterLogin string, sessionTTLSeconds uint64) (*Deploy, error) {
	base, err := cString(baseURL, "base_url")
	if err != nil {
		return nil, err
	}
	defer freeC(base)
	var after *C.char
	if afterLogin != "" {
		if after, err = cString(afterLogin, "after_login"); err != nil {
			return nil, err
		}
		defer freeC(after)
	}
	var raw *C.OakDeploy
	err = call(func() C.OakStatus {
		return C.oak_deploy_new(provider.raw, store.raw, base, after, C.uint64_t(sessionTTLSeconds), &raw)
	})
	runtime.KeepAlive(provider)
	runtime.KeepAlive(store)
	if err != nil {
		return nil, err
	}
	d := &Deploy{raw: raw}
	runtime.SetFinalizer(d, (*Deploy).Close)
	return d, nil
}

// Close frees the routes and their sessions. Safe to call twice.
func (d *Deploy) Close() {
	if d != nil && d.raw != nil {
		C.oak_deploy_free(d.raw)
		d.raw = nil
		runtime.SetFinalizer(d, nil)
	}
}

// DeployResponse is one answer of Handle.
type DeployResponse struct {
	Status  int
	Headers [][2]string // in order; Set-Cookie may repeat
	Body    string
}

// Handle answers one request given as method, path (may carry ?query),
// query ("" for none) and headers (Cookie, Origin, Sec-Fetch-Site and
// X-CSRF-Token are read). Every outcome of the routes is an HTTP answer;
// an error means unusable arguments (e.g. a header value with a line
// break).
func (d *Deploy) Handle(method, path, query string, headers http.Header) (*DeployResponse, error) {
	var names, values []*C.char
	defer func() {
		for _, p := range append(names, values...) {
			freeC(p)
		}
	}()
	for name, vs := range headers {
		switch strings.ToLower(name) {
		case "cookie", "origin", "sec-fetch-site", "x-csrf-token":
		default:
			continue
		}
		for _, v := range vs {
			n, err := cString(name, "header name")
			if err != nil {
				return nil, err
			}
			names = append(names, n)
			val, err := cString(v, "header value")
			if err != nil {
				return nil, err
			}
			values = append(values, val)
		}
	}
	cm, err := cString(method, "method")
	if err != nil {
		return nil, err
	}
	defer freeC(cm)
	cp, err := cString(path, "path")
	if err != nil {
		return nil, err
	}
	defer freeC(cp)
	var cq *C.char
	if query != "" {
		if cq, err = cString(query, "query"); err != nil {
			return nil, err
		}
		defer freeC(cq)
	}
	// C arrays (Go memory holding C pointers may not be passed to C).
	count := len(names)
	var cn, cv **C.char
	if count > 0 {
		size := C.size_t(count) * C.size_t(unsafe.Sizeof(uintptr(0)))
		cn = (**C.char)(C.malloc(size))
		cv = (**C.char)(C.malloc(size))
		defer C.free(unsafe.Pointer(cn))
		defer C.free(unsafe.Pointer(cv))
		copy(unsafe.Slice(cn, count), names)
		copy(unsafe.Slice(cv, count), values)
	}
	var resp *C.OakDeployResponse
	err = call(func() C.OakStatus {
		return C.oak_deploy_handle(d.raw, cm, cp, cq, cn, cv, C.size_t(count), nil, &resp)
	})
	runtime.KeepAlive(d)
	if err != nil {
		return nil, err
	}
	defer C.oak_deploy_response_free(resp)
	var status C.uint32_t
	if err := call(func() C.OakStatus { return C.oak_deploy_response_status(resp, &status) }); err != nil {
		return nil, err
	}
	var hn, hv **C.char
	var n C.size_t
	if err := call(func() C.OakStatus { return C.oak_deploy_response_headers(resp, &hn, &hv, &n) }); err != nil {
		return nil, err
	}
	hnames, hvalues := takeArray(hn, n), takeArray(hv, n)
	var body *C.char
	if err := call(func() C.OakStatus { return C.oak_deploy_response_body(resp, &body) }); err != nil {
		return nil, err
	}
	text, _ := takeString(body)
	out := &DeployResponse{Status: int(status), Body: text}
	for i := range hnames {
		out.Headers = append(out.Headers, [2]string{hnames[i], hvalues[i]})
	}
	return out, nil
}

// ServeHTTP makes Deploy an http.Handler. A request the handler refuses as
// unusable gets 400.
func (d *Deploy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<16))
	resp, err := d.Handle(r.Method, r.URL.Path, r.URL.RawQuery, r.Header)
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	for _, h := range resp.Headers {
		w.Header().Add(h[0], h[1])
	}
	w.WriteHeader(resp.Status)
	_, _ = io.WriteString(w, resp.Body)
}

// SessionKey is the token-store key of the session the Cookie header
// carries ("" and false when there is none).
func (d *Deploy) SessionKey(cookieHeader string) (string, bool, error) {
	c, err := cString(cookieHeader, "cookie")
	if err != nil {
		return "", false, err
	}
	defer freeC(c)
	var out *C.char
	err = call(func() C.OakStatus { return C.oak_deploy_session_key(d.raw, c, &out) })
	runtime.KeepAlive(d)
	if err != nil {
		return "", false, err
	}
	key, ok := takeString(out)
	return key, ok, nil
}
