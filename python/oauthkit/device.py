"""The device authorization grant (RFC 8628): the user signs in on another
device with a short code while :meth:`DeviceFlow.run` polls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str
from .errors import check
from .provider import Provider
from .store import Store
from .tokens import TokenSet


@dataclass(frozen=True)
class DeviceCode:
    """What to show the user: where to go and which code to enter."""

    user_code: str
    verification_uri: str
    #: The URI with the code filled in, when the provider gives one.
    verification_uri_complete: Optional[str]
    #: Seconds the code stays valid.
    expires_in: int


#: Shows the code (prints it, draws a QR code...) and returns promptly;
#: raising ends the run with ``AuthenticationError``.
DevicePrompt = Callable[[DeviceCode], None]


@dataclass
class DeviceSignIn:
    """What a successful :meth:`DeviceFlow.run` gives."""

    tokens: TokenSet
    #: The key the tokens were stored under.
    key: Optional[str]


class DeviceFlow(Handle):
    """A device sign-in against ``provider`` saving to ``store`` (or
    nowhere) (``OakDeviceFlow``). :meth:`run` blocks (the GIL is
    released); :meth:`cancel` may be called from any other thread.

    >>> with Provider.github("client-id") as github, DeviceFlow(github, timeout=60) as flow:
    ...     flow.closed
    False
    """

    _kind = "OakDeviceFlow"

    def __init__(
        self,
        provider: Provider,
        store: Optional[Store] = None,
        *,
        timeout: Optional[int] = None,
        scopes: Optional[str] = None,
        params: Optional[Mapping[str, str]] = None,
        token_key: Optional[str] = None,
    ) -> None:
        out = ffi.new("OakDeviceFlow **")
        check(lib.oak_device_flow_new(provider._h, ffi.NULL if store is None else store._h, out))
        self._own(out[0], lib.oak_device_flow_free)
        try:
            if timeout is not None:
                check(lib.oak_device_flow_set_timeout(self._h, int(timeout)))
            if scopes is not None:
                check(lib.oak_device_flow_set_scopes(self._h, c_str(scopes, "scopes")))
            for name, value in (params or {}).items():
                check(lib.oak_device_flow_add_param(self._h, c_str(name, "name"), c_str(value, "value")))
            if token_key is not None:
                check(lib.oak_device_flow_set_token_key(self._h, c_str(token_key, "token_key")))
        except BaseException:
            self.close()
            raise

    def run(self, prompt: Optional[DevicePrompt] = None) -> DeviceSignIn:
        """Runs the grant until the user signed in; raises ``OAuthError``
        (``access_denied``, ``expired_token``), ``SignInTimeoutError``,
        ``CancelledError`` or ``UnsupportedError`` (no device endpoint).
        ``prompt`` shows the code (None: printed with a QR code on stderr)."""
        raised: List[BaseException] = []
        callback: Any = ffi.NULL
        if prompt is not None:
            user = prompt

            def trampoline(code: Any, uri: Any, complete: Any, expires_in: int, _user_data: Any) -> int:
                try:
                    user(
                        DeviceCode(
                            user_code=ffi.string(code).decode("utf-8"),
                            verification_uri=ffi.string(uri).decode("utf-8"),
                            verification_uri_complete=None
                            if complete == ffi.NULL
                            else ffi.string(complete).decode("utf-8"),
                            expires_in=int(expires_in),
                        )
                    )
                    return 0
                except BaseException as e:  # noqa: BLE001 - must not unwind into C
                    raised.append(e)
                    return 1

            callback = ffi.callback("OakDevicePromptFn", trampoline)
        tokens = ffi.new("OakTokenSet **")
        key = ffi.new("char **")
        status = lib.oak_device_flow_run(self._h, callback, ffi.NULL, tokens, key)
        try:
            check(status)
        except BaseException as e:
            if raised:
                raise e from raised[0]
            raise
        return DeviceSignIn(tokens=TokenSet._adopt(tokens[0]), key=take_str(key))

    def cancel(self) -> None:
        """Cancels the running grant (it raises ``CancelledError``). Any thread."""
        check(lib.oak_device_flow_cancel(self._h))
