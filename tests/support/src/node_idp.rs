//! panva's oidc-provider (npm, OpenID Certified) as a child process on a
//! free loopback port, killed on drop: the independent provider the
//! browser test signs in against. Installed by scripts/setup-browser.sh.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running oidc-provider.
pub struct NodeIdp {
    child: Child,
    /// `http://127.0.0.1:{port}`.
    pub issuer: String,
    /// Its one client: public, `application_type: native`, redirect
    /// `http://127.0.0.1/callback` (any port).
    pub client_id: String,
}

impl NodeIdp {
    /// Starts it and waits for `READY`.
    pub fn start() -> NodeIdp {
        Self::start_script("oidc-server.mjs")
    }

    /// Starts another server script of tests/browser (`fapi-server.mjs`:
    /// the FAPI 2.0 profile in its own process) and waits for `READY`.
    pub fn start_script(script: &str) -> NodeIdp {
        Self::start_script_with(script, &[])
    }

    /// [`start_script`](Self::start_script) with more arguments after the
    /// client id (`fapi-server.mjs`: the PAR lifetime in seconds).
    pub fn start_script_with(script: &str, args: &[&str]) -> NodeIdp {
        crate::needs::require(crate::needs::Need::Node);
        let dir = crate::repo().join("tests/browser");
        assert!(
            dir.join("node_modules/oidc-provider/package.json").exists(),
            "oidc-provider is missing: run scripts/setup-browser.sh (npm ci in tests/browser)"
        );
        let client_id = "oauthkit-browser-test".to_string();
        let mut child = Command::new("node")
            .current_dir(&dir)
            .arg(script)
            .arg(&client_id)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node is missing: run scripts/setup-browser.sh");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut line)
            .expect("reading oidc-provider's READY line");
        // Keep draining its stdout: a closed pipe would kill it on its next
        // write.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let issuer = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("oidc-provider did not start: {line:?}"))
            .to_string();
        NodeIdp {
            child,
            issuer,
            client_id,
        }
    }
}

impl NodeIdp {
    /// A confidential client of this provider: `kind` is `"basic"`
    /// (client_secret_basic) or `"post"` (client_secret_post). Returns the
    /// client id and secret.
    pub fn confidential_client(&self, kind: &str) -> (String, String) {
        let id = format!("{}-{kind}", self.client_id);
        let secret = format!("{id}-secret-0123456789abcdef0123456789abcdef");
        (id, secret)
    }
}

impl Drop for NodeIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl NodeIdp {
    /// The id of one of the server's extra clients (`"device"`,
    /// `"device-slow"`, `"device-short"`, ...; see oidc-server.mjs).
    pub fn client(&self, kind: &str) -> String {
        format!("{}-{kind}", self.client_id)
    }

    /// What the server recorded (`GET /test/stats`): device polls, early
    /// polls, token requests per grant type.
    pub fn stats(&self) -> serde_json::Value {
        let body = ureq::get(&format!("{}/test/stats", self.issuer))
            .call()
            .expect("GET /test/stats")
            .body_mut()
            .read_to_string()
            .unwrap();
        serde_json::from_str(&body).unwrap()
    }
}

impl NodeIdp {
    /// From now on every DPoP proof this server checks must carry a nonce
    /// it issued (`features.dPoP.requireNonce`; oidc-server.mjs).
    pub fn require_dpop_nonce(&self) {
        let status = ureq::post(&format!("{}/test/dpop-require-nonce", self.issuer))
            .send_empty()
            .expect("POST /test/dpop-require-nonce")
            .status();
        assert_eq!(status, 200);
    }
}
