/*
 * testutil.h - helpers shared by the CUnit suites: keys and self-signed
 * certificates made in-process with OpenSSL, files with a given mode,
 * temporary directories, and running the openssl CLI.
 */
#ifndef CS_TESTUTIL_H
#define CS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A new key: "rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384". */
EVP_PKEY *tu_make_key(const char *alg);

/*
 * A self-signed certificate for key with CN=cn, valid from now+from_secs
 * to now+to_secs (negative values put it in the past).  With skid != 0 it
 * carries a subjectKeyIdentifier (SHA-1 of the public key) and an
 * authorityKeyIdentifier; keyUsage digitalSignature, keyEncipherment
 * (RSA) or keyAgreement (EC); basicConstraints CA:FALSE.  A random serial.
 */
X509 *tu_make_cert(EVP_PKEY *key, const char *cn, long from_secs,
    long to_secs, int skid);

/* The usual case: valid for a year, with SKID. */
X509 *tu_make_cert_simple(EVP_PKEY *key, const char *cn);

/* Creates a 0700 directory under $TMPDIR or /tmp; returns a malloc'ed path. */
char *tu_tmpdir(const char *prefix);

/* Removes a directory tree (best effort). */
void tu_rmrf(const char *path);

/* dir "/" name, malloc'ed. */
char *tu_path(const char *dir, const char *name);

/* Writes a file with mode (0 on success). */
int tu_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* Reads a whole file (malloc'ed, NUL-terminated); NULL on error. */
uint8_t *tu_read_file(const char *path, size_t *lenp);

/* PEM writers; key unencrypted when pass is NULL.  0 on success. */
int tu_write_key_pem(const char *path, EVP_PKEY *key, const char *pass,
    mode_t mode);
int tu_write_cert_pem(const char *path, X509 *cert);

/*
 * PKCS#12 with key, cert and the extra certs (may be NULL), protected by
 * pass ("" or NULL for none).  mode 0600 unless stated.
 */
int tu_write_p12(const char *path, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *extra, const char *pass, mode_t mode);

/* DER of a PEM CMS text (malloc'ed), or NULL. */
uint8_t *tu_pem_to_der(const uint8_t *pem, size_t len, size_t *derlen);

/* system() with the command echoed on failure; returns the exit status. */
int tu_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 1 when the openssl command-line tool is available. */
int tu_have_openssl_cli(void);

#endif /* CS_TESTUTIL_H */
