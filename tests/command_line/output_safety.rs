//! What the `oauthkit` binary prints can never be steered by a value it
//! did not write itself (issue 21, items 1, 2 and 5), driven through the
//! real binary against token files written by "another program" (the JSON
//! edited after a save) and hostile config values:
//!
//! - a stored access, refresh or ID token outside RFC 6749's VSCHAR set
//!   (LF, CR, CRLF, NUL, TAB, ESC, BEL, DEL, C1, bidi override, zero width,
//!   non-ASCII) is a corrupt store for every command that hands out tokens
//!   (`git-credential get`, `docker-credential get`, `kubectl-credential`,
//!   `token` in every format) and for `status`: exit 5, nothing on standard
//!   output, an error naming the token but never quoting it;
//! - any other value with a control character (C0, DEL, C1) that would
//!   reach a line-based or JSON answer (the profile's user name, the server
//!   URL docker sends, stored scopes or token type, registry names) makes
//!   the command write nothing at all, name the field and exit 6;
//! - text from a file shown by `status` (identity, scopes, profile names)
//!   has every control and Unicode format character escaped visibly.
//!
//! No provider is contacted: the stored tokens are fresh, and the profile's
//! issuer is an unused loopback port.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use oauthkit::{TokenSet, TokenStore};

const BIN: &str = env!("CARGO_BIN_EXE_oauthkit");
/// What every hostile value carries; it must never be printed.
const PAYLOAD: &str = "INJECTED-Vq7zK2";
const PLACEHOLDER: &str = "placeholder-token-Hq2";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// A profile `dev` with a file store, git host, docker registry and
    /// `extra` TOML lines appended to the profile.
    fn new(extra: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let env = Env { dir };
        let config = format!(
            "default_profile = \"dev\"\n\n[profiles.dev]\nprovider = \"oidc\"\n\
             issuer = \"http://127.0.0.1:9\"\nclient_id = \"cli-1\"\n\
             store = \"file:{}\"\ngit_hosts = [\"git.example.com\"]\n\
             docker_registries = [\"registry.example.com\"]\n{extra}",
            env.tokens_file().display()
        );
        std::fs::create_dir_all(env.dir.path().join("config/oauthkit")).unwrap();
        std::fs::write(env.dir.path().join("config/oauthkit/config.toml"), config).unwrap();
        env
    }

    fn tokens_file(&self) -> PathBuf {
        self.dir.path().join("tokens.json")
    }

    /// Saves a fresh token set through the library, then rewrites the file
    /// as another program would: every string `PLACEHOLDER` becomes
    /// `value` (any characters, JSON-escaped).
    fn store_tokens(&self, tokens: TokenSet, value: &str) {
        let store = oauthkit::store::open(&format!("file:{}", self.tokens_file().display()))
            .expect("file store");
        store.save("dev", &tokens).unwrap();
        drop(store);
        let raw = std::fs::read_to_string(self.tokens_file()).unwrap();
        let mut doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let n = replace_strings(&mut doc, value);
        assert!(n > 0, "the placeholder is in the file: {raw}");
        std::fs::write(self.tokens_file(), doc.to_string()).unwrap();
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut c = Command::new(BIN);
        c.args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("OAUTHKIT_") || k == "BROWSER" || k == "KUBERNETES_EXEC_INFO" {
                c.env_remove(k);
            }
        }
        let mut child = c
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run oauthkit");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

fn replace_strings(v: &mut serde_json::Value, with: &str) -> usize {
    match v {
        serde_json::Value::String(s) if s.contains(PLACEHOLDER) => {
            *s = s.replace(PLACEHOLDER, with);
            1
        }
        serde_json::Value::Array(a) => a.iter_mut().map(|x| replace_strings(x, with)).sum(),
        serde_json::Value::Object(m) => m.values_mut().map(|x| replace_strings(x, with)).sum(),
        _ => 0,
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

/// A valid, fresh token set whose `field` is the placeholder.
fn tokens_with_placeholder(field: &str) -> TokenSet {
    let mut t = TokenSet::bearer("at-good-1")
        .with_refresh_token("rt-good-1")
        .with_id_token("aaa.bbb.ccc")
        .with_expires_in(3600)
        .with_scopes(["openid", "email"])
        .with_identity_id("user-1");
    match field {
        "access_token" => t.access_token = PLACEHOLDER.into(),
        "refresh_token" => t.refresh_token = Some(PLACEHOLDER.into()),
        "id_token" => t.id_token = Some(PLACEHOLDER.into()),
        "scopes" => t.scopes = vec!["openid".into(), PLACEHOLDER.into()],
        "token_type" => t.token_type = PLACEHOLDER.into(),
        "identity_id" => t.identity_id = Some(PLACEHOLDER.into()),
        other => panic!("{other}"),
    }
    t
}

/// Every class of character a line-based answer or a terminal acts on.
fn control_classes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("LF", "\n"),
        ("CR", "\r"),
        ("CRLF", "\r\n"),
        ("NUL", "\0"),
        ("TAB", "\t"),
        ("ESC", "\u{1b}]8;;"),
        ("BEL", "\u{7}"),
        ("DEL", "\u{7f}"),
        ("C1 NEL", "\u{85}"),
        ("C1 CSI", "\u{9b}"),
    ]
}

