/*
 * oauthkit from C: keep tokens in a file store.
 *
 *   example STORE_FILE
 *
 * Saves a token set under "alice", reads it back from a second handle on
 * the same file, lists the keys and deletes it again. Every string and
 * handle the library returns is freed with its free function.
 */
#include <oauthkit.h>

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

#define TRY(call)                          \
    do {                                   \
        if (report(#call, (call)) != OAK_OK) \
            goto done;                     \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s STORE_FILE\n", argv[0]);
        return 2;
    }
    char spec[4096];
    snprintf(spec, sizeof spec, "file:%s?namespace=example", argv[1]);

    int rc = 1;
    OakStore *store = NULL, *reader = NULL;
    OakTokenSet *tokens = NULL, *loaded = NULL;
    char *access = NULL, *scope = NULL, **keys = NULL;
    size_t nkeys = 0;

    printf("oauthkit %s (ABI %u, header ABI %d)\n", oak_version(), oak_abi_version(), OAK_ABI_VERSION);
    TRY(oak_store_open(spec, &store));
    TRY(oak_token_set_new("example-access-token", &tokens));
    TRY(oak_token_set_set_scope(tokens, "openid profile"));
    TRY(oak_token_set_set_expires_in(tokens, 3600));
    TRY(oak_store_save(store, "alice", tokens));

    TRY(oak_store_open(spec, &reader));
    TRY(oak_store_load(reader, "alice", &loaded));
    if (loaded == NULL) {
        fprintf(stderr, "alice was not found\n");
        goto done;
    }
    TRY(oak_token_set_access_token(loaded, &access));
    TRY(oak_token_set_scope(loaded, &scope));
    printf("loaded alice: access token of %zu bytes, scope \"%s\"\n", strlen(access), scope);

    TRY(oak_store_list(reader, &keys, &nkeys));
    for (size_t i = 0; i < nkeys; i++) {
        printf("key: %s\n", keys[i]);
    }
    bool deleted = false;
    TRY(oak_store_delete(reader, "alice", &deleted));
    printf("deleted alice: %s\n", deleted ? "yes" : "no");
    rc = deleted ? 0 : 1;

done:
    oak_string_array_free(keys, nkeys);
    oak_string_free(scope);
    oak_string_free(access); /* zeroes the token before freeing */
    oak_token_set_free(loaded);
    oak_token_set_free(tokens);
    oak_store_free(reader);
    oak_store_free(store);
    return rc;
}
