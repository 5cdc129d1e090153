//! The memory store against the conformance suite.

use oauthkit::store::MemoryStore;

token_store_conformance!((MemoryStore::new(), ()), |s: &MemoryStore| s
    .in_namespace("other"));

#[test]
fn loads_are_copies() {
    use oauthkit::{TokenSet, TokenStore};
    let s = MemoryStore::new();
    s.save("k", &TokenSet::bearer("a")).unwrap();
    let mut t = s.load("k").unwrap().unwrap();
    t.token_type = "changed".into();
    assert_eq!(s.load("k").unwrap().unwrap().token_type, "Bearer");
}

#[test]
fn an_extreme_expiry_round_trips_without_overflow() {
    let json = r#"{"access_token":"a","expires_at":-9223372036854775808,"issued_at":1}"#;
    let t = oauthkit::TokenSet::from_json(json).unwrap();
    assert!(t.to_json().contains("expires_in"));
    assert_eq!(t.expires_in(), Some(std::time::Duration::ZERO));
    assert_eq!(t.expiry(), Some(std::time::UNIX_EPOCH));
    let store = oauthkit::store::MemoryStore::new();
    oauthkit::TokenStore::save(&store, "k", &t).unwrap();
}
