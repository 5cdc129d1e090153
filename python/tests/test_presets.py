"""The Keycloak, Auth0, Okta and GitLab presets: the issuer each builds
(no network) and typed errors for bad arguments."""

from __future__ import annotations

from typing import Callable

import pytest

import oauthkit
from oauthkit import Provider


@pytest.mark.parametrize(
    "make, name, issuer",
    [
        (lambda: Provider.keycloak("https://sso.example/", "acme", "cli"), "keycloak", "https://sso.example/realms/acme"),
        (
            lambda: Provider.keycloak("https://sso.example/auth", "acme", "cli", "s", "openid", par_required=True),
            "keycloak",
            "https://sso.example/auth/realms/acme",
        ),
        (lambda: Provider.auth0("acme.eu.auth0.com", "app", audience="https://api"), "auth0", "https://acme.eu.auth0.com/"),
        (lambda: Provider.okta("https://acme.okta.com", "0oa1"), "okta", "https://acme.okta.com/oauth2/default"),
        (
            lambda: Provider.okta("https://acme.okta.com/", "0oa1", authorization_server="aus9"),
            "okta",
            "https://acme.okta.com/oauth2/aus9",
        ),
        (lambda: Provider.okta("https://acme.okta.com", "0oa1", authorization_server="org"), "okta", "https://acme.okta.com"),
        (lambda: Provider.gitlab("app"), "gitlab", "https://gitlab.com"),
        (lambda: Provider.gitlab("app", base_url="https://git.example/gitlab/"), "gitlab", "https://git.example/gitlab"),
    ],
)
def test_issuers(make: Callable[[], Provider], name: str, issuer: str) -> None:
    with make() as p:
        assert (p.name, p.issuer) == (name, issuer)


def test_github_has_no_issuer() -> None:
    with Provider.github("id") as g:
        assert g.issuer is None


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: Provider.keycloak("https://sso.example", "", "cli"), "realm"),
        (lambda: Provider.keycloak("https://sso.example", "a/b", "cli"), "Keycloak realm"),
        (lambda: Provider.keycloak("sso.example", "acme", "cli"), "Keycloak base URL"),
        (lambda: Provider.auth0("acme.auth0.com/x", "app"), "Auth0 domain"),
        (lambda: Provider.okta("http://acme.okta.com", "0oa1"), "Okta org URL"),
        (lambda: Provider.okta("https://acme.okta.com", "0oa1", authorization_server="a b"), "Okta authorization server"),
        (lambda: Provider.gitlab("app", base_url="ftp://git.example"), "GitLab base URL"),
    ],
)
def test_bad_arguments_are_typed_errors(make: Callable[[], Provider], words: str) -> None:
    with pytest.raises(oauthkit.InvalidArgumentError, match=words):
        make()
