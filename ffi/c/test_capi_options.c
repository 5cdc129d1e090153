/*
 * The C entry points beyond the basics: callback server options (fixed
 * port, localhost, path), paste mode (a pipe), the plain OAuth 2.0
 * provider, timeouts through settings, the validating store, background
 * refresh. Against the development provider where a sign-in is needed.
 *
 * Exit status 0 when every check passed. Run by scripts/test-ffi.sh under
 * valgrind and AddressSanitizer.
 */
#define _GNU_SOURCE
#include <oauthkit.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.h"

/* GETs a loopback http URL without following the redirect; copies the
 * Location header to `out`. */
static int location_of(const char *url, char *out, size_t size) {
    int port = 0;
    char path[2048];
    if (sscanf(url, "http://127.0.0.1:%d%2047s", &port, path) != 2) return 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        return 0;
    }
    char req[2300];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (write(s, req, (size_t)n) != n) {
        close(s);
        return 0;
    }
    static char resp[16384];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof resp - 1 && (r = read(s, resp + got, sizeof resp - 1 - got)) > 0) got += (size_t)r;
    resp[got] = 0;
    close(s);
    char *loc = strcasestr(resp, "\r\nlocation: ");
    if (!loc) return 0;
    loc += 12;
    size_t len = strcspn(loc, "\r\n");
    if (len >= size) return 0;
    memcpy(out, loc, len);
    out[len] = 0;
    return 1;
}

struct paste {
    int write_fd;
    pthread_t thread;
    int started;
    char url[4096], redirect[4096];
};

static void *paste_redirect(void *arg) {
    struct paste *p = arg;
    if (location_of(p->url, p->redirect, sizeof p->redirect)) {
        const char *junk = "not the redirect\n";
        (void)!write(p->write_fd, junk, strlen(junk));
        (void)!write(p->write_fd, p->redirect, strlen(p->redirect));
        (void)!write(p->write_fd, "\n", 1);
    }
    close(p->write_fd);
    return NULL;
}

static int32_t open_and_paste(const char *url, void *user_data) {
    struct paste *p = user_data;
    snprintf(p->url, sizeof p->url, "%s", url);
    p->started = pthread_create(&p->thread, NULL, paste_redirect, p) == 0;
    return p->started ? 0 : 1;
}

static int free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &len);
    close(s);
    return ntohs(a.sin_port);
}

struct dev {
    OakDevProvider *idp;
    OakProvider *provider;
};

static int dev_start(struct dev *d) {
    memset(d, 0, sizeof *d);
    OakStatus st = oak_dev_provider_start(true, 0, false, &d->idp);
    if (st == OAK_ERR_UNSUPPORTED) fprintf(stderr, "  FAIL the library lacks the dev provider (FEATURES=dev-provider,capi-server)\n");
    CHECK_OK(st);
    if (st != OAK_OK) return 0;
    char *issuer = NULL, *client_id = NULL;
    CHECK_OK(oak_dev_provider_issuer(d->idp, &issuer));
    CHECK_OK(oak_dev_provider_client_id(d->idp, &client_id));
    CHECK_OK(oak_provider_oidc(issuer, client_id, NULL, "openid email profile offline_access", &d->provider));
    oak_string_free(issuer);
    oak_string_free(client_id);
    return d->provider != NULL;
}

static void dev_stop(struct dev *d) {
    oak_provider_free(d->provider);
    oak_dev_provider_free(d->idp);
}

/* Sign in by pasting the redirect URL into a pipe, on a fixed localhost
 * port and a custom path; then keep the key fresh in the background. */
