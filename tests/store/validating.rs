//! The validating store: each validator passes and fails, on a real store.

use oauthkit::store::{JsonFileStore, MemoryStore, ValidatingStore};
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
    let s = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .require_scopes(["openid"])
        .require_scopes_for("api", ["api:read", "api:write"]);
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

/// The scope check added by `require_scopes*` keeps the place of the first
/// call among the validators (as `validator(ScopeRequirements)` did), and
/// repeated calls add up rather than replace.
#[test]
fn required_scopes_add_up_and_run_where_first_required() {
    let stale = TokenSet::bearer("a").with_expires_at(1);
    let scopes_first = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .require_scopes(["openid"])
        .validator(NotExpired::default())
        .require_scopes(["email"])
        .require_scopes_for("api", ["api:read"])
        .require_scopes_for("api", ["api:write"]);
    scopes_first.inner().save("k", &stale).unwrap();
    assert_eq!(
        validator_of(&scopes_first.load("k").unwrap_err()),
        "scope_requirements"
    );
    let expiry_first = ValidatingStore::new(MemoryStore::new())
        .unwrap()
        .validator(NotExpired::default())
        .require_scopes(["openid"]);
    expiry_first.inner().save("k", &stale).unwrap();
    assert_eq!(
        validator_of(&expiry_first.load("k").unwrap_err()),
        "not_expired"
    );
    // Every call counts: each missing scope is named.
    let err = scopes_first
        .save("api", &TokenSet::bearer("a").with_scopes(["openid"]))
        .unwrap_err();
    for scope in ["email", "api:read", "api:write"] {
        assert!(err.to_string().contains(scope), "{scope}: {err}");
    }
    scopes_first
        .save(
            "api",
            &TokenSet::bearer("a").with_scopes(["openid", "email", "api:read", "api:write"]),
        )
        .unwrap();
    scopes_first
        .save(
            "other",
            &TokenSet::bearer("a").with_scopes(["openid", "email"]),
        )
        .unwrap();
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
