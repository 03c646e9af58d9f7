/*
 * test-source-file.c - the file: CertificateSource: URI forms, query
 * attributes, lazy loading and caching, key lookup by identifier, trusted
 * signers, the signing key and the description.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "cu-run.h"
#include "source.h"
#include "testutil.h"

static char *dir;
static EVP_PKEY *key, *skey, *okey;
static X509 *cert, *scert, *ocert;

static int
suite_init(void)
{
	STACK_OF(X509) *extra;
	char *p;
	int r;

	if ((dir = tu_tmpdir("cs-srcfile")) == NULL ||
	    (key = tu_make_key("rsa-2048")) == NULL ||
	    (skey = tu_make_key("ec-p256")) == NULL ||
	    (okey = tu_make_key("ec-p256")) == NULL ||
	    (cert = tu_make_cert_simple(key, "client")) == NULL ||
	    (scert = tu_make_cert_simple(skey, "signer")) == NULL ||
	    (ocert = tu_make_cert_simple(okey, "other")) == NULL)
		return -1;
	unsetenv("CERTSEAL_PIN");
	extra = sk_X509_new_null();
	sk_X509_push(extra, scert);
	p = tu_path(dir, "client.p12");
	r = tu_write_p12(p, key, cert, extra, "", 0600);
	free(p);
	/* a name that needs percent-encoding, with a password */
	p = tu_path(dir, "my client.p12");
	r |= tu_write_p12(p, key, cert, extra, "pw", 0600);
	free(p);
	p = tu_path(dir, "pin");
	r |= tu_write_file(p, "pw\n", 3, 0600);
	free(p);
	p = tu_path(dir, "key.pem");
	r |= tu_write_key_pem(p, key, NULL, 0600);
	free(p);
	p = tu_path(dir, "cert.pem");
	r |= tu_write_cert_pem(p, cert);
	free(p);
	sk_X509_free(extra);
	return r == 0 ? 0 : -1;
}

static int
suite_cleanup(void)
{
	EVP_PKEY_free(key);
	EVP_PKEY_free(skey);
	EVP_PKEY_free(okey);
	X509_free(cert);
	X509_free(scert);
	X509_free(ocert);
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

/* tmpl with each "@" replaced by the test directory. */
static char *
expand(const char *tmpl)
{
	size_t n = 1, dl = strlen(dir);
	const char *p;
	char *out, *o;

	for (p = tmpl; *p != '\0'; p++)
		n += *p == '@' ? dl : 1;
	CU_ASSERT_FATAL((out = malloc(n)) != NULL);
	for (p = tmpl, o = out; *p != '\0'; p++) {
		if (*p == '@') {
			memcpy(o, dir, dl);
			o += dl;
		} else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* The source for a URI template ("@" is the test directory). */
static int
make_source(certseal_ctx *ctx, const char *tmpl, struct cs_source **out)
{
	char *uri = expand(tmpl);
	int r;

	r = cs_source_new(ctx, uri, out);
	free(uri);
	return r;
}

static void
test_uri_forms(void)
{
	static const char *const good[] = {
		"file:@/client.p12",
		"file://@/client.p12",
		"file://localhost@/client.p12",
		"FILE:@/client.p12",
		"file:@/my%20client.p12?pin-source=@/pin",
		"file:@/my%20client.p12?pin-source=file:@/pin",
		"file:@/key.pem?cert=@/cert.pem",
		"file:@/key.pem?cert=file:@/cert.pem",
		"file://LocalHost@/key.pem?cert=file://localhost@/cert.pem",
		"file:@/my%20client.p12?pin-source=file://localhost@/pin",
	};
	certseal_ctx *ctx = new_ctx();
	struct cs_source *src = NULL;
	const struct cs_key *k = NULL;
	char *uri = NULL;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uri = expand(good[i]);
		CU_ASSERT_FATAL(cs_source_new(ctx, uri, &src) == 0);
		if (cs_source_signer_key(src, &k) != 0)
			fprintf(stderr, "%s: %s\n", uri,
			    certseal_ctx_last_error(ctx));
		CU_ASSERT(k != NULL && X509_cmp(k->cert, cert) == 0);
		cs_source_free(src);
		src = NULL;
		free(uri);
	}
	certseal_ctx_free(ctx);
}

static void
test_relative_path(void)
{
	certseal_ctx *ctx = new_ctx();
	struct cs_source *src = NULL;
	const struct cs_key *k = NULL;
	char cwd[4096];

	CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL);
	CU_ASSERT_FATAL(chdir(dir) == 0);
	CU_ASSERT_FATAL(cs_source_new(ctx, "file:client.p12", &src) == 0);
	CU_ASSERT(cs_source_signer_key(src, &k) == 0);
	cs_source_free(src);
	CU_ASSERT_FATAL(chdir(cwd) == 0);
	certseal_ctx_free(ctx);
}

static void
test_bad_uris(void)
{
	static const struct {
		const char	*uri;
		const char	*says;
	} bad[] = {
		{ "file:", "no file name" },
		{ "file:?pin-source=/x", "no file name" },
		{ "file://otherhost/x.p12", "local" },
		{ "file://otherhost", "local" },
		{ "file://LOCALHOST.example/x.p12", "local" },
		{ "file:/x.p12?pin-source=file://otherhost/pin",
		    "'pin-source' is not a local file" },
		{ "file:/x.p12?cert=file://otherhost/c.pem",
		    "'cert' is not a local file" },
		{ "file:/x.p12?cert=file:", "'cert' is not a local file" },
		{ "file:/x.p12?frobnicate=1", "frobnicate" },
		{ "file:/x.p12?pin-value=1234", "pin-value" },
		{ "file:/x.p12?pin-source", "pin-source" },
		{ "file:/x.p12?cert=", "cert" },
		{ "file:/x%zz.p12", "percent" },
		{ "file:/x%00.p12", "percent" },
		{ "file:/x%4.p12", "percent" },
	};
	certseal_ctx *ctx = new_ctx();
	struct cs_source *src = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL_ROW(cs_source_new(ctx, bad[i].uri, &src),
		    CERTSEAL_E_BAD_URI, bad[i].uri);
		CU_ASSERT(src == NULL);
		CU_ASSERT_CONTAINS(certseal_ctx_last_error(ctx), bad[i].says,
		    bad[i].uri);
		/* a PIN never reaches a message */
		CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "1234") ==
		    NULL);
	}
	certseal_ctx_free(ctx);
}

