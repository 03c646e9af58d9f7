/*
 * test-keyfile.c - loading keys and certificates from PKCS#12 bundles and
 * PEM files: passwords from pin-source files, wrong passwords, damaged
 * bundles, separate certificates, and the file-mode check.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>

#include "cu-run.h"
#include "keyfile.h"
#include "testutil.h"

static char *dir;
static EVP_PKEY *key, *signer_key;
static X509 *cert, *signer;

static int
suite_init(void)
{
	if ((dir = tu_tmpdir("cs-keyfile")) == NULL ||
	    (key = tu_make_key("ec-p256")) == NULL ||
	    (signer_key = tu_make_key("ec-p256")) == NULL ||
	    (cert = tu_make_cert_simple(key, "client")) == NULL ||
	    (signer = tu_make_cert_simple(signer_key, "admin signer")) == NULL)
		return -1;
	unsetenv("CERTSEAL_PIN");
	return 0;
}

static int
suite_cleanup(void)
{
	EVP_PKEY_free(key);
	EVP_PKEY_free(signer_key);
	X509_free(cert);
	X509_free(signer);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

static certseal_ctx *
new_ctx(void)
{
	certseal_ctx *ctx = NULL;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	return ctx;
}

static void
assert_loaded(const struct cs_keyfile *kf, int nextra)
{
	CU_ASSERT_FATAL(kf != NULL);
	CU_ASSERT(kf->pkey != NULL);
	CU_ASSERT(X509_cmp(kf->cert, cert) == 0);
	CU_ASSERT_EQUAL(sk_X509_num(kf->extra), nextra);
	if (nextra > 0)
		CU_ASSERT(X509_cmp(sk_X509_value(kf->extra, 0), signer) == 0);
}

static void
test_p12_pin_source(void)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	char *p12 = tu_path(dir, "pw.p12"), *pin = tu_path(dir, "pin");
	char *pinuri = NULL;
	struct cs_keyfile *kf = NULL;
	certseal_ctx *ctx = new_ctx();
	int calls = 0;

	sk_X509_push(extra, signer);
	CU_ASSERT_FATAL(tu_write_p12(p12, key, cert, extra, "hunter2 x",
	    0600) == 0);
	/* A trailing newline is not part of the password. */
	CU_ASSERT_FATAL(tu_write_file(pin, "hunter2 x\n", 10, 0600) == 0);
	CU_ASSERT(cs_keyfile_load(ctx, p12, NULL, pin, &kf) == 0);
	assert_loaded(kf, 1);
	cs_keyfile_free(kf);
	kf = NULL;
	CU_ASSERT_FATAL(asprintf(&pinuri, "file:%s", pin) > 0);
	CU_ASSERT(cs_keyfile_load(ctx, p12, NULL, pinuri, &kf) == 0);
	assert_loaded(kf, 1);
	cs_keyfile_free(kf);
	kf = NULL;
	/* CERTSEAL_PIN works as well. */
	setenv("CERTSEAL_PIN", "hunter2 x", 1);
	CU_ASSERT(cs_keyfile_load(ctx, p12, NULL, NULL, &kf) == 0);
	unsetenv("CERTSEAL_PIN");
	cs_keyfile_free(kf);
	kf = NULL;
	/* Wrong password: tried once, PIN_INCORRECT (exit 6). */
	CU_ASSERT_FATAL(tu_write_file(pin, "hunter3\n", 8, 0600) == 0);
	CU_ASSERT(cs_keyfile_load(ctx, p12, NULL, pin, &kf) ==
	    CERTSEAL_E_PIN_INCORRECT);
	CU_ASSERT(kf == NULL);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "pw.p12") != NULL);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "hunter") == NULL);
	/* No password available at all. */
	CU_ASSERT(cs_keyfile_load(ctx, p12, NULL, NULL, &kf) ==
	    CERTSEAL_E_NO_PIN);
	(void)calls;
	certseal_ctx_free(ctx);
	sk_X509_free(extra);
	free(pinuri);
	free(pin);
	free(p12);
}

static int
prompt_cb(const char *what, char *buf, size_t buflen, void *arg)
{
	int *calls = arg;

	(*calls)++;
	snprintf(buf, buflen, "prompted");
	return 0;
}

static void
test_p12_no_password_and_prompt(void)
{
	char *p12 = tu_path(dir, "nopw.p12"), *p2 = tu_path(dir, "pr.p12");
	struct cs_keyfile *kf = NULL;
	certseal_ctx *ctx = NULL;
	int calls = 0;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	certseal_ctx_set_prompt(ctx, prompt_cb, &calls);
	CU_ASSERT_FATAL(tu_write_p12(p12, key, cert, NULL, "", 0600) == 0);
	CU_ASSERT(cs_keyfile_load(ctx, p12, NULL, NULL, &kf) == 0);
	assert_loaded(kf, 0);
	CU_ASSERT_EQUAL(calls, 0);
	cs_keyfile_free(kf);
	kf = NULL;
	CU_ASSERT_FATAL(tu_write_p12(p2, key, cert, NULL, "prompted",
	    0600) == 0);
	CU_ASSERT(cs_keyfile_load(ctx, p2, NULL, NULL, &kf) == 0);
	CU_ASSERT_EQUAL(calls, 1);
	cs_keyfile_free(kf);
	certseal_ctx_free(ctx);
	free(p12);
	free(p2);
}

