//! OAuth 2.0 Token Exchange (RFC 8693): a client trades a token it holds
//! (the subject token, and optionally an actor token for delegation) for
//! another token, for another audience or resource, with other scopes or of
//! another type. It goes over the provider's token endpoint with the
//! provider's client authentication, like every other grant.
//!
//! The answer is a [`TokenSet`]; its required `issued_token_type` is kept
//! in the set ([`TokenSet::issued_token_type`]). RFC 8693 §2.2.1: when
//! the issued token is not an access token, `token_type` may be `N_A`
//! ("not applicable"). oauthkit accepts `N_A` only then — an answer that
//! says it issued an access token must still be a Bearer token (RFC 6749
//! §7.1) — and keeps `"N_A"` as the token set's `token_type`, so nothing
//! sends such a token as `Authorization: Bearer` by mistake
//! ([`TokenSet::bearer_usable`]).
//!
//! The subject and actor tokens are secrets: redacted in `Debug` and
//! scrubbed from every error of the request, whatever the provider echoes.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::grants::request::{Grant, GrantRequest};
use crate::provider::http::{Body, HttpResponse, Method};
use crate::provider::token_response::{parse_token_response_with, TokenTypeRule};
use crate::token::TokenSet;

/// The grant type of RFC 8693.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The token type identifiers of RFC 8693 §3.
pub mod token_types {
    /// An OAuth 2.0 access token.
    pub const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
    /// An OAuth 2.0 refresh token.
    pub const REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
    /// An OpenID Connect ID token.
    pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
    /// A base64url-encoded SAML 1.1 assertion.
    pub const SAML1: &str = "urn:ietf:params:oauth:token-type:saml1";
    /// A base64url-encoded SAML 2.0 assertion.
    pub const SAML2: &str = "urn:ietf:params:oauth:token-type:saml2";
    /// A JWT (RFC 7519).
    pub const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
}

/// The `token_type` of an answer whose issued token is not an access token
/// (RFC 8693 §2.2.1).
pub const TOKEN_TYPE_NOT_APPLICABLE: &str = "N_A";

impl GrantRequest {
    /// The request form, checked (RFC 8693 §2.1).
    pub(crate) fn token_exchange_form(&self) -> Result<Vec<(String, String)>> {
        self.check("token_exchange")?;
        let Grant::TokenExchange(exchange) = &self.kind else {
            return Err(self.wrong_grant("token_exchange"));
        };
        let exchange = exchange.as_ref();
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if exchange.subject_token.is_empty() {
            return bad("token exchange needs a subject token".into());
        }
        check_type("subject_token_type", &exchange.subject_token_type)?;
        let mut form = vec![
            ("grant_type".to_owned(), GRANT_TYPE.to_owned()),
            (
                "subject_token".to_owned(),
                exchange.subject_token.expose().to_owned(),
            ),
            (
                "subject_token_type".to_owned(),
                exchange.subject_token_type.clone(),
            ),
        ];
        if let Some((token, ty)) = &exchange.actor {
            if token.is_empty() {
                return bad("the actor token is empty".into());
            }
            check_type("actor_token_type", ty)?;
            form.push(("actor_token".into(), token.expose().to_owned()));
            form.push(("actor_token_type".into(), ty.clone()));
        }
        if let Some(t) = &exchange.requested_token_type {
            check_type("requested_token_type", t)?;
            form.push(("requested_token_type".into(), t.clone()));
        }
        for a in &self.audiences {
            if a.is_empty() {
                return bad("an audience is empty".into());
            }
            form.push(("audience".into(), a.clone()));
        }
        self.grant.push_resources(&mut form)?;
        self.grant.push_scope(&mut form, &[]);
        // every name the form can hold (so also those it holds now)
        self.grant.push_params(
            &mut form,
            "token exchange",
            &[
                "grant_type",
                "subject_token",
                "subject_token_type",
                "actor_token",
                "actor_token_type",
                "requested_token_type",
                "scope",
                "resource",
                "audience",
            ],
        )?;
        Ok(form)
    }
}

