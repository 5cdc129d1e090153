//! Text that goes into log records: only what is safe to show an operator.
//!
//! Log records never hold a secret. URLs a provider sent are logged as
//! their origin only (a query or path could carry anything), and other
//! text from outside is cut to printable characters and a short length so
//! a hostile value cannot forge log lines.

/// `scheme://host[:port]` of `url`, or `(unparsable URL)`.
pub(crate) fn origin(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.host_str() {
            Some(host) => match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            },
            None => format!("{}:", u.scheme()),
        },
        Err(_) => "(unparsable URL)".into(),
    }
}

/// `text` with control and invisible characters replaced, at most `max`
/// characters: for names and reasons that came from outside.
pub(crate) fn plain(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_path_query_and_credentials() {
        assert_eq!(
            origin("https://user:pw@idp.example:8443/jwks?secret=abc#x"),
            "https://idp.example:8443"
        );
        assert_eq!(origin("http://127.0.0.1/x"), "http://127.0.0.1");
        assert_eq!(origin("not a url"), "(unparsable URL)");
    }

    #[test]
    fn plain_cuts_controls_and_length() {
        assert_eq!(plain("a\nb\u{1b}[31m", 100), "a?b?[31m");
        assert_eq!(plain("abcdef", 3), "abc…");
    }
}
