//! A real Keycloak for the integration tests (tests/keycloak.rs): the
//! Quarkus distribution that scripts/setup-keycloak.sh unpacks, started
//! once per test binary (`start-dev`, in-memory H2, a free loopback port)
//! and configured through its admin REST API: the realm `oauthkit`
//! (refresh-token rotation with reuse detection, events on), users with and
//! without the `offline_access` role, and one client per feature under test.
//! Keycloak's login and consent pages are plain HTML forms, played over
//! HTTP with a cookie jar ([`KeycloakBrowser`]).
//!
//! The server dies with the test process: it runs in its own process group
//! under a small shell that holds the read end of a pipe whose write end
//! only the test process has; when that process exits, the shell reads
//! end-of-file and signals the whole group.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::interactions::{Browser, Page, Redirect};

/// The Keycloak version scripts/setup-keycloak.sh installs.
pub const VERSION: &str = crate::needs::KEYCLOAK_VERSION;
/// The realm every test uses.
pub const REALM: &str = "oauthkit";

/// A user holding the `offline_access` realm role.
pub const USER_OFFLINE: &str = "olivia";
/// A user without the `offline_access` role (Keycloak's default roles are
/// changed so that new users do not get it).
pub const USER_PLAIN: &str = "nora";
/// A user the error-path test disables.
pub const USER_DISABLED: &str = "dana";

/// Public, `http://127.0.0.1/callback` (any port), device grant on,
/// `http://127.0.0.1/logged-out` as post-logout redirect; its access
/// tokens name [`CLIENT_CONFIDENTIAL`] as an audience (token exchange).
pub const CLIENT_NATIVE: &str = "native";
/// As [`CLIENT_NATIVE`], used only by the refresh race (its refresh events
/// are counted per client).
pub const CLIENT_RACE: &str = "race";
/// Confidential (`client_secret_basic`/`post`), service account on,
/// standard token exchange on; also the client that introspects.
pub const CLIENT_CONFIDENTIAL: &str = "confidential";
/// Public, `require.pushed.authorization.requests`.
pub const CLIENT_PAR: &str = "par-required";
/// Public, `dpop.bound.access.tokens`.
pub const CLIENT_DPOP: &str = "dpop-bound";
/// Confidential with `private_key_jwt` (`client-jwt`), service account on;
/// its key is [`Keycloak::pkjwt_key`].
pub const CLIENT_PKJWT: &str = "pkjwt";

/// The lines Keycloak printed last, for failure messages.
type LogTail = Arc<Mutex<VecDeque<String>>>;

/// A running, configured Keycloak.
pub struct Keycloak {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// `{base}/realms/oauthkit`.
    pub issuer: String,
    admin_password: String,
    confidential_secret: String,
    pkjwt_key: oauthkit::provider::SigningKey,
    log: LogTail,
    // The watchdog shell; its stdin pipe closes when this process exits.
    _child: Mutex<Child>,
}

/// The one Keycloak of this test binary, started and configured on first
/// use. Panics with what to run when Keycloak or Java 21+ is missing.
pub fn shared() -> &'static Keycloak {
    static SERVER: OnceLock<Keycloak> = OnceLock::new();
    SERVER.get_or_init(Keycloak::start)
}

/// Where scripts/setup-keycloak.sh put Keycloak: (its home, the Java home).
fn installation() -> (PathBuf, PathBuf) {
    let cache = std::env::var_os("OAUTHKIT_KEYCLOAK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/oauthkit-keycloak")
        });
    let version = std::env::var("OAUTHKIT_KEYCLOAK_VERSION").unwrap_or_else(|_| VERSION.into());
    let home = cache.join(format!("keycloak-{version}"));
    assert!(
        home.join("bin/kc.sh").exists(),
        "Keycloak {version} is not installed in {}: run scripts/setup-keycloak.sh \
         (it fetches org.keycloak:keycloak-quarkus-dist:{version} from Maven Central \
         and needs Java 21+)",
        home.display()
    );
    let java_file = cache.join("java-home");
    let java = std::fs::read_to_string(&java_file).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run scripts/setup-keycloak.sh (it finds a Java 21+ runtime)",
            java_file.display()
        )
    });
    let java = PathBuf::from(java.trim());
    assert!(
        java.join("bin/java").exists(),
        "the Java runtime scripts/setup-keycloak.sh found ({}) is gone: install Java 21+ \
         (e.g. apt-get install openjdk-21-jre-headless) and run scripts/setup-keycloak.sh again",
        java.display()
    );
    (home, java)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn random_text() -> String {
    oauthkit::unversioned::random::state()
}

