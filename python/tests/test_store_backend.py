"""A token store implemented in Python (``store_from_backend``): the
store checks through the C ABI, a sign-in and a refresh through it under
its lock, failing and misbehaving backends, and that the backend is
released once the store is closed."""

from __future__ import annotations

import gc
import threading
from typing import Any, Dict, List, Optional, Tuple

import pytest

import oauthkit
from oauthkit import HeadlessBrowser, TokenSet
from oauthkit.backend import _alive


class DictBackend:
    def __init__(self) -> None:
        self.data: Dict[Tuple[str, str], str] = {}
        self.mutex = threading.Lock()
        self.fail: Optional[BaseException] = None
        self.junk: Optional[str] = None
        self.locks = 0
        self.unlocks = 0

    def save(self, namespace: str, key: str, json: str) -> None:
        if self.fail:
            raise self.fail
        with self.mutex:
            self.data[namespace, key] = json

    def load(self, namespace: str, key: str) -> Optional[str]:
        if self.fail:
            raise self.fail
        if self.junk is not None:
            return self.junk
        with self.mutex:
            return self.data.get((namespace, key))

    def delete(self, namespace: str, key: str) -> bool:
        with self.mutex:
            return self.data.pop((namespace, key), None) is not None

    def list(self, namespace: str) -> List[str]:
        with self.mutex:
            return [k for (n, k) in self.data if n == namespace]

    def namespaces(self) -> List[str]:
        with self.mutex:
            return sorted({n for (n, _) in self.data})

    def lock(self, namespace: str, key: str, timeout: float) -> None:
        assert timeout > 0
        self.locks += 1

    def unlock(self, namespace: str, key: str) -> None:
        self.unlocks += 1


def test_the_store_checks_through_the_c_abi() -> None:
    backend = DictBackend()
    with oauthkit.store_from_backend(backend, "app") as store, oauthkit.in_namespace(store, "other") as other:
        assert store.load("nobody") is None and not store.delete("nobody")
        for i, k in enumerate(["zeta", "alpha", "user:with/odd chars?"]):
            with TokenSet(f"at-{i}-é✓") as t:
                t.refresh_token = f"rt-{i}"
                store.save(k, t)
        assert store.keys() == ["alpha", "user:with/odd chars?", "zeta"]
        with store.load("alpha") as t:
            assert (t.access_token, t.refresh_token) == ("at-1-é✓", "rt-1")
        with TokenSet("other") as t:
            other.save("alpha", t)
        with store.load("alpha") as t:
            assert t.access_token == "at-1-é✓"
        assert store.namespaces() == ["app", "other"]
        assert store.delete("alpha") and "alpha" in other
        with TokenSet("x") as t, pytest.raises(oauthkit.InvalidArgumentError):
            store.save("", t)
        assert store.backend == "callback" and store.namespace == "app"


def test_failing_and_misbehaving_backends() -> None:
    backend = DictBackend()
    with oauthkit.store_from_backend(backend) as store, TokenSet("at") as t:
        store.save("k", t)
        backend.fail = oauthkit.UnavailableError("down", 6)
        with pytest.raises(oauthkit.UnavailableError):
            store.save("k", t)
        backend.fail = RuntimeError("plain")
        with pytest.raises(oauthkit.StorageError):
            store.load("k")
        backend.fail = None
        backend.junk = '{"access_token": "py-secret"'
        with pytest.raises(oauthkit.StorageError) as e:
            store.load("k")
        assert "not a token set" in str(e.value) and "py-secret" not in str(e.value)
        backend.junk = "nul\0inside"
        with pytest.raises(oauthkit.StorageError):
            store.load("k")


def test_the_backend_is_released_when_the_store_is_closed() -> None:
    backend = DictBackend()
    before = len(_alive)
    store = oauthkit.store_from_backend(backend)
    other = oauthkit.in_namespace(store, "two")
    # the same backend may serve a second, independent store
    second = oauthkit.store_from_backend(backend, "second")
    assert len(_alive) == before + 2
    store.close()
    assert len(_alive) == before + 2  # the other handle still uses it
    other.close()
    gc.collect()
    assert len(_alive) == before + 1
    with TokenSet("at") as t:
        second.save("k", t)  # still works after the first store's release
    assert ("second", "k") in backend.data
    second.close()
    gc.collect()
    assert len(_alive) == before
    with oauthkit.Store("memory:") as memory, pytest.raises(oauthkit.UnsupportedError):
        oauthkit.in_namespace(memory, "x")


def test_sign_in_and_refresh_through_a_python_store(dev: oauthkit.DevProvider) -> None:
    backend = DictBackend()
    with dev.provider() as provider, oauthkit.store_from_backend(backend, "app") as store:
        with oauthkit.Flow(provider, store, timeout=30) as flow:
            browser = HeadlessBrowser()
            result = flow.run(browser)
            browser.join()
        assert ("app", "dev-user-1") in backend.data
        with result.tokens:
            result.tokens.set_expires_in(-10)
            store.save("dev-user-1", result.tokens)
            with oauthkit.Session(provider, store) as session:
                assert session.access_token("dev-user-1") != result.tokens.access_token
        assert dev.token_requests("refresh_token") == 1
        assert backend.locks >= 1 and backend.locks == backend.unlocks
