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
#include <dlfcn.h>
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

#define ROUNDS	10

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what, unsigned long rv)
{
	fprintf(stderr, "reopen: %s failed (0x%lx)\n", what, rv);
	exit(1);
}

static size_t
unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned int b;

	while (s[0] != '\0' && s[1] != '\0' && n < max &&
	    sscanf(s, "%2x", &b) == 1) {
		out[n++] = (unsigned char)b;
		s += 2;
	}
	return n;
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
		die("OAEP encryption", 0);
	EVP_PKEY_CTX_free(pc);
	return len;
}

int
main(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	certseal_config *cfg = NULL;
	CK_FUNCTION_LIST_PTR f;
	CK_RV (*getlist)(CK_FUNCTION_LIST_PTR_PTR);
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64, found = 0, outlen, i;
	CK_SESSION_HANDLE sess;
	CK_OBJECT_HANDLE obj, certobj;
	CK_OBJECT_CLASS kclass = CKO_PRIVATE_KEY, cclass = CKO_CERTIFICATE;
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1,
	    CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM raw = { CKM_RSA_X_509, NULL, 0 };
	CK_MECHANISM mo = { CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep) };
	unsigned char id[64], block[1024], out[1024], certder[8192];
	const unsigned char *p;
	CK_ATTRIBUTE tmpl[2], vattr;
	X509 *cert;
	size_t idlen, blen, oblen;
	char pin[256], label[33];
	FILE *pf;
	long n, k;
	double t = 0, c = 0, wall[3] = { 0 }, cpus[3] = { 0 };
	int round;
	void *h;
	int r;

	if (argc != 8) {
		fprintf(stderr, "usage: reopen SEALED SOURCE-URI MODULE "
		    "TOKEN-LABEL PIN-FILE KEY-ID-HEX N\n");
		return 2;
	}
	n = strtol(argv[7], NULL, 10);
	idlen = unhex(argv[6], id, sizeof(id));

	/* 1. libcertseal */
	if ((r = certseal_ctx_new(&ctx)) != 0 ||
	    (r = certseal_ctx_add_source(ctx, argv[2])) != 0)
		die("context", (unsigned long)-r);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_ENCRYPTED_ONLY |
	    CERTSEAL_FLAG_NO_PROMPT);
	if ((r = certseal_open_file(ctx, argv[1], &cfg)) != 0) {
		fprintf(stderr, "reopen: %s\n", certseal_ctx_last_error(ctx));
		return 1;
	}
	certseal_config_free(cfg);
	cfg = NULL;

	/* 2. the bare token operation, same module and key */
	if ((h = dlopen(argv[3], RTLD_NOW)) == NULL ||
	    (getlist = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(h,
	    "C_GetFunctionList")) == NULL || getlist(&f) != CKR_OK)
		die("loading the module", 0);
	r = (int)f->C_Initialize(NULL);
	if (r != CKR_OK && r != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		die("C_Initialize", (unsigned long)r);
	if (f->C_GetSlotList(CK_TRUE, slots, &nslots) != CKR_OK)
		die("C_GetSlotList", 0);
	for (i = 0; i < nslots; i++) {
		CK_TOKEN_INFO ti;

		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		memcpy(label, ti.label, 32);
		label[32] = '\0';
		for (k = 31; k >= 0 && label[k] == ' '; k--)
			label[k] = '\0';
		if (strcmp(label, argv[4]) == 0)
			break;
	}
	if (i == nslots)
		die("finding the token", 0);
	if (f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL,
	    &sess) != CKR_OK)
		die("C_OpenSession", 0);
	if ((pf = fopen(argv[5], "r")) == NULL ||
	    fgets(pin, sizeof(pin), pf) == NULL)
		die("reading the PIN file", 0);
	fclose(pf);
	pin[strcspn(pin, "\r\n")] = '\0';
	r = (int)f->C_Login(sess, CKU_USER, (CK_UTF8CHAR_PTR)pin,
	    strlen(pin));
	if (r != CKR_OK && r != CKR_USER_ALREADY_LOGGED_IN)
		die("C_Login", (unsigned long)r);

	tmpl[0].type = CKA_CLASS;
	tmpl[0].pValue = &kclass;
	tmpl[0].ulValueLen = sizeof(kclass);
	tmpl[1].type = CKA_ID;
	tmpl[1].pValue = id;
	tmpl[1].ulValueLen = idlen;
	if (f->C_FindObjectsInit(sess, tmpl, 2) != CKR_OK ||
	    f->C_FindObjects(sess, &obj, 1, &found) != CKR_OK || found != 1)
		die("finding the key", 0);
	f->C_FindObjectsFinal(sess);
	tmpl[0].pValue = &cclass;
	if (f->C_FindObjectsInit(sess, tmpl, 2) != CKR_OK ||
	    f->C_FindObjects(sess, &certobj, 1, &found) != CKR_OK ||
	    found != 1)
		die("finding the certificate", 0);
	f->C_FindObjectsFinal(sess);
	vattr.type = CKA_VALUE;
	vattr.pValue = certder;
	vattr.ulValueLen = sizeof(certder);
	if (f->C_GetAttributeValue(sess, certobj, &vattr, 1) != CKR_OK)
		die("reading the certificate", 0);
	p = certder;
	if ((cert = d2i_X509(NULL, &p, (long)vattr.ulValueLen)) == NULL)
		die("parsing the certificate", 0);

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
				die("C_Decrypt CKM_RSA_X_509", 0);
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
				die("C_Decrypt CKM_RSA_PKCS_OAEP", 0);
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
