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
#include <sys/types.h>

#include <openssl/x509.h>
#include <openssl/evp.h>
#include <openssl/cms.h>

#include "certseal/certseal.h"
#include "base.h"

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

/* Writes all of data to fd, retrying short writes and EINTR; -1 on error. */
int cs_write_all(int fd, const void *data, size_t len);

/*
 * mkdir -p: creates path and its missing parents with mode (existing
 * directories are left as they are).
 */
int cs_mkdir_p(certseal_ctx *ctx, const char *path, mode_t mode);

/*
 * A private key a source can use, and its certificate.  pkey may be backed
 * by a token (operations then happen on the token).  Owned by the source
 * that returned it; valid until the source is freed.
 */
struct cs_key {
	EVP_PKEY	*pkey;
	X509		*cert;
	char		*label;		/* for messages; may be NULL */
	char		 keyid_hex[2 * 64 + 1];	/* hex SKID of cert */
};

/* Fills key->keyid_hex from key->cert's SKID (empty if none). */
void cs_key_set_keyid(struct cs_key *key);

#endif /* CS_INTERNAL_H */
