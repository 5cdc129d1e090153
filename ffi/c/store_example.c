/*
 * oauthkit from C without a provider or a network: check that the loaded
 * library speaks the header's ABI, keep a token set in a file store, load
 * it back.
 *
 *   store_example DIR        (the store is DIR/tokens.json)
 *
 * Build against an installed prefix (docs/capi.md):
 *   cc store_example.c -o store_example $(pkg-config --cflags --libs oauthkit) \
 *      -Wl,-rpath,$(pkg-config --variable=libdir oauthkit)
 * Every string and handle the library returns is freed.
 */
#include <oauthkit.h>

#include <stdio.h>
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

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    /* A library older than the header lacks functions the header declares. */
    if (oak_abi_version() < OAK_ABI_VERSION) {
        fprintf(stderr, "liboauthkit %s has ABI %u, this program needs %u\n", oak_version(),
                (unsigned)oak_abi_version(), (unsigned)OAK_ABI_VERSION);
        return 1;
    }
    char spec[4096];
    snprintf(spec, sizeof spec, "file:%s/tokens.json", argv[1]);

    int rc = 1;
    OakStore *store = NULL;
    OakTokenSet *tokens = NULL, *loaded = NULL;
    char *access = NULL, *refresh = NULL, *scope = NULL, *backend = NULL;

    TRY(oak_store_open(spec, &store));
    TRY(oak_token_set_new("example-access-token", &tokens));
    TRY(oak_token_set_set_refresh_token(tokens, "example-refresh-token"));
    TRY(oak_token_set_set_scope(tokens, "openid profile"));
    TRY(oak_token_set_set_expires_in(tokens, 3600));
    TRY(oak_store_save(store, "alice", tokens));

    TRY(oak_store_load(store, "alice", &loaded));
    if (loaded == NULL) {
        fprintf(stderr, "the store lost the tokens of alice\n");
        goto done;
    }
    TRY(oak_token_set_access_token(loaded, &access));
    TRY(oak_token_set_refresh_token(loaded, &refresh));
    TRY(oak_token_set_scope(loaded, &scope));
    if (strcmp(access, "example-access-token") != 0 || refresh == NULL ||
        strcmp(refresh, "example-refresh-token") != 0 || strcmp(scope, "openid profile") != 0) {
        fprintf(stderr, "the loaded token set differs from the saved one\n");
        goto done;
    }
    TRY(oak_store_backend(store, &backend));
    printf("liboauthkit %s (ABI %u): saved and loaded the tokens of alice (scope \"%s\") in a %s store at %s\n",
           oak_version(), (unsigned)oak_abi_version(), scope, backend, spec + strlen("file:"));
    rc = 0;

done:
    oak_string_free(access);
    oak_string_free(refresh);
    oak_string_free(scope);
    oak_string_free(backend);
    oak_token_set_free(loaded);
    oak_token_set_free(tokens);
    oak_store_free(store);
    return rc;
}
