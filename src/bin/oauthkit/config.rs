//! Profiles: the TOML config file, `OAUTHKIT_*` environment variables and
//! flags, merged into the effective settings of one profile.
//!
//! Precedence, highest first: flags, environment, the profile in the file,
//! built-in defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oauthkit::provider::{ProviderKind, ProviderSettings};
use oauthkit::{Error, Result, Secret};
use serde::Deserialize;

/// The config file's environment variable.
pub const CONFIG_ENV: &str = "OAUTHKIT_CONFIG";
/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when none is named (default `default`).
    pub default_profile: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileFile>,
}

/// One `[profiles.NAME]` table, as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    /// `google`, `microsoft`, `github`, `keycloak`, `auth0`, `okta`,
    /// `gitlab`, `oidc` or `custom`; `oidc` when only `issuer` is given.
    pub provider: Option<String>,
    /// The issuer (OpenID discovery) for `oidc`.
    pub issuer: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
    /// The client secret (prefer `client_secret_env`); a `Secret`, so a
    /// Debug print of the profile never shows it.
    pub client_secret: Option<Secret>,
    /// The name of an environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// Scopes.
    pub scopes: Option<Vec<String>>,
    /// Microsoft tenant.
    pub tenant: Option<String>,
    /// Keycloak's server, the Okta org URL or a GitLab instance.
    pub base_url: Option<String>,
    /// Keycloak realm.
    pub realm: Option<String>,
    /// Auth0 tenant domain.
    pub domain: Option<String>,
    /// Okta authorization server (`default`, an id, `org`).
    pub authorization_server: Option<String>,
    /// Auth0 API audience.
    pub audience: Option<String>,
    /// Endpoint overrides (`oidc`) or the endpoints (`custom`).
    pub authorize_url: Option<String>,
    /// Token endpoint.
    pub token_url: Option<String>,
    /// Userinfo endpoint.
    pub userinfo_url: Option<String>,
    /// Revocation endpoint.
    pub revocation_url: Option<String>,
    /// A store spec; default: the encrypted default store of app
    /// `oauthkit-cli-{profile}`.
    pub store: Option<String>,
    /// Seconds the user has to sign in (default 300).
    pub timeout_secs: Option<u64>,
    /// A fixed callback port (default: any free port).
    pub port: Option<u16>,
    /// `localhost` to put `localhost` in the redirect URI.
    pub redirect_host: Option<String>,
    /// The callback path (default `/callback`).
    pub callback_path: Option<String>,
    /// Extra authorization parameters (`prompt`, `login_hint`, ...).
    #[serde(default)]
    pub extra_params: BTreeMap<String, String>,
    /// Refresh when the token expires within this many seconds (default 60).
    pub refresh_margin_secs: Option<u64>,
    /// Hosts the git credential helper answers for.
    #[serde(default)]
    pub git_hosts: Vec<String>,
    /// The user name the credential helpers give (default `oauth2`).
    pub username: Option<String>,
    /// Registries the docker credential helper answers for.
    #[serde(default)]
    pub docker_registries: Vec<String>,
}

/// Settings given on the command line (global flags).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub provider: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub scopes: Option<String>,
    pub store: Option<String>,
}

/// Where one effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    File,
    Default,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Flag => "flag",
            Origin::Env => "env",
            Origin::File => "config file",
            Origin::Default => "default",
        }
    }
}

/// A loaded config file (or none) and where it is.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub exists: bool,
    pub file: ConfigFile,
}

/// The effective settings of one profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub provider: ProviderKind,
    pub issuer: Option<String>,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub scopes: Option<Vec<String>>,
    pub store: Option<String>,
    pub store_origin: Origin,
    pub file: ProfileFile,
    pub origins: BTreeMap<&'static str, Origin>,
}

