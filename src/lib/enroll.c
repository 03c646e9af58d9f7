/*
 * enroll.c - key IDs, requests and certificate bundles of enrolled
 * clients (enroll.h), shared by `certseal enroll` and `certseal-admin
 * client`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "enroll.h"

int
cs_client_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > CS_CLIENT_NAME_MAX || name[0] == '.' ||
	    name[0] == '-')
		return 0;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

const char *
cs_key_algorithm(EVP_PKEY *pk)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_is_a(pk, "RSA")) {
		switch (EVP_PKEY_get_bits(pk)) {
		case 3072:
			return "rsa-3072";
		case 4096:
			return "rsa-4096";
		}
		return NULL;
	}
	if (EVP_PKEY_is_a(pk, "EC") && EVP_PKEY_get_group_name(pk, group,
	    sizeof(group), &glen) == 1) {
		if (strcmp(group, "prime256v1") == 0)
			return "ec-p256";
		if (strcmp(group, "secp384r1") == 0)
			return "ec-p384";
	}
	return NULL;
}

const EVP_MD *
cs_key_md(EVP_PKEY *pk)
{
	const char *alg = cs_key_algorithm(pk);

	return alg != NULL && strcmp(alg, "ec-p384") == 0 ? EVP_sha384() :
	    EVP_sha256();
}

int
cs_enroll_request(certseal_ctx *ctx, EVP_PKEY *pkey, const char *name,
    char **out, size_t *lenp)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	BIO *b = NULL;
	char *data;
	long len;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	*lenp = 0;
	if ((req = X509_REQ_new()) == NULL ||
	    (subj = X509_NAME_new()) == NULL ||
	    !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
	    (const unsigned char *)name, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, subj) ||
	    !X509_REQ_set_pubkey(req, pkey)) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot build the "
		    "request");
		goto out;
	}
	/* The signature is made where the key is: on the token for pkcs11:. */
	if (X509_REQ_sign(req, pkey, cs_key_md(pkey)) <= 0) {
		r = cs_error(ctx, CERTSEAL_E_TOKEN, "signing the request with "
		    "the client key failed");
		goto out;
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(b, req) != 1 ||
	    (len = BIO_get_mem_data(b, &data)) <= 0 ||
	    (*out = malloc((size_t)len + 1)) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	memcpy(*out, data, (size_t)len);
	(*out)[len] = '\0';
	*lenp = (size_t)len;
	r = 0; /* success */
 out:
	BIO_free(b);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return r;
}

int
cs_enroll_request_parse(certseal_ctx *ctx, const uint8_t *data,
    size_t len, const char *shown, X509_REQ **out)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pk;
	BIO *b = NULL;
	const unsigned char *p = data;
	int r = CERTSEAL_E_INTEGRITY;

	*out = NULL;
	if (len > CS_REQUEST_MAX)
		return cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: a request of "
		    "more than %d bytes", shown, CS_REQUEST_MAX);
	if (len > 0 && data[0] == 0x30)
		req = d2i_X509_REQ(NULL, &p, (long)len);
	else if ((b = BIO_new_mem_buf(data, (int)len)) != NULL)
		req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	if (req == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: not a PKCS#10 "
		    "certificate request", shown);
		goto out;
	}
	if ((pk = X509_REQ_get0_pubkey(req)) == NULL ||
	    cs_key_algorithm(pk) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "%s: the request's key is "
		    "not RSA-3072/4096 or EC P-256/P-384", shown);
		goto out;
	}
	/* Proof of possession: signed by the key it asks a certificate for. */
	if (X509_REQ_verify(req, pk) != 1) {
		r = cs_error(ctx, CERTSEAL_E_BAD_SIGNATURE, "%s: the "
		    "request's signature does not match its key: it was not made by "
		    "the holder of that key; refused", shown);
		goto out;
	}
	ERR_clear_error();
	*out = req;
	req = NULL;
	r = 0; /* success */
 out:
	BIO_free(b);
	X509_REQ_free(req);
	return r;
}

int
cs_enroll_parse_bundle(certseal_ctx *ctx, const uint8_t *data,
    size_t len, const char *shown, X509 **client, STACK_OF(X509) **signers)
{
	STACK_OF(X509) *sk = NULL;
	BIO *b = NULL;
	X509 *x;
	int r = CERTSEAL_E_INTEGRITY;

	*client = NULL;
	*signers = NULL;
	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (sk = sk_X509_new_null()) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	while (sk_X509_num(sk) < 64 &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			r = cs_nomem(ctx);
			goto out;
		}
	}
	ERR_clear_error();
	if (sk_X509_num(sk) < 2) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: not a client "
		    "certificate followed by its signer certificates (as "
		    "`certseal-admin client approve` writes it)", shown);
		goto out;
	}
	*client = sk_X509_shift(sk);
	*signers = sk;
	sk = NULL;
	r = 0; /* success */
 out:
	BIO_free(b);
	sk_X509_pop_free(sk, X509_free);
	return r;
}