static void
test_p12_damaged(void)
{
	char *p12 = tu_path(dir, "bad.p12");
	struct cs_keyfile *kf = NULL;
	certseal_ctx *ctx = new_ctx();
	uint8_t *buf;
	size_t len;

	CU_ASSERT_FATAL(tu_write_p12(p12, key, cert, NULL, "", 0600) == 0);
	buf = tu_read_file(p12, &len);
	CU_ASSERT_FATAL(buf != NULL && len > 100);
	CU_ASSERT(cs_keyfile_load_p12(ctx, buf, len / 2, "bad.p12", NULL,
	    &kf) == CERTSEAL_E_INTEGRITY);
	buf[len / 2] ^= 0x55;
	CU_ASSERT(cs_keyfile_load_p12(ctx, buf, len, "bad.p12", NULL, &kf) !=
	    0);
	CU_ASSERT(kf == NULL);
	free(buf);
	certseal_ctx_free(ctx);
	free(p12);
}

/* A bundle as PKCS12_create makes it, then edited by fn, in DER. */
static uint8_t *
edited_p12(int (*fn)(PKCS12 *), size_t *lenp)
{
	PKCS12 *p12;
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int len;

	*lenp = 0;
	if ((p12 = PKCS12_create("pw", "huge", key, cert, NULL, 0, 0, 0, 0,
	    0)) == NULL || !fn(p12) || (len = i2d_PKCS12(p12, &der)) <= 0)
		goto out;
	if ((out = malloc((size_t)len)) != NULL) {
		memcpy(out, der, (size_t)len);
		*lenp = (size_t)len;
	}
 out:
	OPENSSL_free(der);
	PKCS12_free(p12);
	return out;
}

/* The MAC asks for two billion iterations. */
static int
huge_mac(PKCS12 *p12)
{
	const ASN1_INTEGER *iter = NULL;

	PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
	return iter != NULL &&
	    ASN1_INTEGER_set((ASN1_INTEGER *)iter, 2000000000L);
}

/* The shrouded key's PBKDF2 asks for two billion iterations. */
static int
huge_key_kdf(PKCS12 *p12)
{
	STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
	STACK_OF(PKCS12_SAFEBAG) *bags;
	PKCS12_SAFEBAG *bag;
	X509_ALGOR *alg, *huge = NULL;
	PKCS7 *safe, *repacked;
	int i, j, done = 0;

	for (i = 0; safes != NULL && i < sk_PKCS7_num(safes); i++) {
		safe = sk_PKCS7_value(safes, i);
		if (OBJ_obj2nid(safe->type) != NID_pkcs7_data ||
		    (bags = PKCS12_unpack_p7data(safe)) == NULL)
			continue;
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			bag = sk_PKCS12_SAFEBAG_value(bags, j);
			if (PKCS12_SAFEBAG_get_nid(bag) !=
			    NID_pkcs8ShroudedKeyBag)
				continue;
			X509_SIG_getm((X509_SIG *)PKCS12_SAFEBAG_get0_pkcs8(
			    bag), &alg, NULL);
			huge = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(),
			    2000000000, NULL, 0, NULL, NID_hmacWithSHA256);
			done = huge != NULL && X509_ALGOR_copy(alg, huge);
			X509_ALGOR_free(huge);
		}
		if (done && (repacked = PKCS12_pack_p7data(bags)) != NULL) {
			/* sk_set answers the new element, not the old. */
			(void)sk_PKCS7_set(safes, i, repacked);
			PKCS7_free(safe);
			done = PKCS12_pack_authsafes(p12, safes);
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		if (done)
			break;
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	return done;
}

/* Iteration counts that would take minutes are refused before use. */
static void
test_p12_iterations(void)
{
	int (*const edits[])(PKCS12 *) = { huge_mac, huge_key_kdf };
	struct cs_keyfile *kf = NULL;
	certseal_ctx *ctx = new_ctx();
	uint8_t *der;
	size_t i, len;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(der = edited_p12(edits[i], &len));
		CU_ASSERT_EQUAL(cs_keyfile_load_p12(ctx, der, len, "huge.p12",
		    NULL, &kf), CERTSEAL_E_TOO_LARGE);
		CU_ASSERT_PTR_NULL(kf);
		CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
		    "2000000000 iterations"));
		free(der);
	}
	certseal_ctx_free(ctx);
}

