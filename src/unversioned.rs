//! What advanced programs may need and what may change in any release.
//!
//! Nothing here is covered by semantic versioning: a minor release may
//! rename, change or remove any of it (the way ureq 3 keeps its
//! `unversioned` module). An application signs users in, keeps tokens
//! fresh and stores them with the names of the crate root and its parts
//! ([`store`](crate::store), [`provider`](crate::provider),
//! [`flow`](crate::flow), [`session`](crate::session), [`web`](crate::web),
//! [`server`](crate::server)); the development OpenID provider
//! (`unversioned::dev_provider`, feature `dev-provider`) is here too, a tool rather
//! than a part of an application. Reach in here to build a tool on oauthkit's
//! internals (the `oauthkit` command-line program does), to diagnose, or
//! to replace a default. The rule that decides what goes where is in the
//! repository's `docs/ARCHITECTURE.md` ("What is public").
//!
//! This module only re-exports: each item lives, and is documented, where
//! the crate defines it.

pub use crate::error::{BoxError, Report};
pub use crate::secret::constant_time_eq;
pub use crate::token::now_unix;

/// Random values: `state`, `nonce`, opaque tokens.
pub mod random {
    pub use crate::random::{nonce, state, token};
}

/// Text from outside (a provider, a URL) made safe for a terminal.
pub mod terminal_text {
    pub use crate::terminal_text::{escape, is_hostile, is_plain};
}

/// The characters RFC 6750 allows in a bearer token.
pub mod token_chars {
    pub use crate::token_chars::{first_invalid_token, is_vschar};
}

/// Store internals: key rules, locks, validators, diagnosis, formats.
pub mod store {
    pub use crate::store::default_store::{DefaultStoreBuilder, ALLOW_PLAINTEXT_ENV};
    pub use crate::store::diagnose::{
        diagnose, diagnose_default, diagnose_with_timeout, Diagnosis, Encryption, FileCheck,
        KeyringCheck, DIAGNOSE_KEYRING_TIMEOUT,
    };
    pub use crate::store::encrypted::{KdfParams, RekeyReport, KEY_LEN};
    #[cfg(feature = "keyring")]
    pub use crate::store::encrypted::{DEFAULT_KEYRING_TIMEOUT, KEYRING_ACCOUNT};
    pub use crate::store::factory::{
        default_app_name, default_store_path, redacted_spec, APP_ENV, STORE_ENV,
    };
    pub use crate::store::json_file::{ENCRYPTION_FIELD, FORMAT_VERSION, SEALED_FORMAT_VERSION};
    pub use crate::store::key_lock::KeyLock;
    #[cfg(feature = "keyring")]
    pub use crate::store::keyring::INDEX_ENTRY;
    pub use crate::store::keyring_backend::KeyringBackend;
    #[cfg(any(feature = "redis", feature = "memcache"))]
    pub use crate::store::retention::{retention, EXPIRY_GRACE_SECS};
    #[cfg(feature = "sqlite")]
    pub use crate::store::sqlite::SCHEMA_VERSION;
    pub use crate::store::token_store::{check_key, DEFAULT_NAMESPACE, MAX_KEY_LEN};
    pub use crate::store::validating::{
        HasRefreshToken, NotExpired, TokenValidator, UnchangingIdentity, ValidationContext,
    };
}

/// Provider internals: the HTTP client, OpenID Connect pieces, DPoP
/// proofs, grant constants, token-response parsing.
pub mod provider {
    pub use crate::jose::DpopKey;
    pub use crate::provider::base_url::rebase;
    pub use crate::provider::client_auth::ClientCredentials;
    pub use crate::provider::client_settings::ClientSettings;
    pub use crate::provider::grants::device::DevicePoll;
    pub use crate::provider::identity::{check_same_identity, Identity, RefreshIdentities};
    pub use crate::provider::jws_algorithm::Algorithm;
    pub use crate::provider::offline_access::OfflineAccess;
    pub use crate::provider::oidc::config::{EndpointOverrides, TenantIssuer};
    pub use crate::provider::oidc::iss_check::check_response_iss;
    pub use crate::provider::pkce::Pkce;
    pub use crate::provider::profile::FAPI2_ALGORITHMS;