impl Config {
    /// Reads the config file: `path`, else `$OAUTHKIT_CONFIG`, else
    /// `$XDG_CONFIG_HOME/oauthkit/config.toml` (`~/.config/...`). A missing
    /// default file is an empty config; a missing named file is an error.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let named = path
            .map(Path::to_path_buf)
            .or_else(|| env_nonempty(CONFIG_ENV).map(PathBuf::from));
        let path = match &named {
            Some(p) => p.clone(),
            None => default_path()?,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && named.is_none() => {
                return Ok(Config {
                    path,
                    exists: false,
                    file: ConfigFile::default(),
                })
            }
            Err(e) => {
                return Err(Error::Io {
                    context: format!("reading the config file {}", path.display()),
                    source: e,
                })
            }
        };
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            // toml's message quotes the offending line; a secret could be on
            // it, so keep only the first line of the message and the span.
            let what = e
                .message()
                .lines()
                .next()
                .unwrap_or("syntax error")
                .to_owned();
            let at = e
                .span()
                .map(|s| format!(" (line {})", text[..s.start].matches('\n').count() + 1))
                .unwrap_or_default();
            Error::InvalidArgument(format!("config file {}{at}: {what}", path.display()))
        })?;
        for name in file.profiles.keys() {
            check_profile_name(name)?;
        }
        Ok(Config {
            path,
            exists: true,
            file,
        })
    }

    /// The profile to use: the one named, else `$OAUTHKIT_PROFILE`, else the
    /// file's `default_profile`, else the only profile, else `default`.
    pub fn profile_name(&self, named: Option<&str>) -> String {
        named
            .map(str::to_owned)
            .or_else(|| env_nonempty("OAUTHKIT_PROFILE"))
            .or_else(|| self.file.default_profile.clone())
            .or_else(|| {
                (self.file.profiles.len() == 1)
                    .then(|| self.file.profiles.keys().next().cloned())
                    .flatten()
            })
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
    }

    /// The effective settings of profile `name`.
    pub fn profile(&self, name: &str, flags: &Overrides) -> Result<Profile> {
        check_profile_name(name)?;
        let file = self.file.profiles.get(name).cloned();
        let in_file = file.is_some();
        let file = file.unwrap_or_default();
        let mut origins = BTreeMap::new();
        let mut pick = |field: &'static str,
                        flag: Option<String>,
                        env: &str,
                        from_file: Option<String>|
         -> Option<String> {
            let (v, o) = if let Some(v) = flag.filter(|v| !v.is_empty()) {
                (Some(v), Origin::Flag)
            } else if let Some(v) = env_nonempty(env) {
                (Some(v), Origin::Env)
            } else if let Some(v) = from_file {
                (Some(v), Origin::File)
            } else {
                (None, Origin::Default)
            };
            origins.insert(field, o);
            v
        };
        let issuer = pick(
            "issuer",
            flags.issuer.clone(),
            "OAUTHKIT_ISSUER_URL",
            file.issuer.clone(),
        );
        let provider = pick(
            "provider",
            flags.provider.clone(),
            "OAUTHKIT_PROVIDER",
            file.provider.clone(),
        );
        let client_id = pick(
            "client_id",
            flags.client_id.clone(),
            "OAUTHKIT_CLIENT_ID",
            file.client_id.clone(),
        );
        let scopes = pick(
            "scopes",
            flags.scopes.clone(),
            "OAUTHKIT_SCOPES",
            file.scopes.as_ref().map(|s| s.join(" ")),
        );
        let store = pick(
            "store",
            flags.store.clone(),
            "OAUTHKIT_STORE",
            file.store.clone(),
        );
        let secret_from_env_name = file.client_secret_env.as_deref().and_then(env_nonempty);
        let client_secret = pick(
            "client_secret",
            None,
            "OAUTHKIT_CLIENT_SECRET",
            secret_from_env_name
                .or_else(|| file.client_secret.as_ref().map(|s| s.expose().to_owned())),
        )
        .map(Secret::new);
        let store_origin = origins["store"];
        let provider = match provider {
            Some(p) => p.parse()?,
            None if issuer.is_some() => ProviderKind::Oidc,
            None => {
                return Err(Error::InvalidArgument(if !in_file && self.exists {
                    format!(
                        "no profile '{name}' in {} (profiles: {}); add a [profiles.{name}] table",
                        self.path.display(),
                        if self.file.profiles.is_empty() {
                            "none".to_owned()
                        } else {
                            self.profile_names().join(", ")
                        }
                    )
                } else if in_file {
                    format!(
                        "profile '{name}' has no provider or issuer; add `issuer = \"https://...\"` or \
                         `provider = \"google\"` to [profiles.{name}] in {}",
                        self.path.display()
                    )
                } else {
                    format!(
                        "no profile '{name}': create {} with a [profiles.{name}] table \
                         (see `oauthkit config --help`), or set OAUTHKIT_ISSUER_URL and OAUTHKIT_CLIENT_ID",
                        self.path.display()
                    )
                }))
            }
        };
        let client_id = client_id.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "profile '{name}' has no client_id; add it to [profiles.{name}] in {} or set OAUTHKIT_CLIENT_ID",
                self.path.display()
            ))
        })?;
        let scopes = scopes.map(|s| {
            s.split(|c: char| c.is_whitespace() || c == ',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        });
        Ok(Profile {
            name: name.to_owned(),
            provider,
            issuer,
            client_id,
            client_secret,
            scopes,
            store,
            store_origin,
            file,
            origins,
        })
    }

    /// Every profile named in the file.
    pub fn profile_names(&self) -> Vec<String> {
        self.file.profiles.keys().cloned().collect()
    }
}

impl Profile {
    /// The provider settings of this profile.
    pub fn provider_settings(&self) -> ProviderSettings {
        let mut s = ProviderSettings::new(self.provider, &self.client_id);
        s.client_secret = self.client_secret.clone();
        s.scopes = self.scopes.clone();
        s.issuer_url = self.issuer.clone();
        s.tenant_id = self.file.tenant.clone();
        s.base_url = self.file.base_url.clone();
        s.realm = self.file.realm.clone();
        s.domain = self.file.domain.clone();
        s.authorization_server = self.file.authorization_server.clone();
        s.audience = self.file.audience.clone();
        s.authorize_url = self.file.authorize_url.clone();
        s.token_url = self.file.token_url.clone();
        s.userinfo_url = self.file.userinfo_url.clone();
        s.revocation_url = self.file.revocation_url.clone();
        s
    }

    /// The application name of this profile's default store.
    pub fn default_store_app(&self) -> String {
        format!("oauthkit-cli-{}", self.name)
    }

    /// The key tokens are stored under: the profile's name.
    pub fn token_key(&self) -> &str {
        &self.name
    }

    /// The user name the credential helpers give.
    pub fn username(&self) -> &str {
        self.file.username.as_deref().unwrap_or("oauth2")
    }

    pub fn origin(&self, field: &str) -> Origin {
        self.origins.get(field).copied().unwrap_or(Origin::Default)
    }
}

/// `$XDG_CONFIG_HOME/oauthkit/config.toml`, else `~/.config/...`
/// (`~/Library/Application Support/oauthkit` on macOS, `%APPDATA%` on
/// Windows).
pub fn default_path() -> Result<PathBuf> {
    let base = if cfg!(windows) {
        env_nonempty("APPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        env_nonempty("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                env_nonempty("HOME").map(|h| Path::new(&h).join("Library/Application Support"))
            })
    } else {
        env_nonempty("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| env_nonempty("HOME").map(|h| Path::new(&h).join(".config")))
    };
    base.map(|b| b.join("oauthkit").join("config.toml"))
        .ok_or_else(|| {
            Error::InvalidArgument(
                "no user config directory (HOME is not set); pass --config PATH or set OAUTHKIT_CONFIG"
                    .into(),
            )
        })
}

/// Profile names become folder names and keyring service names.
pub fn check_profile_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 48
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "profile name {:?} must be 1 to 48 letters, digits, '.', '_' or '-'",
            name.chars().take(60).collect::<String>()
        )))
    }
}