static void test_paste_fixed_port_and_background_refresh(void) {
    struct dev d;
    if (!dev_start(&d)) {
        dev_stop(&d);
        return;
    }
    int fds[2];
    CHECK(pipe(fds) == 0);
    int port = free_port();
    OakStore *store = NULL;
    OakFlow *flow = NULL;
    OakTokenSet *tokens = NULL;
    char *key = NULL;
    struct paste p = {.write_fd = fds[1]};
    CHECK_OK(oak_store_open("memory:", &store));
    CHECK_OK(oak_flow_new(d.provider, store, NULL, &flow));
    CHECK_OK(oak_flow_set_timeout(flow, 30));
    CHECK_OK(oak_flow_set_callback(flow, true, (uint16_t)port, (uint16_t)port, "oauth/done"));
    CHECK_OK(oak_flow_set_paste_fd(flow, fds[0]));
    close(fds[0]); /* the flow keeps its own copy */
    OakStatus st = oak_flow_run_native(flow, open_and_paste, &p, &tokens, &key, NULL);
    if (p.started) pthread_join(p.thread, NULL);
    CHECK_OK(st);
    CHECK_STR(key, "dev-user-1");
    char expected[128];
    snprintf(expected, sizeof expected, "http://localhost:%d/oauth/done?", port);
    CHECK(strncmp(p.redirect, expected, strlen(expected)) == 0);

    /* Background refresh: expire the tokens; the refresher renews them. */
    OakSession *session = NULL;
    OakBackgroundRefresh *bg = NULL;
    CHECK_OK(oak_token_set_set_expires_in(tokens, -10));
    CHECK_OK(oak_store_save(store, "dev-user-1", tokens));
    CHECK_OK(oak_session_new(d.provider, store, NULL, NULL, &session));
    const char *keys[] = {"dev-user-1", "bad\nkey"};
    CHECK_ERR(oak_background_refresh_start(session, keys, 2, 1, &bg), OAK_ERR_INVALID_ARGUMENT, "keys[1]");
    CHECK_ERR(oak_background_refresh_start(session, keys, 1, 0, &bg), OAK_ERR_INVALID_ARGUMENT, "every_seconds");
    CHECK(bg == NULL);
    CHECK_OK(oak_background_refresh_start(session, keys, 1, 1, &bg));
    uint64_t n = 0;
    for (int i = 0; i < 2000 && n == 0; i++) {
        oak_dev_provider_token_requests(d.idp, "refresh_token", &n);
        usleep(10000);
    }
    CHECK(n == 1);
    char **items = NULL;
    size_t len = 99;
    CHECK_OK(oak_background_refresh_errors(bg, &items, &len));
    CHECK(len == 0 && items != NULL && items[0] == NULL);
    oak_string_array_free(items, len);
    oak_background_refresh_free(bg);
    oak_background_refresh_free(NULL);

    oak_session_free(session);
    oak_string_free(key);
    oak_token_set_free(tokens);
    oak_flow_free(flow);
    oak_store_free(store);
    dev_stop(&d);
}

