//! Which HTTP proxy a provider's requests go through: the environment's
//! (the default), none, or one given to this provider.
//!
//! A proxy URL may carry credentials (`http://user:password@proxy:3128`).
//! The password is a [`Secret`]: `Debug` shows the proxy as
//! `scheme://***@host:port` (credentials hidden), and every error of the provider's
//! requests is scrubbed of it (and of the `Proxy-Authorization` value made
//! from it).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use url::Url;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// How a provider's HTTP client reaches the network.
///
/// ```
/// use oauthkit::unversioned::provider::http::HttpConfig;
/// use oauthkit::unversioned::provider::http::HttpProxy;
/// // through the company proxy, except for the internal identity provider
/// let proxy = HttpProxy::url("http://proxy.corp.example:3128")?.no_proxy(["idp.corp.example"]);
/// let http = HttpConfig::default().proxy(proxy);
/// // straight to the provider, whatever HTTPS_PROXY says
/// let direct = HttpConfig::default().proxy(HttpProxy::Direct);
/// # let _ = (http, direct);
/// // credentials never show
/// let p = HttpProxy::url("http://me:hunter2@proxy.example:8080")?;
/// assert_eq!(format!("{p:?}"), "HttpProxy::Url(http://***@proxy.example:8080)");
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpProxy {
    /// `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (also in
    /// lower case), read when the provider's client is built (see the
    /// proxies section of the provider docs).
    #[default]
    Environment,
    /// No proxy, whatever the environment says.
    Direct,
    /// The proxy of [`HttpProxy::url`]: an `http` or `https` URL with
    /// optional credentials, and host names that bypass it.
    Url(ProxyUrl),
}

/// A proxy given by URL (see [`HttpProxy::url`]); its password is secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    scheme: String,
    host: String,
    port: u16,
    username: Option<String>,
    password: Option<Secret>,
    no_proxy: Vec<String>,
}

impl HttpProxy {
    /// A proxy at `url` (`http://[user[:password]@]host[:port]`, or
    /// `https://` for a proxy spoken to over TLS). The port defaults to 80
    /// for `http` and 443 for `https`. Requests to https providers tunnel
    /// through it with `CONNECT`: the proxy sees the host name, not the
    /// traffic.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `url` is not such a URL (another
    /// scheme, no host, a path or query); the message never quotes the
    /// password.
    pub fn url(url: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "proxy URL '{}': {why}",
                crate::url_text::redact_url(url)
            ))
        };
        let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        let default_port = match parsed.scheme() {
            "http" => 80,
            "https" => 443,
            _ => {
                return Err(bad(
                    "the scheme must be http or https (SOCKS proxies are not supported)",
                ))
            }
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it has no host"))?;
        if !matches!(parsed.path(), "" | "/")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(bad("a proxy URL has no path, query or fragment"));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| bad("its credentials are not UTF-8"))
        };
        let username = match parsed.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = parsed.password().map(decode).transpose()?.map(Secret::new);
        let proxy = ProxyUrl {
            scheme: parsed.scheme().to_owned(),
            host: host.to_owned(),
            port: parsed.port().unwrap_or(default_port),
            username,
            password,
            no_proxy: Vec::new(),
        };
        // what the HTTP client is given later must exist now: a proxy that
        // failed to build there would mean a direct connection
        if proxy.to_ureq().is_none() {
            return Err(bad("the HTTP client cannot use it"));
        }
        Ok(HttpProxy::Url(proxy))
    }

    /// Host names that bypass a [`Url`](HttpProxy::Url) proxy: compared
    /// without the port, case-insensitively; `*.example.com` or
    /// `.example.com` matches subdomains, `*` matches every host. No effect
    /// on the other choices.
    pub fn no_proxy<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if let HttpProxy::Url(p) = &mut self {
            p.no_proxy
                .extend(hosts.into_iter().map(Into::into).filter(|h| !h.is_empty()));
        }
        self
    }

    /// The secrets this choice holds, for scrubbing errors: the password
    /// and the `Proxy-Authorization` credentials made from it.
    pub(crate) fn secrets(&self) -> Vec<Secret> {
        match self {
            HttpProxy::Url(ProxyUrl {
                username,
                password: Some(password),
                ..
            }) => {
                let user = username.as_deref().unwrap_or_default();
                let basic = STANDARD.encode(format!("{user}:{}", password.expose()));
                vec![password.clone(), Secret::new(basic)]
            }
            _ => Vec::new(),
        }
    }

    /// The proxy for the HTTP client; `None` means a direct connection.
    pub(crate) fn to_ureq(&self) -> Option<ureq::Proxy> {
        match self {
            HttpProxy::Environment => ureq::Proxy::try_from_env(),
            HttpProxy::Direct => None,
            HttpProxy::Url(p) => p.to_ureq(),
        }
    }
}

impl ProxyUrl {
    fn to_ureq(&self) -> Option<ureq::Proxy> {
        let protocol = match self.scheme.as_str() {
            "https" => ureq::ProxyProtocol::Https,
            _ => ureq::ProxyProtocol::Http,
        };
        let mut b = ureq::Proxy::builder(protocol)
            .host(&self.host)
            .port(self.port);
        if let Some(u) = &self.username {
            b = b.username(u);
        }
        if let Some(p) = &self.password {
            b = b.password(p.expose());
        }
        for h in &self.no_proxy {
            b = b.no_proxy(h);
        }
        // built once by HttpProxy::url already, so this cannot fail later
        b.build().ok()
    }
}

impl fmt::Debug for HttpProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpProxy::Environment => f.write_str("HttpProxy::Environment"),
            HttpProxy::Direct => f.write_str("HttpProxy::Direct"),
            HttpProxy::Url(p) => write!(f, "HttpProxy::Url({p:?})"),
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        // the user name too: in a mangled URL it may be the password
        if self.username.is_some() || self.password.is_some() {
            f.write_str("***@")?;
        }
        write!(f, "{}:{}", self.host, self.port)?;
        if !self.no_proxy.is_empty() {
            write!(f, " (not for {})", self.no_proxy.join(","))?;
        }
        Ok(())
    }
}
