/*
 * vfloor.c - a verified open written the shortest way OpenSSL's CMS allows:
 * what any client must do to open a sealed configuration with a software
 * key and trust only a known signer, as one process, and nothing else.
 *
 *   vfloor rsa|ec KEY.pem SIGNER.pem SEALED   prints the configuration
 *
 * Reads the PEM key with a decoder asked for PKCS#8 of that one key type
 * (as certseal does: asking every decoder of every provider costs about
 * 0.3 ms more, see bench/ANALYSIS.md) and the trusted signer's
 * certificate, reads the sealed file (PEM_read_bio_CMS), decrypts it
 * (CMS_decrypt: the recipient's key operation, AES-256-GCM and its tag),
 * parses the SignedData inside and verifies it against that one signer
 * (CMS_verify with CMS_NOINTERN: only SIGNER.pem may have signed it; the
 * signature and the message digest checked, no chain to build).  No
 * source searched, no policy judged, no rollback state read, no atomic
 * output, no limits enforced: certseal does all of these.  bench/run.sh
 * times it beside bench-swfloor, which decrypts one block and parses
 * nothing: what vfloor costs beyond it is the price of reading and
 * verifying the file with OpenSSL 3.0 at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>	/* before cms.h, which declares PEM_read_bio_CMS */
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/x509.h>

static void
die(const char *what)
{
	fprintf(stderr, "vfloor: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static BIO *
open_file(const char *path)
{
	BIO *bio;

	if ((bio = BIO_new_file(path, "r")) == NULL)
		die(path);
	return bio;
}

int
main(int argc, char **argv)
{
	STACK_OF(X509) *signers;
	CMS_ContentInfo *outer, *inner;
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;
	X509 *signer;
	BIO *bio, *mid, *out;

	if (argc != 5 || (strcmp(argv[1], "rsa") != 0 &&
	    strcmp(argv[1], "ec") != 0)) {
		fprintf(stderr, "usage: vfloor rsa|ec KEY.pem SIGNER.pem "
		    "SEALED\n");
		return 2;
	}
	/* As certseal's tools: no OpenSSL exit handler (src/common/cli.c). */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	bio = open_file(argv[2]);
	if ((dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM",
	    "PrivateKeyInfo", strcmp(argv[1], "rsa") == 0 ? "RSA" : "EC",
	    OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL)) == NULL ||
	    !OSSL_DECODER_from_bio(dctx, bio) || pkey == NULL)
		die("reading the key");
	OSSL_DECODER_CTX_free(dctx);
	BIO_free(bio);
	bio = open_file(argv[3]);
	if ((signer = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (signers = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(signers, signer))
		die("reading the signer");
	BIO_free(bio);

	bio = open_file(argv[4]);
	if ((outer = PEM_read_bio_CMS(bio, NULL, NULL, NULL)) == NULL)
		die("reading the sealed file");
	BIO_free(bio);
	if ((mid = BIO_new(BIO_s_mem())) == NULL ||
	    !CMS_decrypt(outer, pkey, NULL, NULL, mid, CMS_BINARY))
		die("decrypting");
	if ((inner = d2i_CMS_bio(mid, NULL)) == NULL)
		die("parsing the SignedData");
	if ((out = BIO_new_fp(stdout, BIO_NOCLOSE)) == NULL ||
	    !CMS_verify(inner, signers, NULL, NULL, out, CMS_BINARY |
	    CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY))
		die("verifying");
	BIO_free(out);
	BIO_free(mid);
	CMS_ContentInfo_free(inner);
	CMS_ContentInfo_free(outer);
	sk_X509_pop_free(signers, X509_free);
	EVP_PKEY_free(pkey);
	return 0;
}
