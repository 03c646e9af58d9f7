/*
 * reopen.c - the re-open benchmark: what an application pays to re-read
 * its sealed configuration through libcertseal, against the token's own
 * price for the one private-key operation inside, measured by the same
 * program on the same token and key.
 *
 *   reopen SEALED SOURCE-URI MODULE TOKEN-LABEL PIN-FILE KEY-ID-HEX N
 *
 * 1. libcertseal: one context, SOURCE-URI added, one warm-up open, then N
 *    certseal_open_file() calls (each: read, parse, find the recipient,
 *    token decryption, GCM, signature check, rollback check, free).
 * 2. bare token: the module (dlopen, the same one the library uses, so
 *    C_Initialize answers ALREADY_INITIALIZED and the login is shared),
 *    the key found by CKA_ID, then N x (C_DecryptInit + C_Decrypt) of one
 *    RSA block, with CKM_RSA_X_509 (what certseal sends to SoftHSM for
 *    OAEP-SHA-256) and with CKM_RSA_PKCS_OAEP/SHA-1 (the token's native
 *    OAEP).
 *
 * The three are measured in interleaved rounds.  Prints one line per
 * measurement: "name total_wall_seconds wall_ms_per_op cpu_ms_per_op".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include <certseal/certseal.h>

#include "p11bench.h"

#define ROUNDS	10

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* name, total wall seconds, wall ms per op, CPU ms per op */
static void
report(const char *name, double secs, double cpusecs, long n)
{
	printf("%s %.6f %.4f %.4f\n", name, secs, secs * 1000.0 / (double)n,
	    cpusecs * 1000.0 / (double)n);
}

/* An OAEP-SHA-1 block for the key's certificate, made with OpenSSL. */
static size_t
oaep_block(X509 *cert, unsigned char *out, size_t max)
{
	EVP_PKEY_CTX *pc;
	unsigned char msg[32] = { 1 };
	size_t len = max;

	if ((pc = EVP_PKEY_CTX_new(X509_get0_pubkey(cert), NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(pc) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha1()) <= 0 ||
	    EVP_PKEY_encrypt(pc, out, &len, msg, sizeof(msg)) <= 0)
		bench_die("OAEP encryption", 0);
	EVP_PKEY_CTX_free(pc);
	return len;
}

int
main(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	certseal_config *cfg = NULL;
	CK_FUNCTION_LIST_PTR f;
	CK_ULONG outlen;
	CK_SESSION_HANDLE sess;
	CK_OBJECT_HANDLE obj, certobj;
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1,
	    CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM raw = { CKM_RSA_X_509, NULL, 0 };
	CK_MECHANISM mo = { CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep) };
	unsigned char id[64], block[1024], out[1024], certder[8192];
	const unsigned char *p;
	CK_ATTRIBUTE vattr;
	X509 *cert;
	size_t idlen, blen, oblen;
	long n, k;
	double t = 0, c = 0, wall[3] = { 0 }, cpus[3] = { 0 };
	int round;
	int r;

	bench_prog = "reopen";
	if (argc != 8) {
		fprintf(stderr, "usage: reopen SEALED SOURCE-URI MODULE "
		    "TOKEN-LABEL PIN-FILE KEY-ID-HEX N\n");
		return 2;
	}
	n = strtol(argv[7], NULL, 10);
	idlen = bench_unhex(argv[6], id, sizeof(id));

	/* 1. libcertseal */
	if ((r = certseal_ctx_new(&ctx)) != 0 ||
	    (r = certseal_ctx_add_source(ctx, argv[2])) != 0)
		bench_die("context", (unsigned long)-r);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_ENCRYPTED_ONLY |
	    CERTSEAL_FLAG_NO_PROMPT);
	if ((r = certseal_open_file(ctx, argv[1], &cfg)) != 0) {
		fprintf(stderr, "reopen: %s\n", certseal_ctx_last_error(ctx));
		return 1;
	}
	certseal_config_free(cfg);
	cfg = NULL;

	/* 2. the bare token operation, same module and key */
	f = bench_module(argv[3]);
	sess = bench_login(f, argv[4], argv[5]);
	obj = bench_find(f, sess, CKO_PRIVATE_KEY, id, idlen);
	certobj = bench_find(f, sess, CKO_CERTIFICATE, id, idlen);
	vattr.type = CKA_VALUE;
	vattr.pValue = certder;
	vattr.ulValueLen = sizeof(certder);
	if (f->C_GetAttributeValue(sess, certobj, &vattr, 1) != CKR_OK)
		bench_die("reading the certificate", 0);
	p = certder;
	if ((cert = d2i_X509(NULL, &p, (long)vattr.ulValueLen)) == NULL)
		bench_die("parsing the certificate", 0);

	/* A raw block below the modulus: leading zero byte. */
	blen = (size_t)EVP_PKEY_get_size(X509_get0_pubkey(cert));
	memset(block, 0x5a, blen);
	block[0] = 0;
	oblen = oaep_block(cert, out, sizeof(out));
	memcpy(block + 512, out, oblen);

	/*
	 * Interleaved rounds, so that other load on the machine slows the
	 * three alike: ROUNDS x (n/ROUNDS opens, raw decryptions, OAEP
	 * decryptions), wall and CPU time summed per kind.
	 */
	for (round = 0; round < ROUNDS; round++) {
		long m = n / ROUNDS;

		t = now();
		c = cpu();
		for (k = 0; k < m; k++) {
			if ((r = certseal_open_file(ctx, argv[1], &cfg)) != 0) {
				fprintf(stderr, "reopen: %s\n",
				    certseal_ctx_last_error(ctx));
				return 1;
			}
			certseal_config_free(cfg);
			cfg = NULL;
		}
		wall[0] += now() - t;
		cpus[0] += cpu() - c;
		t = now();
		c = cpu();
		for (k = 0; k < m; k++) {
			outlen = sizeof(out);
			if (f->C_DecryptInit(sess, &raw, obj) != CKR_OK ||
			    f->C_Decrypt(sess, block, blen, out,
			    &outlen) != CKR_OK)
				bench_die("C_Decrypt CKM_RSA_X_509", 0);
		}
		wall[1] += now() - t;
		cpus[1] += cpu() - c;
		t = now();
		c = cpu();
		for (k = 0; k < m; k++) {
			outlen = sizeof(out);
			if (f->C_DecryptInit(sess, &mo, obj) != CKR_OK ||
			    f->C_Decrypt(sess, block + 512, oblen, out,
			    &outlen) != CKR_OK)
				bench_die("C_Decrypt CKM_RSA_PKCS_OAEP", 0);
		}
		wall[2] += now() - t;
		cpus[2] += cpu() - c;
	}
	n = (n / ROUNDS) * ROUNDS;
	report("certseal_open_file", wall[0], cpus[0], n);
	report("C_Decrypt_RSA_X_509", wall[1], cpus[1], n);
	report("C_Decrypt_RSA_PKCS_OAEP_SHA1", wall[2], cpus[2], n);

	X509_free(cert);
	f->C_CloseSession(sess);
	/* The library owns the module: it finalizes it in ctx_free. */
	certseal_ctx_free(ctx);
	return 0;
}
