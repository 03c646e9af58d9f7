/*
 * keyfile.h - loading private keys and certificates from files: PKCS#12
 * bundles and PEM (key and certificates in one file or side by side).
 * Used by the file: source and by store import.
 */
#ifndef CS_KEYFILE_H
#define CS_KEYFILE_H

#include <openssl/pkcs12.h>

#include "internal.h"

/*
 * The most key-derivation iterations a PKCS#12 bundle may ask for (its
 * MAC, an encrypted safe or a shrouded key): ten times the counts
 * recommended today for PBKDF2, a few seconds each on a slow machine.
 */
#define CS_P12_MAX_ITERATIONS	10000000

/* What a key file holds. */
struct cs_keyfile {
	EVP_PKEY	*pkey;		/* the private key */
	X509		*cert;		/* the certificate of pkey */
	STACK_OF(X509)	*extra;		/* other certificates: the signers
					 * this bundle trusts; may be empty */
};

/*
 * Loads a PKCS#12 bundle from memory.  The password comes from
 * cs_pin_get(ctx, pin_source, NULL, "password for NAME") only when the
 * bundle needs one (an empty password is tried first, without prompting).
 * A wrong password is CERTSEAL_E_PIN_INCORRECT; a damaged bundle
 * CERTSEAL_E_INTEGRITY; iteration counts over CS_P12_MAX_ITERATIONS
 * CERTSEAL_E_TOO_LARGE.  The certificate matching the key becomes ->cert.
 */
int cs_keyfile_load_p12(certseal_ctx *ctx, const uint8_t *der, size_t len,
    const char *name, const char *pin_source, struct cs_keyfile **out);

/*
 * Loads a key file by path: PKCS#12 or PEM (a private key, possibly
 * encrypted, and its certificate, in the same file or in cert_path).
 * Refuses files readable by group or others (CERTSEAL_E_PERMISSION).
 */
int cs_keyfile_load(certseal_ctx *ctx, const char *path,
    const char *cert_path, const char *pin_source, struct cs_keyfile **out);

void cs_keyfile_free(struct cs_keyfile *kf);

/* Key files are small; a bundle with a long chain is still far below. */
#define KEYFILE_MAX	((size_t)4 * 1024 * 1024)

/* An empty keyfile (extra allocated); CERTSEAL_E_NOMEM. */
int cs_keyfile_new(struct cs_keyfile **out);

/*
 * Moves the certificate for kf->pkey out of certs into kf->cert (unless
 * set), drops every other certificate for that key and moves the rest
 * into kf->extra.  -1 on no memory.
 */
int cs_keyfile_sort_certs(struct cs_keyfile *kf, STACK_OF(X509) *certs);

/*
 * p12-cost.c: the key-derivation work of a bundle, in iterations of the
 * KDF's PRF (scrypt: N * r * p).  One derivation may cost at most
 * CS_P12_MAX_ITERATIONS, all of a bundle's together CS_P12_MAX_WORK.
 */
#define CS_P12_MAX_WORK		((int64_t)2 * CS_P12_MAX_ITERATIONS)
#define CS_P12_MAX_DEPTH	4	/* nested safeContents */

struct cs_p12_budget {
	const char	*name;		/* for messages */
	int64_t		 spent;
	int		 tries;		/* passwords each key may be tried with */
};

/* The cost of one derivation with alg (INT64_MAX when unreadable). */
int64_t cs_p12_pbe_cost(const X509_ALGOR *alg);

/* Charges cost, times times; CERTSEAL_E_TOO_LARGE over either limit. */
int cs_p12_spend(certseal_ctx *ctx, struct cs_p12_budget *b, int64_t cost,
    int64_t times);

/* Charges the shrouded keys among bags (and nested safe contents). */
int cs_p12_spend_bags(certseal_ctx *ctx, struct cs_p12_budget *b,
    const STACK_OF(PKCS12_SAFEBAG) *bags, int depth);

/*
 * Charges everything visible without a password: the MAC mac_tries
 * times, each encrypted safe and shrouded key safe_tries times (also
 * those cs_p12_spend_bags charges later).  b->name must be set.
 */
int cs_p12_check_cost(certseal_ctx *ctx, PKCS12 *p12, int mac_tries,
    int safe_tries, struct cs_p12_budget *b);

#endif /* CS_KEYFILE_H */
