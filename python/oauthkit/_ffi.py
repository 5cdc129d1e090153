"""Loads liboauthkit with cffi in ABI mode (no compiler needed).

The declarations come from the C header at import time (see ``_cdef``), so
they cannot drift from it. Where things are found:

* the header: ``$OAUTHKIT_HEADER``; else ``include/oauthkit.h`` of the
  source tree this package sits in (``python/oauthkit`` in a clone); else
  the copy bundled in the package (``oauthkit/oauthkit.h``).
* the library: ``$OAUTHKIT_LIB`` (a path to ``liboauthkit.so``); else the
  copy bundled in the package (``oauthkit/_lib/liboauthkit.so``).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import cffi

from ._cdef import read_cdef

_HERE = Path(__file__).resolve().parent
_LIB_NAME = "liboauthkit.so"


def header_path() -> Path:
    """The header the declarations are read from."""
    env = os.environ.get("OAUTHKIT_HEADER")
    if env:
        return Path(env)
    in_tree = _HERE.parent.parent / "include" / "oauthkit.h"
    if in_tree.is_file() and (_HERE.parent / "pyproject.toml").is_file():
        return in_tree
    return _HERE / "oauthkit.h"


def library_path() -> Path:
    """The shared library that is loaded."""
    env = os.environ.get("OAUTHKIT_LIB")
    if env:
        return Path(env)
    return _HERE / "_lib" / _LIB_NAME


def _load() -> Any:
    header = header_path()
    if not header.is_file():
        raise ImportError(
            f"oauthkit: C header not found at {header}; set OAUTHKIT_HEADER or "
            "build the package with scripts/build-python.sh"
        )
    lib_path = library_path()
    if not lib_path.is_file():
        raise ImportError(
            f"oauthkit: shared library not found at {lib_path}; set OAUTHKIT_LIB to a "
            "liboauthkit.so (cargo build --all-features) or build the package with "
            "scripts/build-python.sh"
        )
    ffi.cdef(read_cdef(header))
    lib = ffi.dlopen(str(lib_path))
    if lib.oak_abi_version() < lib.OAK_ABI_VERSION:
        raise ImportError(
            f"oauthkit: {lib_path} has C ABI version {lib.oak_abi_version()}, "
            f"the header needs {lib.OAK_ABI_VERSION} or newer"
        )
    return lib


ffi = cffi.FFI()
lib = _load()

# --- handle accounting: every handle is freed through `owned`, which counts
_live: Counter[str] = Counter()
_live_lock = threading.Lock()


def owned(ptr: Any, kind: str, free: Callable[[Any], None]) -> Any:
    """Ties ``ptr`` to ``free`` (run when it is garbage-collected or released
    with ``ffi.release``) and counts it as a live handle of ``kind``."""
    if ptr == ffi.NULL:
        raise ValueError(f"{kind}: NULL handle")
    with _live_lock:
        _live[kind] += 1

    def destructor(p: Any) -> None:
        free(p)
        with _live_lock:
            _live[kind] -= 1

    return ffi.gc(ptr, destructor)


def live_handles() -> dict[str, int]:
    """How many handles of each kind are alive (not yet freed)."""
    with _live_lock:
        return {k: v for k, v in _live.items() if v}
