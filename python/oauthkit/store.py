"""Token stores: memory, JSON file, SQLite, keyring, Redis, ..."""

from __future__ import annotations

from typing import Iterator, List, Optional

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str, take_str_array
from .errors import check
from .tokens import TokenSet


class Store(Handle):
    """A token store (``OakStore``) opened from a spec: ``memory:``,
    ``file:PATH``, ``sqlite:PATH``, ``keyring:SERVICE``, ``redis://...``,
    each optionally followed by ``?namespace=NAME``.

    >>> with Store("memory:") as store, TokenSet("at") as t:
    ...     store.save("alice", t)
    ...     ("alice" in store, store.keys(), store.load("bob"))
    (True, ['alice'], None)
    """

    _kind = "OakStore"

    def __init__(self, spec: str) -> None:
        out = ffi.new("OakStore **")
        check(lib.oak_store_open(c_str(spec, "spec"), out))
        self._own(out[0], lib.oak_store_free)

    @classmethod
    def default(cls) -> "Store":
        """The store ``$OAUTHKIT_STORE`` names, else this application's own
        encrypted default store (its key in the OS keyring). The application
        is named by ``$OAUTHKIT_APP``, else by the program's file name, which
        for every Python script is the interpreter's: set ``OAUTHKIT_APP``."""
        out = ffi.new("OakStore **")
        check(lib.oak_store_open_default(out))
        self = cls.__new__(cls)
        self._own(out[0], lib.oak_store_free)
        return self

    @classmethod
    def validating(
        cls,
        inner: "Store",
        *,
        not_expired: bool = False,
        leeway: int = 0,
        has_refresh_token: bool = False,
        unchanging_identity: bool = False,
        required_scopes: Optional[str] = None,
    ) -> "Store":
        """A store over ``inner`` that refuses token sets failing the
        chosen checks with ``ValidationError`` (nothing refused is saved or
        returned).

        >>> with Store("memory:") as inner, Store.validating(inner, required_scopes="openid") as s:
        ...     s.backend
        'memory'
        """
        checks = (
            (lib.OAK_VALIDATE_NOT_EXPIRED if not_expired else 0)
            | (lib.OAK_VALIDATE_HAS_REFRESH_TOKEN if has_refresh_token else 0)
            | (lib.OAK_VALIDATE_UNCHANGING_IDENTITY if unchanging_identity else 0)
        )
        out = ffi.new("OakStore **")
        check(lib.oak_store_validating(inner._h, checks, int(leeway), c_str(required_scopes, "required_scopes"), out))
        self = cls.__new__(cls)
        self._own(out[0], lib.oak_store_free)
        return self

    def save(self, key: str, tokens: TokenSet) -> None:
        """Saves (inserts or replaces) ``tokens`` under ``key``."""
        check(lib.oak_store_save(self._h, c_str(key, "key"), tokens._h))

    def load(self, key: str) -> Optional[TokenSet]:
        """The token set under ``key``, or None; unreadable data raises ``CorruptError``."""
        out = ffi.new("OakTokenSet **")
        check(lib.oak_store_load(self._h, c_str(key, "key"), out))
        return None if out[0] == ffi.NULL else TokenSet._adopt(out[0])

    def delete(self, key: str) -> bool:
        """Deletes ``key``'s tokens; whether there were any."""
        out = ffi.new("bool *")
        check(lib.oak_store_delete(self._h, c_str(key, "key"), out))
        return bool(out[0])

    def exists(self, key: str) -> bool:
        out = ffi.new("bool *")
        check(lib.oak_store_exists(self._h, c_str(key, "key"), out))
        return bool(out[0])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.exists(key)

    def keys(self) -> List[str]:
        """The keys of this namespace, sorted."""
        items = ffi.new("char ***")
        n = ffi.new("size_t *")
        check(lib.oak_store_list(self._h, items, n))
        return take_str_array(items, n)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def namespaces(self) -> List[str]:
        """Every namespace the underlying storage holds, sorted."""
        items = ffi.new("char ***")
        n = ffi.new("size_t *")
        check(lib.oak_store_namespaces(self._h, items, n))
        return take_str_array(items, n)

    @property
    def namespace(self) -> str:
        out = ffi.new("char **")
        check(lib.oak_store_namespace(self._h, out))
        return take_str(out) or ""

    @property
    def backend(self) -> str:
        """The backend's short name (``"memory"``, ``"file"``, ``"sqlite"``, ...)."""
        out = ffi.new("char **")
        check(lib.oak_store_backend(self._h, out))
        return take_str(out) or ""

    def __repr__(self) -> str:
        if self.closed:
            return "Store(<closed>)"
        return f"Store(backend={self.backend!r}, namespace={self.namespace!r})"