/// Token characters outside VSCHAR that are not controls.
fn other_non_vschar() -> Vec<(&'static str, &'static str)> {
    vec![
        ("bidi override", "\u{202e}"),
        ("zero width", "\u{200b}"),
        ("non-ASCII", "é"),
    ]
}

/// A value as a hostile file or config would hold it.
fn hostile(c: &str) -> String {
    format!("at-1{c}username=attacker{c}password={PAYLOAD}{c}host=evil.example")
}

const GIT_GET: &str = "protocol=https\nhost=git.example.com\n\n";

/// Every command that answers with a token, and its standard input.
fn token_commands() -> Vec<(&'static [&'static str], &'static str)> {
    vec![
        (&["git-credential", "get"], GIT_GET),
        (&["docker-credential", "get"], "registry.example.com\n"),
        (&["kubectl-credential"], ""),
        (&["kubectl-credential", "dev", "--id-token"], ""),
        (&["token"], ""),
        (&["token", "--format", "json"], ""),
        (&["token", "--id-token"], ""),
        (&["token", "--id-token", "--format", "json"], ""),
    ]
}

fn assert_nothing_leaked(out: &Output, what: &str) {
    let all = text(out);
    assert!(
        !all.contains(PAYLOAD),
        "{what}: the value was printed:\n{all}"
    );
    assert!(
        !all.contains("attacker"),
        "{what}: the value was printed:\n{all}"
    );
}

#[test]
fn the_commands_answer_normally_with_clean_values() {
    let env = Env::new("");
    env.store_tokens(tokens_with_placeholder("access_token"), "at-clean-1");
    for (args, stdin) in token_commands() {
        let out = env.run(args, stdin);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        let shown = String::from_utf8_lossy(&out.stdout);
        let want = if args.contains(&"--id-token") {
            "aaa.bbb.ccc"
        } else {
            "at-clean-1"
        };
        assert!(shown.contains(want), "{args:?}: {}", text(&out));
    }
    let out = env.run(&["git-credential", "get"], GIT_GET);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .take(2)
            .collect::<Vec<_>>(),
        ["username=oauth2", "password=at-clean-1"]
    );
    let out = env.run(&["status"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("user-1"),
        "{}",
        text(&out)
    );
}

