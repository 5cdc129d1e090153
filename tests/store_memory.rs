//! The memory store against the conformance suite.
mod support;

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
