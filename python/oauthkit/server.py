"""Server-side stores for an application that is itself an OAuth 2.0
authorization server: registered clients, single-use authorization codes,
issued access tokens (``OakServerStore``). Records are dicts in the JSON
shape of ``oauthkit::server`` (python-oauth2's ``oauth2.store``)."""

from __future__ import annotations

import json
from typing import Any, Dict

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str
from .errors import check


class ServerStore(Handle):
    """Clients, codes and tokens in ``memory:``, ``sqlite:PATH`` or
    ``redis://...``. Unknown or expired records raise ``NotFoundError``.

    >>> with ServerStore("memory:") as s:
    ...     s.save_client({"identifier": "app", "secret": "x", "redirect_uris": []})
    ...     s.fetch_client("app")["identifier"]
    'app'
    """

    _kind = "OakServerStore"

    def __init__(self, spec: str) -> None:
        out = ffi.new("OakServerStore **")
        check(lib.oak_server_store_open(c_str(spec, "spec"), out))
        self._own(out[0], lib.oak_server_store_free)

    def _fetch(self, fn: Any, arg: str, name: str) -> Dict[str, Any]:
        out = ffi.new("char **")
        check(fn(self._h, c_str(arg, name), out))
        value: Dict[str, Any] = json.loads(take_str(out) or "null")
        return value

    def save_client(self, client: Dict[str, Any]) -> None:
        check(lib.oak_server_store_save_client(self._h, c_str(json.dumps(client), "client_json")))

    def fetch_client(self, client_id: str) -> Dict[str, Any]:
        return self._fetch(lib.oak_server_store_fetch_client, client_id, "client_id")

    def delete_client(self, client_id: str) -> bool:
        out = ffi.new("bool *")
        check(lib.oak_server_store_delete_client(self._h, c_str(client_id, "client_id"), out))
        return bool(out[0])

    def save_code(self, code: Dict[str, Any]) -> None:
        check(lib.oak_server_store_save_code(self._h, c_str(json.dumps(code), "code_json")))

    def take_code(self, code: str) -> Dict[str, Any]:
        """Fetches and deletes ``code`` (single use)."""
        return self._fetch(lib.oak_server_store_take_code, code, "code")

    def save_token(self, token: Dict[str, Any]) -> None:
        check(lib.oak_server_store_save_token(self._h, c_str(json.dumps(token), "token_json")))

    def fetch_token(self, token: str) -> Dict[str, Any]:
        return self._fetch(lib.oak_server_store_fetch_token, token, "token")

    def fetch_by_refresh_token(self, refresh_token: str) -> Dict[str, Any]:
        return self._fetch(lib.oak_server_store_fetch_by_refresh_token, refresh_token, "refresh_token")

    def delete_refresh_token(self, refresh_token: str) -> bool:
        out = ffi.new("bool *")
        check(lib.oak_server_store_delete_refresh_token(self._h, c_str(refresh_token, "refresh_token"), out))
        return bool(out[0])
