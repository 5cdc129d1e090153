"""Authorization servers: generic OpenID Connect, Google, Microsoft, GitHub."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ._ffi import ffi, lib
from ._handle import Handle
from ._util import c_str, take_str
from .errors import check

if TYPE_CHECKING:
    from .tokens import TokenSet


class TokenHint(enum.IntEnum):
    """Which token :meth:`Provider.revoke` names (RFC 7009 ``token_type_hint``)."""

    NONE = 0
    ACCESS_TOKEN = 1
    REFRESH_TOKEN = 2


class Provider(Handle):
    """An authorization server (``OakProvider``). Make one with
    :meth:`oidc`, :meth:`google`, :meth:`microsoft`, :meth:`github`,
    :meth:`keycloak`, :meth:`auth0`, :meth:`okta`, :meth:`gitlab` or
    :meth:`from_env`; nothing is fetched until first use.

    >>> with Provider.google("my-client-id") as google:
    ...     google.name
    'google'
    """

    _kind = "OakProvider"

    def __init__(self) -> None:
        raise TypeError(
            "use Provider.oidc(), .google(), .microsoft(), .github(), .keycloak(), .auth0(), .okta(), "
            ".gitlab() or .from_env()"
        )

    @classmethod
    def _make(cls, fn: Any, *args: Any) -> "Provider":
        out = ffi.new("OakProvider **")
        check(fn(*args, out))
        self = cls.__new__(cls)
        self._own(out[0], lib.oak_provider_free)
        return self

    @classmethod
    def oidc(
        cls,
        issuer: str,
        client_id: str,
        client_secret: Optional[str] = None,
        scopes: Optional[str] = None,
    ) -> "Provider":
        """A generic OpenID Connect provider (discovery, ID-token checks).
        ``scopes`` is space-separated (None: ``openid email profile``)."""
        return cls._make(
            lib.oak_provider_oidc,
            c_str(issuer, "issuer"),
            c_str(client_id, "client_id"),
            c_str(client_secret, "client_secret"),
            c_str(scopes, "scopes"),
        )

    @classmethod
    def google(cls, client_id: str, client_secret: Optional[str] = None, scopes: Optional[str] = None) -> "Provider":
        return cls._make(
            lib.oak_provider_google, c_str(client_id, "client_id"), c_str(client_secret, "client_secret"), c_str(scopes, "scopes")
        )

    @classmethod
    def microsoft(
        cls,
        client_id: str,
        client_secret: Optional[str] = None,
        scopes: Optional[str] = None,
        tenant: Optional[str] = None,
    ) -> "Provider":
        """The Microsoft identity platform; ``tenant`` None means ``common``."""
        return cls._make(
            lib.oak_provider_microsoft,
            c_str(tenant, "tenant"),
            c_str(client_id, "client_id"),
            c_str(client_secret, "client_secret"),
            c_str(scopes, "scopes"),
        )

    @classmethod
    def github(cls, client_id: str, client_secret: Optional[str] = None, scopes: Optional[str] = None) -> "Provider":
        return cls._make(
            lib.oak_provider_github, c_str(client_id, "client_id"), c_str(client_secret, "client_secret"), c_str(scopes, "scopes")
        )

    @classmethod
    def keycloak(
        cls,
        base_url: str,
        realm: str,
        client_id: str,
        client_secret: Optional[str] = None,
        scopes: Optional[str] = None,
        par_required: bool = False,
    ) -> "Provider":
        """Keycloak: ``realm`` on the server at ``base_url`` (issuer
        ``{base_url}/realms/{realm}``; a trailing ``/`` and a legacy ``/auth``
        path are fine). ``par_required``: the client has "Pushed
        authorization request required" on, so every sign-in is pushed."""
        return cls._make(
            lib.oak_provider_keycloak,
            c_str(base_url, "base_url"),
            c_str(realm, "realm"),
            c_str(client_id, "client_id"),
            c_str(client_secret, "client_secret"),
            c_str(scopes, "scopes"),
            bool(par_required),
        )

    @classmethod
    def auth0(
        cls,
        domain: str,
        client_id: str,
        client_secret: Optional[str] = None,
        scopes: Optional[str] = None,
        audience: Optional[str] = None,
    ) -> "Provider":
        """Auth0: the tenant ``domain`` (issuer ``https://{domain}/``);
        ``audience`` names the API access tokens are for."""
        return cls._make(
            lib.oak_provider_auth0,
            c_str(domain, "domain"),
            c_str(client_id, "client_id"),
            c_str(client_secret, "client_secret"),
            c_str(scopes, "scopes"),
            c_str(audience, "audience"),
        )

    @classmethod
    def okta(
        cls,
        org_url: str,
        client_id: str,
        client_secret: Optional[str] = None,
        scopes: Optional[str] = None,
        authorization_server: Optional[str] = None,
    ) -> "Provider":
        """Okta: the org at ``org_url`` and an ``authorization_server``: None
        or ``"default"`` (issuer ``{org_url}/oauth2/default``), an id
        (``{org_url}/oauth2/{id}``) or ``"org"`` (issuer ``org_url``)."""
        return cls._make(
            lib.oak_provider_okta,
            c_str(org_url, "org_url"),
            c_str(authorization_server, "authorization_server"),
            c_str(client_id, "client_id"),
            c_str(client_secret, "client_secret"),
            c_str(scopes, "scopes"),
        )

    @classmethod
    def gitlab(
        cls,
        client_id: str,
        client_secret: Optional[str] = None,
        scopes: Optional[str] = None,
        base_url: Optional[str] = None,
    ) -> "Provider":
        """GitLab: the instance at ``base_url`` (None: ``https://gitlab.com``);
        the issuer is the base URL."""
        return cls._make(
            lib.oak_provider_gitlab,
            c_str(base_url, "base_url"),
            c_str(client_id, "client_id"),
            c_str(client_secret, "client_secret"),
            c_str(scopes, "scopes"),
        )

    @classmethod
    def from_env(cls) -> "Provider":
        """The provider the ``OAUTHKIT_*`` environment variables describe."""
        return cls._make(lib.oak_provider_from_env)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Optional[str]]) -> "Provider":
        """The provider ``settings`` describe: ``OAUTHKIT_*`` names (as in
        the environment: ``OAUTHKIT_PROVIDER``, ``OAUTHKIT_CLIENT_ID``, ...,
        ``OAUTHKIT_CA_FILE``, ``OAUTHKIT_TRUST_STORE``,
        ``OAUTHKIT_CONNECT_TIMEOUT``, ``OAUTHKIT_READ_TIMEOUT``) to values
        (None or empty: unset). The environment is not read. An unknown
        name is ``InvalidArgumentError``."""
        items = list(settings.items())
        keep: List[Any] = []
        for i, (name, value) in enumerate(items):
            keep.append(c_str(name, f"names[{i}]"))
            keep.append(c_str(value, f"values[{i}]"))
        names = ffi.new("const char *[]", keep[0::2]) if items else ffi.NULL
        values = ffi.new("const char *[]", keep[1::2]) if items else ffi.NULL
        return cls._make(lib.oak_provider_from_settings, names, values, len(items))

    @classmethod
    def oauth2(
        cls,
        authorize_url: str,
        token_url: str,
        client_id: str,
        client_secret: Optional[str] = None,
        scopes: Optional[str] = None,
        *,
        revocation_url: Optional[str] = None,
        userinfo_url: Optional[str] = None,
    ) -> "Provider":
        """A plain OAuth 2.0 provider (no OpenID Connect) named ``custom``.

        >>> with Provider.oauth2("https://a.example/authorize", "https://a.example/token", "client") as p:
        ...     p.name
        'custom'
        """
        return cls._make(
            lib.oak_provider_oauth2,
            c_str(authorize_url, "authorize_url"),
            c_str(token_url, "token_url"),
            c_str(revocation_url, "revocation_url"),
            c_str(userinfo_url, "userinfo_url"),
            c_str(client_id, "client_id"),
            c_str(client_secret, "client_secret"),
            c_str(scopes, "scopes"),
        )

    @property
    def name(self) -> str:
        """The short name: ``"oidc"``, ``"google"``, ``"microsoft"``, ``"github"``."""
        out = ffi.new("char **")
        check(lib.oak_provider_name(self._h, out))
        return take_str(out) or ""

    @property
    def issuer(self) -> Optional[str]:
        """The configured issuer (no network); None for providers without
        one (GitHub)."""
        out = ffi.new("char **")
        check(lib.oak_provider_issuer(self._h, out))
        return take_str(out)

    def revoke(self, token: str, hint: TokenHint = TokenHint.NONE) -> bool:
        """Revokes ``token`` (RFC 7009); False when the provider cannot revoke."""
        out = ffi.new("bool *")
        check(lib.oak_provider_revoke(self._h, c_str(token, "token"), int(hint), out))
        return bool(out[0])

    def userinfo(self, access_token: str) -> Optional[Dict[str, Any]]:
        """The user's claims from the userinfo endpoint (None when it has none)."""
        out = ffi.new("char **")
        check(lib.oak_provider_userinfo(self._h, c_str(access_token, "access_token"), out))
        text = take_str(out)
        return None if text is None else json.loads(text)

    @property
    def dpop_algorithm(self) -> Optional[str]:
        """The DPoP algorithm (``"ES256"``, ``"EdDSA"``, ``"RS256"``,
        ``"PS256"``) when the provider uses DPoP (``OAUTHKIT_DPOP`` in
        :meth:`from_settings`), else None."""
        out = ffi.new("char **")
        check(lib.oak_provider_dpop_algorithm(self._h, out))
        return take_str(out)

    def exchange_token(
        self,
        subject_token: str,
        subject_token_type: str,
        *,
        actor_token: Optional[str] = None,
        actor_token_type: Optional[str] = None,
        audiences: Iterable[str] = (),
        resources: Iterable[str] = (),
        scopes: Optional[str] = None,
        requested_token_type: Optional[str] = None,
    ) -> "Tuple[TokenSet, Optional[str]]":
        """RFC 8693 token exchange: the issued token (in the token set's
        ``access_token``; its ``token_type`` is ``"N_A"`` when it is not an
        access token) and the ``issued_token_type``. Types are RFC 8693
        URIs such as ``urn:ietf:params:oauth:token-type:access_token``."""
        from .tokens import TokenSet

        auds = [c_str(a, f"audiences[{i}]") for i, a in enumerate(audiences)]
        res = [c_str(r, f"resources[{i}]") for i, r in enumerate(resources)]
        tokens = ffi.new("OakTokenSet **")
        issued = ffi.new("char **")
        check(
            lib.oak_token_exchange(
                self._h,
                c_str(subject_token, "subject_token"),
                c_str(subject_token_type, "subject_token_type"),
                c_str(actor_token, "actor_token"),
                c_str(actor_token_type, "actor_token_type"),
                ffi.new("const char *[]", auds) if auds else ffi.NULL,
                len(auds),
                ffi.new("const char *[]", res) if res else ffi.NULL,
                len(res),
                c_str(scopes, "scopes"),
                c_str(requested_token_type, "requested_token_type"),
                tokens,
                issued,
            )
        )
        return TokenSet._adopt(tokens[0]), take_str(issued)

    def jwt_bearer(self, assertion: str, scopes: Optional[str] = None) -> "TokenSet":
        """RFC 7523 §2.1: tokens for the subject of ``assertion`` (a signed
        JWT the caller has). The assertion never appears in an error."""
        from .tokens import TokenSet

        out = ffi.new("OakTokenSet **")
        check(lib.oak_provider_jwt_bearer(self._h, c_str(assertion, "assertion"), c_str(scopes, "scopes"), out))
        return TokenSet._adopt(out[0])

    def jwt_bearer_signed(
        self,
        key: str,
        issuer: str,
        subject: str,
        *,
        alg: Optional[str] = None,
        kid: Optional[str] = None,
        audience: Optional[str] = None,
        scopes: Optional[str] = None,
    ) -> "TokenSet":
        """Like :meth:`jwt_bearer` with an assertion oauthkit signs with
        ``key`` (PEM or private JWK; ``alg`` None: worked out from the key),
        ``iss`` ``issuer``, ``sub`` ``subject``, ``aud`` ``audience`` (None:
        the provider's issuer), a fresh ``jti``, valid 5 minutes."""
        from .tokens import TokenSet

        out = ffi.new("OakTokenSet **")
        check(
            lib.oak_provider_jwt_bearer_signed(
                self._h,
                c_str(key, "key"),
                c_str(alg, "alg"),
                c_str(kid, "kid"),
                c_str(issuer, "issuer"),
                c_str(subject, "subject"),
                c_str(audience, "audience"),
                c_str(scopes, "scopes"),
                out,
            )
        )
        return TokenSet._adopt(out[0])

    def __repr__(self) -> str:
        return "Provider(<closed>)" if self.closed else f"Provider(name={self.name!r})"
