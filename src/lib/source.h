/*
 * source.h - the CertificateSource provider interface.
 *
 * One const ops table per URI scheme (source-file.c, source-pkcs11.c,
 * source-store.c), listed once in source-registry.c.  Callers go through
 * the cs_source_* wrappers below, never through the slots.
 *
 * Each provider embeds `struct cs_source` first in its own state and
 * recovers it with a checked downcast:
 *
 *	struct file_source { struct cs_source base; ... };
 *	static struct file_source *
 *	file_source(struct cs_source *s)
 *	{
 *		assert(s->ops == &cs_source_file_ops);
 *		return (struct file_source *)s;
 *	}
 *
 * Sources load lazily: `new` only parses the URI; files are read, modules
 * loaded and tokens logged in on the first find_key/signers call, and the
 * result is cached in the source for the context's lifetime.
 */
#ifndef CS_SOURCE_H
#define CS_SOURCE_H

#include <jansson.h>

#include "internal.h"

struct cs_source;
struct cs_p11_uri;

struct cs_source_ops {
	const char *scheme;	/* "file", "pkcs11", "store" (no colon) */

	/*
	 * Parses uri (the whole URI, scheme included) and returns a new
	 * source.  Syntax errors: CERTSEAL_E_BAD_URI with a message naming the
	 * offending part.  Must not touch files or tokens.
	 */
	int (*new)(certseal_ctx *ctx, const char *uri, struct cs_source **out);

	void (*free)(struct cs_source *src);

	/*
	 * Finds the private key for a recipient, without trying keys one by
	 * one.  Returns 0 and a borrowed key, CERTSEAL_E_NO_KEY when this
	 * source has no key for it, or a hard error (token, PIN, I/O...).
	 */
	int (*find_key)(struct cs_source *src, const struct cs_recipient_id *id,
	    const struct cs_key **out);

	/*
	 * optional: find_key for the first of n recipient ids, in their
	 * order, that this source holds (*which: its index), for a file with
	 * many recipients: a provider that can tell cheaply which ids it
	 * cannot hold (a store listing its keys once) skips them instead of
	 * looking each up.  The same results as find_key on ids[0], ids[1],
	 * ... stopping at the first that is not CERTSEAL_E_NO_KEY, which is
	 * what the wrapper does when the slot is NULL.
	 */
	int (*find_first_key)(struct cs_source *src,
	    const struct cs_recipient_id *const *ids, size_t n, size_t *which,
	    const struct cs_key **out);

	/*
	 * Appends the certificates of the signers this source trusts to
	 * `into` (each up-ref'd).  A source that trusts nobody adds nothing.
	 */
	int (*trusted_signers)(struct cs_source *src, STACK_OF(X509) *into);

	/*
	 * optional: trusted_signers for the verification of one SignedData
	 * (struct cs_signer_query): it may take a certificate the
	 * SignedData carries instead of parsing the same bytes again, and
	 * leave out trusted signers that none of the query's identifiers
	 * names.  Every trusted signer the query names is added.
	 */
	int (*trusted_signers_for)(struct cs_source *src,
	    STACK_OF(X509) *into, const struct cs_signer_query *q);

	/*
	 * optional: the key this source signs with (certseal-admin seal
	 * --signer).  Borrowed.  CERTSEAL_E_NO_KEY if it has none.
	 */
	int (*signer_key)(struct cs_source *src, const struct cs_key **out);

	/*
	 * optional: appends the certificates of the decryption keys this
	 * source holds to `into` (each up-ref'd): what a readiness report
	 * says the client can open.  Loads the source like find_key.
	 */
	int (*list_keys)(struct cs_source *src, STACK_OF(X509) *into);

	/*
	 * optional: describes the keys and certificates the source offers as
	 * a JSON object (for `certseal sources`); *out is a new reference.
	 */
	int (*describe)(struct cs_source *src, json_t **out);

	/*
	 * optional: records cert as a trusted signer of this source (a
	 * successor, succession.c); the next trusted_signers includes it.
	 */
	int (*add_trusted_signer)(struct cs_source *src, X509 *cert);
};

/* Common head of every provider's state. */
struct cs_source {
	const struct cs_source_ops *ops;
	certseal_ctx	*ctx;		/* borrowed; outlives the source */
	/*
	 * The URI as given with every pin-value replaced by REDACTED: for
	 * messages and listings only.  Never parsed again: a token opened
	 * with it would be sent the PIN "REDACTED".
	 */
	char		*display_uri;
	char		*hint;		/* cs_source_set_hint, or NULL */
};

