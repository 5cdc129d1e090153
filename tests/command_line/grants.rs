//! `oauthkit login --device` and `oauthkit logout` with RP-initiated
//! logout, the real binary against panva's oidc-provider
//! (tests/browser/oidc-server.mjs). The "browser" is
//! tests/browser/http-user.mjs through `OAUTHKIT_BROWSER`: it logs in,
//! consents, confirms device codes and sign-outs over HTTP with a cookie
//! file, so one user's provider session lives across the commands.

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use oauthkit::provider::{AuthorizeRequest, OAuthProvider, OidcConfig, Provider};
use oauthkit::unversioned::provider::Pkce;
use oauthkit::unversioned::random;
use oauthkit::TokenStore;
use support::node_idp::NodeIdp;

const BIN: &str = env!("CARGO_BIN_EXE_oauthkit");

fn http_user() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/http-user.mjs")
}

struct Env {
    dir: tempfile::TempDir,
    idp: NodeIdp,
}

impl Env {
    fn new() -> Env {
        let idp = NodeIdp::start();
        let dir = tempfile::tempdir().unwrap();
        let env = Env { dir, idp };
        let config = format!(
            "default_profile = \"web\"\n\n\
             [profiles.web]\nissuer = \"{issuer}\"\nclient_id = \"{web}\"\nscopes = [\"openid\"]\n\
             store = \"file:{tokens}\"\ntimeout_secs = 30\n\n\
             [profiles.device]\nissuer = \"{issuer}\"\nclient_id = \"{device}\"\nscopes = [\"openid\"]\n\
             store = \"file:{tokens}\"\ntimeout_secs = 30\n",
            issuer = env.idp.issuer,
            web = env.idp.client_id,
            device = env.idp.client("device"),
            tokens = env.tokens_file().display(),
        );
        std::fs::create_dir_all(env.dir.path().join("config/oauthkit")).unwrap();
        std::fs::write(env.dir.path().join("config/oauthkit/config.toml"), config).unwrap();
        env
    }

    fn tokens_file(&self) -> PathBuf {
        self.dir.path().join("tokens.json")
    }

    fn cookies(&self) -> PathBuf {
        self.dir.path().join("cookies.json")
    }

