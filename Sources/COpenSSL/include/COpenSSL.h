#pragma once
/* OpenSSL's libcrypto, loaded with dlopen on first use (crypto.c), not linked: linking it costs
 * every process ~2.5 M instructions in the dynamic loader (docs/bench.md), and most runs of the
 * tools (an unmapped git host, a refused askpass prompt, a Secret Service lookup) never use it.
 *
 * The declarations are OpenSSL's own headers; the definitions Swift links against are crypto.c's
 * hidden forwarders over its private function table: they are never in an executable's dynamic
 * symbol table, so they never interpose on the real libcrypto that libcurl loads for TLS
 * (scripts/check-symbols fails a build that exports one). */
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/provider.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/bn.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>

/* Function-like macros Swift cannot import. */
static inline long sg_bio_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }

/* Whether libcrypto has been loaded by this process (for tests of what a path loads). */
int sg_crypto_is_loaded(void);

/* OpenSSL's error queue as one line, and the queue emptied: the reasons oldest first (the root
 * cause) joined by "; ", at most four (with more, the first three and the last, the outermost);
 * "no detail" when the queue is empty. Library reason strings only, never key material. The one
 * drainer: SGCrypto's OpenSSLError is built with it. */
void sg_crypto_error_line(char *out, size_t size);
