/*
 * The read-only fast path: a lookup straight over D-Bus with libdbus (dlopen("libdbus-1.so.3")),
 * the Secret Service API's "plain" session algorithm, and one connection that lives for this
 * call only. libsecret is not loaded: its GObject/GIO start-up and the Diffie-Hellman session
 * it always negotiates were most of a cached `git-credential-sg get` (docs/bench.md).
 *
 * "plain" is one of the two algorithms the Secret Service API defines; the secret crosses the
 * local bus unencrypted, as it does for any client that reads it over D-Bus without a DH
 * session, and only the caller and the bus daemon (both this user's) see it. The reply buffer
 * that held it is wiped before it is freed.
 *
 * Anything the fast path cannot do (no libdbus, no bus address, an error other than a timeout)
 * returns SGSECRET_FAST_UNAVAILABLE and the caller uses libsecret, whose error messages the
 * tools already explain. A call that times out is reported, not retried through libsecret.
 *
 * The libdbus types are declared here (no dbus headers, as secretshim.c declares glib's):
 * DBusError and DBusMessageIter are the public, fixed-layout structs of dbus 1.x.
 */
#include "secretshim.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef uint32_t dbus_bool_t;
typedef struct DBusConnection DBusConnection;
typedef struct DBusMessage DBusMessage;
typedef struct {
    const char *name;
    const char *message;
    unsigned int dummy1 : 1, dummy2 : 1, dummy3 : 1, dummy4 : 1, dummy5 : 1;
    void *padding1;
} DBusError;
typedef struct {
    void *dummy1, *dummy2;
    uint32_t dummy3;
    int dummy4, dummy5, dummy6, dummy7, dummy8, dummy9, dummy10, dummy11;
    int pad1;
    void *pad2, *pad3;
} DBusMessageIter;

enum {
    T_INVALID = 0, T_ARRAY = 'a', T_BOOLEAN = 'b', T_BYTE = 'y', T_DICT_ENTRY = 'e', T_OBJECT_PATH = 'o',
    T_STRING = 's', T_STRUCT = 'r', T_VARIANT = 'v',
};

static struct {
    void (*error_init)(DBusError *);
    void (*error_free)(DBusError *);
    DBusConnection *(*connection_open_private)(const char *, DBusError *);
    void (*connection_close)(DBusConnection *);
    void (*connection_unref)(DBusConnection *);
    DBusMessage *(*send_with_reply_and_block)(DBusConnection *, DBusMessage *, int, DBusError *);
    DBusMessage *(*message_new_method_call)(const char *, const char *, const char *, const char *);
    void (*message_unref)(DBusMessage *);
    void (*iter_init_append)(DBusMessage *, DBusMessageIter *);
    dbus_bool_t (*iter_append_basic)(DBusMessageIter *, int, const void *);
    dbus_bool_t (*iter_open_container)(DBusMessageIter *, int, const char *, DBusMessageIter *);
    dbus_bool_t (*iter_close_container)(DBusMessageIter *, DBusMessageIter *);
    dbus_bool_t (*iter_init)(DBusMessage *, DBusMessageIter *);
    int (*iter_get_arg_type)(DBusMessageIter *);
    void (*iter_recurse)(DBusMessageIter *, DBusMessageIter *);
    dbus_bool_t (*iter_next)(DBusMessageIter *);
    void (*iter_get_basic)(DBusMessageIter *, void *);
    void (*iter_get_fixed_array)(DBusMessageIter *, void *, int *);
} d;

static pthread_once_t dbus_once = PTHREAD_ONCE_INIT;
static int dbus_ok;

