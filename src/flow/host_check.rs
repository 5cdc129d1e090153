//! The loopback callback server's `Host` check, its defence against DNS
//! rebinding (RFC 8252 §8.3 leaves it to the app; browsers let any web page
//! send requests to a name it resolves to 127.0.0.1, but the browser then
//! names the page's host in `Host`).
//!
//! Only the authority of the redirect URI is served: the configured host
//! (`127.0.0.1`, `[::1]` or `localhost`) with the bound port. What counts as
//! the same authority, and what does not:
//!
//! | `Host` (or absolute-form target) | served? |
//! |---|---|
//! | `127.0.0.1:PORT` (the redirect URI's own spelling) | yes |
//! | `LOCALHOST:PORT`, `LocalHost:PORT` when the host is `localhost` | yes: host names are case-insensitive (RFC 3986 §3.2.2) and none of them can be rebound |
//! | `127.0.0.1` without a port, only when the bound port is 80 | yes (the default port a browser leaves out) |
//! | another name (`evil.example:PORT`, `localhost.evil:PORT`) | no |
//! | another port, a port with leading zeros, an empty port | no |
//! | `localhost.:PORT`, `127.0.0.1.:PORT` (trailing dot) | no: a fully-qualified name is looked up in DNS and can be rebound |
//! | another spelling of the address (`127.1`, `2130706433`, `[0:0::1]`) or the other loopback form (`localhost` when the redirect URI says `127.0.0.1`) | no: browsers send the redirect URI's canonical spelling, nothing else is needed |
//! | userinfo (`a@127.0.0.1:PORT`), spaces, a list (`127.0.0.1:PORT, evil`) | no |
//! | no `Host`, or two or more `Host` headers (RFC 9112 §3.2) | no |
//! | an absolute-form target (`GET http://HOST:PORT/callback`) naming another authority or another scheme; an asterisk or authority-form target | no |
//!
//! An absolute-form target naming this authority is served (RFC 9112
//! §3.2.2), and the `Host` header must then name it too.

/// The one authority the callback server answers for.
#[derive(Debug, Clone)]
pub(crate) struct LoopbackAuthority {
    /// Lowercase host as in the redirect URI: `127.0.0.1`, `[::1]`,
    /// `localhost`.
    host: String,
    port: u16,
}

/// Why a request was refused before its path was looked at.
pub(crate) type HostRejection = &'static str;

impl LoopbackAuthority {
    /// The authority `host:port` (`host` as written in the redirect URI).
    pub(crate) fn new(host: &str, port: u16) -> Self {
        LoopbackAuthority {
            host: host.to_ascii_lowercase(),
            port,
        }
    }

    /// Whether `value` (a `Host` header value or the authority of an
    /// absolute-form target) names this authority.
    pub(crate) fn matches(&self, value: &str) -> bool {
        let (host, port) = match value.rsplit_once(':') {
            // `[::1]` alone has colons but no port after the bracket.
            Some((h, p)) if !p.contains(']') => (h, Some(p)),
            _ => (value, None),
        };
        let port_ok = match port {
            // Digits only, no sign, no leading zero: the canonical spelling.
            Some(p) => {
                !p.is_empty()
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && !(p.len() > 1 && p.starts_with('0'))
                    && p.parse::<u16>().ok() == Some(self.port)
            }
            None => self.port == 80,
        };
        port_ok && host.eq_ignore_ascii_case(&self.host)
    }

    /// Checks a request's target and its `Host` headers; returns the
    /// origin-form target (`/callback?...`) to route.
    pub(crate) fn check<'a>(
        &self,
        target: &'a str,
        host_headers: &[&str],
    ) -> Result<&'a str, HostRejection> {
        let host = match host_headers {
            [] => return Err("the request has no Host header"),
            [one] => *one,
            _ => return Err("the request has more than one Host header"),
        };
        if !self.matches(host) {
            return Err("the Host header names another server");
        }
        if target.starts_with('/') {
            return Ok(target);
        }
        let scheme_len = "http://".len();
        let is_http = target
            .get(..scheme_len)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
        if !is_http {
            return Err("the request target is not a path on this server");
        }
        let rest = &target[scheme_len..];
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if !self.matches(authority) {
            return Err("the request target names another server");
        }
        match path {
            "" => Ok("/"),
            p if p.starts_with('/') => Ok(p),
            // `http://host:port?query`: the empty path is `/`, but routing
            // it is not worth the ambiguity.
            _ => Err("the request target is not a path on this server"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LoopbackAuthority;

    #[test]
    fn only_the_configured_authority_matches() {
        let v4 = LoopbackAuthority::new("127.0.0.1", 4711);
        assert!(v4.matches("127.0.0.1:4711"));
        for bad in [
            "127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:04711",
            "127.0.0.1:+4711",
            "127.0.0.1:4712",
            "127.0.0.1:4711.",
            "127.0.0.1.:4711",
            "127.1:4711",
            "2130706433:4711",
            "localhost:4711",
            "evil.example:4711",
            "a@127.0.0.1:4711",
            " 127.0.0.1:4711",
            "127.0.0.1:4711, evil",
            "127.0.0.1:4711:4711",
            "127.0.0.1:65536",
            "",
        ] {
            assert!(!v4.matches(bad), "{bad:?}");
        }
        let v6 = LoopbackAuthority::new("[::1]", 80);
        assert!(v6.matches("[::1]:80") && v6.matches("[::1]"));
        assert!(!v6.matches("[0:0::1]:80") && !v6.matches("::1:80"));
        let name = LoopbackAuthority::new("localhost", 9000);
        for ok in ["localhost:9000", "LOCALHOST:9000", "LocalHost:9000"] {
            assert!(name.matches(ok), "{ok}");
        }
        for bad in ["localhost.:9000", "localhost", "127.0.0.1:9000"] {
            assert!(!name.matches(bad), "{bad}");
        }
    }

    #[test]
    fn targets_and_host_header_counts() {
        let a = LoopbackAuthority::new("127.0.0.1", 4711);
        let h = "127.0.0.1:4711";
        assert_eq!(a.check("/cb?x=1", &[h]), Ok("/cb?x=1"));
        assert_eq!(a.check("http://127.0.0.1:4711/cb?x", &[h]), Ok("/cb?x"));
        assert_eq!(a.check("HTTP://127.0.0.1:4711", &[h]), Ok("/"));
        assert!(a.check("/cb", &[]).is_err());
        assert!(a.check("/cb", &[h, h]).is_err());
        assert!(a.check("/cb", &["evil:4711"]).is_err());
        for t in [
            "http://evil.example:4711/cb",
            "http://127.0.0.1:4712/cb",
            "https://127.0.0.1:4711/cb",
            "http://127.0.0.1:4711?x",
            "127.0.0.1:4711",
            "*",
            "cb",
            "",
        ] {
            assert!(a.check(t, &[h]).is_err(), "{t}");
        }
    }
}
