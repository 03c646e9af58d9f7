/*
 * p11-sign.c - a CMS signature made with a token-backed key, for the
 * integration scripts (certseal-admin seal signs PKCS#1 v1.5 only):
 *
 *   p11-sign URI CERT.pem pss|pkcs1 IN OUT.der
 *
 * Logs in with the URI's pin-source, finds the private key of CERT on the
 * token, signs IN (SHA-256, RSA-PSS or PKCS#1 v1.5) into a DER SignedData
 * with the content attached, for `openssl cms -verify` to check.  Exits 0,
 * or 1 with a message.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "p11.h"

int
main(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	struct cs_p11_uri *uri = NULL;
	struct cs_p11_token *tok = NULL;
	struct cs_recipient_id rid;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL, *tcert = NULL;
	BIO *in = NULL, *out = NULL, *cf = NULL;
	int pss, code = 1;

	if (argc != 6 || (strcmp(argv[3], "pss") != 0 &&
	    strcmp(argv[3], "pkcs1") != 0)) {
		fprintf(stderr, "usage: p11-sign URI CERT pss|pkcs1 IN OUT\n");
		return 2;
	}
	pss = strcmp(argv[3], "pss") == 0;
	if ((cf = BIO_new_file(argv[2], "r")) == NULL ||
	    (cert = PEM_read_bio_X509(cf, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "p11-sign: cannot read %s\n", argv[2]);
		goto out;
	}
	memset(&rid, 0, sizeof(rid));
	rid.keyid = X509_get0_subject_key_id(cert);
	if (certseal_ctx_new(&ctx) != 0 ||
	    cs_p11_uri_parse(ctx, argv[1], &uri) != 0 ||
	    cs_p11_token_open(ctx, uri, &tok) != 0 ||
	    cs_p11_token_login(ctx, tok, cs_p11_uri_pin_source(uri),
	    cs_p11_uri_pin_value(uri)) != 0 ||
	    cs_p11_require_key_use(ctx, tok, CKK_RSA, 1) != 0 ||
	    cs_p11_find_recipient(ctx, tok, &rid, &pkey, &tcert) != 0) {
		fprintf(stderr, "p11-sign: %s\n", ctx != NULL ?
		    certseal_ctx_last_error(ctx) : "no context");
		goto out;
	}
	if ((in = BIO_new_file(argv[4], "rb")) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL |
	    CMS_BINARY)) == NULL ||
	    (si = CMS_add1_signer(cms, cert, pkey, EVP_sha256(),
	    pss ? CMS_KEY_PARAM : 0)) == NULL ||
	    (pss && EVP_PKEY_CTX_set_rsa_padding(
	    CMS_SignerInfo_get0_pkey_ctx(si), RSA_PKCS1_PSS_PADDING) <= 0) ||
	    CMS_final(cms, in, NULL, CMS_BINARY) != 1 ||
	    (out = BIO_new_file(argv[5], "wb")) == NULL ||
	    i2d_CMS_bio(out, cms) != 1) {
		fprintf(stderr, "p11-sign: signing failed:\n");
		ERR_print_errors_fp(stderr);
		goto out;
	}
	code = 0;
 out:
	BIO_free(out);
	BIO_free(in);
	BIO_free(cf);
	CMS_ContentInfo_free(cms);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	X509_free(tcert);
	cs_p11_token_unref(tok);
	cs_p11_uri_free(uri);
	certseal_ctx_free(ctx);
	return code;
}