static void load_dbus(void) {
    void *lib = dlopen("libdbus-1.so.3", RTLD_LAZY | RTLD_LOCAL);
    if (!lib) return;
#define SYM(field, name) do { *(void **)(&d.field) = dlsym(lib, name); if (!d.field) return; } while (0)
    SYM(error_init, "dbus_error_init");
    SYM(error_free, "dbus_error_free");
    SYM(connection_open_private, "dbus_connection_open_private");
    SYM(connection_close, "dbus_connection_close");
    SYM(connection_unref, "dbus_connection_unref");
    SYM(send_with_reply_and_block, "dbus_connection_send_with_reply_and_block");
    SYM(message_new_method_call, "dbus_message_new_method_call");
    SYM(message_unref, "dbus_message_unref");
    SYM(iter_init_append, "dbus_message_iter_init_append");
    SYM(iter_append_basic, "dbus_message_iter_append_basic");
    SYM(iter_open_container, "dbus_message_iter_open_container");
    SYM(iter_close_container, "dbus_message_iter_close_container");
    SYM(iter_init, "dbus_message_iter_init");
    SYM(iter_get_arg_type, "dbus_message_iter_get_arg_type");
    SYM(iter_recurse, "dbus_message_iter_recurse");
    SYM(iter_next, "dbus_message_iter_next");
    SYM(iter_get_basic, "dbus_message_iter_get_basic");
    SYM(iter_get_fixed_array, "dbus_message_iter_get_fixed_array");
#undef SYM
    dbus_ok = 1;
}

int sgsecret_fast_is_loaded(void) { return dbus_ok; }

/* The session bus address as GDBus finds it: DBUS_SESSION_BUS_ADDRESS, else the systemd user
 * bus socket. NULL when neither (libsecret then explains). */
static int bus_address(char *out, size_t len) {
    const char *a = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (a && *a) { snprintf(out, len, "%s", a); return 0; }
    const char *r = getenv("XDG_RUNTIME_DIR");
    if (!r || !*r) return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/bus", r);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) return -1;
    snprintf(out, len, "unix:path=%s", path);
    return 0;
}

typedef struct {
    DBusConnection *conn;
    DBusMessage *session_reply;   /* keeps the session path alive */
    const char *session;
    int timeout_ms;
    int timed_out;
    char error_name[128];
    char error_message[300];
} call_ctx;

/* Sends and waits; NULL on error (the context says which). */
static DBusMessage *call(call_ctx *c, DBusMessage *m) {
    if (!m) return NULL;
    DBusError e;
    d.error_init(&e);
    DBusMessage *reply = d.send_with_reply_and_block(c->conn, m, c->timeout_ms, &e);
    d.message_unref(m);
    if (!reply) {
        const char *name = e.name ? e.name : "";
        c->timed_out = strcmp(name, "org.freedesktop.DBus.Error.NoReply") == 0 ||
                       strcmp(name, "org.freedesktop.DBus.Error.Timeout") == 0 ||
                       strcmp(name, "org.freedesktop.DBus.Error.TimedOut") == 0;
        snprintf(c->error_name, sizeof c->error_name, "%s", name);
        snprintf(c->error_message, sizeof c->error_message, "%s", e.message ? e.message : "D-Bus call failed");
        d.error_free(&e);
    }
    return reply;
}

static DBusMessage *secrets_call(const char *path, const char *iface, const char *method) {
    return d.message_new_method_call("org.freedesktop.secrets", path, iface, method);
}

/* Properties.Get(path, iface, name): the reply, with `it` inside its variant. */
static DBusMessage *get_property(call_ctx *c, const char *path, const char *iface, const char *name, DBusMessageIter *it) {
    DBusMessage *m = secrets_call(path, "org.freedesktop.DBus.Properties", "Get");
    if (!m) return NULL;
    DBusMessageIter a;
    d.iter_init_append(m, &a);
    d.iter_append_basic(&a, T_STRING, &iface);
    d.iter_append_basic(&a, T_STRING, &name);
    DBusMessage *r = call(c, m);
    if (!r) return NULL;
    DBusMessageIter top;
    if (!d.iter_init(r, &top) || d.iter_get_arg_type(&top) != T_VARIANT) { d.message_unref(r); return NULL; }
    d.iter_recurse(&top, it);
    return r;
}

