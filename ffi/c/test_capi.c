/*
 * Tests of the oauthkit C ABI from C: ownership (everything allocated is
 * freed, checked by valgrind and AddressSanitizer), NULL and non-UTF-8
 * arguments, error statuses and messages, threads.
 *
 * Exit status 0 when every check passed. Run by scripts/test-ffi.sh.
 */
#define _GNU_SOURCE
#include <oauthkit.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

static const char NOT_UTF8[] = "caf\xe9";

static char *tmpdir;

static char *file_spec(const char *ns) {
    static char spec[4096];
    snprintf(spec, sizeof spec, "file:%s/tokens.json?namespace=%s", tmpdir, ns);
    return spec;
}

static void test_versions(void) {
    CHECK(oak_abi_version() >= OAK_ABI_VERSION);
    CHECK(strlen(oak_version()) > 0);
    CHECK_STR(oak_status_name(OAK_ERR_INVALID_GRANT), "OAK_ERR_INVALID_GRANT");
    CHECK_STR(oak_status_name(-7), "OAK_ERR_UNKNOWN");
}

static void test_file_store_round_trip(void) {
    OakStore *store = NULL;
    CHECK_OK(oak_store_open(file_spec("app"), &store));
    OakTokenSet *ts = NULL;
    CHECK_OK(oak_token_set_new("at-1", &ts));
    CHECK_OK(oak_token_set_set_refresh_token(ts, "rt-1"));
    CHECK_OK(oak_token_set_set_scope(ts, "openid email"));
    CHECK_OK(oak_token_set_set_expires_in(ts, 3600));
    CHECK_OK(oak_store_save(store, "alice", ts));
    oak_token_set_free(ts);

    /* A second handle on the same file sees what the first wrote. */
    OakStore *again = NULL;
    CHECK_OK(oak_store_open(file_spec("app"), &again));
    OakTokenSet *loaded = NULL;
    CHECK_OK(oak_store_load(again, "alice", &loaded));
    CHECK(loaded != NULL);
    char *s = NULL;
    CHECK_OK(oak_token_set_access_token(loaded, &s));
    CHECK_STR(s, "at-1");
    oak_string_free(s);
    CHECK_OK(oak_token_set_refresh_token(loaded, &s));
    CHECK_STR(s, "rt-1");
    oak_string_free(s);
    CHECK_OK(oak_token_set_id_token(loaded, &s));
    CHECK(s == NULL);
    CHECK_OK(oak_token_set_scope(loaded, &s));
    CHECK_STR(s, "openid email");
    oak_string_free(s);
    bool has = false, expired = true, known = false;
    int64_t at = 0;
    CHECK_OK(oak_token_set_has_scope(loaded, "email", &has));
    CHECK(has);
    CHECK_OK(oak_token_set_is_expired(loaded, 60, &expired));
    CHECK(!expired);
    CHECK_OK(oak_token_set_expires_at(loaded, &at, &known));
    CHECK(known && at > 0);
    oak_token_set_free(loaded);

    char **items = NULL;
    size_t len = 99;
    CHECK_OK(oak_store_list(again, &items, &len));
    CHECK(len == 1);
    if (len == 1) {
        CHECK_STR(items[0], "alice");
        CHECK(items[1] == NULL);
    }
    oak_string_array_free(items, len);
    CHECK_OK(oak_store_namespace(again, &s));
    CHECK_STR(s, "app");
    oak_string_free(s);
    CHECK_OK(oak_store_backend(again, &s));
    CHECK_STR(s, "file");
    oak_string_free(s);

    bool deleted = false, exists = true;
    CHECK_OK(oak_store_delete(again, "alice", &deleted));
    CHECK(deleted);
    CHECK_OK(oak_store_delete(again, "alice", NULL)); /* out may be NULL */
    CHECK_OK(oak_store_exists(store, "alice", &exists));
    CHECK(!exists);
    oak_store_free(again);
    oak_store_free(store);
}

/* Encryption at rest from C: a spec with encrypt=env:NAME seals every token
 * set; the file holds no token text; another key cannot open it. */
