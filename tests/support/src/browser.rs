//! Drives Debian's chromium through tests/browser/signin.mjs
//! (playwright-core). Missing pieces fail the test with the fix.

use std::process::Command;

/// Opens `authorize_url` in a fresh headless Chromium profile, signs in /
/// consents / approves, and returns the driver's JSON report once the
/// browser reached `redirect_prefix`.
pub fn sign_in_with_chromium(
    authorize_url: &str,
    redirect_prefix: &str,
    login: &str,
) -> serde_json::Value {
    run_driver("signin.mjs", &[authorize_url, redirect_prefix], login)
}

/// Runs the playwright-core driver `script` of tests/browser with `args`,
/// a fresh profile directory and `login`, in headless Chromium; its JSON
/// report (the last line it prints). Fails with the fix when chromium,
/// node or playwright-core is missing, or when the driver fails.
pub fn run_driver(script: &str, args: &[&str], login: &str) -> serde_json::Value {
    crate::needs::require(crate::needs::Need::Chromium);
    let dir = crate::repo().join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: run scripts/setup-browser.sh (apt install chromium)"
    );
    assert!(
        dir.join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is missing: run scripts/setup-browser.sh (npm ci in tests/browser)"
    );
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("node")
        .current_dir(&dir)
        .arg(script)
        .args(args)
        .arg(profile.path())
        .arg(login)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node is missing: run scripts/setup-browser.sh");
    assert!(
        out.status.success(),
        "browser driver failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
