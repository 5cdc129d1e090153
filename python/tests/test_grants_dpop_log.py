"""Token exchange, the JWT bearer grant, DPoP headers and log records from
Python. The exchanges themselves are tested against panva's oidc-provider
in the Rust and C suites; here the dev provider (which has neither grant)
answers, and the wrappers must pass arguments, errors and results through
without a secret in any message."""

from __future__ import annotations

import logging
import threading
from typing import Any, List, Tuple

import pytest

import oauthkit
from oauthkit import InvalidArgumentError, OAuthError

AT = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT = "subject-token-Zq8vX2mK7pL4nR9tW3yB6"
ACTOR = "actor-token-H5jD2sF8gA1kQ7wE4rT9"
# a throwaway P-256 key made for these tests only; registered nowhere
TEST_EC_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtGzV/fPUKE5wpeqB\n"
    "NowyK8cqP3D9Z6VJVk0IXEogc76hRANCAATURoVddNSb11UHZEFwWDah+8ay+8Zi\n"
    "WL3Rcm/98PYIVP/HSd26/nM2vF3UGkgwYx+JMmwcuK3ZjODvlq/xMcKw\n"
    "-----END PRIVATE KEY-----\n"
)


def test_token_exchange_passes_everything_and_keeps_tokens_out_of_errors(dev: oauthkit.DevProvider) -> None:
    with dev.provider() as p:
        with pytest.raises(OAuthError) as e:
            p.exchange_token(
                SUBJECT, AT, actor_token=ACTOR, actor_token_type=AT,
                audiences=["https://api.example"], resources=["https://api.example/"],
                scopes="openid", requested_token_type=AT,
            )
        assert "unsupported_grant_type" in str(e.value)
        assert SUBJECT not in str(e.value) and ACTOR not in str(e.value)
        assert dev.token_requests("urn:ietf:params:oauth:grant-type:token-exchange") == 1
        # checked before any request
        for bad, why in [
            (lambda: p.exchange_token(SUBJECT, "access_token"), "is not a token type URI"),
            (lambda: p.exchange_token(SUBJECT, AT, actor_token=ACTOR), "actor_token and actor_token_type go together"),
            (lambda: p.exchange_token(SUBJECT, AT, resources=["https://api.example/#f"]), "resource"),
            (lambda: p.exchange_token("bad\0token", AT), "subject_token"),
        ]:
            with pytest.raises(InvalidArgumentError) as e2:
                bad()
            assert why in str(e2.value)
        assert dev.token_requests("urn:ietf:params:oauth:grant-type:token-exchange") == 1


def test_jwt_bearer_given_and_signed(dev: oauthkit.DevProvider) -> None:
    with dev.provider() as p:
        with pytest.raises(InvalidArgumentError) as e:
            p.jwt_bearer("not-a-jwt")
        assert "not-a-jwt" not in str(e.value)
        with pytest.raises(OAuthError) as e3:
            p.jwt_bearer_signed(TEST_EC_KEY, "https://trusted.example", "user-1", kid="k1", scopes="openid")
        assert "unsupported_grant_type" in str(e3.value)
        assert "MIGHAgEA" not in str(e3.value) and "eyJ" not in str(e3.value)
        assert dev.token_requests("urn:ietf:params:oauth:grant-type:jwt-bearer") == 1
        with pytest.raises(InvalidArgumentError) as e4:
            p.jwt_bearer_signed("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----", "i", "s")
        assert "c2VjcmV0" not in str(e4.value)


def test_dpop_settings_headers_and_nonces(signed_in: Any) -> None:
    dev, provider, store, result = signed_in
    settings = {"OAUTHKIT_PROVIDER": "oidc", "OAUTHKIT_CLIENT_ID": "c", "OAUTHKIT_ISSUER_URL": dev.issuer}
    with oauthkit.Provider.from_settings({**settings, "OAUTHKIT_DPOP": "ES256"}) as dpop_provider:
        assert dpop_provider.dpop_algorithm == "ES256"
    assert provider.dpop_algorithm is None
    with oauthkit.Session(provider, store) as session:
        # these tokens are Bearer tokens: no DPoP headers for them
        with pytest.raises(InvalidArgumentError):
            session.dpop_headers(result.key, "GET", "https://api.example/data")
        with pytest.raises(oauthkit.NotFoundError):
            session.dpop_headers("nobody", "GET", "https://api.example/data")
        # a resource server asking for a nonce: send once more
        assert session.record_dpop_nonce(
            "https://api.example/data", 401, 'DPoP error="use_dpop_nonce"', "nonce-1"
        )
        assert not session.record_dpop_nonce("https://api.example/data", 200, None, "nonce-2")
        with pytest.raises(ValueError):
            session.record_dpop_nonce("https://api.example/data", 70000)


def test_log_records_reach_python_logging_without_secrets(dev: oauthkit.DevProvider, tmp_path: Any, caplog: Any) -> None:
    records: List[Tuple[oauthkit.LogLevel, str, str]] = []
    lock = threading.Lock()

    def keep(level: oauthkit.LogLevel, target: str, message: str) -> None:
        with lock:
            records.append((level, target, message))

    oauthkit.set_log_handler(keep, oauthkit.LogLevel.DEBUG)
    try:
        with dev.provider() as provider, oauthkit.Store("memory:") as store:
            with oauthkit.Flow(provider, store, timeout=30) as flow:
                browser = oauthkit.HeadlessBrowser()
                result = flow.run(browser)
                browser.join()
            with result.tokens as tokens:
                secrets = [tokens.access_token, tokens.refresh_token or "", tokens.id_token or ""]
        with lock:
            seen = list(records)
        assert any(t == "oauthkit::flow::native" and "sign-in at oidc started" in m for _, t, m in seen), seen
        assert any("tokens stored under 'dev-user-1'" in m for _, _, m in seen), seen
        assert all(t.startswith("oauthkit") or lvl <= oauthkit.LogLevel.WARN for lvl, t, _ in seen)
        text = "\n".join(m for _, _, m in seen)
        for s in secrets:
            assert s and s not in text
        # the standard logging module, under the record's target
        caplog.set_level(logging.INFO, logger="oauthkit")
        oauthkit.forward_to_logging(oauthkit.LogLevel.INFO)
        with dev.provider() as provider, oauthkit.Store("memory:") as store:
            with oauthkit.Flow(provider, store, timeout=30) as flow:
                browser = oauthkit.HeadlessBrowser()
                flow.run(browser).tokens.close()
                browser.join()
        assert any(
            r.name == "oauthkit.flow.native" and "sign-in at oidc started" in r.getMessage() for r in caplog.records
        ), [r.getMessage() for r in caplog.records]
        # from inside a handler, changing the handler is refused
        refused: List[BaseException] = []

        def reentrant(level: oauthkit.LogLevel, target: str, message: str) -> None:
            if not refused:
                try:
                    oauthkit.set_log_handler(None)
                except BaseException as e:  # noqa: BLE001
                    refused.append(e)

        oauthkit.set_log_handler(reentrant, oauthkit.LogLevel.INFO)
        with dev.provider() as provider, oauthkit.Store("memory:") as store:
            with oauthkit.Flow(provider, store, timeout=30) as flow:
                browser = oauthkit.HeadlessBrowser()
                flow.run(browser).tokens.close()
                browser.join()
        assert refused and isinstance(refused[0], InvalidArgumentError), refused
    finally:
        oauthkit.set_log_handler(None)