static void test_callback_option_errors(void) {
    OakProvider *p = NULL;
    OakFlow *flow = NULL;
    CHECK_OK(oak_provider_oauth2("https://auth.example.org/authorize", "https://auth.example.org/token", NULL, NULL,
                                 "client", NULL, "read", &p));
    char *name = NULL;
    CHECK_OK(oak_provider_name(p, &name));
    CHECK_STR(name, "custom");
    oak_string_free(name);
    CHECK_OK(oak_flow_new(p, NULL, NULL, &flow));
    CHECK_OK(oak_flow_set_callback(flow, false, 8000, 8010, NULL));
    CHECK_ERR(oak_flow_set_callback(flow, false, 9000, 8000, NULL), OAK_ERR_INVALID_ARGUMENT, "is empty");
    CHECK_ERR(oak_flow_set_callback(flow, false, 0, 1, NULL), OAK_ERR_INVALID_ARGUMENT, "port_first is 0");
    CHECK_ERR(oak_flow_set_callback(flow, false, 0, 0, "/a\r\nX: y"), OAK_ERR_INVALID_ARGUMENT, "path holds");
    CHECK_ERR(oak_flow_set_callback(flow, false, 0, 0, "/a?b"), OAK_ERR_INVALID_ARGUMENT, "path holds");
    CHECK_ERR(oak_flow_set_callback(flow, false, 0, 0, "/../x"), OAK_ERR_INVALID_ARGUMENT, "'..'");
    CHECK_ERR(oak_flow_set_callback(flow, false, 0, 0, "caf\xe9"), OAK_ERR_INVALID_ARGUMENT, "not valid UTF-8");
    CHECK_ERR(oak_flow_set_callback(NULL, false, 0, 0, NULL), OAK_ERR_INVALID_ARGUMENT, "flow is NULL");
    CHECK_ERR(oak_flow_set_paste_fd(flow, -3), OAK_ERR_INVALID_ARGUMENT, "negative");
    CHECK_ERR(oak_flow_set_paste_fd(flow, 98765), OAK_ERR_IO, "98765");
    oak_flow_free(flow);
    oak_provider_free(p);
    p = NULL;
    CHECK_ERR(oak_provider_oauth2("http://auth.example.org/a", "https://auth.example.org/t", NULL, NULL, "client", NULL,
                                  NULL, &p),
              OAK_ERR_INVALID_ARGUMENT, "https");
    CHECK_ERR(oak_provider_oauth2("https://a/a", NULL, NULL, NULL, "client", NULL, NULL, &p), OAK_ERR_INVALID_ARGUMENT,
              "token_url is NULL");
    CHECK(p == NULL);

    /* Timeouts through settings. */
    const char *names[] = {"OAUTHKIT_PROVIDER", "OAUTHKIT_CLIENT_ID", "OAUTHKIT_AUTHORIZE_URL", "OAUTHKIT_TOKEN_URL",
                           "OAUTHKIT_CONNECT_TIMEOUT", "OAUTHKIT_READ_TIMEOUT"};
    const char *values[] = {"custom", "client", "https://a.example/a", "https://a.example/t", "5", "20"};
    CHECK_OK(oak_provider_from_settings(names, values, 6, &p));
    oak_provider_free(p);
    p = NULL;
    values[5] = "0";
    CHECK_ERR(oak_provider_from_settings(names, values, 6, &p), OAK_ERR_INVALID_ARGUMENT, "OAUTHKIT_READ_TIMEOUT");
    CHECK(p == NULL);
}

static void test_validating_store(void) {
    OakStore *inner = NULL, *store = NULL;
    OakTokenSet *ts = NULL, *loaded = NULL;
    CHECK_OK(oak_store_open("memory:", &inner));
    CHECK_OK(oak_token_set_from_json("{\"access_token\":\"c-secret\",\"expires_at\":1,\"issued_at\":0}", &ts));
    CHECK_OK(oak_store_save(inner, "old", ts));
    oak_token_set_free(ts);
    CHECK_OK(oak_store_validating(inner, OAK_VALIDATE_NOT_EXPIRED | OAK_VALIDATE_HAS_REFRESH_TOKEN, 30, "openid",
                                  &store));
    loaded = (OakTokenSet *)0x1;
    CHECK_ERR(oak_store_load(store, "old", &loaded), OAK_ERR_VALIDATION, "not_expired");
    CHECK(loaded == NULL && strstr(oak_last_error_message(), "c-secret") == NULL);
    CHECK_OK(oak_token_set_new("at", &ts));
    CHECK_ERR(oak_store_save(store, "new", ts), OAK_ERR_VALIDATION, "openid");
    bool exists = true;
    CHECK_OK(oak_store_exists(inner, "new", &exists));
    CHECK(!exists);
    CHECK_OK(oak_token_set_set_scope(ts, "openid"));
    CHECK_OK(oak_token_set_set_refresh_token(ts, "rt"));
    CHECK_OK(oak_token_set_set_expires_in(ts, 3600));
    CHECK_OK(oak_store_save(store, "new", ts));
    CHECK_OK(oak_store_load(store, "new", &loaded));
    CHECK(loaded != NULL);
    oak_token_set_free(loaded);
    oak_token_set_free(ts);
    oak_store_free(store);
    store = NULL;
    CHECK_ERR(oak_store_validating(inner, 0x80, 0, NULL, &store), OAK_ERR_INVALID_ARGUMENT, "unknown bits");
    CHECK_ERR(oak_store_validating(NULL, 0, 0, NULL, &store), OAK_ERR_INVALID_ARGUMENT, "inner is NULL");
    CHECK(store == NULL);
    oak_store_free(inner);
}

