//! The `oauthkit` binary end to end against the dev provider: each test
//! starts a dev provider, writes a config whose profile points at it (a
//! throwaway HOME / XDG dirs, a plain JSON file store) and drives the real
//! binary. The browser is `curl -sfL` through `OAUTHKIT_BROWSER` (the dev
//! provider auto-approves and redirects to the loopback callback).

use crate::support::tls_server;

use oauthkit::provider::TokenRevocation;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use oauthkit::provider::{OAuthProvider, OidcConfig, Provider, TokenTypeHint};
use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions};
use oauthkit::TokenStore;

const BIN: &str = env!("CARGO_BIN_EXE_oauthkit");
const CLIENT_SECRET: &str = "cli-test-client-secret-7c1f";

struct Env {
    dir: tempfile::TempDir,
    idp: DevProvider,
}

impl Env {
    fn new(opts: DevProviderOptions) -> Env {
        Self::with_extra(opts, "")
    }

    fn with_extra(opts: DevProviderOptions, extra: &str) -> Env {
        require("curl");
        let idp = DevProvider::start(opts.auto_approve(true).client_secret(CLIENT_SECRET))
            .expect("dev provider");
        let dir = tempfile::tempdir().unwrap();
        let env = Env { dir, idp };
        let config = format!(
            "default_profile = \"dev\"\n\n[profiles.dev]\nissuer = \"{}\"\nclient_id = \"{}\"\n\
             client_secret = \"{CLIENT_SECRET}\"\n\
             scopes = [\"openid\", \"email\", \"profile\", \"offline_access\"]\n\
             store = \"file:{}\"\ntimeout_secs = 30\n{extra}",
            env.idp.issuer(),
            env.idp.client_id(),
            env.tokens_file().display()
        );
        std::fs::create_dir_all(env.dir.path().join("config/oauthkit")).unwrap();
        std::fs::write(env.config_path(), config).unwrap();
        env
    }

    fn tokens_file(&self) -> PathBuf {
        self.dir.path().join("tokens.json")
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config/oauthkit/config.toml")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("OAUTHKIT_") || k == "BROWSER" {
                c.env_remove(k);
            }
        }
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("OAUTHKIT_BROWSER", "curl -sfL -o /dev/null")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run oauthkit")
    }

    fn store(&self) -> std::sync::Arc<dyn TokenStore> {
        oauthkit::store::open(&format!("file:{}", self.tokens_file().display())).unwrap()
    }

    fn login(&self) {
        let out = self.run(&["login"]);
        assert!(out.status.success(), "login failed: {}", text(&out));
    }

    fn expire(&self) {
        let store = self.store();
        let mut t = store.load("dev").unwrap().expect("stored tokens");
        t.expires_at = Some(oauthkit::unversioned::now_unix() - 1);
        store.save("dev", &t).unwrap();
    }

    fn provider(&self) -> Arc<dyn Provider> {
        Arc::new(
            OAuthProvider::oidc(
                OidcConfig::new(self.idp.issuer(), self.idp.client_id())
                    .client_secret(CLIENT_SECRET),
            )
            .unwrap(),
        )
    }
}

fn require(tool: &str) {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{tool} is needed by this test: apt-get install -y {tool}"
    );
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_no_secrets(out: &Output, secrets: &[&str]) {
    let all = text(out);
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(!all.contains(s), "a secret leaked into the output:\n{all}");
    }
}

