"""A thread that keeps a session's keys fresh (``OakBackgroundRefresh``)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str_array
from .errors import check
from .session import Session


class BackgroundRefresh(Handle):
    """Every ``every`` seconds refreshes those of ``keys`` whose access
    token is about to expire, through ``session``. Closing it (or leaving
    the ``with`` block) stops the thread and waits for it."""

    _kind = "OakBackgroundRefresh"

    def __init__(self, session: Session, keys: Iterable[str], every: int = 15) -> None:
        names = list(keys)
        cstrs: List[Any] = [c_str(k, f"keys[{i}]") for i, k in enumerate(names)]
        arr = ffi.new("const char *[]", cstrs) if cstrs else ffi.NULL
        out = ffi.new("OakBackgroundRefresh **")
        check(lib.oak_background_refresh_start(session._h, arr, len(cstrs), int(every), out))
        self._own(out[0], lib.oak_background_refresh_free)

    def errors(self) -> Dict[str, str]:
        """The last error message of each key whose refresh failed."""
        items = ffi.new("char ***")
        n = ffi.new("size_t *")
        check(lib.oak_background_refresh_errors(self._h, items, n))
        out: Dict[str, str] = {}
        for line in take_str_array(items, n):
            key, _, message = line.partition(": ")
            out[key] = message
        return out
