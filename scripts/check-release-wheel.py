"""The release wheel as a user gets it: run by scripts/check-release.sh with
the wheel pip-installed into a fresh venv, no Rust toolchain on the PATH, a
throwaway HOME and the working directory outside the repository.

    python check-release-wheel.py no-keyring   # no Secret Service answers
    python check-release-wheel.py keyring      # under scripts/with-keyring.sh

Exits non-zero (an AssertionError or the library's exception) on any
difference from what a user should see.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import oauthkit

APP = "release-check"


def check_installed() -> None:
    here = Path(oauthkit.__file__).resolve()
    venv = Path(sys.prefix).resolve()
    assert venv in here.parents, f"oauthkit imported from {here}, not from the venv {venv}"
    for path in (oauthkit.library_path(), oauthkit.header_path()):
        assert venv in path.resolve().parents, f"{path} is not the wheel's copy"
    print(f"oauthkit {oauthkit.__version__} from {here.parent}, library {oauthkit.library_path()}")


def round_trip(store: oauthkit.Store, key: str) -> oauthkit.TokenSet:
    tokens = oauthkit.TokenSet(f"access-token-of-{key}")
    tokens.refresh_token = f"refresh-token-of-{key}"
    tokens.scope = "openid profile"
    tokens.set_expires_in(3600)
    with tokens:
        store.save(key, tokens)
    loaded = store.load(key)
    assert loaded is not None, f"{store.backend} store lost {key}"
    assert loaded.access_token == f"access-token-of-{key}"
    assert loaded.refresh_token == f"refresh-token-of-{key}"
    assert loaded.scopes == ["openid", "profile"] and not loaded.is_expired()
    return loaded


def data_file(home: Path) -> Path:
    return home / ".local" / "share" / "oauthkit" / APP / "tokens.json"


def no_keyring(home: Path) -> None:
    for spec in (f"file:{home}/tokens.json", f"sqlite:{home}/tokens.db"):
        with oauthkit.Store(spec) as store, round_trip(store, "alice"):
            print(f"{store.backend} store: saved and loaded a token set ({spec})")

    # No keyring answers: a clear error that says what to do, nothing written.
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={home}/no-session-bus"
    try:
        oauthkit.Store.default().close()
    except oauthkit.UnavailableError as e:
        message = str(e)
        print(f"Store.default() without a keyring: {type(e).__name__}: {message}")
        for hint in ("keyring", "OAUTHKIT_STORE", "OAUTHKIT_ALLOW_PLAINTEXT=1"):
            assert hint in message, f"the error does not mention {hint}: {message}"
        assert "feature" not in message, f"the wheel lacks the keyring feature: {message}"
        assert message.count("unavailable:") == 1, f"an error wrapped in the same error: {message}"
    else:
        raise AssertionError("Store.default() opened a store although no keyring answers")

    # Plain text allowed: the default store works, a 0600 file in HOME.
    os.environ["OAUTHKIT_ALLOW_PLAINTEXT"] = "1"
    with oauthkit.Store.default() as store, round_trip(store, "alice"):
        pass
    path = data_file(home)
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600, f"{path} has mode {mode:o}"
    assert "access-token-of-alice" in path.read_text(), "plain text was allowed"
    print(f"Store.default() with OAUTHKIT_ALLOW_PLAINTEXT=1: plain-text file {path} (mode 600)")


def keyring(home: Path) -> None:
    assert os.environ.get("DBUS_SESSION_BUS_ADDRESS"), "run under scripts/with-keyring.sh"
    with oauthkit.Store.default() as store, round_trip(store, "bob"):
        pass
    path = data_file(home)
    text = path.read_text()
    assert "access-token-of-bob" not in text and "refresh-token-of-bob" not in text, "tokens in plain text"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # another open finds the key in the keyring again
    with oauthkit.Store.default() as again, again.load("bob") as loaded:
        assert loaded is not None and loaded.access_token == "access-token-of-bob"
    print(f"Store.default() with a Secret Service: encrypted file {path}, key in the keyring")


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) == 2 else ""
    home = Path(os.environ["HOME"])
    os.environ["OAUTHKIT_APP"] = APP
    for name in ("OAUTHKIT_STORE", "OAUTHKIT_ALLOW_PLAINTEXT", "XDG_DATA_HOME"):
        os.environ.pop(name, None)
    check_installed()
    if mode == "no-keyring":
        no_keyring(home)
    elif mode == "keyring":
        keyring(home)
    else:
        sys.exit(f"usage: {sys.argv[0]} no-keyring|keyring")
    assert sum(oauthkit.live_handles().values()) == 0, oauthkit.live_handles()


if __name__ == "__main__":
    main()
