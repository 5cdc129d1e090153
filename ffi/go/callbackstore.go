package oauthkit

/*
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <oauthkit.h>

extern int32_t goOakStoreSave(void *, char *, char *, char *);
extern int32_t goOakStoreLoad(void *, char *, char *, OakStoreReply *);
extern int32_t goOakStoreRemove(void *, char *, char *, bool *);
extern int32_t goOakStoreList(void *, char *, OakStoreReply *);
extern int32_t goOakStoreNamespaces(void *, OakStoreReply *);
extern int32_t goOakStoreLock(void *, char *, char *, uint64_t);
extern void goOakStoreUnlock(void *, char *, char *);
extern void goOakStoreDestroy(void *);

static OakStatus oak_go_store_from_callbacks(uintptr_t handle, int with_namespaces, int with_lock, const char *ns,
                                             OakStore **out) {
    OakStoreCallbacks cb = {
        .user_data = (void *)handle,
        .save = (OakStoreSaveFn)goOakStoreSave,
        .load = (OakStoreLoadFn)goOakStoreLoad,
        .remove = (OakStoreDeleteFn)goOakStoreRemove,
        .list = (OakStoreListFn)goOakStoreList,
        .namespaces = with_namespaces ? (OakStoreNamespacesFn)goOakStoreNamespaces : NULL,
        .lock = with_lock ? (OakStoreLockFn)goOakStoreLock : NULL,
        .unlock = with_lock ? (OakStoreUnlockFn)goOakStoreUnlock : NULL,
        .destroy = (OakStoreDestroyFn)goOakStoreDestroy,
    };
    return oak_store_from_callbacks(&cb, ns, out);
}
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"time"
)

// StoreBackend is token storage a Go program provides; NewCallbackStore
// makes a Store of it that flows and sessions use like any other. Values
// are token sets in oauthkit's JSON shape, kept by namespace and key. The
// methods are called from any goroutine, also concurrently, so they must
// be safe for concurrent use. Return an *Error to choose the status the
// store call fails with (e.g. &Error{Code: CodeUnavailable}); any other
// error is ErrStorage. A panic is recovered and becomes ErrStorage.
type StoreBackend interface {
	// Save stores json under key in namespace, replacing what was there.
	Save(namespace, key, json string) error
	// Load returns the JSON under key; found is false when there is none.
	Load(namespace, key string) (json string, found bool, err error)
	// Delete removes the value under key and tells whether there was one.
	Delete(namespace, key string) (bool, error)
	// List returns the keys of namespace, in any order.
	List(namespace string) ([]string, error)
}

// StoreNamespaceLister is implemented by a StoreBackend that can list its
// namespaces (Store.Namespaces); without it a store reports only its own.
type StoreNamespaceLister interface {
	Namespaces() ([]string, error)
}

// StoreLocker is implemented by a StoreBackend with a per-key lock that
// every process sharing the storage respects. The session manager holds it
// while it re-reads and refreshes. Lock waits at most timeout and returns
// &Error{Code: CodeLockTimeout} when the wait runs out; Unlock is called
// once per successful Lock, possibly on another goroutine.
type StoreLocker interface {
	Lock(namespace, key string, timeout time.Duration) error
	Unlock(namespace, key string)
}

type goStore struct {
	b StoreBackend
}

// NewCallbackStore wraps backend as a Store bound to namespace ("" means
// the default namespace, DEFAULT). The backend is kept until the Store and
// every flow or session using it are closed. Keys and namespaces are
// checked (non-empty, at most 512 bytes, no control characters) before the
// backend sees them; a value the backend returns that is not a token set
// fails the call with ErrStorage.
func NewCallbackStore(backend StoreBackend, namespace string) (*Store, error) {
	if backend == nil {
		return nil, &Error{Code: CodeInvalidArgument, Message: "invalid argument: backend is nil"}
	}
	var ns *C.char
	if namespace != "" {
		c, err := cString(namespace, "namespace")
		if err != nil {
			return nil, err
		}
		defer freeC(c)
		ns = c
	}
	_, withNamespaces := backend.(StoreNamespaceLister)
	_, withLock := backend.(StoreLocker)
	h := cgo.NewHandle(&goStore{b: backend})
	var raw *C.OakStore
	err := call(func() C.OakStatus {
		return C.oak_go_store_from_callbacks(C.uintptr_t(h), cBool(withNamespaces), cBool(withLock), ns, &raw)
	})
	if err != nil {
		h.Delete() // refused: destroy is not called
		return nil, err
	}
	return adoptStore(raw), nil
}

// InNamespace opens another namespace of a store made by NewCallbackStore
// (same backend). Any other store is ErrUnsupported.
func (s *Store) InNamespace(namespace string) (*Store, error) {
	c, err := cString(namespace, "namespace")
	if err != nil {
		return nil, err
	}
	defer freeC(c)
	var raw *C.OakStore
	err = call(func() C.OakStatus { return C.oak_store_callbacks_in_namespace(s.raw, c, &raw) })
	runtime.KeepAlive(s)
	if err != nil {
		return nil, err
	}
	return adoptStore(raw), nil
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
