"""Shared fixtures. Nothing here skips: a missing dependency fails with a
message saying how to get it."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Iterator, Tuple

import pytest

import oauthkit

REPO = Path(__file__).resolve().parents[2]
HEADER = REPO / "include" / "oauthkit.h"


@pytest.fixture
def dev() -> Iterator[oauthkit.DevProvider]:
    """A running development provider (auto-approving)."""
    try:
        idp = oauthkit.DevProvider(auto_approve=True)
    except oauthkit.UnsupportedError as e:
        pytest.fail(
            f"liboauthkit lacks the dev provider ({e}); build it with the dev-provider "
            "feature: scripts/build-python.sh (all features by default)"
        )
    with idp:
        yield idp


@pytest.fixture
def signed_in(dev: oauthkit.DevProvider, tmp_path: Path) -> Iterator[Tuple[oauthkit.DevProvider, oauthkit.Provider, oauthkit.Store, oauthkit.SignIn]]:
    """A completed sign-in whose tokens are in a JSON file store."""
    with dev.provider() as provider, oauthkit.Store(f"file:{tmp_path / 'tokens.json'}") as store:
        with oauthkit.Flow(provider, store, timeout=30) as flow:
            browser = oauthkit.HeadlessBrowser()
            result = flow.run(browser)
            browser.join()
        with result.tokens:
            yield dev, provider, store, result


@pytest.fixture(autouse=True)
def no_leaked_handles() -> Iterator[None]:
    """Every test frees what it made: the live-handle count is back where it
    was once the test's objects are gone."""
    gc.collect()
    before = oauthkit.live_handles()
    yield
    gc.collect()
    assert oauthkit.live_handles() == before, "handles left alive by the test"
