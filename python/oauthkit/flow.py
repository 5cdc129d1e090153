"""The native loopback sign-in (RFC 8252, PKCE S256)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str
from .claims import Claims
from .errors import check
from .provider import Provider
from .session import Session
from .store import Store
from .tokens import TokenSet

#: Shows the authorization URL (opens a browser or a window) and returns
#: promptly; raising ends the run with ``AuthenticationError``.
OpenBrowser = Callable[[str], None]


class FlowState(enum.IntEnum):
    """Where a sign-in is (the header's ``OakFlowState``)."""

    IDLE = 0
    WAITING_FOR_CALLBACK = 1
    EXCHANGING = 2
    COMPLETED = 3
    FAILED = 4
    CANCELLED = 5
    TIMED_OUT = 6


@dataclass
class SignIn:
    """What a successful :meth:`Flow.run` gives."""

    tokens: TokenSet
    #: The key the tokens were stored under (the identity's ``sub`` unless
    #: the flow was given a ``token_key``), or None.
    key: Optional[str]
    #: The userinfo claims, or None when there were none.
    user_info: Optional[Dict[str, Any]] = field(default=None)

    def user_claims(self) -> Optional[Claims]:
        """The userinfo claims, typed (None when there were none)."""
        return None if self.user_info is None else Claims.from_json(json.dumps(self.user_info))

    @property
    def display_name(self) -> Optional[str]:
        """Who signed in, to show: the userinfo's display name, else the ID
        token's, else the key."""
        for claims in (self.user_claims(), self.tokens.id_token_claims()):
            if claims is not None:
                with claims:
                    name = claims.display_name
                if name:
                    return name
        return self.key


class Flow(Handle):
    """Signs users in with ``provider`` through the system browser (or
    ``open_browser``) and a loopback redirect, saving the tokens to
    ``store`` (or ``session``'s store, or nowhere) (``OakFlow``).

    Configure it in the constructor; :meth:`run` blocks the calling thread
    (the GIL is released), and :meth:`cancel` may be called from any other
    thread.
    """

    _kind = "OakFlow"

    def __init__(
        self,
        provider: Provider,
        store: Optional[Store] = None,
        session: Optional[Session] = None,
        *,
        timeout: Optional[int] = None,
        token_key: Optional[str] = None,
        params: Optional[Mapping[str, str]] = None,
        userinfo: bool = True,
        localhost: bool = False,
        ports: Tuple[int, int] = (0, 0),
        callback_path: Optional[str] = None,
        paste_fd: Optional[int] = None,
    ) -> None:
        """``localhost``, ``ports`` (``(0, 0)`` any free port, ``(n, n)``
        exactly n, ``(n, m)`` the first free one of the range) and
        ``callback_path`` set the loopback redirect; ``paste_fd`` turns on
        paste mode: the user may paste the final redirect URL as a line on
        that file descriptor (0: standard input)."""
        out = ffi.new("OakFlow **")
        check(
            lib.oak_flow_new(
                provider._h,
                ffi.NULL if store is None else store._h,
                ffi.NULL if session is None else session._h,
                out,
            )
        )
        self._own(out[0], lib.oak_flow_free)
        try:
            if timeout is not None:
                check(lib.oak_flow_set_timeout(self._h, int(timeout)))
            if token_key is not None:
                check(lib.oak_flow_set_token_key(self._h, c_str(token_key, "token_key")))
            for name, value in (params or {}).items():
                check(lib.oak_flow_add_param(self._h, c_str(name, "name"), c_str(value, "value")))
            check(lib.oak_flow_set_userinfo(self._h, bool(userinfo)))
            if localhost or ports != (0, 0) or callback_path is not None:
                first, last = ports
                check(lib.oak_flow_set_callback(self._h, bool(localhost), int(first), int(last), c_str(callback_path, "path")))
            if paste_fd is not None:
                check(lib.oak_flow_set_paste_fd(self._h, int(paste_fd)))
        except BaseException:
            self.close()
            raise

    def run(self, open_browser: Optional[OpenBrowser] = None) -> SignIn:
        """Runs the sign-in and blocks until it succeeds or raises
        ``SignInTimeoutError``, ``CancelledError``, ``OAuthError`` or
        ``AuthenticationError``. ``open_browser(url)`` shows the URL (None:
        the system browser)."""
        raised: list[BaseException] = []
        callback: Any = ffi.NULL
        if open_browser is not None:
            user = open_browser

            def trampoline(url: Any, _user_data: Any) -> int:
                try:
                    user(ffi.string(url).decode("utf-8"))
                    return 0
                except BaseException as e:  # noqa: BLE001 - must not unwind into C
                    raised.append(e)
                    return 1

            callback = ffi.callback("OakOpenBrowserFn", trampoline)
        tokens = ffi.new("OakTokenSet **")
        key = ffi.new("char **")
        info = ffi.new("char **")
        status = lib.oak_flow_run_native(self._h, callback, ffi.NULL, tokens, key, info)
        try:
            check(status)
        except BaseException as e:
            if raised:
                raise e from raised[0]
            raise
        user_info = take_str(info)
        return SignIn(
            tokens=TokenSet._adopt(tokens[0]),
            key=take_str(key),
            user_info=None if user_info is None else json.loads(user_info),
        )

    def cancel(self) -> None:
        """Cancels the running sign-in (it raises ``CancelledError`` within
        about 20 ms); a no-op when none runs. Any thread."""
        check(lib.oak_flow_cancel(self._h))

    @property
    def state(self) -> FlowState:
        """Where the current or last sign-in is. Any thread."""
        out = ffi.new("OakFlowState *")
        check(lib.oak_flow_state(self._h, out))
        return FlowState(int(out[0]))
