//! `oauthkit doctor [PROFILE]`: what store and protection, whether the
//! keyring answers, file modes, discovery reachable, clock skew.

use clap::Args;
use oauthkit::unversioned::terminal_text::escape;

use crate::config::Profile;
use crate::style::Style;
use crate::{context, exit, Ctx};

/// Check a profile's setup: config, store and its protection, keyring,
/// file modes, the provider's discovery and the clock.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  oauthkit doctor
  oauthkit doctor work")]
pub struct DoctorArgs {
    /// The profile (default: the config's default_profile).
    pub profile: Option<String>,
}

struct Checks {
    style: Style,
    failed: usize,
}

impl Checks {
    // details quote the provider, the config and the store: shown escaped
    fn ok(&self, what: &str, detail: &str) {
        println!(
            "{} {}: {}",
            self.style.green("ok  "),
            escape(what),
            escape(detail)
        );
    }
    fn warn(&self, what: &str, detail: &str) {
        println!(
            "{} {}: {}",
            self.style.bold("warn"),
            escape(what),
            escape(detail)
        );
    }
    fn fail(&mut self, what: &str, detail: &str) {
        self.failed += 1;
        println!(
            "{} {}: {}",
            self.style.red("FAIL"),
            escape(what),
            escape(detail)
        );
    }
}

pub fn run(ctx: &Ctx, args: DoctorArgs) -> oauthkit::Result<i32> {
    let mut c = Checks {
        style: Style::stdout(),
        failed: 0,
    };
    if ctx.config.exists {
        c.ok("config file", &ctx.config.path.display().to_string());
        check_mode(&mut c, "config file mode", &ctx.config.path, false);
    } else {
        c.warn(
            "config file",
            &format!("{} does not exist", ctx.config.path.display()),
        );
    }
    let profile = match ctx.profile(args.profile.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            c.fail("profile", &e.report().to_string());
            return Ok(exit::USAGE);
        }
    };
    c.ok(
        "profile",
        &format!(
            "{} ({}, client {})",
            profile.name, profile.provider, profile.client_id
        ),
    );
    store_checks(&mut c, &profile);
    provider_checks(&mut c, &profile);
    Ok(if c.failed == 0 {
        exit::OK
    } else {
        exit::FAILURE
    })
}

fn store_checks(c: &mut Checks, p: &Profile) {
    use oauthkit::unversioned::store::{self as diagnose, Encryption};
    // what the store would use, from the library's diagnose() API
    let diagnosis = match &p.store {
        Some(spec) => diagnose::diagnose(spec),
        None => {
            diagnose::diagnose_default(&p.default_store_app(), diagnose::DIAGNOSE_KEYRING_TIMEOUT)
        }
    };
    let d = match diagnosis {
        Ok(d) => d,
        Err(e) => return c.fail("store", &e.report().to_string()),
    };
    c.ok("store", &format!("{} ({})", d.location, d.backend));
    match &d.encryption {
        Encryption::On { key_source } => c.ok("encryption", &format!("on (key: {key_source})")),
        _ if d.backend == "keyring" => c.ok("encryption", "by the keyring itself"),
        _ => c.warn("encryption", "off: token sets are kept in plain text"),
    }
    for k in &d.keyrings {
        let what = format!("keyring ({} for {})", k.service, k.purpose);
        match &k.answer {
            Ok(present) => c.ok(
                &what,
                &format!(
                    "{} answered in {} ms{}",
                    k.backend.describe(),
                    k.elapsed.as_millis(),
                    if *present { "" } else { ", no entry yet" }
                ),
            ),
            Err(why) => c.fail(&what, why),
        }
    }
    for f in d.files.iter().filter(|f| f.exists) {
        check_mode(c, &format!("{} mode", f.role), &f.path, true);
    }
    match context::open_store(p) {
        Ok(opened) => match opened.store.load(p.token_key()) {
            Ok(Some(t)) => c.ok(
                "tokens",
                &format!(
                    "signed in ({}), refresh token {}",
                    crate::time::relative(t.expires_at, oauthkit::unversioned::now_unix()),
                    if t.refresh_token.is_some() {
                        "present"
                    } else {
                        "absent"
                    }
                ),
            ),
            Ok(None) => c.warn("tokens", "not signed in (run `oauthkit login`)"),
            Err(e) => c.fail("tokens", &e.report().to_string()),
        },
        Err(e) => c.fail("store", &e.report().to_string()),
    }
}

#[cfg(unix)]
fn check_mode(c: &mut Checks, what: &str, path: &std::path::Path, secret: bool) {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) => {
            let mode = m.permissions().mode() & 0o777;
            let text = format!("{} is {mode:04o}", path.display());
            if mode & 0o077 == 0 {
                c.ok(what, &text);
            } else if secret {
                c.fail(what, &format!("{text}: others can read it; chmod 600"));
            } else {
                c.warn(
                    what,
                    &format!("{text} (keep it 0600 if it holds a client secret)"),
                );
            }
        }
        Err(e) => c.warn(what, &format!("{}: {e}", path.display())),
    }
}

#[cfg(not(unix))]
fn check_mode(_: &mut Checks, _: &str, _: &std::path::Path, _: bool) {}

fn provider_checks(c: &mut Checks, p: &Profile) {
    let Some(issuer) = p
        .issuer
        .clone()
        .or_else(|| context::provider(p).ok().and_then(|prov| prov.issuer()))
    else {
        c.ok(
            "provider",
            &format!("{} (no discovery to check)", p.provider),
        );
        return;
    };
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let started = std::time::Instant::now();
    match agent.get(&url).call() {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let elapsed = started.elapsed();
            if status == 200 {
                c.ok(
                    "discovery",
                    &format!("{url} answered in {} ms", elapsed.as_millis()),
                );
            } else {
                c.fail("discovery", &format!("{url} answered HTTP {status}"));
            }
            let date = resp
                .headers()
                .get("date")
                .and_then(|d| d.to_str().ok())
                .and_then(parse_http_date);
            if date.is_none() {
                c.warn("clock", "not checked: the provider sent no Date header");
            }
            if let Some(date) = date {
                let skew = oauthkit::unversioned::now_unix() - date;
                if skew.abs() <= 60 {
                    c.ok(
                        "clock",
                        &format!("within {} s of the provider's", skew.abs()),
                    );
                } else {
                    c.fail(
                        "clock",
                        &format!("{skew:+} s off the provider's Date header; fix the system clock"),
                    );
                }
            }
        }
        Err(e) => c.fail("discovery", &format!("{url}: {e}")),
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 IMF-fixdate) → Unix seconds.
fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 6 || parts[5] != "GMT" {
        return None;
    }
    let day: i64 = parts[1].parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == parts[2])? as i64
        + 1;
    let year: i64 = parts[3].parse().ok()?;
    let hms: Vec<i64> = parts[4].split(':').filter_map(|x| x.parse().ok()).collect();
    if hms.len() != 3 {
        return None;
    }
    // days from civil (Howard Hinnant)
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2])
}

#[cfg(test)]
mod tests {
    #[test]
    fn http_date() {
        assert_eq!(
            super::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(super::parse_http_date("garbage"), None);
    }
}
