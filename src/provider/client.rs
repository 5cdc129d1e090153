//! The OAuth 2.0 wire operations shared by every provider: building the
//! authorization URL, the code and refresh grants, userinfo and RFC 7009
//! revocation. Providers decide which endpoints and client authentication
//! to use; this file only speaks the protocol.

use serde_json::{json, Value};
use url::Url;

use crate::error::{Error, Result};
use crate::jose::DpopKey;
use crate::provider::client_auth::{ClientAuthMethod, ClientCredentials};
use crate::provider::dpop::token_endpoint_wants_nonce;
use crate::provider::dpop::{DpopConfig, DpopNonces};
use crate::provider::grants::params::{check_extra_params, PreparedGrant};
use crate::provider::http::{check_endpoint_url, Auth, Body, HttpClient, Method};
use crate::provider::requests::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use crate::provider::token_response::{
    oauth_error, parse_token_response_with, status_error, TokenTypeRule,
};
use crate::provider::AuthorizeRequest;
use crate::token::TokenSet;

/// A client of one authorization server.
#[derive(Debug, Clone)]
pub(crate) struct OAuthClient {
    pub http: HttpClient,
    pub creds: ClientCredentials,
    pub scopes: Vec<String>,
    /// RFC 8707 `resource` values sent with authorization, code-exchange
    /// and refresh requests.
    pub resources: Vec<String>,
    /// DPoP (RFC 9449), when the provider is configured for it: proofs on
    /// every token, userinfo and revocation request (`dpop/client.rs`).
    pub dpop: Option<DpopState>,
}

/// A provider's DPoP settings and the nonces its authorization server gave
/// (shared by clones of the client).
#[derive(Debug, Clone)]
pub(crate) struct DpopState {
    pub config: DpopConfig,
    pub nonces: DpopNonces,
    /// The key of each grant polled over several requests (the device
    /// grant), by SHA-256 of its device code: every poll signs with the
    /// same key. The most recent few only.
    grant_keys: GrantKeys,
}

/// Device-code hashes and their keys, oldest first.
type GrantKeys = std::sync::Arc<std::sync::Mutex<Vec<([u8; 32], DpopKey)>>>;

/// Grants remembered by [`DpopState::key_for_grant`].
const GRANT_KEYS: usize = 16;

impl DpopState {
    pub fn new(config: Option<DpopConfig>) -> Option<Self> {
        config.map(|config| DpopState {
            config,
            nonces: DpopNonces::new(),
            grant_keys: Default::default(),
        })
    }

    /// The key of the grant named by `secret` (a device code), made on
    /// first use.
    pub fn key_for_grant(&self, secret: &str) -> Result<DpopKey> {
        use crate::digest::sha256;
        let id: [u8; 32] = sha256(secret.as_bytes());
        let mut keys = self.grant_keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, k)) = keys.iter().find(|(i, _)| *i == id) {
            return Ok(k.clone());
        }
        let key = self.config.generate_key()?;
        if keys.len() >= GRANT_KEYS {
            keys.remove(0);
        }
        keys.push((id, key.clone()));
        Ok(key)
    }
}

impl OAuthClient {
    /// The authorization URL: `response_type=code`, `client_id`,
    /// `redirect_uri`, `state`, `scope`, the PKCE challenge, `nonce`, then
    /// `defaults`, then the request's extra parameters (which replace
    /// earlier parameters of the same name).
    pub fn authorize_url(
        &self,
        endpoint: &str,
        request: &AuthorizeRequest<'_>,
        defaults: &[(String, String)],
    ) -> Result<String> {
        let mut url: Url = check_endpoint_url("authorization", endpoint)?;
        let params = self.authorize_params(request, defaults)?;
        url.query_pairs_mut().extend_pairs(params);
        Ok(url.into())
    }

