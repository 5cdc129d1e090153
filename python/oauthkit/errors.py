"""Exceptions mapped from the C ABI's ``OakStatus``.

Every failure raises a subclass of :class:`OAuthKitError` carrying the
status (``.status``, e.g. ``11``), its kind (``.kind``, e.g.
``"invalid_grant"``) and the library's message, which never contains tokens
or secrets. A status this version does not know raises ``OAuthKitError``
itself.
"""

from __future__ import annotations

import builtins
from typing import Dict, Optional, Type

from ._ffi import ffi, lib


class OAuthKitError(Exception):
    """Base class of every error oauthkit raises."""

    #: The ``OakStatus`` value (``OAK_ERR_*``).
    status: int
    #: The status name without ``OAK_ERR_``, lower case (``"not_found"``).
    kind: str

    def __init__(self, message: str, status: int = 99, kind: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind if kind is not None else _kind_of(status)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, kind={self.kind!r}, message={self.message!r})"


class NotFoundError(OAuthKitError, LookupError):
    """No such key, client, code or token (``OAK_ERR_NOT_FOUND``)."""


class StorageError(OAuthKitError):
    """A token store backend failed (``OAK_ERR_STORAGE``)."""


class CorruptError(OAuthKitError):
    """Stored data or JSON was unreadable and left as it was (``OAK_ERR_CORRUPT``)."""


class ValidationError(OAuthKitError):
    """A validator refused a token set (``OAK_ERR_VALIDATION``)."""


class IoError(OAuthKitError, builtins.OSError):
    """An operating-system I/O error (``OAK_ERR_IO``)."""


class UnavailableError(OAuthKitError):
    """A backend service is unreachable (``OAK_ERR_UNAVAILABLE``)."""


class UnsupportedError(OAuthKitError):
    """This build or backend cannot do it, e.g. a cargo feature is off (``OAK_ERR_UNSUPPORTED``)."""


class InvalidArgumentError(OAuthKitError, ValueError):
    """An unusable argument: bad spec, URL, key, embedded NUL (``OAK_ERR_INVALID_ARGUMENT``)."""


class HttpError(OAuthKitError):
    """A transport failure talking to the provider (``OAK_ERR_HTTP``)."""


class OAuthError(OAuthKitError):
    """The provider answered with an OAuth error (``OAK_ERR_OAUTH``)."""


class InvalidGrantError(OAuthError):
    """The refresh token is no longer valid: sign in again (``OAK_ERR_INVALID_GRANT``)."""


class IdTokenError(OAuthKitError):
    """An ID token failed validation (``OAK_ERR_ID_TOKEN``)."""


class SignInTimeoutError(OAuthKitError, builtins.TimeoutError):
    """The sign-in did not finish in time (``OAK_ERR_TIMEOUT``)."""


class CancelledError(OAuthKitError):
    """The sign-in was cancelled (``OAK_ERR_CANCELLED``)."""


class AuthenticationError(OAuthKitError):
    """The sign-in failed: forged callback, denied, mix-up (``OAK_ERR_AUTHENTICATION``)."""


class LockTimeoutError(OAuthKitError):
    """A lock could not be taken in time (``OAK_ERR_LOCK_TIMEOUT``)."""


class DecryptionError(OAuthKitError):
    """A sealed record of an encrypted store did not open (``OAK_ERR_DECRYPTION``)."""


class InternalError(OAuthKitError):
    """A bug in oauthkit, including a Rust panic caught at the boundary (``OAK_ERR_INTERNAL``)."""


#: Status name (from the header's ``OakStatus`` enum) to exception class.
_BY_NAME: Dict[str, Type[OAuthKitError]] = {
    "OAK_ERR_NOT_FOUND": NotFoundError,
    "OAK_ERR_STORAGE": StorageError,
    "OAK_ERR_CORRUPT": CorruptError,
    "OAK_ERR_VALIDATION": ValidationError,
    "OAK_ERR_IO": IoError,
    "OAK_ERR_UNAVAILABLE": UnavailableError,
    "OAK_ERR_UNSUPPORTED": UnsupportedError,
    "OAK_ERR_INVALID_ARGUMENT": InvalidArgumentError,
    "OAK_ERR_HTTP": HttpError,
    "OAK_ERR_OAUTH": OAuthError,
    "OAK_ERR_INVALID_GRANT": InvalidGrantError,
    "OAK_ERR_ID_TOKEN": IdTokenError,
    "OAK_ERR_TIMEOUT": SignInTimeoutError,
    "OAK_ERR_CANCELLED": CancelledError,
    "OAK_ERR_AUTHENTICATION": AuthenticationError,
    "OAK_ERR_LOCK_TIMEOUT": LockTimeoutError,
    "OAK_ERR_DECRYPTION": DecryptionError,
    "OAK_ERR_INTERNAL": InternalError,
}


def status_values() -> Dict[str, int]:
    """Every ``OakStatus`` name the header declares, with its value."""
    return dict(ffi.typeof("enum OakStatus").relements)


#: Status value to exception class, built from the header's enum.
BY_STATUS: Dict[int, Type[OAuthKitError]] = {
    value: _BY_NAME[name] for name, value in status_values().items() if name in _BY_NAME
}


#: Status value to name, from the header's enum.
_NAMES: Dict[int, str] = {value: name for name, value in status_values().items()}


def _kind_of(status: int) -> str:
    name = _NAMES.get(status, "OAK_ERR_UNKNOWN")
    return name[len("OAK_ERR_"):].lower() if name.startswith("OAK_ERR_") else name.lower()


def error_for(status: int, message: str) -> OAuthKitError:
    """The exception for ``status`` with ``message``."""
    cls = BY_STATUS.get(status, OAuthKitError)
    return cls(message, status)


def check(status: int) -> None:
    """Raises the exception for a failed call's ``status``; reads the
    thread's last-error message, so call it right after the C call."""
    if status != 0:
        message = ffi.string(lib.oak_last_error_message()).decode("utf-8", "replace")
        raise error_for(status, message)


def status_name(status: int) -> str:
    """The loaded library's name for ``status`` (``"OAK_ERR_NOT_FOUND"``;
    ``"OAK_ERR_UNKNOWN"`` for a value it does not know)."""
    return str(ffi.string(lib.oak_status_name(int(status))).decode())
