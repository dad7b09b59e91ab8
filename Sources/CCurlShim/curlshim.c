#include "curlshim.h"
#include "sglibrary.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every libcurl function the shim calls: (field, symbol). The table is one static struct of
 * pointers typed by curl.h's own prototypes (__typeof__ only names the declaration; it
 * references no symbol), filled by sg_library_load (CSGSys) in the form of Chromium's libsecret
 * loader: nothing is linked against libcurl and nothing in the executable is named like it. To
 * call another libcurl function, add one line here and call it as fn.field.
 */
#define SG_CURL_FUNCTIONS(X) \
    X(global_init, curl_global_init) \
    X(easy_init, curl_easy_init) \
    X(easy_cleanup, curl_easy_cleanup) \
    X(easy_reset, curl_easy_reset) \
    X(easy_perform, curl_easy_perform) \
    X(easy_strerror, curl_easy_strerror) \
    X(easy_setopt, curl_easy_setopt) \
    X(easy_getinfo, curl_easy_getinfo) \
    X(slist_append, curl_slist_append) \
    X(slist_free_all, curl_slist_free_all) \
    X(share_init, curl_share_init) \
    X(share_setopt, curl_share_setopt) \
    X(share_cleanup, curl_share_cleanup) \
    X(version, curl_version)

static struct {
#define SG_FIELD(field, symbol) __typeof__(&symbol) field;
    SG_CURL_FUNCTIONS(SG_FIELD)
#undef SG_FIELD
} fn;

#define SG_NAME(field, symbol) #symbol,
static const char *const symbols[] = { SG_CURL_FUNCTIONS(SG_NAME) };
#undef SG_NAME

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[320];
static int load_ok = 0;

static void do_load(void) {
    /* RTLD_LAZY (sg_library_load): each library's function calls are bound as the dynamic linker
     * binds them for a linked program (now for objects flagged BIND_NOW, such as libcurl itself; on
     * first call for the others). RTLD_NOW bound every call in libcurl's ~30 dependencies up front,
     * most never made: ≈ 8 M instructions per fetch (docs/bench.md). No special binding flags: the
     * executables export no library's names (scripts/check-symbols), so nothing in them can
     * interpose on libcurl's libraries. */
    static const char *const names[] = { "libcurl.so.4", "libcurl.so", NULL };
    static const sg_library library = { names, "libcurl.so.4", "libcurl4", symbols, SG_COUNT(symbols) };
    if (!sg_library_load(&library, &fn, sizeof fn, load_error, sizeof load_error)) return;
    if (fn.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
        return;
    }
    load_ok = 1;
}

int sgcurl_load(char *err, size_t errlen) {
    pthread_once(&load_once, do_load);
    return sg_library_answer(load_ok, load_error, err, errlen);
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
CURLcode sgcurl_setopt_xferinfo_cb(CURL *h, sgcurl_xferinfo_cb cb) { return fn.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb); }
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

int sgcurl_share_free(CURLSH *sh) {
    if (!sh) return CURLSHE_OK;
    /* While an easy handle still uses the share, curl_share_cleanup refuses (CURLSHE_IN_USE) and
     * the share keeps calling share_lock/share_unlock on its mutexes: they must outlive it. */
    CURLSHcode rc = fn.share_cleanup(sh);
    if (rc != CURLSHE_OK) return rc;
    pthread_mutex_lock(&pairs_lock);
    for (struct sgshare_pair **pp = &pairs; *pp; pp = &(*pp)->next) {
        if ((*pp)->sh == sh) {
            struct sgshare_pair *p = *pp;
            *pp = p->next;
            for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&p->locks->locks[i]);
            free(p->locks);
            free(p);
            break;
        }
    }
    pthread_mutex_unlock(&pairs_lock);
    return CURLSHE_OK;
}