static void test_encrypted_store_spec(void) {
    /* 32 bytes, base64 */
    CHECK(setenv("OAK_C_TEST_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", 1) == 0);
    CHECK(setenv("OAK_C_TEST_OTHER_KEY", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=", 1) == 0);
    char spec[8192], other[8192], path[4096];
    snprintf(path, sizeof path, "%s/sealed.json", tmpdir);
    snprintf(spec, sizeof spec, "file:%s?encrypt=env:OAK_C_TEST_KEY", path);
    snprintf(other, sizeof other, "file:%s?encrypt=env:OAK_C_TEST_OTHER_KEY", path);

    OakStore *store = NULL;
    CHECK_OK(oak_store_open(spec, &store));
    OakTokenSet *ts = NULL;
    CHECK_OK(oak_token_set_new("c-secret-access", &ts));
    CHECK_OK(oak_token_set_set_refresh_token(ts, "c-secret-refresh"));
    CHECK_OK(oak_store_save(store, "alice", ts));
    oak_token_set_free(ts);

    OakTokenSet *loaded = NULL;
    CHECK_OK(oak_store_load(store, "alice", &loaded));
    char *s = NULL;
    CHECK_OK(oak_token_set_refresh_token(loaded, &s));
    CHECK_STR(s, "c-secret-refresh");
    oak_string_free(s);
    oak_token_set_free(loaded);

    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f) {
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        CHECK(strstr(buf, "c-secret") == NULL);
        CHECK(strstr(buf, "oak:v1:") != NULL);
    }

    OakStore *wrong = NULL;
    CHECK_OK(oak_store_open(other, &wrong));
    loaded = (OakTokenSet *)0x1;
    CHECK_ERR(oak_store_load(wrong, "alice", &loaded), OAK_ERR_DECRYPTION, "key id");
    CHECK(loaded == NULL);
    CHECK_STR(oak_status_name(OAK_ERR_DECRYPTION), "OAK_ERR_DECRYPTION");
    oak_store_free(wrong);
    oak_store_free(store);

    OakStore *none = (OakStore *)0x1;
    CHECK_ERR(oak_store_open("memory:?encrypt=env:OAK_C_TEST_UNSET", &none),
              OAK_ERR_INVALID_ARGUMENT, "OAK_C_TEST_UNSET");
    CHECK(none == NULL);
}

static void test_missing_key_is_null(void) {
    OakStore *store = NULL;
    CHECK_OK(oak_store_open("memory:", &store));
    OakTokenSet *loaded = (OakTokenSet *)0x1; /* garbage the call overwrites */
    CHECK_OK(oak_store_load(store, "nobody", &loaded));
    CHECK(loaded == NULL);
    oak_store_free(store);
}

static void test_null_arguments(void) {
    OakStore *store = NULL;
    OakTokenSet *ts = NULL, *out_ts = NULL;
    CHECK_OK(oak_store_open("memory:", &store));
    CHECK_OK(oak_token_set_new("at", &ts));
    char *s = NULL;
    char **items = NULL;
    size_t len = 0;
    bool flag = false;
    int64_t n = 0;
    OakStore *out_store = NULL;

    CHECK_ERR(oak_store_open(NULL, &out_store), OAK_ERR_INVALID_ARGUMENT, "spec is NULL");
    CHECK_ERR(oak_store_open("memory:", NULL), OAK_ERR_INVALID_ARGUMENT, "out_store is NULL");
    CHECK_ERR(oak_store_open_default(NULL), OAK_ERR_INVALID_ARGUMENT, "out_store is NULL");
    CHECK_ERR(oak_store_save(NULL, "k", ts), OAK_ERR_INVALID_ARGUMENT, "store is NULL");
    CHECK_ERR(oak_store_save(store, NULL, ts), OAK_ERR_INVALID_ARGUMENT, "key is NULL");
    CHECK_ERR(oak_store_save(store, "k", NULL), OAK_ERR_INVALID_ARGUMENT, "tokens is NULL");
    CHECK_ERR(oak_store_load(store, NULL, &out_ts), OAK_ERR_INVALID_ARGUMENT, "key is NULL");
    CHECK_ERR(oak_store_load(store, "k", NULL), OAK_ERR_INVALID_ARGUMENT, "out_tokens is NULL");
    CHECK_ERR(oak_store_delete(NULL, "k", &flag), OAK_ERR_INVALID_ARGUMENT, "store is NULL");
    CHECK_ERR(oak_store_exists(store, "k", NULL), OAK_ERR_INVALID_ARGUMENT, "out_exists is NULL");
    CHECK_ERR(oak_store_list(store, NULL, &len), OAK_ERR_INVALID_ARGUMENT, "out_items is NULL");
    CHECK_ERR(oak_store_list(store, &items, NULL), OAK_ERR_INVALID_ARGUMENT, "out_len is NULL");
    CHECK_ERR(oak_store_namespaces(NULL, &items, &len), OAK_ERR_INVALID_ARGUMENT, "store is NULL");
    CHECK_ERR(oak_store_namespace(store, NULL), OAK_ERR_INVALID_ARGUMENT, "out_namespace is NULL");
    CHECK_ERR(oak_store_backend(NULL, &s), OAK_ERR_INVALID_ARGUMENT, "store is NULL");
    CHECK_ERR(oak_token_set_new(NULL, &out_ts), OAK_ERR_INVALID_ARGUMENT, "access_token is NULL");
    CHECK_ERR(oak_token_set_from_json(NULL, &out_ts), OAK_ERR_INVALID_ARGUMENT, "json is NULL");
    CHECK_ERR(oak_token_set_to_json(NULL, &s), OAK_ERR_INVALID_ARGUMENT, "tokens is NULL");
    CHECK_ERR(oak_token_set_clone(ts, NULL), OAK_ERR_INVALID_ARGUMENT, "out_tokens is NULL");
    CHECK_ERR(oak_token_set_access_token(NULL, &s), OAK_ERR_INVALID_ARGUMENT, "tokens is NULL");
    CHECK_ERR(oak_token_set_refresh_token(ts, NULL), OAK_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_ERR(oak_token_set_expires_at(ts, NULL, &flag), OAK_ERR_INVALID_ARGUMENT, "out_unix is NULL");
    CHECK_ERR(oak_token_set_issued_at(NULL, &n), OAK_ERR_INVALID_ARGUMENT, "tokens is NULL");
    CHECK_ERR(oak_token_set_is_expired(ts, 0, NULL), OAK_ERR_INVALID_ARGUMENT, "out_expired is NULL");
    CHECK_ERR(oak_token_set_has_scope(ts, NULL, &flag), OAK_ERR_INVALID_ARGUMENT, "scope is NULL");
    CHECK_ERR(oak_token_set_set_scope(NULL, "a"), OAK_ERR_INVALID_ARGUMENT, "tokens is NULL");
    CHECK_ERR(oak_token_set_set_scope(ts, NULL), OAK_ERR_INVALID_ARGUMENT, "scope is NULL");
    CHECK(out_store == NULL && out_ts == NULL && s == NULL && items == NULL);

    /* Freeing NULL is a no-op. */
    oak_store_free(NULL);
    oak_token_set_free(NULL);
    oak_string_free(NULL);
    oak_string_array_free(NULL, 5);

    oak_token_set_free(ts);
    oak_store_free(store);
}

static void test_non_utf8_arguments(void) {
    OakStore *store = NULL, *out_store = NULL;
    OakTokenSet *ts = NULL, *out_ts = NULL;
    CHECK_OK(oak_store_open("memory:", &store));
    CHECK_OK(oak_token_set_new("at", &ts));
    bool flag = false;

    CHECK_ERR(oak_store_open(NOT_UTF8, &out_store), OAK_ERR_INVALID_ARGUMENT, "spec is not valid UTF-8");
    CHECK_ERR(oak_store_save(store, NOT_UTF8, ts), OAK_ERR_INVALID_ARGUMENT, "key is not valid UTF-8");
    CHECK_ERR(oak_store_exists(store, NOT_UTF8, &flag), OAK_ERR_INVALID_ARGUMENT, "key is not valid UTF-8");
    CHECK_ERR(oak_token_set_new(NOT_UTF8, &out_ts), OAK_ERR_INVALID_ARGUMENT, "access_token is not valid UTF-8");
    CHECK_ERR(oak_token_set_from_json(NOT_UTF8, &out_ts), OAK_ERR_INVALID_ARGUMENT, "json is not valid UTF-8");
    CHECK_ERR(oak_token_set_set_refresh_token(ts, NOT_UTF8), OAK_ERR_INVALID_ARGUMENT,
              "refresh_token is not valid UTF-8");
    CHECK_ERR(oak_token_set_has_scope(ts, NOT_UTF8, &flag), OAK_ERR_INVALID_ARGUMENT, "scope is not valid UTF-8");
    CHECK(out_store == NULL && out_ts == NULL);

    /* Nothing was stored by the refused calls. */
    char **items = NULL;
    size_t len = 99;
    CHECK_OK(oak_store_list(store, &items, &len));
    CHECK(len == 0 && items != NULL && items[0] == NULL);
    oak_string_array_free(items, len);

    oak_token_set_free(ts);
    oak_store_free(store);
}

static void test_bad_input_statuses(void) {
    OakStore *store = NULL;
    OakTokenSet *ts = NULL;
    CHECK_ERR(oak_store_open("floppy:/a", &store), OAK_ERR_INVALID_ARGUMENT, "unknown store scheme 'floppy'");
    CHECK_ERR(oak_token_set_from_json("{\"access_token\": \"secret-at\"", &ts), OAK_ERR_CORRUPT, "token set JSON");
    CHECK(strstr(oak_last_error_message(), "secret-at") == NULL); /* never quotes tokens */
    CHECK(store == NULL && ts == NULL);

    CHECK_OK(oak_store_open("memory:", &store));
    CHECK_OK(oak_token_set_new("at", &ts));
    CHECK_ERR(oak_store_save(store, "", ts), OAK_ERR_INVALID_ARGUMENT, "must not be empty");
    oak_token_set_free(ts);
    oak_store_free(store);
}

static void test_json_and_clone(void) {
    const char *json = "{\"access_token\":\"at\",\"refresh_token\":\"rt\",\"scope\":\"a b\","
                       "\"issued_at\":1700000000,\"expires_at\":1700003600,\"identity_id\":\"user-1\"}";
    OakTokenSet *ts = NULL, *copy = NULL, *back = NULL;
    CHECK_OK(oak_token_set_from_json(json, &ts));
    CHECK_OK(oak_token_set_clone(ts, &copy));
    CHECK_OK(oak_token_set_set_refresh_token(copy, NULL));
    char *s = NULL;
    CHECK_OK(oak_token_set_refresh_token(ts, &s));
    CHECK_STR(s, "rt");
    oak_string_free(s);
    CHECK_OK(oak_token_set_refresh_token(copy, &s));
    CHECK(s == NULL);
    CHECK_OK(oak_token_set_identity_id(ts, &s));
    CHECK_STR(s, "user-1");
    oak_string_free(s);
    CHECK_OK(oak_token_set_token_type(ts, &s));
    CHECK_STR(s, "Bearer");
    oak_string_free(s);
    int64_t at = 0, issued = 0;
    CHECK_OK(oak_token_set_expires_at(ts, &at, NULL));
    CHECK(at == 1700003600);
    CHECK_OK(oak_token_set_issued_at(ts, &issued));
    CHECK(issued == 1700000000);

    CHECK_OK(oak_token_set_to_json(ts, &s));
    CHECK_OK(oak_token_set_from_json(s, &back));
    oak_string_free(s);
    CHECK_OK(oak_token_set_resource_server(back, &s));
    CHECK(s == NULL);
    CHECK_OK(oak_token_set_set_resource_server(back, "api.example.org"));
    CHECK_OK(oak_token_set_resource_server(back, &s));
    CHECK_STR(s, "api.example.org");
    oak_string_free(s);
    CHECK_OK(oak_token_set_expires_at(back, &at, NULL));
    CHECK(at == 1700003600);

    oak_token_set_free(back);
    oak_token_set_free(copy);
    oak_token_set_free(ts);
}

struct thread_result {
    OakStore *store;
    int index;
    int ok;
    char first_error[256];
};

static void *worker(void *arg) {
    struct thread_result *r = arg;
    /* A new thread starts with no error message. */
    snprintf(r->first_error, sizeof r->first_error, "%s", oak_last_error_message());
    char key[32], token[32];
    snprintf(key, sizeof key, "k%d", r->index);
    snprintf(token, sizeof token, "at-%d", r->index);
    OakTokenSet *ts = NULL;
    r->ok = oak_token_set_new(token, &ts) == OAK_OK && oak_store_save(r->store, key, ts) == OAK_OK;
    oak_token_set_free(ts);
    return NULL;
}

static void test_threads(void) {
    OakStore *store = NULL;
    CHECK_ERR(oak_store_open("nope", &store), OAK_ERR_INVALID_ARGUMENT, "has no scheme");
    CHECK_OK(oak_store_open(file_spec("threads"), &store));
    enum { N = 4 };
    pthread_t threads[N];
    struct thread_result results[N];
    for (int i = 0; i < N; i++) {
        results[i] = (struct thread_result){.store = store, .index = i};
        CHECK(pthread_create(&threads[i], NULL, worker, &results[i]) == 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        CHECK(results[i].ok);
        CHECK_STR(results[i].first_error, "");
    }
    /* This thread's message is still its own. */
    CHECK(strstr(oak_last_error_message(), "has no scheme") != NULL);
    char **items = NULL;
    size_t len = 0;
    CHECK_OK(oak_store_list(store, &items, &len));
    CHECK(len == N);
    oak_string_array_free(items, len);
    oak_store_free(store);
}

static void test_dev_provider(void) {
    OakDevProvider *idp = NULL;
    OakStatus st = oak_dev_provider_start(true, 120, true, &idp);
    if (st == OAK_ERR_UNSUPPORTED) {
        fprintf(stderr, "  FAIL the library lacks the dev provider: build it with FEATURES=dev-provider,capi-server "
                        "scripts/install-local.sh\n");
    }
    CHECK_OK(st);
    char *issuer = NULL, *client_id = NULL;
    uint64_t n = 99;
    bool active = true;
    CHECK_OK(oak_dev_provider_issuer(idp, &issuer));
    CHECK(issuer != NULL && strncmp(issuer, "http://127.0.0.1:", 17) == 0);
    CHECK_OK(oak_dev_provider_client_id(idp, &client_id));
    CHECK(client_id != NULL && client_id[0] != '\0');
    CHECK_OK(oak_dev_provider_token_requests(idp, "authorization_code", &n));
    CHECK(n == 0);
    CHECK_OK(oak_dev_provider_is_token_active(idp, "never-issued", &active));
    CHECK(!active);
    CHECK_ERR(oak_dev_provider_token_requests(idp, NULL, &n), OAK_ERR_INVALID_ARGUMENT, "grant_type is NULL");
    CHECK_ERR(oak_dev_provider_is_token_active(idp, NOT_UTF8, &active), OAK_ERR_INVALID_ARGUMENT,
              "token is not valid UTF-8");
    char *cleared = (char *)"stale";
    CHECK_ERR(oak_dev_provider_issuer(NULL, &cleared), OAK_ERR_INVALID_ARGUMENT, "provider is NULL");
    CHECK(cleared == NULL); /* a failed call cleared the out-parameter first */
    CHECK_ERR(oak_dev_browser_approve(NULL), OAK_ERR_INVALID_ARGUMENT, "authorize_url is NULL");
    /* The headless browser refuses anything but loopback http. */
    CHECK(oak_dev_browser_approve("https://accounts.example.com/authorize") != OAK_OK);
    CHECK(strlen(oak_last_error_message()) > 0);
    oak_string_free(issuer);
    oak_string_free(client_id);
    oak_dev_provider_free(idp);
    oak_dev_provider_free(NULL);
}

/* ---- providers, the native flow, the session manager (dev provider) ---- */

struct dev {
    OakDevProvider *idp;
    OakProvider *provider;
};

/* auto_approve: the provider approves at once; without it, its page waits
 * for the headless browser to press Approve or Deny. */
static int dev_start(struct dev *d, bool auto_approve) {
    memset(d, 0, sizeof *d);
    OakStatus st = oak_dev_provider_start(auto_approve, 0, false, &d->idp);
    if (st == OAK_ERR_UNSUPPORTED) {
        fprintf(stderr, "  FAIL the library lacks the dev provider: build it with FEATURES=dev-provider,capi-server "
                        "scripts/install-local.sh\n");
    }
    CHECK_OK(st);
    if (st != OAK_OK) {
        return 0;
    }
    char *issuer = NULL, *client_id = NULL;
    CHECK_OK(oak_dev_provider_issuer(d->idp, &issuer));
    CHECK_OK(oak_dev_provider_client_id(d->idp, &client_id));
    CHECK(issuer != NULL && strncmp(issuer, "http://127.0.0.1:", 17) == 0);
    CHECK_OK(oak_provider_oidc(issuer, client_id, NULL, "openid email profile offline_access", &d->provider));
    oak_string_free(issuer);
    oak_string_free(client_id);
    return d->provider != NULL;
}

static void dev_stop(struct dev *d) {
    oak_provider_free(d->provider);
    oak_dev_provider_free(d->idp);
}

enum browser_action { APPROVE, DENY, IGNORE, FAIL_TO_OPEN };

struct browser {
    enum browser_action action;
    pthread_t thread;
    int started;
    int opened;
    OakStatus outcome;
    char url[4096];
};

static void *browse(void *arg) {
    struct browser *b = arg;
    b->outcome = b->action == APPROVE ? oak_dev_browser_approve(b->url) : oak_dev_browser_deny(b->url);
    return NULL;
}

static OakStatus open_browser(const char *url, void *user_data) {
    struct browser *b = user_data;
    b->opened++;
    snprintf(b->url, sizeof b->url, "%s", url);
    if (b->action == FAIL_TO_OPEN) {
        return OAK_ERR_UNAVAILABLE;
    }
    if (b->action == IGNORE) {
        return OAK_OK;
    }
    b->started = pthread_create(&b->thread, NULL, browse, b) == 0;
    return b->started ? OAK_OK : OAK_ERR_INTERNAL;
}

static void browser_join(struct browser *b) {
    if (b->started) {
        pthread_join(b->thread, NULL);
        b->started = 0;
    }
}

struct refresh_log {
    pthread_mutex_t lock;
    int calls;
    char key[128];
    char access[256];
};

static void on_refresh(const char *key, const OakTokenSet *tokens, void *user_data) {
    struct refresh_log *log = user_data;
    char *at = NULL;
    oak_token_set_access_token(tokens, &at);
    pthread_mutex_lock(&log->lock);
    log->calls++;
    snprintf(log->key, sizeof log->key, "%s", key);
    snprintf(log->access, sizeof log->access, "%s", at ? at : "");
    pthread_mutex_unlock(&log->lock);
    oak_string_free(at);
}

/* Typed identity: the ID token's claims and the userinfo claims of a real
 * sign-in, read by name; wrong-typed claims are errors for the getter that
 * asks a type, never for the parse. */
static void check_claims(const OakTokenSet *tokens, const char *info) {
    OakClaims *id = NULL, *ui = NULL, *odd = NULL;
    char *s = NULL;
    bool present = false, flag = false;
    int64_t t = 0;
    CHECK_OK(oak_token_set_id_token_claims(tokens, &id));
    CHECK(id != NULL);
    CHECK_OK(oak_claims_string(id, "sub", &s));
    CHECK_STR(s, "dev-user-1");
    oak_string_free(s);
    s = NULL;
    CHECK_OK(oak_claims_time(id, "exp", &present, &t));
    CHECK(present && t > (int64_t)time(NULL));
    CHECK_OK(oak_claims_json(id, "aud", &s));
    CHECK(s != NULL && s[0] == '"');
    oak_string_free(s);
    s = NULL;
    CHECK_OK(oak_claims_string(id, "no-such-claim", &s));
    CHECK(s == NULL);
    CHECK_ERR(oak_claims_time(id, "sub", &present, &t), OAK_ERR_INVALID_ARGUMENT, "sub");
    CHECK(!present && t == 0);
    CHECK_ERR(oak_claims_string(id, NULL, &s), OAK_ERR_INVALID_ARGUMENT, "name is NULL");

    CHECK_OK(oak_claims_from_json(info, &ui));
    CHECK_OK(oak_claims_display_name(ui, &s));
    CHECK_STR(s, "dev.user@example.test");
    oak_string_free(s);
    s = NULL;
    CHECK_OK(oak_claims_subject_id(ui, &s));
    CHECK_STR(s, "dev-user-1");
    oak_string_free(s);
    s = NULL;

    CHECK_OK(oak_claims_from_json(
        "{\"sub\":\"u\",\"email_verified\":\"true\",\"updated_at\":\"2024-01-01\",\"n\":{\"k\":1}}", &odd));
    CHECK_OK(oak_claims_bool(odd, "email_verified", &present, &flag));
    CHECK(present && flag);
    CHECK_ERR(oak_claims_time(odd, "updated_at", &present, &t), OAK_ERR_INVALID_ARGUMENT, "updated_at");
    CHECK_OK(oak_claims_json(odd, "updated_at", &s));
    CHECK_STR(s, "\"2024-01-01\"");
    oak_string_free(s);
    s = NULL;
    CHECK_OK(oak_claims_json(odd, "n", &s));
    CHECK_STR(s, "{\"k\":1}");
    oak_string_free(s);
    s = NULL;
    OakClaims *bad = NULL;
    CHECK_ERR(oak_claims_from_json("[1]", &bad), OAK_ERR_INVALID_ARGUMENT, "not an object");
    CHECK(bad == NULL);
    oak_claims_free(odd);
    oak_claims_free(ui);
    oak_claims_free(id);
    oak_claims_free(NULL);
}

static void test_sign_in_refresh_and_logout(void) {
    struct dev d;
    if (!dev_start(&d, true)) {
        dev_stop(&d);
        return;
    }
    OakStore *store = NULL;
    OakFlow *flow = NULL;
    OakSession *session = NULL;
    OakTokenSet *tokens = NULL, *stored = NULL;
    char *key = NULL, *info = NULL, *name = NULL, *rt = NULL, *at = NULL;
    struct browser browser = {.action = APPROVE};
    struct refresh_log log = {.lock = PTHREAD_MUTEX_INITIALIZER};
    OakFlowState state = -1;
    uint64_t n = 99;

    CHECK_OK(oak_provider_name(d.provider, &name));
    CHECK_STR(name, "oidc");
    oak_string_free(name);
    CHECK_OK(oak_store_open(file_spec("flow"), &store));
    CHECK_OK(oak_flow_new(d.provider, store, NULL, &flow));
    CHECK_OK(oak_flow_set_timeout(flow, 30));
    CHECK_OK(oak_flow_state(flow, &state));
    CHECK(state == OAK_FLOW_IDLE);
    OakStatus st = oak_flow_run_native(flow, open_browser, &browser, &tokens, &key, &info);
    browser_join(&browser);
    CHECK_OK(st);
    CHECK_OK(browser.outcome);
    CHECK(browser.opened == 1);
    CHECK(strstr(browser.url, "code_challenge_method=S256") != NULL);
    CHECK_OK(oak_flow_state(flow, &state));
    CHECK(state == OAK_FLOW_COMPLETED);
    CHECK_STR(key, "dev-user-1");
    CHECK(info != NULL && strstr(info, "dev.user@example.test") != NULL);
    CHECK_OK(oak_dev_provider_token_requests(d.idp, "authorization_code", &n));
    CHECK(n == 1);
    check_claims(tokens, info);

    /* The flow saved the tokens to the file store under the identity. */
    CHECK_OK(oak_store_load(store, "dev-user-1", &stored));
    CHECK(stored != NULL);
    CHECK_OK(oak_token_set_refresh_token(tokens, &rt));
    CHECK(rt != NULL);

    /* A session refreshes an expired token once and tells the hook. */
    CHECK_OK(oak_session_new(d.provider, store, on_refresh, &log, &session));
    CHECK_OK(oak_token_set_set_expires_in(stored, -10));
    CHECK_OK(oak_store_save(store, "dev-user-1", stored));
    CHECK_OK(oak_session_access_token(session, "dev-user-1", &at));
    CHECK_OK(oak_dev_provider_token_requests(d.idp, "refresh_token", &n));
    CHECK(n == 1);
    CHECK(log.calls == 1);
    CHECK_STR(log.key, "dev-user-1");
    CHECK_STR(at, log.access);
    oak_string_free(at);
    at = NULL;
    CHECK_OK(oak_session_access_token(session, "dev-user-1", &at)); /* fresh now: no refresh */
    CHECK_OK(oak_dev_provider_token_requests(d.idp, "refresh_token", &n));
    CHECK(n == 1 && log.calls == 1);
    oak_string_free(at);
    at = NULL;
    CHECK_ERR(oak_session_access_token(session, "nobody", &at), OAK_ERR_NOT_FOUND, "nobody");
    CHECK(at == NULL);

    /* Logout revokes at the provider and deletes locally. */
    bool had = false, active = true, exists = true;
    CHECK_OK(oak_session_logout(session, "dev-user-1", &had));
    CHECK(had);
    CHECK_OK(oak_dev_provider_is_token_active(d.idp, rt, &active));
    CHECK(!active);
    CHECK_OK(oak_store_exists(store, "dev-user-1", &exists));
    CHECK(!exists);

    oak_string_free(rt);
    oak_string_free(info);
    oak_string_free(key);
    oak_token_set_free(stored);
    oak_token_set_free(tokens);
    oak_session_free(session);
    oak_flow_free(flow);
    oak_store_free(store);
    dev_stop(&d);
}

/* ---- oak_set_log_callback ---- */

struct log_sink {
    pthread_mutex_t lock;
    int records;
    int reentry_tried;
    OakStatus reentry;
    size_t used;
    char text[1 << 16];
};

static void on_log(int32_t level, const char *target, const char *message, void *user_data) {
    struct log_sink *s = user_data;
    pthread_mutex_lock(&s->lock);
    s->records++;
    int n = snprintf(s->text + s->used, sizeof s->text - s->used, "%d %s: %s\n", level, target, message);
    if (n > 0 && s->used + (size_t)n < sizeof s->text) {
        s->used += (size_t)n;
    }
    int first = !s->reentry_tried;
    s->reentry_tried = 1;
    pthread_mutex_unlock(&s->lock);
    if (first) {
        /* changing the callback from inside it is refused, not a deadlock */
        OakStatus st = oak_set_log_callback(OAK_LOG_DEBUG, on_log, user_data);
        pthread_mutex_lock(&s->lock);
        s->reentry = st;
        pthread_mutex_unlock(&s->lock);
    }
}

static void test_log_callback(void) {
    static struct log_sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER};
    CHECK_ERR(oak_set_log_callback(7, on_log, &sink), OAK_ERR_INVALID_ARGUMENT, "log level 7");
    CHECK_ERR(oak_set_log_callback(-1, on_log, &sink), OAK_ERR_INVALID_ARGUMENT, "log level -1");
    CHECK_OK(oak_set_log_callback(OAK_LOG_INFO, on_log, &sink));

    struct dev d;
    if (!dev_start(&d, true)) {
        dev_stop(&d);
        oak_set_log_callback(OAK_LOG_OFF, NULL, NULL);
        return;
    }
    OakStore *store = NULL;
    OakFlow *flow = NULL;
    OakTokenSet *tokens = NULL;
    char *key = NULL, *at = NULL, *rt = NULL;
    struct browser browser = {.action = APPROVE};
    CHECK_OK(oak_store_open("memory:", &store));
    CHECK_OK(oak_flow_new(d.provider, store, NULL, &flow));
    OakStatus st = oak_flow_run_native(flow, open_browser, &browser, &tokens, &key, NULL);
    browser_join(&browser);
    CHECK_OK(st);
    CHECK_OK(oak_token_set_access_token(tokens, &at));
    CHECK_OK(oak_token_set_refresh_token(tokens, &rt));

    pthread_mutex_lock(&sink.lock);
    CHECK(strstr(sink.text, "3 oauthkit::flow::native: sign-in at oidc started") != NULL);
    CHECK(strstr(sink.text, "sign-in at oidc finished: tokens stored under 'dev-user-1'") != NULL);
    CHECK(strstr(sink.text, "oauthkit::provider::oidc: discovery for http://127.0.0.1:") != NULL);
    /* below the threshold: nothing at debug */
    CHECK(strstr(sink.text, "\n4 ") == NULL && strncmp(sink.text, "4 ", 2) != 0);
    /* never a token, and the HTTP client's own debug/trace records are not passed */
    CHECK(at != NULL && strstr(sink.text, at) == NULL);
    CHECK(rt != NULL && strstr(sink.text, rt) == NULL);
    CHECK(strstr(sink.text, "ureq") == NULL);
    CHECK(sink.reentry_tried && sink.reentry == OAK_ERR_INVALID_ARGUMENT);
    int before = sink.records;
    pthread_mutex_unlock(&sink.lock);

    /* off: no more records (and the callback is never called again) */
    CHECK_OK(oak_set_log_callback(OAK_LOG_OFF, on_log, &sink));
    bool had = false;
    OakSession *session = NULL;
    CHECK_OK(oak_session_new(d.provider, store, NULL, NULL, &session));
    CHECK_OK(oak_session_logout(session, key, &had));
    CHECK(had);
    pthread_mutex_lock(&sink.lock);
    CHECK(sink.records == before);
    pthread_mutex_unlock(&sink.lock);
    CHECK_OK(oak_set_log_callback(OAK_LOG_INFO, NULL, NULL));

    oak_string_free(at);
    oak_string_free(rt);
    oak_string_free(key);
    oak_token_set_free(tokens);
    oak_session_free(session);
    oak_flow_free(flow);
    oak_store_free(store);
    dev_stop(&d);
}

/* A DPoP-bound token set (an ES256 test key, generated for this test
 * only) in a memory store: header values for an API call, the resource
 * server's nonce, DPoP settings of a provider, a plain-text store refusing
 * the key. No network. */
static const char DPOP_JSON[] =
    "{\"access_token\": \"c-at\", \"token_type\": \"DPoP\", \"expires_in\": 3600, "
    "\"dpop_key\": {\"alg\": \"ES256\", \"pkcs8\": "
    "\"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpQ4Qgf602slxJel7hEnv1niBW_CKURT7rn4DABrvUvGhRANCAASxyO2qv5tWLG-"
    "AZjgYOcoicyRSN3yyVKk-cnRMqb5JtBk9z1VtOBTVjZtQ0RJ8REHm79ZKGjNEqI-aCmUmtpyS\"}}";

static void test_dpop(void) {
    OakProvider *provider = NULL, *dpop_provider = NULL;
    OakStore *store = NULL, *file = NULL;
    OakTokenSet *bound = NULL, *plain = NULL;
    OakSession *session = NULL;
    char *authorization = NULL, *proof = NULL, *alg = NULL, *proof2 = NULL, *authorization2 = NULL;
    bool retry = false;

    CHECK_OK(oak_provider_oidc("https://idp.example", "c-client", NULL, NULL, &provider));
    CHECK_OK(oak_provider_dpop_algorithm(provider, &alg));
    CHECK(alg == NULL);
    const char *names[] = {"OAUTHKIT_PROVIDER", "OAUTHKIT_CLIENT_ID", "OAUTHKIT_ISSUER_URL", "OAUTHKIT_DPOP"};
    const char *values[] = {"oidc", "c-client", "https://idp.example", "EdDSA"};
    CHECK_OK(oak_provider_from_settings(names, values, 4, &dpop_provider));
    CHECK_OK(oak_provider_dpop_algorithm(dpop_provider, &alg));
    CHECK_STR(alg, "EdDSA");
    const char *bad[] = {"oidc", "c-client", "https://idp.example", "HS256"};
    OakProvider *refused = NULL;
    CHECK_ERR(oak_provider_from_settings(names, bad, 4, &refused), OAK_ERR_INVALID_ARGUMENT, "OAUTHKIT_DPOP");
    CHECK(refused == NULL);

    CHECK_OK(oak_token_set_from_json(DPOP_JSON, &bound));
    CHECK_OK(oak_token_set_new("c-plain", &plain));
    CHECK_OK(oak_store_open("memory:", &store));
    CHECK_OK(oak_store_save(store, "bound", bound));
    CHECK_OK(oak_store_save(store, "plain", plain));
    /* a plain-text store refuses the private key, saying how to fix it */
    CHECK_OK(oak_store_open(file_spec("dpop"), &file));
    CHECK_ERR(oak_store_save(file, "bound", bound), OAK_ERR_UNSUPPORTED, "encrypt=");
    CHECK(strstr(oak_last_error_message(), "MIGHAgEA") == NULL);

    CHECK_OK(oak_session_new(provider, store, NULL, NULL, &session));
    CHECK_OK(oak_dpop_headers(session, "bound", "GET", "https://api.example/v1/items?page=2", &authorization, &proof));
    CHECK_STR(authorization, "DPoP c-at");
    CHECK(proof != NULL && strchr(proof, '.') != NULL && strchr(strchr(proof, '.') + 1, '.') != NULL);
    /* the API asks for a nonce: record it, send again with new headers */
    CHECK_OK(oak_dpop_record_nonce(session, "https://api.example/v1/items", 401,
                                   "DPoP error=\"use_dpop_nonce\"", "n-1", &retry));
    CHECK(retry);
    CHECK_OK(oak_dpop_headers(session, "bound", "GET", "https://api.example/v1/items", &authorization2, &proof2));
    CHECK(strcmp(proof, proof2) != 0);
    CHECK_OK(oak_dpop_record_nonce(session, "https://api.example/v1/items", 200, NULL, NULL, &retry));
    CHECK(!retry);
    oak_string_free(authorization);
    oak_string_free(proof);
    authorization = proof = NULL;
    CHECK_ERR(oak_dpop_headers(session, "plain", "GET", "https://api.example/", &authorization, &proof),
              OAK_ERR_INVALID_ARGUMENT, "not DPoP-bound");
    CHECK(authorization == NULL && proof == NULL);
    CHECK_ERR(oak_dpop_headers(session, "bound", "GET", "not a url", &authorization, &proof),
              OAK_ERR_INVALID_ARGUMENT, "URL");
    CHECK(authorization == NULL && proof == NULL);

    oak_string_free(authorization2);
    oak_string_free(proof2);
    oak_string_free(alg);
    oak_session_free(session);
    oak_token_set_free(bound);
    oak_token_set_free(plain);
    oak_store_free(store);
    oak_store_free(file);
    oak_provider_free(provider);
    oak_provider_free(dpop_provider);
}

static void test_provider_revoke(void) {
    struct dev d;
    if (!dev_start(&d, true)) {
        dev_stop(&d);
        return;
    }
    OakStore *store = NULL;
    OakFlow *flow = NULL;
    OakTokenSet *tokens = NULL;
    char *at = NULL, *info = NULL;
    struct browser browser = {.action = APPROVE};
    CHECK_OK(oak_store_open("memory:", &store));
    CHECK_OK(oak_flow_new(d.provider, store, NULL, &flow));
    CHECK_OK(oak_flow_set_token_key(flow, "me"));
    OakStatus st = oak_flow_run_native(flow, open_browser, &browser, &tokens, NULL, NULL);
    browser_join(&browser);
    CHECK_OK(st);
    CHECK_OK(oak_token_set_access_token(tokens, &at));
    CHECK_OK(oak_provider_userinfo(d.provider, at, &info));
    CHECK(info != NULL && strstr(info, "dev-user-1") != NULL);
    bool revoked = false, active = true, exists = false;
    CHECK_OK(oak_store_exists(store, "me", &exists));
    CHECK(exists);
    CHECK_OK(oak_provider_revoke(d.provider, at, OAK_TOKEN_HINT_ACCESS_TOKEN, &revoked));
    CHECK(revoked);
    CHECK_OK(oak_dev_provider_is_token_active(d.idp, at, &active));
    CHECK(!active);
    CHECK_ERR(oak_provider_revoke(d.provider, at, 7, &revoked), OAK_ERR_INVALID_ARGUMENT, "unknown token hint 7");
    oak_string_free(info);
    oak_string_free(at);
    oak_token_set_free(tokens);
    oak_flow_free(flow);
    oak_store_free(store);
    dev_stop(&d);
}

struct canceller {
    OakFlow *flow;
    OakStatus status;
};

static void *cancel_later(void *arg) {
    struct canceller *c = arg;
    OakFlowState state = OAK_FLOW_IDLE;
    for (int i = 0; i < 500 && state != OAK_FLOW_WAITING_FOR_CALLBACK; i++) {
        oak_flow_state(c->flow, &state);
        usleep(10000);
    }
    c->status = oak_flow_cancel(c->flow);
    return NULL;
}

static void test_flow_cancel_deny_and_failures(void) {
    struct dev d;
    if (!dev_start(&d, false)) {
        dev_stop(&d);
        return;
    }
    OakFlow *flow = NULL;
    OakTokenSet *tokens = NULL;
    char *key = NULL;
    OakFlowState state = -1;
    CHECK_OK(oak_flow_new(d.provider, NULL, NULL, &flow));

    /* Cancelled from another thread while waiting for the browser. */
    struct browser ignore = {.action = IGNORE};
    struct canceller c = {.flow = flow, .status = -1};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, cancel_later, &c) == 0);
    CHECK_ERR(oak_flow_run_native(flow, open_browser, &ignore, &tokens, &key, NULL), OAK_ERR_CANCELLED, "cancelled");
    pthread_join(t, NULL);
    CHECK_OK(c.status);
    CHECK(tokens == NULL && key == NULL);
    CHECK_OK(oak_flow_state(flow, &state));
    CHECK(state == OAK_FLOW_CANCELLED);

    /* The user presses "Deny": the provider's error. */
    struct browser deny = {.action = DENY};
    OakStatus st = oak_flow_run_native(flow, open_browser, &deny, &tokens, NULL, NULL);
    browser_join(&deny);
    CHECK_ERR(st, OAK_ERR_OAUTH, "access_denied");
    CHECK(tokens == NULL);

    /* A browser callback that fails ends the run. */
    struct browser broken = {.action = FAIL_TO_OPEN};
    CHECK_ERR(oak_flow_run_native(flow, open_browser, &broken, &tokens, NULL, NULL), OAK_ERR_AUTHENTICATION,
              "browser callback failed");

    /* A short timeout with nobody signing in. */
    struct browser idle = {.action = IGNORE};
    CHECK_OK(oak_flow_set_timeout(flow, 1));
    CHECK_ERR(oak_flow_run_native(flow, open_browser, &idle, &tokens, NULL, NULL), OAK_ERR_TIMEOUT, "timed out");
    CHECK_ERR(oak_flow_set_timeout(flow, 0), OAK_ERR_INVALID_ARGUMENT, "at least 1 second");

    /* NULL and non-UTF-8 arguments. */
    OakFlow *out_flow = NULL;
    OakProvider *out_provider = NULL;
    OakSession *out_session = NULL;
    CHECK_ERR(oak_flow_new(NULL, NULL, NULL, &out_flow), OAK_ERR_INVALID_ARGUMENT, "provider is NULL");
    CHECK_ERR(oak_flow_run_native(NULL, NULL, NULL, &tokens, NULL, NULL), OAK_ERR_INVALID_ARGUMENT, "flow is NULL");
    CHECK_ERR(oak_flow_run_native(flow, NULL, NULL, NULL, NULL, NULL), OAK_ERR_INVALID_ARGUMENT, "out_tokens is NULL");
    CHECK_ERR(oak_flow_cancel(NULL), OAK_ERR_INVALID_ARGUMENT, "flow is NULL");
    CHECK_ERR(oak_flow_set_token_key(flow, NOT_UTF8), OAK_ERR_INVALID_ARGUMENT, "key is not valid UTF-8");
    CHECK_ERR(oak_flow_add_param(flow, "prompt", NULL), OAK_ERR_INVALID_ARGUMENT, "value is NULL");
    CHECK_ERR(oak_session_new(d.provider, NULL, NULL, NULL, &out_session), OAK_ERR_INVALID_ARGUMENT, "store is NULL");
    CHECK_ERR(oak_session_access_token(NULL, "k", &key), OAK_ERR_INVALID_ARGUMENT, "session is NULL");
    CHECK_ERR(oak_provider_oidc(NULL, "c", NULL, NULL, &out_provider), OAK_ERR_INVALID_ARGUMENT, "issuer is NULL");
    CHECK_ERR(oak_provider_oidc("http://127.0.0.1:1", NOT_UTF8, NULL, NULL, &out_provider), OAK_ERR_INVALID_ARGUMENT,
              "client_id is not valid UTF-8");
    CHECK_ERR(oak_provider_google(NULL, NULL, NULL, &out_provider), OAK_ERR_INVALID_ARGUMENT, "client_id is NULL");
    CHECK_ERR(oak_dev_browser_approve(NULL), OAK_ERR_INVALID_ARGUMENT, "authorize_url is NULL");
    CHECK(out_flow == NULL && out_provider == NULL && out_session == NULL && key == NULL);
    oak_flow_free(NULL);
    oak_session_free(NULL);
    oak_provider_free(NULL);
    oak_dev_provider_free(NULL);

    oak_flow_free(flow);
    dev_stop(&d);
}

