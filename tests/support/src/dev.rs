//! The dev provider and an OIDC client for it, for the flow tests that
//! count requests at the provider (exactly one code exchange, exactly one
//! refresh).

use std::sync::Arc;

use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions};

/// A started dev provider and a generic OIDC provider pointed at it.
pub fn dev_pair(opts: DevProviderOptions) -> (DevProvider, Arc<dyn Provider>) {
    let idp = DevProvider::start(opts).expect("start dev provider");
    let client = client_for(idp.issuer(), idp.client_id());
    (idp, client)
}

/// A public OIDC client of `issuer` asking for a refresh token too.
pub fn client_for(issuer: &str, client_id: &str) -> Arc<dyn Provider> {
    let cfg =
        OidcConfig::new(issuer, client_id).scopes(["openid", "email", "profile", "offline_access"]);
    Arc::new(OAuthProvider::oidc(cfg).expect("oidc provider"))
}

/// Signs in through the real native flow, the headless browser approving
/// on the dev provider, and stores the tokens under `key`.
pub fn sign_in(
    provider: &Arc<dyn Provider>,
    store: Arc<dyn oauthkit::TokenStore>,
    key: &str,
) -> oauthkit::TokenSet {
    use oauthkit::flow::{AuthFlowManager, NativeOptions};
    use oauthkit::unversioned::dev_provider::HeadlessBrowser;
    let flow = AuthFlowManager::builder(provider.clone())
        .store(store)
        .token_key(key)
        .build();
    let open = |url: &str| -> oauthkit::Result<()> {
        let url = url.to_string();
        std::thread::spawn(move || HeadlessBrowser::approve(&url).expect("headless approve"));
        Ok(())
    };
    flow.run_native(NativeOptions::new().open_browser(open))
        .expect("sign-in")
        .tokens
}

/// Rewrites the stored tokens of `key` as expired a second ago.
pub fn expire(store: &dyn oauthkit::TokenStore, key: &str) {
    let mut t = store.load(key).unwrap().expect("tokens to expire");
    t.expires_at = Some(oauthkit::unversioned::now_unix() - 1);
    store.save(key, &t).unwrap();
}
