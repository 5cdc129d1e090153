/*
 * A token store implemented in C (oak_store_from_callbacks): token sets in a
 * mutex-guarded chained hash table keyed by namespace and key, a per-key
 * lock, and a full sign-in and refresh through it against the development
 * provider. Also: a failing callback gives its status, a misbehaving one
 * (NULL, non-UTF-8, non-JSON) a clear error, and destroy runs once.
 *
 * Exit status 0 when every check passed. Run by scripts/test-ffi.sh under
 * valgrind and AddressSanitizer.
 */
#define _GNU_SOURCE
#include <oauthkit.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

/* ---- the hash table ---- */

enum { BUCKETS = 64 };

struct entry {
    char *ns, *key, *json;
    struct entry *next;
};

enum fault { NONE, FAIL_UNAVAILABLE, GIVE_NULL, GIVE_NOT_UTF8, GIVE_NOT_JSON };

struct table {
    pthread_mutex_t mutex;
    pthread_cond_t unlocked;
    struct entry *buckets[BUCKETS];
    char locked[BUCKETS][256]; /* keys currently locked ("" when free) */
    int saves, loads, locks, unlocks, destroyed;
    enum fault fault;
};

static unsigned hash(const char *ns, const char *key) {
    unsigned h = 5381;
    for (const char *p = ns; *p; p++) h = h * 33 + (unsigned char)*p;
    h = h * 33 + '/';
    for (const char *p = key; *p; p++) h = h * 33 + (unsigned char)*p;
    return h % BUCKETS;
}

static struct entry **find(struct table *t, const char *ns, const char *key) {
    struct entry **e = &t->buckets[hash(ns, key)];
    while (*e && (strcmp((*e)->ns, ns) != 0 || strcmp((*e)->key, key) != 0)) e = &(*e)->next;
    return e;
}

static void free_entry(struct entry *e) {
    memset(e->json, 0, strlen(e->json)); /* tokens do not linger */
    free(e->ns);
    free(e->key);
    free(e->json);
    free(e);
}

static int32_t t_save(void *user_data, const char *ns, const char *key, const char *json) {
    struct table *t = user_data;
    pthread_mutex_lock(&t->mutex);
    t->saves++;
    if (t->fault == FAIL_UNAVAILABLE) {
        pthread_mutex_unlock(&t->mutex);
        return OAK_ERR_UNAVAILABLE;
    }
    struct entry **e = find(t, ns, key);
    if (*e) {
        memset((*e)->json, 0, strlen((*e)->json));
        free((*e)->json);
        (*e)->json = strdup(json);
    } else {
        struct entry *n = calloc(1, sizeof *n);
        n->ns = strdup(ns);
        n->key = strdup(key);
        n->json = strdup(json);
        *e = n;
    }
    pthread_mutex_unlock(&t->mutex);
    return 0;
}

static int32_t t_load(void *user_data, const char *ns, const char *key, OakStoreReply *reply) {
    struct table *t = user_data;
    int32_t status = 0;
    pthread_mutex_lock(&t->mutex);
    t->loads++;
    struct entry *e = *find(t, ns, key);
    switch (t->fault) {
    case FAIL_UNAVAILABLE: status = OAK_ERR_UNAVAILABLE; break;
    case GIVE_NULL: oak_store_reply_add(reply, NULL); break;
    case GIVE_NOT_UTF8: oak_store_reply_add(reply, "caf\xe9"); break;
    case GIVE_NOT_JSON: oak_store_reply_add(reply, "{\"access_token\": \"c-secret\""); break;
    case NONE:
        if (e) status = oak_store_reply_add(reply, e->json);
        break;
    }
    pthread_mutex_unlock(&t->mutex);
    return status;
}

static int32_t t_delete(void *user_data, const char *ns, const char *key, bool *deleted) {
    struct table *t = user_data;
    pthread_mutex_lock(&t->mutex);
    struct entry **e = find(t, ns, key);
    if (*e) {
        struct entry *gone = *e;
        *e = gone->next;
        free_entry(gone);
        *deleted = true;
    }
    pthread_mutex_unlock(&t->mutex);
    return 0;
}

static int32_t t_list(void *user_data, const char *ns, OakStoreReply *reply) {
    struct table *t = user_data;
    int32_t status = 0;
    pthread_mutex_lock(&t->mutex);
    for (int b = 0; b < BUCKETS && status == 0; b++)
        for (struct entry *e = t->buckets[b]; e && status == 0; e = e->next)
            if (strcmp(e->ns, ns) == 0) status = oak_store_reply_add(reply, e->key);
    pthread_mutex_unlock(&t->mutex);
    return status;
}

static int32_t t_lock(void *user_data, const char *ns, const char *key, uint64_t timeout_ms) {
    struct table *t = user_data;
    (void)timeout_ms; /* this table waits as long as it takes */
    unsigned slot = hash(ns, key);
    pthread_mutex_lock(&t->mutex);
    while (t->locked[slot][0] != '\0') pthread_cond_wait(&t->unlocked, &t->mutex);
    snprintf(t->locked[slot], sizeof t->locked[slot], "%s", key);
    t->locks++;
    pthread_mutex_unlock(&t->mutex);
    return 0;
}

