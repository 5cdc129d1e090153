//! The client settings `OAuth2Config` and `OidcConfig` share
//! (`provider/client_settings.rs`): the same builders set the same fields,
//! and the same build-time checks refuse the same bad settings in both,
//! with the same error kind. No network I/O: building a provider does
//! none.

use oauthkit::provider::DpopConfig;
use oauthkit::provider::ParPolicy;
use oauthkit::provider::SecurityProfile;
use oauthkit::provider::{ClientAuthMethod, OAuth2Config, OAuthProvider, OidcConfig};
use oauthkit::provider::{SigningAlgorithm, SigningKey};
use oauthkit::unversioned::provider::ClientSettings;
use oauthkit::{Error, ErrorKind};
use std::time::Duration;

fn oauth2() -> OAuth2Config {
    OAuth2Config::new(
        "custom",
        "app",
        "https://as.example/authorize",
        "https://as.example/token",
    )
}

fn oidc() -> OidcConfig {
    OidcConfig::new("https://as.example", "app")
}

/// Applies one change to the shared part of both configurations.
type Change = Box<dyn Fn(&mut ClientSettings)>;

fn build_both(change: &Change) -> (Result<(), Error>, Result<(), Error>) {
    let mut a = oauth2();
    change(&mut a.client);
    let mut b = oidc();
    change(&mut b.client);
    (
        OAuthProvider::oauth2(a).map(drop),
        OAuthProvider::oidc(b).map(drop),
    )
}

#[test]
fn builders_set_the_same_shared_fields_on_both_configs() {
    let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    let a = oauth2()
        .client_secret("s3cret")
        .scopes(["read", "write"])
        .resource("https://api.example/")
        .profile(SecurityProfile::OAuth21)
        .dpop(DpopConfig::new())
        .private_key_jwt(key.clone())
        .par("https://as.example/par", ParPolicy::Always);
    let b = oidc()
        .client_secret("s3cret")
        .scopes(["read", "write"])
        .resource("https://api.example/")
        .profile(SecurityProfile::OAuth21)
        .dpop(DpopConfig::new())
        .private_key_jwt(key)
        .par(ParPolicy::Always);
    for c in [&a.client, &b.client] {
        assert_eq!(c.client_id, "app");
        assert_eq!(c.client_secret.as_ref().unwrap().expose(), "s3cret");
        assert_eq!(c.scopes, ["read", "write"]);
        assert_eq!(c.resources, ["https://api.example/"]);
        assert_eq!(c.profile, SecurityProfile::OAuth21);
        assert!(c.dpop.is_some());
        assert!(c.private_key_jwt.is_some());
        assert_eq!(c.par, ParPolicy::Always);
    }
    // the fields read and write on the configs themselves as before
    assert_eq!(a.scopes, a.client.scopes);
    let mut b = b;
    b.scopes.push("extra".into());
    assert_eq!(b.client.scopes, ["read", "write", "extra"]);
    // an empty secret means none, in both
    assert!(oauth2().client_secret("").client_secret.is_none());
    assert!(oidc().client_secret("").client_secret.is_none());
    // the defaults: OIDC asks for openid email profile, OAuth 2.0 for nothing
    assert!(oauth2().scopes.is_empty());
    assert_eq!(oidc().scopes, ["openid", "email", "profile"]);
}

#[test]
fn both_providers_refuse_the_same_bad_client_settings() {
    let cases: Vec<(&str, Change, ErrorKind)> = vec![
        (
            "empty client id",
            Box::new(|c| c.client_id.clear()),
            ErrorKind::InvalidArgument,
        ),
        (
            "relative resource",
            Box::new(|c| c.resources.push("api/v1".into())),
            ErrorKind::InvalidArgument,
        ),
        (
            "resource with a fragment",
            Box::new(|c| c.resources.push("https://api.example/#x".into())),
            ErrorKind::InvalidArgument,
        ),
        (
            "private_key_jwt without a key",
            Box::new(|c| c.client_auth = Some(ClientAuthMethod::PrivateKeyJwt)),
            ErrorKind::InvalidArgument,
        ),
        (
            "FAPI 2.0 with a client secret and no DPoP",
            Box::new(|c| {
                c.profile = SecurityProfile::Fapi2;
                c.client_secret = Some("s3cret".into());
            }),
            ErrorKind::InvalidArgument,
        ),
    ];
    for (what, change, kind) in &cases {
        let (a, b) = build_both(change);
        let (a, b) = (a.unwrap_err(), b.unwrap_err());
        assert_eq!(a.kind(), *kind, "{what}: OAuthProvider: {a}");
        assert_eq!(b.kind(), *kind, "{what}: OAuthProvider: {b}");
        // the secret never shows in what the check says
        for e in [&a, &b] {
            assert!(!e.to_string().contains("s3cret"), "{what}: {e}");
            assert!(!format!("{e:?}").contains("s3cret"), "{what}: {e:?}");
        }
    }
    // and the untouched settings build in both
    let (a, b) = build_both(&(Box::new(|_: &mut ClientSettings| {}) as Change));
    a.unwrap();
    b.unwrap();
}