/* oak_token_exchange: argument checks before any request, owned results
 * reset on failure, and the provider's refusal as OAK_ERR_OAUTH without
 * the tokens in the message. The dev provider has no token-exchange grant
 * (unsupported_grant_type); the exchange itself is tested against panva's
 * oidc-provider in tests/capi_token_exchange.rs. */
static void test_token_exchange(void) {
    struct dev d;
    if (!dev_start(&d, true)) {
        dev_stop(&d);
        return;
    }
    static const char AT[] = "urn:ietf:params:oauth:token-type:access_token";
    static const char SUBJECT[] = "subject-token-Zq8vX2mK7pL4nR9tW3yB6";
    static const char ACTOR[] = "actor-token-H5jD2sF8gA1kQ7wE4rT9";
    const char *auds[] = {"https://api.example"};
    const char *res[] = {"https://api.example/", "https://other.example/"};
    OakTokenSet *tokens = (OakTokenSet *)&d; /* poisoned: must be reset */
    char *issued = (char *)&d;
    CHECK_ERR(oak_token_exchange(d.provider, SUBJECT, AT, ACTOR, AT, auds, 1, res, 2, "openid", AT, &tokens, &issued),
              OAK_ERR_OAUTH, "unsupported_grant_type");
    CHECK(tokens == NULL && issued == NULL);
    CHECK(strstr(oak_last_error_message(), SUBJECT) == NULL);
    CHECK(strstr(oak_last_error_message(), ACTOR) == NULL);
    CHECK_ERR(oak_token_exchange(NULL, SUBJECT, AT, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, &tokens, &issued),
              OAK_ERR_INVALID_ARGUMENT, "provider is NULL");
    CHECK_ERR(oak_token_exchange(d.provider, NULL, AT, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, &tokens, NULL),
              OAK_ERR_INVALID_ARGUMENT, "subject_token is NULL");
    CHECK_ERR(oak_token_exchange(d.provider, SUBJECT, "access_token", NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, &tokens,
                                 NULL),
              OAK_ERR_INVALID_ARGUMENT, "is not a token type URI");
    CHECK_ERR(oak_token_exchange(d.provider, SUBJECT, AT, ACTOR, NULL, NULL, 0, NULL, 0, NULL, NULL, &tokens, NULL),
              OAK_ERR_INVALID_ARGUMENT, "actor_token and actor_token_type go together");
    CHECK_ERR(oak_token_exchange(d.provider, SUBJECT, AT, NULL, NULL, NULL, 1, NULL, 0, NULL, NULL, &tokens, NULL),
              OAK_ERR_INVALID_ARGUMENT, "audiences is NULL while its count is 1");
    const char *bad_res[] = {"https://api.example/#fragment"};
    CHECK_ERR(oak_token_exchange(d.provider, SUBJECT, AT, NULL, NULL, NULL, 0, bad_res, 1, NULL, NULL, &tokens, NULL),
              OAK_ERR_INVALID_ARGUMENT, "resource");
    CHECK_ERR(oak_token_exchange(d.provider, SUBJECT, AT, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL),
              OAK_ERR_INVALID_ARGUMENT, "out_tokens is NULL");
    CHECK_ERR(oak_token_exchange(d.provider, NOT_UTF8, AT, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, &tokens, NULL),
              OAK_ERR_INVALID_ARGUMENT, "subject_token");
    CHECK(tokens == NULL);
    uint64_t n = 0;
    CHECK_OK(oak_dev_provider_token_requests(d.idp, "urn:ietf:params:oauth:grant-type:token-exchange", &n));
    CHECK(n == 1); /* only the first call reached the provider */
    dev_stop(&d);
}

