//! Microsoft identity platform (Entra ID) v2.0, including the
//! multi-tenant endpoints whose issuer is a `{tenantid}` template.

use crate::error::{Error, Result};
use crate::provider::base_url::rebase;
use crate::provider::oauth_provider::OAuthProvider;
use crate::provider::oidc::config::{OidcConfig, TenantIssuer};

/// The endpoints and fixed values this preset configures; outside semver
/// (`oauthkit::unversioned::provider::presets::microsoft`).
pub(crate) mod urls {
    /// The login host.
    pub const LOGIN_BASE: &str = "https://login.microsoftonline.com";
    /// The userinfo endpoint (Microsoft Graph).
    pub const USERINFO_URL: &str = "https://graph.microsoft.com/oidc/userinfo";
    /// The tenant id every personal Microsoft account token carries in `tid`.
    pub const CONSUMERS_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
}
use urls::*;

/// The tenant used when none is given: any work, school or personal
/// account.
pub const DEFAULT_TENANT: &str = "common";
/// Scopes requested when none are configured (`offline_access` for a
/// refresh token).
pub const DEFAULT_SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

/// What a Microsoft sign-in needs for a refresh token.
pub const REFRESH_TOKEN_ADVICE: &str =
    "Microsoft issues a refresh token only for the scope offline_access: add it to the scopes";

/// The Microsoft preset as data for `tenant`: a tenant id, a verified
/// domain, or one of `common` ([`DEFAULT_TENANT`]: any work, school or
/// personal account), `organizations`, `consumers`. The tenant comes
/// first, as in the C, C++ and Go presets.
///
/// For `common`, `organizations` and `consumers`, discovery returns the
/// issuer `https://login.microsoftonline.com/{tenantid}/v2.0`; ID tokens
/// are accepted when `iss` is that template filled with their own `tid`
/// (and, for `consumers`, only the consumer tenant). A tenant id is
/// checked exactly. There is no revocation endpoint.
///
/// ```
/// use oauthkit::provider::{microsoft, Provider, OAuthProvider, AuthorizeRequest};
/// let c = microsoft::config("organizations", "app-id")?;
/// assert_eq!(c.issuer, "https://login.microsoftonline.com/organizations/v2.0");
/// let p = OAuthProvider::oidc(c)?;
/// let url = p.build_authorize_url(&AuthorizeRequest {
///     redirect_uri: "http://127.0.0.1:9000/callback", state: "s", ..Default::default()
/// })?;
/// assert!(url.starts_with("https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?"));
/// assert!(microsoft::config("../evil", "app-id").is_err());
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `tenant` is empty or not a tenant id,
/// a domain or one of the three names.
pub fn config(tenant: &str, client_id: &str) -> Result<OidcConfig> {
    config_at(LOGIN_BASE, tenant, client_id).map(|mut c| {
        c.endpoints.userinfo = Some(USERINFO_URL.into());
        c
    })
}

/// [`config`] with every URL on `base` (tests against a loopback server;
/// userinfo becomes `{base}/oidc/userinfo`).
///
/// # Errors
///
/// As [`config`], and when `base` is not a URL.
pub fn config_at(base: &str, tenant: &str, client_id: &str) -> Result<OidcConfig> {
    if tenant.is_empty()
        || !tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(Error::InvalidArgument(format!(
            "Microsoft tenant '{tenant}' must be a tenant id, a domain, common, organizations or consumers"
        )));
    }
    let base = base.trim_end_matches('/');
    let mut c = OidcConfig::new(format!("{base}/{tenant}/v2.0"), client_id).scopes(DEFAULT_SCOPES);
    c.name = "microsoft".into();
    c.endpoints.authorization = Some(format!("{base}/{tenant}/oauth2/v2.0/authorize"));
    c.endpoints.token = Some(format!("{base}/{tenant}/oauth2/v2.0/token"));
    c.endpoints.device_authorization = Some(format!("{base}/{tenant}/oauth2/v2.0/devicecode"));
    c.endpoints.userinfo = Some(rebase(USERINFO_URL, base)?);
    c.refresh_token_advice = Some(REFRESH_TOKEN_ADVICE.into());
    c.tenant_issuer = Some(TenantIssuer {
        tenant: tenant.to_owned(),
        required_tid: (tenant == "consumers").then(|| CONSUMERS_TENANT_ID.to_owned()),
    });
    Ok(c)
}

/// A ready Microsoft provider for a public client. A confidential client
/// adds its secret to the configuration:
///
/// ```
/// use oauthkit::provider::{microsoft, OAuthProvider};
/// let p = OAuthProvider::oidc(microsoft::config("common", "app-id")?.client_secret("s"))?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`config`] and [`OAuthProvider::oidc`].
pub fn provider(tenant: &str, client_id: &str) -> Result<OAuthProvider> {
    OAuthProvider::oidc(config(tenant, client_id)?)
}