static void t_unlock(void *user_data, const char *ns, const char *key) {
    struct table *t = user_data;
    unsigned slot = hash(ns, key);
    pthread_mutex_lock(&t->mutex);
    t->locked[slot][0] = '\0';
    t->unlocks++;
    pthread_cond_broadcast(&t->unlocked);
    pthread_mutex_unlock(&t->mutex);
}

static void t_destroy(void *user_data) {
    struct table *t = user_data;
    for (int b = 0; b < BUCKETS; b++) {
        struct entry *e = t->buckets[b];
        while (e) {
            struct entry *next = e->next;
            free_entry(e);
            e = next;
        }
        t->buckets[b] = NULL;
    }
    t->destroyed++; /* the table itself lives on the test's stack */
}

static OakStore *table_store(struct table *t, const char *ns) {
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mutex, NULL);
    pthread_cond_init(&t->unlocked, NULL);
    OakStoreCallbacks cb = {
        .user_data = t,
        .save = t_save,
        .load = t_load,
        .remove = t_delete,
        .list = t_list,
        .namespaces = NULL,
        .lock = t_lock,
        .unlock = t_unlock,
        .destroy = t_destroy,
    };
    OakStore *store = NULL;
    CHECK_OK(oak_store_from_callbacks(&cb, ns, &store));
    return store;
}

static void table_done(struct table *t) {
    pthread_mutex_destroy(&t->mutex);
    pthread_cond_destroy(&t->unlocked);
}

/* ---- the development provider and a headless browser ---- */

static void *approve(void *url) {
    oak_dev_browser_approve(url);
    free(url);
    return NULL;
}

static pthread_t browser_thread;
static int browser_started;

static int32_t open_browser(const char *url, void *user_data) {
    (void)user_data;
    browser_started = pthread_create(&browser_thread, NULL, approve, strdup(url)) == 0;
    return browser_started ? 0 : 1;
}

static void test_sign_in_and_refresh_through_a_c_store(void) {
    OakDevProvider *idp = NULL;
    OakStatus st = oak_dev_provider_start(true, 0, true, &idp);
    if (st == OAK_ERR_UNSUPPORTED) {
        fprintf(stderr, "  FAIL the library lacks the dev provider: build it with FEATURES=dev-provider,capi-server\n");
    }
    CHECK_OK(st);
    if (st != OAK_OK) return;
    char *issuer = NULL, *client_id = NULL;
    CHECK_OK(oak_dev_provider_issuer(idp, &issuer));
    CHECK_OK(oak_dev_provider_client_id(idp, &client_id));
    OakProvider *provider = NULL;
    CHECK_OK(oak_provider_oidc(issuer, client_id, NULL, "openid email profile offline_access", &provider));

    struct table t;
    OakStore *store = table_store(&t, "app");
    OakFlow *flow = NULL;
    OakTokenSet *tokens = NULL, *stored = NULL;
    char *key = NULL, *first_at = NULL, *at = NULL, *backend = NULL;
    CHECK_OK(oak_flow_new(provider, store, NULL, &flow));
    CHECK_OK(oak_flow_set_timeout(flow, 30));
    st = oak_flow_run_native(flow, open_browser, NULL, &tokens, &key, NULL);
    if (browser_started) pthread_join(browser_thread, NULL);
    CHECK_OK(st);
    CHECK_STR(key, "dev-user-1");
    CHECK(t.saves == 1);
    CHECK_OK(oak_store_backend(store, &backend));
    CHECK_STR(backend, "callback");

    /* The token set is in the C table, as JSON holding the refresh token. */
    pthread_mutex_lock(&t.mutex);
    struct entry *e = *find(&t, "app", "dev-user-1");
    CHECK(e != NULL && strstr(e->json, "refresh_token") != NULL);
    pthread_mutex_unlock(&t.mutex);

    /* Expire it and let a session refresh through the store, under its lock. */
    CHECK_OK(oak_store_load(store, "dev-user-1", &stored));
    CHECK(stored != NULL);
    CHECK_OK(oak_token_set_access_token(stored, &first_at));
    CHECK_OK(oak_token_set_set_expires_in(stored, -10));
    CHECK_OK(oak_store_save(store, "dev-user-1", stored));
    OakSession *session = NULL;
    CHECK_OK(oak_session_new(provider, store, NULL, NULL, &session));
    CHECK_OK(oak_session_access_token(session, "dev-user-1", &at));
    CHECK(at != NULL && first_at != NULL && strcmp(at, first_at) != 0);
    uint64_t refreshes = 0;
    CHECK_OK(oak_dev_provider_token_requests(idp, "refresh_token", &refreshes));
    CHECK(refreshes == 1);
    CHECK(t.locks >= 1 && t.locks == t.unlocks);
    CHECK(t.saves == 3); /* sign-in, the expired copy, the refresh */

    /* Logout deletes from the table. */
    bool had = false;
    CHECK_OK(oak_session_logout(session, "dev-user-1", &had));
    CHECK(had);
    pthread_mutex_lock(&t.mutex);
    CHECK(*find(&t, "app", "dev-user-1") == NULL);
    pthread_mutex_unlock(&t.mutex);

    /* destroy runs when the last user (here the session) is freed. */
    oak_store_free(store);
    oak_flow_free(flow);
    CHECK(t.destroyed == 0);
    oak_session_free(session);
    CHECK(t.destroyed == 1);
    table_done(&t);

    oak_string_free(at);
    oak_string_free(first_at);
    oak_string_free(backend);
    oak_string_free(key);
    oak_string_free(issuer);
    oak_string_free(client_id);
    oak_token_set_free(stored);
    oak_token_set_free(tokens);
    oak_provider_free(provider);
    oak_dev_provider_free(idp);
}

