#pragma once
#include <stddef.h>

/* The one loader of the libraries sg opens on first use (libcrypto in COpenSSL, libcurl in
 * CCurlShim, libsecret in CSecretShim), in the form of Chromium's libsecret loader: dlopen the
 * first of `names` (NULL-terminated) that loads, RTLD_LAZY | RTLD_LOCAL, then dlsym each of the
 * `count` `symbols` (dlsym on the handle also searches the library's own dependencies) into the
 * caller's private `table`: a struct of `count` function pointers in the order of `symbols`,
 * typed by the library's prototypes and named so they cannot collide with the library's names.
 * Nothing is linked against the library and nothing is exported under its names.
 *
 * Returns the handle; NULL when no name loads (`reason`: dlerror's text), a symbol is missing
 * (`reason`: "LIBRARY has no SYMBOL"; the library is closed again) or `table_size` is not `count`
 * pointers. */
void *sg_library_load(const char *const *names, const char *const *symbols, size_t count,
                      void *table, size_t table_size, char *reason, size_t size);

/* The number of entries of a symbol array. */
#define SG_COUNT(array) (sizeof(array) / sizeof((array)[0]))
