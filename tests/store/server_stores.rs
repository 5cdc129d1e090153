//! The server-side stores (clients, authorization codes, access tokens):
//! one conformance suite on memory, SQLite, Redis and memcached, and
//! python-oauth2 key-scheme compatibility on Redis and memcached.

mod memory {
    use oauthkit::server::MemoryServerStore;

    fn fresh() -> (MemoryServerStore, ()) {
        (MemoryServerStore::new(), ())
    }

    support::server_store_conformance!(fresh());
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use oauthkit::server::{AccessToken, AccessTokenStore, SqliteServerStore};
    use tempfile::TempDir;

    fn fresh() -> (SqliteServerStore, TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (
            SqliteServerStore::open(dir.path().join("db/server.db")).unwrap(),
            dir,
        )
    }

    support::server_store_conformance!(fresh());

    #[test]
    fn two_handles_on_one_file_see_each_other() {
        let (a, dir) = fresh();
        let b = SqliteServerStore::open(dir.path().join("db/server.db")).unwrap();
        a.save_token(&AccessToken::new("app", "client_credentials", "t"))
            .unwrap();
        assert!(b.fetch_by_token("t").is_ok());
        assert!(b.delete_refresh_token("nothing").is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn the_database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (s, _d) = fresh();
        let mode = std::fs::metadata(s.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }

    #[test]
    fn purge_removes_only_dead_rows() {
        let (s, _d) = fresh();
        let now = oauthkit::unversioned::now_unix();
        s.save_token(&AccessToken::new("a", "g", "dead").expires_at(now - 5))
            .unwrap();
        s.save_token(
            &AccessToken::new("a", "g", "refreshable")
                .expires_at(now - 5)
                .refresh_token("r", None),
        )
        .unwrap();
        s.save_token(&AccessToken::new("a", "g", "live").expires_at(now + 60))
            .unwrap();
        assert_eq!(s.purge_expired().unwrap(), 1);
        assert!(s.fetch_by_refresh_token("r").is_ok());
        assert!(s.fetch_by_token("live").is_ok());
    }
}

#[cfg(feature = "redis")]
mod redis {
    use oauthkit::server::*;
    use oauthkit::store::RedisConfig;
    use oauthkit::unversioned::now_unix;
    use serde_json::Value;

    use crate::support::servers::RedisServer;

    fn fresh() -> (RedisServerStore, RedisServer) {
        let server = RedisServer::start();
        (
            RedisServerStore::open(RedisConfig::new(server.url()), "oauth2").unwrap(),
            server,
        )
    }

    support::server_store_conformance!(fresh());

    fn ttl(server: &RedisServer, key: &str) -> i64 {
        server.cli(&["TTL", key]).parse().unwrap()
    }

    #[test]
    fn writes_python_oauth2_keys_json_and_ttls() {
        needs!(Redis);
        let (s, server) = fresh();
        let now = now_unix();
        let t = AccessToken::new("app", "authorization_code", "tok1")
            .expires_at(now + 3600)
            .refresh_token("ref1", Some(now + 86_400))
            .scopes(["a", "b"])
            .user_id("u1");
        s.save_token(&t).unwrap();
        for key in [
            "oauth2_tok1",
            "oauth2_ref1",
            "oauth2_app_authorization_code_u1",
        ] {
            let v: Value = serde_json::from_str(&server.cli(&["GET", key])).unwrap();
            let mut fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            fields.sort();
            assert_eq!(
                fields,
                [
                    "client_id",
                    "data",
                    "expires_at",
                    "grant_type",
                    "refresh_expires_at",
                    "refresh_token",
                    "scopes",
                    "token",
                    "user_id"
                ],
                "{key}"
            );
            assert_eq!(v["token"], "tok1");
            assert_eq!(v["expires_at"], now + 3600);
        }
        assert!((3590..=3600).contains(&ttl(&server, "oauth2_tok1")));
        assert!((3590..=3600).contains(&ttl(&server, "oauth2_app_authorization_code_u1")));
        assert!((86_390..=86_400).contains(&ttl(&server, "oauth2_ref1")));

        // No expiry: no TTL.
        s.save_token(
            &AccessToken::new("svc", "client_credentials", "forever")
                .refresh_token("r-forever", None),
        )
        .unwrap();
        assert_eq!(ttl(&server, "oauth2_forever"), -1);
        assert_eq!(ttl(&server, "oauth2_r-forever"), -1);
        assert_eq!(ttl(&server, "oauth2_svc_client_credentials_None"), -1);

        let code =
            AuthorizationCode::new("app", "c0de", now + 600, "http://127.0.0.1/cb").scopes(["a"]);
        s.save_code(&code).unwrap();
        let v: Value = serde_json::from_str(&server.cli(&["GET", "oauth2_c0de"])).unwrap();
        let mut fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort();
        // Without PKCE exactly python-oauth2's fields, so it can read them.
        assert_eq!(
            fields,
            [
                "client_id",
                "code",
                "data",
                "expires_at",
                "redirect_uri",
                "scopes",
                "user_id"
            ]
        );
        assert!((590..=600).contains(&ttl(&server, "oauth2_c0de")));

        s.save_client(&Client::new("app", "sec", ["http://127.0.0.1/cb"]))
            .unwrap();
        let v: Value = serde_json::from_str(&server.cli(&["GET", "oauth2_app"])).unwrap();
        assert_eq!(v["identifier"], "app");
        assert_eq!(v["secret"], "sec");
        assert_eq!(v["authorized_grants"], Value::Null);
        assert_eq!(ttl(&server, "oauth2_app"), -1);
    }

    #[test]
    fn reads_what_python_oauth2_wrote() {
        needs!(Redis);
        let (s, server) = fresh();
        let exp = now_unix() + 3600;
        // json.dumps of python-oauth2 records; user ids may be integers.
        let token = format!(
            r#"{{"client_id": "app", "grant_type": "authorization_code", "token": "py-at", "data": {{}}, "expires_at": {exp}, "refresh_token": "py-rt", "refresh_expires_at": null, "scopes": ["x"], "user_id": 42}}"#
        );
        server.cli(&["SET", "oauth2_app_authorization_code_42", &token]);
        server.cli(&["SET", "oauth2_py-rt", &token]);
        server.cli(&["SET", "oauth2_py-at", &token]);
        let code = format!(
            r#"{{"client_id": "app", "code": "py-code", "expires_at": {exp}, "redirect_uri": "https://app/cb", "scopes": ["x"], "data": null, "user_id": null}}"#
        );
        server.cli(&["SET", "oauth2_py-code", &code]);
        server.cli(&[
            "SET",
            "oauth2_py-client",
            r#"{"identifier": "py-client", "secret": "s", "redirect_uris": ["https://app/cb"], "authorized_grants": null, "authorized_response_types": null}"#,
        ]);

        let t = s
            .fetch_existing_token_of_user(
                "app",
                "authorization_code",
                Some("42"),
                &["x".to_string()],
            )
            .unwrap();
        assert_eq!(t.token.expose(), "py-at");
        assert_eq!(t.user_id.as_deref(), Some("42"));
        // python-oauth2's memcache store (and some revisions of its Redis
        // store) looked refresh tokens up WITHOUT the prefix and so never
        // found them; the prefixed key is the right one.
        assert_eq!(
            s.fetch_by_refresh_token("py-rt").unwrap().token.expose(),
            "py-at"
        );
        assert_eq!(
            s.fetch_by_code("py-code").unwrap().redirect_uri,
            "https://app/cb"
        );
        assert!(s
            .fetch_by_client_id("py-client")
            .unwrap()
            .grant_type_supported("anything"));

        // python-oauth2 deleted only the access-token key, leaving the
        // refresh token usable; here every mapping goes.
        assert!(s.delete_refresh_token("py-rt").unwrap());
        for key in [
            "oauth2_py-rt",
            "oauth2_py-at",
            "oauth2_app_authorization_code_42",
        ] {
            assert_eq!(server.cli(&["EXISTS", key]), "0", "{key}");
        }
    }

    #[test]
    fn codes_are_taken_atomically_with_getdel() {
        needs!(Redis);
        let (s, server) = fresh();
        s.save_code(&AuthorizationCode::new(
            "app",
            "once",
            now_unix() + 60,
            "http://127.0.0.1/cb",
        ))
        .unwrap();
        assert!(s.take_code("once").is_ok());
        assert_eq!(server.cli(&["EXISTS", "oauth2_once"]), "0");
    }

    #[test]
    fn works_on_a_cluster() {
        needs!(Redis);
        let cluster = crate::support::servers::RedisCluster::start();
        let s = RedisServerStore::open(RedisConfig::cluster(cluster.urls()), "oauth2").unwrap();
        crate::support::server_conformance::tokens_by_token_refresh_token_and_user(&s);
        crate::support::server_conformance::deleting_a_refresh_token_removes_every_mapping(&s);
        crate::support::server_conformance::codes_round_trip_and_are_single_use(&s);
    }

    #[test]
    fn dead_redis_is_unavailable() {
        needs!(Redis);
        let (s, mut server) = fresh();
        s.save_client(&Client::new("app", "s", ["http://127.0.0.1/cb"]))
            .unwrap();
        server.stop();
        let err = s.fetch_by_client_id("app").unwrap_err();
        assert_eq!(err.kind(), oauthkit::ErrorKind::Unavailable, "{err}");
        server.restart();
        assert_eq!(
            s.fetch_by_client_id("app").unwrap_err().kind(),
            oauthkit::ErrorKind::NotFound
        );
    }
}

#[cfg(feature = "memcache")]
mod memcache {
    use oauthkit::server::*;
    use oauthkit::store::MemcacheConfig;
    use oauthkit::unversioned::now_unix;
    use serde_json::Value;

    use crate::support::servers::Memcached;

    fn fresh() -> (MemcacheServerStore, Memcached) {
        let m = Memcached::start();
        (
            MemcacheServerStore::open(MemcacheConfig::new(format!("127.0.0.1:{}", m.port)))
                .unwrap(),
            m,
        )
    }

    support::server_store_conformance!(fresh());

    fn raw_get(m: &Memcached, key: &str) -> Option<String> {
        let reply = m.raw(&format!("get {key}\r\n"));
        if reply.starts_with("END") {
            return None;
        }
        Some(reply.split("\r\n").nth(1).unwrap().to_owned())
    }

    /// The store's two setters combine: JSON records and the unprefixed
    /// python-oauth2 aliases, each alias written as JSON (flag 0) and
    /// deleted with the refresh token.
    #[test]
    fn json_format_and_python_oauth2_aliases_set_on_the_store_combine() {
        needs!(Memcached);
        let (s, m) = fresh();
        let s = s
            .format(oauthkit::unversioned::server::ValueFormat::Json)
            .python_oauth2_aliases(true);
        let t = AccessToken::new("app", "authorization_code", "tok2")
            .expires_at(now_unix() + 3600)
            .refresh_token("ref2", None)
            .user_id("u2");
        s.save_token(&t).unwrap();
        for key in ["oauth2_tok2", "ref2", "app_authorization_code_u2"] {
            let reply = m.raw(&format!("get {key}\r\n"));
            assert!(
                reply.starts_with(&format!("VALUE {key} 0 ")),
                "{key}: {reply:?}"
            );
            let v: Value = serde_json::from_str(&raw_get(&m, key).expect(key)).unwrap();
            assert_eq!(v["token"], "tok2", "{key}");
        }
        s.delete_refresh_token("ref2").unwrap();
        assert!(raw_get(&m, "ref2").is_none());
        assert!(raw_get(&m, "oauth2_ref2").is_none());
    }

    #[test]
    fn uses_python_oauth2_keys_with_pickled_or_json_values() {
        needs!(Memcached);
        let (s, m) = fresh();
        let now = now_unix();
        let t = AccessToken::new("app", "authorization_code", "tok1")
            .expires_at(now + 3600)
            .refresh_token("ref1", None)
            .user_id("u1");
        s.save_token(&t).unwrap();
        for key in [
            "oauth2_tok1",
            "oauth2_ref1",
            "oauth2_app_authorization_code_u1",
        ] {
            // python-memcached's pickle flag, protocol 2.
            let reply = m.raw(&format!("get {key}\r\n"));
            assert!(
                reply.starts_with(&format!("VALUE {key} 1 ")),
                "{key}: {reply:?}"
            );
        }
        // No unprefixed python-oauth2 aliases unless asked for.
        assert!(raw_get(&m, "ref1").is_none());
        assert!(raw_get(&m, "app_authorization_code_u1").is_none());
        let json = MemcacheServerStore::open(MemcacheConfig::new(format!("127.0.0.1:{}", m.port)))
            .unwrap()
            .format(oauthkit::unversioned::server::ValueFormat::Json);
        json.save_token(&t).unwrap();
        for key in [
            "oauth2_tok1",
            "oauth2_ref1",
            "oauth2_app_authorization_code_u1",
        ] {
            let v: Value = serde_json::from_str(&raw_get(&m, key).expect(key)).unwrap();
            assert_eq!(v["token"], "tok1");
        }
        // A record written by another client under the python-oauth2 key
        // (JSON) is read back.
        let body = format!(
            r#"{{"client_id": "app", "code": "py-code", "expires_at": {}, "redirect_uri": "https://app/cb", "scopes": [], "data": {{}}, "user_id": 7}}"#,
            now + 600
        );
        let reply = m.raw(&format!(
            "set oauth2_py-code 0 0 {}\r\n{body}\r\n",
            body.len()
        ));
        assert!(reply.starts_with("STORED"));
        assert_eq!(
            s.take_code("py-code").unwrap().user_id.as_deref(),
            Some("7")
        );
        assert!(raw_get(&m, "oauth2_py-code").is_none());
    }

    /// Hostile: in memcached's text protocol a space ends the key and a
    /// line break ends the command; neither may reach the wire raw.
    #[test]
    fn identifiers_cannot_inject_protocol_commands() {
        needs!(Memcached);
        let (s, m) = fresh();
        s.save_client(&Client::new("victim", "s", ["http://127.0.0.1/cb"]))
            .unwrap();
        let err = s.fetch_by_code("x 0 0 1\r\nflush_all").unwrap_err();
        assert_eq!(err.kind(), oauthkit::ErrorKind::InvalidArgument, "{err}");
        assert_eq!(
            s.fetch_by_code("x noreply").unwrap_err().kind(),
            oauthkit::ErrorKind::NotFound
        );
        s.save_token(&AccessToken::new("app", "g", "tok with spaces"))
            .unwrap();
        assert!(s.fetch_by_token("tok with spaces").is_ok());
        assert!(raw_get(&m, "oauth2_tok%20with%20spaces").is_some());
        assert!(s.fetch_by_client_id("victim").is_ok());
    }

    #[test]
    fn entries_expire_in_memcached_itself() {
        needs!(Memcached);
        let (s, m) = fresh();
        let now = now_unix();
        s.save_token(&AccessToken::new("app", "g", "short").expires_at(now + 1))
            .unwrap();
        assert!(raw_get(&m, "oauth2_short").is_some());
        std::thread::sleep(std::time::Duration::from_millis(3500));
        // Gone from memcached, not only hidden by the store.
        assert!(raw_get(&m, "oauth2_short").is_none());
    }
}
