/*
 * store-int.h - shared between store.c (entries, lookups) and
 * store-admin.c (import, list, remove) only.
 */
#ifndef CS_STORE_INT_H
#define CS_STORE_INT_H

#include "internal.h"
#include "store.h"

#define KEYS_DIR	"keys"
#define SIGNERS_DIR	"signers"
#define ISN_DIR		"by-issuer-serial"
#define SHA256_HEX	64
#define POINTER_MAX	256
#define SIGNERS_MAX	1024	/* a handful in practice; bounds a scan */
#define TEXT_MAX	256	/* labels, subjects kept in metadata */

/* sp->dir/sub[/name] into buf, for messages and cs_atomic_write. */
void cs_store_shown(char *buf, size_t size, const struct cs_store_path *sp,
    const char *sub, const char *name);

/* Certificates: ids (the name and fingerprint are the base's).  NULL/-1. */
char *cs_store_serial_hex(const ASN1_INTEGER *serial);
int cs_store_skid_hex(X509 *cert, char out[CS_STORE_ID_MAX + 1]);
/* The by-issuer-serial/ name: SHA-256(DER issuer || DER serial), hex. */
int cs_store_isn_name(const X509_NAME *issuer, const ASN1_INTEGER *serial,
    char out[SHA256_HEX + 1]);

/* The first certificate of a PEM buffer; never prompts. */
X509 *cs_store_parse_cert(const struct cs_secret *s);

/* Reads and checks keys/<hex>.pem below keysfd (see store.c). */
int cs_store_load_key_entry(certseal_ctx *ctx,
    const struct cs_store_path *sp, int keysfd, const char *hex,
    struct cs_key **out);

/* Reads and checks signers/<fingerprint>.pem below fd. */
int cs_store_load_signer_entry(certseal_ctx *ctx,
    const struct cs_store_path *sp, int fd, const char *name, X509 **out);

/*
 * The same for query q (cs_store_load_signers_at): 0 with *out NULL when
 * the entry is one q does not name.
 */
int cs_store_load_signer_for(certseal_ctx *ctx,
    const struct cs_store_path *sp, int fd, const char *name,
    const struct cs_signer_query *q, X509 **out);

/* The store directory and its subdirectory `sub`, both checked. */
int cs_store_open_sub(certseal_ctx *ctx, const struct cs_store_path *sp,
    const char *sub, int *storefdp, int *subfdp);

/*
 * Sorted names "<hex>.pem" in dirfd (hexlen hex digits, 0: any even
 * number), at most limit of them.
 */
int cs_store_list_names(certseal_ctx *ctx, int dirfd, const char *shown,
    size_t hexlen, size_t limit, char ***namesp, size_t *np);
void cs_store_free_names(char **names, size_t n);

/* Closes *fdp if open and marks it closed. */
void cs_store_close(int *fdp);

/* The context's current message ("" without a context). */
const char *cs_store_errmsg(certseal_ctx *ctx);

#endif /* CS_STORE_INT_H */
