/*
 * swfloor.c - the software key's own price for opening a configuration, as
 * one process: what any client that keeps its key in a PEM file must do
 * before it can decrypt anything, and nothing else.
 *
 *   swfloor rsa KEY.pem   one RSA-OAEP (SHA-256) decryption of a block
 *                         made here with the key's public half
 *   swfloor ec KEY.pem    one ECDH (P-256) derivation against a peer key
 *                         made here, then the SHA-256 X9.63 KDF
 *
 * Loads libcrypto, reads and parses the PEM key (PEM_read_bio_PrivateKey,
 * which goes through OpenSSL 3.0's decoders as every reader of a PEM key
 * does), and does the one private-key operation a CMS recipient needs.  No
 * configuration is read, no CMS parsed, no signature verified, no store
 * searched.  bench/run.sh times it next to `certseal open` through store:
 * and file: sources holding the same key: no client of a software key can
 * open a file for less, so it shows how much of certseal's time is its own.
 *
 * The encryption (RSA) and the peer key (EC) are made before the timed
 * part would begin in any client (a sender made them), but this program is
 * timed as a whole process: their cost is part of the floor and is small
 * beside the private-key operation (an RSA public operation costs about 1 %
 * of the private one; one P-256 key generation about as much as one ECDH).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/err.h>

static void
die(const char *what)
{
	fprintf(stderr, "swfloor: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static EVP_PKEY *
load_key(const char *path)
{
	BIO *bio;
	EVP_PKEY *pkey;

	if ((bio = BIO_new_file(path, "r")) == NULL)
		die("opening the key file");
	if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL)
		die("reading the PEM key");
	BIO_free(bio);
	return pkey;
}

/* One RSA-OAEP SHA-256 decryption, as a KeyTransRecipientInfo needs. */
static void
rsa_floor(EVP_PKEY *pkey)
{
	unsigned char cek[32], ct[1024], out[1024];
	size_t ctlen = sizeof(ct), outlen = sizeof(out);
	EVP_PKEY_CTX *pctx;

	memset(cek, 0x5a, sizeof(cek));
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_encrypt(pctx, ct, &ctlen, cek, sizeof(cek)) <= 0)
		die("RSA-OAEP encryption");
	if (EVP_PKEY_decrypt_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_decrypt(pctx, out, &outlen, ct, ctlen) <= 0)
		die("RSA-OAEP decryption");
	if (outlen != sizeof(cek) || memcmp(out, cek, outlen) != 0)
		die("RSA-OAEP round trip");
	EVP_PKEY_CTX_free(pctx);
}

/* One ECDH derivation and the SHA-256 KDF, as a KeyAgreeRecipientInfo. */
static void
ec_floor(EVP_PKEY *pkey)
{
	unsigned char z[66], kek[32];
	size_t zlen = sizeof(z);
	EVP_PKEY *peer;
	EVP_PKEY_CTX *pctx;

	if ((peer = EVP_EC_gen("P-256")) == NULL)
		die("making the peer key");
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_derive_init(pctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(pctx, peer) <= 0 ||
	    EVP_PKEY_derive(pctx, z, &zlen) <= 0)
		die("ECDH derivation");
	if (EVP_Digest(z, zlen, kek, NULL, EVP_sha256(), NULL) <= 0)
		die("the KDF");
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(peer);
}

int
main(int argc, char **argv)
{
	EVP_PKEY *pkey;

	if (argc != 3 || (strcmp(argv[1], "rsa") != 0 &&
	    strcmp(argv[1], "ec") != 0)) {
		fprintf(stderr, "usage: swfloor rsa|ec KEY.pem\n");
		return 2;
	}
	/* As certseal's tools: no OpenSSL exit handler (src/common/cli.c). */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	pkey = load_key(argv[2]);
	if (strcmp(argv[1], "rsa") == 0)
		rsa_floor(pkey);
	else
		ec_floor(pkey);
	EVP_PKEY_free(pkey);
	return 0;
}
