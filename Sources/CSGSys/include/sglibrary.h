#pragma once
#include <stddef.h>

/* The one loader of the libraries sg opens on first use (libcrypto in COpenSSL, libcurl in
 * CCurlShim, libsecret in CSecretShim), in the form of Chromium's libsecret loader. */
typedef struct {
    const char *const *names;     /* the sonames to try, in order, NULL-terminated */
    const char *label;            /* the library in messages: "OpenSSL", "libcurl.so.4" */
    const char *package;          /* the Debian package that provides it */
    const char *const *symbols;   /* every function the shim calls, in the order of its table */
    size_t count;
} sg_library;

/* dlopen the first of `names` that loads, RTLD_LAZY | RTLD_LOCAL, then dlsym each symbol (dlsym on
 * the handle also searches the library's own dependencies) into the caller's private `table`: a
 * struct of `count` function pointers in the order of `symbols`, typed by the library's prototypes
 * and named so they cannot collide with the library's names. Nothing is linked against the library
 * and nothing is exported under its names.
 *
 * Returns the handle; NULL when no name loads, a symbol is missing (the library is closed again) or
 * `table_size` is not `count` pointers, with one line in `error`:
 * "cannot load LABEL (dlerror's text | SONAME has no SYMBOL); install PACKAGE". */
void *sg_library_load(const sg_library *library, void *table, size_t table_size, char *error, size_t size);

/* A shim's "is it loaded" answer: 0 when `loaded`, else -1 with `error` copied into `out`. */
int sg_library_answer(int loaded, const char *error, char *out, size_t size);

/* The number of entries of a symbol array. */
#define SG_COUNT(array) (sizeof(array) / sizeof((array)[0]))
