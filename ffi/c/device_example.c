/*
 * oauthkit from C: the device authorization grant (RFC 8628) for a machine
 * without a browser. Prints a URL and a code; the user signs in on any
 * other device (a phone) and the tokens land in the default store.
 *
 *   OAUTHKIT_PROVIDER=microsoft OAUTHKIT_CLIENT_ID=<app id> device_example
 *
 * Settings come from the OAUTHKIT_* environment variables (see
 * docs/providers.md); the provider must offer the device grant (Microsoft,
 * Google, GitHub, or an OpenID provider whose discovery document lists a
 * device_authorization_endpoint). Press Enter to cancel. Every string and
 * handle the library returns is freed.
 */
#include <oauthkit.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static OakStatus report(const char *what, OakStatus status) {
    if (status != OAK_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, oak_status_name(status), oak_last_error_message());
    }
    return status;
}

/* Shows the code. A GUI would draw it (and a QR code of the complete URI);
 * passing NULL instead of this callback prints both on stderr. */
static int32_t show_code(const char *user_code, const char *verification_uri,
                         const char *verification_uri_complete, uint64_t expires_in_seconds,
                         void *user_data) {
    (void)user_data;
    printf("Open %s on any device and enter the code %s\n", verification_uri, user_code);
    if (verification_uri_complete != NULL) {
        printf("(or open %s)\n", verification_uri_complete);
    }
    printf("The code is valid for %" PRIu64 " minutes. Press Enter to cancel.\n",
           expires_in_seconds / 60);
    fflush(stdout);
    return 0;
}

/* Cancels the flow when a line arrives on stdin. */
static void *cancel_on_enter(void *flow) {
    if (getchar() != EOF) {
        oak_device_flow_cancel((const OakDeviceFlow *)flow);
    }
    return NULL;
}

int main(void) {
    OakProvider *provider = NULL;
    OakStore *store = NULL;
    OakDeviceFlow *flow = NULL;
    OakTokenSet *tokens = NULL;
    char *key = NULL;
    int rc = EXIT_FAILURE;

    if (report("oak_provider_from_env", oak_provider_from_env(&provider)) != OAK_OK) goto done;
    if (report("oak_store_open_default", oak_store_open_default(&store)) != OAK_OK) goto done;
    if (report("oak_device_flow_new", oak_device_flow_new(provider, store, &flow)) != OAK_OK) goto done;

    pthread_t canceller;
    pthread_create(&canceller, NULL, cancel_on_enter, flow);
    pthread_detach(canceller);

    OakStatus status = oak_device_flow_run(flow, show_code, NULL, &tokens, &key);
    if (status == OAK_ERR_CANCELLED) {
        fprintf(stderr, "cancelled\n");
        goto done;
    }
    if (report("oak_device_flow_run", status) != OAK_OK) goto done;
    printf("signed in; tokens stored under '%s'\n", key);
    rc = EXIT_SUCCESS;

done:
    oak_string_free(key);
    oak_token_set_free(tokens);
    /* The detached reader thread may still hold the flow pointer; exit
     * without freeing it (the process ends here). */
    oak_store_free(store);
    oak_provider_free(provider);
    return rc;
}
