"""Who signed in, typed: the claims of an ID token or a userinfo answer
(``OakClaims``).

``Claims.from_json(text)`` reads a userinfo answer (``SignIn.user_info_json``
or any JSON object); ``TokenSet.id_token_claims()`` reads a token set's ID
token. Standard claims sent with the wrong JSON type never fail the read:
``"true"``/``"false"`` strings are booleans, anything else is kept as sent
(:meth:`Claims.get` returns it); a typed getter asked for a claim of another
type raises :class:`InvalidArgumentError`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, List, Optional

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str
from .errors import check


class Claims(Handle):
    """The claims about a user (``OakClaims``); read-only, any thread."""

    _kind = "OakClaims"

    @classmethod
    def _adopt(cls, ptr: Any) -> "Claims":
        self = cls.__new__(cls)
        self._own(ptr, lib.oak_claims_free)
        return self

    @classmethod
    def from_json(cls, text: str) -> "Claims":
        """Reads claims from a JSON object (``InvalidArgumentError`` when it
        is not one)."""
        out = ffi.new("OakClaims **")
        check(lib.oak_claims_from_json(c_str(text, "json"), out))
        return cls._adopt(out[0])

    def string(self, name: str) -> Optional[str]:
        """The string claim ``name``, or None when absent."""
        out = ffi.new("char **")
        check(lib.oak_claims_string(self._h, c_str(name, "name"), out))
        return take_str(out)

    def boolean(self, name: str) -> Optional[bool]:
        """The boolean claim ``name``, or None when absent."""
        present, value = ffi.new("bool *"), ffi.new("bool *")
        check(lib.oak_claims_bool(self._h, c_str(name, "name"), present, value))
        return bool(value[0]) if present[0] else None

    def time(self, name: str) -> Optional[datetime]:
        """The time claim ``name`` (``exp``, ``iat``, ``auth_time``,
        ``updated_at``) as an aware UTC datetime, or None when absent."""
        present, value = ffi.new("bool *"), ffi.new("int64_t *")
        check(lib.oak_claims_time(self._h, c_str(name, "name"), present, value))
        return datetime.fromtimestamp(value[0], tz=timezone.utc) if present[0] else None

    def get(self, name: str) -> Any:
        """Any claim, as its JSON value (None when absent): custom claims,
        ``aud``, ``amr``, a wrong-typed standard claim as sent."""
        out = ffi.new("char **")
        check(lib.oak_claims_json(self._h, c_str(name, "name"), out))
        text = take_str(out)
        return None if text is None else json.loads(text)

    def to_dict(self) -> dict[str, Any]:
        """All the claims as one JSON object."""
        out = ffi.new("char **")
        check(lib.oak_claims_json(self._h, ffi.NULL, out))
        return json.loads(take_str(out) or "{}")  # type: ignore[no-any-return]

    @property
    def display_name(self) -> Optional[str]:
        """The name to show for who signed in (email, preferred_username,
        login, name, then the subject id); it came from the provider."""
        out = ffi.new("char **")
        check(lib.oak_claims_display_name(self._h, out))
        return take_str(out)

    @property
    def subject_id(self) -> Optional[str]:
        """The stable id of the user (``sub``, else ``id``, ``login``,
        ``email``)."""
        out = ffi.new("char **")
        check(lib.oak_claims_subject_id(self._h, out))
        return take_str(out)

    @property
    def sub(self) -> Optional[str]:
        return self.string("sub")

    @property
    def iss(self) -> Optional[str]:
        return self.string("iss")

    @property
    def aud(self) -> List[str]:
        value = self.get("aud")
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    @property
    def exp(self) -> Optional[datetime]:
        return self.time("exp")

    @property
    def iat(self) -> Optional[datetime]:
        return self.time("iat")

    @property
    def email(self) -> Optional[str]:
        return self.string("email")

    @property
    def email_verified(self) -> Optional[bool]:
        return self.boolean("email_verified")

    @property
    def name(self) -> Optional[str]:
        return self.string("name")

    @property
    def preferred_username(self) -> Optional[str]:
        return self.string("preferred_username")

    def __repr__(self) -> str:
        # never the values: personal data, the nonce
        return f"Claims(sub={self.sub!r}, claims={sorted(self.to_dict())!r})"
