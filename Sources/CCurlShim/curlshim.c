#define _GNU_SOURCE   /* RTLD_DEEPBIND */
#include "curlshim.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *, CURLSHoption, ...);
    CURLSHcode (*share_cleanup)(CURLSH *);
    char *(*version)(void);
} fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256];
static int load_ok = 0;

#define RESOLVE(lib, field, name) do { \
    *(void **)(&fn.field) = dlsym(lib, name); \
    if (!fn.field) { snprintf(load_error, sizeof load_error, "libcurl lacks %s", name); return; } \
} while (0)

static void do_load(void) {
    /* RTLD_LAZY: each library's function calls are bound as the dynamic linker binds them for a
     * linked program (now for objects flagged BIND_NOW, such as libcurl itself; on first call for
     * the others). RTLD_NOW bound every call in libcurl's ~30 dependencies up front, most never
     * made: ≈ 8 M instructions per fetch (docs/bench.md). The other shims load the same way.
     * RTLD_DEEPBIND: the relocations of libcurl's ~30 libraries look in their own scope first,
     * not first through this executable, libstdc++ and the rest of the global scope (≈ 3.5 M
     * instructions a fetch). sg exports no symbols for them to find there anyway. AddressSanitizer
     * refuses DEEPBIND, so the fuzz build goes without it. */
    int flags = RTLD_LAZY | RTLD_LOCAL;
    if (!dlsym(RTLD_DEFAULT, "__asan_init")) flags |= RTLD_DEEPBIND;
    void *lib = dlopen("libcurl.so.4", flags);
    if (!lib) lib = dlopen("libcurl.so", flags);
    if (!lib) {
        const char *e = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load libcurl.so.4 (%s); install libcurl4", e ? e : "?");
        return;
    }
    RESOLVE(lib, global_init, "curl_global_init");
    RESOLVE(lib, easy_init, "curl_easy_init");
    RESOLVE(lib, easy_cleanup, "curl_easy_cleanup");
    RESOLVE(lib, easy_reset, "curl_easy_reset");
    RESOLVE(lib, easy_perform, "curl_easy_perform");
    RESOLVE(lib, easy_strerror, "curl_easy_strerror");
    RESOLVE(lib, easy_setopt, "curl_easy_setopt");
    RESOLVE(lib, easy_getinfo, "curl_easy_getinfo");
    RESOLVE(lib, slist_append, "curl_slist_append");
    RESOLVE(lib, slist_free_all, "curl_slist_free_all");
    RESOLVE(lib, share_init, "curl_share_init");
    RESOLVE(lib, share_setopt, "curl_share_setopt");
    RESOLVE(lib, share_cleanup, "curl_share_cleanup");
    RESOLVE(lib, version, "curl_version");
    if (fn.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
        return;
    }
    load_ok = 1;
}

int sgcurl_load(char *err, size_t errlen) {
    pthread_once(&load_once, do_load);
    if (load_ok) return 0;
    if (err && errlen) { strncpy(err, load_error, errlen - 1); err[errlen - 1] = 0; }
    return -1;
}

CURL *sgcurl_easy_init(void) { return fn.easy_init(); }
void sgcurl_easy_cleanup(CURL *h) { fn.easy_cleanup(h); }
void sgcurl_easy_reset(CURL *h) { fn.easy_reset(h); }
CURLcode sgcurl_easy_perform(CURL *h) { return fn.easy_perform(h); }
const char *sgcurl_easy_strerror(CURLcode code) { return fn.easy_strerror ? fn.easy_strerror(code) : "libcurl not loaded"; }
CURLcode sgcurl_setopt_long(CURL *h, CURLoption opt, long value) { return fn.easy_setopt(h, opt, value); }
CURLcode sgcurl_setopt_string(CURL *h, CURLoption opt, const char *value) { return fn.easy_setopt(h, opt, value); }
CURLcode sgcurl_setopt_pointer(CURL *h, CURLoption opt, void *value) { return fn.easy_setopt(h, opt, value); }
CURLcode sgcurl_setopt_data_cb(CURL *h, CURLoption opt, sgcurl_data_cb cb) { return fn.easy_setopt(h, opt, cb); }
CURLcode sgcurl_setopt_blob(CURL *h, CURLoption opt, const void *data, size_t len) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = len;
    blob.flags = CURL_BLOB_COPY;
    return fn.easy_setopt(h, opt, &blob);
}
CURLcode sgcurl_getinfo_long(CURL *h, CURLINFO info, long *out) { return fn.easy_getinfo(h, info, out); }
CURLcode sgcurl_getinfo_double(CURL *h, CURLINFO info, double *out) { return fn.easy_getinfo(h, info, out); }
CURLcode sgcurl_getinfo_string(CURL *h, CURLINFO info, const char **out) { return fn.easy_getinfo(h, info, out); }
CURLcode sgcurl_getinfo_certinfo(CURL *h, struct curl_certinfo **out) { return fn.easy_getinfo(h, CURLINFO_CERTINFO, out); }
struct curl_slist *sgcurl_slist_append(struct curl_slist *list, const char *s) { return fn.slist_append(list, s); }
void sgcurl_slist_free_all(struct curl_slist *list) { fn.slist_free_all(list); }
const char *sgcurl_version(void) { return fn.version ? fn.version() : "libcurl not loaded"; }

/* ---- share handle with one mutex per lock_data kind ---- */
struct sgshare {
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userptr) {
    (void)h; (void)access;
    struct sgshare *s = userptr;
    pthread_mutex_lock(&s->locks[data]);
}
static void share_unlock(CURL *h, curl_lock_data data, void *userptr) {
    (void)h;
    struct sgshare *s = userptr;
    pthread_mutex_unlock(&s->locks[data]);
}

/* The mutex block is kept beside the share handle so sgcurl_share_free can release both. */
struct sgshare_pair { CURLSH *sh; struct sgshare *locks; struct sgshare_pair *next; };
static struct sgshare_pair *pairs = NULL;
static pthread_mutex_t pairs_lock = PTHREAD_MUTEX_INITIALIZER;

CURLSH *sgcurl_share_new(void) {
    CURLSH *sh = fn.share_init();
    if (!sh) return NULL;
    struct sgshare *s = calloc(1, sizeof *s);
    struct sgshare_pair *p = calloc(1, sizeof *p);
    if (!s || !p) { free(s); free(p); fn.share_cleanup(sh); return NULL; }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&s->locks[i], NULL);
    fn.share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock);
    fn.share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
    fn.share_setopt(sh, CURLSHOPT_USERDATA, s);
    fn.share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    fn.share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    fn.share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    p->sh = sh; p->locks = s;
    pthread_mutex_lock(&pairs_lock);
    p->next = pairs; pairs = p;
    pthread_mutex_unlock(&pairs_lock);
    return sh;
}

void sgcurl_share_free(CURLSH *sh) {
    if (!sh) return;
    fn.share_cleanup(sh);
    pthread_mutex_lock(&pairs_lock);
    for (struct sgshare_pair **pp = &pairs; *pp; pp = &(*pp)->next) {
        if ((*pp)->sh == sh) {
            struct sgshare_pair *p = *pp;
            *pp = p->next;
            free(p->locks);
            free(p);
            break;
        }
    }
    pthread_mutex_unlock(&pairs_lock);
}
