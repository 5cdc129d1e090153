//! What the token grants of a client ask for beside their own parameters:
//! scopes, RFC 8707 resources and extra form parameters. The client
//! credentials, JWT bearer and device requests embed one
//! [`GrantParams`], so the form they write, the check of their extra
//! parameters and their cache key are written once.

use serde_json::{json, Value};

use crate::digest::sha256;
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::provider::requests::check_extra_params;

/// The scopes, resources and extra parameters of a grant request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GrantParams {
    /// The scopes asked for instead of the provider's configured ones.
    pub scopes: Option<Vec<String>>,
    /// RFC 8707 resources.
    pub resources: Vec<String>,
    /// Extra form parameters.
    pub params: Vec<(String, String)>,
}

impl GrantParams {
    /// Sets the scopes (an empty list sends no `scope`).
    pub fn set_scopes<I, S>(&mut self, scopes: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
    }

    /// Appends `scope` (the request's scopes, else `default_scopes`; none
    /// when empty) and each resource, checked; returns the scopes asked
    /// for.
    pub fn push_scope_and_resources(
        &self,
        form: &mut Vec<(String, String)>,
        default_scopes: &[String],
    ) -> Result<Vec<String>> {
        let scopes = self
            .scopes
            .clone()
            .unwrap_or_else(|| default_scopes.to_vec());
        if !scopes.is_empty() {
            form.push(("scope".into(), scopes.join(" ")));
        }
        for r in &self.resources {
            check_resource(r)?;
            form.push(("resource".into(), r.clone()));
        }
        Ok(scopes)
    }

    /// Appends the extra parameters, refused (for the request named
    /// `what`) when one names a parameter the grant sets (`reserved`) or
    /// client authentication sets.
    pub fn push_params(
        &self,
        form: &mut Vec<(String, String)>,
        what: &str,
        reserved: &[&str],
    ) -> Result<()> {
        check_extra_params(what, &self.params, reserved)?;
        form.extend(self.params.iter().cloned());
        Ok(())
    }

    /// The parts of a cache key: the scopes (sorted, without repeats;
    /// `null` when not set), the resources (the same) and the parameters
    /// (sorted).
    pub fn canonical(&self) -> [Value; 3] {
        let mut scopes = self.scopes.clone();
        if let Some(s) = scopes.as_mut() {
            s.sort();
            s.dedup();
        }
        let mut resources = self.resources.clone();
        resources.sort();
        resources.dedup();
        let mut params = self.params.clone();
        params.sort();
        [json!(scopes), json!(resources), json!(params)]
    }
}

/// The store key of a grant's tokens: `{grant}:{client_id}:{hash}`, the
/// client id shown without control characters (at most 100), the hash
/// SHA-256 (128 bits shown) over the JSON array of the client id and
/// `parts` (what the request asks for, canonical), so two requests that
/// ask for the same thing share one cached token and two that differ
/// never do.
pub(crate) fn cache_key(grant: &str, client_id: &str, parts: Vec<Value>) -> String {
    let mut all = vec![json!(client_id)];
    all.extend(parts);
    let canonical = Value::Array(all).to_string();
    let digest = sha256(canonical.as_bytes());
    let shown: String = client_id
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    format!("{grant}:{shown}:{}", hex(&digest[..16]))
}

/// RFC 8707 §2: a resource is an absolute URI without a fragment.
pub(crate) fn check_resource(r: &str) -> Result<()> {
    if url::Url::parse(r).map_or(true, |u| u.fragment().is_some()) {
        return Err(Error::InvalidArgument(format!(
            "resource '{r}' is not an absolute URI without a fragment"
        )));
    }
    Ok(())
}
