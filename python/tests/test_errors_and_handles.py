"""Exceptions mapped from OakStatus; handles freed by context managers."""

from __future__ import annotations

import gc
import threading

import pytest

import oauthkit
from oauthkit import errors


@pytest.mark.parametrize(
    "status, cls, kind",
    [
        (1, oauthkit.NotFoundError, "not_found"),
        (3, oauthkit.CorruptError, "corrupt"),
        (5, oauthkit.IoError, "io"),
        (8, oauthkit.InvalidArgumentError, "invalid_argument"),
        (11, oauthkit.InvalidGrantError, "invalid_grant"),
        (13, oauthkit.SignInTimeoutError, "timeout"),
        (31, oauthkit.DecryptionError, "decryption"),
        (99, oauthkit.InternalError, "internal"),
    ],
)
def test_status_maps_to_class_and_kind(status: int, cls: type, kind: str) -> None:
    e = errors.error_for(status, "why")
    assert type(e) is cls and isinstance(e, oauthkit.OAuthKitError)
    assert (e.status, e.kind, str(e)) == (status, kind, "why")


def test_the_library_names_every_status_of_the_header() -> None:
    """``oak_status_name`` agrees with the header's enum (it once answered
    OAK_ERR_UNKNOWN for OAK_ERR_DECRYPTION)."""
    named = {name: errors.status_name(value) for name, value in errors.status_values().items()}
    assert named == {name: name for name in named}
    assert errors.status_name(12345) == "OAK_ERR_UNKNOWN"


def test_unknown_status_is_the_base_class() -> None:
    e = errors.error_for(12345, "future")
    assert type(e) is oauthkit.OAuthKitError and e.status == 12345 and e.kind == "unknown"


def test_python_builtin_bases() -> None:
    assert issubclass(oauthkit.InvalidGrantError, oauthkit.OAuthError)
    assert issubclass(oauthkit.NotFoundError, LookupError)
    assert issubclass(oauthkit.InvalidArgumentError, ValueError)
    assert issubclass(oauthkit.SignInTimeoutError, TimeoutError)
    assert issubclass(oauthkit.IoError, OSError)


def test_a_real_failure_carries_the_library_message() -> None:
    with pytest.raises(oauthkit.InvalidArgumentError) as e:
        oauthkit.Store("nonsense:whatever")
    assert "nonsense" in e.value.message


def test_messages_are_per_thread() -> None:
    seen = []

    def fail() -> None:
        try:
            oauthkit.Store("other-thread:")
        except oauthkit.OAuthKitError as e:
            seen.append(e.message)

    t = threading.Thread(target=fail)
    t.start()
    t.join()
    with pytest.raises(oauthkit.InvalidArgumentError) as e:
        oauthkit.Store("this-thread:")
    assert "other-thread" in seen[0] and "this-thread" in e.value.message and "other-thread" not in e.value.message


def test_with_blocks_free_their_handles() -> None:
    before = oauthkit.live_handles()
    with oauthkit.Store("memory:") as store, oauthkit.TokenSet("x") as t, oauthkit.Provider.google("cid") as p:
        store.save("k", t)
        loaded = store.load("k")
        assert loaded is not None
        with loaded:
            live = oauthkit.live_handles()
            assert live.get("OakStore", 0) == before.get("OakStore", 0) + 1
            assert live.get("OakTokenSet", 0) == before.get("OakTokenSet", 0) + 2
            assert live.get("OakProvider", 0) == before.get("OakProvider", 0) + 1
        assert loaded.closed and p.name == "google"
    assert store.closed and t.closed and p.closed
    assert oauthkit.live_handles() == before


def test_closed_handles_refuse_use_and_close_twice_is_fine() -> None:
    store = oauthkit.Store("memory:")
    store.close()
    store.close()
    with pytest.raises(ValueError, match="Store is closed"):
        store.keys()
    assert repr(store) == "Store(<closed>)"


def test_forgotten_handles_are_freed_by_the_garbage_collector() -> None:
    before = oauthkit.live_handles()
    for _ in range(100):
        oauthkit.TokenSet("x")
        oauthkit.Store("memory:")
    gc.collect()
    assert oauthkit.live_handles() == before


def test_a_loop_of_store_round_trips_frees_everything() -> None:
    before = oauthkit.live_handles()
    with oauthkit.Store("memory:") as store:
        for i in range(2000):
            with oauthkit.TokenSet(f"at-{i}") as t:
                store.save("k", t)
            with store.load("k") as back:  # type: ignore[union-attr]
                assert back.access_token == f"at-{i}"
            assert store.keys() == ["k"]
    assert oauthkit.live_handles() == before


def test_provider_constructors() -> None:
    with oauthkit.Provider.oidc("https://issuer.example", "cid") as o, oauthkit.Provider.microsoft(
        "cid", tenant="organizations"
    ) as m, oauthkit.Provider.github("cid", "secret", "read:user") as g:
        assert (o.name, m.name, g.name) == ("oidc", "microsoft", "github")
        assert "secret" not in repr(g)
    with pytest.raises(TypeError):
        oauthkit.Provider()
    with pytest.raises(oauthkit.InvalidArgumentError):
        oauthkit.Provider.oidc("not a url", "cid")


def test_provider_from_env_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OAUTHKIT_PROVIDER", "OAUTHKIT_CLIENT_ID", "OAUTHKIT_ISSUER_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(oauthkit.InvalidArgumentError, match="OAUTHKIT_"):
        oauthkit.Provider.from_env()
