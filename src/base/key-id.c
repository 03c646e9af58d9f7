/*
 * key-id.c - a public key's identifier and fingerprint: what an enrolled
 * client's key is called on its token, in its store and in the
 * certificate the admin issues (DESIGN.md section 8); and a certificate's
 * fingerprint.
 */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base.h"

/* SHA-1 of the subjectPublicKey BIT STRING of a parsed SPKI. */
static int
spki_key_id(const X509_PUBKEY *xpk, uint8_t out[CS_KEY_ID_LEN])
{
	const unsigned char *bits;
	unsigned int mdlen = 0;
	int len;

	if (X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, xpk) != 1 ||
	    EVP_Digest(bits, (size_t)len, out, &mdlen, EVP_sha1(), NULL) !=
	    1 || mdlen != CS_KEY_ID_LEN)
		return -1;
	return 0;
}

int
cs_key_id(EVP_PKEY *pk, uint8_t out[CS_KEY_ID_LEN])
{
	X509_PUBKEY *xpk = NULL;
	int r = -1;

	if (X509_PUBKEY_set(&xpk, pk) == 1)
		r = spki_key_id(xpk, out);
	X509_PUBKEY_free(xpk);
	return r;
}

int
cs_key_id_hex(EVP_PKEY *pk, char out[CS_KEY_ID_HEX + 1])
{
	uint8_t id[CS_KEY_ID_LEN];

	out[0] = '\0';
	if (cs_key_id(pk, id) != 0)
		return -1;
	cs_hex(id, sizeof(id), out, CS_KEY_ID_HEX + 1);
	return 0;
}

/*
 * Why a certificate has its own: X509_PUBKEY_set re-encodes an EVP_PKEY
 * through OpenSSL 3.0's encoders (about 5 M instructions, more than the
 * rest of a store open besides its RSA operation); a certificate already
 * holds its parsed SubjectPublicKeyInfo.
 */
int
cs_cert_key_id_hex(X509 *cert, char out[CS_KEY_ID_HEX + 1])
{
	const X509_PUBKEY *xpk = X509_get_X509_PUBKEY(cert);
	uint8_t id[CS_KEY_ID_LEN];

	out[0] = '\0';
	if (xpk == NULL || spki_key_id(xpk, id) != 0)
		return -1;
	cs_hex(id, sizeof(id), out, CS_KEY_ID_HEX + 1);
	return 0;
}

int
cs_key_fingerprint(EVP_PKEY *pk, char out[CS_KEY_FP_HEX + 1])
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int len, r = -1;

	out[0] = '\0';
	if ((len = i2d_PUBKEY(pk, &der)) <= 0)
		goto out;
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) !=
	    1 || mdlen != sizeof(md))
		goto out;
	cs_hex(md, sizeof(md), out, CS_KEY_FP_HEX + 1);
	r = 0; /* success */
 out:
	OPENSSL_free(der);
	return r;
}

int
cs_cert_fingerprint(X509 *cert, char out[CS_CERT_FP_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 ||
	    mdlen != CS_CERT_FP_HEX / 2)
		return -1;
	cs_hex(md, mdlen, out, CS_CERT_FP_HEX + 1);
	return 0;
}

int
cs_cert_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}
