/*
 * internal.h - libcertseal internals shared across src/lib and pkcs11/.
 *
 * Symbols here are cs_*; they are not exported (see libcertseal.sym) but
 * the CLIs link the library's convenience archive and may use them.
 */
#ifndef CS_INTERNAL_H
#define CS_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <openssl/x509.h>
#include <openssl/evp.h>
#include <openssl/cms.h>

#include "certseal/certseal.h"

#define CS_ERRMSG_MAX	1024

struct cs_source;

/*
 * A context: the sources in the order given, flags, callbacks and the
 * detail of the last error.  Sources cache what they load (keys, logins)
 * for the context's lifetime, which makes re-opening cheap.
 */
struct certseal_ctx {
	struct cs_source **sources;
	size_t		 nsources;
	unsigned int	 flags;
	certseal_prompt_fn prompt;
	void		*prompt_arg;
	certseal_log_fn	 log;
	void		*log_arg;
	char		*state_dir;
	/*
	 * Counts the files this context has begun to open.  Sources keep what
	 * they read from a token for the rest of one open (a file sealed to a
	 * thousand recipients is looked up against one listing), and read it
	 * again when the next open begins, so that a long-running client sees
	 * a pair added to its token.
	 */
	unsigned long	 open_serial;
	/*
	 * What to do when no source holds a key (the end of that message):
	 * NULL is the client's advice; the admin tool says its own.
	 */
	const char	*no_key_advice;
	char		 errmsg[CS_ERRMSG_MAX];
};

/*
 * Records a one-line message for err in ctx and returns err, so that
 * callers can write `r = cs_error(ctx, CERTSEAL_E_IO, "...")`.  When the
 * OpenSSL error queue holds something, its first reason is appended and the
 * queue is cleared.  ctx may be NULL (the message is then dropped).
 */
int cs_error(certseal_ctx *ctx, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Prefixes the context's current message with "prefix: " (used to add the
 * file name or the source URI as an error travels up).
 */
void cs_error_prefix(certseal_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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

/* Sends a warning to the log callback, if any.  Never pass a secret. */
void cs_warn(certseal_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears the context's error message and the OpenSSL error queue. */
void cs_error_clear(certseal_ctx *ctx);

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
};

int cs_secret_new(size_t len, struct cs_secret **out);
int cs_secret_from(const void *data, size_t len, struct cs_secret **out);
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
 * Reads fd (opened by cs_input_open, or stdin) to its end into a wiped
 * buffer of at most max bytes; shown names it in messages.
 */
int cs_read_secret_fd(certseal_ctx *ctx, int fd, const char *shown,
    size_t max, struct cs_secret **out);

/* Reads a whole file into *out (at most max bytes; else E_TOO_LARGE). */
int cs_read_file(certseal_ctx *ctx, const char *path, size_t max,
    uint8_t **out, size_t *lenp);

/* Same, for secrets: the result is wiped on free. */
int cs_read_secret_file(certseal_ctx *ctx, const char *path, size_t max,
    struct cs_secret **out);

/*
 * Atomic write (DESIGN.md section 6): a temp file in the same directory,
 * written, fsync'ed, renamed over path, then the directory fsync'ed.  On
 * any failure the temp file is removed and path is left as it was.  mode is
 * applied to the new file (e.g. 0600 for keys, 0644 for sealed files).
 */
int cs_atomic_write(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, mode_t mode);

/*
 * The same with an owner: uid/gid ((uid_t)-1 / (gid_t)-1: the writer's)
 * are set with fchown on the temp file before it is linked into place.
 * The directory must not be a symlink and must belong to root, this user
 * or uid (else CERTSEAL_E_PERMISSION); mode holds permission bits only.
 */
struct cs_write_opts {
	mode_t	mode;
	uid_t	uid;
	gid_t	gid;
};
int cs_atomic_write_opts(certseal_ctx *ctx, const char *path,
    const void *data, size_t len, const struct cs_write_opts *o);

/*
 * Opens dir for writing into (O_DIRECTORY|O_NOFOLLOW): refused when it is
 * a symlink or belongs to neither root, this user, nor also ((uid_t)-1:
 * nobody else).  *fdp is the descriptor.
 */
int cs_dir_open_safe(certseal_ctx *ctx, const char *dir, uid_t also,
    int *fdp);

/* Writes all of data to fd, retrying short writes and EINTR; -1 on error. */
int cs_write_all(int fd, const void *data, size_t len);

/*
 * mkdir -p: creates path and its missing parents with mode (existing
 * directories are left as they are).
 */
int cs_mkdir_p(certseal_ctx *ctx, const char *path, mode_t mode);

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
 * A private key a source can use, and its certificate.  pkey may be backed
 * by a token (operations then happen on the token).  Owned by the source
 * that returned it; valid until the source is freed, or, from a pkcs11:
 * source (which keeps the last 64 keys it found), until 64 more keys were
 * found: use a key before asking the same source for many others.
 */
struct cs_key {
	EVP_PKEY	*pkey;
	X509		*cert;
	char		*label;		/* for messages; may be NULL */
	char		 keyid_hex[2 * 64 + 1];	/* hex SKID of cert */
};

/*
 * 1 when cert's public key is pkey's (EVP_PKEY_eq), whatever the
 * certificate's bytes, subject or serial: the test for "a certificate of
 * a key this source holds", which is never a trusted signer.
 */
int cs_cert_has_key(X509 *cert, const EVP_PKEY *pkey);

/* Fills key->keyid_hex from key->cert's SKID (empty if none). */
void cs_key_set_keyid(struct cs_key *key);

/*
 * A name as one RFC 2253 line of at most max bytes (malloc'ed), or NULL.
 * For messages, listings and reports.
 */
char *cs_name_text(const X509_NAME *nm, size_t max);
#define CS_NAME_TEXT_MAX	1024

/*
 * A certificate time as RFC 3339 UTC ("2026-12-01T19:49:50Z"), the one
 * time format of every listing and JSON document; -1 if unreadable.
 */
int cs_time_text(const ASN1_TIME *t, char *buf, size_t size);

/* Hex encodes up to 64 bytes of an octet string into out (129 bytes). */
void cs_hex(const unsigned char *p, size_t len, char *out, size_t outlen);

#endif /* CS_INTERNAL_H */
