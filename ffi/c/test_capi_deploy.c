/*
 * Deploy mode from C: oak_deploy_handle as a request-in/response-out
 * handler, driven through a full sign-in against the development provider
 * (login, the provider's redirect, callback, status, logout), plus forged
 * requests and bad arguments. No web server is needed: this test is the
 * server, passing each request to the handler as a C server would.
 *
 * Exit status 0 when every check passed. Run by scripts/test-ffi.sh under
 * valgrind and AddressSanitizer.
 */
#define _GNU_SOURCE
#include <oauthkit.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.h"

#define BASE "http://127.0.0.1:9"

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

/* One answered request, copied out of the response handle. */
struct answer {
    uint32_t status;
    char location[4096];
    char cookie[4096]; /* "name=value" of the first Set-Cookie */
    char body[8192];
};

static OakStatus ask(const OakDeploy *deploy, const char *method, const char *target, const char *const *names,
                     const char *const *values, size_t count, struct answer *a) {
    memset(a, 0, sizeof *a);
    OakDeployResponse *resp = NULL;
    OakStatus st = oak_deploy_handle(deploy, method, target, NULL, names, values, count, NULL, &resp);
    if (st != OAK_OK) return st;
    char **hn = NULL, **hv = NULL, *body = NULL;
    size_t len = 0;
    CHECK_OK(oak_deploy_response_status(resp, &a->status));
    CHECK_OK(oak_deploy_response_headers(resp, &hn, &hv, &len));
    for (size_t i = 0; i < len; i++) {
        if (strcasecmp(hn[i], "Location") == 0) snprintf(a->location, sizeof a->location, "%s", hv[i]);
        if (strcasecmp(hn[i], "Set-Cookie") == 0 && a->cookie[0] == 0)
            snprintf(a->cookie, sizeof a->cookie, "%.*s", (int)strcspn(hv[i], ";"), hv[i]);
    }
    CHECK(len == 0 || (hn[len] == NULL && hv[len] == NULL));
    CHECK_OK(oak_deploy_response_body(resp, &body));
    snprintf(a->body, sizeof a->body, "%s", body ? body : "");
    oak_string_free(body);
    oak_string_array_free(hn, len);
    oak_string_array_free(hv, len);
    oak_deploy_response_free(resp);
    return OAK_OK;
}

