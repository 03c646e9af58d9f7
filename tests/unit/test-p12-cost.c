/*
 * test-p12-cost.c - the key-derivation work of a whole PKCS#12 bundle is
 * bounded before it is done (issue 11, 19.7): several encrypted safes
 * each just under the per-item limit, a ~1 MiB bundle of expensive safes,
 * and scrypt's r and p as well as N.  Each case must be refused with
 * CERTSEAL_E_TOO_LARGE in well under a second; the old per-item check let
 * them derive keys for minutes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "cu-run.h"
#include "keyfile.h"
#include "testutil.h"

static char *dir, *pin;
static EVP_PKEY *key;
static X509 *cert;

static int
suite_init(void)
{
	if ((dir = tu_tmpdir("cs-p12cost")) == NULL ||
	    (key = tu_make_key("ec-p256")) == NULL ||
	    (cert = tu_make_cert_simple(key, "client")) == NULL ||
	    (pin = tu_path(dir, "pin")) == NULL ||
	    tu_write_file(pin, "pw\n", 3, 0600) != 0)
		return -1;
	unsetenv("CERTSEAL_PIN");
	return 0;
}

static int
suite_cleanup(void)
{
	EVP_PKEY_free(key);
	X509_free(cert);
	tu_rmrf(dir);
	free(dir);
	free(pin);
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Replaces *algp by a 3DES PKCS#12 PBE asking for iter iterations. */
static int
set_pbe_iter(X509_ALGOR **algp, int iter)
{
	X509_ALGOR *alg;

	if ((alg = PKCS5_pbe_set(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, iter,
	    NULL, 8)) == NULL)
		return 0;
	X509_ALGOR_free(*algp);
	*algp = alg;
	return 1;
}

/*
 * A bundle: the key shrouded with keyalg (NULL: 3DES, one iteration) in a
 * plain safe, then nsafes encrypted certificate safes whose headers ask
 * for safe_iter iterations (made with one, then edited: nothing here is
 * expensive to build; 0 leaves them sound), and a MAC of one iteration with password "pw".
 */
static uint8_t *
make_bundle(int nsafes, int safe_iter, X509_ALGOR *keyalg, size_t *lenp)
{
	STACK_OF(PKCS12_SAFEBAG) *kbags = NULL, *cbags = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	PKCS12_SAFEBAG *kb;
	PKCS7 *enc = NULL, *dup;
	PKCS12 *p12 = NULL;
	X509_ALGOR *alg;
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int i, len;

	*lenp = 0;
	if ((kb = PKCS12_add_key(&kbags, key, 0, 1,
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, "pw")) == NULL ||
	    PKCS12_add_cert(&cbags, cert) == NULL ||
	    (safes = sk_PKCS7_new_null()) == NULL)
		goto out;
	if (keyalg != NULL) {
		X509_SIG_getm((X509_SIG *)PKCS12_SAFEBAG_get0_pkcs8(kb), &alg,
		    NULL);
		if (!X509_ALGOR_copy(alg, keyalg))
			goto out;
	}
	if (!PKCS12_add_safe(&safes, kbags, -1, 0, NULL) ||
	    (enc = PKCS12_pack_p7encdata(
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, "pw", -1, NULL, 0, 1,
	    cbags)) == NULL)
		goto out;
	for (i = 0; i < nsafes; i++) {
		if ((dup = PKCS7_dup(enc)) == NULL || (safe_iter > 0 &&
		    !set_pbe_iter(&dup->d.encrypted->enc_data->algorithm,
		    safe_iter)) || !sk_PKCS7_push(safes, dup)) {
			PKCS7_free(dup);
			goto out;
		}
	}
	if ((p12 = PKCS12_add_safes(safes, 0)) == NULL ||
	    !PKCS12_set_mac(p12, "pw", -1, NULL, 0, 1, NULL) ||
	    (len = i2d_PKCS12(p12, &der)) <= 0)
		goto out;
	if ((out = malloc((size_t)len)) != NULL) {
		memcpy(out, der, (size_t)len);
		*lenp = (size_t)len;
	}
 out:
	OPENSSL_free(der);
	PKCS12_free(p12);
	PKCS7_free(enc);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	sk_PKCS12_SAFEBAG_pop_free(kbags, PKCS12_SAFEBAG_free);
	sk_PKCS12_SAFEBAG_pop_free(cbags, PKCS12_SAFEBAG_free);
	return out;
}

