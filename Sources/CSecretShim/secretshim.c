#include "secretshim.h"
#if !__has_include(<libsecret/secret.h>)
#error "libsecret's headers are missing: install libsecret-1-dev (Package.swift asks pkg-config for libsecret-1)"
#endif
#include <libsecret/secret.h>
#include <gio/gio.h>
#include "sglibrary.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* python-keyring's SecretService backend writes Generic items with these attributes
 * (reference/ark-keyring.md §5.3). Storing uses the schema name so the item gets a real
 * xdg:schema; searching ignores it, because python-keyring items often lack it. */
static const SecretSchema store_schema = {
    "org.freedesktop.Secret.Generic", SECRET_SCHEMA_NONE,
    { { "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "application", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 } },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};
static const SecretSchema match_schema = {
    "org.freedesktop.Secret.Generic", SECRET_SCHEMA_DONT_MATCH_NAME,
    { { "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "application", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 } },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/*
 * Every libsecret/GLib function the shim calls: (field, symbol). The table is one static struct
 * of pointers typed by the library's own prototypes (__typeof__ only names the declaration; it
 * references no symbol), filled by sg_library_load (CSGSys) in the form of Chromium's libsecret
 * loader. This file never calls a library function by its own name, so nothing is linked against
 * libsecret and nothing in the executable is named like the library.
 */
#define SG_SECRET_FUNCTIONS(X) \
    X(free, g_free) \
    X(error_free, g_error_free) \
    X(quark_to_string, g_quark_to_string) \
    X(hash_table_new_full, g_hash_table_new_full) \
    X(hash_table_insert, g_hash_table_insert) \
    X(hash_table_unref, g_hash_table_unref) \
    X(hash_table_foreach, g_hash_table_foreach) \
    X(hash_table_size, g_hash_table_size) \
    X(str_hash, g_str_hash) \
    X(str_equal, g_str_equal) \
    X(strdup, g_strdup) \
    X(list_free_full, g_list_free_full) \
    X(object_unref, g_object_unref) \
    X(cancellable_new, g_cancellable_new) \
    X(cancellable_cancel, g_cancellable_cancel) \
    X(bus_get_sync, g_bus_get_sync) \
    X(dbus_call_sync, g_dbus_connection_call_sync) \
    X(variant_new, g_variant_new) \
    X(variant_get, g_variant_get) \
    X(variant_unref, g_variant_unref) \
    X(service_get_sync, secret_service_get_sync) \
    X(service_search_sync, secret_service_search_sync) \
    X(service_store_sync, secret_service_store_sync) \
    X(service_clear_sync, secret_service_clear_sync) \
    X(collection_for_alias_sync, secret_collection_for_alias_sync) \
    X(collection_get_locked, secret_collection_get_locked) \
    X(item_get_locked, secret_item_get_locked) \
    X(item_get_label, secret_item_get_label) \
    X(item_get_attributes, secret_item_get_attributes) \
    X(item_get_secret, secret_item_get_secret) \
    X(value_new, secret_value_new) \
    X(value_get, secret_value_get) \
    X(value_unref, secret_value_unref)

static struct {
#define SG_FIELD(field, symbol) __typeof__(&symbol) field;
    SG_SECRET_FUNCTIONS(SG_FIELD)
#undef SG_FIELD
} fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static char load_error[320];
static int load_ok = 0;
static SecretService *service;   /* the libsecret singleton, kept for the process */
/* The session bus the probe asked, kept when it found a Secret Service: GDBus's shared
 * connection lives only while someone holds it, so dropping it here made libsecret open a second
 * connection (connect, auth, Hello) right after (docs/secret-service-startup.md). */
static GDBusConnection *probe_bus;

#define SG_NAME(field, symbol) #symbol,
static const char *const symbols[] = { SG_SECRET_FUNCTIONS(SG_NAME) };
#undef SG_NAME

static void do_load(void) {
    static const char *const names[] = { "libsecret-1.so.0", NULL };
    static const sg_library library = { names, "libsecret-1.so.0", "libsecret-1-0", symbols, SG_COUNT(symbols) };
    load_ok = sg_library_load(&library, &fn, sizeof fn, load_error, sizeof load_error) != NULL;
}

int sgsecret_load(char *err, size_t errlen) {
    pthread_once(&load_once, do_load);
    return sg_library_answer(load_ok, load_error, err, errlen);
}

int sgsecret_is_loaded(void) { return load_ok; }

/* ---- errors ---- */
static void set_error(sgsecret_error *out, const char *domain, int code, const char *message) {
    if (!out) return;
    snprintf(out->domain, sizeof out->domain, "%s", domain);
    out->code = code;
    snprintf(out->message, sizeof out->message, "%s", message ? message : "");
}

static void take_gerror(sgsecret_error *out, GError *e) {
    if (!e) { set_error(out, "sg", -1, "unknown error (no GError)"); return; }
    const char *domain = fn.quark_to_string(e->domain);
    set_error(out, domain ? domain : "?", e->code, e->message);
    fn.error_free(e);
}

/* ---- watchdog: cancels a GCancellable when the deadline passes ---- */
typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int done, fired, ms;
    GCancellable *cancellable;
    pthread_t thread;
} watchdog;

static void *watchdog_main(void *arg) {
    watchdog *w = arg;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += w->ms / 1000;
    deadline.tv_nsec += (long)(w->ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec += 1; deadline.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&w->m);
    while (!w->done) {
        if (pthread_cond_timedwait(&w->c, &w->m, &deadline) == ETIMEDOUT) {
            if (!w->done) { w->fired = 1; fn.cancellable_cancel(w->cancellable); }
            break;
        }
    }
    pthread_mutex_unlock(&w->m);
    return NULL;
}

/* Starts the watchdog; -1 with `err` set when its thread cannot be started. */
static int watchdog_start(watchdog *w, int ms, sgsecret_error *err) {
    memset(w, 0, sizeof *w);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->c, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&w->m, NULL);
    w->ms = ms > 0 ? ms : 1500;
    w->cancellable = fn.cancellable_new();
    if (pthread_create(&w->thread, NULL, watchdog_main, w) == 0) return 0;
    pthread_cond_destroy(&w->c);
    pthread_mutex_destroy(&w->m);
    fn.object_unref(w->cancellable);
    set_error(err, "sg", -1, "cannot start watchdog thread");
    return -1;
}

/* Stops the watchdog; returns 1 if it had fired. */
static int watchdog_stop(watchdog *w) {
    pthread_mutex_lock(&w->m);
    w->done = 1;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->c);
    pthread_mutex_destroy(&w->m);
    fn.object_unref(w->cancellable);
    return w->fired;
}

static void fail_timeout(sgsecret_error *err, int ms, const char *what) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s did not answer within %d ms", what, ms);
    set_error(err, "sg", -2, msg);
    if (err) err->timed_out = 1;
}

/* ---- helpers ---- */
static GHashTable *make_attributes(const char *const *attributes) {
    GHashTable *t = fn.hash_table_new_full(fn.str_hash, fn.str_equal, fn.free, fn.free);
    for (const char *const *p = attributes; p && p[0] && p[1]; p += 2)
        fn.hash_table_insert(t, fn.strdup(p[0]), fn.strdup(p[1]));
    return t;
}

/* The one error path of a call run under the watchdog: a timeout when the watchdog fired, else
 * the call's own GError. */
static void fail_call(GError *e, int fired, int timeout_ms, const char *what, sgsecret_error *err) {
    if (fired) { if (e) fn.error_free(e); fail_timeout(err, timeout_ms, what); }
    else take_gerror(err, e);
}

/* The libsecret service singleton with a session open; caller holds call_lock. */
static SecretService *get_service(int timeout_ms, sgsecret_error *err) {
    if (service) return service;
    watchdog w;
    if (watchdog_start(&w, timeout_ms, err) != 0) return NULL;
    GError *e = NULL;
    SecretService *s = fn.service_get_sync(SECRET_SERVICE_OPEN_SESSION, w.cancellable, &e);
    int fired = watchdog_stop(&w);
    if (!s) {
        fail_call(e, fired, timeout_ms, "the Secret Service", err);
        return NULL;
    }
    service = s;
    return s;
}

#define BEGIN(err) \
    if (sgsecret_load(NULL, 0) != 0) { set_error(err, "sg", -1, load_error); return -1; } \
    pthread_mutex_lock(&call_lock);
#define END(rc) do { pthread_mutex_unlock(&call_lock); return (rc); } while (0)

/* One call to the Secret Service under call_lock: the service, the attributes (when given) and a
 * running watchdog whose cancellable the call takes, and the GError it may set. */
typedef struct {
    SecretService *service;
    GHashTable *attrs;
    watchdog w;
    GError *error;
} service_call;

static int call_start(service_call *c, const char *const *attributes, int timeout_ms, sgsecret_error *err) {
    c->error = NULL;
    c->attrs = NULL;
    c->service = get_service(timeout_ms, err);
    if (!c->service || watchdog_start(&c->w, timeout_ms, err) != 0) return -1;
    if (attributes) c->attrs = make_attributes(attributes);
    return 0;
}

/* Stops the watchdog and frees the attributes; when the call `failed`, sets `err` (a timeout
 * when the watchdog fired) and returns -1. */
static int call_finish(service_call *c, int failed, int timeout_ms, sgsecret_error *err) {
    int fired = watchdog_stop(&c->w);
    if (c->attrs) fn.hash_table_unref(c->attrs);
    if (failed) { fail_call(c->error, fired, timeout_ms, "the Secret Service", err); return -1; }
    if (c->error) fn.error_free(c->error);
    return 0;
}

/* ---- probe ---- */
int sgsecret_probe(int timeout_ms, sgsecret_error *err) {
    BEGIN(err);
    watchdog w;
    if (watchdog_start(&w, timeout_ms, err) != 0) END(-1);
    GError *e = NULL;
    GDBusConnection *bus = fn.bus_get_sync(G_BUS_TYPE_SESSION, w.cancellable, &e);
    int fired = watchdog_stop(&w);
    if (!bus) {
        fail_call(e, fired, timeout_ms, "the session bus", err);
        END(-1);
    }
    int rc = 0;
    GVariant *reply = fn.dbus_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                        "NameHasOwner", fn.variant_new("(s)", "org.freedesktop.secrets"),
                                        NULL, 0, timeout_ms, NULL, &e);
    if (!reply) { take_gerror(err, e); fn.object_unref(bus); END(-1); }
    gboolean owned = 0;
    fn.variant_get(reply, "(b)", &owned);
    fn.variant_unref(reply);
    if (owned) rc = 1;
    else {
        reply = fn.dbus_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                  "ListActivatableNames", NULL, NULL, 0, timeout_ms, NULL, &e);
        if (!reply) { take_gerror(err, e); fn.object_unref(bus); END(-1); }
        const char **names = NULL;
        fn.variant_get(reply, "(^a&s)", &names);
        for (const char **p = names; p && *p; p++)
            if (strcmp(*p, "org.freedesktop.secrets") == 0) { rc = 2; break; }
        fn.free(names);
        fn.variant_unref(reply);
    }
    /* A Secret Service to use: keep the shared connection for libsecret (which takes the same
     * g_bus_get singleton) instead of closing it and connecting again. */
    if (rc != 0 && !probe_bus) probe_bus = bus;
    else fn.object_unref(bus);
    END(rc);
}

