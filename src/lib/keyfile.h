/*
 * keyfile.h - loading private keys and certificates from files: PKCS#12
 * bundles and PEM (key and certificates in one file or side by side).
 * Used by the file: source and by store import.
 */
#ifndef CS_KEYFILE_H
#define CS_KEYFILE_H

#include "internal.h"

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
 * CERTSEAL_E_INTEGRITY.  The certificate matching the key becomes ->cert.
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

#endif /* CS_KEYFILE_H */
