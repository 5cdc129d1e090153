package oauthkit

/*
#include <stdlib.h>
#include <oauthkit.h>
*/
import "C"

import "runtime"

// Store keeps token sets by key. Safe for concurrent use; Close it when done.
type Store struct {
	raw *C.OakStore
}

func adoptStore(raw *C.OakStore) *Store {
	s := &Store{raw: raw}
	runtime.SetFinalizer(s, (*Store).Close)
	return s
}

// OpenStore opens a store from a spec: "memory:", "file:/path/tokens.json",
// "sqlite:/path/tokens.db" or "keyring:app", optionally followed by
// "?namespace=NAME". A backend the library was built without is
// ErrUnsupported; an unknown scheme is ErrInvalidArgument.
func OpenStore(spec string) (*Store, error) {
	c, err := cString(spec, "spec")
	if err != nil {
		return nil, err
	}
	defer freeC(c)
	var raw *C.OakStore
	if err := call(func() C.OakStatus { return C.oak_store_open(c, &raw) }); err != nil {
		return nil, err
	}
	return adoptStore(raw), nil
}

// OpenDefaultStore opens the store named by OAUTHKIT_STORE, else the JSON
// file in the user's data directory.
func OpenDefaultStore() (*Store, error) {
	var raw *C.OakStore
	if err := call(func() C.OakStatus { return C.oak_store_open_default(&raw) }); err != nil {
		return nil, err
	}
	return adoptStore(raw), nil
}

// Close frees the store handle. Safe to call twice.
func (s *Store) Close() {
	if s != nil && s.raw != nil {
		C.oak_store_free(s.raw)
		s.raw = nil
		runtime.SetFinalizer(s, nil)
	}
}

func (s *Store) withKey(key string, f func(*C.char) C.OakStatus) error {
	c, err := cString(key, "key")
	if err != nil {
		return err
	}
	defer freeC(c)
	err = call(func() C.OakStatus { return f(c) })
	runtime.KeepAlive(s)
	return err
}

// Save stores tokens under key (replacing what was there).
func (s *Store) Save(key string, tokens *TokenSet) error {
	var raw *C.OakTokenSet
	if tokens != nil {
		raw = tokens.raw
	}
	err := s.withKey(key, func(k *C.char) C.OakStatus { return C.oak_store_save(s.raw, k, raw) })
	runtime.KeepAlive(tokens)
	return err
}

// Load returns the token set under key, or nil (and no error) when there is none.
func (s *Store) Load(key string) (*TokenSet, error) {
	var raw *C.OakTokenSet
	if err := s.withKey(key, func(k *C.char) C.OakStatus { return C.oak_store_load(s.raw, k, &raw) }); err != nil {
		return nil, err
	}
	return adoptTokenSet(raw), nil
}

// Delete removes the token set under key and tells whether there was one.
func (s *Store) Delete(key string) (bool, error) {
	var deleted C.bool
	err := s.withKey(key, func(k *C.char) C.OakStatus { return C.oak_store_delete(s.raw, k, &deleted) })
	return bool(deleted), err
}

// Exists tells whether a token set is stored under key.
func (s *Store) Exists(key string) (bool, error) {
	var exists C.bool
	err := s.withKey(key, func(k *C.char) C.OakStatus { return C.oak_store_exists(s.raw, k, &exists) })
	return bool(exists), err
}

func (s *Store) list(f func(***C.char, *C.size_t) C.OakStatus) ([]string, error) {
	var items **C.char
	var n C.size_t
	if err := call(func() C.OakStatus { return f(&items, &n) }); err != nil {
		return nil, err
	}
	runtime.KeepAlive(s)
	return takeArray(items, n), nil
}

// Keys lists the keys of the store's namespace, sorted.
func (s *Store) Keys() ([]string, error) {
	return s.list(func(i ***C.char, n *C.size_t) C.OakStatus { return C.oak_store_list(s.raw, i, n) })
}

// Namespaces lists every namespace of the underlying storage, sorted.
func (s *Store) Namespaces() ([]string, error) {
	return s.list(func(i ***C.char, n *C.size_t) C.OakStatus { return C.oak_store_namespaces(s.raw, i, n) })
}

func (s *Store) text(f func(**C.char) C.OakStatus) (string, error) {
	var out *C.char
	if err := call(func() C.OakStatus { return f(&out) }); err != nil {
		return "", err
	}
	runtime.KeepAlive(s)
	v, _ := takeString(out)
	return v, nil
}

// Namespace is the namespace this handle reads and writes.
func (s *Store) Namespace() (string, error) {
	return s.text(func(o **C.char) C.OakStatus { return C.oak_store_namespace(s.raw, o) })
}

// Backend is the backend's short name ("memory", "file", ...).
func (s *Store) Backend() (string, error) {
	return s.text(func(o **C.char) C.OakStatus { return C.oak_store_backend(s.raw, o) })
}
