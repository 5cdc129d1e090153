"""Token sets and stores through the C ABI."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

import oauthkit
from oauthkit import TokenSet


def full_tokens() -> TokenSet:
    t = TokenSet.from_dict(
        {
            "access_token": "AT-secret-1",
            "refresh_token": "RT-secret-1",
            "token_type": "Bearer",
            "scope": "openid profile",
            "expires_at": 1_900_000_000,
            "identity_id": "id-1",
            "resource_server": "api.example",
        }
    )
    return t


def test_token_set_properties_and_setters() -> None:
    with TokenSet("at-1") as t:
        assert t.access_token == "at-1"
        assert t.token_type == "Bearer"
        assert t.refresh_token is None and t.id_token is None and t.identity_id is None
        assert t.expires_at is None and not t.is_expired(3600)
        t.refresh_token = "rt-1"
        t.id_token = "id.token.x"
        t.scope = "openid email"
        t.resource_server = "rs"
        t.set_expires_in(-5)
        assert (t.refresh_token, t.id_token, t.scopes, t.resource_server) == ("rt-1", "id.token.x", ["openid", "email"], "rs")
        assert t.has_scope("email") and not t.has_scope("profile")
        assert t.expires_at == t.issued_at - 5 and t.is_expired()
        t.refresh_token = None
        t.resource_server = None
        assert t.refresh_token is None and t.resource_server is None


def test_json_round_trip_and_copy() -> None:
    with full_tokens() as t, TokenSet.from_json(t.to_json()) as back, t.copy() as c:
        for x in (back, c):
            assert x.to_dict() == t.to_dict()
            assert (x.access_token, x.refresh_token, x.identity_id, x.expires_at) == ("AT-secret-1", "RT-secret-1", "id-1", 1_900_000_000)


def test_repr_shows_no_secret() -> None:
    with full_tokens() as t:
        text = repr(t)
        assert "AT-secret-1" not in text and "RT-secret-1" not in text
        assert "openid profile" in text


@pytest.mark.parametrize("bad", ["", "{", "[]", '{"access_token": 5}', "null"])
def test_malformed_json_is_a_corrupt_error(bad: str) -> None:
    with pytest.raises(oauthkit.CorruptError) as e:
        TokenSet.from_json(bad)
    assert e.value.status == 3 and e.value.kind == "corrupt"


@pytest.mark.parametrize("spec_kind", ["memory", "file", "sqlite"])
def test_store_save_load_list_delete(spec_kind: str, tmp_path: Path) -> None:
    spec = {"memory": "memory:", "file": f"file:{tmp_path / 't.json'}", "sqlite": f"sqlite:{tmp_path / 't.db'}"}[spec_kind]
    with oauthkit.Store(spec) as store, full_tokens() as t:
        assert store.backend == spec_kind
        assert store.namespace == "DEFAULT"
        assert store.load("alice") is None and "alice" not in store
        store.save("alice", t)
        store.save("bob", t)
        assert store.keys() == ["alice", "bob"] and list(store) == ["alice", "bob"]
        with store.load("alice") as loaded:
            assert loaded is not None and loaded.to_dict() == t.to_dict()
        assert store.exists("alice") and "alice" in store
        assert store.delete("alice") is True and store.delete("alice") is False
        assert store.keys() == ["bob"]
    if spec_kind == "file":
        assert stat.S_IMODE(os.stat(tmp_path / "t.json").st_mode) == 0o600


def test_namespaces_are_separate(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    with oauthkit.Store(f"file:{path}?namespace=app-a") as a, oauthkit.Store(f"file:{path}?namespace=app-b") as b, TokenSet("x") as t:
        a.save("k", t)
        assert a.namespace == "app-a" and "k" in a and "k" not in b
        assert b.namespaces() == ["app-a"]


@pytest.mark.parametrize("key", ["alice\0bob", "\0", "a\0"])
def test_embedded_nul_is_refused_and_nothing_is_saved(key: str) -> None:
    with oauthkit.Store("memory:") as store, TokenSet("x") as t:
        with pytest.raises(oauthkit.InvalidArgumentError, match="NUL"):
            store.save(key, t)
        assert store.keys() == []
        with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError
            store.load(key)


@pytest.mark.parametrize("key", ["\ud800", "a\udfffb"])
def test_lone_surrogates_are_refused(key: str) -> None:
    with oauthkit.Store("memory:") as store, TokenSet("x") as t:
        with pytest.raises(oauthkit.InvalidArgumentError, match="key"):
            store.save(key, t)
        assert store.keys() == []


def test_wrong_types_are_refused() -> None:
    with oauthkit.Store("memory:") as store:
        with pytest.raises(oauthkit.InvalidArgumentError, match="key must be a str"):
            store.load(b"alice")  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", ["nonsense:", "", "file:", "memory:?namespace="])
def test_bad_specs_are_invalid_arguments(spec: str) -> None:
    with pytest.raises(oauthkit.InvalidArgumentError) as e:
        oauthkit.Store(spec)
    assert e.value.status == 8 and e.value.kind == "invalid_argument" and str(e.value)


def test_unreadable_file_is_corrupt_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text("{ not json")
    path.chmod(0o600)
    with oauthkit.Store(f"file:{path}") as store:
        with pytest.raises(oauthkit.CorruptError):
            store.load("alice")
    assert path.read_text() == "{ not json"


def test_values_survive_json_encoding_for_globus_style_records(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    with oauthkit.Store(f"file:{path}") as store, full_tokens() as t:
        store.save("k", t)
    assert "AT-secret-1" in json.dumps(json.loads(path.read_text()))
