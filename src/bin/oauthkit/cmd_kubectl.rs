//! `oauthkit kubectl-credential [PROFILE]`: an ExecCredential
//! (`client.authentication.k8s.io/v1`) for kubectl's exec plugin.

use std::io::Write;

use clap::Args;

use crate::{cmd_token, exit, time, Ctx};

/// Print a Kubernetes ExecCredential (client.authentication.k8s.io/v1)
/// holding a fresh token, for kubectl's exec credential plugin.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  # ~/.kube/config, users: section
  - name: work
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: oauthkit
        args: [kubectl-credential, work, --id-token]
        interactiveMode: Never

API servers configured for OIDC accept the ID token (--id-token); others take
the access token (the default).")]
pub struct KubectlArgs {
    /// The profile (default: the config's default_profile).
    pub profile: Option<String>,
    /// Give the ID token (what OIDC-configured API servers accept).
    #[arg(long)]
    pub id_token: bool,
}

pub fn run(ctx: &Ctx, args: KubectlArgs) -> oauthkit::Result<i32> {
    let profile = ctx.profile(args.profile.as_deref())?;
    let tokens = cmd_token::fresh_tokens(&profile, false)?;
    let token = if args.id_token {
        tokens
            .id_token
            .as_ref()
            .ok_or_else(|| oauthkit::Error::NotFound {
                what: format!("an ID token for profile '{}'", profile.name),
            })?
            .expose()
    } else {
        tokens.access_token.expose()
    };
    let mut status = serde_json::json!({ "token": token });
    if let Some(at) = tokens.expires_at {
        status["expirationTimestamp"] = time::rfc3339(at).into();
    }
    let cred = serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": status,
    });
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{cred}");
    Ok(exit::OK)
}