/// A token type identifier is an absolute URI (RFC 8693 §3); a short name
/// such as `access_token` is a mistake worth naming before the request.
fn check_type(what: &str, t: &str) -> Result<()> {
    let ok = url::Url::parse(t).is_ok() && !t.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "{what} '{}' is not a token type URI (e.g. {})",
            t.chars().take(100).collect::<String>(),
            token_types::ACCESS_TOKEN
        )))
    }
}

/// Parses a token exchange answer: `issued_token_type` is required; `N_A`
/// as `token_type` is taken only for a token that is not an access token.
fn parse_exchange_response(
    response: HttpResponse,
    red: &mut crate::provider::http::redact::Redactor,
) -> Result<TokenSet> {
    let malformed = |message: String| Error::Http {
        endpoint: "token exchange".into(),
        message,
        source: None,
    };
    // the shared parser's typed errors (OAuth errors, malformed bodies)
    let shared_errors = |red: &mut crate::provider::http::redact::Redactor| {
        parse_token_response_with(
            "token exchange",
            &response,
            &[],
            &TokenTypeRule::default(),
            red,
        )
        .map(drop)
    };
    let parsed: Option<Value> = response
        .is_success()
        .then(|| serde_json::from_slice(&response.body).ok())
        .flatten();
    let Some(Value::Object(mut map)) = parsed else {
        // errors and malformed bodies get the shared parser's typed
        // errors; should it accept the body anyway, there is still no
        // issued_token_type to return
        shared_errors(red)?;
        return Err(malformed(
            "the token exchange answer is not a JSON object".into(),
        ));
    };
    red.add_token_response(&Value::Object(map.clone()));
    if map.contains_key("error") {
        // GitHub-style 200 errors: the shared parser names them
        shared_errors(red)?;
    }
    let issued_token_type = match map.get("issued_token_type") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => {
            return Err(malformed(
                "the token exchange answer's issued_token_type is not a non-empty string".into(),
            ))
        }
        None => {
            return Err(malformed(
                "the token exchange answer has no issued_token_type (RFC 8693 §2.2.1 requires it)"
                    .into(),
            ))
        }
    };
    let not_applicable =
        map.get("token_type").and_then(Value::as_str) == Some(TOKEN_TYPE_NOT_APPLICABLE);
    if not_applicable {
        if issued_token_type == token_types::ACCESS_TOKEN {
            return Err(malformed(
                "the token exchange answer issued an access token with token_type N_A; an access token must have a usable type (RFC 8693 §2.2.1)"
                    .into(),
            ));
        }
        // Checked here, so the shared Bearer rule does not refuse it.
        map.remove("token_type");
    }
    let body = serde_json::to_vec(&Value::Object(map))
        .map_err(|e| malformed(format!("re-reading the token exchange answer failed: {e}")))?;
    let rewritten = HttpResponse {
        status: response.status,
        content_type: response.content_type.clone(),
        www_authenticate: None,
        dpop_nonce: None,
        body,
    };
    let mut tokens = parse_token_response_with(
        "token exchange",
        &rewritten,
        &[],
        &TokenTypeRule::default(),
        red,
    )?;
    if not_applicable {
        tokens.token_type = TOKEN_TYPE_NOT_APPLICABLE.to_owned();
    }
    tokens
        .extra
        .insert("issued_token_type".into(), Value::String(issued_token_type));
    Ok(tokens)
}

