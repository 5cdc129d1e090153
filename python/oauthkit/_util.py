"""Conversions between Python values and the C ABI's strings."""

from __future__ import annotations

from typing import Any, List, Optional

from ._ffi import ffi, lib
from .errors import InvalidArgumentError


def c_str(value: Optional[str], name: str) -> Any:
    """A NUL-terminated UTF-8 copy of ``value`` for a ``const char *``
    parameter (``ffi.NULL`` for None). Embedded NUL bytes, which C would
    silently cut the string at, and strings that are not valid Unicode are
    refused with :class:`InvalidArgumentError` naming the parameter."""
    if value is None:
        return ffi.NULL
    if not isinstance(value, str):
        raise InvalidArgumentError(f"invalid argument: {name} must be a str, not {type(value).__name__}", 8)
    if "\0" in value:
        raise InvalidArgumentError(f"invalid argument: {name} contains a NUL character", 8)
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidArgumentError(f"invalid argument: {name} is not valid Unicode ({e.reason})", 8) from None
    return ffi.new("char[]", data)


def take_str(out: Any) -> Optional[str]:
    """Reads the string an out-parameter (``char **``) received and frees it
    with ``oak_string_free`` (which zeroes it); None for NULL."""
    p = out[0]
    if p == ffi.NULL:
        return None
    try:
        return str(ffi.string(p).decode("utf-8"))
    finally:
        lib.oak_string_free(p)
        out[0] = ffi.NULL


def take_str_array(items: Any, length: Any) -> List[str]:
    """Reads a ``char **`` list of ``length[0]`` strings and frees it."""
    arr = items[0]
    n = int(length[0])
    if arr == ffi.NULL:
        return []
    try:
        return [ffi.string(arr[i]).decode("utf-8") for i in range(n)]
    finally:
        lib.oak_string_array_free(arr, n)
        items[0] = ffi.NULL