int
cs_enroll_check_bundle(certseal_ctx *ctx, EVP_PKEY *pkey, X509 *client,
    STACK_OF(X509) *signers, const char *shown)
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(client);
	uint8_t id[CS_KEY_ID_LEN], cid[CS_KEY_ID_LEN];
	EVP_PKEY *spk, *cpk = X509_get0_pubkey(client);
	int i;

	if (cs_key_id(pkey, id) != 0)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot compute the "
		    "key ID");
	/* A token key may not compare (< 0): the key IDs then decide. */
	if (cpk == NULL || cs_key_id(cpk, cid) != 0 ||
	    memcmp(cid, id, sizeof(id)) != 0 ||
	    EVP_PKEY_eq(cpk, pkey) == 0 ||
	    skid == NULL || skid->length != CS_KEY_ID_LEN ||
	    memcmp(skid->data, id, CS_KEY_ID_LEN) != 0)
		return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the "
		    "certificate is not for this client's key (was it issued "
		    "for another host's request?)", shown);
	for (i = 0; i < sk_X509_num(signers); i++) {
		spk = X509_get0_pubkey(sk_X509_value(signers, i));
		if (spk != NULL && X509_verify(client, spk) == 1) {
			ERR_clear_error();
			return 0;
		}
	}
	ERR_clear_error();
	return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the client "
	    "certificate is not signed by any of the signer certificates "
	    "that follow it", shown);
}

/* ---- signed readiness reports ---- */

#define SIG_MAGIC	"certseal-report-signature 1\n"
#define SIG_MAX		4096

int
cs_report_sign(certseal_ctx *ctx, EVP_PKEY *pk, const uint8_t *data,
    size_t len, char **out, size_t *outlen)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *sig = NULL;
	char keyid[CS_KEY_ID_HEX + 1], *b64 = NULL;
	size_t siglen = 0;
	int r = CERTSEAL_E_INTERNAL, n;

	*out = NULL;
	*outlen = 0;
	if (cs_key_id_hex(pk, keyid) != 0)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot compute the "
		    "key ID");
	/* RSA PKCS#1 v1.5 or ECDSA: what every token signs with. */
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(mctx, NULL, cs_key_md(pk), NULL, pk) != 1 ||
	    EVP_DigestSign(mctx, NULL, &siglen, data, len) != 1 ||
	    (sig = OPENSSL_malloc(siglen)) == NULL ||
	    EVP_DigestSign(mctx, sig, &siglen, data, len) != 1) {
		r = cs_error(ctx, CERTSEAL_E_TOKEN, "signing the readiness "
		    "report with the enrolled key failed");
		goto out;
	}
	if ((b64 = malloc((siglen + 2) / 3 * 4 + 1)) == NULL)
		goto nomem;
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	if ((n = asprintf(out, SIG_MAGIC "key-id %s\nsignature %s\n", keyid,
	    b64)) < 0) {
		*out = NULL;
		goto nomem;
	}
	*outlen = (size_t)n;
	r = 0; /* success */
	goto out;
 nomem:
	r = cs_nomem(ctx);
 out:
	free(b64);
	OPENSSL_free(sig);
	EVP_MD_CTX_free(mctx);
	return r;
}

int
cs_report_verify(certseal_ctx *ctx, EVP_PKEY *pub, const uint8_t *data,
    size_t len, const char *sig, size_t siglen)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *raw = NULL;
	char keyid[CS_KEY_ID_HEX + 1];
	const char *p, *b64, *end;
	size_t n;
	int r = CERTSEAL_E_BAD_SIGNATURE, rawlen, pad;

	if (siglen > SIG_MAX || strlen(sig) != siglen ||
	    strncmp(sig, SIG_MAGIC, strlen(SIG_MAGIC)) != 0)
		return cs_error(ctx, CERTSEAL_E_BAD_SIGNATURE, "not a report "
		    "signature");
	p = sig + strlen(SIG_MAGIC);
	if (cs_key_id_hex(pub, keyid) != 0 || strncmp(p, "key-id ", 7) != 0 ||
	    strncmp(p + 7, keyid, CS_KEY_ID_HEX) != 0 ||
	    strncmp(p + 7 + CS_KEY_ID_HEX, "\nsignature ", 11) != 0)
		return cs_error(ctx, CERTSEAL_E_BAD_SIGNATURE, "the report "
		    "signature is not by the enrolled key");
	b64 = p + 7 + CS_KEY_ID_HEX + 11;
	if ((end = strchr(b64, '\n')) == NULL || end[1] != '\0' ||
	    (n = (size_t)(end - b64)) == 0 || n % 4 != 0)
		return cs_error(ctx, CERTSEAL_E_BAD_SIGNATURE, "a damaged "
		    "report signature");
	if ((raw = malloc(n / 4 * 3)) == NULL)
		return cs_nomem(ctx);
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	if ((rawlen = EVP_DecodeBlock(raw, (const unsigned char *)b64,
	    (int)n)) <= pad) {
		r = cs_error(ctx, CERTSEAL_E_BAD_SIGNATURE, "a damaged report "
		    "signature");
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, NULL, cs_key_md(pub), NULL, pub) != 1 ||
	    EVP_DigestVerify(mctx, raw, (size_t)(rawlen - pad), data,
	    len) != 1) {
		r = cs_error(ctx, CERTSEAL_E_BAD_SIGNATURE, "the report "
		    "signature does not verify");
		goto out;
	}
	r = 0; /* success */
 out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	free(raw);
	return r;
}
