//! `oauthkit`: sign in, print a fresh token, sign out, diagnose, and
//! credential helpers for git, kubectl and docker (feature `cli`).
//!
//! One concept per file: `config.rs` (profiles), `context.rs` (store and
//! provider of a profile), `exit.rs` (exit codes, error lines), one file
//! per command (`cmd_*.rs`), `output.rs` (the one writer of answers on
//! standard output, refusing control characters), `stored_tokens.rs` (a
//! stored token set outside RFC 6749's VSCHAR is corrupt). See docs/cli.md.

mod browser;
mod cmd_config;
mod cmd_docker;
mod cmd_doctor;
mod cmd_git;
mod cmd_kubectl;
mod cmd_login;
mod cmd_login_device;
mod cmd_logout;
mod cmd_status;
mod cmd_token;
mod config;
mod context;
mod exit;
mod interrupt;
mod output;
mod signed_in;
mod stored_tokens;
mod style;
mod time;

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use config::{Config, Overrides};

const HELP_TAIL: &str = "\
Examples:
  oauthkit login work              # sign in (opens the browser)
  oauthkit token work              # print a fresh access token
  curl -H \"Authorization: Bearer $(oauthkit token work)\" https://api.example.com/
  oauthkit status                  # who is signed in, for every profile
  oauthkit logout work

Profiles live in $XDG_CONFIG_HOME/oauthkit/config.toml (see `oauthkit config --help`).

Exit codes:
  0    success
  1    other failure
  2    bad usage or configuration
  3    not signed in, or the sign-in expired or was revoked: run `oauthkit login`
  4    the provider could not be reached or refused
  5    the token store could not be used (keyring, file, lock)
  6    an answer was not written: a value in it held a control character
  130  cancelled (Ctrl-C) or timed out";

/// Sign in with OAuth 2.0 / OpenID Connect providers and hand fresh tokens
/// to scripts, git, kubectl and docker.
#[derive(Debug, Parser)]
#[command(name = "oauthkit", version, after_help = HELP_TAIL)]
struct Cli {
    /// The config file (default: $XDG_CONFIG_HOME/oauthkit/config.toml).
    #[arg(long, global = true, value_name = "PATH", env = "OAUTHKIT_CONFIG")]
    config: Option<PathBuf>,
    /// The profile (also a positional argument of most commands; env
    /// OAUTHKIT_PROFILE).
    #[arg(long, short = 'p', global = true, value_name = "PROFILE")]
    profile: Option<String>,
    /// Override the provider: google, microsoft, github, keycloak, auth0, okta, gitlab, oidc, custom
    /// (env OAUTHKIT_PROVIDER).
    #[arg(long, global = true, value_name = "NAME")]
    provider: Option<String>,
    /// Override the issuer (env OAUTHKIT_ISSUER_URL).
    #[arg(long, global = true, value_name = "URL")]
    issuer: Option<String>,
    /// Override the client id (env OAUTHKIT_CLIENT_ID).
    #[arg(long, global = true, value_name = "ID")]
    client_id: Option<String>,
    /// Override the scopes, space- or comma-separated (env OAUTHKIT_SCOPES).
    #[arg(long, global = true, value_name = "SCOPES")]
    scopes: Option<String>,
    /// Override the token store spec (env OAUTHKIT_STORE), e.g.
    /// file:/path/tokens.json?encrypt=env:KEY.
    #[arg(long, global = true, value_name = "SPEC")]
    store: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Login(cmd_login::LoginArgs),
    Token(cmd_token::TokenArgs),
    Status(cmd_status::StatusArgs),
    Logout(cmd_logout::LogoutArgs),
    Config(cmd_config::ConfigArgs),
    GitCredential(cmd_git::GitArgs),
    KubectlCredential(cmd_kubectl::KubectlArgs),
    DockerCredential(cmd_docker::DockerArgs),
    Doctor(cmd_doctor::DoctorArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:
  oauthkit completions bash > ~/.local/share/bash-completion/completions/oauthkit
  oauthkit completions zsh > \"${fpath[1]}/_oauthkit\"")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// What every command gets.
pub struct Ctx {
    pub config: Config,
    pub overrides: Overrides,
    /// `--profile`.
    pub profile_flag: Option<String>,
}

impl Ctx {
    /// The profile a command runs for: its positional argument, else
    /// `--profile`, else the config's default.
    pub fn profile(&self, positional: Option<&str>) -> oauthkit::Result<config::Profile> {
        let name = self
            .config
            .profile_name(positional.or(self.profile_flag.as_deref()));
        self.config.profile(&name, &self.overrides)
    }
}

fn main() {
    let cli = Cli::parse();
    let profile_hint = cli.profile.clone();
    if let Command::Completions { shell } = &cli.command {
        // built whole, then written once like every other answer
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut Cli::command(), "oauthkit", &mut script);
        let mut answer = output::Answer::new("the shell completions");
        answer.fixed(&String::from_utf8_lossy(&script));
        let code = answer
            .finish()
            .unwrap_or_else(|e| exit::report(&e, profile_hint.as_deref()));
        std::process::exit(code);
    }
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => exit::report(&e, profile_hint.as_deref()),
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> oauthkit::Result<i32> {
    let config = Config::load(cli.config.as_deref())?;
    let ctx = Ctx {
        config,
        overrides: Overrides {
            provider: cli.provider,
            issuer: cli.issuer,
            client_id: cli.client_id,
            scopes: cli.scopes,
            store: cli.store,
        },
        profile_flag: cli.profile,
    };
    match cli.command {
        Command::Login(a) => cmd_login::run(&ctx, a),
        Command::Token(a) => cmd_token::run(&ctx, a),
        Command::Status(a) => cmd_status::run(&ctx, a),
        Command::Logout(a) => cmd_logout::run(&ctx, a),
        Command::Config(a) => cmd_config::run(&ctx, a),
        Command::GitCredential(a) => cmd_git::run(&ctx, a),
        Command::KubectlCredential(a) => cmd_kubectl::run(&ctx, a),
        Command::DockerCredential(a) => cmd_docker::run(&ctx, a),
        Command::Doctor(a) => cmd_doctor::run(&ctx, a),
        Command::Completions { .. } => Ok(exit::OK),
    }
}
