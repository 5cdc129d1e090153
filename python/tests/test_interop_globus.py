"""globus-sdk 4.10 and oauthkit in the same process read each other's JSON
and SQLite token files (globus-sdk's ``JSONTokenStorage`` and
``SQLiteTokenStorage``, namespace ``userapp``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import oauthkit

try:
    from globus_sdk.token_storage import JSONTokenStorage, SQLiteTokenStorage, TokenStorageData
except ImportError as e:  # a missing dependency fails, it does not skip
    raise ImportError(f"globus-sdk is not installed ({e}): run scripts/setup-python.sh") from e

STORAGES = {"json": (JSONTokenStorage, "file", "tokens.json"), "sqlite": (SQLiteTokenStorage, "sqlite", "tokens.db")}


def ours() -> oauthkit.TokenSet:
    return oauthkit.TokenSet.from_dict(
        {
            "access_token": "AT-oauthkit",
            "refresh_token": "RT-oauthkit",
            "token_type": "Bearer",
            "scope": "openid profile",
            "expires_at": 1_900_000_000,
            "identity_id": "id-oauthkit",
            "resource_server": "auth.globus.org",
        }
    )


def write_with_globus(storage: Any) -> None:
    storage.store_token_data_by_resource_server(
        {
            "transfer.api.globus.org": TokenStorageData(
                resource_server="transfer.api.globus.org",
                identity_id="id-globus",
                scope="urn:transfer:all",
                access_token="AT-globus",
                refresh_token="RT-globus",
                expires_at_seconds=1_900_000_001,
                token_type="Bearer",
            )
        }
    )


def check_read_by_globus(storage: Any) -> None:
    d = storage.get_token_data("auth.globus.org")
    assert d is not None, "globus-sdk did not find oauthkit's record"
    assert (d.access_token, d.refresh_token, d.identity_id, d.scope, d.expires_at_seconds, d.resource_server) == (
        "AT-oauthkit",
        "RT-oauthkit",
        "id-oauthkit",
        "openid profile",
        1_900_000_000,
        "auth.globus.org",
    )


def check_read_by_oauthkit(store: oauthkit.Store) -> None:
    t = store.load("transfer.api.globus.org")
    assert t is not None, "oauthkit did not find globus-sdk's record"
    with t:
        assert (t.access_token, t.refresh_token, t.identity_id, t.scope, t.expires_at) == (
            "AT-globus",
            "RT-globus",
            "id-globus",
            "urn:transfer:all",
            1_900_000_001,
        )


@pytest.mark.parametrize("kind", sorted(STORAGES))
def test_oauthkit_writes_first_globus_reads_and_adds(kind: str, tmp_path: Path) -> None:
    cls, scheme, name = STORAGES[kind]
    path = tmp_path / name
    with oauthkit.Store(f"{scheme}:{path}?namespace=userapp") as store, ours() as t:
        store.save("auth.globus.org", t)
    globus = cls(str(path), namespace="userapp")
    try:
        check_read_by_globus(globus)
        write_with_globus(globus)
    finally:
        globus.close() if hasattr(globus, "close") else None
    with oauthkit.Store(f"{scheme}:{path}?namespace=userapp") as store:
        check_read_by_oauthkit(store)
        assert store.keys() == ["auth.globus.org", "transfer.api.globus.org"]


@pytest.mark.parametrize("kind", sorted(STORAGES))
def test_globus_writes_first_oauthkit_reads_and_adds(kind: str, tmp_path: Path) -> None:
    cls, scheme, name = STORAGES[kind]
    path = tmp_path / name
    globus = cls(str(path), namespace="userapp")
    write_with_globus(globus)
    with oauthkit.Store(f"{scheme}:{path}?namespace=userapp") as store, ours() as t:
        check_read_by_oauthkit(store)
        store.save("auth.globus.org", t)
    # The same globus-sdk object, still open in this process, sees it.
    check_read_by_globus(globus)
    assert globus.get_token_data("transfer.api.globus.org").access_token == "AT-globus"
    if hasattr(globus, "close"):
        globus.close()


@pytest.mark.parametrize("kind", sorted(STORAGES))
def test_namespaces_stay_apart_across_libraries(kind: str, tmp_path: Path) -> None:
    cls, scheme, name = STORAGES[kind]
    path = tmp_path / name
    globus = cls(str(path), namespace="other")
    write_with_globus(globus)
    with oauthkit.Store(f"{scheme}:{path}?namespace=userapp") as store:
        assert store.load("transfer.api.globus.org") is None
        assert "other" in store.namespaces()
    if hasattr(globus, "close"):
        globus.close()