#[test]
fn login_token_status_logout_end_to_end() {
    needs!(Curl);
    let env = Env::new(DevProviderOptions::default());
    let out = env.run(&["login"]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(env.idp.issuer()), "names the provider: {err}");
    assert!(err.contains("signed in as dev.user@example.test"), "{err}");
    assert!(out.stdout.is_empty(), "login prints on stderr only");

    let stored = env.store().load("dev").unwrap().expect("tokens stored");
    let at = stored.access_token.expose().to_owned();
    let rt = stored
        .refresh_token
        .as_ref()
        .expect("refresh token")
        .expose()
        .to_owned();

    // token: the access token and nothing else
    let out = env.run(&["token"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(stdout(&out), format!("{at}\n"));
    assert!(out.stderr.is_empty(), "{}", text(&out));
    assert_eq!(
        env.idp.token_requests("refresh_token"),
        0,
        "fresh: no refresh"
    );

    // --format json
    let out = env.run(&["token", "dev", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["access_token"], at.as_str());
    assert_eq!(
        v["token_type"].as_str().unwrap().to_ascii_lowercase(),
        "bearer"
    );
    assert!(v["expires_at"].as_i64().unwrap() > oauthkit::unversioned::now_unix());
    assert!(v["scopes"].as_array().is_some());
    // --id-token
    let out = env.run(&["token", "--id-token"]);
    assert_eq!(
        stdout(&out).trim(),
        stored.id_token.as_ref().unwrap().expose()
    );

    // status: identity, store, scopes; never a token or the client secret
    let out = env.run(&["status"]);
    assert!(out.status.success(), "{}", text(&out));
    let s = stdout(&out);
    assert!(s.contains("profile dev") && s.contains("dev-user-1"), "{s}");
    assert!(s.contains(&env.tokens_file().display().to_string()), "{s}");
    assert!(s.contains("offline_access"), "{s}");
    assert_no_secrets(&out, &[&at, &rt, CLIENT_SECRET]);
    let out = env.run(&["list"]);
    assert!(out.status.success(), "{}", text(&out));

    // an expired token is refreshed once
    env.expire();
    let out = env.run(&["token"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_ne!(stdout(&out).trim(), at);
    assert_eq!(env.idp.token_requests("refresh_token"), 1);

    // logout: revoked at the provider and deleted
    let now = env.store().load("dev").unwrap().unwrap();
    let out = env.run(&["logout"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("Revoked"), "{}", text(&out));
    assert!(env.store().load("dev").unwrap().is_none());
    assert!(!env.idp.is_token_active(now.access_token.expose()));
    assert_no_secrets(&out, &[now.access_token.expose(), CLIENT_SECRET]);

    // after logout: exit code 3 and a hint
    let out = env.run(&["token"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("oauthkit login"), "{err}");
    assert_eq!(err.lines().count(), 2, "one error line and one hint: {err}");
}

#[test]
fn two_token_processes_racing_a_rotating_refresh_token_refresh_once() {
    needs!(Curl);
    let env = Env::new(
        DevProviderOptions::default()
            .rotate_refresh_tokens(true)
            .token_delay(Duration::from_millis(300)),
    );
    env.login();
    for round in 1..=3 {
        env.expire();
        let children: Vec<_> = (0..2)
            .map(|_| {
                env.cmd(&["token"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        for o in &outs {
            assert!(o.status.success(), "{}", text(o));
        }
        assert_eq!(
            stdout(&outs[0]),
            stdout(&outs[1]),
            "both print the same token"
        );
        assert_eq!(
            env.idp.token_requests("refresh_token"),
            round,
            "one refresh per round"
        );
    }
}

#[test]
fn a_revoked_grant_exits_3_and_deletes_the_dead_tokens() {
    needs!(Curl);
    let env = Env::new(DevProviderOptions::default());
    env.login();
    let t = env.store().load("dev").unwrap().unwrap();
    let rt = t.refresh_token.clone().unwrap();
    assert!(env
        .provider()
        .revoke_token(&TokenRevocation::new(rt.expose()).hint(TokenTypeHint::RefreshToken))
        .unwrap());
    env.expire();
    let out = env.run(&["token"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(out.stdout.is_empty());
    assert_no_secrets(&out, &[rt.expose(), t.access_token.expose(), CLIENT_SECRET]);
    assert!(env.store().load("dev").unwrap().is_none());
    // never signed in at all: 3 as well
    let out = env.run(&["token"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // expired with no refresh token: 3, and the tokens stay for `status`
    let dead = oauthkit::TokenSet::bearer("at-without-refresh").with_expires_in(-10);
    env.store().save("dev", &dead).unwrap();
    let out = env.run(&["token"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_no_secrets(&out, &["at-without-refresh"]);
}

#[test]
fn config_shows_effective_settings_with_the_secret_redacted() {
    needs!(Curl);
    let env = Env::new(DevProviderOptions::default());
    let out = env.run(&["config"]);
    assert!(out.status.success(), "{}", text(&out));
    let s = stdout(&out);
    assert!(s.contains("client_secret:  <redacted>"), "{s}");
    assert!(
        s.contains(env.idp.issuer()) && s.contains("offline_access"),
        "{s}"
    );
    assert_no_secrets(&out, &[CLIENT_SECRET]);
    // env overrides the file, flags override env; each says where it came from
    let out = env
        .cmd(&["config", "--scopes", "openid"])
        .env("OAUTHKIT_CLIENT_ID", "from-env")
        .env("OAUTHKIT_CLIENT_SECRET", "env-secret-value-99")
        .output()
        .unwrap();
    let s = stdout(&out);
    assert!(s.contains("client_id:      from-env  [env]"), "{s}");
    assert!(s.contains("scopes:         openid  [flag]"), "{s}");
    assert_no_secrets(&out, &["env-secret-value-99", CLIENT_SECRET]);
    // a secret from a named environment variable
    let cfg = std::fs::read_to_string(env.config_path()).unwrap().replace(
        &format!("client_secret = \"{CLIENT_SECRET}\""),
        "client_secret_env = \"DEV_SECRET\"",
    );
    std::fs::write(env.config_path(), cfg).unwrap();
    let out = env
        .cmd(&["config"])
        .env("DEV_SECRET", "named-env-secret")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("<redacted>"), "{}", text(&out));
    assert_no_secrets(&out, &["named-env-secret"]);
    // an unknown profile names the ones there are
    let out = env.run(&["token", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no profile 'nope'") && err.contains("profiles: dev"),
        "{err}"
    );
    // --config PATH and OAUTHKIT_CONFIG
    let moved = env.dir.path().join("elsewhere.toml");
    std::fs::rename(env.config_path(), &moved).unwrap();
    let out = env.run(&["config", "--path"]);
    assert_eq!(stdout(&out).trim(), env.config_path().display().to_string());
    let out = env.run(&["--config", moved.to_str().unwrap(), "config"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env
        .cmd(&["config"])
        .env("OAUTHKIT_CONFIG", &moved)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // no config at all: a readable error naming the file, exit 2
    let out = env.run(&["token"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("config.toml"));
}

#[test]
fn a_config_syntax_error_does_not_quote_the_secret_line() {
    needs!(Curl);
    let env = Env::new(DevProviderOptions::default());
    std::fs::write(
        env.config_path(),
        "[profiles.dev]\nclient_secret = \"leaky-secret-123\" junk\n",
    )
    .unwrap();
    let out = env.run(&["config"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{}",
        text(&out)
    );
    assert_no_secrets(&out, &["leaky-secret-123"]);
}

#[test]
fn git_credential_fill_with_the_real_git_gets_a_fresh_token() {
    needs!(Curl);
    require("git");
    let env = Env::with_extra(
        DevProviderOptions::default(),
        "git_hosts = [\"git.example.test\"]\n",
    );
    env.login();
    let at = env
        .store()
        .load("dev")
        .unwrap()
        .unwrap()
        .access_token
        .expose()
        .to_owned();
    let helper = format!("!{BIN} git-credential --profile dev");
    let fill = |url_host: &str| {
        let mut c = env.cmd(&["unused"]);
        let mut git = Command::new("git");
        git.envs(
            c.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        );
        for (k, v) in c.get_envs() {
            if v.is_none() {
                git.env_remove(k);
            }
        }
        let _ = &mut c;
        git.args([
            "-c",
            &format!("credential.helper={helper}"),
            "credential",
            "fill",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = git.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(
                format!("protocol=https\nhost={url_host}\npath=team/repo.git\n\n").as_bytes(),
            )
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = fill("git.example.test");
    assert!(out.status.success(), "{}", text(&out));
    let s = stdout(&out);
    assert!(s.contains("username=oauth2\n"), "{s}");
    assert!(s.contains(&format!("password={at}\n")), "{s}");
    // another host: the helper stays silent and git (no prompt) fails
    let out = fill("other.example.test");
    assert!(!stdout(&out).contains(&at), "{}", text(&out));
    assert!(!out.status.success());
}

#[test]
fn kubectl_credential_is_an_exec_credential() {
    needs!(Curl);
    let env = Env::new(DevProviderOptions::default());
    env.login();
    let t = env.store().load("dev").unwrap().unwrap();
    let out = env.run(&["kubectl-credential", "dev"]);
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // required by the client.authentication.k8s.io/v1 schema
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(v["kind"], "ExecCredential");
    assert_eq!(v["status"]["token"], t.access_token.expose());
    let ts = v["status"]["expirationTimestamp"].as_str().unwrap();
    // RFC 3339, UTC, seconds
    assert_eq!(ts.len(), 20, "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
    let out = env.run(&["kubectl-credential", "dev", "--id-token"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"]["token"], t.id_token.as_ref().unwrap().expose());
}

#[test]
fn docker_credential_protocol() {
    needs!(Curl);
    let env = Env::with_extra(
        DevProviderOptions::default(),
        "docker_registries = [\"registry.example.test\"]\nusername = \"robot\"\n",
    );
    env.login();
    let at = env
        .store()
        .load("dev")
        .unwrap()
        .unwrap()
        .access_token
        .expose()
        .to_owned();
    let docker = |op: &str, input: &str| {
        let mut child = env
            .cmd(&["docker-credential", op])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = docker("get", "https://registry.example.test/v1/\n");
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ServerURL"], "https://registry.example.test/v1/");
    assert_eq!(v["Username"], "robot");
    assert_eq!(v["Secret"], at.as_str());
    let out = docker("get", "other.example.test");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out).trim(),
        "credentials not found in native keychain"
    );
    let out = docker("list", "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"registry.example.test": "robot"}));
    let out = docker(
        "store",
        r#"{"ServerURL":"registry.example.test","Username":"robot","Secret":"x"}"#,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = docker("erase", "registry.example.test");
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn doctor_reports_store_modes_and_discovery() {
    needs!(Curl);
    let env = Env::new(DevProviderOptions::default());
    env.login();
    let out = env.run(&["doctor"]);
    assert!(out.status.success(), "{}", text(&out));
    let s = stdout(&out);
    assert!(s.contains("ok   discovery"), "{s}");
    assert!(
        s.contains("ok   token file mode") && s.contains("0600"),
        "{s}"
    );
    assert!(s.contains("clock"), "{s}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(env.tokens_file(), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let out = env.run(&["doctor"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            stdout(&out).contains("FAIL token file mode"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn every_command_has_help_with_examples_and_completions_generate() {
    needs!(Curl);
    let env = Env::new(DevProviderOptions::default());
    for cmd in [
        "login",
        "token",
        "status",
        "logout",
        "config",
        "git-credential",
        "kubectl-credential",
        "docker-credential",
        "doctor",
        "completions",
    ] {
        let out = env.run(&[cmd, "--help"]);
        assert!(out.status.success(), "{cmd}: {}", text(&out));
        assert!(
            stdout(&out).contains("Examples:"),
            "{cmd} --help has examples"
        );
    }
    let out = env.run(&["--help"]);
    assert!(stdout(&out).contains("Exit codes:"));
    let out = env.run(&["completions", "bash"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("oauthkit"));
}

#[test]
fn default_store_without_a_keyring_needs_plaintext_consent() {
    needs!(SecretService, Curl);
    let env = Env::new(DevProviderOptions::default());
    // drop the spec: the default store of app oauthkit-cli-dev
    let cfg = std::fs::read_to_string(env.config_path()).unwrap();
    let cfg: String = cfg
        .lines()
        .filter(|l| !l.starts_with("store ="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(env.config_path(), cfg).unwrap();
    let out = env
        .cmd(&["status"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .output()
        .unwrap();
    let s = text(&out);
    assert_eq!(out.status.code(), Some(5), "{s}");
    assert!(s.contains("OAUTHKIT_ALLOW_PLAINTEXT"), "{s}");
    let out = env
        .cmd(&["login"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .env("OAUTHKIT_ALLOW_PLAINTEXT", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let file = env
        .dir
        .path()
        .join("data/oauthkit/oauthkit-cli-dev/tokens.json");
    assert!(file.exists(), "tokens in the profile's default store");
    assert!(String::from_utf8_lossy(&out.stderr).contains("PLAIN TEXT"));
}

#[test]
fn ctrl_c_cancels_the_sign_in_cleanly() {
    needs!(Curl);
    let env = Env::new(DevProviderOptions::default());
    // a browser that never signs in
    let mut child = env
        .cmd(&["login"])
        .env("OAUTHKIT_BROWSER", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "login waits for the browser"
    );
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Sign-in cancelled"),
        "{}",
        text(&out)
    );
    assert!(env.store().load("dev").unwrap().is_none());
}

/// A git server on loopback: requires `Authorization: Basic
/// base64(oauth2:TOKEN)` and runs git's own `git http-backend` (CGI).
fn start_git_server(root: PathBuf, token: String) -> u16 {
    use base64::Engine;
    use std::io::{BufRead, BufReader, Read};
    let backend = PathBuf::from("/usr/lib/git-core/git-http-backend");
    assert!(
        backend.exists(),
        "git http-backend is needed: apt-get install -y git"
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("oauth2:{token}"))
    );
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut parts = request_line.split_whitespace();
            let method = parts.next().unwrap_or("").to_owned();
            let target = parts.next().unwrap_or("").to_owned();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
            let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            let mut body = Vec::new();
            if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
                body.resize(len, 0);
                reader.read_exact(&mut body).unwrap();
            } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
                loop {
                    let mut size = String::new();
                    reader.read_line(&mut size).unwrap();
                    let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                    let mut chunk = vec![0; n + 2];
                    reader.read_exact(&mut chunk).unwrap();
                    if n == 0 {
                        break;
                    }
                    body.extend_from_slice(&chunk[..n]);
                }
            }
            if header("authorization").as_deref() != Some(expected.as_str()) {
                let _ = conn.write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n\
                      Content-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let mut cgi = Command::new(&backend)
                .env_clear()
                .env("GIT_PROJECT_ROOT", &root)
                .env("GIT_HTTP_EXPORT_ALL", "1")
                .env("REQUEST_METHOD", &method)
                .env("PATH_INFO", path.trim_start_matches("/git"))
                .env("QUERY_STRING", query)
                .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
                .env("CONTENT_LENGTH", body.len().to_string())
                .env("REMOTE_USER", "oauth2")
                .env("REMOTE_ADDR", "127.0.0.1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            cgi.stdin.take().unwrap().write_all(&body).unwrap();
            let out = cgi.wait_with_output().unwrap();
            let split = out
                .stdout
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| (i, 4))
                .or_else(|| {
                    out.stdout
                        .windows(2)
                        .position(|w| w == b"\n\n")
                        .map(|i| (i, 2))
                })
                .unwrap();
            let head = String::from_utf8_lossy(&out.stdout[..split.0]).into_owned();
            let payload = &out.stdout[split.0 + split.1..];
            let mut status = "200 OK".to_owned();
            let mut response = String::new();
            for line in head.lines() {
                match line.split_once(':') {
                    Some((k, v)) if k.eq_ignore_ascii_case("status") => {
                        status = v.trim().to_owned()
                    }
                    Some(_) => response.push_str(&format!("{line}\r\n")),
                    None => {}
                }
            }
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 {status}\r\n{response}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    payload.len()
                )
                .as_bytes(),
            );
            let _ = conn.write_all(payload);
        }
    });
    port
}

#[test]
fn git_clone_over_http_through_the_credential_helper() {
    needs!(Curl);
    require("git");
    let env = Env::new(DevProviderOptions::default());
    let repos = env.dir.path().join("repos");
    let git = |dir: &std::path::Path, args: &[&str]| {
        let out = env_git(&env)
            .current_dir(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.test"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
    };
    std::fs::create_dir_all(&repos).unwrap();
    git(&repos, &["init", "-q", "--bare", "repo.git"]);
    let work = env.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    std::fs::write(work.join("README"), "hello through oauthkit\n").unwrap();
    git(&work, &["add", "README"]);
    git(&work, &["commit", "-q", "-m", "first"]);
    git(
        &work,
        &[
            "push",
            "-q",
            repos.join("repo.git").to_str().unwrap(),
            "HEAD:refs/heads/main",
        ],
    );

    env.login();
    let token = env
        .store()
        .load("dev")
        .unwrap()
        .unwrap()
        .access_token
        .expose()
        .to_owned();
    let port = start_git_server(repos.clone(), token);
    // the profile answers for the server's host:port
    let mut cfg = std::fs::read_to_string(env.config_path()).unwrap();
    cfg.push_str(&format!("git_hosts = [\"127.0.0.1:{port}\"]\n"));
    std::fs::write(env.config_path(), cfg).unwrap();
    let url = format!("http://127.0.0.1:{port}/git/repo.git");
    // without the helper the server refuses
    let out = env_git(&env)
        .args(["clone", "-q", &url])
        .arg(env.dir.path().join("clone-none"))
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the server requires the token: {}",
        text(&out)
    );
    let dest = env.dir.path().join("clone");
    let out = env_git(&env)
        .args([
            "-c",
            &format!("credential.helper=!{BIN} git-credential --profile dev"),
        ])
        .args(["clone", "-q", "-b", "main", &url])
        .arg(&dest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "clone through the helper: {}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("README")).unwrap(),
        "hello through oauthkit\n"
    );
}

/// `git` with the test's environment (throwaway HOME and XDG dirs, no prompt).
fn env_git(env: &Env) -> Command {
    let template = env.cmd(&[]);
    let mut git = Command::new("git");
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => git.env(k, v),
            None => git.env_remove(k),
        };
    }
    git.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_ASKPASS", "true")
        .stdin(Stdio::null());
    git
}

#[test]
fn default_store_with_a_keyring_keeps_tokens_encrypted() {
    needs!(Curl);
    assert!(
        std::env::var_os("OAUTHKIT_IN_KEYRING_SESSION").is_some(),
        "this test needs a Secret Service: run it under scripts/with-keyring.sh \
         (scripts/setup-keyring.sh installs gnome-keyring)"
    );
    let env = Env::new(DevProviderOptions::default());
    let cfg: String = std::fs::read_to_string(env.config_path())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("store ="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(env.config_path(), cfg).unwrap();
    let out = env.run(&["login"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("encrypted"),
        "{}",
        text(&out)
    );
    let out = env.run(&["token"]);
    assert!(out.status.success(), "{}", text(&out));
    let token = stdout(&out).trim().to_owned();
    let file = env
        .dir
        .path()
        .join("data/oauthkit/oauthkit-cli-dev/tokens.json");
    let raw = std::fs::read_to_string(&file).expect("the profile's default store");
    assert!(
        !raw.contains(&token),
        "the token file holds ciphertext only"
    );
    let out = env.run(&["status"]);
    assert!(stdout(&out).contains("encrypted"), "{}", text(&out));
}

/// The real kubectl runs `oauthkit kubectl-credential` as its exec plugin
/// and sends the token to an API server (kubectl sends exec credentials
/// over TLS only: the server is HTTPS with a throwaway CA).
#[test]
fn real_kubectl_sends_the_token_from_the_exec_plugin() {
    needs!(Openssl, Curl);
    let kubectl = Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        kubectl,
        "kubectl is needed by this test: scripts/setup-cli.sh installs it (Debian: apt-get install -y kubernetes-client)"
    );
    let env = Env::new(DevProviderOptions::default());
    env.login();
    let at = env.store().load("dev").unwrap().unwrap().access_token;
    let pki = tls_server::TestPki::new("kubectl", "IP:127.0.0.1");
    let api = tls_server::TlsServer::start(
        &pki,
        r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}"#,
    );
    // v1beta1 from kubectl before 1.22 (and still served); kubectl refuses
    // an answer in another version than its configured one, so this also
    // checks that the plugin answers in the version kubectl asks for.
    for version in ["v1", "v1beta1"] {
        let kubeconfig = env.dir.path().join(format!("kubeconfig-{version}"));
        // oauthkit runs with the same throwaway HOME / XDG dirs as `env.cmd`
        let envs: Vec<String> = ["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"]
            .iter()
            .map(|k| {
                let v = env
                    .cmd(&[])
                    .get_envs()
                    .find(|(n, _)| n == k)
                    .unwrap()
                    .1
                    .unwrap()
                    .to_owned();
                format!("      - {{name: {k}, value: {:?}}}", v.to_string_lossy())
            })
            .collect();
        std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\n    \
             certificate-authority: {}\nusers:\n- name: dev\n  user:\n    exec:\n      \
             apiVersion: client.authentication.k8s.io/{version}\n      command: {BIN}\n      \
             args: [kubectl-credential, dev]\n      interactiveMode: Never\n      env:\n{}\n\
             contexts:\n- name: test\n  context: {{cluster: test, user: dev}}\ncurrent-context: test\n",
            api.url(""),
            pki.ca_file().display(),
            envs.join("\n")
        ),
    )
    .unwrap();
        let out = Command::new("kubectl")
            .args([
                "--kubeconfig",
                kubeconfig.to_str().unwrap(),
                "get",
                "--raw",
                "/api",
            ])
            .env("HOME", env.dir.path())
            .env("KUBECONFIG", &kubeconfig)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl ({version}) failed: {}",
            text(&out)
        );
        assert!(stdout(&out).contains("APIVersions"), "{}", text(&out));
    }
    let seen = api.authorizations();
    assert!(!seen.is_empty(), "kubectl reached the API server");
    let want = format!("Bearer {}", at.expose());
    assert!(
        seen.iter().all(|a| a.as_deref() == Some(want.as_str())),
        "every request carries the exec plugin's token ({} requests)",
        seen.len()
    );
}
