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
        fprintf(stderr, "  FAIL the library lacks the dev provider: build it with FEATURES=dev-provider "
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

int main(void) {
    char template[] = "/tmp/oak-c-test-XXXXXX";
    tmpdir = mkdtemp(template);
    if (!tmpdir) {
        perror("mkdtemp");
        return 2;
    }
    RUN(test_versions);
    RUN(test_file_store_round_trip);
    RUN(test_missing_key_is_null);
    RUN(test_null_arguments);
    RUN(test_non_utf8_arguments);
    RUN(test_bad_input_statuses);
    RUN(test_json_and_clone);
    RUN(test_threads);
    RUN(test_dev_provider);
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
