//! `oauthkit kubectl-credential [PROFILE]`: an ExecCredential for
//! kubectl's exec plugin, in the API version kubectl asks for
//! (`KUBERNETES_EXEC_INFO`: `client.authentication.k8s.io/v1`, or
//! `v1beta1` from kubectl before 1.22), `v1` when it does not say.

use clap::Args;

use crate::output::Answer;
use crate::{cmd_token, time, Ctx};

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
        "apiVersion": api_version(std::env::var("KUBERNETES_EXEC_INFO").ok().as_deref()),
        "kind": "ExecCredential",
        "status": status,
    });
    let mut answer = Answer::new("the ExecCredential");
    answer.json(&cred);
    answer.finish()
}

/// The ExecCredential API versions this command can answer in.
const API_VERSIONS: [&str; 2] = [
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
];

/// The API version of kubectl's `KUBERNETES_EXEC_INFO` when it is one
/// this command speaks; `v1` otherwise (and when kubectl sends none).
fn api_version(exec_info: Option<&str>) -> &'static str {
    let asked = exec_info
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| v["apiVersion"].as_str().map(str::to_owned));
    API_VERSIONS
        .into_iter()
        .find(|v| asked.as_deref() == Some(*v))
        .unwrap_or(API_VERSIONS[0])
}

#[cfg(test)]
mod tests {
    use super::api_version;

    #[test]
    fn answers_in_the_version_kubectl_asks_for() {
        let info = |v: &str| {
            format!(
                r#"{{"kind":"ExecCredential","apiVersion":"{v}","spec":{{"interactive":false}}}}"#
            )
        };
        assert_eq!(
            api_version(Some(&info("client.authentication.k8s.io/v1beta1"))),
            "client.authentication.k8s.io/v1beta1"
        );
        assert_eq!(
            api_version(Some(&info("client.authentication.k8s.io/v1"))),
            "client.authentication.k8s.io/v1"
        );
        for other in [
            None,
            Some("not json"),
            Some(r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#),
            Some(r#"{"apiVersion":7}"#),
        ] {
            assert_eq!(
                api_version(other),
                "client.authentication.k8s.io/v1",
                "{other:?}"
            );
        }
    }
}
