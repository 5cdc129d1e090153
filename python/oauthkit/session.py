"""The session manager: fresh access tokens, single-flight refresh, logout."""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional, Tuple

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str
from .errors import check
from .provider import Provider
from .store import Store
from .tokens import TokenSet

#: Told of each refreshed token set: ``(key, tokens)``. ``tokens`` is a copy
#: the callback may keep. Runs on the thread whose call refreshed.
RefreshCallback = Callable[[str, TokenSet], None]


class Session(Handle):
    """Gives valid access tokens for keys of ``store``, refreshing through
    ``provider`` when they expire within a minute (``OakSession``). Safe to
    use from many threads. ``on_refresh`` is told of every refresh; an
    exception it raises is printed to stderr and otherwise ignored (the
    tokens are already saved)."""

    _kind = "OakSession"

    def __init__(self, provider: Provider, store: Store, on_refresh: Optional[RefreshCallback] = None) -> None:
        self._callback: Any = ffi.NULL
        if on_refresh is not None:
            user = on_refresh

            def trampoline(key: Any, tokens: Any, _user_data: Any) -> None:
                try:
                    out = ffi.new("OakTokenSet **")
                    check(lib.oak_token_set_clone(tokens, out))
                    user(ffi.string(key).decode("utf-8"), TokenSet._adopt(out[0]))
                except BaseException:  # noqa: BLE001 - must not unwind into C
                    sys.excepthook(*sys.exc_info())

            # Kept on the object: the C side calls it as long as the session lives.
            self._callback = ffi.callback("OakRefreshFn", trampoline)
        out = ffi.new("OakSession **")
        check(lib.oak_session_new(provider._h, store._h, self._callback, ffi.NULL, out))
        self._own(out[0], lib.oak_session_free)

    def access_token(self, key: str) -> str:
        """A valid access token of ``key``. ``NotFoundError`` when nothing is
        stored; ``InvalidGrantError`` when the user must sign in again."""
        out = ffi.new("char **")
        check(lib.oak_session_access_token(self._h, c_str(key, "key"), out))
        return take_str(out) or ""

    def tokens(self, key: str) -> TokenSet:
        """Like :meth:`access_token` for the whole token set."""
        out = ffi.new("OakTokenSet **")
        check(lib.oak_session_tokens(self._h, c_str(key, "key"), out))
        return TokenSet._adopt(out[0])

    def refresh(self, key: str) -> TokenSet:
        """Refreshes ``key``'s tokens now, whatever their expiry."""
        out = ffi.new("OakTokenSet **")
        check(lib.oak_session_refresh(self._h, c_str(key, "key"), out))
        return TokenSet._adopt(out[0])

    def logout(self, key: str) -> bool:
        """Revokes ``key``'s tokens (best effort) and deletes them; whether there were any."""
        out = ffi.new("bool *")
        check(lib.oak_session_logout(self._h, c_str(key, "key"), out))
        return bool(out[0])

    def client_credentials(
        self, scopes: Optional[str] = None, resource: Optional[str] = None, audience: Optional[str] = None
    ) -> Tuple[TokenSet, str]:
        """A client-credentials token set of the session's (confidential)
        provider and the store key it is cached under; renewed ahead of
        expiry, one grant per key at a time."""
        tokens = ffi.new("OakTokenSet **")
        key = ffi.new("char **")
        check(
            lib.oak_session_client_credentials(
                self._h, c_str(scopes, "scopes"), c_str(resource, "resource"), c_str(audience, "audience"), tokens, key
            )
        )
        return TokenSet._adopt(tokens[0]), take_str(key) or ""

    def dpop_headers(self, key: str, method: str, url: str) -> Tuple[str, str]:
        """For a DPoP-bound ``key``: the ``Authorization`` value
        (``DPoP <access token>``) and the ``DPoP`` proof for ``method`` on
        ``url``, refreshing first (with the same key) when the tokens
        expire within a minute. Send both, then pass the answer to
        :meth:`record_dpop_nonce`."""
        authorization = ffi.new("char **")
        dpop = ffi.new("char **")
        check(
            lib.oak_dpop_headers(
                self._h, c_str(key, "key"), c_str(method, "method"), c_str(url, "url"), authorization, dpop
            )
        )
        return take_str(authorization) or "", take_str(dpop) or ""

    def record_dpop_nonce(
        self,
        url: str,
        status: int,
        www_authenticate: Optional[str] = None,
        dpop_nonce: Optional[str] = None,
    ) -> bool:
        """Records a resource server's answer to a DPoP request (its
        ``DPoP-Nonce`` header is kept for the URL's origin); True when the
        request should be sent once more with new :meth:`dpop_headers`
        (a 401 asking for a nonce)."""
        if not 0 <= status <= 0xFFFF:
            raise ValueError(f"status {status} is not an HTTP status")
        out = ffi.new("bool *")
        check(
            lib.oak_dpop_record_nonce(
                self._h, c_str(url, "url"), status, c_str(www_authenticate, "www_authenticate"),
                c_str(dpop_nonce, "dpop_nonce"), out,
            )
        )
        return bool(out[0])
