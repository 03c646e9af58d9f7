/*
 * internal.h - libcertseal internals shared across src/lib and the tools.
 * What the token layer (pkcs11/) needs as well lives below both, in
 * src/base/base.h, which this includes.
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
#include "base.h"
#include "dir-safe.h"
#include "hex.h"
#include "timefmt.h"

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
 * The directory is opened with cs_dir_open_safe (uid may own it); a
 * symlink at path is refused; mode holds permission bits only.
 */
struct cs_write_opts {
	mode_t	mode;
	uid_t	uid;
	gid_t	gid;
};
int cs_atomic_write_opts(certseal_ctx *ctx, const char *path,
    const void *data, size_t len, const struct cs_write_opts *o);


/* Writes all of data to fd, retrying short writes and EINTR; -1 on error. */
int cs_write_all(int fd, const void *data, size_t len);

/*
 * For a file of total bytes written in order, done of them so far:
 * hands what was written since *hinted to writeback once a piece of
 * 8 MiB (or the end) is there, so that the fsync waits for the last
 * pieces only.  A hint: failure (a pipe, an old kernel) changes nothing.
 */
void cs_writeback_hint(int fd, size_t total, size_t *hinted, size_t done);

/*
 * What cs_atomic_write_with writes: fill writes the whole content to fd
 * (a new, empty file) and returns 0, or an error set on ctx.
 */
typedef int (*cs_fill_fn)(certseal_ctx *ctx, int fd, void *arg);
int cs_atomic_write_with(certseal_ctx *ctx, const char *path,
    const struct cs_write_opts *o, cs_fill_fn fill, void *arg);
/* The cs_fill_fn of a content held in memory (arg: cs_buffer_fill). */
struct cs_buffer_fill {
	const uint8_t	*data;
	size_t		 len;
};
int cs_fill_buffer(certseal_ctx *ctx, int fd, void *arg);


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

/*
 * Pushes x onto sk with a reference of its own (cert-index.c): 0, or -1
 * with nothing held (out of memory).
 */
int cs_x509_push_ref(STACK_OF(X509) *sk, X509 *x);

/* Fills key->keyid_hex from key->cert's SKID (empty if none). */
void cs_key_set_keyid(struct cs_key *key);

/*
 * Who a certificate is, read from its encoding without parsing it (and
 * so without decoding its public key: cert-ident.c).  0, or -1 when der
 * is not a certificate this walk understands: the caller then parses it.
 */
struct cs_cert_ident {
	X509_NAME		*issuer;
	ASN1_INTEGER		*serial;
	ASN1_OCTET_STRING	*skid;		/* or NULL: none */
};
int cs_cert_ident_read(const uint8_t *der, size_t len,
    struct cs_cert_ident *id);
/* 1 when one of ids names the certificate (cs_recipient_id_matches). */
int cs_cert_ident_named(const struct cs_cert_ident *id,
    const struct cs_recipient_id *ids, size_t n);
void cs_cert_ident_release(struct cs_cert_ident *id);

/*
 * What one SignedData being verified asks of the trusted signers: the
 * certificates it carries (parsed already) and every identifier by which
 * it can name a trusted signer - its SignerInfos' signer identifiers and
 * its certificates' subject and authority key identifiers (which the
 * pair succession looks up, succession.c).  A trusted signer none of
 * them names plays no part in the verification.  Borrowed.
 */
struct cs_signer_query {
	STACK_OF(X509)			*carried;
	const struct cs_recipient_id	*ids;
	size_t				 nids;
};
/*
 * A digest of q's identifiers, in order (what a source keeps the answer
 * to a query under): 0, or -1 when out of memory.
 */
int cs_signer_query_digest(const struct cs_signer_query *q,
    unsigned char out[32]);

#endif /* CS_INTERNAL_H */
