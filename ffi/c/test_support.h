/* A minimal check harness for the C tests (no framework needed). */
#ifndef OAK_TEST_SUPPORT_H
#define OAK_TEST_SUPPORT_H

#include <oauthkit.h>
#include <stdio.h>
#include <string.h>

static int oak_checks, oak_failures;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        oak_checks++;                                                                    \
        if (!(cond)) {                                                                   \
            oak_failures++;                                                              \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
        }                                                                                \
    } while (0)

/* The call succeeds; on failure prints its status and message. */
#define CHECK_OK(call)                                                                   \
    do {                                                                                 \
        oak_checks++;                                                                    \
        OakStatus st_ = (call);                                                          \
        if (st_ != OAK_OK) {                                                             \
            oak_failures++;                                                              \
            fprintf(stderr, "  FAIL %s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call,   \
                    oak_status_name(st_), oak_last_error_message());                     \
        }                                                                                \
    } while (0)

/* The call fails with `status` and a message containing `text`. */
#define CHECK_ERR(call, status, text)                                                    \
    do {                                                                                 \
        oak_checks++;                                                                    \
        OakStatus st_ = (call);                                                          \
        const char *msg_ = oak_last_error_message();                                     \
        if (st_ != (status) || strstr(msg_, (text)) == NULL) {                           \
            oak_failures++;                                                              \
            fprintf(stderr, "  FAIL %s:%d: %s -> %s \"%s\", expected %s \"...%s...\"\n", \
                    __FILE__, __LINE__, #call, oak_status_name(st_), msg_,               \
                    oak_status_name(status), (text));                                    \
        }                                                                                \
    } while (0)

#define CHECK_STR(actual, expected)                                                      \
    do {                                                                                 \
        oak_checks++;                                                                    \
        const char *a_ = (actual);                                                       \
        if (a_ == NULL || strcmp(a_, (expected)) != 0) {                                 \
            oak_failures++;                                                              \
            fprintf(stderr, "  FAIL %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,   \
                    __LINE__, #actual, a_ ? a_ : "(null)", (expected));                  \
        }                                                                                \
    } while (0)

#define RUN(test)                                                                        \
    do {                                                                                 \
        int before_ = oak_failures;                                                      \
        test();                                                                          \
        printf("%s %s\n", oak_failures == before_ ? "ok  " : "FAIL", #test);             \
    } while (0)

static int test_summary(void) {
    printf("%d checks, %d failed\n", oak_checks, oak_failures);
    return oak_failures == 0 ? 0 : 1;
}

#endif
