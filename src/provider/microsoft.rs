//! Microsoft identity platform (Entra ID) v2.0, including the
//! multi-tenant endpoints whose issuer is a `{tenantid}` template.

use crate::error::{Error, Result};
use crate::provider::base_url::rebase;
use crate::provider::oidc::{OidcConfig, OidcProvider, TenantIssuer};

/// The login host.
pub const LOGIN_BASE: &str = "https://login.microsoftonline.com";
/// The userinfo endpoint (Microsoft Graph).
pub const USERINFO_URL: &str = "https://graph.microsoft.com/oidc/userinfo";
/// The tenant used when none is given: any work, school or personal
/// account.
pub const DEFAULT_TENANT: &str = "common";
/// The tenant id every personal Microsoft account token carries in `tid`.
pub const CONSUMERS_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
/// Scopes requested when none are configured (`offline_access` for a
/// refresh token).
pub const DEFAULT_SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

/// The Microsoft preset as data for `tenant` (`None`: `common`).
///
/// For `common`, `organizations` and `consumers`, discovery returns the
/// issuer `https://login.microsoftonline.com/{tenantid}/v2.0`; ID tokens
/// are accepted when `iss` is that template filled with their own `tid`
/// (and, for `consumers`, only the consumer tenant). A tenant id is
/// checked exactly. There is no revocation endpoint.
///
/// ```
/// use oauthkit::provider::{microsoft, Provider, OidcProvider, AuthorizeRequest};
/// let c = microsoft::config("app-id", Some("organizations")).unwrap();
/// assert_eq!(c.issuer, "https://login.microsoftonline.com/organizations/v2.0");
/// let p = OidcProvider::new(c).unwrap();
/// let url = p.build_authorize_url(&AuthorizeRequest {
///     redirect_uri: "http://127.0.0.1:9000/callback", state: "s", ..Default::default()
/// }).unwrap();
/// assert!(url.starts_with("https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?"));
/// assert!(microsoft::config("app-id", Some("../evil")).is_err());
/// ```
pub fn config(client_id: &str, tenant: Option<&str>) -> Result<OidcConfig> {
    config_at(LOGIN_BASE, client_id, tenant).map(|mut c| {
        c.endpoints.userinfo = Some(USERINFO_URL.into());
        c
    })
}

/// [`config`] with every URL on `base` (tests against a loopback server;
/// userinfo becomes `{base}/oidc/userinfo`).
pub fn config_at(base: &str, client_id: &str, tenant: Option<&str>) -> Result<OidcConfig> {
    let tenant = tenant.filter(|t| !t.is_empty()).unwrap_or(DEFAULT_TENANT);
    if !tenant
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(Error::InvalidArgument(format!(
            "Microsoft tenant '{tenant}' must be a tenant id, a domain, common, organizations or consumers"
        )));
    }
    let base = base.trim_end_matches('/');
    let mut c =
        OidcConfig::new(&format!("{base}/{tenant}/v2.0"), client_id).with_scopes(DEFAULT_SCOPES);
    c.name = "microsoft".into();
    c.endpoints.authorization = Some(format!("{base}/{tenant}/oauth2/v2.0/authorize"));
    c.endpoints.token = Some(format!("{base}/{tenant}/oauth2/v2.0/token"));
    c.endpoints.device_authorization = Some(format!("{base}/{tenant}/oauth2/v2.0/devicecode"));
    c.endpoints.userinfo = Some(rebase(USERINFO_URL, base)?);
    c.tenant_issuer = Some(TenantIssuer {
        tenant: tenant.to_owned(),
        required_tid: (tenant == "consumers").then(|| CONSUMERS_TENANT_ID.to_owned()),
    });
    Ok(c)
}

/// A ready Microsoft provider.
pub fn provider(
    client_id: &str,
    client_secret: Option<&str>,
    tenant: Option<&str>,
) -> Result<OidcProvider> {
    OidcProvider::new(
        config(client_id, tenant)?.with_client_secret(client_secret.unwrap_or_default()),
    )
}