/* A throwaway P-256 key made for this test only (private_key_jwt and the
 * JWT bearer grant); it is registered nowhere. */
static const char TEST_EC_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtGzV/fPUKE5wpeqB\n"
    "NowyK8cqP3D9Z6VJVk0IXEogc76hRANCAATURoVddNSb11UHZEFwWDah+8ay+8Zi\n"
    "WL3Rcm/98PYIVP/HSd26/nM2vF3UGkgwYx+JMmwcuK3ZjODvlq/xMcKw\n"
    "-----END PRIVATE KEY-----\n";

/* PAR, private_key_jwt and the security profile are provider settings;
 * the JWT bearer grant signs with a PEM key. Refusals are typed and never
 * show the key. */
static void test_par_private_key_jwt_and_profile(void) {
    OakProvider *p = NULL;
    const char *names[] = {"OAUTHKIT_PROVIDER", "OAUTHKIT_CLIENT_ID", "OAUTHKIT_ISSUER_URL", "OAUTHKIT_PAR",
                           "OAUTHKIT_PRIVATE_KEY", "OAUTHKIT_PRIVATE_KEY_KID", "OAUTHKIT_SECURITY_PROFILE"};
    const char *values[] = {"oidc", "svc", "http://127.0.0.1:1", "always", TEST_EC_KEY, "k1", "oauth2.1"};
    CHECK_OK(oak_provider_from_settings(names, values, 7, &p));
    CHECK(p != NULL);

    /* the JWT bearer grant signs with the key, then the request fails
     * (nothing listens on port 1): an HTTP error without key or assertion */
    OakTokenSet *tokens = NULL;
    CHECK_ERR(oak_provider_jwt_bearer_signed(p, TEST_EC_KEY, "ES256", "k1", "https://trusted.example", "user-1",
                                             NULL, "api:read", &tokens),
              OAK_ERR_HTTP, "HTTP error");
    CHECK(tokens == NULL);
    CHECK(strstr(oak_last_error_message(), "MIGHAgEA") == NULL);
    CHECK(strstr(oak_last_error_message(), "eyJ") == NULL);
    CHECK_ERR(oak_provider_jwt_bearer(p, "not-a-jwt", NULL, &tokens), OAK_ERR_INVALID_ARGUMENT, "compact JWS");
    CHECK(strstr(oak_last_error_message(), "not-a-jwt") == NULL);
    CHECK_ERR(oak_provider_jwt_bearer_signed(p, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0S2V5Qnl0ZXM=\n-----END PRIVATE KEY-----",
                                             NULL, NULL, "i", "s", NULL, NULL, &tokens),
              OAK_ERR_INVALID_ARGUMENT, "private key");
    CHECK(strstr(oak_last_error_message(), "c2VjcmV0S2V5") == NULL);
    oak_provider_free(p);
    p = NULL;

    /* FAPI 2.0 refuses a client secret, naming the rule */
    const char *fapi_names[] = {"OAUTHKIT_PROVIDER", "OAUTHKIT_CLIENT_ID", "OAUTHKIT_ISSUER_URL",
                                "OAUTHKIT_CLIENT_SECRET", "OAUTHKIT_SECURITY_PROFILE"};
    const char *fapi_values[] = {"oidc", "svc", "https://bank.example", "s3cret-value", "fapi2"};
    CHECK_ERR(oak_provider_from_settings(fapi_names, fapi_values, 5, &p), OAK_ERR_INVALID_ARGUMENT, "client-auth");
    CHECK(strstr(oak_last_error_message(), "FAPI 2.0") != NULL);
    CHECK(p == NULL);
    /* unknown values are named */
    fapi_values[4] = "fapi9";
    CHECK_ERR(oak_provider_from_settings(fapi_names, fapi_values, 5, &p), OAK_ERR_INVALID_ARGUMENT, "fapi9");
    const char *par_names[] = {"OAUTHKIT_PROVIDER", "OAUTHKIT_CLIENT_ID", "OAUTHKIT_ISSUER_URL", "OAUTHKIT_PAR"};
    const char *par_values[] = {"oidc", "svc", "https://idp.example", "sometimes"};
    CHECK_ERR(oak_provider_from_settings(par_names, par_values, 4, &p), OAK_ERR_INVALID_ARGUMENT, "OAUTHKIT_PAR");
}

