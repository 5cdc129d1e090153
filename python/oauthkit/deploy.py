"""Deploy mode: the application serves the sign-in itself. :class:`Deploy`
answers ``/auth/login``, ``/auth/callback``, ``/auth/logout`` and
``/auth/status`` requests of any Python web framework (``OakDeploy``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str, take_str_array
from .errors import check
from .provider import Provider
from .store import Store

Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]]]


@dataclass
class DeployResponse:
    """One answer: status, headers in order (``Set-Cookie`` may repeat), body."""

    status: int
    headers: List[Tuple[str, str]]
    body: str

    def header(self, name: str) -> Optional[str]:
        """The first header named ``name`` (case-insensitive)."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Deploy(Handle):
    """Deploy-mode routes for an application at ``base_url`` signing in
    with ``provider`` and storing tokens in ``store``. One instance serves
    every thread of the web server.

    >>> with Provider.google("client") as g, Store("memory:") as s, Deploy(g, s, "https://app.example") as d:
    ...     (d.redirect_uri, d.handle("GET", "/auth/status").status)
    ('https://app.example/auth/callback', 200)
    """

    _kind = "OakDeploy"

    def __init__(
        self,
        provider: Provider,
        store: Store,
        base_url: str,
        *,
        after_login: Optional[str] = None,
        session_ttl: int = 0,
        cookie_key: Optional[bytes] = None,
        previous_cookie_keys: Sequence[bytes] = (),
        trust_forwarded_headers: bool = False,
    ) -> None:
        """With ``cookie_key`` (32 bytes, the same on every instance) the
        routes serve a deployment of several instances sharing ``store``
        (``oak_deploy_new_shared``): ``previous_cookie_keys`` still open
        login cookies during a key rotation, and ``trust_forwarded_headers``
        takes the public origin from the proxy's ``Forwarded`` /
        ``X-Forwarded-*`` headers (only behind a proxy that sets them)."""
        out = ffi.new("OakDeploy **")
        if cookie_key is None:
            if previous_cookie_keys or trust_forwarded_headers:
                raise ValueError("previous_cookie_keys and trust_forwarded_headers need a cookie_key")
            check(
                lib.oak_deploy_new(
                    provider._h, store._h, c_str(base_url, "base_url"), c_str(after_login, "after_login"), int(session_ttl), out
                )
            )
        else:
            keys = [bytes(cookie_key), *(bytes(k) for k in previous_cookie_keys)]
            if any(len(k) != 32 for k in keys):
                raise ValueError("cookie keys are 32 bytes each")
            current = ffi.new("uint8_t[]", keys[0])
            previous = ffi.new("uint8_t[]", b"".join(keys[1:])) if len(keys) > 1 else ffi.NULL
            check(
                lib.oak_deploy_new_shared(
                    provider._h,
                    store._h,
                    c_str(base_url, "base_url"),
                    c_str(after_login, "after_login"),
                    int(session_ttl),
                    current,
                    previous,
                    len(keys) - 1,
                    1 if trust_forwarded_headers else 0,
                    out,
                )
            )
        self._own(out[0], lib.oak_deploy_free)

    @property
    def redirect_uri(self) -> str:
        """The redirect URI to register at the provider."""
        out = ffi.new("char **")
        check(lib.oak_deploy_redirect_uri(self._h, out))
        return take_str(out) or ""

    def handle(
        self, method: str, path: str, query: Optional[str] = None, headers: Optional[Headers] = None, body: str = ""
    ) -> DeployResponse:
        """Answers one request; every outcome of the routes is an HTTP
        answer. ``path`` may carry ``?query`` when ``query`` is None."""
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        keep: List[Any] = []
        for i, (name, value) in enumerate(pairs):
            keep.append(c_str(name, f"header_names[{i}]"))
            keep.append(c_str(value, f"header_values[{i}]"))
        names = ffi.new("const char *[]", keep[0::2]) if pairs else ffi.NULL
        values = ffi.new("const char *[]", keep[1::2]) if pairs else ffi.NULL
        out = ffi.new("OakDeployResponse **")
        check(
            lib.oak_deploy_handle(
                self._h,
                c_str(method, "method"),
                c_str(path, "path"),
                c_str(query, "query"),
                names,
                values,
                len(pairs),
                c_str(body, "body"),
                out,
            )
        )
        resp = out[0]
        try:
            status = ffi.new("uint32_t *")
            check(lib.oak_deploy_response_status(resp, status))
            hn, hv, n = ffi.new("char ***"), ffi.new("char ***"), ffi.new("size_t *")
            check(lib.oak_deploy_response_headers(resp, hn, hv, n))
            count = ffi.new("size_t *", n[0])
            names_out, values_out = take_str_array(hn, n), take_str_array(hv, count)
            text = ffi.new("char **")
            check(lib.oak_deploy_response_body(resp, text))
            return DeployResponse(int(status[0]), list(zip(names_out, values_out)), take_str(text) or "")
        finally:
            lib.oak_deploy_response_free(resp)

    def session_key(self, cookie_header: str) -> Optional[str]:
        """The token-store key of the session the ``Cookie`` header carries."""
        out = ffi.new("char **")
        check(lib.oak_deploy_session_key(self._h, c_str(cookie_header, "cookie"), out))
        return take_str(out)
