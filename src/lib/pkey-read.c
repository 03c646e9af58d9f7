/*
 * pkey-read.c - reading a software private key of a known type cheaply.
 *
 * Why this exists: PEM_read_bio_PrivateKey asks every decoder of every
 * loaded provider whether it can read its input, and OpenSSL 3.0 builds
 * and walks that whole list for each call: about 3 M instructions, a tenth
 * of what a store: open costs besides its one RSA private-key operation
 * (bench/ANALYSIS.md).  A store entry or a PEM key file next to its
 * certificate tells what to expect - PEM, PKCS#8 PrivateKeyInfo, the
 * certificate's key type - and a decoder context asked for exactly that
 * considers a handful of decoders.
 */
#include "config.h"

#include <openssl/decoder.h>
#include <openssl/err.h>

#include "pkey-read.h"

EVP_PKEY *
cs_pkey_read_pem(const uint8_t *data, size_t len, const EVP_PKEY *like)
{
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = data;
	const char *type;

	if (like == NULL || (type = EVP_PKEY_get0_type_name(like)) == NULL ||
	    (dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM",
	    "PrivateKeyInfo", type, OSSL_KEYMGMT_SELECT_KEYPAIR, NULL,
	    NULL)) == NULL)
		return NULL;
	if (OSSL_DECODER_from_data(dctx, &p, &len) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	ERR_clear_error();
	return pkey;
}
