//! What the token grants of a client ask for beside their own parameters:
//! scopes, RFC 8707 resources and extra form parameters. The one grant
//! request ([`GrantRequest`](crate::provider::grants::request::GrantRequest):
//! client credentials, JWT bearer, token exchange, device) and the code
//! exchange and refresh requests embed one [`GrantParams`], so the form they write, the check of their extra
//! parameters and their cache key are written once.

use serde_json::{json, Value};

use crate::digest::sha256;
use crate::error::{Error, Result};
use crate::hex::hex;

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
        let scopes = self.push_scope(form, default_scopes);
        self.push_resources(form)?;
        Ok(scopes)
    }

    /// Appends `scope` (the request's scopes, else `default_scopes`; none
    /// when empty); returns the scopes asked for.
    pub fn push_scope(
        &self,
        form: &mut Vec<(String, String)>,
        default_scopes: &[String],
    ) -> Vec<String> {
        let scopes = self
            .scopes
            .clone()
            .unwrap_or_else(|| default_scopes.to_vec());
        if !scopes.is_empty() {
            form.push(("scope".into(), scopes.join(" ")));
        }
        scopes
    }

    /// Appends each resource, refused when one is not an absolute URI
    /// without a fragment.
    pub fn push_resources(&self, form: &mut Vec<(String, String)>) -> Result<()> {
        for r in &self.resources {
            check_resource(r)?;
            form.push(("resource".into(), r.clone()));
        }
        Ok(())
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

/// A checked grant: its form and the scopes it asks for.
pub(crate) type PreparedGrant = (Vec<(String, String)>, Vec<String>);

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

/// Writes the shared setters and accessors of the request values (each
/// body, doc and example once, here) into an `impl` block. The type keeps
/// its scopes, resources and extra parameters in a field `grant:
/// GrantParams` and its DPoP key, when it has one, in `dpop_key:
/// Option<DpopKey>`.
///
/// The first argument is the doc examples' first line, making `r` of that
/// type; then the names of the items wanted, each optionally after doc
/// lines that are added to its doc (what the request does differently).
///
/// Setters: `scopes`, `resource`, `resources`, `param` (for the grants),
/// `extra_param` (the same, for the code exchange and the refresh), `dpop`.
/// Accessors: `requested_scopes`, `requested_resources`, `params`,
/// `extra_params`, `dpop_key`.
macro_rules! grant_setters {
    ($new:literal; $($(#[$m:meta])* $name:ident),* $(,)?) => {
        $($crate::provider::grants::params::grant_setters!(@$name $new [$(#[$m])*]);)*
    };
    (@scopes $new:literal [$(#[$m:meta])*]) => {
        /// Requests these scopes (an empty list sends no `scope`).
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .scopes(["read", "write"]);
        /// assert!(format!("{r:?}").contains(r#"scopes: Some(["read", "write"])"#));
        /// ```
        pub fn scopes<I, S>(mut self, scopes: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.grant.set_scopes(scopes);
            self
        }
    };
    (@resource $new:literal [$(#[$m:meta])*]) => {
        /// Adds an RFC 8707 `resource`: an absolute URI without a fragment
        /// (may repeat; checked when the request is sent).
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .resource("https://api.example/orders");
        /// assert!(format!("{r:?}").contains(r#"resources: ["https://api.example/orders"]"#));
        /// ```
        pub fn resource(mut self, resource: impl Into<String>) -> Self {
            self.grant.resources.push(resource.into());
            self
        }
    };
    (@resources $new:literal [$(#[$m:meta])*]) => {
        /// Adds several RFC 8707 resources (see [`resource`](Self::resource)).
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .resources(["https://a.example/", "https://b.example/"]);
        /// assert!(format!("{r:?}").contains(r#"resources: ["https://a.example/", "https://b.example/"]"#));
        /// ```
        pub fn resources<I, S>(mut self, resources: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.grant.resources.extend(resources.into_iter().map(Into::into));
            self
        }
    };
    (@param $new:literal [$(#[$m:meta])*]) => {
        /// Adds another form parameter. A name the request sets itself, or
        /// client authentication sets (`client_id`, `client_secret`,
        /// `client_assertion`, `client_assertion_type`), is refused when
        /// the request is sent.
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .param("tenant", "acme");
        /// assert!(format!("{r:?}").contains(r#"params: [("tenant", "acme")]"#));
        /// ```
        pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.grant.params.push((name.into(), value.into()));
            self
        }
    };
    (@extra_param $new:literal [$(#[$m:meta])*]) => {
        /// Adds an extra form parameter. A name the request sets itself, or
        /// client authentication sets (`client_id`, `client_secret`,
        /// `client_assertion`, `client_assertion_type`), is refused when
        /// the request is sent.
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .extra_param("tenant", "acme");
        /// assert_eq!(r.extra_params(), [("tenant".to_owned(), "acme".to_owned())]);
        /// ```
        pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.grant.params.push((name.into(), value.into()));
            self
        }
    };
    (@dpop $new:literal [$(#[$m:meta])*]) => {
        /// Signs the request's DPoP proof (RFC 9449) with `key`.
        $(#[$m])*
        ///
        /// ```
        /// use oauthkit::provider::SigningAlgorithm;
        /// use oauthkit::unversioned::provider::DpopKey;
        /// let key = DpopKey::generate(SigningAlgorithm::ES256)?;
        #[doc = $new]
        ///     .dpop(&key);
        /// assert!(r.dpop_key().is_some());
        /// # Ok::<(), oauthkit::Error>(())
        /// ```
        pub fn dpop(mut self, key: &$crate::jose::DpopKey) -> Self {
            self.dpop_key = Some(key.clone());
            self
        }
    };
    (@requested_scopes $new:literal [$(#[$m:meta])*]) => {
        /// The scopes set with [`scopes`](Self::scopes), if any.
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .scopes(["read"]);
        /// assert_eq!(r.requested_scopes(), Some(&["read".to_owned()][..]));
        /// ```
        pub fn requested_scopes(&self) -> Option<&[String]> {
            self.grant.scopes.as_deref()
        }
    };
    (@requested_resources $new:literal [$(#[$m:meta])*]) => {
        /// The resources set with [`resource`](Self::resource).
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .resource("https://api.example/");
        /// assert_eq!(r.requested_resources(), ["https://api.example/"]);
        /// ```
        pub fn requested_resources(&self) -> &[String] {
            &self.grant.resources
        }
    };
    (@params $new:literal [$(#[$m:meta])*]) => {
        /// The extra parameters set with [`param`](Self::param).
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .param("tenant", "acme");
        /// assert_eq!(r.params(), [("tenant".to_owned(), "acme".to_owned())]);
        /// ```
        pub fn params(&self) -> &[(String, String)] {
            &self.grant.params
        }
    };
    (@extra_params $new:literal [$(#[$m:meta])*]) => {
        /// The extra parameters set with [`extra_param`](Self::extra_param).
        $(#[$m])*
        ///
        /// ```
        #[doc = $new]
        ///     .extra_param("tenant", "acme");
        /// assert_eq!(r.extra_params().len(), 1);
        /// ```
        pub fn extra_params(&self) -> &[(String, String)] {
            &self.grant.params
        }
    };
    (@dpop_key $new:literal [$(#[$m:meta])*]) => {
        /// The DPoP key, when set.
        $(#[$m])*
        ///
        /// ```
        /// use oauthkit::provider::SigningAlgorithm;
        /// use oauthkit::unversioned::provider::DpopKey;
        /// let key = DpopKey::generate(SigningAlgorithm::ES256)?;
        #[doc = $new]
        ///     .dpop(&key);
        /// assert!(r.dpop_key().is_some());
        /// # Ok::<(), oauthkit::Error>(())
        /// ```
        pub fn dpop_key(&self) -> Option<&$crate::jose::DpopKey> {
            self.dpop_key.as_ref()
        }
    };
}
pub(crate) use grant_setters;

/// The names a token request's client authentication sets; never an extra
/// parameter of any grant.
pub(crate) const CLIENT_AUTH_PARAMS: [&str; 4] = [
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// Refuses an extra parameter whose name the request sets itself
/// (`reserved`) or client authentication sets; `what` names the request
/// in the error.
pub(crate) fn check_extra_params(
    what: &str,
    params: &[(String, String)],
    reserved: &[&str],
) -> Result<()> {
    for (k, _) in params {
        let k = k.as_str();
        if reserved.contains(&k) || CLIENT_AUTH_PARAMS.contains(&k) {
            return Err(Error::InvalidArgument(format!(
                "'{k}' cannot be set as an extra {what} parameter"
            )));
        }
    }
    Ok(())
}