/* ---- store ---- */
int sgsecret_store(const char *collection, const char *label, const char *const *attributes,
                   const char *secret, int timeout_ms, sgsecret_error *err) {
    BEGIN(err);
    service_call c;
    if (call_start(&c, attributes, timeout_ms, err) != 0) END(-1);
    SecretValue *value = fn.value_new(secret, -1, "text/plain");
    gboolean ok = fn.service_store_sync(c.service, &store_schema, c.attrs, collection, label, value, c.w.cancellable, &c.error);
    fn.value_unref(value);   /* libsecret wipes the secret's memory */
    if (call_finish(&c, !ok, timeout_ms, err) != 0) END(-1);
    END(0);
}

/* ---- search ---- */
typedef struct { const char **pairs; size_t n; } attr_list;

static void collect_attr(void *k, void *v, void *user) {
    attr_list *l = user;
    l->pairs[l->n++] = k;
    l->pairs[l->n++] = v;
}

int sgsecret_search(const char *const *attributes, int load_secrets, int timeout_ms,
                    sgsecret_item_cb cb, void *ctx, sgsecret_error *err) {
    BEGIN(err);
    service_call c;
    if (call_start(&c, attributes, timeout_ms, err) != 0) END(-1);
    int flags = SECRET_SEARCH_ALL | (load_secrets ? SECRET_SEARCH_LOAD_SECRETS : 0);
    GList *items = fn.service_search_sync(c.service, &match_schema, c.attrs, flags, c.w.cancellable, &c.error);
    if (call_finish(&c, !items && c.error, timeout_ms, err) != 0) END(-1);
    int count = 0;
    for (GList *n = items; n; n = n->next) {
        SecretItem *item = n->data;
        int locked = fn.item_get_locked(item) ? 1 : 0;
        char *label = fn.item_get_label(item);
        GHashTable *table = fn.item_get_attributes(item);
        unsigned int size = table ? fn.hash_table_size(table) : 0;
        const char **pairs = calloc((size_t)size * 2 + 1, sizeof(char *));
        attr_list list = { pairs, 0 };
        if (table && pairs) fn.hash_table_foreach(table, collect_attr, &list);
        SecretValue *value = (!locked && load_secrets) ? fn.item_get_secret(item) : NULL;
        size_t length = 0;
        const char *bytes = value ? fn.value_get(value, &length) : NULL;
        if (cb && pairs) cb(ctx, label ? label : "", pairs, locked, (const unsigned char *)bytes, bytes ? length : 0);
        if (value) fn.value_unref(value);
        free(pairs);
        if (table) fn.hash_table_unref(table);
        fn.free(label);
        count++;
    }
    fn.list_free_full(items, fn.object_unref);
    END(count);
}

/* ---- clear ---- */
int sgsecret_clear(const char *const *attributes, int timeout_ms, sgsecret_error *err) {
    BEGIN(err);
    service_call c;
    if (call_start(&c, attributes, timeout_ms, err) != 0) END(-1);
    gboolean removed = fn.service_clear_sync(c.service, &match_schema, c.attrs, c.w.cancellable, &c.error);
    if (call_finish(&c, c.error != NULL, timeout_ms, err) != 0) END(-1);
    END(removed ? 1 : 0);
}

/* ---- lock state ---- */
int sgsecret_collection_locked(const char *alias, int timeout_ms, sgsecret_error *err) {
    BEGIN(err);
    service_call c;
    if (call_start(&c, NULL, timeout_ms, err) != 0) END(-1);
    SecretCollection *collection = fn.collection_for_alias_sync(c.service, alias, 0, c.w.cancellable, &c.error);
    if (call_finish(&c, !collection && c.error, timeout_ms, err) != 0) END(-1);
    if (!collection) END(2);   /* no collection under that alias */
    int locked = fn.collection_get_locked(collection) ? 1 : 0;
    fn.object_unref(collection);
    END(locked);
}
