//! Stores a token set in the default store and reads it back.
//!
//! `cargo run --example quickstart`
//!
//! The default store is this program's own encrypted JSON file in your data
//! directory (`oauthkit/quickstart/tokens.json`, its key in the OS keyring;
//! see `oauthkit::store::open_default`), or whatever `OAUTHKIT_STORE`
//! names, e.g. `OAUTHKIT_STORE=memory: cargo run --example quickstart`.

fn main() -> oauthkit::Result<()> {
    use oauthkit::{TokenSet, TokenStore};

    let store = oauthkit::store::open_default()?;
    let tokens = TokenSet::bearer("example-access-token")
        .with_refresh_token("example-refresh-token")
        .with_scopes(["openid", "email"])
        .with_expires_in(3600);
    store.save("quickstart-user", &tokens)?;

    let loaded = store.load("quickstart-user")?.expect("just saved");
    println!(
        "store: {} (namespace {})",
        store.backend(),
        store.namespace()
    );
    println!("keys: {:?}", store.list_keys()?);
    println!("loaded: {loaded:?}");
    println!(
        "expires in {} s",
        loaded.expires_in().unwrap_or_default().as_secs()
    );
    store.delete("quickstart-user")?;
    Ok(())
}