/// The watchdog: runs Keycloak (`"$@"`) in the background; when the test
/// process closes its end of stdin, signals the process group (TERM, then
/// KILL ten seconds later for a JVM still starting), and says when
/// Keycloak exits on its own.
const WATCHDOG: &str = r#"exec 3<&0
( trap '' TERM; read -r _ <&3; kill -TERM 0; sleep 10; kill -KILL 0 ) &
"$@" </dev/null &
wait $!
echo "oauthkit-test: keycloak exited with status $?"
"#;

impl Keycloak {
    fn start() -> Keycloak {
        let (home, java) = installation();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let admin_password = random_text();
        let mut command = Command::new("sh");
        // Its own process group, which the watchdog signals as a whole.
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command
            .arg("-c")
            .arg(WATCHDOG)
            .arg("keycloak-watchdog")
            .arg(home.join("bin/kc.sh"))
            .arg("start-dev")
            .arg(format!("--http-port={port}"))
            .arg("--http-host=127.0.0.1")
            .arg("--hostname-strict=false")
            .arg("--db=dev-mem")
            .arg("--http-management-port=0")
            .env("JAVA_HOME", &java)
            .env("PATH", {
                let mut p = java.join("bin").into_os_string();
                p.push(":");
                p.push(std::env::var_os("PATH").unwrap_or_default());
                p
            })
            // A small heap, and no C2 compiler: a short-lived test
            // server starts sooner on two shared cores without it.
            .env("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m")
            .env("JAVA_OPTS_APPEND", "-XX:TieredStopAtLevel=1")
            .env("KC_BOOTSTRAP_ADMIN_USERNAME", "admin")
            .env("KC_BOOTSTRAP_ADMIN_PASSWORD", &admin_password)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh runs Keycloak's kc.sh");
        let log: LogTail = Arc::new(Mutex::new(VecDeque::new()));
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
                    let mut tail = log.lock().unwrap();
                    if tail.len() == 60 {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            });
        }
        let kc = Keycloak {
            issuer: format!("{base}/realms/{REALM}"),
            base,
            admin_password,
            confidential_secret: format!("confidential-{}", random_text()),
            pkjwt_key: oauthkit::provider::SigningKey::generate(
                oauthkit::provider::SigningAlgorithm::ES256,
            )
            .unwrap()
            .with_kid("pkjwt-es256"),
            log,
            _child: Mutex::new(child),
        };
        kc.wait_until_ready();
        kc.configure();
        kc
    }

    /// What Keycloak printed last (for failure messages).
    pub fn log_tail(&self) -> String {
        let tail = self.log.lock().unwrap();
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    fn wait_until_ready(&self) {
        // Keycloak starts in about a minute on two idle cores; a busy CI
        // machine gets five.
        let deadline = Instant::now() + Duration::from_secs(300);
        let url = format!(
            "{}/realms/master/.well-known/openid-configuration",
            self.base
        );
        loop {
            if let Ok(r) = agent().get(&url).call() {
                if r.status() == 200 {
                    return;
                }
            }
            let exited = self
                .log
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.starts_with("oauthkit-test: keycloak exited"));
            assert!(
                !exited && Instant::now() < deadline,
                "Keycloak did not start ({}); its last lines:\n{}",
                if exited {
                    "it exited"
                } else {
                    "not ready after 300 s"
                },
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// The secret of [`CLIENT_CONFIDENTIAL`].
    pub fn confidential_secret(&self) -> &str {
        &self.confidential_secret
    }

    /// The key [`CLIENT_PKJWT`] authenticates with (ES256; Keycloak has
    /// its public JWK).
    pub fn pkjwt_key(&self) -> oauthkit::provider::SigningKey {
        self.pkjwt_key.clone()
    }

    /// The password of `user`.
    pub fn password(user: &str) -> String {
        format!("{user}-password-1")
    }
}

/// An HTTP agent that returns every status and follows no redirect.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

fn form_body(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

/// Reads a response: (status, body as JSON or `Value::String`).
fn read(mut r: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

// The admin REST API.
impl Keycloak {
    /// A fresh admin access token (master realm, `admin-cli`; they live a
    /// minute, so one is fetched per call).
    fn admin_token(&self) -> String {
        let (status, body) = self.post_form(
            &format!("{}/realms/master/protocol/openid-connect/token", self.base),
            &[
                ("grant_type", "password"),
                ("client_id", "admin-cli"),
                ("username", "admin"),
                ("password", &self.admin_password),
            ],
            None,
        );
        assert_eq!(status, 200, "admin token: {body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// A form POST with an optional `Authorization` header value.
    pub fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        authorization: Option<&str>,
    ) -> (u16, Value) {
        let mut req = agent()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        read(
            req.send(form_body(form).as_bytes())
                .unwrap_or_else(|e| panic!("POST {url}: {e}")),
        )
    }

    /// `method` on `{base}/admin/realms{path}` with a JSON body; panics
    /// unless the answer is 2xx. Returns the body.
    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.try_admin(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        answer
    }

    /// [`admin`](Self::admin) returning the status and body, whatever
    /// the status.
    pub fn try_admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/admin/realms{path}", self.base);
        let token = format!("Bearer {}", self.admin_token());
        let a = agent();
        let resp = match (method, body) {
            ("GET", _) => a.get(&url).header("authorization", &token).call(),
            ("DELETE", None) => a.delete(&url).header("authorization", &token).call(),
            (m, body) => {
                let body = body.unwrap_or(Value::Null).to_string();
                let req = match m {
                    "POST" => a.post(&url),
                    "PUT" => a.put(&url),
                    "DELETE" => a.delete(&url).force_send_body(),
                    other => panic!("method {other}"),
                };
                req.header("authorization", &token)
                    .header("content-type", "application/json")
                    .send(body.as_bytes())
            }
        };
        read(resp.unwrap_or_else(|e| panic!("{method} {url}: {e}")))
    }

    /// The internal id of user `name`.
    pub fn user_id(&self, name: &str) -> String {
        let users = self.admin(
            "GET",
            &format!("/{REALM}/users?username={name}&exact=true"),
            None,
        );
        users[0]["id"]
            .as_str()
            .expect("the user exists")
            .to_string()
    }

    /// The internal id of client `client_id`.
    pub fn client_uuid(&self, client_id: &str) -> String {
        let clients = self.admin(
            "GET",
            &format!("/{REALM}/clients?clientId={client_id}"),
            None,
        );
        clients[0]["id"]
            .as_str()
            .expect("the client exists")
            .to_string()
    }

    /// Enables or disables user `name`.
    pub fn set_user_enabled(&self, name: &str, enabled: bool) {
        let id = self.user_id(name);
        self.admin(
            "PUT",
            &format!("/{REALM}/users/{id}"),
            Some(json!({ "enabled": enabled })),
        );
    }

    /// The number of `REFRESH_TOKEN` events (successful refreshes) of
    /// `client_id` so far.
    pub fn refresh_events(&self, client_id: &str) -> usize {
        let events = self.admin(
            "GET",
            &format!("/{REALM}/events?client={client_id}&type=REFRESH_TOKEN&max=1000"),
            None,
        );
        events.as_array().expect("a list of events").len()
    }

    /// RFC 7662 introspection of `token` by [`CLIENT_CONFIDENTIAL`].
    pub fn introspect(&self, token: &str) -> Value {
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{CLIENT_CONFIDENTIAL}:{}",
            self.confidential_secret
        ));
        let (status, body) = self.post_form(
            &format!("{}/protocol/openid-connect/token/introspect", self.issuer),
            &[("token", token)],
            Some(&format!("Basic {basic}")),
        );
        assert_eq!(status, 200, "introspection: {body}");
        body
    }

    /// Creates the realm, its users and its clients.
    fn configure(&self) {
        self.admin(
            "POST",
            "",
            Some(json!({
                "realm": REALM,
                "enabled": true,
                // refresh-token rotation with reuse detection
                "revokeRefreshToken": true,
                "refreshTokenMaxReuse": 0,
                // successful refreshes are counted per client
                "eventsEnabled": true,
                "enabledEventTypes": ["REFRESH_TOKEN", "REFRESH_TOKEN_ERROR"],
                "eventsExpiration": 3600,
            })),
        );
        // New users get `offline_access` through the realm's default
        // roles; take it out, so that only users given it have it.
        let defaults = format!("/{REALM}/roles/default-roles-{REALM}/composites");
        let offline: Vec<Value> = self
            .admin("GET", &defaults, None)
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["name"] == "offline_access")
            .cloned()
            .collect();
        assert_eq!(offline.len(), 1, "offline_access is a default role");
        self.admin("DELETE", &defaults, Some(Value::Array(offline)));
        for user in [USER_OFFLINE, USER_PLAIN, USER_DISABLED] {
            self.admin(
                "POST",
                &format!("/{REALM}/users"),
                Some(json!({
                    "username": user,
                    "enabled": true,
                    "email": format!("{user}@example.test"),
                    "emailVerified": true,
                    "firstName": user,
                    "lastName": "Tester",
                    "credentials": [{
                        "type": "password",
                        "value": Self::password(user),
                        "temporary": false,
                    }],
                })),
            );
        }
        let role = self.admin("GET", &format!("/{REALM}/roles/offline_access"), None);
        let olivia = self.user_id(USER_OFFLINE);
        self.admin(
            "POST",
            &format!("/{REALM}/users/{olivia}/role-mappings/realm"),
            Some(json!([role])),
        );
        for client in self.clients() {
            self.admin("POST", &format!("/{REALM}/clients"), Some(client));
        }
    }

    /// The realm's clients (see the `CLIENT_*` constants).
    fn clients(&self) -> Vec<Value> {
        let native = |id: &str| {
            json!({
                "clientId": id,
                "publicClient": true,
                "standardFlowEnabled": true,
                "directAccessGrantsEnabled": false,
                // RFC 8252 7.3: any port of the loopback address
                "redirectUris": ["http://127.0.0.1/callback"],
                "attributes": {
                    "oauth2.device.authorization.grant.enabled": "true",
                    "post.logout.redirect.uris": "http://127.0.0.1/logged-out",
                },
                "protocolMappers": [{
                    "name": "exchanger audience",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {
                        "included.client.audience": CLIENT_CONFIDENTIAL,
                        "access.token.claim": "true",
                        "id.token.claim": "false",
                    },
                }],
            })
        };
        let mut par = native(CLIENT_PAR);
        par["attributes"]["require.pushed.authorization.requests"] = json!("true");
        let mut dpop = native(CLIENT_DPOP);
        dpop["attributes"]["dpop.bound.access.tokens"] = json!("true");
        let jwks = json!({ "keys": [self.pkjwt_key.public_jwk()] }).to_string();
        vec![
            native(CLIENT_NATIVE),
            native(CLIENT_RACE),
            par,
            dpop,
            json!({
                "clientId": CLIENT_CONFIDENTIAL,
                "publicClient": false,
                "clientAuthenticatorType": "client-secret",
                "secret": self.confidential_secret,
                "standardFlowEnabled": true,
                "serviceAccountsEnabled": true,
                "redirectUris": ["http://127.0.0.1/callback"],
                "attributes": { "standard.token.exchange.enabled": "true" },
            }),
            json!({
                "clientId": CLIENT_PKJWT,
                "publicClient": false,
                "clientAuthenticatorType": "client-jwt",
                "standardFlowEnabled": false,
                "serviceAccountsEnabled": true,
                "attributes": {
                    "use.jwks.string": "true",
                    "jwks.string": jwks,
                },
            }),
        ]
    }
}

/// Where playing Keycloak's pages ended.
pub enum Ended {
    /// Keycloak redirected to the awaited prefix.
    Redirect(Redirect),
    /// A page with no form to submit and no redirect (an error page, the
    /// device grant's "success" page); its visible text.
    Page(u16, String),
}

impl Ended {
    /// The redirect; panics with the page otherwise.
    #[track_caller]
    pub fn redirect(self) -> Redirect {
        match self {
            Ended::Redirect(r) => r,
            Ended::Page(status, text) => panic!("Keycloak stopped at a page ({status}): {text}"),
        }
    }
}

/// The visible text of a page (tags, scripts and styles dropped, blanks
/// squeezed), for assertions and failure messages.
pub fn visible_text(html: &str) -> String {
    let mut out = html.to_string();
    for tag in ["script", "style"] {
        let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
        while let Some(start) = out.find(&open) {
            let end = out[start..]
                .find(&close)
                .map_or(out.len(), |e| start + e + close.len());
            out.replace_range(start..end, " ");
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in out.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(unescape(tag[start..].split('"').next()?))
}

/// A form of a Keycloak page.
struct Form {
    action: String,
    /// Its hidden fields and its first named submit button (`login`,
    /// `accept`, `confirmLogout`).
    fields: Vec<(String, String)>,
    /// Whether it asks for a password.
    asks_password: bool,
}

/// The first form of a Keycloak page.
fn form(html: &str) -> Option<Form> {
    let start = html.find("<form")?;
    let body = &html[start..];
    let tag = &body[..body.find('>')?];
    let action = attribute(tag, "action")?;
    let body = &body[..body.find("</form>").unwrap_or(body.len())];
    let mut fields = Vec::new();
    let mut submitted = false;
    for piece in body.split('<').skip(1) {
        let tag = format!(" {}", &piece[..piece.find('>').unwrap_or(piece.len())]);
        let is_input = piece.starts_with("input");
        let is_button = piece.starts_with("button");
        if !(is_input || is_button) {
            continue;
        }
        let kind = attribute(&tag, "type").unwrap_or_default();
        let Some(name) = attribute(&tag, "name") else {
            continue;
        };
        let value = attribute(&tag, "value").unwrap_or_default();
        if kind == "hidden" {
            fields.push((name, value));
        } else if kind == "submit" && !submitted {
            fields.push((name, value));
            submitted = true;
        }
    }
    Some(Form {
        action,
        fields,
        asks_password: body.contains("name=\"password\""),
    })
}

/// Plays Keycloak's pages in `browser` from `url` as `user`: follows
/// redirects, submits the password form and the consent form (and
/// anything else with a named submit button, such as the logout
/// confirmation), until a redirect starting with `redirect_prefix`.
pub fn play(browser: &mut Browser, url: &str, redirect_prefix: &str, user: &str) -> Ended {
    let password = Keycloak::password(user);
    let mut page: Page = browser.get(url);
    for _ in 0..20 {
        if let Some(next) = page.location.clone() {
            if next.starts_with(redirect_prefix) {
                return Ended::Redirect(Redirect { url: next });
            }
            page = browser.get(&next);
            continue;
        }
        let Some(form) = form(&page.body) else {
            return Ended::Page(page.status, visible_text(&page.body));
        };
        let action = browser.origin.join(&form.action).unwrap().to_string();
        let mut fields: Vec<(&str, &str)> = form
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if form.asks_password {
            fields.extend([("username", user), ("password", password.as_str())]);
        }
        page = browser.post(&action, &fields);
        if page.status == 400 || page.status >= 500 {
            return Ended::Page(page.status, visible_text(&page.body));
        }
    }
    panic!("no redirect to {redirect_prefix} after 20 steps");
}

/// A browser (cookie jar) for this Keycloak.
pub fn browser() -> Browser {
    Browser::new(&shared().base)
}

/// The client under the FAPI 2.0 DPoP profile.
pub const CLIENT_FAPI2: &str = "fapi2";

impl Keycloak {
    /// Puts [`CLIENT_FAPI2`] under Keycloak's built-in
    /// `fapi-2-dpop-security-profile` (a client policy whose condition is
    /// the client role `fapi2-client`), with `private_key_jwt` by
    /// [`pkjwt_key`](Self::pkjwt_key), PAR, PKCE S256, DPoP-bound tokens,
    /// consent and `redirect_uri` (https). The profile signs ID tokens
    /// with PS256, so the realm gets a PS256 key first.
    pub fn create_fapi2_client(&self, redirect_uri: &str) {
        let realm_id = self.admin("GET", &format!("/{REALM}"), None)["id"]
            .as_str()
            .unwrap()
            .to_string();
        self.admin(
            "POST",
            &format!("/{REALM}/components"),
            Some(json!({
                "name": "rsa-ps256",
                "providerId": "rsa-generated",
                "providerType": "org.keycloak.keys.KeyProvider",
                "parentId": realm_id,
                "config": {
                    "priority": ["100"],
                    "algorithm": ["PS256"],
                    "keySize": ["2048"],
                },
            })),
        );
        let jwks = json!({ "keys": [self.pkjwt_key.public_jwk()] }).to_string();
        self.admin(
            "POST",
            &format!("/{REALM}/clients"),
            Some(json!({
                "clientId": CLIENT_FAPI2,
                "publicClient": false,
                "clientAuthenticatorType": "client-jwt",
                "standardFlowEnabled": true,
                "implicitFlowEnabled": false,
                "directAccessGrantsEnabled": false,
                "consentRequired": true,
                "fullScopeAllowed": false,
                "redirectUris": [redirect_uri],
                "attributes": {
                    "use.jwks.string": "true",
                    "jwks.string": jwks,
                    "token.endpoint.auth.signing.alg": "ES256",
                    "require.pushed.authorization.requests": "true",
                    "pkce.code.challenge.method": "S256",
                    "dpop.bound.access.tokens": "true",
                    "id.token.signed.response.alg": "PS256",
                    "access.token.signed.response.alg": "PS256",
                },
            })),
        );
        let uuid = self.client_uuid(CLIENT_FAPI2);
        self.add_client_policy(&uuid, "fapi-2-dpop-security-profile");
        // The profile now judges every change of the client: the client
        // as it is passes, a plain-http loopback redirect is refused.
        let path = format!("/{REALM}/clients/{uuid}");
        let client = self.admin("GET", &path, None);
        self.admin("PUT", &path, Some(client.clone()));
        let mut native = client;
        native["redirectUris"] = json!(["http://127.0.0.1/callback"]);
        let (status, answer) = self.try_admin("PUT", &path, Some(native));
        // (the same redirect URI is fine for the clients outside the policy)
        assert_eq!(status, 400, "an http redirect under FAPI 2.0: {answer}");
        assert_eq!(answer["error"], "invalid_client_metadata", "{answer}");
        assert_eq!(answer["error_description"], "Invalid redirectUris");
    }

    /// Puts client `uuid` under Keycloak's built-in client profile
    /// `profile`: a client role named after the profile, and a client
    /// policy (added to the realm's) whose condition is that role.
    pub fn add_client_policy(&self, uuid: &str, profile: &str) {
        let role = format!("{profile}-client");
        self.admin(
            "POST",
            &format!("/{REALM}/clients/{uuid}/roles"),
            Some(json!({ "name": role })),
        );
        let path = format!("/{REALM}/client-policies/policies");
        let mut policies = self.admin("GET", &path, None);
        let list = policies["policies"].as_array_mut().expect("a policy list");
        list.push(json!({
            "name": profile,
            "enabled": true,
            "conditions": [{
                "condition": "client-roles",
                "configuration": { "roles": [role] },
            }],
            "profiles": [profile],
        }));
        self.admin("PUT", &path, Some(policies));
    }

    /// Keycloak's built-in (global) client profile `name`.
    pub fn global_profile(&self, name: &str) -> Value {
        let all = self.admin(
            "GET",
            &format!("/{REALM}/client-policies/profiles?include-global-profiles=true"),
            None,
        );
        all["globalProfiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// A public native client `client_id` with OAuth 2.1's rules set by
    /// hand: loopback redirect `http://127.0.0.1/callback` (any port),
    /// PKCE S256 required, no implicit grant, no password grant. Returns
    /// its internal id.
    pub fn create_oauth21_native_client(&self, client_id: &str) -> String {
        self.admin(
            "POST",
            &format!("/{REALM}/clients"),
            Some(json!({
                "clientId": client_id,
                "publicClient": true,
                "standardFlowEnabled": true,
                "implicitFlowEnabled": false,
                "directAccessGrantsEnabled": false,
                "redirectUris": ["http://127.0.0.1/callback"],
                "attributes": { "pkce.code.challenge.method": "S256" },
            })),
        );
        self.client_uuid(client_id)
    }

    /// Saves client `uuid` unchanged (an update the realm's client
    /// policies judge): Keycloak's status and answer.
    pub fn resave_client(&self, uuid: &str) -> (u16, Value) {
        let path = format!("/{REALM}/clients/{uuid}");
        let client = self.admin("GET", &path, None);
        self.try_admin("PUT", &path, Some(client))
    }

    /// The client policies of the realm (to check which profile applies).
    pub fn client_policies(&self) -> Value {
        self.admin("GET", &format!("/{REALM}/client-policies/policies"), None)
    }
}