pub fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_profile_never_shows_the_secret() {
        let file: ConfigFile = toml::from_str(
            "[profiles.a]\nissuer = \"https://x.example\"\nclient_id = \"c\"\nclient_secret = \"s3cret-in-file\"\n",
        )
        .unwrap();
        let dbg = format!("{file:?}");
        assert!(!dbg.contains("s3cret-in-file"), "{dbg}");
        let cfg = Config {
            path: "/nonexistent".into(),
            exists: true,
            file,
        };
        let p = cfg.profile("a", &Overrides::default()).unwrap();
        assert!(!format!("{p:?}").contains("s3cret-in-file"));
        assert_eq!(p.client_secret.unwrap().expose(), "s3cret-in-file");
    }

    #[test]
    fn preset_keys_reach_the_provider() {
        let file: ConfigFile = toml::from_str(
            "[profiles.kc]\nprovider = \"keycloak\"\nbase_url = \"https://sso.example/auth/\"\n\
             realm = \"acme\"\nclient_id = \"cli\"\n\
             [profiles.a0]\nprovider = \"auth0\"\ndomain = \"acme.auth0.com\"\n\
             audience = \"https://api\"\nclient_id = \"app\"\n\
             [profiles.ok]\nprovider = \"okta\"\nbase_url = \"https://acme.okta.com\"\n\
             authorization_server = \"org\"\nclient_id = \"0oa1\"\n\
             [profiles.gl]\nprovider = \"gitlab\"\nclient_id = \"app\"\n",
        )
        .unwrap();
        let cfg = Config {
            path: "/nonexistent".into(),
            exists: true,
            file,
        };
        for (name, issuer) in [
            ("kc", "https://sso.example/auth/realms/acme"),
            ("a0", "https://acme.auth0.com/"),
            ("ok", "https://acme.okta.com"),
            ("gl", "https://gitlab.com"),
        ] {
            let p = cfg.profile(name, &Overrides::default()).unwrap();
            let built = p.provider_settings().build().unwrap();
            assert_eq!(
                oauthkit::provider::Provider::issuer(&built).as_deref(),
                Some(issuer),
                "{name}"
            );
        }
    }
}
