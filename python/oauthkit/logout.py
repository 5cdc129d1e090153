"""Signing out everywhere: revoke and delete the stored tokens, then end
the user's session at the provider (RP-initiated logout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from ._ffi import ffi, lib
from ._util import c_str, take_str
from .errors import check
from .provider import Provider
from .store import Store


@dataclass(frozen=True)
class LogoutResult:
    """What a sign-out did (``OakLogoutResult``)."""

    tokens_revoked: bool
    tokens_deleted: bool
    #: The provider redirected back with the right state (``logout`` only).
    provider_session_ended: bool


def _result(out: Any) -> LogoutResult:
    return LogoutResult(
        tokens_revoked=bool(out.tokens_revoked),
        tokens_deleted=bool(out.tokens_deleted),
        provider_session_ended=bool(out.provider_session_ended),
    )


def logout(
    provider: Provider,
    store: Store,
    key: str,
    *,
    timeout: int = 0,
    open_url: Optional[Callable[[str], None]] = None,
) -> LogoutResult:
    """Revokes and deletes ``key``'s tokens, then opens the provider's
    end-session URL (``open_url``, None: the system browser) and waits up to
    ``timeout`` seconds (0: 120) for its redirect. A timeout or a provider
    without an end-session endpoint is not an error."""
    raised: List[BaseException] = []
    callback: Any = ffi.NULL
    if open_url is not None:
        user = open_url

        def trampoline(url: Any, _user_data: Any) -> int:
            try:
                user(ffi.string(url).decode("utf-8"))
                return 0
            except BaseException as e:  # noqa: BLE001 - must not unwind into C
                raised.append(e)
                return 1

        callback = ffi.callback("OakOpenBrowserFn", trampoline)
    out = ffi.new("OakLogoutResult *")
    status = lib.oak_logout(provider._h, store._h, c_str(key, "key"), int(timeout), callback, ffi.NULL, out)
    try:
        check(status)
    except BaseException as e:
        if raised:
            raise e from raised[0]
        raise
    return _result(out)


def logout_url(
    provider: Provider, store: Store, key: str, post_logout_redirect_uri: Optional[str] = None
) -> Tuple[Optional[str], LogoutResult]:
    """Revokes and deletes ``key``'s tokens and gives the provider's
    end-session URL (None when it has none) for programs that navigate
    themselves."""
    url = ffi.new("char **")
    out = ffi.new("OakLogoutResult *")
    check(
        lib.oak_logout_url(
            provider._h,
            store._h,
            c_str(key, "key"),
            c_str(post_logout_redirect_uri, "post_logout_redirect_uri"),
            url,
            out,
        )
    )
    return take_str(url), _result(out)
