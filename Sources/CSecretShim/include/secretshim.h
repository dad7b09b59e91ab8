#pragma once
/*
 * The Secret Service through libsecret, the only client sg has for it. libsecret (with gio,
 * gobject and glib) is loaded with dlopen("libsecret-1.so.0") on first use, so a tool that never
 * touches the keyring does not pay for it; secretshim.c compiles against libsecret's and GLib's
 * own headers (pkg-config libsecret-1) and resolves each function into a private table.
 * Swift sees only plain C types here, so the Swift modules need no GLib include paths.
 *
 * Every value is read and written over libsecret's default session, which is encrypted
 * (Diffie-Hellman, AES): no secret crosses the bus in clear.
 *
 * Every call that talks to D-Bus runs under `timeout_ms`: GDBus calls get it as their own
 * timeout, libsecret calls (which take no timeout, only a GCancellable) get one that a watchdog
 * thread cancels when time is up, so an unlock prompt or a hung daemon can never hang a cron job.
 * No call here asks the Secret Service to unlock anything (no prompts).
 *
 * Calls are serialised by one process-wide mutex.
 */
#include <stddef.h>

/* What went wrong, copied out of a GError. `timed_out` is set when the watchdog fired. */
typedef struct {
    char domain[64];
    int code;
    int timed_out;
    char message[448];
} sgsecret_error;

/* Loads libsecret-1.so.0 and resolves every symbol; 0 on success, else -1 with `err` filled. */
int sgsecret_load(char *err, size_t errlen);

/* 1 once sgsecret_load succeeded in this process (tests check the lazy load). */
int sgsecret_is_loaded(void);

/* Is a Secret Service on the session bus? 1 = a process owns org.freedesktop.secrets,
 * 2 = it is activatable, 0 = neither, -1 = no session bus (err says why). */
int sgsecret_probe(int timeout_ms, sgsecret_error *err);

/*
 * Attributes are passed as a NULL-terminated array of alternating names and values:
 * {"service", "isp-alice", "username", "ark", NULL}. Names must be among the schema's
 * attributes: service, username, application.
 */

/* Stores `secret` (UTF-8 text, NUL-terminated, content type text/plain) in the collection
 * with alias `collection` ("default" or "session"), replacing an item with the same
 * attributes. 0 on success, -1 on error. Does not unlock: check sgsecret_collection_locked first. */
int sgsecret_store(const char *collection, const char *label, const char *const *attributes,
                   const char *secret, int timeout_ms, sgsecret_error *err);

/* Called once per item found. `attributes` is NULL-terminated name/value pairs; `secret` is
 * NULL (and `length` 0) for a locked item. Pointers are valid only during the call; the
 * secret's memory is wiped by libsecret when the call returns. */
typedef void (*sgsecret_item_cb)(void *ctx, const char *label, const char *const *attributes,
                                 int locked, const unsigned char *secret, size_t length);

/* Searches every collection for items whose attributes match (the schema name is not matched,
 * so items written by python-keyring without xdg:schema are found), loading the secrets of
 * unlocked items. Never prompts. Returns the number of items, or -1 on error. */
int sgsecret_search(const char *const *attributes, int load_secrets, int timeout_ms,
                    sgsecret_item_cb cb, void *ctx, sgsecret_error *err);

/* Deletes every unlocked item matching the attributes. 1 = something was deleted, 0 = nothing
 * matched, -1 on error. */
int sgsecret_clear(const char *const *attributes, int timeout_ms, sgsecret_error *err);

/* Lock state of the collection with alias `alias` ("default", "session", "login").
 * 1 = locked, 0 = unlocked, 2 = no collection has that alias, -1 on error. */
int sgsecret_collection_locked(const char *alias, int timeout_ms, sgsecret_error *err);