static void
test_find_key_and_signers(void)
{
	certseal_ctx *ctx = new_ctx();
	struct cs_source *src = NULL;
	const struct cs_key *k = NULL;
	struct cs_recipient_id id = { 0 };
	STACK_OF(X509) *trusted = sk_X509_new_null();

	CU_ASSERT_FATAL(make_source(ctx, "file:@/client.p12", &src) == 0);
	id.keyid = X509_get0_subject_key_id(cert);
	CU_ASSERT(cs_source_find_key(src, &id, &k) == 0);
	CU_ASSERT_FATAL(k != NULL);
	CU_ASSERT(X509_cmp(k->cert, cert) == 0);
	CU_ASSERT(k->keyid_hex[0] != '\0');
	CU_ASSERT(strlen(k->keyid_hex) == 2 * (size_t)ASN1_STRING_length(
	    X509_get0_subject_key_id(cert)));
	/* by issuer and serial too */
	id.keyid = NULL;
	id.issuer = X509_get_issuer_name(cert);
	id.serial = X509_get0_serialNumber(cert);
	CU_ASSERT(cs_source_find_key(src, &id, &k) == 0);
	/* someone else */
	memset(&id, 0, sizeof(id));
	id.keyid = X509_get0_subject_key_id(ocert);
	CU_ASSERT(cs_source_find_key(src, &id, &k) == CERTSEAL_E_NO_KEY);
	CU_ASSERT(k == NULL);
	CU_ASSERT(cs_source_trusted_signers(src, trusted) == 0);
	CU_ASSERT_EQUAL(sk_X509_num(trusted), 1);
	CU_ASSERT(X509_cmp(sk_X509_value(trusted, 0), scert) == 0);
	sk_X509_pop_free(trusted, X509_free);
	cs_source_free(src);
	certseal_ctx_free(ctx);
}

static int
counting_prompt(const char *what, char *buf, size_t buflen, void *arg)
{
	int *calls = arg;

	(*calls)++;
	snprintf(buf, buflen, "wrong");
	return 0;
}

