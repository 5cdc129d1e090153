//! `oauthkit config [PROFILE]`: the effective settings, secrets redacted.

use clap::Args;

use crate::config::Origin;
use crate::{context, exit, Ctx};

/// Show the effective settings of a profile (secrets redacted) and where
/// each came from.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  oauthkit config            # the default profile
  oauthkit config work
  oauthkit config --path     # just the config file's path

The config file ($XDG_CONFIG_HOME/oauthkit/config.toml, --config PATH, OAUTHKIT_CONFIG):

  default_profile = \"work\"

  [profiles.work]
  issuer = \"https://login.example.com\"   # or provider = \"google\" / \"microsoft\" / \"github\" / \"keycloak\" (+ base_url, realm) / \"auth0\" (+ domain) / \"okta\" (+ base_url) / \"gitlab\"
  client_id = \"my-cli\"
  client_secret_env = \"WORK_CLIENT_SECRET\"  # or client_secret = \"...\" (public clients: none)
  scopes = [\"openid\", \"email\", \"offline_access\"]
  # store = \"file:/home/me/work-tokens.json?encrypt=env:WORK_KEY\"  (default: encrypted default store)
  # timeout_secs = 300, port = 8400, redirect_host = \"localhost\", callback_path = \"/callback\"
  # extra_params = { prompt = \"consent\" }
  # git_hosts = [\"git.example.com\"], docker_registries = [\"registry.example.com\"], username = \"oauth2\"

Environment overrides: OAUTHKIT_PROFILE, OAUTHKIT_PROVIDER, OAUTHKIT_ISSUER_URL,
OAUTHKIT_CLIENT_ID, OAUTHKIT_CLIENT_SECRET, OAUTHKIT_SCOPES, OAUTHKIT_STORE;
flags override both.")]
pub struct ConfigArgs {
    /// The profile (default: the config's default_profile).
    pub profile: Option<String>,
    /// Print only the config file's path.
    #[arg(long)]
    pub path: bool,
}

/// A line of the report: the settings come from a file and the
/// environment, so they are shown escaped (`oauthkit::unversioned::terminal_text`).
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", oauthkit::unversioned::terminal_text::escape(&format!($($arg)*)))
    };
}

pub fn run(ctx: &Ctx, args: ConfigArgs) -> oauthkit::Result<i32> {
    if args.path {
        say!("{}", ctx.config.path.display());
        return Ok(exit::OK);
    }
    say!(
        "config file:    {}{}",
        ctx.config.path.display(),
        if ctx.config.exists {
            ""
        } else {
            " (does not exist)"
        }
    );
    let names = ctx.config.profile_names();
    if !names.is_empty() {
        say!("profiles:       {}", names.join(", "));
    }
    let p = ctx.profile(args.profile.as_deref())?;
    let from = |field: &str| match p.origin(field) {
        Origin::Default => String::new(),
        o => format!("  [{}]", o.label()),
    };
    say!("profile:        {}", p.name);
    say!("provider:       {}{}", p.provider, from("provider"));
    if let Some(i) = &p.issuer {
        say!("issuer:         {i}{}", from("issuer"));
    }
    say!("client_id:      {}{}", p.client_id, from("client_id"));
    say!(
        "client_secret:  {}{}",
        match &p.client_secret {
            Some(_) => "<redacted>",
            None => "(none: public client)",
        },
        from("client_secret")
    );
    say!(
        "scopes:         {}{}",
        p.scopes
            .as_ref()
            .map(|s| s.join(" "))
            .unwrap_or_else(|| "(the provider's defaults)".into()),
        from("scopes")
    );
    say!("store:          {}", context::describe_store(&p));
    say!(
        "sign-in:        timeout {} s, callback {}:{}{}",
        p.file
            .timeout_secs
            .unwrap_or(crate::cmd_login::DEFAULT_TIMEOUT_SECS),
        p.file.redirect_host.as_deref().unwrap_or("127.0.0.1"),
        p.file
            .port
            .map(|x| x.to_string())
            .unwrap_or_else(|| "(any free port)".into()),
        p.file.callback_path.as_deref().unwrap_or("/callback")
    );
    for (k, v) in &p.file.extra_params {
        say!("extra param:    {k}={v}");
    }
    if !p.file.git_hosts.is_empty() {
        say!("git hosts:      {}", p.file.git_hosts.join(", "));
    }
    if !p.file.docker_registries.is_empty() {
        say!("docker:         {}", p.file.docker_registries.join(", "));
    }
    if !p.file.git_hosts.is_empty() || !p.file.docker_registries.is_empty() {
        say!("username:       {}", p.username());
    }
    // the provider settings must build: report their error here too
    context::provider(&p)?;
    Ok(exit::OK)
}