    fn store(&self) -> std::sync::Arc<dyn TokenStore> {
        oauthkit::store::open(&format!("file:{}", self.tokens_file().display())).unwrap()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("OAUTHKIT_") || k == "BROWSER" {
                c.env_remove(k);
            }
        }
        // A script, as $BROWSER may not hold ':' (it separates commands).
        let browser = self.dir.path().join("browser.sh");
        if !browser.exists() {
            std::fs::write(
                &browser,
                format!(
                    "#!/bin/sh\nexec node '{}' \"$1\" '{}' '{}'\n",
                    http_user().display(),
                    self.idp.issuer,
                    self.cookies().display()
                ),
            )
            .unwrap();
            let mut perms = std::fs::metadata(&browser).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
            std::fs::set_permissions(&browser, perms).unwrap();
        }
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("OAUTHKIT_BROWSER", &browser)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run oauthkit")
    }

    /// The user's browser (the cookie file) follows `url`; the JSON line
    /// http-user.mjs prints.
    fn browse(&self, url: &str) -> serde_json::Value {
        let out = Command::new("node")
            .arg(http_user())
            .args([url, &self.idp.issuer, &self.cookies().display().to_string()])
            .output()
            .expect("node");
        assert!(out.status.success(), "http-user.mjs: {}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// What the provider answers a `prompt=none` sign-in of the web
    /// client in the user's browser: `interaction_required` while its
    /// session lives (oidc-provider wants native clients' users to
    /// interact), `login_required` once it has ended.
    fn prompt_none_error(&self) -> String {
        let p =
            OAuthProvider::oidc(OidcConfig::new(&self.idp.issuer, &self.idp.client_id)).unwrap();
        let url = p
            .build_authorize_url(&AuthorizeRequest {
                redirect_uri: "http://127.0.0.1:9/callback",
                state: &random::state(),
                pkce: Some(&Pkce::generate()),
                nonce: Some(&random::nonce()),
                extra_params: &[("prompt", "none")],
            })
            .unwrap();
        let end = self.browse(&url);
        let final_url = url::Url::parse(end["final_url"].as_str().unwrap()).unwrap();
        final_url
            .query_pairs()
            .find(|(k, _)| k == "error")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A running `oauthkit login --device` whose standard error is read line
/// by line.
struct DeviceLogin {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl DeviceLogin {
    fn start(env: &Env) -> DeviceLogin {
        let mut child = env
            .cmd(&["login", "device", "--device"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        DeviceLogin {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one contains `what`; returns it.
    fn wait_for(&mut self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                self.seen.push(line.clone());
                if line.contains(what) {
                    return line;
                }
            }
        }
        panic!("no line with {what:?} in:\n{}", self.seen.join("\n"));
    }

    /// Waits for the process; its exit code and all of standard error.
    fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        (status.code(), self.seen.join("\n"))
    }
}

#[test]
fn login_device_shows_the_code_and_progress_and_signs_in() {
    needs!(Node);
    let env = Env::new();
    let mut login = DeviceLogin::start(&env);
    let first = login.wait_for("To sign in, open");
    assert!(first.contains(&env.idp.issuer), "{first}");
    login.wait_for("scan this code");
    let link = login.wait_for("(direct link: ");
    let uri = link
        .split("(direct link: ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')')
        .to_owned();
    // progress while the user has not approved yet
    login.wait_for("Waiting for the sign-in on the other device (check 1");
    let approved = env.browse(&uri);
    assert!(approved["final_url"]
        .as_str()
        .unwrap()
        .starts_with(&env.idp.issuer));
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("signed in as"), "{stderr}");
    assert!(stderr.contains("profile 'device'"), "{stderr}");
    let t = env.store().load("device").unwrap().expect("stored tokens");
    assert_eq!(t.identity_id.as_deref(), Some("alice"));
    assert!(!stderr.contains(t.access_token.expose()), "{stderr}");
}

#[test]
fn ctrl_c_cancels_a_device_login_cleanly() {
    needs!(Node);
    let env = Env::new();
    let mut login = DeviceLogin::start(&env);
    login.wait_for("Waiting for the sign-in on the other device");
    let pid = login.child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success());
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("Sign-in cancelled; nothing was stored."),
        "{stderr}"
    );
    assert!(env.store().load("device").unwrap().is_none());
}

#[test]
fn login_device_at_a_provider_without_the_endpoint_says_so() {
    needs!(Node);
    let env = Env::new();
    // an OAuth 2.0 profile with fixed endpoints and no device endpoint
    let config = format!(
        "[profiles.plain]\nprovider = \"custom\"\nclient_id = \"x\"\n\
         authorize_url = \"{0}/auth\"\ntoken_url = \"{0}/token\"\nstore = \"file:{1}\"\n",
        env.idp.issuer,
        env.tokens_file().display()
    );
    let path = env.dir.path().join("config/oauthkit/config.toml");
    let mut all = std::fs::read_to_string(&path).unwrap();
    all.push_str(&config);
    std::fs::write(&path, all).unwrap();
    let out = env.run(&["login", "plain", "--device"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no device authorization endpoint"),
        "{}",
        text(&out)
    );
}

#[test]
fn logout_ends_the_provider_session() {
    needs!(Node);
    let env = Env::new();
    let out = env.run(&["login"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(env.store().load("web").unwrap().is_some());
    assert_eq!(env.prompt_none_error(), "interaction_required");
    let out = env.run(&["logout"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Revoked the tokens at the provider."),
        "{}",
        text(&out)
    );
    assert!(
        said.contains("Deleted the stored tokens of profile 'web'."),
        "{}",
        text(&out)
    );
    assert!(
        said.contains("Ended the session at the provider."),
        "{}",
        text(&out)
    );
    assert!(env.store().load("web").unwrap().is_none());
    // checked at the provider
    assert_eq!(env.prompt_none_error(), "login_required");
}

#[test]
fn logout_print_url_and_local() {
    needs!(Node);
    let env = Env::new();
    let out = env.run(&["login"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["logout", "--print-url"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let url = said
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&env.idp.issuer))
        .unwrap_or_else(|| panic!("no URL in {said}"));
    assert!(url.contains("id_token_hint="), "{url}");
    assert!(
        url.contains(&format!("client_id={}", env.idp.client_id)),
        "{url}"
    );
    // nothing was opened: the provider session lives on
    assert_eq!(env.prompt_none_error(), "interaction_required");

    let out = env.run(&["login"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["logout", "--local"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("session at the provider"));
    assert_eq!(env.prompt_none_error(), "interaction_required");
}