static void test_provider_presets(void) {
    OakProvider *p = NULL;
    char *name = NULL;
    CHECK_OK(oak_provider_google("client-1.apps.googleusercontent.com", NULL, NULL, &p));
    CHECK_OK(oak_provider_name(p, &name));
    CHECK_STR(name, "google");
    oak_string_free(name);
    oak_provider_free(p);
    CHECK_OK(oak_provider_microsoft("organizations", "client-1", NULL, "openid offline_access", &p));
    CHECK_OK(oak_provider_name(p, &name));
    CHECK_STR(name, "microsoft");
    oak_string_free(name);
    oak_provider_free(p);
    CHECK_OK(oak_provider_github("client-1", "secret-1", NULL, &p));
    CHECK_OK(oak_provider_name(p, &name));
    CHECK_STR(name, "github");
    oak_string_free(name);
    CHECK_OK(oak_provider_issuer(p, &name));
    CHECK(name == NULL); /* GitHub has no issuer */
    oak_provider_free(p);
    p = NULL;

    /* Keycloak, Auth0, Okta, GitLab: the issuer each builds (no network) */
#define PRESET_ISSUER(call, want_name, want_issuer)                                                              \
    do {                                                                                                         \
        CHECK_OK(call);                                                                                          \
        CHECK_OK(oak_provider_name(p, &name));                                                                   \
        CHECK_STR(name, want_name);                                                                              \
        oak_string_free(name);                                                                                   \
        CHECK_OK(oak_provider_issuer(p, &name));                                                                 \
        CHECK_STR(name, want_issuer);                                                                            \
        oak_string_free(name);                                                                                   \
        oak_provider_free(p);                                                                                    \
        p = NULL;                                                                                                \
    } while (0)
    PRESET_ISSUER(oak_provider_keycloak("https://sso.example/", "acme", "cli", NULL, NULL, false, &p), "keycloak",
                  "https://sso.example/realms/acme");
    PRESET_ISSUER(oak_provider_keycloak("https://sso.example/auth", "acme", "cli", "s", "openid", true, &p),
                  "keycloak", "https://sso.example/auth/realms/acme");
    PRESET_ISSUER(oak_provider_auth0("acme.eu.auth0.com", "app", NULL, NULL, "https://api.acme", &p), "auth0",
                  "https://acme.eu.auth0.com/");
    PRESET_ISSUER(oak_provider_okta("https://acme.okta.com", NULL, "0oa1", NULL, NULL, &p), "okta",
                  "https://acme.okta.com/oauth2/default");
    PRESET_ISSUER(oak_provider_okta("https://acme.okta.com/", "aus9", "0oa1", NULL, NULL, &p), "okta",
                  "https://acme.okta.com/oauth2/aus9");
    PRESET_ISSUER(oak_provider_okta("https://acme.okta.com", "org", "0oa1", NULL, NULL, &p), "okta",
                  "https://acme.okta.com");
    PRESET_ISSUER(oak_provider_gitlab(NULL, "app", NULL, NULL, &p), "gitlab", "https://gitlab.com");
    PRESET_ISSUER(oak_provider_gitlab("https://git.example/gitlab/", "app", NULL, NULL, &p), "gitlab",
                  "https://git.example/gitlab");
#undef PRESET_ISSUER
    /* bad arguments: typed errors naming the argument, nothing made */
    CHECK_ERR(oak_provider_keycloak("https://sso.example", "", "cli", NULL, NULL, false, &p),
              OAK_ERR_INVALID_ARGUMENT, "realm");
    CHECK(p == NULL);
    CHECK_ERR(oak_provider_keycloak("https://sso.example", "a/b", "cli", NULL, NULL, false, &p),
              OAK_ERR_INVALID_ARGUMENT, "Keycloak realm");
    CHECK_ERR(oak_provider_keycloak("sso.example", "acme", "cli", NULL, NULL, false, &p),
              OAK_ERR_INVALID_ARGUMENT, "Keycloak base URL");
    CHECK_ERR(oak_provider_keycloak(NULL, "acme", "cli", NULL, NULL, false, &p), OAK_ERR_INVALID_ARGUMENT,
              "base_url");
    CHECK_ERR(oak_provider_auth0("acme.auth0.com/path", "app", NULL, NULL, NULL, &p), OAK_ERR_INVALID_ARGUMENT,
              "Auth0 domain");
    CHECK_ERR(oak_provider_okta("http://acme.okta.com", NULL, "0oa1", NULL, NULL, &p), OAK_ERR_INVALID_ARGUMENT,
              "Okta org URL");
    CHECK_ERR(oak_provider_okta("https://acme.okta.com", "a b", "0oa1", NULL, NULL, &p), OAK_ERR_INVALID_ARGUMENT,
              "Okta authorization server");
    CHECK_ERR(oak_provider_gitlab("ftp://git.example", "app", NULL, NULL, &p), OAK_ERR_INVALID_ARGUMENT,
              "GitLab base URL");
    CHECK(p == NULL);

    setenv("OAUTHKIT_PROVIDER", "github", 1);
    setenv("OAUTHKIT_CLIENT_ID", "env-client", 1);
    CHECK_OK(oak_provider_from_env(&p));
    CHECK_OK(oak_provider_name(p, &name));
    CHECK_STR(name, "github");
    oak_string_free(name);
    oak_provider_free(p);
    p = NULL;
    unsetenv("OAUTHKIT_CLIENT_ID");
    CHECK_ERR(oak_provider_from_env(&p), OAK_ERR_INVALID_ARGUMENT, "OAUTHKIT_CLIENT_ID");
    CHECK(p == NULL);
    unsetenv("OAUTHKIT_PROVIDER");
}