static int open_call_ctx(call_ctx *c, int timeout_ms) {
    memset(c, 0, sizeof *c);
    c->timeout_ms = timeout_ms;
    pthread_once(&dbus_once, load_dbus);
    if (!dbus_ok) return -1;
    char address[600];
    if (bus_address(address, sizeof address) != 0) return -1;
    DBusError e;
    d.error_init(&e);
    c->conn = d.connection_open_private(address, &e);
    d.error_free(&e);
    if (!c->conn) return -1;
    /* Authentication and Hello, under our timeout (dbus_bus_register would wait 25 s). */
    DBusMessage *hello = call(c, d.message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                             "org.freedesktop.DBus", "Hello"));
    if (!hello) return -1;
    d.message_unref(hello);
    return 0;
}

static void close_call_ctx(call_ctx *c) {
    if (c->session_reply) d.message_unref(c->session_reply);
    if (c->conn) { d.connection_close(c->conn); d.connection_unref(c->conn); }
}

static int fail(call_ctx *c, sgsecret_error *err) {
    if (!c->timed_out) return SGSECRET_FAST_UNAVAILABLE;
    snprintf(err->domain, sizeof err->domain, "%s", "org.freedesktop.DBus.Error");
    err->code = -1;
    err->timed_out = 1;
    snprintf(err->message, sizeof err->message, "the Secret Service did not answer in time");
    return -1;
}

