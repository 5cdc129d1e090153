"""The base of every class that owns a C handle."""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

from ._ffi import ffi, owned

_H = TypeVar("_H", bound="Handle")


class Handle:
    """Owns one C handle: freed by :meth:`close`, by leaving a ``with``
    block, or (as a fallback) when the object is garbage-collected. Using
    the object after ``close()`` raises ``ValueError``."""

    _kind = "handle"
    _ptr: Optional[Any] = None

    def _own(self, ptr: Any, free: Callable[[Any], None]) -> None:
        self._ptr = owned(ptr, self._kind, free)

    @property
    def _h(self) -> Any:
        if self._ptr is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    @property
    def closed(self) -> bool:
        """Whether the handle was freed."""
        return self._ptr is None

    def close(self) -> None:
        """Frees the handle now. Calling it again is a no-op."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            ffi.release(ptr)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
