"""A token store implemented in Python (``oak_store_from_callbacks``):
any object with ``save``, ``load``, ``delete`` and ``list`` (and
optionally ``namespaces``, ``lock``/``unlock``) becomes a :class:`Store`
that flows and sessions use like any other."""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Protocol

from ._ffi import ffi, lib
from ._util import c_str
from .errors import OAuthKitError, check
from .store import Store

_STORAGE = 2


class StoreBackend(Protocol):
    """Storage for token sets' JSON by namespace and key. Called from any
    thread (also threads the library starts), concurrently: guard shared
    state with a lock. Raise an :class:`OAuthKitError` subclass to choose
    the status the store call fails with (e.g. ``UnavailableError``); any
    other exception is a ``StorageError``. Optional methods:
    ``namespaces() -> list[str]``, ``lock(namespace, key, timeout_seconds)``
    (raise ``LockTimeoutError`` when the wait runs out) with
    ``unlock(namespace, key)``."""

    def save(self, namespace: str, key: str, json: str) -> None: ...

    def load(self, namespace: str, key: str) -> Optional[str]: ...

    def delete(self, namespace: str, key: str) -> bool: ...

    def list(self, namespace: str) -> List[str]: ...


class _Ctx:
    """One store_from_backend call: what user_data points to."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend


# contexts (and their cffi handles) the C side still uses, by id, until its
# destroy callback runs; one per store_from_backend call, so one backend
# may serve several stores
_alive: Dict[int, Any] = {}
_alive_lock = threading.Lock()


def _backend(ud: Any) -> Any:
    return ffi.from_handle(ud).backend


def _status(e: BaseException) -> int:
    if isinstance(e, OAuthKitError) and e.status:
        return int(e.status)
    return _STORAGE


def _guard(fn: Callable[[], int]) -> int:
    try:
        return fn()
    except BaseException as e:  # noqa: BLE001 - must not unwind into C
        return _status(e)


def _text(p: Any) -> str:
    return str(ffi.string(p).decode("utf-8"))


def _reply(reply: Any, values: List[str]) -> int:
    for v in values:
        if not isinstance(v, str) or "\0" in v:
            return _STORAGE
        st = lib.oak_store_reply_add(reply, ffi.new("char[]", v.encode("utf-8")))
        if st != 0:
            return int(st)
    return 0


def _save(ud: Any, ns: Any, key: Any, json: Any) -> int:
    b = _backend(ud)
    return _guard(lambda: b.save(_text(ns), _text(key), _text(json)) or 0)


def _load(ud: Any, ns: Any, key: Any, reply: Any) -> int:
    b = _backend(ud)

    def run() -> int:
        value = b.load(_text(ns), _text(key))
        return 0 if value is None else _reply(reply, [value])

    return _guard(run)


def _delete(ud: Any, ns: Any, key: Any, deleted: Any) -> int:
    b = _backend(ud)

    def run() -> int:
        deleted[0] = bool(b.delete(_text(ns), _text(key)))
        return 0

    return _guard(run)


def _list(ud: Any, ns: Any, reply: Any) -> int:
    b = _backend(ud)
    return _guard(lambda: _reply(reply, list(b.list(_text(ns)))))


def _namespaces(ud: Any, reply: Any) -> int:
    b = _backend(ud)
    return _guard(lambda: _reply(reply, list(b.namespaces())))


def _lock(ud: Any, ns: Any, key: Any, timeout_ms: int) -> int:
    b = _backend(ud)
    return _guard(lambda: b.lock(_text(ns), _text(key), timeout_ms / 1000.0) or 0)


def _unlock(ud: Any, ns: Any, key: Any) -> None:
    b = _backend(ud)
    try:
        b.unlock(_text(ns), _text(key))
    except BaseException:  # noqa: BLE001 - must not unwind into C
        sys.excepthook(*sys.exc_info())


def _destroy(ud: Any) -> None:
    with _alive_lock:
        _alive.pop(id(ffi.from_handle(ud)), None)


# The C-callable trampolines, made once (cffi keeps them alive with the module).
_C_SAVE = ffi.callback("OakStoreSaveFn", _save)
_C_LOAD = ffi.callback("OakStoreLoadFn", _load)
_C_DELETE = ffi.callback("OakStoreDeleteFn", _delete)
_C_LIST = ffi.callback("OakStoreListFn", _list)
_C_NAMESPACES = ffi.callback("OakStoreNamespacesFn", _namespaces)
_C_LOCK = ffi.callback("OakStoreLockFn", _lock)
_C_UNLOCK = ffi.callback("OakStoreUnlockFn", _unlock)
_C_DESTROY = ffi.callback("OakStoreDestroyFn", _destroy)


def store_from_backend(backend: StoreBackend, namespace: Optional[str] = None) -> Store:
    """A :class:`Store` whose storage is ``backend``, bound to
    ``namespace`` (None: ``DEFAULT``). Keys and namespaces are checked
    before the backend sees them; a value it returns that is not a token
    set fails the call with ``StorageError``.

    >>> class Dict_:
    ...     def __init__(self): self.d = {}
    ...     def save(self, ns, k, j): self.d[ns, k] = j
    ...     def load(self, ns, k): return self.d.get((ns, k))
    ...     def delete(self, ns, k): return self.d.pop((ns, k), None) is not None
    ...     def list(self, ns): return [k for (n, k) in self.d if n == ns]
    >>> from oauthkit import TokenSet
    >>> with store_from_backend(Dict_()) as s, TokenSet("at") as t:
    ...     s.save("alice", t)
    ...     (s.keys(), s.backend)
    (['alice'], 'callback')
    """
    ctx = _Ctx(backend)
    handle = ffi.new_handle(ctx)
    with_ns = callable(getattr(backend, "namespaces", None))
    with_lock = callable(getattr(backend, "lock", None)) and callable(getattr(backend, "unlock", None))
    cb = ffi.new(
        "OakStoreCallbacks *",
        {
            "user_data": handle,
            "save": _C_SAVE,
            "load": _C_LOAD,
            "remove": _C_DELETE,
            "list": _C_LIST,
            "namespaces": _C_NAMESPACES if with_ns else ffi.NULL,
            "lock": _C_LOCK if with_lock else ffi.NULL,
            "unlock": _C_UNLOCK if with_lock else ffi.NULL,
            "destroy": _C_DESTROY,
        },
    )
    with _alive_lock:
        _alive[id(ctx)] = (ctx, handle)
    out = ffi.new("OakStore **")
    try:
        check(lib.oak_store_from_callbacks(cb, c_str(namespace, "namespace"), out))
    except BaseException:
        with _alive_lock:
            _alive.pop(id(ctx), None)  # refused: destroy does not run
        raise
    self = Store.__new__(Store)
    self._own(out[0], lib.oak_store_free)
    return self


def in_namespace(store: Store, namespace: str) -> Store:
    """Another namespace of a store made by :func:`store_from_backend`."""
    out = ffi.new("OakStore **")
    check(lib.oak_store_callbacks_in_namespace(store._h, c_str(namespace, "namespace"), out))
    other = Store.__new__(Store)
    other._own(out[0], lib.oak_store_free)
    return other