    /// What the presets configure: endpoint URLs and fixed parameters.
    pub mod presets {
        /// Google's endpoints.
        pub mod google {
            pub use crate::provider::presets::google::urls::{
                AUTHORIZE_PARAMS, AUTHORIZE_URL, DEVICE_AUTHORIZATION_URL, ISSUER,
                ISSUER_WITHOUT_SCHEME, REVOCATION_URL, TOKEN_URL, USERINFO_URL,
            };
        }
        /// GitHub's endpoints.
        pub mod github {
            pub use crate::provider::presets::github::urls::{
                API_BASE, AUTHORIZE_URL, DEVICE_AUTHORIZATION_URL, TOKEN_URL,
            };
        }
        /// Microsoft's endpoints.
        pub mod microsoft {
            pub use crate::provider::presets::microsoft::urls::{
                CONSUMERS_TENANT_ID, LOGIN_BASE, USERINFO_URL,
            };
        }
    }

    /// The HTTP client every provider request goes through.
    pub mod http {
        pub use crate::provider::http::proxy::{HttpProxy, ProxyUrl};
        pub use crate::provider::http::tls::{TlsTrust, TrustStore};
        pub use crate::provider::http::{
            check_endpoint_url, is_loopback_url, Auth, Body, HttpClient, HttpConfig, HttpResponse,
            Method, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_READ_TIMEOUT,
        };
    }

    /// OpenID Connect discovery.
    pub mod discovery {
        pub use crate::provider::oidc::discovery::{discovery_url, fetch, ProviderMetadata};
    }

    /// ID-token validation.
    pub mod id_token {
        pub use crate::provider::oidc::id_token::{
            algorithm_allow_list, half_hash, Expected, ExpectedIssuer, IdTokenClaims,
            IdTokenSettings, IdTokenValidator, DEFAULT_LEEWAY, DEFAULT_MAX_AGE, MAX_TIME_CLAIM,
            TENANT_PLACEHOLDER,
        };
    }

    /// The JWKS cache.
    pub mod jwks {
        pub use crate::provider::oidc::jwks::{
            JwksCache, DEFAULT_MAX_AGE, DEFAULT_MIN_REFETCH_INTERVAL, MAX_RSA_BITS, MIN_RSA_BITS,
        };
    }

    /// DPoP proofs and nonces.
    pub mod dpop {
        pub use crate::provider::dpop::{
            ath, htu, is_nonce_challenge, DpopHeaders, DpopNonces, ProofRequest,
        };
    }

    /// Token-endpoint answers.
    pub mod token_response {
        pub use crate::provider::token_response::{
            oauth_error, parse_token_response, TokenTypeRule, MAX_EXPIRES_IN,
        };
    }

    /// Client authentication with a signed assertion.
    pub mod client_assertion {
        pub use crate::provider::client_assertion::{
            PrivateKeyJwt, CLIENT_ASSERTION_TYPE, DEFAULT_ASSERTION_LIFETIME,
        };
    }

    /// The client credentials grant.
    pub mod client_credentials {
        pub use crate::provider::grants::client_credentials::STORED_REQUEST_MEMBER;
    }

    /// The device authorization grant (RFC 8628).
    pub mod device {
        pub use crate::provider::grants::device::{
            DEFAULT_EXPIRES_IN, DEFAULT_INTERVAL, DEVICE_CODE_GRANT_TYPE, MAX_EXPIRES_IN,
            MIN_INTERVAL, SLOW_DOWN_INCREMENT,
        };
    }

    /// The JWT bearer grant (RFC 7523).
    pub mod jwt_bearer {
        pub use crate::provider::grants::assertion::{
            JwtBearerAssertion, DEFAULT_BEARER_ASSERTION_LIFETIME,
        };
        pub use crate::provider::grants::jwt_bearer::{
            JWT_BEARER_GRANT_TYPE, STORED_REQUEST_MEMBER,
        };
    }

    /// Pushed authorization requests (RFC 9126).
    pub mod par {
        pub use crate::provider::authorization_url::MAX_PAR_LIFETIME;
    }

    /// Token exchange (RFC 8693).
    pub mod token_exchange {
        pub use crate::provider::grants::token_exchange::{
            token_types, GRANT_TYPE, TOKEN_TYPE_NOT_APPLICABLE,
        };
    }
}