/// Item 1 + 2: a stored token outside VSCHAR is a corrupt store for every
/// command: exit 5, nothing on standard output, the token not quoted.
#[test]
fn a_stored_token_outside_vschar_is_corrupt_for_every_command() {
    let mut checked = 0;
    for field in ["access_token", "refresh_token", "id_token"] {
        for (label, c) in control_classes().into_iter().chain(other_non_vschar()) {
            let env = Env::new("");
            env.store_tokens(tokens_with_placeholder(field), &hostile(c));
            for (args, stdin) in token_commands().into_iter().chain([(&["status"][..], "")]) {
                let what = format!("{args:?} with {label} in the stored {field}");
                let out = env.run(args, stdin);
                assert_eq!(out.status.code(), Some(5), "{what}: {}", text(&out));
                let err = String::from_utf8_lossy(&out.stderr);
                if args[0] == "status" {
                    // status reports the profile and its error on stdout
                    let shown = String::from_utf8_lossy(&out.stdout);
                    assert!(shown.contains("corrupt"), "{what}: {}", text(&out));
                    assert!(shown.contains(field), "{what}: {}", text(&out));
                    assert!(!shown.contains("user-1"), "{what}: {}", text(&out));
                } else {
                    assert!(out.stdout.is_empty(), "{what}: printed {}", text(&out));
                    assert!(err.contains("corrupt"), "{what}: {}", text(&out));
                    assert!(
                        err.contains(field),
                        "{what}: names the token: {}",
                        text(&out)
                    );
                }
                assert_nothing_leaked(&out, &what);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3 * 13 * 9);
}

/// Item 1: values that are not tokens but reach an answer (the profile's
/// user name, the server URL docker sent, stored scopes and token type,
/// registry names): any control character and the command writes nothing,
/// names the field, exits 6.
#[test]
fn any_control_character_in_an_answer_writes_nothing_and_exits_6() {
    let mut checked = 0;
    for (label, c) in control_classes() {
        let toml_escaped: String = hostile(c)
            .chars()
            .map(|ch| {
                if ch.is_control() {
                    format!("\\u{:04X}", ch as u32)
                } else {
                    ch.to_string()
                }
            })
            .collect();
        // the user name from the config file
        let env = Env::new(&format!("username = \"{toml_escaped}\"\n"));
        env.store_tokens(tokens_with_placeholder("access_token"), "at-clean-1");
        let mut cases: Vec<(Vec<&str>, String, &str)> = vec![
            (vec!["git-credential", "get"], GIT_GET.into(), "username"),
            (
                vec!["docker-credential", "get"],
                "registry.example.com\n".into(),
                "Username",
            ),
            (
                vec!["docker-credential", "list"],
                String::new(),
                "registry.example.com",
            ),
        ];
        // the server URL docker sends on standard input
        cases.push((
            vec!["docker-credential", "get"],
            format!("https://registry.example.com/{}", hostile(c)),
            "ServerURL",
        ));
        for (args, stdin, field) in &cases {
            let what = format!("{args:?} with {label}");
            let out = env.run(args, stdin);
            assert_eq!(out.status.code(), Some(6), "{what}: {}", text(&out));
            assert!(out.stdout.is_empty(), "{what}: printed {}", text(&out));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(field),
                "{what}: names the field: {}",
                text(&out)
            );
            assert!(err.contains("control character"), "{what}: {}", text(&out));
            assert_nothing_leaked(&out, &what);
            checked += 1;
        }
        // stored scopes and token type (not tokens, but in `token --format json`)
        for field in ["scopes", "token_type"] {
            let env = Env::new("");
            env.store_tokens(
                tokens_with_placeholder(field),
                &hostile(c).replace(char::is_whitespace, "\u{1b}"),
            );
            let what = format!("token --format json with {label} in the stored {field}");
            let out = env.run(&["token", "--format", "json"], "");
            assert_eq!(out.status.code(), Some(6), "{what}: {}", text(&out));
            assert!(out.stdout.is_empty(), "{what}: printed {}", text(&out));
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(if field == "scopes" {
                    "scopes["
                } else {
                    field
                }),
                "{what}: {}",
                text(&out)
            );
            assert_nothing_leaked(&out, &what);
            checked += 1;
        }
    }
    assert!(checked >= 10 * 5, "{checked}");
}

/// Item 5: text from the token file and the config that `status` shows
/// (identity, scopes) is escaped visibly, and a profile name holding such
/// a character is refused with an error shown escaped: no control or
/// Unicode format character reaches the terminal.
#[test]
fn status_escapes_what_came_from_files() {
    let classes = control_classes()
        .into_iter()
        .chain([
            ("bidi override", "\u{202e}"),
            ("bidi isolate", "\u{2066}"),
            ("zero width", "\u{200b}"),
            ("BOM", "\u{feff}"),
        ])
        .collect::<Vec<_>>();
    for (label, c) in classes {
        for field in ["identity_id", "scopes"] {
            let env = Env::new("");
            // scopes are split on white space when read back
            let value = format!("user{c}x");
            env.store_tokens(tokens_with_placeholder(field), &value);
            let out = env.run(&["status"], "");
            let what = format!("status with {label} in the stored {field}");
            assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out));
            let shown = String::from_utf8_lossy(&out.stdout).into_owned();
            assert_only_plain(&shown, &what);
            if !c.chars().all(char::is_whitespace) || field == "identity_id" {
                let first = c.chars().next().unwrap();
                assert!(
                    shown.contains(&format!("\\u{{{:x}}}", first as u32)),
                    "{what}: escaped visibly: {shown}"
                );
            }
        }
        // a profile name from the config file
        let toml_name: String = format!("evil{c}name")
            .chars()
            .map(|ch| {
                if ch.is_ascii_graphic() {
                    ch.to_string()
                } else {
                    format!("\\u{:04X}", ch as u32)
                }
            })
            .collect();
        let env = Env::new(&format!(
            "\n[profiles.\"{toml_name}\"]\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"x\"\nstore = \"memory:\"\n"
        ));
        let out = env.run(&["status"], "");
        let shown = String::from_utf8_lossy(&out.stdout).into_owned();
        let what = format!("status with {label} in a profile name");
        assert_only_plain(&shown, &what);
        // refused when the config is read (exit 2), the name shown escaped
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("profile name"),
            "{what}: {}",
            text(&out)
        );
        assert_only_plain(&String::from_utf8_lossy(&out.stderr), &what);
    }
}

/// Only printable text and line ends.
fn assert_only_plain(shown: &str, what: &str) {
    for ch in shown.chars() {
        assert!(
            ch == '\n' || !oauthkit::unversioned::terminal_text::is_hostile(ch),
            "{what}: {:?} reached the terminal: {shown:?}",
            ch
        );
    }
}
