"""A sign-in against the development provider through the C ABI, then
refreshes, revocation and failures."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, List, Tuple

import pytest

import oauthkit
from oauthkit import FlowState, HeadlessBrowser


def test_sign_in_stores_the_tokens(signed_in: Any) -> None:
    dev, provider, store, result = signed_in
    assert result.key == "dev-user-1"
    assert result.user_info is not None and result.user_info["email"] == "dev.user@example.test"
    assert result.tokens.refresh_token and result.tokens.identity_id == "dev-user-1"
    assert dev.token_requests("authorization_code") == 1
    with store.load("dev-user-1") as stored:
        assert stored.access_token == result.tokens.access_token
    assert dev.is_token_active(result.tokens.access_token)
    assert provider.userinfo(result.tokens.access_token)["sub"] == "dev-user-1"  # type: ignore[index]


def test_sign_in_gives_typed_claims(signed_in: Any) -> None:
    dev, _provider, _store, result = signed_in
    assert result.display_name == "dev.user@example.test"
    with result.tokens.id_token_claims() as id_claims:
        assert id_claims.sub == "dev-user-1"
        assert id_claims.iss == dev.issuer
        assert id_claims.aud == [dev.client_id]
        assert id_claims.exp is not None and id_claims.exp.timestamp() > time.time()
        assert id_claims.get("nonce") and id_claims.get("nonce") not in repr(id_claims)
    with result.user_claims() as info:
        assert info.email == "dev.user@example.test" and info.subject_id == "dev-user-1"
        assert "dev.user@example.test" not in repr(info)
    # wrong-typed standard claims from real providers: read, never fatal
    with oauthkit.Claims.from_json(
        '{"sub": "u", "email_verified": "true", "updated_at": "2024-01-01", "groups": ["a"]}'
    ) as odd:
        assert odd.email_verified is True
        assert odd.get("updated_at") == "2024-01-01" and odd.get("groups") == ["a"]
        with pytest.raises(oauthkit.InvalidArgumentError, match="updated_at"):
            odd.time("updated_at")
    with pytest.raises(oauthkit.InvalidArgumentError, match="not an object"):
        oauthkit.Claims.from_json("[1]")
    with oauthkit.TokenSet("at") as bare:
        assert bare.id_token_claims() is None


def test_flow_state_and_url(dev: oauthkit.DevProvider) -> None:
    with dev.provider() as provider, oauthkit.Flow(provider, timeout=30, token_key="me", params={"login_hint": "a@b"}) as flow:
        assert flow.state is FlowState.IDLE
        browser = HeadlessBrowser()
        result = flow.run(browser)
        browser.join()
        with result.tokens:
            assert flow.state is FlowState.COMPLETED and result.key == "me"
        url = browser.urls[0]
        assert "code_challenge_method=S256" in url and "login_hint=a%40b" in url


def test_session_refreshes_an_expired_token_once(signed_in: Any) -> None:
    dev, provider, store, result = signed_in
    refreshed: List[Tuple[str, str]] = []

    def on_refresh(key: str, tokens: oauthkit.TokenSet) -> None:
        with tokens:
            refreshed.append((key, tokens.access_token))

    with oauthkit.Session(provider, store, on_refresh) as session:
        with store.load("dev-user-1") as stored:
            stored.set_expires_in(-10)
            store.save("dev-user-1", stored)
        at = session.access_token("dev-user-1")
        assert dev.token_requests("refresh_token") == 1
        assert refreshed == [("dev-user-1", at)] and at != result.tokens.access_token
        assert session.access_token("dev-user-1") == at  # fresh now
        assert dev.token_requests("refresh_token") == 1
        with session.refresh("dev-user-1") as forced, session.tokens("dev-user-1") as now:
            assert dev.token_requests("refresh_token") == 2 and len(refreshed) == 2
            assert now.access_token == forced.access_token != at
        with pytest.raises(oauthkit.NotFoundError, match="nobody"):
            session.access_token("nobody")


def test_a_revoked_refresh_token_is_an_invalid_grant(signed_in: Any) -> None:
    dev, provider, store, result = signed_in
    rt = result.tokens.refresh_token
    assert provider.revoke(rt, oauthkit.TokenHint.REFRESH_TOKEN) is True
    assert not dev.is_token_active(rt)
    with oauthkit.Session(provider, store) as session:
        with pytest.raises(oauthkit.InvalidGrantError) as e:
            session.refresh("dev-user-1")
        assert isinstance(e.value, oauthkit.OAuthError) and e.value.status == 11
        assert rt not in str(e.value)


def test_logout_revokes_and_deletes(signed_in: Any) -> None:
    dev, provider, store, result = signed_in
    with oauthkit.Session(provider, store) as session:
        assert session.logout("dev-user-1") is True
        assert session.logout("dev-user-1") is False
    assert not dev.is_token_active(result.tokens.refresh_token)
    assert "dev-user-1" not in store


def test_a_refresh_callback_that_raises_does_not_break_the_session(signed_in: Any, capsys: pytest.CaptureFixture[str]) -> None:
    dev, provider, store, _ = signed_in

    def broken(key: str, tokens: oauthkit.TokenSet) -> None:
        tokens.close()
        raise RuntimeError("callback bug")

    with oauthkit.Session(provider, store, broken) as session, session.refresh("dev-user-1") as t:
        assert t.access_token
    assert "callback bug" in capsys.readouterr().err


def test_denied_sign_in_is_an_oauth_error(tmp_path: Path) -> None:
    with oauthkit.DevProvider(auto_approve=False) as dev, dev.provider() as provider, oauthkit.Store("memory:") as store:
        with oauthkit.Flow(provider, store, timeout=30) as flow:
            browser = HeadlessBrowser(approve=False)
            with pytest.raises(oauthkit.OAuthError, match="access_denied"):
                flow.run(browser)
            browser.join()
            assert flow.state is FlowState.FAILED
        assert store.keys() == []


def test_a_browser_callback_that_raises_fails_the_sign_in(dev: oauthkit.DevProvider) -> None:
    def broken(url: str) -> None:
        raise RuntimeError("no browser here")

    with dev.provider() as provider, oauthkit.Flow(provider, timeout=30) as flow:
        with pytest.raises(oauthkit.AuthenticationError) as e:
            flow.run(broken)
        assert isinstance(e.value.__cause__, RuntimeError)


def test_cancel_from_another_thread(dev: oauthkit.DevProvider) -> None:
    with dev.provider() as provider, oauthkit.Flow(provider, timeout=60) as flow:
        opened = threading.Event()
        canceller = threading.Thread(target=lambda: (opened.wait(30), flow.cancel()))
        canceller.start()
        started = time.monotonic()
        with pytest.raises(oauthkit.CancelledError):
            flow.run(lambda url: opened.set())
        canceller.join()
        assert time.monotonic() - started < 30
        assert flow.state is FlowState.CANCELLED


def test_timeout(dev: oauthkit.DevProvider) -> None:
    with dev.provider() as provider, oauthkit.Flow(provider, timeout=1) as flow:
        with pytest.raises(oauthkit.SignInTimeoutError) as e:
            flow.run(lambda url: None)
        assert isinstance(e.value, TimeoutError) and flow.state is FlowState.TIMED_OUT


def test_many_sign_ins_free_every_handle(dev: oauthkit.DevProvider) -> None:
    before = oauthkit.live_handles()
    for _ in range(5):
        with dev.provider() as provider, oauthkit.Store("memory:") as store, oauthkit.Flow(provider, store, timeout=30) as flow:
            browser = HeadlessBrowser()
            with flow.run(browser).tokens as tokens:
                assert tokens.access_token
            browser.join()
            with oauthkit.Session(provider, store) as session:
                assert session.access_token("dev-user-1")
    assert oauthkit.live_handles() == before