/* ---- every out-parameter is reset before any argument is checked ----
 *
 * One OUT_CASE per header function with out-parameters (the Rust test
 * tests/capi/out_params.rs fails when one is missing): the function is
 * called with its first input NULL and poisoned out-parameters, once with
 * all of them given and once with each in turn NULL. Every out-parameter
 * that was given must come back NULL / 0 / false. Arguments of an
 * OUT_CASE: name, whether it has a pointer input (passed NULL), the sizes
 * of its out-parameters, the call. */
struct slots {
    uint64_t buf[4];
    int null; /* index of the out-parameter passed as NULL, or -1 */
};
static void *slot(struct slots *s, int i) { return s->null == i ? NULL : &s->buf[i]; }
#define P(i, T) ((T *)slot(s, (i)))
#define SIZES(...) {__VA_ARGS__}
#define PTR sizeof(void *)

#define OUT_CASES(OUT_CASE)                                                                                    \
    OUT_CASE(oak_store_open, 1, SIZES(PTR), oak_store_open(NULL, P(0, OakStore *)))                              \
    OUT_CASE(oak_store_open_default, 0, SIZES(PTR), oak_store_open_default(P(0, OakStore *)))                    \
    OUT_CASE(oak_store_load, 1, SIZES(PTR), oak_store_load(NULL, NULL, P(0, OakTokenSet *)))                     \
    OUT_CASE(oak_store_delete, 1, SIZES(sizeof(bool)), oak_store_delete(NULL, NULL, P(0, bool)))                 \
    OUT_CASE(oak_store_exists, 1, SIZES(sizeof(bool)), oak_store_exists(NULL, NULL, P(0, bool)))                 \
    OUT_CASE(oak_store_list, 1, SIZES(PTR, sizeof(size_t)), oak_store_list(NULL, P(0, char **), P(1, size_t)))   \
    OUT_CASE(oak_store_namespaces, 1, SIZES(PTR, sizeof(size_t)),                                                \
             oak_store_namespaces(NULL, P(0, char **), P(1, size_t)))                                            \
    OUT_CASE(oak_store_namespace, 1, SIZES(PTR), oak_store_namespace(NULL, P(0, char *)))                        \
    OUT_CASE(oak_store_backend, 1, SIZES(PTR), oak_store_backend(NULL, P(0, char *)))                            \
    OUT_CASE(oak_store_from_callbacks, 1, SIZES(PTR), oak_store_from_callbacks(NULL, NULL, P(0, OakStore *)))     \
    OUT_CASE(oak_store_callbacks_in_namespace, 1, SIZES(PTR),                                                   \
             oak_store_callbacks_in_namespace(NULL, NULL, P(0, OakStore *)))                                     \
    OUT_CASE(oak_store_validating, 1, SIZES(PTR), oak_store_validating(NULL, 0, 0, NULL, P(0, OakStore *)))       \
    OUT_CASE(oak_provider_oauth2, 1, SIZES(PTR),                                                                \
             oak_provider_oauth2(NULL, NULL, NULL, NULL, NULL, NULL, NULL, P(0, OakProvider *)))                 \
    OUT_CASE(oak_background_refresh_start, 1, SIZES(PTR),                                                       \
             oak_background_refresh_start(NULL, NULL, 0, 1, P(0, OakBackgroundRefresh *)))                       \
    OUT_CASE(oak_background_refresh_errors, 1, SIZES(PTR, sizeof(size_t)),                                       \
             oak_background_refresh_errors(NULL, P(0, char **), P(1, size_t)))                                   \
    OUT_CASE(oak_server_store_open, 1, SIZES(PTR), oak_server_store_open(NULL, P(0, OakServerStore *)))           \
    OUT_CASE(oak_server_store_fetch_client, 1, SIZES(PTR), oak_server_store_fetch_client(NULL, NULL, P(0, char *))) \
    OUT_CASE(oak_server_store_delete_client, 1, SIZES(sizeof(bool)),                                             \
             oak_server_store_delete_client(NULL, NULL, P(0, bool)))                                              \
    OUT_CASE(oak_server_store_take_code, 1, SIZES(PTR), oak_server_store_take_code(NULL, NULL, P(0, char *)))     \
    OUT_CASE(oak_server_store_fetch_token, 1, SIZES(PTR), oak_server_store_fetch_token(NULL, NULL, P(0, char *))) \
    OUT_CASE(oak_server_store_fetch_by_refresh_token, 1, SIZES(PTR),                                             \
             oak_server_store_fetch_by_refresh_token(NULL, NULL, P(0, char *)))                                   \
    OUT_CASE(oak_server_store_delete_refresh_token, 1, SIZES(sizeof(bool)),                                      \
             oak_server_store_delete_refresh_token(NULL, NULL, P(0, bool)))                                       \
    OUT_CASE(oak_deploy_new, 1, SIZES(PTR), oak_deploy_new(NULL, NULL, NULL, NULL, 0, P(0, OakDeploy *)))         \
    OUT_CASE(oak_deploy_new_shared, 1, SIZES(PTR),                                                                \
             oak_deploy_new_shared(NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, 0, P(0, OakDeploy *)))               \
    OUT_CASE(oak_claims_from_json, 1, SIZES(PTR), oak_claims_from_json(NULL, P(0, OakClaims *)))                  \
    OUT_CASE(oak_token_set_id_token_claims, 1, SIZES(PTR),                                                        \
             oak_token_set_id_token_claims(NULL, P(0, OakClaims *)))                                              \
    OUT_CASE(oak_claims_string, 1, SIZES(PTR), oak_claims_string(NULL, NULL, P(0, char *)))                       \
    OUT_CASE(oak_claims_bool, 1, SIZES(sizeof(bool), sizeof(bool)),                                               \
             oak_claims_bool(NULL, NULL, P(0, bool), P(1, bool)))                                                 \
    OUT_CASE(oak_claims_time, 1, SIZES(sizeof(bool), sizeof(int64_t)),                                            \
             oak_claims_time(NULL, NULL, P(0, bool), P(1, int64_t)))                                              \
    OUT_CASE(oak_claims_json, 1, SIZES(PTR), oak_claims_json(NULL, NULL, P(0, char *)))                           \
    OUT_CASE(oak_claims_display_name, 1, SIZES(PTR), oak_claims_display_name(NULL, P(0, char *)))                 \
    OUT_CASE(oak_claims_subject_id, 1, SIZES(PTR), oak_claims_subject_id(NULL, P(0, char *)))                     \
    OUT_CASE(oak_deploy_redirect_uri, 1, SIZES(PTR), oak_deploy_redirect_uri(NULL, P(0, char *)))                \
    OUT_CASE(oak_deploy_handle, 1, SIZES(PTR),                                                                  \
             oak_deploy_handle(NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, P(0, OakDeployResponse *)))          \
    OUT_CASE(oak_deploy_session_key, 1, SIZES(PTR), oak_deploy_session_key(NULL, NULL, P(0, char *)))            \
    OUT_CASE(oak_deploy_response_status, 1, SIZES(sizeof(uint32_t)),                                            \
             oak_deploy_response_status(NULL, P(0, uint32_t)))                                                   \
    OUT_CASE(oak_deploy_response_headers, 1, SIZES(PTR, PTR, sizeof(size_t)),                                    \
             oak_deploy_response_headers(NULL, P(0, char **), P(1, char **), P(2, size_t)))                      \
    OUT_CASE(oak_deploy_response_body, 1, SIZES(PTR), oak_deploy_response_body(NULL, P(0, char *)))              \
    OUT_CASE(oak_token_set_new, 1, SIZES(PTR), oak_token_set_new(NULL, P(0, OakTokenSet *)))                     \
    OUT_CASE(oak_token_set_from_json, 1, SIZES(PTR), oak_token_set_from_json(NULL, P(0, OakTokenSet *)))         \
    OUT_CASE(oak_token_set_to_json, 1, SIZES(PTR), oak_token_set_to_json(NULL, P(0, char *)))                    \
    OUT_CASE(oak_token_set_clone, 1, SIZES(PTR), oak_token_set_clone(NULL, P(0, OakTokenSet *)))                 \
    OUT_CASE(oak_token_set_access_token, 1, SIZES(PTR), oak_token_set_access_token(NULL, P(0, char *)))          \
    OUT_CASE(oak_token_set_refresh_token, 1, SIZES(PTR), oak_token_set_refresh_token(NULL, P(0, char *)))        \
    OUT_CASE(oak_token_set_id_token, 1, SIZES(PTR), oak_token_set_id_token(NULL, P(0, char *)))                  \
    OUT_CASE(oak_token_set_token_type, 1, SIZES(PTR), oak_token_set_token_type(NULL, P(0, char *)))              \
    OUT_CASE(oak_token_set_scope, 1, SIZES(PTR), oak_token_set_scope(NULL, P(0, char *)))                        \
    OUT_CASE(oak_token_set_resource_server, 1, SIZES(PTR), oak_token_set_resource_server(NULL, P(0, char *)))    \
    OUT_CASE(oak_token_set_identity_id, 1, SIZES(PTR), oak_token_set_identity_id(NULL, P(0, char *)))            \
    OUT_CASE(oak_token_set_expires_at, 1, SIZES(sizeof(int64_t), sizeof(bool)),                                  \
             oak_token_set_expires_at(NULL, P(0, int64_t), P(1, bool)))                                          \
    OUT_CASE(oak_token_set_issued_at, 1, SIZES(sizeof(int64_t)), oak_token_set_issued_at(NULL, P(0, int64_t)))   \
    OUT_CASE(oak_token_set_is_expired, 1, SIZES(sizeof(bool)), oak_token_set_is_expired(NULL, 0, P(0, bool)))    \
    OUT_CASE(oak_token_set_has_scope, 1, SIZES(sizeof(bool)), oak_token_set_has_scope(NULL, NULL, P(0, bool)))   \
    OUT_CASE(oak_provider_oidc, 1, SIZES(PTR), oak_provider_oidc(NULL, NULL, NULL, NULL, P(0, OakProvider *)))   \
    OUT_CASE(oak_provider_google, 1, SIZES(PTR), oak_provider_google(NULL, NULL, NULL, P(0, OakProvider *)))     \
    OUT_CASE(oak_provider_microsoft, 1, SIZES(PTR),                                                              \
             oak_provider_microsoft(NULL, NULL, NULL, NULL, P(0, OakProvider *)))                                \
    OUT_CASE(oak_provider_github, 1, SIZES(PTR), oak_provider_github(NULL, NULL, NULL, P(0, OakProvider *)))     \
    OUT_CASE(oak_provider_from_env, 0, SIZES(PTR), oak_provider_from_env(P(0, OakProvider *)))                   \
    OUT_CASE(oak_provider_name, 1, SIZES(PTR), oak_provider_name(NULL, P(0, char *)))                            \
    OUT_CASE(oak_provider_issuer, 1, SIZES(PTR), oak_provider_issuer(NULL, P(0, char *)))                        \
    OUT_CASE(oak_provider_keycloak, 1, SIZES(PTR),                                                              \
             oak_provider_keycloak(NULL, NULL, NULL, NULL, NULL, false, P(0, OakProvider *)))                    \
    OUT_CASE(oak_provider_auth0, 1, SIZES(PTR),                                                                 \
             oak_provider_auth0(NULL, NULL, NULL, NULL, NULL, P(0, OakProvider *)))                              \
    OUT_CASE(oak_provider_okta, 1, SIZES(PTR), oak_provider_okta(NULL, NULL, NULL, NULL, NULL, P(0, OakProvider *))) \
    OUT_CASE(oak_provider_gitlab, 1, SIZES(PTR), oak_provider_gitlab(NULL, NULL, NULL, NULL, P(0, OakProvider *))) \
    OUT_CASE(oak_provider_revoke, 1, SIZES(sizeof(bool)), oak_provider_revoke(NULL, NULL, 0, P(0, bool)))        \
    OUT_CASE(oak_provider_userinfo, 1, SIZES(PTR), oak_provider_userinfo(NULL, NULL, P(0, char *)))              \
    OUT_CASE(oak_provider_jwt_bearer, 1, SIZES(PTR),                                                           \
             oak_provider_jwt_bearer(NULL, NULL, NULL, P(0, OakTokenSet *)))                                     \
    OUT_CASE(oak_provider_jwt_bearer_signed, 1, SIZES(PTR),                                                    \
             oak_provider_jwt_bearer_signed(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, P(0, OakTokenSet *))) \
    OUT_CASE(oak_flow_new, 1, SIZES(PTR), oak_flow_new(NULL, NULL, NULL, P(0, OakFlow *)))                       \
    OUT_CASE(oak_flow_run_native, 1, SIZES(PTR, PTR, PTR),                                                       \
             oak_flow_run_native(NULL, NULL, NULL, P(0, OakTokenSet *), P(1, char *), P(2, char *)))             \
    OUT_CASE(oak_flow_state, 1, SIZES(sizeof(OakFlowState)), oak_flow_state(NULL, P(0, OakFlowState)))           \
    OUT_CASE(oak_session_new, 1, SIZES(PTR), oak_session_new(NULL, NULL, NULL, NULL, P(0, OakSession *)))        \
    OUT_CASE(oak_session_access_token, 1, SIZES(PTR), oak_session_access_token(NULL, NULL, P(0, char *)))        \
    OUT_CASE(oak_session_tokens, 1, SIZES(PTR), oak_session_tokens(NULL, NULL, P(0, OakTokenSet *)))             \
    OUT_CASE(oak_session_refresh, 1, SIZES(PTR), oak_session_refresh(NULL, NULL, P(0, OakTokenSet *)))           \
    OUT_CASE(oak_session_logout, 1, SIZES(sizeof(bool)), oak_session_logout(NULL, NULL, P(0, bool)))             \
    OUT_CASE(oak_session_client_credentials, 1, SIZES(PTR, PTR),                                                \
             oak_session_client_credentials(NULL, NULL, NULL, NULL, P(0, OakTokenSet *), P(1, char *)))          \
    OUT_CASE(oak_device_flow_new, 1, SIZES(PTR), oak_device_flow_new(NULL, NULL, P(0, OakDeviceFlow *)))         \
    OUT_CASE(oak_device_flow_run, 1, SIZES(PTR, PTR),                                                          \
             oak_device_flow_run(NULL, NULL, NULL, P(0, OakTokenSet *), P(1, char *)))                           \
    OUT_CASE(oak_logout, 1, SIZES(sizeof(OakLogoutResult)),                                                    \
             oak_logout(NULL, NULL, NULL, 0, NULL, NULL, P(0, OakLogoutResult)))                                 \
    OUT_CASE(oak_logout_url, 1, SIZES(PTR, sizeof(OakLogoutResult)),                                           \
             oak_logout_url(NULL, NULL, NULL, NULL, P(0, char *), P(1, OakLogoutResult)))                        \
    OUT_CASE(oak_token_exchange, 1, SIZES(PTR, PTR),                                                           \
             oak_token_exchange(NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, P(0, OakTokenSet *),   \
                                P(1, char *)))                                                                   \
    OUT_CASE(oak_provider_from_settings, 1, SIZES(PTR),                                                        \
             oak_provider_from_settings(NULL, NULL, 1, P(0, OakProvider *)))                                     \
    OUT_CASE(oak_dpop_headers, 1, SIZES(PTR, PTR),                                                             \
             oak_dpop_headers(NULL, NULL, NULL, NULL, P(0, char *), P(1, char *)))                               \
    OUT_CASE(oak_dpop_record_nonce, 1, SIZES(sizeof(bool)),                                                    \
             oak_dpop_record_nonce(NULL, NULL, 0, NULL, NULL, P(0, bool)))                                       \
    OUT_CASE(oak_provider_dpop_algorithm, 1, SIZES(PTR),                                                       \
             oak_provider_dpop_algorithm(NULL, P(0, char *)))                                                    \
    OUT_CASE(oak_dev_provider_start, 0, SIZES(PTR), oak_dev_provider_start(true, 0, false, P(0, OakDevProvider *))) \
    OUT_CASE(oak_dev_provider_issuer, 1, SIZES(PTR), oak_dev_provider_issuer(NULL, P(0, char *)))                \
    OUT_CASE(oak_dev_provider_client_id, 1, SIZES(PTR), oak_dev_provider_client_id(NULL, P(0, char *)))          \
    OUT_CASE(oak_dev_provider_token_requests, 1, SIZES(sizeof(uint64_t)),                                        \
             oak_dev_provider_token_requests(NULL, NULL, P(0, uint64_t)))                                        \
    OUT_CASE(oak_dev_provider_is_token_active, 1, SIZES(sizeof(bool)),                                          \
             oak_dev_provider_is_token_active(NULL, NULL, P(0, bool)))

