"""Token sets: access token, refresh token, ID token, scopes, expiry."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str
from .claims import Claims
from .errors import check


class TokenSet(Handle):
    """A set of tokens (``OakTokenSet``).

    ``TokenSet("access-token")`` makes a bearer token set issued now;
    :meth:`from_json` reads oauthkit's JSON shape (what the stores keep).
    Properties read copies out of the library; setting ``refresh_token``,
    ``id_token``, ``scope``, ``resource_server`` or calling
    :meth:`set_expires_in` changes the set. ``repr()`` never shows tokens.

    >>> with TokenSet("at-1") as t:
    ...     t.scope = "openid email"
    ...     (t.access_token, t.scopes, t.has_scope("email"))
    ('at-1', ['openid', 'email'], True)
    """

    _kind = "OakTokenSet"

    def __init__(self, access_token: str) -> None:
        out = ffi.new("OakTokenSet **")
        check(lib.oak_token_set_new(c_str(access_token, "access_token"), out))
        self._own(out[0], lib.oak_token_set_free)

    @classmethod
    def _adopt(cls, ptr: Any) -> "TokenSet":
        self = cls.__new__(cls)
        self._own(ptr, lib.oak_token_set_free)
        return self

    @classmethod
    def from_json(cls, text: str) -> "TokenSet":
        """Parses oauthkit's JSON shape; malformed JSON raises ``CorruptError``."""
        out = ffi.new("OakTokenSet **")
        check(lib.oak_token_set_from_json(c_str(text, "json"), out))
        return cls._adopt(out[0])

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "TokenSet":
        """Like :meth:`from_json` for a dict."""
        return cls.from_json(json.dumps(data))

    def to_json(self) -> str:
        """The token set as oauthkit's JSON (holds the tokens)."""
        return self._str(lib.oak_token_set_to_json)  # type: ignore[return-value]

    def to_dict(self) -> Dict[str, Any]:
        """The token set as a dict of oauthkit's JSON shape."""
        return json.loads(self.to_json())  # type: ignore[no-any-return]

    def copy(self) -> "TokenSet":
        """An independent copy."""
        out = ffi.new("OakTokenSet **")
        check(lib.oak_token_set_clone(self._h, out))
        return TokenSet._adopt(out[0])

    def id_token_claims(self) -> Optional[Claims]:
        """The claims of the ID token (validated when it was received), or
        None without one."""
        out = ffi.new("OakClaims **")
        check(lib.oak_token_set_id_token_claims(self._h, out))
        return None if out[0] == ffi.NULL else Claims._adopt(out[0])

    def _str(self, fn: Any) -> Optional[str]:
        out = ffi.new("char **")
        check(fn(self._h, out))
        return take_str(out)

    @property
    def access_token(self) -> str:
        return self._str(lib.oak_token_set_access_token) or ""

    @property
    def refresh_token(self) -> Optional[str]:
        return self._str(lib.oak_token_set_refresh_token)

    @refresh_token.setter
    def refresh_token(self, value: Optional[str]) -> None:
        check(lib.oak_token_set_set_refresh_token(self._h, c_str(value, "refresh_token")))

    @property
    def id_token(self) -> Optional[str]:
        return self._str(lib.oak_token_set_id_token)

    @id_token.setter
    def id_token(self, value: Optional[str]) -> None:
        check(lib.oak_token_set_set_id_token(self._h, c_str(value, "id_token")))

    @property
    def token_type(self) -> str:
        return self._str(lib.oak_token_set_token_type) or ""

    @property
    def scope(self) -> str:
        """The granted scopes, space-separated (``""`` when none)."""
        return self._str(lib.oak_token_set_scope) or ""

    @scope.setter
    def scope(self, value: str) -> None:
        check(lib.oak_token_set_set_scope(self._h, c_str(value, "scope")))

    @property
    def scopes(self) -> List[str]:
        return self.scope.split()

    @property
    def resource_server(self) -> Optional[str]:
        return self._str(lib.oak_token_set_resource_server)

    @resource_server.setter
    def resource_server(self, value: Optional[str]) -> None:
        check(lib.oak_token_set_set_resource_server(self._h, c_str(value, "resource_server")))

    @property
    def identity_id(self) -> Optional[str]:
        """The identity (the ID token's ``sub``), or None."""
        return self._str(lib.oak_token_set_identity_id)

    @property
    def expires_at(self) -> Optional[int]:
        """The access token's expiry in Unix seconds, or None when unknown."""
        at = ffi.new("int64_t *")
        known = ffi.new("bool *")
        check(lib.oak_token_set_expires_at(self._h, at, known))
        return int(at[0]) if known[0] else None

    @property
    def issued_at(self) -> int:
        """When the tokens were received (Unix seconds)."""
        at = ffi.new("int64_t *")
        check(lib.oak_token_set_issued_at(self._h, at))
        return int(at[0])

    def set_expires_in(self, seconds: int) -> None:
        """Sets the expiry to ``seconds`` after the issue time (negative: already expired)."""
        check(lib.oak_token_set_set_expires_in(self._h, int(seconds)))

    def is_expired(self, leeway: int = 0) -> bool:
        """Whether the access token expires within ``leeway`` seconds (False when unknown)."""
        out = ffi.new("bool *")
        check(lib.oak_token_set_is_expired(self._h, int(leeway), out))
        return bool(out[0])

    def has_scope(self, scope: str) -> bool:
        out = ffi.new("bool *")
        check(lib.oak_token_set_has_scope(self._h, c_str(scope, "scope"), out))
        return bool(out[0])

    def __repr__(self) -> str:
        if self.closed:
            return "TokenSet(<closed>)"
        return f"TokenSet(token_type={self.token_type!r}, scope={self.scope!r}, expires_at={self.expires_at!r}, identity_id={self.identity_id!r})"
