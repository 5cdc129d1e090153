//! Tokens from panva's oidc-provider (tests/browser/oidc-server.mjs) for
//! tests that need a real user's token as input (token exchange).

use oauthkit::provider::CodeExchange;
use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};

use crate::interactions;
use crate::node_idp::NodeIdp;

const REDIRECT_URI: &str = "http://127.0.0.1:4567/callback";

/// A user's access token from a real sign-in of `login` with the public
/// client (scope `openid`), its login and consent forms driven over HTTP.
pub fn user_access_token(idp: &NodeIdp, login: &str) -> String {
    let p = OAuthProvider::oidc(OidcConfig::new(&idp.issuer, &idp.client_id).scopes(["openid"]))
        .unwrap();
    let (url, _state, nonce, pkce) = interactions::authorize_url(&p, REDIRECT_URI, &[]);
    let redirect = interactions::sign_in(&url, REDIRECT_URI, login);
    let code = redirect.param("code").expect("a code");
    let t = p
        .exchange_code(
            &CodeExchange::new(&code, REDIRECT_URI)
                .pkce_verifier(pkce.verifier())
                .nonce(&nonce),
        )
        .unwrap();
    t.access_token.expose().to_owned()
}

/// The token-exchange client of oidc-server.mjs: (client id, secret).
pub fn tx_client(idp: &NodeIdp) -> (String, String) {
    let id = idp.client("tx");
    let secret = format!("{id}-secret-0123456789abcdef0123456789abcdef");
    (id, secret)
}
