/*
 * base.h - the base of certseal, below the library (src/lib), its sources
 * and the token layer (pkcs11/): errors and warnings recorded in a
 * context, wiped secret buffers and bounded file reads, where PINs come
 * from, recipient identifiers and the name printer.  It includes nothing
 * of certseal but the public header, so that the arrows of the tree point
 * only downward: tools -> library -> sources -> token layer -> base.
 *
 * The context is the library's (struct certseal_ctx, internal.h); the base
 * sees it only through the three functions at the end, which its owner
 * (src/lib/errors.c) supplies.
 */
#ifndef CS_BASE_H
#define CS_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <openssl/x509.h>

#include "certseal/certseal.h"

#define CS_ERRMSG_MAX	1024

/*
 * Records a one-line message for err in ctx and returns err, so that
 * callers can write `r = cs_error(ctx, CERTSEAL_E_IO, "...")`.  When the
 * OpenSSL error queue holds something, its first reason is appended and the
 * queue is cleared.  ctx may be NULL (the message is then dropped).
 */
int cs_error(certseal_ctx *ctx, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory"): returns E_NOMEM. */
int cs_nomem(certseal_ctx *ctx);

/*
 * A message kept aside while the context's buffer is used for something
 * else: the first hard error of a chain of sources, a load's outcome that
 * later calls repeat.  cs_error_save copies ctx's current message with
 * err; cs_error_restore puts that message back as it was and returns its
 * err, or, when err is 0 (nothing failed, or a zeroed one), leaves the
 * context alone and returns 0.  ctx may be NULL.
 */
struct cs_error_saved {
	int	err;
	char	msg[CS_ERRMSG_MAX];
};
void cs_error_save(certseal_ctx *ctx, int err, struct cs_error_saved *sv);
int cs_error_restore(certseal_ctx *ctx, const struct cs_error_saved *sv);
/*
 * One failure of a chain of sources: the first is kept in *sv (the answer
 * if nothing else works), each later one is said now as a warning.
 */
void cs_error_keep_first(certseal_ctx *ctx, int err,
    struct cs_error_saved *sv);

/*
 * Prefixes the context's current message with "prefix: " (used to add the
 * file name or the source URI as an error travels up).
 */
void cs_error_prefix(certseal_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sends a warning to the log callback, if any.  Never pass a secret. */
void cs_warn(certseal_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears the context's error message and the OpenSSL error queue. */
void cs_error_clear(certseal_ctx *ctx);

/*
 * A copy of s (malloc'ed; NULL on no memory) with the value of every
 * pin-value attribute replaced by REDACTED: for every message and every
 * URI either tool prints.  cs_error, cs_error_prefix and cs_warn apply it.
 */
char *cs_redact(const char *s);

/*
 * msg into buf of size bytes; when too long, the head and the tail are
 * kept ("head...tail"), so that the reason at the end survives.
 */
void cs_message_fit(char *buf, size_t size, const char *msg);

/*
 * Faults in the pages of a large buffer (1 MiB or more) that is about to
 * be written whole, with one system call instead of a fault per page.
 */
void cs_populate(void *p, size_t len);

/* Wipes len bytes at p so that no compiler removes it (NULL is fine). */
void cs_wipe(void *p, size_t len);

/*
 * Secrets: a heap buffer wiped (cs_wipe) before free.  Never
 * realloc'ed.  `data` always has one spare NUL byte after `len`, so a PIN
 * can be used as a C string.
 */
struct cs_secret {
	uint8_t	*data;
	size_t	 len;
	int	 ossl;		/* block is OPENSSL_malloc'ed (adopted) */
	uint8_t	*block;		/* the buffer when data lies inside it, */
	uint8_t	*span;		/* ...and the bytes wiped on free */
	size_t	 span_len;
};

int cs_secret_new(size_t len, struct cs_secret **out);
int cs_secret_from(const void *data, size_t len, struct cs_secret **out);
/*
 * Takes over block (malloc'ed, or OPENSSL_malloc'ed when ossl), whose
 * bytes data to data + len hold the secret and data[len] is the block's
 * too: it becomes the NUL.  Why: a large configuration decrypted in place
 * in the buffer its file was read into, or an OCTET STRING's value taken
 * from a parsed structure (data == block), is not copied out of it
 * (bench/ANALYSIS.md).  Those len + 1 bytes are wiped on free, then the
 * whole block is freed.  On failure they are wiped and block freed all
 * the same.
 */
int cs_secret_adopt_within(uint8_t *block, int ossl, uint8_t *data,
    size_t len, struct cs_secret **out);
/*
 * Narrows s to its bytes off to off + len (off + len <= s->len), which
 * then end with a NUL; the bytes wiped on free stay all of the old ones.
 */
void cs_secret_narrow(struct cs_secret *s, size_t off, size_t len);
void cs_secret_free(struct cs_secret *s);

/*
 * Opens an input file (input-file.c): path below dirfd (AT_FDCWD for a
 * plain path), read-only, never blocking on open, and refused at once
 * unless it is a regular file (a FIFO, device, directory or socket is
 * CERTSEAL_E_IO naming what it is).  flags may add O_NOFOLLOW.  shown is
 * the name for messages (NULL: path).  ENOENT is CERTSEAL_E_NOT_FOUND,
 * EACCES CERTSEAL_E_PERMISSION.  *stp (optional) receives the fstat.
 */
int cs_input_open(certseal_ctx *ctx, int dirfd, const char *path,
    const char *shown, int flags, int *fdp, struct stat *stp);

/* "a FIFO (named pipe)", "a directory"...: what a mode says a file is. */
const char *cs_file_kind(mode_t mode);

/*
 * Reads fd into buf until len bytes or the end of the file, retrying
 * EINTR (cs_write_all's counterpart): the number of bytes read, or -1
 * with errno on a read error.
 */
ssize_t cs_read_full(int fd, void *buf, size_t len);

/*
 * Reads fd (opened by cs_input_open, or stdin) to its end into a wiped
 * buffer of at most max bytes; shown names it in messages.
 */
int cs_read_secret_fd(certseal_ctx *ctx, int fd, const char *shown,
    size_t max, struct cs_secret **out);

/* Same, with fd's fstat already made (cs_input_open's *stp): one less. */
int cs_read_secret_fd_st(certseal_ctx *ctx, int fd, const char *shown,
    size_t max, const struct stat *st, struct cs_secret **out);

/*
 * geteuid(), asked of the kernel once: the owner checks of the store and
 * the state directory compare every file with it, and no certseal process
 * changes its effective uid.
 */
uid_t cs_euid(void);

/* Reads a whole file into *out (at most max bytes; else E_TOO_LARGE). */
int cs_read_file(certseal_ctx *ctx, const char *path, size_t max,
    uint8_t **out, size_t *lenp);

/* Same, for secrets: the result is wiped on free. */
int cs_read_secret_file(certseal_ctx *ctx, const char *path, size_t max,
    struct cs_secret **out);

/*
 * PINs and passwords (DESIGN.md section 4), in this order:
 *   pin_source - a path or file: URI whose content is the secret (a
 *                trailing CR/LF is not part of it);
 *   pin_value  - given in a URI; accepted with a warning;
 *   CERTSEAL_PIN in the environment;
 *   the context's prompt (unless CERTSEAL_FLAG_NO_PROMPT), asking `what`.
 * pin_source and pin_value may be NULL.  Returns CERTSEAL_E_NO_PIN when
 * nothing yields a secret.
 */
int cs_pin_get(certseal_ctx *ctx, const char *pin_source,
    const char *pin_value, const char *what, struct cs_secret **out);

/*
 * The file a pin-source names (cs_file_uri_path); NULL when it is not a
 * local file (another host) or names none.
 */
const char *cs_pin_source_path(const char *pin_source);

/*
 * Who a CMS recipient or signer says it is: a subjectKeyIdentifier or an
 * issuer and serial number.  Borrowed pointers into the CMS structure.
 */
struct cs_recipient_id {
	const ASN1_OCTET_STRING	*keyid;		/* or NULL */
	const X509_NAME		*issuer;	/* with serial, or NULL */
	const ASN1_INTEGER	*serial;
};

/* 1 when cert matches id (by SKID, or by issuer and serial). */
int cs_recipient_id_matches(const struct cs_recipient_id *id, X509 *cert);

/*
 * A name as one RFC 2253 line of at most max bytes (malloc'ed), or NULL.
 * For messages, listings and reports.
 */
char *cs_name_text(const X509_NAME *nm, size_t max);
#define CS_NAME_TEXT_MAX	1024
/* The same into buf ("?" when it cannot be made): for a message's %s. */
void cs_name_text_buf(const X509_NAME *nm, char *buf, size_t size);

/*
 * The first commonName of a name as text of at most max bytes
 * (malloc'ed), or NULL when there is none or it holds a NUL byte (it would
 * read as another name).  For request names and store labels.
 */
char *cs_name_cn(const X509_NAME *nm, size_t max);

/* Hex: one encoder, one strict decoder, one predicate. */
#include "hex.h"

/*
 * A client key's ID is RFC 5280 section 4.2.1.2 method (1): SHA-1 of the
 * subjectPublicKey BIT STRING, the value OpenSSL's "hash" gives.  The
 * client uses it as CKA_ID or store entry name, the admin puts it into
 * the certificate as its subjectKeyIdentifier: sealed files then name the
 * client's recipient by it, and either side can recompute it from the key
 * alone.
 */
#define CS_KEY_ID_LEN		20
#define CS_KEY_ID_HEX		(2 * CS_KEY_ID_LEN)
#define CS_KEY_FP_HEX		64	/* SHA-256 of the SPKI DER */
#define CS_CERT_FP_HEX		64	/* SHA-256 of the certificate DER */

int cs_key_id(EVP_PKEY *pk, uint8_t out[CS_KEY_ID_LEN]);
int cs_key_id_hex(EVP_PKEY *pk, char out[CS_KEY_ID_HEX + 1]);
/*
 * Adds the extension nid with OpenSSL's configuration value (e.g.
 * "keyid:always") to x, issued by issuer (x itself when self-signed).
 * 1 on success, 0 otherwise: for the certificates certseal issues.
 */
int cs_cert_add_ext(X509 *x, X509 *issuer, int nid, const char *value);

/* The same for a certificate's key, from its own SubjectPublicKeyInfo. */
int cs_cert_key_id_hex(X509 *cert, char out[CS_KEY_ID_HEX + 1]);

/* SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex. */
int cs_key_fingerprint(EVP_PKEY *pk, char out[CS_KEY_FP_HEX + 1]);

/*
 * SHA-256 of the DER certificate, lower-case hex: a certificate's name in
 * the store's signers/, a pair's ID, the fingerprint reports print.
 */
int cs_cert_fingerprint(X509 *cert, char out[CS_CERT_FP_HEX + 1]);

/*
 * Supplied by the owner of the context (src/lib/errors.c): its error
 * message buffer, its log callback, and its prompt (NULL when none or
 * CERTSEAL_FLAG_NO_PROMPT).  ctx is never NULL here.
 */
char *cs_ctx_errbuf(certseal_ctx *ctx, size_t *size);
certseal_log_fn cs_ctx_logger(certseal_ctx *ctx, void **arg);
certseal_prompt_fn cs_ctx_prompter(certseal_ctx *ctx, void **arg);

#endif /* CS_BASE_H */
