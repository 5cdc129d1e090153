//! Runs oauthkit's development OpenID provider on 127.0.0.1 until Ctrl-C,
//! so the `oauthkit` CLI (and any program) can be tried offline:
//!
//! ```sh
//! cargo run --example dev_provider --features dev-provider
//! # in a second shell (the example prints these lines with its own path):
//! export OAUTHKIT_CONFIG=/tmp/oauthkit-dev/config.toml
//! oauthkit login dev && oauthkit token dev && oauthkit status dev && oauthkit logout dev
//! ```
//!
//! It approves every sign-in at once (the fake user needs no password), so
//! any browser, or `curl`, completes `oauthkit login`; `--approve-page`
//! shows an Approve/Deny page instead. It writes a CLI config with a `dev`
//! profile (its issuer, client id, scopes, and a token file beside the
//! config, which needs no keyring) and prints it. `--help` lists the
//! switches: port, refresh-token rotation, token lifetime, a slow token
//! endpoint, DPoP nonces, DPoP off.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions};

const USAGE: &str = "\
oauthkit's development OpenID provider, on 127.0.0.1 until Ctrl-C.

Usage: cargo run --example dev_provider --features dev-provider -- [OPTIONS]

Options:
  --approve-page            show an Approve/Deny page (default: approve at once)
  --auto-approve            approve at once (the default; accepted for old instructions)
  --port N                  listen on port N (default: a free port, new on every start)
  --rotate-refresh-tokens   a new refresh token on every refresh; reusing an old one
                            revokes the whole sign-in (reuse detection)
  --access-token-ttl SECS   access-token lifetime, the expires_in (default 3600)
  --token-delay-ms MS       answer every token request MS milliseconds late
  --dpop-nonce              DPoP proofs must carry the provider's nonce (use_dpop_nonce)
  --no-dpop                 act as a provider without DPoP (Bearer tokens only)
  --config PATH             where to write the CLI config (default:
                            <temp dir>/oauthkit-dev/config.toml, tokens beside it)
  -h, --help                this text
";

fn fail(msg: &str) -> ! {
    eprintln!("dev_provider: {msg}\n\n{USAGE}");
    std::process::exit(2)
}

fn number<T: std::str::FromStr>(flag: &str, v: Option<String>) -> T {
    v.and_then(|v| v.parse().ok())
        .unwrap_or_else(|| fail(&format!("{flag} needs a number")))
}

fn main() {
    if let Err(e) = run() {
        eprintln!("dev_provider: {e}");
        std::process::exit(1);
    }
}

fn run() -> oauthkit::Result<()> {
    let mut opts = DevProviderOptions::default().auto_approve(true);
    let mut config = std::env::temp_dir()
        .join("oauthkit-dev")
        .join("config.toml");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            "--approve-page" => opts = opts.auto_approve(false),
            "--auto-approve" => opts = opts.auto_approve(true),
            "--port" => opts = opts.port(number("--port", args.next())),
            "--rotate-refresh-tokens" => opts = opts.rotate_refresh_tokens(true),
            "--access-token-ttl" => {
                opts = opts.access_token_ttl(Duration::from_secs(number(&a, args.next())))
            }
            "--token-delay-ms" => {
                opts = opts.token_delay(Duration::from_millis(number(&a, args.next())))
            }
            "--dpop-nonce" => opts = opts.dpop_nonce(true),
            "--no-dpop" => opts = opts.dpop(false),
            "--config" => {
                config = args
                    .next()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| fail("--config needs a path"))
            }
            other => fail(&format!("unknown argument '{other}'")),
        }
    }
    let idp = DevProvider::start(opts)?;
    let dir = config
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    private_dir(dir)?;
    let tokens = dir.join("tokens.json");
    let profile = format!(
        "default_profile = \"dev\"\n\n[profiles.dev]\nissuer = \"{}\"\nclient_id = \"{}\"\nscopes = [\"openid\", \"email\", \"profile\", \"offline_access\"]\nstore = \"file:{}\"\n",
        idp.issuer(),
        idp.client_id(),
        tokens.display()
    );
    write_private(&config, &profile)?;
    println!("dev provider: {} (Ctrl-C stops it)\n", idp.issuer());
    println!("wrote {} (a `dev` profile):\n\n{profile}", config.display());
    println!("In another shell:\n");
    println!("  export OAUTHKIT_CONFIG={}", config.display());
    println!("  oauthkit login dev     # sign-ins are approved at once: any browser completes it");
    println!("  oauthkit token dev");
    println!("  oauthkit status dev");
    println!("  oauthkit logout dev\n");
    println!(
        "No browser on this machine? `export OAUTHKIT_BROWSER=\"curl -sfL -o /dev/null\"` first."
    );
    println!(
        "The tokens go to {} (not encrypted: they are worth nothing outside this provider).",
        tokens.display()
    );
    println!("To keep the profile in ~/.config/oauthkit/config.toml instead, start with --port so the issuer stays the same.");
    std::io::stdout().flush().ok();
    loop {
        std::thread::park();
    }
}

/// Creates `dir` (0700) or checks that it is a directory of this user
/// that no one else can write to: in a shared temp directory another user
/// could have made it first.
fn private_dir(dir: &Path) -> oauthkit::Result<()> {
    let io = |what: &str, e| oauthkit::Error::Io {
        context: format!("{what} {}", dir.display()),
        source: e,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt};
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io("creating", e)),
        }
        let meta = std::fs::symlink_metadata(dir).map_err(|e| io("reading", e))?;
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o022 != 0 {
            return Err(oauthkit::Error::InvalidArgument(format!(
                "{} is not a directory of yours that only you can write to; remove it or pass --config with another path",
                dir.display()
            )));
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(|e| io("creating", e))?;
    Ok(())
}

/// Writes `text` to `path`, readable by this user only (0600), through a
/// new file renamed into place.
fn write_private(path: &Path, text: &str) -> oauthkit::Result<()> {
    let io = |e| oauthkit::Error::Io {
        context: format!("writing {}", path.display()),
        source: e,
    };
    let tmp = path.with_extension("toml.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
