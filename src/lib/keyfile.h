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

/* p12-cost.c: CERTSEAL_E_TOO_LARGE when p12 would derive keys too long. */
int cs_p12_check_cost(certseal_ctx *ctx, PKCS12 *p12, const char *name);

#endif /* CS_KEYFILE_H */