impl OAuthClient {
    /// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` with
    /// the client's authentication.
    pub(crate) fn token_exchange(
        &self,
        token_url: &str,
        method: ClientAuthMethod,
        request: &GrantRequest,
    ) -> Result<TokenSet> {
        let form = request.token_exchange_form()?;
        let applied = self.creds.apply(method, form)?;
        let mut response = self.http.call(
            "token exchange",
            Method::Post,
            token_url,
            Body::Form(&applied.pairs()),
            applied.auth(),
            &[],
            parse_exchange_response,
        )?;
        if response.scopes.is_empty() {
            // RFC 6749 §5.1: no `scope` means the requested one
            if let Some(s) = &request.grant.scopes {
                response.scopes = s.clone();
            }
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::http::redact::Redactor;

    fn answer(status: u16, body: Value) -> Result<TokenSet> {
        let r = HttpResponse {
            status,
            content_type: Some("application/json".into()),
            www_authenticate: None,
            dpop_nonce: None,
            body: body.to_string().into_bytes(),
        };
        parse_exchange_response(r, &mut Redactor::new())
    }

    #[test]
    fn not_applicable_only_for_tokens_that_are_not_access_tokens() {
        use serde_json::json;
        let ok = answer(
            200,
            json!({"access_token": "eyJ.x.y", "token_type": "N_A",
                   "issued_token_type": token_types::JWT, "expires_in": 60}),
        )
        .unwrap();
        assert_eq!(ok.token_type, "N_A");
        assert!(!ok.bearer_usable());
        assert_eq!(ok.issued_token_type(), Some(token_types::JWT));
        // the issued type is part of the set: it survives the stored form
        let back = TokenSet::from_json(&ok.to_json()).unwrap();
        assert_eq!(back.issued_token_type(), Some(token_types::JWT));
        assert!(!back.bearer_usable());
        let e = answer(
            200,
            json!({"access_token": "at", "token_type": "N_A",
                   "issued_token_type": token_types::ACCESS_TOKEN}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("N_A"), "{e}");
        // any other unknown type stays refused, even for a JWT
        assert!(answer(
            200,
            json!({"access_token": "at", "token_type": "mac",
                   "issued_token_type": token_types::JWT}),
        )
        .is_err());
        // lower-case n_a is not the registered value
        assert!(answer(
            200,
            json!({"access_token": "at", "token_type": "n_a",
                   "issued_token_type": token_types::JWT}),
        )
        .is_err());
        let b = answer(
            200,
            json!({"access_token": "at", "token_type": "Bearer",
                   "issued_token_type": token_types::ACCESS_TOKEN}),
        )
        .unwrap();
        assert!(b.bearer_usable());
    }

    #[test]
    fn issued_token_type_is_required_and_errors_are_typed() {
        use serde_json::json;
        let e = answer(200, json!({"access_token": "at", "token_type": "Bearer"})).unwrap_err();
        assert!(e.to_string().contains("issued_token_type"), "{e}");
        let e = answer(
            200,
            json!({"access_token": "at", "token_type": "Bearer", "issued_token_type": 5}),
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Http);
        let e = answer(400, json!({"error": "invalid_target"})).unwrap_err();
        assert!(matches!(&e, Error::OAuth { error, .. } if error == "invalid_target"));
        let e = answer(200, json!({"error": "invalid_request"})).unwrap_err();
        assert!(matches!(&e, Error::OAuth { error, .. } if error == "invalid_request"));
        let e = answer(200, json!([1])).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Http);
    }

    #[test]
    fn form_checks() {
        let base = GrantRequest::token_exchange("st", token_types::ACCESS_TOKEN);
        let f = base.clone().token_exchange_form().unwrap();
        assert_eq!(f[0], ("grant_type".to_owned(), GRANT_TYPE.to_owned()));
        assert!(!f.iter().any(|(k, _)| k == "scope" || k == "actor_token"));
        for bad in [
            GrantRequest::token_exchange("", token_types::ACCESS_TOKEN),
            GrantRequest::token_exchange("st", "access_token"),
            GrantRequest::token_exchange("st", ""),
            base.clone().actor_token("", token_types::JWT),
            base.clone().actor_token("a", "jwt"),
            base.clone().requested_token_type("id token"),
            base.clone().resource("relative/path"),
            base.clone().resource("https://api.example/#frag"),
            base.clone().audience(""),
            base.clone().param("subject_token", "x"),
            base.clone().param("client_secret", "x"),
            base.clone().param("grant_type", "x"),
        ] {
            let e = bad.token_exchange_form().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{e}");
        }
        let f = base
            .actor_token("act", token_types::JWT)
            .audience("a1")
            .audience("a2")
            .resource("https://r.example/")
            .scopes(["x", "y"])
            .param("custom", "v")
            .token_exchange_form()
            .unwrap();
        let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "grant_type",
                "subject_token",
                "subject_token_type",
                "actor_token",
                "actor_token_type",
                "audience",
                "audience",
                "resource",
                "scope",
                "custom"
            ]
        );
    }
}