static void
test_pem(void)
{
	char *kp = tu_path(dir, "key.pem"), *cp = tu_path(dir, "cert.pem");
	char *sp = tu_path(dir, "signer.pem"), *both = tu_path(dir, "both.pem");
	char *enc = tu_path(dir, "enc.pem"), *pin = tu_path(dir, "encpin");
	struct cs_keyfile *kf = NULL;
	certseal_ctx *ctx = new_ctx();
	uint8_t *a, *b, *c, *all;
	size_t al, bl, cl;

	CU_ASSERT_FATAL(tu_write_key_pem(kp, key, NULL, 0600) == 0);
	CU_ASSERT_FATAL(tu_write_cert_pem(cp, cert) == 0);
	CU_ASSERT_FATAL(tu_write_cert_pem(sp, signer) == 0);
	/* key and certificate side by side */
	CU_ASSERT(cs_keyfile_load(ctx, kp, cp, NULL, &kf) == 0);
	assert_loaded(kf, 0);
	cs_keyfile_free(kf);
	kf = NULL;
	/* key alone: no certificate is a clear usage error */
	CU_ASSERT(cs_keyfile_load(ctx, kp, NULL, NULL, &kf) ==
	    CERTSEAL_E_USAGE);
	/* signer, key and certificate in one file, in any order */
	a = tu_read_file(sp, &al);
	b = tu_read_file(kp, &bl);
	c = tu_read_file(cp, &cl);
	CU_ASSERT_FATAL(a && b && c && (all = malloc(al + bl + cl)) != NULL);
	memcpy(all, a, al);
	memcpy(all + al, b, bl);
	memcpy(all + al + bl, c, cl);
	CU_ASSERT_FATAL(tu_write_file(both, all, al + bl + cl, 0600) == 0);
	CU_ASSERT(cs_keyfile_load(ctx, both, NULL, NULL, &kf) == 0);
	assert_loaded(kf, 1);
	cs_keyfile_free(kf);
	kf = NULL;
	/* encrypted PEM key with a pin-source */
	CU_ASSERT_FATAL(tu_write_key_pem(enc, key, "pem pass", 0600) == 0);
	CU_ASSERT_FATAL(tu_write_file(pin, "pem pass\r\n", 10, 0600) == 0);
	CU_ASSERT(cs_keyfile_load(ctx, enc, cp, pin, &kf) == 0);
	assert_loaded(kf, 0);
	cs_keyfile_free(kf);
	kf = NULL;
	CU_ASSERT_FATAL(tu_write_file(pin, "wrong\n", 6, 0600) == 0);
	CU_ASSERT(cs_keyfile_load(ctx, enc, cp, pin, &kf) ==
	    CERTSEAL_E_PIN_INCORRECT);
	/* not a key file at all */
	CU_ASSERT(cs_keyfile_load(ctx, sp, NULL, NULL, &kf) != 0);
	chmod(sp, 0600);
	CU_ASSERT(cs_keyfile_load(ctx, sp, NULL, NULL, &kf) ==
	    CERTSEAL_E_INTEGRITY);
	CU_ASSERT(kf == NULL);
	free(a);
	free(b);
	free(c);
	free(all);
	certseal_ctx_free(ctx);
	free(kp);
	free(cp);
	free(sp);
	free(both);
	free(enc);
	free(pin);
}

static void
test_permissions(void)
{
	static const mode_t modes[] = { 0640, 0604, 0644, 0660, 0666 };
	char *p12 = tu_path(dir, "loose.p12"), *want = NULL;
	struct cs_keyfile *kf = NULL;
	certseal_ctx *ctx = new_ctx();
	size_t i;

	CU_ASSERT_FATAL(asprintf(&want, "chmod 600 %s", p12) > 0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		CU_ASSERT_FATAL(tu_write_p12(p12, key, cert, NULL, "",
		    modes[i]) == 0);
		CU_ASSERT(cs_keyfile_load(ctx, p12, NULL, NULL, &kf) ==
		    CERTSEAL_E_PERMISSION);
		CU_ASSERT(strstr(certseal_ctx_last_error(ctx), want) != NULL);
		CU_ASSERT(kf == NULL);
	}
	chmod(p12, 0400);
	CU_ASSERT(cs_keyfile_load(ctx, p12, NULL, NULL, &kf) == 0);
	cs_keyfile_free(kf);
	kf = NULL;
	free(want);
	want = tu_path(dir, "does-not-exist.p12");
	CU_ASSERT(cs_keyfile_load(ctx, want, NULL, NULL, &kf) ==
	    CERTSEAL_E_NOT_FOUND);
	certseal_ctx_free(ctx);
	free(want);
	free(p12);
}

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "PKCS#12 with a pin-source", test_p12_pin_source },
		{ "PKCS#12 without password, prompt",
		    test_p12_no_password_and_prompt },
		{ "PKCS#12 damaged", test_p12_damaged },
		{ "PKCS#12 iteration counts bounded", test_p12_iterations },
		{ "PEM key and certificates", test_pem },
		{ "file permissions", test_permissions },
	};

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("keyfile", CU_CASES(cases), suite_init,
	    suite_cleanup) != 0)
		return 1;
	return cu_run_all();
}
