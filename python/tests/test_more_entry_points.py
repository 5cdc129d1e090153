"""The wrappers of the device grant, client credentials, logout, providers
from settings and OAuth 2.0, the validating store, background refresh,
callback options and paste mode, and deploy mode — against the
development provider or a fake device-grant server in this process."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import oauthkit
from oauthkit import Deploy, HeadlessBrowser, Provider, Store


def location_of(url: str) -> str:
    """GETs a loopback http URL without following its redirect."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=10)
    conn.request("GET", u.path + ("?" + u.query if u.query else ""))
    resp = conn.getresponse()
    location = resp.getheader("Location")
    conn.close()
    assert location, f"no redirect from {url}: {resp.status}"
    return location


class FakeDeviceIdp(BaseHTTPRequestHandler):
    """Discovery, a device endpoint and a token endpoint that grants on the
    first poll."""

    polls: List[Dict[str, str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, body: Dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/.well-known/openid-configuration":
            self._json(
                200,
                {
                    "issuer": base,
                    "authorization_endpoint": base + "/authorize",
                    "token_endpoint": base + "/token",
                    "device_authorization_endpoint": base + "/device",
                    "jwks_uri": base + "/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        if self.path == "/device":
            self._json(
                200,
                {
                    "device_code": "dc-1",
                    "user_code": "WDJB-MJHT",
                    "verification_uri": "http://127.0.0.1/activate",
                    "verification_uri_complete": "http://127.0.0.1/activate?code=WDJB-MJHT",
                    "expires_in": 60,
                    "interval": 1,
                },
            )
        elif self.path == "/token":
            FakeDeviceIdp.polls.append(form)
            self._json(200, {"access_token": "device-at", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "device-rt"})
        else:
            self._json(404, {"error": "not_found"})


@pytest.fixture
def device_idp() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDeviceIdp)
    FakeDeviceIdp.polls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_device_grant_shows_the_code_and_stores_the_tokens(device_idp: str) -> None:
    shown: List[oauthkit.DeviceCode] = []
    with oauthkit.Provider.oidc(device_idp, "tv-app", scopes="profile") as provider, oauthkit.Store("memory:") as store:
        with oauthkit.DeviceFlow(provider, store, timeout=30, token_key="tv", params={"audience": "api"}) as flow:
            result = flow.run(shown.append)
        with result.tokens:
            assert result.key == "tv" and result.tokens.access_token == "device-at"
        assert "tv" in store
    assert shown == [
        oauthkit.DeviceCode("WDJB-MJHT", "http://127.0.0.1/activate", "http://127.0.0.1/activate?code=WDJB-MJHT", 60)
    ]
    assert FakeDeviceIdp.polls[0]["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"


def test_device_grant_prompt_that_raises_and_missing_endpoint(device_idp: str, dev: oauthkit.DevProvider) -> None:
    def broken(_: oauthkit.DeviceCode) -> None:
        raise RuntimeError("no screen")

    with oauthkit.Provider.oidc(device_idp, "tv-app") as provider, oauthkit.DeviceFlow(provider) as flow:
        with pytest.raises(oauthkit.AuthenticationError) as e:
            flow.run(broken)
        assert isinstance(e.value.__cause__, RuntimeError)
    with dev.provider() as provider, oauthkit.DeviceFlow(provider, timeout=5) as flow:
        with pytest.raises(oauthkit.UnsupportedError):
            flow.run(lambda _: None)
        flow.cancel()  # nothing runs: a no-op
    with pytest.raises(oauthkit.InvalidArgumentError):
        with dev.provider() as provider:
            oauthkit.DeviceFlow(provider, timeout=0)


def test_client_credentials_needs_a_confidential_client(signed_in: Any) -> None:
    _, provider, store, _ = signed_in
    with oauthkit.Session(provider, store) as session:
        with pytest.raises(oauthkit.InvalidArgumentError):
            session.client_credentials(scopes="api")


def test_logout_url_revokes_and_deletes(signed_in: Any) -> None:
    dev, provider, store, result = signed_in
    url, outcome = oauthkit.logout_url(provider, store, "dev-user-1", "http://127.0.0.1:1/bye")
    assert outcome.tokens_deleted and outcome.tokens_revoked and not outcome.provider_session_ended
    assert "dev-user-1" not in store
    assert not dev.is_token_active(result.tokens.refresh_token)
    assert url is None or "post_logout_redirect_uri=" in url


def test_logout_opens_the_end_session_url(signed_in: Any) -> None:
    _, provider, store, _ = signed_in
    opened: List[str] = []
    outcome = oauthkit.logout(provider, store, "dev-user-1", timeout=1, open_url=opened.append)
    assert outcome.tokens_deleted and outcome.tokens_revoked
    assert "dev-user-1" not in store
    # nobody follows the end-session URL here, so the provider session is not reported ended
    assert not outcome.provider_session_ended
    assert len(opened) <= 1


def test_providers_from_settings_and_oauth2(tmp_path: Path) -> None:
    settings = {
        "OAUTHKIT_PROVIDER": "custom",
        "OAUTHKIT_CLIENT_ID": "client",
        "OAUTHKIT_AUTHORIZE_URL": "https://a.example/authorize",
        "OAUTHKIT_TOKEN_URL": "https://a.example/token",
        "OAUTHKIT_READ_TIMEOUT": "5",
        "OAUTHKIT_CLIENT_SECRET": None,
    }
    with oauthkit.Provider.from_settings(settings) as p:
        assert p.name == "custom"
    with pytest.raises(oauthkit.InvalidArgumentError, match="OAUTHKIT_NOPE"):
        oauthkit.Provider.from_settings({**settings, "OAUTHKIT_NOPE": "x"})
    with pytest.raises(oauthkit.InvalidArgumentError, match="OAUTHKIT_READ_TIMEOUT"):
        oauthkit.Provider.from_settings({**settings, "OAUTHKIT_READ_TIMEOUT": "forever"})
    with pytest.raises(oauthkit.IoError):
        oauthkit.Provider.from_settings({**settings, "OAUTHKIT_CA_FILE": str(tmp_path / "missing.pem")})
    with oauthkit.Provider.oauth2("https://a.example/a", "https://a.example/t", "client", revocation_url="https://a.example/r") as p:
        assert p.name == "custom"
    with pytest.raises(oauthkit.InvalidArgumentError, match="https"):
        oauthkit.Provider.oauth2("http://a.example/a", "https://a.example/t", "client")


def test_a_validating_store_refuses_expired_and_scopeless_sets() -> None:
    with oauthkit.Store("memory:") as inner:
        with oauthkit.TokenSet.from_json('{"access_token":"py-secret","expires_at":1,"issued_at":0}') as old:
            inner.save("old", old)
        with oauthkit.Store.validating(inner, not_expired=True, required_scopes="openid") as store:
            with pytest.raises(oauthkit.ValidationError) as e:
                store.load("old")
            assert "not_expired" in str(e.value) and "py-secret" not in str(e.value)
            with oauthkit.TokenSet("at") as t:
                with pytest.raises(oauthkit.ValidationError, match="openid"):
                    store.save("new", t)
                t.scope = "openid"
                store.save("new", t)
            assert "new" in inner


def test_background_refresh_renews_an_expired_key(signed_in: Any) -> None:
    dev, provider, store, result = signed_in
    result.tokens.set_expires_in(-10)
    store.save("dev-user-1", result.tokens)
    with oauthkit.Session(provider, store) as session:
        with pytest.raises(oauthkit.InvalidArgumentError, match="keys\\[0\\]"):
            oauthkit.BackgroundRefresh(session, ["bad\nkey"], every=1)
        with oauthkit.BackgroundRefresh(session, ["dev-user-1"], every=1) as bg:
            deadline = time.monotonic() + 20
            while dev.token_requests("refresh_token") == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert dev.token_requests("refresh_token") == 1
            assert bg.errors() == {}


def test_paste_mode_on_a_fixed_localhost_port_and_path(dev: oauthkit.DevProvider) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    read_fd, write_fd = os.pipe()
    pasted: List[str] = []

    def paste(url: str) -> None:
        def work() -> None:
            redirect = location_of(url)
            pasted.append(redirect)
            os.write(write_fd, b"junk\n" + redirect.encode() + b"\n")

        threading.Thread(target=work, daemon=True).start()

    try:
        with dev.provider() as provider, oauthkit.Flow(
            provider, timeout=30, localhost=True, ports=(port, port), callback_path="done", paste_fd=read_fd
        ) as flow:
            os.close(read_fd)
            result = flow.run(paste)
            with result.tokens:
                assert result.key == "dev-user-1"
        assert pasted[0].startswith(f"http://localhost:{port}/done?")
        with dev.provider() as provider:
            with pytest.raises(oauthkit.InvalidArgumentError, match="path"):
                oauthkit.Flow(provider, callback_path="/a b")
            with pytest.raises(oauthkit.InvalidArgumentError, match="empty"):
                oauthkit.Flow(provider, ports=(9000, 8000))
    finally:
        os.close(write_fd)


def test_deploy_mode_signs_in_through_the_handler(dev: oauthkit.DevProvider) -> None:
    base = "http://127.0.0.1:9"
    with dev.provider() as provider, oauthkit.Store("memory:") as store, oauthkit.Deploy(
        provider, store, base, after_login="/home"
    ) as deploy:
        assert deploy.redirect_uri == base + "/auth/callback"
        login = deploy.handle("GET", "/auth/login")
        assert login.status == 302
        login_cookie = (login.header("Set-Cookie") or "").split(";")[0]
        redirect = location_of(login.header("Location") or "")
        target = redirect[len(base):]
        assert deploy.handle("GET", target).status == 400  # no login cookie: refused
        cb = deploy.handle("GET", target, headers={"Cookie": login_cookie})
        assert cb.status == 302 and cb.header("Location") == "/home"
        session = (cb.header("Set-Cookie") or "").split(";")[0]
        status = deploy.handle("GET", "/auth/status", headers=[("Cookie", session)])
        assert json.loads(status.body)["authenticated"] is True
        assert deploy.session_key(session) == "dev-user-1"
        assert deploy.handle("POST", "/auth/logout", headers={"Cookie": session}).status == 403
        out = deploy.handle("POST", "/auth/logout", headers={"Cookie": session, "Origin": base})
        assert out.status == 200 and "dev-user-1" not in store
        with pytest.raises(oauthkit.InvalidArgumentError, match="line break"):
            deploy.handle("GET", "/auth/status", headers={"Cookie": "a=1\r\nX: y"})


def test_server_store_clients_codes_tokens(tmp_path: Path) -> None:
    with oauthkit.ServerStore(f"sqlite:{tmp_path / 'server.db'}") as s:
        s.save_client({"identifier": "app", "secret": "s3cret", "redirect_uris": ["http://127.0.0.1/cb"]})
        assert s.fetch_client("app")["secret"] == "s3cret"
        s.save_code({"client_id": "app", "code": "c1", "expires_at": int(time.time()) + 60,
                     "redirect_uri": "http://127.0.0.1/cb", "scopes": [], "data": {}})
        assert s.take_code("c1")["client_id"] == "app"
        with pytest.raises(oauthkit.NotFoundError):
            s.take_code("c1")
        s.save_token({"client_id": "app", "grant_type": "authorization_code", "token": "at", "data": {},
                      "refresh_token": "rt", "scopes": []})
        assert s.fetch_by_refresh_token("rt")["token"] == "at"
        assert s.delete_refresh_token("rt") and not s.delete_refresh_token("rt")
        with pytest.raises(oauthkit.NotFoundError):
            s.fetch_token("at")
        assert s.delete_client("app")
        with pytest.raises(oauthkit.InvalidArgumentError):
            s.save_client({"identifier": 5})


def test_shared_deploy_takes_the_public_origin_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    """Several instances: one 32-byte cookie key; forwarded headers change
    the redirect URI only when the instance is told to trust them."""
    key, old = bytes(range(32)), bytes(32)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example"}
    with Provider.google("client") as g, Store(f"file:{tmp_path / 'tokens.json'}") as s:
        with Deploy(g, s, "http://10.0.0.7:8000", cookie_key=key, previous_cookie_keys=[old],
                    trust_forwarded_headers=True) as trusting, \
                Deploy(g, s, "http://10.0.0.7:8000", cookie_key=key) as plain:
            for d, origin in ((trusting, "https://app.example"), (plain, "http://10.0.0.7:8000")):
                r = d.handle("GET", "/auth/login", headers=forwarded)
                assert r.status == 302, r.body
                query = urllib.parse.parse_qs(urllib.parse.urlparse(r.header("location") or "").query)
                assert query["redirect_uri"] == [f"{origin}/auth/callback"]
                assert d.handle("GET", "/auth/status").status == 200
        for bad in (dict(cookie_key=b"short"), dict(previous_cookie_keys=[key]), dict(trust_forwarded_headers=True)):
            with pytest.raises(ValueError):
                Deploy(g, s, "https://app.example", **bad)  # type: ignore[arg-type]