/* Server-side stores: a client, a single-use code, a token and its
 * refresh token, as JSON. */
static void test_server_store(void) {
    OakServerStore *store = NULL;
    char *json = NULL;
    bool deleted = false;
    CHECK_OK(oak_server_store_open("memory:", &store));
    CHECK_OK(oak_server_store_save_client(
        store, "{\"identifier\":\"app\",\"secret\":\"s3cret\",\"redirect_uris\":[\"http://127.0.0.1/cb\"]}"));
    CHECK_OK(oak_server_store_fetch_client(store, "app", &json));
    CHECK(json != NULL && strstr(json, "s3cret") != NULL);
    oak_string_free(json);
    json = (char *)"stale";
    CHECK_ERR(oak_server_store_fetch_client(store, "nobody", &json), OAK_ERR_NOT_FOUND, "nobody");
    CHECK(json == NULL);
    CHECK_OK(oak_server_store_save_code(store, "{\"client_id\":\"app\",\"code\":\"c1\",\"expires_at\":4102444800,"
                                               "\"redirect_uri\":\"http://127.0.0.1/cb\",\"scopes\":[],\"data\":{}}"));
    CHECK_OK(oak_server_store_take_code(store, "c1", &json));
    CHECK(json != NULL && strstr(json, "\"c1\"") != NULL);
    oak_string_free(json);
    CHECK_ERR(oak_server_store_take_code(store, "c1", &json), OAK_ERR_NOT_FOUND, "");
    CHECK_OK(oak_server_store_save_token(store, "{\"client_id\":\"app\",\"grant_type\":\"authorization_code\","
                                                "\"token\":\"at-1\",\"data\":{},\"expires_at\":null,"
                                                "\"refresh_token\":\"rt-1\",\"refresh_expires_at\":null,\"scopes\":[]}"));
    CHECK_OK(oak_server_store_fetch_token(store, "at-1", &json));
    CHECK(json != NULL && strstr(json, "rt-1") != NULL);
    oak_string_free(json);
    CHECK_OK(oak_server_store_fetch_by_refresh_token(store, "rt-1", &json));
    CHECK(json != NULL && strstr(json, "at-1") != NULL);
    oak_string_free(json);
    CHECK_OK(oak_server_store_delete_refresh_token(store, "rt-1", &deleted));
    CHECK(deleted);
    CHECK_ERR(oak_server_store_fetch_token(store, "at-1", &json), OAK_ERR_NOT_FOUND, "");
    CHECK_OK(oak_server_store_delete_client(store, "app", &deleted));
    CHECK(deleted);
    CHECK_ERR(oak_server_store_save_client(store, "{\"identifier\":\"x\",\"secret\":\"leak-me\""),
              OAK_ERR_INVALID_ARGUMENT, "not client JSON");
    CHECK(strstr(oak_last_error_message(), "leak-me") == NULL);
    CHECK_ERR(oak_server_store_save_client(NULL, "{}"), OAK_ERR_INVALID_ARGUMENT, "store is NULL");
    OakServerStore *none = (OakServerStore *)0x1;
    CHECK_ERR(oak_server_store_open("floppy:", &none), OAK_ERR_INVALID_ARGUMENT, "unknown server store spec");
    CHECK(none == NULL);
    oak_server_store_free(store);
    oak_server_store_free(NULL);
}

int main(void) {
    RUN(test_server_store);
    RUN(test_callback_option_errors);
    RUN(test_validating_store);
    RUN(test_paste_fixed_port_and_background_refresh);
#ifdef OAK_DELIBERATE_LEAK
    {
        OakTokenSet *leaked = NULL;
        CHECK_OK(oak_token_set_new("leaked", &leaked));
        leaked = NULL;
    }
#endif
    return test_summary();
}