static void
test_lazy_and_cached(void)
{
	certseal_ctx *ctx = NULL;
	struct cs_source *src = NULL;
	const struct cs_key *k = NULL;
	struct cs_recipient_id id = { 0 };
	char *p;
	int calls = 0;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	certseal_ctx_set_prompt(ctx, counting_prompt, &calls);
	/* new does not touch the file */
	CU_ASSERT(make_source(ctx, "file:@/later.p12", &src) == 0);
	id.keyid = X509_get0_subject_key_id(cert);
	CU_ASSERT(cs_source_find_key(src, &id, &k) == CERTSEAL_E_NOT_FOUND);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "later.p12") != NULL);
	cs_source_free(src);
	src = NULL;
	/* a wrong password is asked for once and never retried */
	CU_ASSERT_FATAL(make_source(ctx, "file:@/my%20client.p12",
	    &src) == 0);
	CU_ASSERT(cs_source_find_key(src, &id, &k) ==
	    CERTSEAL_E_PIN_INCORRECT);
	CU_ASSERT(cs_source_find_key(src, &id, &k) ==
	    CERTSEAL_E_PIN_INCORRECT);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "wrong password") !=
	    NULL);
	CU_ASSERT_EQUAL(calls, 1);
	cs_source_free(src);
	src = NULL;
	/* loose permissions are refused with the fix in the message */
	p = tu_path(dir, "client.p12");
	chmod(p, 0644);
	CU_ASSERT_FATAL(make_source(ctx, "file:@/client.p12", &src) == 0);
	CU_ASSERT(cs_source_find_key(src, &id, &k) == CERTSEAL_E_PERMISSION);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "chmod 600") != NULL);
	chmod(p, 0600);
	free(p);
	cs_source_free(src);
	certseal_ctx_free(ctx);
}

static void
test_describe(void)
{
	certseal_ctx *ctx = new_ctx();
	struct cs_source *src = NULL;
	json_t *j = NULL, *s, *k;
	char hex[129];
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

	CU_ASSERT_FATAL(make_source(ctx, "file:@/client.p12", &src) == 0);
	CU_ASSERT_FATAL(cs_source_describe(src, &j) == 0);
	cs_hex(ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid),
	    hex, sizeof(hex));
	/* The one shape of every scheme: the key in keys[], by key_id. */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "scheme")),
	    "file");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "status")),
	    "ok");
	CU_ASSERT_PTR_NULL(json_object_get(j, "key_id"));
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(j, "keys")), 1);
	k = json_array_get(json_object_get(j, "keys"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "key_id")),
	    hex);
	CU_ASSERT(strstr(json_string_value(json_object_get(k, "subject")),
	    "CN=client") != NULL);
	/* RFC 3339 UTC, the one time format: 2026-12-01T21:05:26Z. */
	CU_ASSERT_FATAL(json_string_value(json_object_get(k, "not_after")) !=
	    NULL);
	CU_ASSERT_EQUAL(strlen(json_string_value(json_object_get(k,
	    "not_after"))), 20);
	CU_ASSERT_CONTAINS(json_string_value(json_object_get(k, "not_after")),
	    "T", "not_after");
	CU_ASSERT(strncmp(json_string_value(json_object_get(j, "uri")),
	    "file:", 5) == 0);
	s = json_object_get(j, "trusted_signers");
	CU_ASSERT_EQUAL(json_array_size(s), 1);
	CU_ASSERT(strstr(json_string_value(json_object_get(json_array_get(s,
	    0), "subject")), "CN=signer") != NULL);
	json_decref(j);
	cs_source_free(src);
	src = NULL;
	/* a source that cannot load still describes itself, with the error */
	CU_ASSERT_FATAL(make_source(ctx, "file:@/nothing.p12", &src) == 0);
	CU_ASSERT_FATAL(cs_source_describe(src, &j) == 0);
	CU_ASSERT(json_object_get(j, "error") != NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "status")),
	    "error");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "keys")), 0);
	json_decref(j);
	cs_source_free(src);
	certseal_ctx_free(ctx);
}

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "URI forms", test_uri_forms },
		{ "relative path", test_relative_path },
		{ "bad URIs", test_bad_uris },
		{ "find_key and trusted signers", test_find_key_and_signers },
		{ "lazy loading, cached failures", test_lazy_and_cached },
		{ "describe", test_describe },
	};

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("source-file", CU_CASES(cases), suite_init,
	    suite_cleanup) != 0)
		return 1;
	return cu_run_all();
}
