//! `oauthkit docker-credential get|store|erase|list`: docker's credential
//! helper protocol (docker-credential-helpers). `get` reads a server URL on
//! standard input and answers `{"ServerURL", "Username", "Secret"}` with a
//! fresh access token for registries listed in a profile's
//! `docker_registries`.

use std::io::Read;

use clap::{Args, ValueEnum};

use crate::config::Profile;
use crate::output::Answer;
use crate::{cmd_token, exit, Ctx};

/// docker's "not found" message: docker treats it as "no credentials".
const NOT_FOUND: &str = "credentials not found in native keychain";

/// A docker credential helper: a fresh access token for the registries a
/// profile lists.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  # ~/.docker/config.json
  { \"credHelpers\": { \"registry.example.com\": \"oauthkit\" } }
  # with a docker-credential-oauthkit script on the PATH:
  #   #!/bin/sh
  #   exec oauthkit docker-credential \"$@\"
  echo registry.example.com | oauthkit docker-credential get

The profile lists the registries: docker_registries = [\"registry.example.com\"]
(username: the profile's `username`, default oauth2). `store` and `erase`
accept what docker sends and change nothing (the token comes from the
sign-in); `list` shows the configured registries.")]
pub struct DockerArgs {
    /// get, store, erase or list.
    #[arg(value_enum)]
    pub operation: DockerOperation,
}

/// The protocol's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DockerOperation {
    Get,
    Store,
    Erase,
    List,
}

/// `registry.example.com`, `https://registry.example.com/v1/` → the host.
fn host_of(server: &str) -> String {
    let s = server.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    s.split('/').next().unwrap_or(s).to_ascii_lowercase()
}

fn profiles(ctx: &Ctx) -> Vec<Profile> {
    let mut names = ctx.config.profile_names();
    if let Some(p) = &ctx.profile_flag {
        names = vec![p.clone()];
    }
    names
        .iter()
        .filter_map(|n| ctx.config.profile(n, &ctx.overrides).ok())
        .collect()
}

pub fn run(ctx: &Ctx, args: DockerArgs) -> oauthkit::Result<i32> {
    let mut input = String::new();
    let _ = std::io::stdin().take(1 << 20).read_to_string(&mut input);
    match args.operation {
        DockerOperation::Get => {
            let server = input.trim().to_owned();
            let host = host_of(&server);
            let Some(profile) = profiles(ctx)
                .into_iter()
                .find(|p| p.file.docker_registries.iter().any(|r| host_of(r) == host))
            else {
                // docker's helpers print this on stdout and exit 1
                let mut answer = Answer::new("docker's not-found answer");
                answer.fixed(NOT_FOUND).fixed("\n");
                let _ = answer.finish();
                return Ok(exit::FAILURE);
            };
            let tokens = cmd_token::fresh_tokens(&profile, false)?;
            let mut answer = Answer::new("the docker credential answer");
            answer.json(&serde_json::json!({
                "ServerURL": server,
                "Username": profile.username(),
                "Secret": tokens.access_token.expose(),
            }));
            answer.finish()
        }
        DockerOperation::Store | DockerOperation::Erase => Ok(exit::OK),
        DockerOperation::List => {
            let mut map = serde_json::Map::new();
            for p in profiles(ctx) {
                for r in &p.file.docker_registries {
                    map.insert(r.clone(), p.username().to_owned().into());
                }
            }
            let mut answer = Answer::new("the docker registry list");
            answer.json(&serde_json::Value::Object(map));
            answer.finish()
        }
    }
}