    /// The parameters of an authorization request, in the order of
    /// [`authorize_url`](Self::authorize_url) (also what PAR pushes).
    pub fn authorize_params(
        &self,
        request: &AuthorizeRequest<'_>,
        defaults: &[(String, String)],
    ) -> Result<Vec<(String, String)>> {
        if request.redirect_uri.is_empty() || request.state.is_empty() {
            return Err(Error::InvalidArgument(
                "an authorization request needs a redirect_uri and a state".into(),
            ));
        }
        let mut params: Vec<(String, String)> = vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), self.creds.client_id.clone()),
            ("redirect_uri".into(), request.redirect_uri.into()),
            ("state".into(), request.state.into()),
        ];
        if !self.scopes.is_empty() {
            params.push(("scope".into(), self.scopes.join(" ")));
        }
        if let Some(p) = request.pkce {
            params.push(("code_challenge".into(), p.challenge().into()));
            params.push(("code_challenge_method".into(), p.method().into()));
        }
        if let Some(n) = request.nonce {
            params.push(("nonce".into(), n.into()));
        }
        for r in &self.resources {
            params.push(("resource".into(), r.clone()));
        }
        let extra = defaults
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(request.extra_params.iter().copied());
        for (k, v) in extra {
            if k == "code_challenge_method" && v == "plain" {
                return Err(Error::InvalidArgument(
                    "PKCE method 'plain' is never used".into(),
                ));
            }
            match params.iter_mut().find(|(name, _)| name == k) {
                Some(slot) => slot.1 = v.to_owned(),
                None => params.push((k.to_owned(), v.to_owned())),
            }
        }
        Ok(params)
    }

    /// `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5).
    /// `after` runs on the parsed token set before it is returned (ID-token
    /// validation), inside the same error scrubbing as the request.
    pub fn exchange_code(
        &self,
        token_url: &str,
        method: ClientAuthMethod,
        request: &CodeExchange,
        after: &mut dyn FnMut(&mut TokenSet) -> Result<()>,
    ) -> Result<TokenSet> {
        let mut form = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), request.code().expose().to_owned()),
            ("redirect_uri".to_owned(), request.redirect_uri().to_owned()),
        ];
        if let Some(v) = request.verifier() {
            form.push(("code_verifier".into(), v.expose().into()));
        }
        self.push_resources_and_params(
            &mut form,
            "code exchange",
            request.requested_resources(),
            request.extra_params(),
        )?;
        self.token_request_bound("token", token_url, method, form, request.dpop_key(), after)
    }

    /// `grant_type=refresh_token` (RFC 6749 §6). The old refresh token is
    /// kept when the provider does not rotate it. `after` as for
    /// [`exchange_code`](Self::exchange_code).
    pub fn refresh(
        &self,
        token_url: &str,
        method: ClientAuthMethod,
        request: &TokenRefresh,
        after: &mut dyn FnMut(&mut TokenSet) -> Result<()>,
    ) -> Result<TokenSet> {
        let refresh_token = request.refresh_token();
        let mut form = vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            (
                "refresh_token".to_owned(),
                refresh_token.expose().to_owned(),
            ),
        ];
        self.push_resources_and_params(
            &mut form,
            "refresh",
            request.requested_resources(),
            request.extra_params(),
        )?;
        let mut t = self.token_request_bound(
            "refresh",
            token_url,
            method,
            form,
            request.dpop_key(),
            after,
        )?;
        if t.refresh_token.is_none() {
            t.refresh_token = Some(refresh_token.clone());
        }
        Ok(t)
    }

    /// The RFC 8707 resources of a code or refresh request (the request's
    /// own, else the configured ones) and its extra parameters, refused
    /// when they name a parameter the request sets.
    fn push_resources_and_params(
        &self,
        form: &mut Vec<(String, String)>,
        what: &str,
        resources: &[String],
        extra: &[(String, String)],
    ) -> Result<()> {
        let mut reserved: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        reserved.extend(["resource", "code_verifier"]);
        check_extra_params(what, extra, &reserved)?;
        if resources.is_empty() {
            for r in &self.resources {
                form.push(("resource".into(), r.clone()));
            }
        } else {
            for r in resources {
                crate::provider::grants::params::check_resource(r)?;
                form.push(("resource".into(), r.clone()));
            }
        }
        form.extend(extra.iter().cloned());
        Ok(())
    }

    /// Any token-endpoint grant: the form plus client authentication, the
    /// response parsed (RFC 6749 §5), then `after`, all inside one
    /// [`HttpClient::call`] so no error of any step shows a secret.
    pub(crate) fn token_request(
        &self,
        endpoint: &str,
        url: &str,
        method: ClientAuthMethod,
        form: Vec<(String, String)>,
        after: &mut dyn FnMut(&mut TokenSet) -> Result<()>,
    ) -> Result<TokenSet> {
        self.token_request_bound(endpoint, url, method, form, None, after)
    }

    /// [`token_request`](Self::token_request) with the DPoP key to sign
    /// with: with DPoP configured, `None` means a new key (device and
    /// client-credentials grants, exchanges without `dpop_jkt`); the key
    /// ends up in the token set. With DPoP the request carries a proof
    /// (`dpop/client.rs`) and is sent again exactly once when the server
    /// asks for a nonce (RFC 9449 §8); without it, once.
    pub(crate) fn token_request_bound(
        &self,
        endpoint: &str,
        url: &str,
        method: ClientAuthMethod,
        form: Vec<(String, String)>,
        key: Option<&DpopKey>,
        after: &mut dyn FnMut(&mut TokenSet) -> Result<()>,
    ) -> Result<TokenSet> {
        let dpop = match (&self.dpop, key) {
            (Some(d), Some(k)) => Some((d, k.clone())),
            (Some(d), None) => Some((d, d.config.generate_key()?)),
            (None, Some(_)) => return Err(crate::provider::dpop::not_configured()),
            (None, None) => None,
        };
        let rule = match dpop {
            Some(_) => TokenTypeRule::dpop(),
            None => TokenTypeRule::default(),
        };
        let mut retried = false;
        loop {
            // client authentication applied per attempt, so an assertion
            // with its own `jti` (private_key_jwt) is never sent twice
            let applied = self.creds.apply(method, form.clone())?;
            let proof = match &dpop {
                Some((d, k)) => Some(self.dpop_proof(d, "POST", url, None, k)?),
                None => None,
            };
            let headers: Vec<(&str, &str)> = proof.iter().map(|p| ("DPoP", p.as_str())).collect();
            let answer = self.http.call(
                endpoint,
                Method::Post,
                url,
                Body::Form(&applied.pairs()),
                applied.auth(),
                &headers,
                |response, red| {
                    if let Some((d, _)) = &dpop {
                        let fresh = d.nonces.record(url, response.dpop_nonce.as_deref());
                        if !retried && fresh && token_endpoint_wants_nonce(&response) {
                            return Ok(None);
                        }
                    }
                    let mut t =
                        parse_token_response_with(endpoint, &response, &self.scopes, &rule, red)?;
                    if let Some((_, k)) = &dpop {
                        t.dpop_key = Some(k.clone());
                    }
                    after(&mut t)?;
                    Ok(Some(t))
                },
            )?;
            match answer {
                Some(t) => return Ok(t),
                None => retried = true,
            }
        }
    }

    /// GET userinfo: with the bearer token, or with `Authorization: DPoP`
    /// and a proof when the request carries a key (`dpop/client.rs`);
    /// 401/403 become typed OAuth errors (from the JSON body or
    /// `WWW-Authenticate`).
    pub fn userinfo(&self, url: &str, request: &UserinfoRequest) -> Result<Value> {
        let access_token = request.access_token().expose();
        if let Some(key) = request.dpop_key() {
            return self.dpop_userinfo(url, access_token, key);
        }
        self.http.call(
            "userinfo",
            Method::Get,
            url,
            Body::Empty,
            Auth::Bearer(access_token),
            &[],
            |r, _| userinfo_answer(r),
        )
    }
}