static int open_plain_session(call_ctx *c) {
    DBusMessage *m = secrets_call("/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "OpenSession");
    if (!m) return -1;
    const char *algorithm = "plain", *empty = "";
    DBusMessageIter a, v;
    d.iter_init_append(m, &a);
    d.iter_append_basic(&a, T_STRING, &algorithm);
    d.iter_open_container(&a, T_VARIANT, "s", &v);
    d.iter_append_basic(&v, T_STRING, &empty);
    d.iter_close_container(&a, &v);
    DBusMessage *r = call(c, m);
    if (!r) return -1;
    DBusMessageIter it;
    if (!d.iter_init(r, &it) || !d.iter_next(&it) || d.iter_get_arg_type(&it) != T_OBJECT_PATH) { d.message_unref(r); return -1; }
    d.iter_get_basic(&it, &c->session);
    c->session_reply = r;
    return 0;
}

/* Copies a{ss} at `it` into a NULL-terminated name/value array (malloc'd strings). */
static char **read_attributes(DBusMessageIter *it) {
    size_t n = 0, cap = 8;
    char **out = calloc(cap + 1, sizeof *out);
    if (!out || d.iter_get_arg_type(it) != T_ARRAY) return out;
    DBusMessageIter arr;
    d.iter_recurse(it, &arr);
    while (d.iter_get_arg_type(&arr) == T_DICT_ENTRY) {
        DBusMessageIter entry;
        d.iter_recurse(&arr, &entry);
        const char *k = NULL, *v = NULL;
        if (d.iter_get_arg_type(&entry) == T_STRING) d.iter_get_basic(&entry, &k);
        d.iter_next(&entry);
        if (d.iter_get_arg_type(&entry) == T_STRING) d.iter_get_basic(&entry, &v);
        if (k && v) {
            if (n + 2 > cap) {
                char **grown = realloc(out, (cap * 2 + 1) * sizeof *out);
                if (!grown) break;
                out = grown; cap *= 2;
            }
            out[n++] = strdup(k);
            out[n++] = strdup(v);
            out[n] = NULL;
        }
        d.iter_next(&arr);
    }
    return out;
}

static void free_attributes(char **a) {
    if (!a) return;
    for (char **p = a; *p; p++) free(*p);
    free(a);
}

/* Calls `fn` for each entry of a GetSecrets reply, a{o(oayays)}: the item path and its value bytes
 * (which point into the reply). */
typedef void (*secret_fn)(const char *path, unsigned char *value, int length, void *ctx);

static void for_each_secret(DBusMessage *secrets, secret_fn fn, void *ctx) {
    DBusMessageIter top, map;
    if (!secrets || !d.iter_init(secrets, &top) || d.iter_get_arg_type(&top) != T_ARRAY) return;
    d.iter_recurse(&top, &map);
    while (d.iter_get_arg_type(&map) == T_DICT_ENTRY) {
        DBusMessageIter entry, secret, bytes;
        const char *path = NULL;
        d.iter_recurse(&map, &entry);
        if (d.iter_get_arg_type(&entry) == T_OBJECT_PATH) d.iter_get_basic(&entry, &path);
        if (path && d.iter_next(&entry) && d.iter_get_arg_type(&entry) == T_STRUCT) {
            d.iter_recurse(&entry, &secret);   /* (o session, ay parameters, ay value, s content type) */
            d.iter_next(&secret);
            d.iter_next(&secret);
            if (d.iter_get_arg_type(&secret) == T_ARRAY) {
                unsigned char *value = NULL;
                int length = 0;
                d.iter_recurse(&secret, &bytes);
                d.iter_get_fixed_array(&bytes, &value, &length);
                fn(path, value, length, ctx);
            }
        }
        d.iter_next(&map);
    }
}

typedef struct { const char *path; unsigned char *value; int length; } secret_query;

static void find_secret(const char *path, unsigned char *value, int length, void *ctx) {
    secret_query *q = ctx;
    if (!q->value && strcmp(path, q->path) == 0) { q->value = value; q->length = length; }
}

static void wipe_secret(const char *path, unsigned char *value, int length, void *ctx) {
    (void)path; (void)ctx;
    if (value && length > 0) explicit_bzero(value, (size_t)length);
}

#define MAX_ITEMS 64

int sgsecret_fast_search(const char *const *attributes, int timeout_ms,
                         sgsecret_item_cb cb, void *ctx, sgsecret_error *err) {
    call_ctx c;
    int rc = SGSECRET_FAST_UNAVAILABLE;
    DBusMessage *search = NULL, *secrets = NULL;
    if (open_call_ctx(&c, timeout_ms) != 0 || open_plain_session(&c) != 0) { rc = fail(&c, err); goto out; }

    DBusMessage *m = secrets_call("/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "SearchItems");
    if (!m) goto out;
    DBusMessageIter a, dict;
    d.iter_init_append(m, &a);
    d.iter_open_container(&a, T_ARRAY, "{ss}", &dict);
    for (const char *const *p = attributes; p && p[0] && p[1]; p += 2) {
        DBusMessageIter entry;
        d.iter_open_container(&dict, T_DICT_ENTRY, NULL, &entry);
        d.iter_append_basic(&entry, T_STRING, &p[0]);
        d.iter_append_basic(&entry, T_STRING, &p[1]);
        d.iter_close_container(&dict, &entry);
    }
    d.iter_close_container(&a, &dict);
    if (!(search = call(&c, m))) { rc = fail(&c, err); goto out; }

    /* (ao unlocked, ao locked) */
    const char *paths[2][MAX_ITEMS];
    int counts[2] = { 0, 0 };
    DBusMessageIter it;
    if (!d.iter_init(search, &it)) goto out;
    for (int list = 0; list < 2; list++) {
        if (d.iter_get_arg_type(&it) != T_ARRAY) goto out;
        DBusMessageIter arr;
        d.iter_recurse(&it, &arr);
        while (d.iter_get_arg_type(&arr) == T_OBJECT_PATH && counts[list] < MAX_ITEMS) {
            d.iter_get_basic(&arr, &paths[list][counts[list]++]);
            d.iter_next(&arr);
        }
        d.iter_next(&it);
    }

    /* The unlocked items' secrets, in one call: a{o(oayays)}. */
    if (counts[0] > 0) {
        m = secrets_call("/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "GetSecrets");
        if (!m) goto out;
        DBusMessageIter arr;
        d.iter_init_append(m, &a);
        d.iter_open_container(&a, T_ARRAY, "o", &arr);
        for (int i = 0; i < counts[0]; i++) d.iter_append_basic(&arr, T_OBJECT_PATH, &paths[0][i]);
        d.iter_close_container(&a, &arr);
        d.iter_append_basic(&a, T_OBJECT_PATH, &c.session);
        if (!(secrets = call(&c, m))) { rc = fail(&c, err); goto out; }
    }

    int reported = 0;
    for (int list = 0; list < 2; list++) {
        for (int i = 0; i < counts[list]; i++) {
            DBusMessageIter v;
            DBusMessage *attrs_reply = get_property(&c, paths[list][i], "org.freedesktop.Secret.Item", "Attributes", &v);
            if (!attrs_reply) { rc = fail(&c, err); goto out; }
            char **attrs = read_attributes(&v);
            d.message_unref(attrs_reply);
            secret_query q = { paths[list][i], NULL, 0 };
            if (list == 0) for_each_secret(secrets, find_secret, &q);
            unsigned char *value = q.value;
            int length = q.length;
            if (cb && attrs) cb(ctx, "", (const char *const *)attrs, list == 1, value, value ? (size_t)length : 0);
            free_attributes(attrs);
            reported++;
        }
    }
    rc = reported;
out:
    if (secrets) {
        for_each_secret(secrets, wipe_secret, NULL);   /* before libdbus frees the reply */
        d.message_unref(secrets);
    }
    if (search) d.message_unref(search);
    close_call_ctx(&c);
    return rc;
}

int sgsecret_fast_collection_locked(const char *alias, int timeout_ms, sgsecret_error *err) {
    call_ctx c;
    int rc = SGSECRET_FAST_UNAVAILABLE;
    DBusMessage *alias_reply = NULL;
    if (open_call_ctx(&c, timeout_ms) != 0) { rc = fail(&c, err); goto out; }
    DBusMessage *m = secrets_call("/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "ReadAlias");
    if (!m) goto out;
    DBusMessageIter a;
    d.iter_init_append(m, &a);
    d.iter_append_basic(&a, T_STRING, &alias);
    if (!(alias_reply = call(&c, m))) { rc = fail(&c, err); goto out; }
    const char *path = NULL;
    DBusMessageIter it;
    if (!d.iter_init(alias_reply, &it) || d.iter_get_arg_type(&it) != T_OBJECT_PATH) goto out;
    d.iter_get_basic(&it, &path);
    if (!path || strcmp(path, "/") == 0) { rc = 2; goto out; }
    DBusMessageIter v;
    DBusMessage *locked_reply = get_property(&c, path, "org.freedesktop.Secret.Collection", "Locked", &v);
    if (!locked_reply) { rc = fail(&c, err); goto out; }
    if (d.iter_get_arg_type(&v) == T_BOOLEAN) {
        dbus_bool_t locked = 0;
        d.iter_get_basic(&v, &locked);
        rc = locked ? 1 : 0;
    }
    d.message_unref(locked_reply);
out:
    if (alias_reply) d.message_unref(alias_reply);
    close_call_ctx(&c);
    return rc;
}

int sgsecret_fast_probe(int timeout_ms, sgsecret_error *err) {
    call_ctx c;
    int rc = SGSECRET_FAST_UNAVAILABLE;
    DBusMessage *r = NULL;
    if (open_call_ctx(&c, timeout_ms) != 0) { rc = fail(&c, err); goto out; }
    const char *name = "org.freedesktop.secrets";
    DBusMessage *m = d.message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                               "org.freedesktop.DBus", "NameHasOwner");
    if (!m) goto out;
    DBusMessageIter a, it;
    d.iter_init_append(m, &a);
    d.iter_append_basic(&a, T_STRING, &name);
    if (!(r = call(&c, m))) { rc = fail(&c, err); goto out; }
    dbus_bool_t owned = 0;
    if (!d.iter_init(r, &it) || d.iter_get_arg_type(&it) != T_BOOLEAN) goto out;
    d.iter_get_basic(&it, &owned);
    d.message_unref(r);
    r = NULL;
    if (owned) { rc = 1; goto out; }
    m = d.message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                  "ListActivatableNames");
    if (!(r = call(&c, m))) { rc = fail(&c, err); goto out; }
    if (!d.iter_init(r, &it) || d.iter_get_arg_type(&it) != T_ARRAY) goto out;
    DBusMessageIter names;
    d.iter_recurse(&it, &names);
    rc = 0;
    while (d.iter_get_arg_type(&names) == T_STRING) {
        const char *n = NULL;
        d.iter_get_basic(&names, &n);
        if (n && strcmp(n, name) == 0) { rc = 2; break; }
        d.iter_next(&names);
    }
out:
    if (r) d.message_unref(r);
    close_call_ctx(&c);
    return rc;
}