static void test_deploy_sign_in_status_and_logout(void) {
    OakDevProvider *idp = NULL;
    OakStatus st = oak_dev_provider_start(true, 0, false, &idp);
    if (st == OAK_ERR_UNSUPPORTED) fprintf(stderr, "  FAIL the library lacks the dev provider (FEATURES=dev-provider,capi-server)\n");
    CHECK_OK(st);
    if (st != OAK_OK) return;
    char *issuer = NULL, *client_id = NULL, *uri = NULL, *key = NULL;
    OakProvider *provider = NULL;
    OakStore *store = NULL;
    OakDeploy *deploy = NULL;
    CHECK_OK(oak_dev_provider_issuer(idp, &issuer));
    CHECK_OK(oak_dev_provider_client_id(idp, &client_id));
    CHECK_OK(oak_provider_oidc(issuer, client_id, NULL, "openid email profile offline_access", &provider));
    CHECK_OK(oak_store_open("memory:", &store));
    st = oak_deploy_new(provider, store, BASE, "/home", 0, &deploy);
    if (st == OAK_ERR_UNSUPPORTED)
        fprintf(stderr, "  FAIL the library lacks deploy mode (FEATURES=dev-provider,capi-server)\n");
    CHECK_OK(st);
    CHECK_OK(oak_deploy_redirect_uri(deploy, &uri));
    CHECK_STR(uri, BASE "/auth/callback");

    /* 1. the browser asks to log in: a redirect to the provider and a login cookie */
    struct answer login, callback, status, a;
    CHECK_OK(ask(deploy, "GET", "/auth/login", NULL, NULL, 0, &login));
    CHECK(login.status == 302);
    CHECK(strncmp(login.location, issuer, strlen(issuer)) == 0);
    CHECK(strncmp(login.cookie, "oauthkit_login=", 15) == 0);

    /* 2. the provider approves and redirects to our callback */
    char redirect[4096];
    CHECK(location_of(login.location, redirect, sizeof redirect));
    CHECK(strncmp(redirect, BASE "/auth/callback?", strlen(BASE "/auth/callback?")) == 0);
    const char *target = redirect + strlen(BASE);

    /* a forged callback (no login cookie) is refused with an HTTP error, not a failed call */
    CHECK_OK(ask(deploy, "GET", target, NULL, NULL, 0, &a));
    CHECK(a.status == 400 && strstr(a.body, "invalid_state") != NULL);

    /* 3. the callback with this browser's login cookie: a session */
    const char *cookie_name[] = {"cookie"};
    const char *cookie_value[] = {login.cookie};
    CHECK_OK(ask(deploy, "GET", target, cookie_name, cookie_value, 1, &callback));
    CHECK(callback.status == 302);
    CHECK_STR(callback.location, "/home");
    CHECK(strncmp(callback.cookie, "oauthkit_session=", 17) == 0);
    bool exists = false;
    CHECK_OK(oak_store_exists(store, "dev-user-1", &exists));
    CHECK(exists);
    /* the code is single use: a replay is refused */
    CHECK_OK(ask(deploy, "GET", target, cookie_name, cookie_value, 1, &a));
    CHECK(a.status == 400);

    /* 4. status with the session cookie; the app finds the key */
    const char *session_value[] = {callback.cookie};
    CHECK_OK(ask(deploy, "GET", "/auth/status", cookie_name, session_value, 1, &status));
    CHECK(status.status == 200);
    CHECK(strstr(status.body, "\"authenticated\":true") != NULL);
    CHECK(strstr(status.body, "dev-user-1") != NULL);
    CHECK_OK(oak_deploy_session_key(deploy, callback.cookie, &key));
    CHECK_STR(key, "dev-user-1");
    oak_string_free(key);
    key = (char *)"stale";
    CHECK_OK(oak_deploy_session_key(deploy, "oauthkit_session=forged", &key));
    CHECK(key == NULL);

    /* 5. logout needs proof of same origin */
    CHECK_OK(ask(deploy, "POST", "/auth/logout", cookie_name, session_value, 1, &a));
    CHECK(a.status == 403);
    const char *names2[] = {"Cookie", "Origin"};
    const char *evil[] = {callback.cookie, "https://evil.example"};
    CHECK_OK(ask(deploy, "POST", "/auth/logout", names2, evil, 2, &a));
    CHECK(a.status == 403);
    const char *same[] = {callback.cookie, BASE};
    CHECK_OK(ask(deploy, "POST", "/auth/logout", names2, same, 2, &a));
    CHECK(a.status == 200);
    CHECK_OK(oak_store_exists(store, "dev-user-1", &exists));
    CHECK(!exists);
    CHECK_OK(ask(deploy, "GET", "/auth/status", cookie_name, session_value, 1, &a));
    CHECK(strstr(a.body, "\"authenticated\":false") != NULL);

    /* 6. unusable arguments fail the call and leave no response */
    OakDeployResponse *resp = (OakDeployResponse *)0x1;
    CHECK_ERR(oak_deploy_handle(deploy, NULL, "/auth/login", NULL, NULL, NULL, 0, NULL, &resp),
              OAK_ERR_INVALID_ARGUMENT, "method is NULL");
    CHECK(resp == NULL);
    CHECK_ERR(oak_deploy_handle(deploy, "GET", "/auth/status", NULL, NULL, NULL, 2, NULL, &resp),
              OAK_ERR_INVALID_ARGUMENT, "header_count is 2");
    const char *two_origins_n[] = {"Origin", "origin"};
    const char *two_origins_v[] = {BASE, BASE};
    CHECK_ERR(oak_deploy_handle(deploy, "POST", "/auth/logout", NULL, two_origins_n, two_origins_v, 2, NULL, &resp),
              OAK_ERR_INVALID_ARGUMENT, "given twice");
    const char *crlf_v[] = {"a=b\r\nSet-Cookie: x=y"};
    CHECK_ERR(oak_deploy_handle(deploy, "GET", "/auth/status", NULL, cookie_name, crlf_v, 1, NULL, &resp),
              OAK_ERR_INVALID_ARGUMENT, "line break");
    const char *bad_utf8[] = {"caf\xe9"};
    CHECK_ERR(oak_deploy_handle(deploy, "GET", "/auth/status", NULL, cookie_name, bad_utf8, 1, NULL, &resp),
              OAK_ERR_INVALID_ARGUMENT, "header_values[0] is not valid UTF-8");
    CHECK(resp == NULL);
    OakDeploy *other = NULL;
    CHECK_ERR(oak_deploy_new(provider, store, "ftp://x", NULL, 0, &other), OAK_ERR_INVALID_ARGUMENT, "http or https");
    CHECK_ERR(oak_deploy_new(provider, store, BASE, "https://evil.example", 0, &other), OAK_ERR_INVALID_ARGUMENT,
              "after_login");
    CHECK_ERR(oak_deploy_new(provider, NULL, BASE, NULL, 0, &other), OAK_ERR_INVALID_ARGUMENT, "store is NULL");
    CHECK(other == NULL);
    oak_deploy_free(NULL);
    oak_deploy_response_free(NULL);

    oak_string_free(uri);
    oak_string_free(issuer);
    oak_string_free(client_id);
    oak_deploy_free(deploy);
    oak_store_free(store);
    oak_provider_free(provider);
    oak_dev_provider_free(idp);
}

int main(void) {
    RUN(test_deploy_sign_in_status_and_logout);
#ifdef OAK_DELIBERATE_LEAK
    {
        OakTokenSet *leaked = NULL;
        CHECK_OK(oak_token_set_new("leaked", &leaked));
        leaked = NULL;
    }
#endif
    return test_summary();
}
