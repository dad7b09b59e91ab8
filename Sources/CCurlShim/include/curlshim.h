#pragma once
/*
 * libcurl, loaded on first use with dlopen("libcurl.so.4"), so that a tool only pays for curl's
 * ~30 shared libraries when it really talks to the network. The headers give the types and
 * constants; every call goes through curlshim.c's private table of function pointers, resolved
 * by sgcurl_load() (the form docs/decisions.md describes).
 * Also: typed, non-variadic wrappers for curl_easy_setopt/getinfo (Swift cannot call variadics).
 */
#include <curl/curl.h>
#include <stddef.h>

/* Loads libcurl and calls curl_global_init once (thread-safe). 0 on success; else writes a reason. */
int sgcurl_load(char *err, size_t errlen);

typedef size_t (*sgcurl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);

CURL *sgcurl_easy_init(void);
void sgcurl_easy_cleanup(CURL *h);
void sgcurl_easy_reset(CURL *h);
CURLcode sgcurl_easy_perform(CURL *h);
const char *sgcurl_easy_strerror(CURLcode code);
CURLcode sgcurl_setopt_long(CURL *h, CURLoption opt, long value);
CURLcode sgcurl_setopt_string(CURL *h, CURLoption opt, const char *value);
CURLcode sgcurl_setopt_pointer(CURL *h, CURLoption opt, void *value);
CURLcode sgcurl_setopt_data_cb(CURL *h, CURLoption opt, sgcurl_data_cb cb);
/* CURLOPT_XFERINFOFUNCTION: libcurl calls it about once a second even on an idle transfer, so a
 * long-lived stream (the A2A event hub) can be stopped or judged stalled from it; non-zero aborts. */
typedef int (*sgcurl_xferinfo_cb)(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
CURLcode sgcurl_setopt_xferinfo_cb(CURL *h, sgcurl_xferinfo_cb cb);
/* CURL_BLOB_COPY: the bytes may be wiped by the caller right after the call. */
CURLcode sgcurl_setopt_blob(CURL *h, CURLoption opt, const void *data, size_t len);
CURLcode sgcurl_getinfo_long(CURL *h, CURLINFO info, long *out);
CURLcode sgcurl_getinfo_double(CURL *h, CURLINFO info, double *out);
CURLcode sgcurl_getinfo_string(CURL *h, CURLINFO info, const char **out);
/* CURLINFO_CERTINFO (needs CURLOPT_CERTINFO); the list belongs to the handle. */
CURLcode sgcurl_getinfo_certinfo(CURL *h, struct curl_certinfo **out);

struct curl_slist *sgcurl_slist_append(struct curl_slist *list, const char *s);
void sgcurl_slist_free_all(struct curl_slist *list);

/* A share handle for connections, TLS sessions and DNS, with its own mutexes (thread-safe). */
CURLSH *sgcurl_share_new(void);
/* CURLSHE_OK once the share and its mutexes are freed; CURLSHE_IN_USE (nothing freed) while an
 * easy handle still uses the share: clean that handle up first. */
int sgcurl_share_free(CURLSH *sh);

const char *sgcurl_version(void);

static inline long sgcurl_global_default(void) { return CURL_GLOBAL_DEFAULT; }
