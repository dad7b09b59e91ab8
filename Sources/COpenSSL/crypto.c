/* libcrypto, loaded with dlopen on first use (see include/COpenSSL.h for why). A libcrypto that
 * cannot be loaded ends the process with one line and EX_UNAVAILABLE, the code DESIGN.md gives a
 * missing system component.
 *
 * SG_CRYPTO_FUNCTIONS lists every OpenSSL function SGCrypto calls (the one Swift module that
 * imports COpenSSL). sg_library_load (CSGSys) fills a private table of pointers (`fn`, static;
 * the form of Chromium's libsecret loader) and the compiler checks each entry against OpenSSL's
 * own prototype. SGCrypto calls OpenSSL's names, so each has a forwarder here that calls through the table; the
 * forwarders are hidden (visibility "hidden"): linked into the executable, never in its dynamic
 * symbol table, so nothing outside can bind to them and they cannot interpose on the real
 * libcrypto that libcurl's libssl loads (scripts/check-symbols checks it). A function missing
 * here fails the link, not the run. */
#define _GNU_SOURCE
#include "COpenSSL.h"
#include "sglibrary.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SG_CRYPTO_FUNCTIONS(R, V) \
    R(long, BIO_ctrl, (BIO *bp, int cmd, long larg, void *parg), (bp, cmd, larg, parg)) \
    R(int, BIO_free, (BIO *a), (a)) \
    R(BIO *, BIO_new, (const BIO_METHOD *type), (type)) \
    R(BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len)) \
    R(const BIO_METHOD *, BIO_s_mem, (void), ()) \
    V(void, BN_CTX_free, (BN_CTX *c), (c)) \
    R(BN_CTX *, BN_CTX_secure_new, (void), ()) \
    R(BIGNUM *, BN_bin2bn, (const unsigned char *s, int len, BIGNUM *ret), (s, len, ret)) \
    R(int, BN_bn2bin, (const BIGNUM *a, unsigned char *to), (a, to)) \
    V(void, BN_clear_free, (BIGNUM *a), (a)) \
    R(int, BN_cmp, (const BIGNUM *a, const BIGNUM *b), (a, b)) \
    R(int, BN_mul, (BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx), (r, a, b, ctx)) \
    R(BIGNUM *, BN_new, (void), ()) \
    R(int, BN_num_bits, (const BIGNUM *a), (a)) \
    V(void, EC_GROUP_free, (EC_GROUP *group), (group)) \
    R(EC_GROUP *, EC_GROUP_new_by_curve_name, (int nid), (nid)) \
    V(void, EC_POINT_clear_free, (EC_POINT *point), (point)) \
    R(int, EC_POINT_cmp, (const EC_GROUP *group, const EC_POINT *a, const EC_POINT *b, BN_CTX *ctx), (group, a, b, ctx)) \
    R(int, EC_POINT_mul, (const EC_GROUP *group, EC_POINT *r, const BIGNUM *n, const EC_POINT *q, const BIGNUM *m, BN_CTX *ctx), (group, r, n, q, m, ctx)) \
    R(EC_POINT *, EC_POINT_new, (const EC_GROUP *group), (group)) \
    R(int, EC_POINT_oct2point, (const EC_GROUP *group, EC_POINT *p, const unsigned char *buf, size_t len, BN_CTX *ctx), (group, p, buf, len, ctx)) \
    R(size_t, EC_POINT_point2oct, (const EC_GROUP *group, const EC_POINT *p, point_conversion_form_t form, unsigned char *buf, size_t len, BN_CTX *ctx), (group, p, form, buf, len, ctx)) \
    V(void, ERR_clear_error, (void), ()) \
    V(void, ERR_error_string_n, (unsigned long e, char *buf, size_t len), (e, buf, len)) \
    R(unsigned long, ERR_get_error, (void), ()) \
    R(int, EVP_CIPHER_CTX_ctrl, (EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr), (ctx, type, arg, ptr)) \
    V(void, EVP_CIPHER_CTX_free, (EVP_CIPHER_CTX *c), (c)) \
    R(EVP_CIPHER_CTX *, EVP_CIPHER_CTX_new, (void), ()) \
    R(int, EVP_DecryptFinal_ex, (EVP_CIPHER_CTX *ctx, unsigned char *outm, int *outl), (ctx, outm, outl)) \
    R(int, EVP_DecryptInit_ex, (EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key, const unsigned char *iv), (ctx, cipher, impl, key, iv)) \
    R(int, EVP_DecryptUpdate, (EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl), (ctx, out, outl, in, inl)) \
    R(int, EVP_Digest, (const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type, ENGINE *impl), (data, count, md, size, type, impl)) \
    R(int, EVP_EncryptFinal_ex, (EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl), (ctx, out, outl)) \
    R(int, EVP_EncryptInit_ex, (EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key, const unsigned char *iv), (ctx, cipher, impl, key, iv)) \
    R(int, EVP_EncryptUpdate, (EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl), (ctx, out, outl, in, inl)) \
    R(int, EVP_PBE_scrypt, (const char *pass, size_t passlen, const unsigned char *salt, size_t saltlen, uint64_t N, uint64_t r, uint64_t p, uint64_t maxmem, unsigned char *key, size_t keylen), (pass, passlen, salt, saltlen, N, r, p, maxmem, key, keylen)) \
    V(void, EVP_PKEY_free, (EVP_PKEY *pkey), (pkey)) \
    R(int, EVP_PKEY_get_base_id, (const EVP_PKEY *pkey), (pkey)) \
    R(int, EVP_PKEY_get_bn_param, (const EVP_PKEY *pkey, const char *key_name, BIGNUM **bn), (pkey, key_name, bn)) \
    R(int, EVP_PKEY_get_octet_string_param, (const EVP_PKEY *pkey, const char *key_name, unsigned char *buf, size_t max_buf_sz, size_t *out_sz), (pkey, key_name, buf, max_buf_sz, out_sz)) \
    R(int, EVP_PKEY_get_raw_private_key, (const EVP_PKEY *pkey, unsigned char *priv, size_t *len), (pkey, priv, len)) \
    R(int, EVP_PKEY_get_raw_public_key, (const EVP_PKEY *pkey, unsigned char *pub, size_t *len), (pkey, pub, len)) \
    R(int, EVP_PKEY_get_utf8_string_param, (const EVP_PKEY *pkey, const char *key_name, char *str, size_t max_buf_sz, size_t *out_sz), (pkey, key_name, str, max_buf_sz, out_sz)) \
    R(EVP_PKEY *, EVP_PKEY_new_raw_private_key, (int type, ENGINE *e, const unsigned char *priv, size_t len), (type, e, priv, len)) \
    R(const EVP_CIPHER *, EVP_aes_256_gcm, (void), ()) \
    R(const EVP_MD *, EVP_sha256, (void), ()) \
    R(unsigned char *, HMAC, (const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data, size_t data_len, unsigned char *md, unsigned int *md_len), (evp_md, key, key_len, data, data_len, md, md_len)) \
    V(void, OPENSSL_sk_free, (OPENSSL_STACK *st), (st)) \
    R(void *, OPENSSL_sk_shift, (OPENSSL_STACK *st), (st)) \
    R(OSSL_PROVIDER *, OSSL_PROVIDER_load, (OSSL_LIB_CTX *a0, const char *name), (a0, name)) \
    R(EVP_PKEY *, PEM_read_bio_PrivateKey, (BIO *out, EVP_PKEY **x, pem_password_cb *cb, void *u), (out, x, cb, u)) \
    R(X509 *, PEM_read_bio_X509, (BIO *out, X509 **x, pem_password_cb *cb, void *u), (out, x, cb, u)) \
    R(int, PEM_write_bio_PrivateKey, (BIO *out, const EVP_PKEY *x, const EVP_CIPHER *enc, const unsigned char *kstr, int klen, pem_password_cb *cb, void *u), (out, x, enc, kstr, klen, cb, u)) \
    R(int, PEM_write_bio_X509, (BIO *out, const X509 *x), (out, x)) \
    V(void, PKCS12_free, (PKCS12 *a), (a)) \
    R(int, PKCS12_parse, (PKCS12 *p12, const char *pass, EVP_PKEY **pkey, X509 **cert, struct stack_st_X509 **ca), (p12, pass, pkey, cert, ca)) \
    R(int, RAND_bytes, (unsigned char *buf, int num), (buf, num)) \
    R(char *, X509_NAME_oneline, (const X509_NAME *a, char *buf, int size), (a, buf, size)) \
    V(void, X509_free, (X509 *a), (a)) \
    R(X509_NAME *, X509_get_subject_name, (const X509 *a), (a)) \
    R(PKCS12 *, d2i_PKCS12_bio, (BIO *bp, PKCS12 **p12), (bp, p12))

