//! A store spec is configuration that may hold a password (`redis://:pw@h`,
//! `memcache://user:pw@h`). When a spec is refused, the error must not
//! quote the password, however the spec is mangled: a broken scheme
//! position (found by the `store_spec` fuzz target: `redis:/\n/:PW@x://h`)
//! is where a naive message quotes everything before `://`.

use oauthkit::store;

const PASSWORD: &str = "stars3ePcsw0r9Q";

fn refused(spec: &str) -> String {
    let e = match store::open(spec) {
        Ok(_) => panic!("{spec:?} was accepted"),
        Err(e) => e,
    };
    let shown = format!("{e} | {e:?} | {}", e.report());
    assert!(!shown.contains(PASSWORD), "{spec:?} -> {shown}");
    shown
}

#[test]
fn a_password_in_a_mangled_scheme_is_never_quoted() {
    let mut specs = Vec::new();
    for scheme in [
        "redis",
        "rediss",
        "redis+cluster",
        "memcache",
        "file",
        "sqlite",
        "keyring",
        "x",
    ] {
        for sep in ["\n", "/", " ", "", "\t", "%2F", "\\"] {
            specs.push(format!(
                "{scheme}:/{sep}/:{PASSWORD}@host://127.0.0.1:6379/0"
            ));
            specs.push(format!(
                "{scheme}:/{sep}/user:{PASSWORD}@redis://127.0.0.1:6379"
            ));
            specs.push(format!("{scheme}{sep}:{PASSWORD}@x://h"));
            specs.push(format!(":{PASSWORD}@{scheme}{sep}://h"));
        }
    }
    specs.push(format!(
        "redis:/\n/:{PASSWORD}@redmemcache://127.0.0.1:11211,1i"
    ));
    specs.push(format!("user:{PASSWORD}@redis://127.0.0.1"));
    let mut refused_count = 0;
    for spec in &specs {
        if store::open(spec).is_err() {
            refused(spec);
            refused_count += 1;
        }
    }
    assert!(
        refused_count > specs.len() / 2,
        "most of these specs are refused"
    );
}

#[test]
fn a_plain_unknown_scheme_is_still_named() {
    assert!(refused("nosuchstore:/tmp/x").contains("'nosuchstore'"));
    assert!(refused("redis+sideways://127.0.0.1").contains("redis+sideways"));
}
