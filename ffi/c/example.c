/*
 * oauthkit from C: sign in against the development OpenID provider with
 * the native loopback flow, keep the tokens in a file store, get a fresh
 * access token from the session manager, sign out.
 *
 *   example STORE_FILE
 *
 * A real application would use oak_provider_google() (or _microsoft,
 * _github, _oidc, _from_env) and pass NULL as the browser callback to open
 * the system browser. Here the "browser" is the library's headless stand-in,
 * run on its own thread as a real browser would be its own process.
 * Every string and handle the library returns is freed.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <oauthkit.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the failure of a call and returns its status. */
static OakStatus report(const char *what, OakStatus status) {
    if (status != OAK_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, oak_status_name(status), oak_last_error_message());
    }
    return status;
}

#define TRY(call)                              \
    do {                                       \
        if (report(#call, (call)) != OAK_OK) { \
            goto done;                         \
        }                                      \
    } while (0)

struct browser {
    pthread_t thread;
    int started;
    char *url;
};

static void *browse(void *arg) {
    struct browser *b = arg;
    report("oak_dev_browser_approve", oak_dev_browser_approve(b->url));
    return NULL;
}

/* OakOpenBrowserFn: start the "browser" and return at once. */
static OakStatus open_browser(const char *url, void *user_data) {
    struct browser *b = user_data;
    printf("open in browser: %.60s...\n", url);
    b->url = strdup(url);
    if (b->url == NULL || pthread_create(&b->thread, NULL, browse, b) != 0) {
        return OAK_ERR_INTERNAL;
    }
    b->started = 1;
    return OAK_OK;
}

/* OakRefreshFn: told of each refreshed token set. */
static void on_refresh(const char *key, const OakTokenSet *tokens, void *user_data) {
    int64_t expires_at = 0;
    oak_token_set_expires_at(tokens, &expires_at, NULL);
    printf("refreshed tokens of %s (expire at %lld)\n", key, (long long)expires_at);
    ++*(int *)user_data;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s STORE_FILE\n", argv[0]);
        return 2;
    }
    char spec[4096];
    snprintf(spec, sizeof spec, "file:%s?namespace=example", argv[1]);

    int rc = 1, refreshes = 0;
    struct browser browser = {0};
    OakDevProvider *idp = NULL;
    OakProvider *provider = NULL;
    OakStore *store = NULL;
    OakFlow *flow = NULL;
    OakSession *session = NULL;
    OakTokenSet *tokens = NULL, *stored = NULL;
    char *issuer = NULL, *client_id = NULL, *key = NULL, *user_info = NULL, *access = NULL;
    bool had_tokens = false;

    printf("oauthkit %s (ABI %u, header ABI %d)\n", oak_version(), oak_abi_version(), OAK_ABI_VERSION);
    TRY(oak_dev_provider_start(false, 0, false, &idp));
    TRY(oak_dev_provider_issuer(idp, &issuer));
    TRY(oak_dev_provider_client_id(idp, &client_id));
    printf("development provider at %s\n", issuer);

    TRY(oak_provider_oidc(issuer, client_id, NULL, "openid email profile offline_access", &provider));
    TRY(oak_store_open(spec, &store));
    TRY(oak_flow_new(provider, store, NULL, &flow));
    TRY(oak_flow_set_timeout(flow, 60));
    OakStatus signed_in = oak_flow_run_native(flow, open_browser, &browser, &tokens, &key, &user_info);
    if (browser.started) {
        pthread_join(browser.thread, NULL);
    }
    TRY(signed_in);
    printf("signed in as %s; userinfo %s\n", key, user_info ? user_info : "(none)");

    /* The tokens are in the file store now. */
    TRY(oak_store_load(store, key, &stored));
    printf("stored under %s: %s\n", key, stored ? "yes" : "no");

    TRY(oak_session_new(provider, store, on_refresh, &refreshes, &session));
    TRY(oak_session_access_token(session, key, &access));
    printf("fresh access token: %zu bytes\n", strlen(access));
    TRY(oak_session_refresh(session, key, NULL));
    TRY(oak_session_logout(session, key, &had_tokens));
    printf("signed out (had tokens: %s, refreshes seen: %d)\n", had_tokens ? "yes" : "no", refreshes);
    rc = stored != NULL && had_tokens && refreshes == 1 ? 0 : 1;

done:
    oak_string_free(access); /* zeroes the token before freeing */
    oak_string_free(user_info);
    oak_string_free(key);
    oak_string_free(client_id);
    oak_string_free(issuer);
    free(browser.url);
    oak_token_set_free(stored);
    oak_token_set_free(tokens);
    oak_session_free(session);
    oak_flow_free(flow);
    oak_store_free(store);
    oak_provider_free(provider);
    oak_dev_provider_free(idp);
    return rc;
}
