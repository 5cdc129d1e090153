/* The default C library (no cargo feature capi-server) is a client: the
 * server side's entry points are declared but answer OAK_ERR_UNSUPPORTED
 * naming the feature, set their out-parameters to NULL, and everything a
 * client needs still works. Built and run by scripts/test-ffi.sh against
 * the size-check library (scripts/build-capi.sh without features). */
#include <oauthkit.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void expect_unsupported(const char *what, OakStatus status, const void *out) {
    const char *message = oak_last_error_message();
    if (status != OAK_ERR_UNSUPPORTED || out != NULL || message == NULL ||
        strstr(message, "capi-server") == NULL) {
        fprintf(stderr, "FAIL %s: status %d, out %p, message '%s'\n", what, (int)status, out,
                message ? message : "(null)");
        failures++;
    } else {
        printf("ok %s: %s\n", what, message);
    }
}

int main(void) {
    OakProvider *provider = NULL;
    OakStatus status = oak_provider_oauth2("https://idp.example/authorize",
                                           "https://idp.example/token", NULL, NULL, "app",
                                           NULL, "openid", &provider);
    if (status != OAK_OK) {
        fprintf(stderr, "FAIL oak_provider_oauth2: %s\n", oak_last_error_message());
        return 1;
    }
    OakStore *store = NULL;
    if (oak_store_open("memory:", &store) != OAK_OK) {
        fprintf(stderr, "FAIL oak_store_open: %s\n", oak_last_error_message());
        return 1;
    }

    OakDeploy *deploy = (OakDeploy *)&failures; /* must come back NULL */
    status = oak_deploy_new(provider, store, "https://app.example", NULL, 0, &deploy);
    expect_unsupported("oak_deploy_new", status, deploy);

    OakServerStore *server = (OakServerStore *)&failures;
    status = oak_server_store_open("memory:", &server);
    expect_unsupported("oak_server_store_open", status, server);

    char *json = (char *)&failures;
    status = oak_server_store_fetch_client(NULL, "app", &json);
    expect_unsupported("oak_server_store_fetch_client", status, json);

    oak_deploy_free(NULL);
    oak_server_store_free(NULL);
    oak_store_free(store);
    oak_provider_free(provider);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("client-only library: server side refused, client side works\n");
    return 0;
}