#define DEFINE_CALL(fn, null_input, sizes, call) \
    static OakStatus out_case_##fn(struct slots *s) { return call; }
OUT_CASES(DEFINE_CALL)

struct out_case {
    const char *name;
    int null_input;
    size_t sizes[4]; /* 0 after the last out-parameter */
    OakStatus (*call)(struct slots *s);
};
#define TABLE_ENTRY(fn, null_input, sizes, call) {#fn, null_input, sizes, out_case_##fn},
static const struct out_case out_cases[] = {OUT_CASES(TABLE_ENTRY)};

static void test_out_params_reset_on_failure(void) {
    static const unsigned char zeros[8];
    int calls = 0;
    for (size_t c = 0; c < sizeof out_cases / sizeof out_cases[0]; c++) {
        const struct out_case *oc = &out_cases[c];
        int n = 0;
        while (n < 4 && oc->sizes[n] != 0) {
            n++;
        }
        /* Without a pointer input, only a NULL out-parameter makes it fail. */
        for (int null = oc->null_input ? -1 : 0; null < n; null++) {
            struct slots s;
            memset(s.buf, 0xA5, sizeof s.buf);
            s.null = null;
            OakStatus st = oc->call(&s);
            calls++;
            if (st != OAK_ERR_INVALID_ARGUMENT || strstr(oak_last_error_message(), "is NULL") == NULL) {
                oak_failures++;
                fprintf(stderr, "  FAIL %s (NULL out %d): %s \"%s\", expected OAK_ERR_INVALID_ARGUMENT\n", oc->name,
                        null, oak_status_name(st), oak_last_error_message());
            }
            for (int i = 0; i < n; i++) {
                oak_checks++;
                if (i != null && memcmp(&s.buf[i], zeros, oc->sizes[i]) != 0) {
                    oak_failures++;
                    fprintf(stderr, "  FAIL %s: out-parameter %d left stale (NULL out %d)\n", oc->name, i, null);
                }
            }
        }
    }
    CHECK(calls > 50);
}