#[test]
fn fapi2_refusals_are_the_profile_error_in_both() {
    let change: Change = Box::new(|c| {
        c.profile = SecurityProfile::Fapi2;
        c.client_secret = Some("s3cret".into());
    });
    let (a, b) = build_both(&change);
    for e in [a.unwrap_err(), b.unwrap_err()] {
        assert!(matches!(e, Error::SecurityProfile { .. }), "{e:?}");
    }
}

#[test]
fn client_settings_debug_hides_the_secret() {
    let c = ClientSettings::new("app").client_secret("s3cret-value");
    assert!(!format!("{c:?}").contains("s3cret-value"));
    let o = oidc().client_secret("s3cret-value");
    assert!(!format!("{o:?}").contains("s3cret-value"));
}

/// The client assertion's audience and lifetime are settings of
/// `private_key_jwt`: set without a key, they are a typed
/// `InvalidArgument` when either provider is built (never silently
/// ignored), naming the setter; with a key, bad values are refused the
/// same way and good ones build.
#[test]
fn client_assertion_settings_need_private_key_jwt_and_are_checked() {
    type Set = fn(&mut ClientSettings);
    let without_key: [(&str, Set); 3] = [
        ("client_assertion_audience", |c| {
            c.client_assertion_audience = Some("https://as.example/token".into())
        }),
        ("client_assertion_lifetime", |c| {
            c.client_assertion_lifetime = Some(Duration::from_secs(30))
        }),
        ("client_assertion_audience", |c| {
            c.client_assertion_audience = Some("https://as.example/token".into());
            c.client_assertion_lifetime = Some(Duration::from_secs(30));
        }),
    ];
    for (name, set) in without_key {
        let change: Change = Box::new(set);
        let (a, b) = build_both(&change);
        for e in [a.unwrap_err(), b.unwrap_err()] {
            assert!(matches!(e, Error::InvalidArgument(_)), "{name}: {e:?}");
            assert!(e.to_string().contains(name), "{name}: {e}");
            assert!(e.to_string().contains("private_key_jwt"), "{name}: {e}");
        }
    }
    // the same through the builders of both configs, and with a secret
    // (a client secret is no private key)
    let e = OAuthProvider::oauth2(
        oauth2()
            .client_secret("s3cret")
            .client_assertion_lifetime(Duration::from_secs(30)),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = OAuthProvider::oidc(oidc().client_assertion_audience("https://as.example/token"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");

    // with a key: the lifetime is 1 s to 10 min, the audience not empty
    let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    for (what, lifetime, audience) in [
        ("0 s", Some(Duration::ZERO), None),
        ("999 ms", Some(Duration::from_millis(999)), None),
        ("601 s", Some(Duration::from_secs(601)), None),
        ("1 h", Some(Duration::from_secs(3600)), None),
        ("empty audience", None, Some("")),
    ] {
        let mut a = oauth2().private_key_jwt(key.clone());
        let mut b = oidc().private_key_jwt(key.clone());
        for c in [&mut a.client, &mut b.client] {
            c.client_assertion_lifetime = lifetime;
            c.client_assertion_audience = audience.map(str::to_owned);
        }
        for e in [
            OAuthProvider::oauth2(a).map(drop).unwrap_err(),
            OAuthProvider::oidc(b).map(drop).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}: {e}");
        }
    }
    for lifetime in [Duration::from_secs(1), Duration::from_secs(600)] {
        OAuthProvider::oauth2(
            oauth2()
                .private_key_jwt(key.clone())
                .client_assertion_lifetime(lifetime)
                .client_assertion_audience("https://as.example/token"),
        )
        .unwrap();
        OAuthProvider::oidc(
            oidc()
                .private_key_jwt(key.clone())
                .client_assertion_lifetime(lifetime)
                .client_assertion_audience("https://as.example/token"),
        )
        .unwrap();
    }
}
