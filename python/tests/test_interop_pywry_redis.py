"""pywry 2.0.6's ``RedisTokenStore`` and oauthkit in the same process share
tokens in a real redis-server: pywry's layout (``{prefix}:oauth:tokens:{key}``,
a JSON string) both ways."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

import oauthkit

try:
    from pywry.auth import RedisTokenStore
    from pywry.state.types import OAuthTokenSet
except ImportError as e:  # a missing dependency fails, it does not skip
    raise ImportError(f"pywry is not installed ({e}): run scripts/setup-python.sh") from e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed: run scripts/setup-servers.sh")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_pywry_reads_what_oauthkit_wrote(redis_url: str) -> None:
    with oauthkit.Store(f"{redis_url}?prefix=pywry") as store, oauthkit.TokenSet("AT-oauthkit") as t:
        t.refresh_token = "RT-oauthkit"
        t.scope = "openid email"
        t.set_expires_in(3600)
        store.save("alice", t)

    async def read() -> tuple:  # one event loop: pywry's client is bound to it
        pywry = RedisTokenStore(redis_url=redis_url, prefix="pywry")
        return await pywry.load("alice"), await pywry.list_keys()

    loaded, keys = asyncio.run(read())
    assert loaded is not None, "pywry did not find oauthkit's record"
    assert (loaded.access_token, loaded.refresh_token, loaded.scope, loaded.token_type) == (
        "AT-oauthkit",
        "RT-oauthkit",
        "openid email",
        "Bearer",
    )
    assert loaded.expires_in is not None and 3500 <= loaded.expires_in <= 3600
    assert not loaded.is_expired
    assert keys == ["alice"]


def test_oauthkit_reads_what_pywry_wrote(redis_url: str) -> None:
    tokens = OAuthTokenSet(access_token="AT-pywry", refresh_token="RT-pywry", expires_in=600, scope="openid", id_token=None)

    async def write() -> None:
        await RedisTokenStore(redis_url=redis_url, prefix="pywry").save("bob", tokens)

    async def read() -> object:
        return await RedisTokenStore(redis_url=redis_url, prefix="pywry").load("bob")

    asyncio.run(write())
    with oauthkit.Store(f"{redis_url}?prefix=pywry") as store:
        assert store.keys() == ["bob"]
        with store.load("bob") as t:  # type: ignore[union-attr]
            assert (t.access_token, t.refresh_token, t.scope) == ("AT-pywry", "RT-pywry", "openid")
            assert t.expires_at is not None and abs(t.expires_at - (int(tokens.issued_at) + 600)) <= 1
            assert not t.is_expired()
        # oauthkit deletes; pywry sees it gone.
        assert store.delete("bob") is True
    assert asyncio.run(read()) is None