/// Flow internals: the loopback callback server, callback checks, the
/// browser, the device prompt, pasting a redirect URL.
pub mod flow {
    pub use crate::flow::browser::{has_display, open_system_browser};
    pub use crate::flow::callback::{CallbackVerdict, ExpectedCallback};
    pub use crate::flow::callback_server::{
        CallbackOutcome, CallbackServer, CallbackServerOptions, PortChoice, RedirectHost,
    };
    pub use crate::flow::device::{
        prompt_text, qr_code, terminal_prompt, DeviceCancelHandle, DevicePollFn, DevicePromptFn,
        PollStatus,
    };
    pub use crate::flow::native::{CallbackMode, CancelHandle, DEFAULT_AUTH_TIMEOUT};
    pub use crate::flow::notice::{terminal_notice, Notice, NoticeFn, UrlPurpose};
    pub use crate::flow::paste::PasteInput;
    pub use crate::flow::rp_logout::{OpenUrlFn, DEFAULT_LOGOUT_TIMEOUT, LOGGED_OUT_PATH};
    pub use crate::flow::state::AuthFlowState;
}

/// A small OpenID provider on `127.0.0.1`, for offline development and for
/// applications' own tests (feature `dev-provider`).
///
/// It speaks enough OpenID Connect for the native flow end to end:
/// discovery, JWKS (a fresh RSA-2048 key per start), `authorize` with an
/// approve page or auto-approve, `token` (authorization code with PKCE
/// S256 only; refresh, with optional rotation — a refresh token only when
/// the scope has `offline_access`, as real providers do), `userinfo`, revocation
/// (RFC 7009) and introspection (RFC 7662). Callbacks carry `iss`
/// (RFC 9207). It counts token requests by grant type, so tests can assert
/// "exactly one refresh".
///
/// DPoP (RFC 9449) is on unless [`DevProviderOptions::dpop`](dev_provider::DevProviderOptions::dpop) turns it off:
/// a token request with a valid proof gets a DPoP-bound access token
/// (`token_type: DPoP`; introspection shows `cnf.jkt`), a public client's
/// refresh token is bound to the same key, and userinfo then wants
/// `Authorization: DPoP` with a proof carrying `ath` (the token as Bearer is
/// refused). Proofs are checked as RFC 9449 §4.3 says (`typ`, `alg`, `jwk`,
/// signature, `htm`, `htu`, `iat`, `jti` replay, `ath`), and with
/// [`DevProviderOptions::dpop_nonce`](dev_provider::DevProviderOptions::dpop_nonce) they must carry the server's nonce
/// (`use_dpop_nonce` and a `DPoP-Nonce` header otherwise). A request
/// without a proof gets Bearer tokens as before.
///
/// It is a convenience, not a reference: oauthkit's own correctness tests
/// of providers and flows run against an independent provider process.
///
/// ```
/// use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions};
/// use std::time::Duration;
/// let idp = DevProvider::start(
///     DevProviderOptions::default()
///         .auto_approve(true)
///         .rotate_refresh_tokens(true)
///         .access_token_ttl(Duration::from_secs(120))
///         .dpop_nonce(true),
/// )?;
/// assert!(idp.issuer().starts_with("http://127.0.0.1:"));
/// assert_eq!(idp.token_requests("refresh_token"), 0);
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// A development tool, not a part of an application: it is here, outside
/// semantic versioning, rather than beside the parts.
#[cfg(feature = "dev-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "dev-provider")))]
pub mod dev_provider {
    pub use crate::dev_provider::{
        DevProvider, DevProviderOptions, DevUser, HeadlessBrowser, HeadlessOutcome, PageResponse,
    };
}

/// Session internals.
pub mod session {
    pub use crate::session::background::BackgroundErrors;
    pub use crate::session::logout::RevocationFailure;
}

/// Deploy-mode internals: the pending sign-ins, cookie limits.
pub mod web {
    pub use crate::web::handler::MAX_COOKIE_AGE;
    pub use crate::web::pending::{
        PendingRejection, PendingSignIn, PendingSignIns, DEFAULT_PENDING_TTL, MAX_REMEMBERED_USES,
    };
}

/// Server-side store internals: key layout and value formats.
pub mod server {
    pub use crate::server::access_token::unique_key;
    pub use crate::server::encrypted::SEALED_FIELD;
    #[cfg(feature = "memcache")]
    pub use crate::server::memcache::{ValueFormat, FLAG_COMPRESSED, FLAG_PICKLE};
    #[cfg(feature = "redis")]
    pub use crate::server::redis::DEFAULT_PREFIX;
}