/*
 * Codes inside, text at the edge: find_key's misses return a bare
 * CERTSEAL_E_NO_KEY, because the caller moves on to the next source and
 * a message would be overwritten.  A provider that knows something the
 * user can act on ("the store is empty: import a bundle") leaves it as
 * the source's one hint; the caller that gives up on every source appends
 * the hints to its message.  cs_source_find_key clears the hint first, so
 * it always belongs to the last miss.
 */
void cs_source_set_hint(struct cs_source *src, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *cs_source_hint(const struct cs_source *src);

/*
 * Fills the common head; called by providers' `new`, which parse uri
 * themselves.  Only its redacted form is kept here (display_uri).
 */
int cs_source_init(struct cs_source *src, const struct cs_source_ops *ops,
    certseal_ctx *ctx, const char *uri);
void cs_source_release(struct cs_source *src);

/*
 * Creates a source for uri by its scheme.  Also accepts the Windows store
 * spelling "[LocalMachine]\My" and "[CurrentUser]\My".
 */
int cs_source_new(certseal_ctx *ctx, const char *uri, struct cs_source **out);
void cs_source_free(struct cs_source *src);

int cs_source_find_key(struct cs_source *src,
    const struct cs_recipient_id *id, const struct cs_key **out);
/* find_first_key, or find_key on each id in turn (cs_source_find_each). */
int cs_source_find_first_key(struct cs_source *src,
    const struct cs_recipient_id *const *ids, size_t n, size_t *which,
    const struct cs_key **out);
int cs_source_find_each(struct cs_source *src,
    const struct cs_recipient_id *const *ids, size_t n, size_t *which,
    const struct cs_key **out);
int cs_source_trusted_signers(struct cs_source *src, STACK_OF(X509) *into);

/* trusted_signers_for where the source has it, else trusted_signers. */
int cs_source_trusted_signers_for(struct cs_source *src,
    STACK_OF(X509) *into, const struct cs_signer_query *q);
int cs_source_signer_key(struct cs_source *src, const struct cs_key **out);
/*
 * The source as `certseal sources --json` shows it, one shape for every
 * scheme: uri, scheme, status, keys[] (each with key_id) and
 * trusted_signers[] (each with sha256), and what the provider adds.
 */
int cs_source_describe(struct cs_source *src, json_t **out);
/* A certificate's subject, not_after and sha256 (fingerprint). */
json_t *cs_source_cert_json(X509 *x);
/* CERTSEAL_E_UNSUPPORTED when the provider cannot record signers. */
int cs_source_add_trusted_signer(struct cs_source *src, X509 *cert);
/* CERTSEAL_E_UNSUPPORTED when the provider cannot list its keys. */
int cs_source_list_keys(struct cs_source *src, STACK_OF(X509) *into);

/*
 * The URI for messages and listings, pin-value redacted (display_uri).
 * For display only: what opens the source again is below.
 */
const char *cs_source_display_uri(const struct cs_source *src);

/*
 * The parsed URI of a pkcs11: source, with its real pin-value and
 * pin-source, for a tool that opens and logs in to the source's token
 * itself (`sources --check`, the enrolled key of `report`); NULL for the
 * other schemes.  Borrowed: valid as long as src.
 */
const struct cs_p11_uri *cs_source_p11_uri(const struct cs_source *src);

/*
 * The store a store: source names (canonical location and store name),
 * each borrowed; CERTSEAL_E_UNSUPPORTED for the other schemes.
 */
int cs_source_store_name(const struct cs_source *src, const char **location,
    const char **name);

/*
 * The context's sources in their order (context.c), for the tools: they
 * list them, and take a signer's key from the source they added.
 */
size_t cs_ctx_source_count(const certseal_ctx *ctx);
struct cs_source *cs_ctx_source(const certseal_ctx *ctx, size_t i);

/*
 * The default source when none is configured: store:LocalMachine/My.
 * Used by the context when its list is empty at open time.
 */
#define CS_DEFAULT_SOURCE	"store:LocalMachine/My"

/* Provider tables, defined in source-*.c. */
extern const struct cs_source_ops cs_source_file_ops;
extern const struct cs_source_ops cs_source_pkcs11_ops;
extern const struct cs_source_ops cs_source_store_ops;

#endif /* CS_SOURCE_H */
