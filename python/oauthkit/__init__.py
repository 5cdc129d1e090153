"""oauthkit for Python: OAuth 2.0 / OpenID Connect sign-in and token
storage for native apps, over liboauthkit's C ABI (cffi, ABI mode).

>>> import oauthkit
>>> with oauthkit.Store("memory:") as store:
...     store.backend
'memory'
"""

from __future__ import annotations

from ._ffi import ffi, header_path, lib, library_path, live_handles
from .background import BackgroundRefresh
from .claims import Claims
from .backend import StoreBackend, in_namespace, store_from_backend
from .deploy import Deploy, DeployResponse
from .dev import DevProvider, HeadlessBrowser
from .device import DeviceCode, DeviceFlow, DevicePrompt, DeviceSignIn
from .errors import (
    AuthenticationError,
    CancelledError,
    CorruptError,
    DecryptionError,
    HttpError,
    IdTokenError,
    InternalError,
    InvalidArgumentError,
    InvalidGrantError,
    IoError,
    LockTimeoutError,
    NotFoundError,
    OAuthError,
    OAuthKitError,
    SignInTimeoutError,
    StorageError,
    UnavailableError,
    UnsupportedError,
    ValidationError,
)
from .flow import Flow, FlowState, SignIn
from .log import LogHandler, LogLevel, forward_to_logging, set_log_handler
from .logout import LogoutResult, logout, logout_url
from .provider import Provider, TokenHint
from .server import ServerStore
from .session import Session
from .store import Store
from .tokens import TokenSet


def version() -> str:
    """The loaded library's version (``oak_version()``)."""
    return str(ffi.string(lib.oak_version()).decode())


def abi_version() -> int:
    """The loaded library's C ABI version (``oak_abi_version()``)."""
    return int(lib.oak_abi_version())


__version__ = version()

__all__ = [
    "LogHandler",
    "LogLevel",
    "forward_to_logging",
    "set_log_handler",
    "BackgroundRefresh",
    "Claims",
    "StoreBackend",
    "in_namespace",
    "store_from_backend",
    "ServerStore",
    "Deploy",
    "DeployResponse",
    "DeviceCode",
    "DeviceFlow",
    "DevicePrompt",
    "DeviceSignIn",
    "LogoutResult",
    "logout",
    "logout_url",
    "AuthenticationError",
    "CancelledError",
    "CorruptError",
    "DecryptionError",
    "DevProvider",
    "Flow",
    "FlowState",
    "HeadlessBrowser",
    "HttpError",
    "IdTokenError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidGrantError",
    "IoError",
    "LockTimeoutError",
    "NotFoundError",
    "OAuthError",
    "OAuthKitError",
    "Provider",
    "Session",
    "SignIn",
    "SignInTimeoutError",
    "Store",
    "StorageError",
    "TokenHint",
    "TokenSet",
    "UnavailableError",
    "UnsupportedError",
    "ValidationError",
    "abi_version",
    "header_path",
    "library_path",
    "live_handles",
    "version",
]
