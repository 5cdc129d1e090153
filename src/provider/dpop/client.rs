//! DPoP on the provider's own requests: proofs for the token endpoint
//! (every grant, through `client.rs`'s one token request), userinfo and
//! revocation, each retried exactly once when the server asks for a nonce
//! (RFC 9449 §8: `400 {"error":"use_dpop_nonce"}`; §9: `401` with
//! `WWW-Authenticate: DPoP error="use_dpop_nonce"`). Every response's
//! `DPoP-Nonce` is remembered for its origin.

use serde_json::Value;

use super::proof::ProofRequest;
use crate::error::Result;
use crate::jose::DpopKey;
use crate::provider::client::{userinfo_answer, DpopState, OAuthClient};
use crate::provider::http::{Auth, Body, Method};

impl OAuthClient {
    /// A proof for one request to the provider, with the nonce its origin
    /// gave last.
    pub(crate) fn dpop_proof(
        &self,
        dpop: &DpopState,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        key: &DpopKey,
    ) -> Result<String> {
        let nonce = dpop.nonces.get(url);
        let mut request = ProofRequest::new(method, url).nonce(nonce.as_deref());
        if let Some(at) = access_token {
            request = request.access_token(at);
        }
        request.sign(key)
    }

    /// GET userinfo with `Authorization: DPoP` and a proof with `ath`.
    pub(crate) fn dpop_userinfo(
        &self,
        url: &str,
        access_token: &str,
        key: &DpopKey,
    ) -> Result<Value> {
        let Some(dpop) = &self.dpop else {
            return Err(super::not_configured());
        };
        let mut retried = false;
        loop {
            let proof = self.dpop_proof(dpop, "GET", url, Some(access_token), key)?;
            let answer = self.http.call(
                "userinfo",
                Method::Get,
                url,
                Body::Empty,
                Auth::Dpop(access_token),
                &[("DPoP", &proof)],
                |r, _| {
                    let again = dpop.nonces.record_response(
                        url,
                        r.status,
                        r.www_authenticate.as_deref(),
                        r.dpop_nonce.as_deref(),
                    );
                    if again && !retried {
                        return Ok(None);
                    }
                    userinfo_answer(r).map(Some)
                },
            )?;
            match answer {
                Some(v) => return Ok(v),
                None => retried = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::nonce::token_endpoint_wants_nonce;
    use crate::provider::http::HttpResponse;

    fn resp(status: u16, body: &str, www: Option<&str>) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some("application/json".into()),
            www_authenticate: www.map(str::to_owned),
            dpop_nonce: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn nonce_requests_are_recognised() {
        assert!(token_endpoint_wants_nonce(&resp(
            400,
            r#"{"error":"use_dpop_nonce"}"#,
            None
        )));
        assert!(token_endpoint_wants_nonce(&resp(
            401,
            "",
            Some(r#"DPoP error="use_dpop_nonce""#)
        )));
        assert!(!token_endpoint_wants_nonce(&resp(
            400,
            r#"{"error":"invalid_dpop_proof"}"#,
            None
        )));
        assert!(!token_endpoint_wants_nonce(&resp(
            200,
            r#"{"error":"use_dpop_nonce"}"#,
            None
        )));
        assert!(!token_endpoint_wants_nonce(&resp(400, "not json", None)));
    }
}
