/*
 * A C program that uses the library and exits cleanly must pass a C user's
 * strict leak check with no suppressions at all (issue 21, item 7):
 *
 *   valgrind --leak-check=full --errors-for-leak-kinds=definite,possible \
 *            --error-exitcode=1 ./test_capi_strict_exit stores
 *
 * `stores`: opens every store kind of the default C library (memory, the
 * JSON file, the JSON file encrypted with a key from the environment),
 * saves, loads and deletes through each, frees them and exits.
 * `sign-in`: signs in against the development provider with a file store,
 * refreshes, logs out, frees everything and exits.
 *
 * Process-wide state the library keeps (the file locks' registries, the
 * helpers blocked on a lock, the last error, the log forwarder) must be
 * freed or stay reachable at exit: "possibly lost" is an error here.
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

static char tmpdir[4096];

static void use_store(const char *spec) {
    OakStore *store = NULL;
    OakTokenSet *tokens = NULL, *loaded = NULL;
    bool deleted = false;
    CHECK_OK(oak_store_open(spec, &store));
    CHECK_OK(oak_token_set_new("at-strict-exit", &tokens));
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "user-%d", i);
        CHECK_OK(oak_store_save(store, key, tokens));
        CHECK_OK(oak_store_load(store, key, &loaded));
        CHECK(loaded != NULL);
        oak_token_set_free(loaded);
        loaded = NULL;
    }
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "user-%d", i);
        CHECK_OK(oak_store_delete(store, key, &deleted));
        CHECK(deleted);
    }
    /* A failed call leaves a message in this thread's last-error storage. */
    CHECK(oak_store_load(store, "nobody", &loaded) != OAK_OK || loaded == NULL);
    oak_token_set_free(loaded);
    oak_token_set_free(tokens);
    oak_store_free(store);
}

static void *use_store_thread(void *spec) {
    use_store(spec);
    return NULL;
}

static void on_log(int32_t level, const char *target, const char *message, void *user_data) {
    (void)level;
    (void)target;
    (void)message;
    *(int *)user_data += 1;
}

static int log_records;

static void stores(void) {
    char spec[8192];
    /* The log forwarder is process-wide state too; it stays installed. */
    CHECK_OK(oak_set_log_callback(OAK_LOG_DEBUG, on_log, &log_records));
    use_store("memory:");
    snprintf(spec, sizeof spec, "file:%s/tokens.json", tmpdir);
    use_store(spec);
    /* Several threads at once on one file (a namespace each): the lock
     * had a line of waiters. */
    pthread_t threads[4];
    char specs[4][8192];
    for (int i = 0; i < 4; i++) {
        snprintf(specs[i], sizeof specs[i], "file:%s/tokens.json?namespace=thread-%d", tmpdir, i);
        CHECK(pthread_create(&threads[i], NULL, use_store_thread, specs[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
    }
    setenv("OAK_STRICT_EXIT_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1);
    snprintf(spec, sizeof spec, "file:%s/sealed.json?encrypt=env:OAK_STRICT_EXIT_KEY", tmpdir);
    use_store(spec);
    /* An error message is kept for this thread until it exits. */
    OakStore *none = NULL;
    CHECK(oak_store_open("floppy:/nowhere", &none) != OAK_OK);
    CHECK(strlen(oak_last_error_message()) > 0);
}

static void *approve(void *url) {
    oak_dev_browser_approve(url);
    return NULL;
}

struct browser {
    pthread_t thread;
    int started;
    char url[4096];
};

static OakStatus open_browser(const char *url, void *user_data) {
    struct browser *b = user_data;
    snprintf(b->url, sizeof b->url, "%s", url);
    b->started = pthread_create(&b->thread, NULL, approve, b->url) == 0;
    return b->started ? OAK_OK : OAK_ERR_INTERNAL;
}

static void sign_in(void) {
    OakDevProvider *idp = NULL;
    OakProvider *provider = NULL;
    OakStore *store = NULL;
    OakFlow *flow = NULL;
    OakSession *session = NULL;
    OakTokenSet *tokens = NULL;
    char *issuer = NULL, *client_id = NULL, *key = NULL, *at = NULL;
    struct browser browser = {0};
    char spec[8192];
    bool had = false;

    CHECK_OK(oak_dev_provider_start(true, 0, false, &idp));
    if (idp == NULL) {
        fprintf(stderr, "  FAIL the library lacks the dev provider: build it with FEATURES=dev-provider,capi-server\n");
        return;
    }
    CHECK_OK(oak_dev_provider_issuer(idp, &issuer));
    CHECK_OK(oak_dev_provider_client_id(idp, &client_id));
    CHECK_OK(oak_provider_oidc(issuer, client_id, NULL, "openid email offline_access", &provider));
    snprintf(spec, sizeof spec, "file:%s/signed-in.json", tmpdir);
    CHECK_OK(oak_store_open(spec, &store));
    CHECK_OK(oak_flow_new(provider, store, NULL, &flow));
    CHECK_OK(oak_flow_set_timeout(flow, 30));
    CHECK_OK(oak_flow_run_native(flow, open_browser, &browser, &tokens, &key, NULL));
    if (browser.started) {
        pthread_join(browser.thread, NULL);
    }
    CHECK_STR(key, "dev-user-1");
    CHECK_OK(oak_session_new(provider, store, NULL, NULL, &session));
    CHECK_OK(oak_session_access_token(session, "dev-user-1", &at));
    CHECK_OK(oak_session_logout(session, "dev-user-1", &had));
    CHECK(had);
    oak_string_free(at);
    oak_string_free(key);
    oak_string_free(issuer);
    oak_string_free(client_id);
    oak_token_set_free(tokens);
    oak_session_free(session);
    oak_flow_free(flow);
    oak_store_free(store);
    oak_provider_free(provider);
    oak_dev_provider_free(idp);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "stores";
    snprintf(tmpdir, sizeof tmpdir, "%s/oak-strict-exit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    if (strcmp(mode, "stores") == 0) {
        RUN(stores);
    } else if (strcmp(mode, "sign-in") == 0) {
        RUN(sign_in);
    } else {
        fprintf(stderr, "usage: %s stores|sign-in\n", argv[0]);
        return 2;
    }
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return test_summary();
}
