//! The small pages the callback server and deploy mode answer with.

/// Escapes `& < > " '` for HTML text and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete page; `title` and `message` are escaped here.
pub(crate) fn page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em}}</style>\
         </head><body><h1>{t}</h1><p>{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    )
}

/// The page for the one valid callback.
pub(crate) fn success() -> String {
    page(
        "Signed in",
        "Authentication is complete. You can close this window and return to the application.",
    )
}

/// The page for a provider error; everything the provider sent is escaped.
pub(crate) fn provider_error(error: &str, description: Option<&str>) -> String {
    let msg = match description {
        Some(d) => format!("The provider returned an error: {error}: {d}"),
        None => format!("The provider returned an error: {error}"),
    };
    page("Sign-in failed", &msg)
}

/// Headers every page carries: never cached, no scripts, no sniffing, no
/// framing, no referrer (the URL holds the code).
pub(crate) const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')&\"</script>"),
            "&lt;script&gt;alert(&#x27;x&#x27;)&amp;&quot;&lt;/script&gt;"
        );
        let p = provider_error("<b>x</b>", Some("<img src=x onerror=1>"));
        assert!(!p.contains("<b>x"));
        assert!(!p.contains("<img"));
    }
}