int main(void) {
    char template[] = "/tmp/oak-c-test-XXXXXX";
    tmpdir = mkdtemp(template);
    if (!tmpdir) {
        perror("mkdtemp");
        return 2;
    }
    RUN(test_versions);
    RUN(test_file_store_round_trip);
    RUN(test_encrypted_store_spec);
    RUN(test_missing_key_is_null);
    RUN(test_null_arguments);
    RUN(test_non_utf8_arguments);
    RUN(test_bad_input_statuses);
    RUN(test_json_and_clone);
    RUN(test_threads);
    RUN(test_dev_provider);
    RUN(test_provider_presets);
    RUN(test_par_private_key_jwt_and_profile);
    RUN(test_sign_in_refresh_and_logout);
    RUN(test_token_exchange);
    RUN(test_provider_revoke);
    RUN(test_dpop);
    RUN(test_flow_cancel_deny_and_failures);
    RUN(test_out_params_reset_on_failure);
    RUN(test_log_callback);
#ifdef OAK_DELIBERATE_LEAK
    /* Negative control for scripts/test-ffi.sh: valgrind and ASan must
     * catch this forgotten free, proving they would catch a real one. */
    {
        OakTokenSet *leaked = NULL;
        CHECK_OK(oak_token_set_new("leaked", &leaked));
        leaked = NULL;
    }
#endif

    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return test_summary();
}