/* Loads der, expecting want within max_s seconds and needle in the text. */
static void
expect_load(const uint8_t *der, size_t len, int want, double max_s,
    const char *needle)
{
	struct cs_keyfile *kf = NULL;
	certseal_ctx *ctx = NULL;
	double t0, dt;
	int r;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	t0 = now();
	r = cs_keyfile_load_p12(ctx, der, len, "bundle.p12", pin, &kf);
	dt = now() - t0;
	if (r != want || dt > max_s || (needle != NULL &&
	    strstr(certseal_ctx_last_error(ctx), needle) == NULL))
		fprintf(stderr, "\n    got %d (want %d) in %.2f s: %s\n", r,
		    want, dt, certseal_ctx_last_error(ctx));
	CU_ASSERT_EQUAL(r, want);
	CU_ASSERT(dt <= max_s);
	if (needle != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
		    needle));
	cs_keyfile_free(kf);
	certseal_ctx_free(ctx);
}

/* The ordinary shape loads: the helper makes real bundles. */
static void
test_sound_bundle(void)
{
	uint8_t *der;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(der = make_bundle(2, 0, NULL, &len));
	expect_load(der, len, 0, 5.0, NULL);
	free(der);
}

/* Issue 19.7: four safes at 9 999 999 each took 19 s. */
static void
test_four_safes(void)
{
	uint8_t *der;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(der = make_bundle(4, 9999999, NULL,
	    &len));
	expect_load(der, len, CERTSEAL_E_TOO_LARGE, 0.5, "in all");
	free(der);
}

/* About 1 MiB of safes at 100 000 each: hours, if derived. */
static void
test_many_safes(void)
{
	uint8_t *der;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(der = make_bundle(1900, 100000, NULL,
	    &len));
	CU_ASSERT(len > 700 * 1024 && len <= 4 * 1024 * 1024);
	expect_load(der, len, CERTSEAL_E_TOO_LARGE, 1.0, "in all");
	free(der);
}

/* scrypt: N alone is under the limit; N * r * p is not. */
static void
test_scrypt_rp(void)
{
	X509_ALGOR *alg;
	uint8_t *der;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(alg = PKCS5_pbe2_set_scrypt(
	    EVP_aes_256_cbc(), NULL, 0, NULL, 16384, 8, 1000));
	CU_ASSERT_PTR_NOT_NULL_FATAL(der = make_bundle(1, 1, alg, &len));
	X509_ALGOR_free(alg);
	expect_load(der, len, CERTSEAL_E_TOO_LARGE, 0.5, "131072000");
	free(der);
}

/*
 * A legacy bundle (RC2-40) made by the openssl CLI loads, and the legacy
 * provider stays out of the default library context the envelope uses.
 */
static void
test_legacy_isolated(void)
{
	char *kp = tu_path(dir, "l.key"), *cp = tu_path(dir, "l.crt");
	char *pp = tu_path(dir, "legacy.p12");
	struct cs_keyfile *kf = NULL;
	certseal_ctx *ctx = NULL;
	EVP_CIPHER *rc2;
	uint8_t *der;
	size_t len;

	if (!tu_have_openssl_cli()) {
		fprintf(stderr, "\n    SKIP: no openssl command-line tool\n");
		goto out;
	}
	CU_ASSERT_FATAL(tu_write_key_pem(kp, key, NULL, 0600) == 0);
	CU_ASSERT_FATAL(tu_write_cert_pem(cp, cert) == 0);
	if (tu_run("openssl pkcs12 -export -legacy -inkey '%s' -in '%s' "
	    "-passout pass:pw -out '%s' 2>/dev/null", kp, cp, pp) != 0) {
		fprintf(stderr, "\n    SKIP: openssl has no legacy provider\n");
		goto out;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(der = tu_read_file(pp, &len));
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	CU_ASSERT_EQUAL(cs_keyfile_load_p12(ctx, der, len, "legacy.p12", pin,
	    &kf), 0);
	CU_ASSERT(kf != NULL && X509_cmp(kf->cert, cert) == 0);
	CU_ASSERT(!OSSL_PROVIDER_available(NULL, "legacy"));
	rc2 = EVP_CIPHER_fetch(NULL, "RC2-40-CBC", NULL);
	CU_ASSERT_PTR_NULL(rc2);
	EVP_CIPHER_free(rc2);
	cs_keyfile_free(kf);
	certseal_ctx_free(ctx);
	free(der);
 out:
	free(kp);
	free(cp);
	free(pp);
}

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "a sound bundle loads", test_sound_bundle },
		{ "four safes at 9 999 999", test_four_safes },
		{ "a 1 MiB bundle of expensive safes", test_many_safes },
		{ "scrypt counts N, r and p", test_scrypt_rp },
		{ "legacy bundle, legacy provider kept apart",
		    test_legacy_isolated },
	};

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("p12-cost", CU_CASES(cases), suite_init,
	    suite_cleanup) != 0)
		return 1;
	return cu_run_all();
}
