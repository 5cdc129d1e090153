"""The development OpenID provider and a headless browser for it (tests,
demos; needs a library built with the ``dev-provider`` cargo feature)."""

from __future__ import annotations

import threading
from typing import List, Optional

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str
from .errors import OAuthKitError, check
from .provider import Provider


class DevProvider(Handle):
    """A development OpenID provider on ``127.0.0.1`` (``OakDevProvider``),
    stopped by :meth:`close`. With ``auto_approve`` its authorization
    endpoint approves at once, else its page waits for
    :class:`HeadlessBrowser` to press Approve or Deny.
    ``UnsupportedError`` when the library lacks the feature."""

    _kind = "OakDevProvider"

    def __init__(
        self,
        auto_approve: bool = True,
        access_token_ttl: int = 0,
        rotate_refresh_tokens: bool = False,
    ) -> None:
        out = ffi.new("OakDevProvider **")
        check(lib.oak_dev_provider_start(bool(auto_approve), int(access_token_ttl), bool(rotate_refresh_tokens), out))
        self._own(out[0], lib.oak_dev_provider_free)

    @property
    def issuer(self) -> str:
        out = ffi.new("char **")
        check(lib.oak_dev_provider_issuer(self._h, out))
        return take_str(out) or ""

    @property
    def client_id(self) -> str:
        out = ffi.new("char **")
        check(lib.oak_dev_provider_client_id(self._h, out))
        return take_str(out) or ""

    def provider(self, scopes: Optional[str] = "openid email profile offline_access") -> Provider:
        """An OpenID Connect :class:`Provider` for this server's client."""
        return Provider.oidc(self.issuer, self.client_id, None, scopes)

    def token_requests(self, grant_type: str) -> int:
        """How many token requests of ``grant_type`` it has answered."""
        out = ffi.new("uint64_t *")
        check(lib.oak_dev_provider_token_requests(self._h, c_str(grant_type, "grant_type"), out))
        return int(out[0])

    def is_token_active(self, token: str) -> bool:
        """Whether ``token`` was issued and is neither expired nor revoked."""
        out = ffi.new("bool *")
        check(lib.oak_dev_provider_is_token_active(self._h, c_str(token, "token"), out))
        return bool(out[0])


class HeadlessBrowser:
    """A stand-in for the user's browser, to pass as ``open_browser`` to
    :meth:`Flow.run`: on each URL it starts a thread that opens it on the
    development provider and presses Approve (or Deny with
    ``approve=False``). :meth:`join` waits for it and raises what it hit."""

    def __init__(self, approve: bool = True) -> None:
        self.approve = approve
        self.urls: List[str] = []
        self._threads: List[threading.Thread] = []
        self._errors: List[BaseException] = []

    def __call__(self, url: str) -> None:
        self.urls.append(url)
        t = threading.Thread(target=self._browse, args=(url,), daemon=True)
        self._threads.append(t)
        t.start()

    def _browse(self, url: str) -> None:
        try:
            fn = lib.oak_dev_browser_approve if self.approve else lib.oak_dev_browser_deny
            check(fn(c_str(url, "authorize_url")))
        except OAuthKitError as e:
            self._errors.append(e)

    def join(self, timeout: float = 30.0) -> None:
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()
        if self._errors:
            raise self._errors.pop(0)


def approve(authorize_url: str) -> None:
    """Opens ``authorize_url`` on the development provider and approves
    (blocks until the flow's callback answered)."""
    check(lib.oak_dev_browser_approve(c_str(authorize_url, "authorize_url")))


def deny(authorize_url: str) -> None:
    """Like :func:`approve` but presses Deny."""
    check(lib.oak_dev_browser_deny(c_str(authorize_url, "authorize_url")))
