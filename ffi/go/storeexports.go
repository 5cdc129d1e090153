package oauthkit

// The C-callable trampolines of stores implemented in Go (StoreBackend).
// This file may only declare things in its preamble (it uses //export).

/*
#include <stdbool.h>
#include <stdint.h>
#include <oauthkit.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"strings"
	"time"
	"unsafe"
)

func backendOf(userData unsafe.Pointer) *goStore {
	return cgo.Handle(uintptr(userData)).Value().(*goStore)
}

// status turns what a backend method returned into the callback's status:
// an *Error keeps its code, any other error is OAK_ERR_STORAGE, a panic is
// recovered into OAK_ERR_STORAGE (a Go panic must not unwind into Rust).
func status(f func() error) (st C.int32_t) {
	defer func() {
		if r := recover(); r != nil {
			st = C.int32_t(CodeStorage)
		}
	}()
	err := f()
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) && e.Code != 0 {
		return C.int32_t(e.Code)
	}
	return C.int32_t(CodeStorage)
}

// reply hands values back to the library. A value holding a NUL byte is
// refused (C would cut it short): the store call fails with ErrStorage.
func reply(r *C.OakStoreReply, values ...string) error {
	for _, v := range values {
		if strings.IndexByte(v, 0) >= 0 {
			return errors.New("the backend gave a value holding a NUL byte")
		}
		c := C.CString(v)
		st := C.oak_store_reply_add(r, c)
		freeC(c)
		if st != C.OAK_OK {
			return errors.New("the library refused a value the backend gave")
		}
	}
	return nil
}

//export goOakStoreSave
func goOakStoreSave(userData unsafe.Pointer, ns, key, json *C.char) C.int32_t {
	s := backendOf(userData)
	return status(func() error { return s.b.Save(C.GoString(ns), C.GoString(key), C.GoString(json)) })
}

//export goOakStoreLoad
func goOakStoreLoad(userData unsafe.Pointer, ns, key *C.char, r *C.OakStoreReply) C.int32_t {
	s := backendOf(userData)
	return status(func() error {
		json, found, err := s.b.Load(C.GoString(ns), C.GoString(key))
		if err != nil || !found {
			return err
		}
		return reply(r, json)
	})
}

//export goOakStoreRemove
func goOakStoreRemove(userData unsafe.Pointer, ns, key *C.char, deleted *C.bool) C.int32_t {
	s := backendOf(userData)
	return status(func() error {
		d, err := s.b.Delete(C.GoString(ns), C.GoString(key))
		*deleted = C.bool(d)
		return err
	})
}

//export goOakStoreList
func goOakStoreList(userData unsafe.Pointer, ns *C.char, r *C.OakStoreReply) C.int32_t {
	s := backendOf(userData)
	return status(func() error {
		keys, err := s.b.List(C.GoString(ns))
		if err != nil {
			return err
		}
		return reply(r, keys...)
	})
}

//export goOakStoreNamespaces
func goOakStoreNamespaces(userData unsafe.Pointer, r *C.OakStoreReply) C.int32_t {
	s := backendOf(userData)
	return status(func() error {
		lister, ok := s.b.(StoreNamespaceLister)
		if !ok {
			return fmt.Errorf("no namespace lister")
		}
		names, err := lister.Namespaces()
		if err != nil {
			return err
		}
		return reply(r, names...)
	})
}

//export goOakStoreLock
func goOakStoreLock(userData unsafe.Pointer, ns, key *C.char, timeoutMs C.uint64_t) C.int32_t {
	s := backendOf(userData)
	return status(func() error {
		return s.b.(StoreLocker).Lock(C.GoString(ns), C.GoString(key), time.Duration(timeoutMs)*time.Millisecond)
	})
}

//export goOakStoreUnlock
func goOakStoreUnlock(userData unsafe.Pointer, ns, key *C.char) {
	s := backendOf(userData)
	_ = status(func() error {
		s.b.(StoreLocker).Unlock(C.GoString(ns), C.GoString(key))
		return nil
	})
}

//export goOakStoreDestroy
func goOakStoreDestroy(userData unsafe.Pointer) {
	cgo.Handle(uintptr(userData)).Delete()
}