/// A userinfo response: the claims, or a typed error (from the JSON body or
/// `WWW-Authenticate`).
pub(crate) fn userinfo_answer(r: crate::provider::http::HttpResponse) -> Result<Value> {
    if r.is_success() {
        let v = r.json("userinfo")?;
        if !v.is_object() {
            return Err(Error::Http {
                endpoint: "userinfo".into(),
                message: "userinfo response is not a JSON object".into(),
                source: None,
            });
        }
        return Ok(v);
    }
    if let Some(e) = r
        .json("userinfo")
        .ok()
        .and_then(|v| oauth_error("userinfo", r.status, &v))
    {
        return Err(e);
    }
    if let Some(e) = r
        .www_authenticate
        .as_deref()
        .and_then(|h| bearer_challenge_error(r.status, h))
    {
        return Err(e);
    }
    Err(status_error("userinfo", &r))
}

impl OAuthClient {
    /// RFC 7009 revocation: POST `token` and `token_type_hint` with the
    /// token endpoint's client authentication. `Ok(true)` on 2xx.
    pub fn revoke(
        &self,
        url: &str,
        method: ClientAuthMethod,
        request: &TokenRevocation,
    ) -> Result<bool> {
        let key = request.dpop_key();
        let mut form = vec![("token".to_owned(), request.token().expose().to_owned())];
        if let Some(h) = request.type_hint() {
            form.push(("token_type_hint".into(), h.as_str().into()));
        }
        let applied = self.creds.apply(method, form)?;
        // DPoP: a proof by the token's key when there is one (RFC 9449
        // defines none for revocation; servers that check get one)
        let proof = match (&self.dpop, key) {
            (Some(dpop), Some(k)) => Some(self.dpop_proof(dpop, "POST", url, None, k)?),
            _ => None,
        };
        let headers: Vec<(&str, &str)> = proof.iter().map(|p| ("DPoP", p.as_str())).collect();
        self.http.call(
            "revocation",
            Method::Post,
            url,
            Body::Form(&applied.pairs()),
            applied.auth(),
            &headers,
            |r, _| {
                if r.is_success() {
                    return Ok(true);
                }
                Err(r
                    .json("revocation")
                    .ok()
                    .and_then(|v| oauth_error("revocation", r.status, &v))
                    .unwrap_or_else(|| status_error("revocation", &r)))
            },
        )
    }

