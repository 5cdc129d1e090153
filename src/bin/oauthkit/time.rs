//! Times for people and for JSON: RFC 3339 in UTC, and "in 59 min".

/// `unix` seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// "in 59 min", "expired 3 min ago", "no expiry".
pub fn relative(expires_at: Option<i64>, now: i64) -> String {
    let Some(at) = expires_at else {
        return "no expiry given".into();
    };
    let left = at - now;
    let span = |s: i64| {
        let s = s.abs();
        if s < 120 {
            format!("{s} s")
        } else if s < 7200 {
            format!("{} min", s / 60)
        } else if s < 172_800 {
            format!("{} h", s / 3600)
        } else {
            format!("{} days", s / 86_400)
        }
    };
    if left >= 0 {
        format!("{} (in {})", rfc3339(at), span(left))
    } else {
        format!("{} (expired {} ago)", rfc3339(at), span(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
