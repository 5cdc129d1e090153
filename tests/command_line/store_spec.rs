//! The `oauthkit` command line reads store specs from `--store`,
//! `OAUTHKIT_STORE` and a profile's `store =` in config.toml; each goes
//! through the library's spec check: a URL-shaped local spec creates
//! nothing (the command runs in an empty temporary directory, which must
//! stay empty) and no output quotes the password. A network spec's
//! password is not shown by `config` or `status` either.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_oauthkit");
const PASSWORD: &str = "cliS3cretPw0rd77";

/// Runs `oauthkit args` in `dir` (also its HOME and XDG folders), with
/// `store` given the way `how` says.
fn run(dir: &Path, how: &str, store: &str, args: &[&str]) -> Output {
    let cwd = dir.join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let config_dir = dir.join("config/oauthkit");
    std::fs::create_dir_all(&config_dir).unwrap();
    let store_line = if how == "config" {
        format!("store = {}\n", toml_string(store))
    } else {
        String::new()
    };
    std::fs::write(
        config_dir.join("config.toml"),
        format!(
            "default_profile = \"p\"\n\n[profiles.p]\nissuer = \"https://127.0.0.1:1\"\n\
             client_id = \"cid\"\n{store_line}"
        ),
    )
    .unwrap();
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("OAUTHKIT_") || k == "BROWSER" {
            c.env_remove(k);
        }
    }
    match how {
        "flag" => {
            c.arg("--store").arg(store);
        }
        "env" => {
            c.env("OAUTHKIT_STORE", store);
        }
        _ => {}
    }
    c.args(args)
        .current_dir(&cwd)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .stdin(Stdio::null())
        .output()
        .expect("run oauthkit")
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn url_shaped_store_specs_are_refused_from_every_source() {
    let specs = [
        format!("sqlite:user:{PASSWORD}@redis://127.0.0.1:6379"),
        format!("file:redis://user:{PASSWORD}@host"),
        format!("sqlite:{PASSWORD}@x://h"),
        format!("file://:{PASSWORD}@host://127.0.0.1"),
        format!("file:user%3A{PASSWORD}%40redis%3A%2F%2Fhost"),
        format!("file:tokens.json?password={PASSWORD}"),
        format!("keyring:user:{PASSWORD}@redis://h"),
    ];
    for how in ["flag", "env", "config"] {
        for spec in &specs {
            for args in [&["status"][..], &["logout"][..], &["token"][..]] {
                let dir = tempfile::tempdir().unwrap();
                let out = run(dir.path(), how, spec, args);
                let shown = text(&out);
                assert!(
                    !out.status.success(),
                    "{how} {spec:?} {args:?} succeeded: {shown}"
                );
                assert!(
                    !shown.contains(PASSWORD),
                    "{how} {spec:?} {args:?}: {shown}"
                );
                let left: Vec<_> = std::fs::read_dir(dir.path().join("cwd"))
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect();
                assert!(left.is_empty(), "{how} {spec:?} {args:?} created {left:?}");
            }
        }
    }
}

#[test]
fn a_network_store_password_is_not_shown_by_config() {
    let spec = format!("redis://app:{PASSWORD}@127.0.0.1:1/0");
    for how in ["flag", "env", "config"] {
        let dir = tempfile::tempdir().unwrap();
        let out = run(dir.path(), how, &spec, &["config"]);
        let shown = text(&out);
        assert!(out.status.success(), "{how}: {shown}");
        assert!(shown.contains("127.0.0.1:1"), "{how}: {shown}");
        assert!(!shown.contains(PASSWORD), "{how}: {shown}");
    }
}