    /// GitHub's Applications API: `DELETE /applications/{client_id}/token`
    /// with Basic auth (id, secret) and `{"access_token": ...}`. 204 means
    /// revoked, 404 means there was nothing to revoke (`Ok(false)`).
    pub fn revoke_github(&self, url: &str, token: &str) -> Result<bool> {
        let Some(secret) = self.creds.client_secret.as_ref().filter(|s| !s.is_empty()) else {
            return Err(Error::InvalidArgument(
                "GitHub token revocation needs the client secret".into(),
            ));
        };
        let body = json!({ "access_token": token });
        self.http.call(
            "revocation",
            Method::Delete,
            url,
            Body::Json(&body),
            Auth::Basic(&self.creds.client_id, secret.expose()),
            &[("Accept", "application/vnd.github+json")],
            |r, _| match r.status {
                200..=299 => Ok(true),
                404 => Ok(false),
                _ => Err(r
                    .json("revocation")
                    .ok()
                    .and_then(|v| {
                        v.get("message")
                            .and_then(Value::as_str)
                            .map(|m| Error::OAuth {
                                endpoint: "revocation".into(),
                                status: Some(r.status),
                                error: "github_error".into(),
                                description: Some(m.chars().take(300).collect()),
                                source: None,
                            })
                    })
                    .unwrap_or_else(|| status_error("revocation", &r))),
            },
        )
    }
}

/// `Bearer error="invalid_token", error_description="..."` (RFC 6750 §3).
fn bearer_challenge_error(status: u16, header: &str) -> Option<Error> {
    let param = |name: &str| -> Option<String> {
        let start = header.find(&format!("{name}=\""))? + name.len() + 2;
        let end = header[start..].find('"')? + start;
        Some(header[start..end].to_owned())
    };
    let error = param("error")?;
    Some(Error::OAuth {
        endpoint: "userinfo".into(),
        status: Some(status),
        error,
        description: param("error_description"),
        source: None,
    })
}

impl OAuthClient {
    /// A grant's token request through the shared one, as a client whose
    /// scopes are the grant's (those the tokens get when the answer names
    /// none) and with no configured resources (the form has the grant's
    /// own); `after` runs on the token set (ID-token validation), which
    /// then records the request, `stored`, under `member` of its extra
    /// members, marking it as that grant's.
    pub(crate) fn grant_token_request(
        &self,
        token_url: &str,
        method: ClientAuthMethod,
        (form, scopes): PreparedGrant,
        after: &mut dyn FnMut(&mut TokenSet) -> Result<()>,
        (member, stored): (&str, Value),
    ) -> Result<TokenSet> {
        let client = OAuthClient {
            http: self.http.clone(),
            creds: self.creds.clone(),
            scopes,
            resources: Vec::new(),
            dpop: self.dpop.clone(),
        };
        let mut t = client.token_request("token", token_url, method, form, after)?;
        t.extra.insert(member.to_owned(), stored);
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenge() {
        let e = bearer_challenge_error(
            401,
            r#"Bearer realm="x", error="invalid_token", error_description="revoked""#,
        )
        .unwrap();
        match e {
            Error::OAuth {
                error, description, ..
            } => {
                assert_eq!(error, "invalid_token");
                assert_eq!(description.as_deref(), Some("revoked"));
            }
            other => panic!("{other:?}"),
        }
        assert!(bearer_challenge_error(401, "Bearer realm=\"x\"").is_none());
    }
}
