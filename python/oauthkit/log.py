"""oauthkit's log records in Python (``oak_set_log_callback``).

:func:`forward_to_logging` sends them to the standard :mod:`logging`
module under their targets (``oauthkit.flow.native``, ...);
:func:`set_log_handler` to any callable. No record holds a secret; records
of other libraries linked into oauthkit (its HTTP client) come only at
warning and above. docs/logging.md lists the targets and levels.
"""

from __future__ import annotations

import enum
import logging
import sys
from typing import Any, Callable, List, Optional

from ._ffi import ffi, lib
from .errors import check

#: Receives ``(level, target, message)`` for each record, from any thread.
LogHandler = Callable[["LogLevel", str, str], None]


class LogLevel(enum.IntEnum):
    """``OakLogLevel``: the most verbose level passed on."""

    OFF = 0
    ERROR = 1
    WARN = 2
    INFO = 3
    DEBUG = 4
    TRACE = 5


_PYTHON_LEVELS = {
    LogLevel.ERROR: logging.ERROR,
    LogLevel.WARN: logging.WARNING,
    LogLevel.INFO: logging.INFO,
    LogLevel.DEBUG: logging.DEBUG,
    LogLevel.TRACE: 5,
}

# Every cffi callback ever installed stays alive: the library may still be
# inside an old one while another thread installs a new one, and holding a
# Python lock around the C call would deadlock with a handler that logs
# its way into set_log_handler. A few bytes per call.
_installed: List[Any] = []


def set_log_handler(handler: Optional[LogHandler], level: LogLevel = LogLevel.INFO) -> None:
    """Sends records at ``level`` and more severe to ``handler`` (None, or
    ``LogLevel.OFF``, turns logging off). ``handler`` may be called from
    any thread, several at once; an exception it raises is printed to
    stderr and otherwise ignored. Replacing the handler waits for running
    calls of the old one. Calling this from inside a handler is
    ``InvalidArgumentError``."""
    level = LogLevel(level)
    callback: Any = ffi.NULL
    if handler is not None and level != LogLevel.OFF:
        user = handler

        def trampoline(lvl: int, target: Any, message: Any, _user_data: Any) -> None:
            try:
                user(LogLevel(lvl), ffi.string(target).decode("utf-8"), ffi.string(message).decode("utf-8"))
            except BaseException:  # noqa: BLE001 - must not unwind into C
                sys.excepthook(*sys.exc_info())

        callback = ffi.callback("OakLogFn", trampoline)
        _installed.append(callback)
    check(lib.oak_set_log_callback(int(level), callback, ffi.NULL))


def forward_to_logging(level: LogLevel = LogLevel.INFO) -> None:
    """Sends oauthkit's records to :mod:`logging`: logger = the record's
    target with ``::`` as ``.`` (``oauthkit.provider.jwks``), level mapped
    (trace is level 5)."""

    def to_logging(lvl: LogLevel, target: str, message: str) -> None:
        logging.getLogger(target.replace("::", ".")).log(_PYTHON_LEVELS.get(lvl, logging.INFO), "%s", message)

    set_log_handler(to_logging, level)