static void test_failing_and_misbehaving_callbacks(void) {
    struct table t;
    OakStore *store = table_store(&t, NULL);
    OakTokenSet *ts = NULL, *loaded = NULL;
    CHECK_OK(oak_token_set_new("at", &ts));
    CHECK_OK(oak_store_save(store, "k", ts));

    t.fault = FAIL_UNAVAILABLE;
    CHECK_ERR(oak_store_save(store, "k", ts), OAK_ERR_UNAVAILABLE, "save callback failed with status 6");
    loaded = (OakTokenSet *)0x1;
    CHECK_ERR(oak_store_load(store, "k", &loaded), OAK_ERR_UNAVAILABLE, "load callback failed");
    CHECK(loaded == NULL);

    t.fault = GIVE_NULL;
    CHECK_ERR(oak_store_load(store, "k", &loaded), OAK_ERR_STORAGE, "value is NULL");
    t.fault = GIVE_NOT_UTF8;
    CHECK_ERR(oak_store_load(store, "k", &loaded), OAK_ERR_STORAGE, "not valid UTF-8");
    t.fault = GIVE_NOT_JSON;
    CHECK_ERR(oak_store_load(store, "k", &loaded), OAK_ERR_STORAGE, "not a token set");
    CHECK(strstr(oak_last_error_message(), "c-secret") == NULL);
    CHECK(loaded == NULL);

    t.fault = NONE;
    CHECK_OK(oak_store_load(store, "k", &loaded));
    CHECK(loaded != NULL);
    CHECK_ERR(oak_store_save(store, "", ts), OAK_ERR_INVALID_ARGUMENT, "must not be empty");

    /* Another namespace of the same table; destroy waits for both. */
    OakStore *other = NULL;
    char **items = NULL, *ns = NULL;
    size_t len = 0;
    CHECK_OK(oak_store_callbacks_in_namespace(store, "other", &other));
    CHECK_OK(oak_store_namespace(other, &ns));
    CHECK_STR(ns, "other");
    CHECK_OK(oak_store_list(other, &items, &len));
    CHECK(len == 0);
    oak_string_array_free(items, len);
    CHECK_OK(oak_store_list(store, &items, &len));
    CHECK(len == 1 && strcmp(items[0], "k") == 0);
    oak_string_array_free(items, len);

    /* A struct missing a required callback is refused; nothing is kept. */
    OakStoreCallbacks partial = {.user_data = &t, .save = t_save, .load = t_load};
    OakStore *refused = (OakStore *)0x1;
    CHECK_ERR(oak_store_from_callbacks(&partial, NULL, &refused), OAK_ERR_INVALID_ARGUMENT, "callbacks->remove is NULL");
    CHECK(refused == NULL);
    CHECK_ERR(oak_store_from_callbacks(NULL, NULL, &refused), OAK_ERR_INVALID_ARGUMENT, "callbacks is NULL");
    CHECK_ERR(oak_store_callbacks_in_namespace(store, NULL, &refused), OAK_ERR_INVALID_ARGUMENT, "namespace_ is NULL");
    OakStore *memory = NULL;
    CHECK_OK(oak_store_open("memory:", &memory));
    CHECK_ERR(oak_store_callbacks_in_namespace(memory, "x", &refused), OAK_ERR_UNSUPPORTED, "cannot");
    oak_store_free(memory);

    oak_string_free(ns);
    oak_token_set_free(loaded);
    oak_token_set_free(ts);
    oak_store_free(store);
    CHECK(t.destroyed == 0);
    oak_store_free(other);
    CHECK(t.destroyed == 1);
    table_done(&t);
}

int main(void) {
    RUN(test_failing_and_misbehaving_callbacks);
    RUN(test_sign_in_and_refresh_through_a_c_store);
#ifdef OAK_DELIBERATE_LEAK
    {
        OakTokenSet *leaked = NULL;
        CHECK_OK(oak_token_set_new("leaked", &leaked));
        leaked = NULL;
    }
#endif
    return test_summary();
}