static struct {
#define SG_FIELD(ret, name, params, args) ret (*name) params;
    SG_CRYPTO_FUNCTIONS(SG_FIELD, SG_FIELD)
#undef SG_FIELD
} fn;

#define SG_NAME(ret, name, params, args) #name,
static const char *const symbols[] = { SG_CRYPTO_FUNCTIONS(SG_NAME, SG_NAME) };
#undef SG_NAME

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[320];
static int loaded;

static void load(void) {
    static const char *const names[] = { "libcrypto.so.3", NULL };
    static const sg_library library = { names, "OpenSSL", "libssl3", symbols, SG_COUNT(symbols) };
    loaded = sg_library_load(&library, &fn, sizeof fn, load_error, sizeof load_error) != NULL;
}

static void require(void) {
    pthread_once(&once, load);
    if (loaded) return;
    char line[400];
    int n = snprintf(line, sizeof line, "sg: %s\n", load_error);
    if (n > 0) (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    _exit(69);
}

int sg_crypto_is_loaded(void) { return loaded; }

#define SG_HIDDEN __attribute__((visibility("hidden")))
#define RETURNING(ret, name, params, args) SG_HIDDEN ret name params { require(); return fn.name args; }
#define VOID(ret, name, params, args) SG_HIDDEN ret name params { require(); fn.name args; }
SG_CRYPTO_FUNCTIONS(RETURNING, VOID)

void sg_crypto_error_line(char *out, size_t size) {
    if (size == 0) return;
    unsigned long kept[4];
    int n = 0;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        if (n < 4) kept[n++] = e; else kept[3] = e;   /* the first three and the latest */
    }
    if (n == 0) { snprintf(out, size, "no detail"); return; }
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < n && used < size; i++) {
        char reason[256];
        ERR_error_string_n(kept[i], reason, sizeof reason);
        int w = snprintf(out + used, size - used, "%s%s", i ? "; " : "", reason);
        if (w < 0) break;
        used += (size_t)w;
    }
}
