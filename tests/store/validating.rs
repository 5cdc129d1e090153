//! The validating store: each validator passes and fails, on a real store.

use oauthkit::store::{JsonFileStore, MemoryStore, ScopeRequirements, ValidatingStore};
use oauthkit::unversioned::store::{HasRefreshToken, NotExpired, UnchangingIdentity};
use oauthkit::{ErrorKind, TokenSet, TokenStore};

fn validator_of(err: &oauthkit::Error) -> &'static str {
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    match err {
        oauthkit::Error::Validation { validator, .. } => validator,
        other => panic!("not a validation error: {other}"),
    }
}

// The wrapper with no validators behaves like any store.
token_store_conformance!(
    (ValidatingStore::new(MemoryStore::new()).unwrap(), ()),
    |s: &ValidatingStore<MemoryStore>| ValidatingStore::new(s.inner().in_namespace("other"))
        .unwrap()
);

#[test]
fn not_expired_passes_a_live_token() {
    let s = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .validator(NotExpired::default());
    s.save("k", &TokenSet::bearer("a").with_expires_in(3600))
        .unwrap();
    assert!(s.load("k").unwrap().is_some());
    s.save("no-expiry", &TokenSet::bearer("a")).unwrap();
    assert!(
        s.load("no-expiry").unwrap().is_some(),
        "unknown expiry is not expired"
    );
}

#[test]
fn not_expired_refuses_an_expired_token_and_keeps_it_stored() {
    let s = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .validator(NotExpired { leeway_secs: 60 });
    s.save("k", &TokenSet::bearer("a").with_expires_in(30))
        .unwrap();
    let err = s.load("k").unwrap_err();
    assert_eq!(validator_of(&err), "not_expired");
    assert!(err.to_string().contains("'k'"), "{err}");
    assert!(s.inner().load("k").unwrap().is_some(), "nothing is lost");
}

#[test]
fn has_refresh_token_passes_and_fails() {
    let s = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .validator(HasRefreshToken);
    s.save("with", &TokenSet::bearer("a").with_refresh_token("r"))
        .unwrap();
    s.save("without", &TokenSet::bearer("a")).unwrap();
    assert!(s.load("with").unwrap().is_some());
    assert_eq!(
        validator_of(&s.load("without").unwrap_err()),
        "has_refresh_token"
    );
}

#[test]
fn scope_requirements_pass_and_fail_on_save_and_load() {
    let req = ScopeRequirements::all_keys(["openid"]).for_key("api", ["api:read", "api:write"]);
    let s = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .validator(req);
    s.save(
        "api",
        &TokenSet::bearer("a").with_scopes(["openid", "api:read", "api:write"]),
    )
    .unwrap();
    s.save("other", &TokenSet::bearer("a").with_scopes(["openid"]))
        .unwrap();
    let err = s
        .save(
            "api",
            &TokenSet::bearer("a").with_scopes(["openid", "api:read"]),
        )
        .unwrap_err();
    assert_eq!(validator_of(&err), "scope_requirements");
    assert!(err.to_string().contains("api:write"), "{err}");
    // Written behind the wrapper's back: refused on load.
    s.inner().save("other", &TokenSet::bearer("a")).unwrap();
    assert_eq!(
        validator_of(&s.load("other").unwrap_err()),
        "scope_requirements"
    );
}

#[test]
fn unchanging_identity_pins_the_first_identity() {
    let s = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .validator(UnchangingIdentity);
    s.save("rs1", &TokenSet::bearer("a").with_identity_id("alice"))
        .unwrap();
    s.save("rs2", &TokenSet::bearer("b").with_identity_id("alice"))
        .unwrap();
    assert_eq!(s.pinned_identity().as_deref(), Some("alice"));
    let err = s
        .save("rs1", &TokenSet::bearer("c").with_identity_id("mallory"))
        .unwrap_err();
    assert_eq!(validator_of(&err), "unchanging_identity");
    assert!(err.to_string().contains("mallory"), "{err}");
    assert_eq!(
        s.load("rs1").unwrap().unwrap().access_token.expose(),
        "a",
        "nothing replaced"
    );
    let err = s.save("rs3", &TokenSet::bearer("d")).unwrap_err();
    assert_eq!(validator_of(&err), "unchanging_identity");
}

#[test]
fn identity_is_pinned_from_an_existing_file_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    let first = ValidatingStore::new(JsonFileStore::open(&path).unwrap())
        .unwrap()
        .validator(UnchangingIdentity);
    first
        .save("rs", &TokenSet::bearer("a").with_identity_id("alice"))
        .unwrap();
    drop(first);
    let again = ValidatingStore::new(JsonFileStore::open(&path).unwrap())
        .unwrap()
        .validator(UnchangingIdentity);
    assert_eq!(again.pinned_identity().as_deref(), Some("alice"));
    let err = again
        .save("rs", &TokenSet::bearer("b").with_identity_id("bob"))
        .unwrap_err();
    assert_eq!(validator_of(&err), "unchanging_identity");
}

#[test]
fn a_batch_cannot_mix_identities() {
    let s = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .validator(UnchangingIdentity);
    let batch = [
        (
            "a".to_string(),
            TokenSet::bearer("1").with_identity_id("alice"),
        ),
        (
            "b".to_string(),
            TokenSet::bearer("2").with_identity_id("bob"),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        validator_of(&s.save_all(&batch).unwrap_err()),
        "unchanging_identity"
    );
    assert!(
        s.list_keys().unwrap().is_empty(),
        "a refused batch writes nothing"
    );
}

#[test]
fn two_stored_identities_are_refused_at_open() {
    let inner = MemoryStore::new();
    inner
        .save("a", &TokenSet::bearer("1").with_identity_id("alice"))
        .unwrap();
    inner
        .save("b", &TokenSet::bearer("2").with_identity_id("bob"))
        .unwrap();
    let err = ValidatingStore::new(inner).err().unwrap();
    assert_eq!(validator_of(&err), "unchanging_identity");
}
