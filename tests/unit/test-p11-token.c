/*
 * test-p11-token.c - URIs, modules, tokens and logins against real
 * SoftHSM2 tokens created for this run.
 */
#include "config.h"

#include <CUnit/CUnit.h>

#include "cu-run.h"
#include "internal.h"
#include "source.h"
#include "p11.h"
#include "test-p11-common.h"

static certseal_ctx *ctx;

static const struct {
	const char	*uri;
	int		 expect;
	const char	*in_message;	/* expected in the error message */
	size_t		 idlen;
} uri_cases[] = {
	{ "pkcs11:token=alpha%20one", 0, NULL, 0 },
	{ "pkcs11:token=x;id=%01%02%ff;object=my%20key", 0, NULL, 3 },
	{ "pkcs11:token=x;type=private?module-name=softhsm2", 0, NULL, 0 },
	{ "pkcs11:token=x?pin-value=1234", 0, NULL, 0 },
	{ "pkcs11:token=x?pin-source=file:/tmp/p&module-path=/m.so", 0,
	    NULL, 0 },
	{ "pkcs11:token=x?foo=bar", CERTSEAL_E_BAD_URI, "'foo'", 0 },
	{ "pkcs11:bogus=1;token=x", CERTSEAL_E_BAD_URI, "'bogus'", 0 },
	{ "pkcs11:token=%zz", CERTSEAL_E_BAD_URI, "encoding", 0 },
	{ "pkcs11:token=x?module-path=/a&module-name=b", CERTSEAL_E_BAD_URI,
	    "not both", 0 },
	{ "pkcs11:token=x?module-path=/m.so&x-init-reserved=a%3D%27b%27", 0,
	    NULL, 0 },
	{ "pkcs11:token=x?x-init-reserved=flags%3D", CERTSEAL_E_BAD_URI,
	    "needs module-path", 0 },
	{ "file:/etc/passwd", CERTSEAL_E_BAD_URI, "not a pkcs11", 0 },
	/* RFC 7512 2.3: no attribute twice in the path; p11-kit keeps the
	 * last.  Nor in the query: two PINs or modules mean two things. */
	{ "pkcs11:token=a;token=b", CERTSEAL_E_BAD_URI, "'token' given twice",
	    0 },
	{ "pkcs11:token=a;object=k;id=%01;object=k", CERTSEAL_E_BAD_URI,
	    "'object' given twice", 0 },
	{ "pkcs11:token=x?pin-source=/a&pin-source=/b", CERTSEAL_E_BAD_URI,
	    "'pin-source' given twice", 0 },
	{ "pkcs11:token=x?module-path=/a.so&pin-value=1&module-path=/a.so",
	    CERTSEAL_E_BAD_URI, "'module-path' given twice", 0 },
	{ "pkcs11:token=a;model=token?pin-source=/token", 0, NULL, 0 },
};

static void
test_uri_table(void)
{
	struct cs_p11_uri *u;
	size_t i, idlen;
	int r;

	for (i = 0; i < sizeof(uri_cases) / sizeof(uri_cases[0]); i++) {
		cs_error_clear(ctx);
		r = cs_p11_uri_parse(ctx, uri_cases[i].uri, &u);
		CU_ASSERT_EQUAL_ROW(r, uri_cases[i].expect, uri_cases[i].uri);
		if (uri_cases[i].in_message != NULL)
			CU_ASSERT_CONTAINS(certseal_ctx_last_error(ctx),
			    uri_cases[i].in_message, uri_cases[i].uri);
		if (r == 0) {
			(void)cs_p11_uri_id(u, &idlen);
			CU_ASSERT_EQUAL(idlen, uri_cases[i].idlen);
		}
		cs_p11_uri_free(u);
	}
}

static void
test_uri_fields(void)
{
	struct cs_p11_uri *u = NULL;
	const uint8_t *id;
	size_t idlen;

	CU_ASSERT_EQUAL_FATAL(cs_p11_uri_parse(ctx, "pkcs11:token=a%20b;"
	    "id=%00%ff;object=my%20key;type=cert?pin-source=file:/x",
	    &u), 0);
	id = cs_p11_uri_id(u, &idlen);
	CU_ASSERT_EQUAL(idlen, 2);
	CU_ASSERT(id != NULL && id[0] == 0 && id[1] == 0xff);
	CU_ASSERT_STRING_EQUAL(cs_p11_uri_object(u), "my key");
	CU_ASSERT_EQUAL(cs_p11_uri_class(u), CKO_CERTIFICATE);
	CU_ASSERT_STRING_EQUAL(cs_p11_uri_pin_source(u), "file:/x");
	CU_ASSERT_PTR_NULL(cs_p11_uri_module_path(u));
	cs_p11_uri_free(u);
}

/* The source layer reports a bad URI with the attribute's name. */
static void
test_source_bad_uri(void)
{
	CU_ASSERT_EQUAL(certseal_ctx_add_source(ctx,
	    "pkcs11:token=x?colour=red"), CERTSEAL_E_BAD_URI);
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
	    "colour"));
	CU_ASSERT_EQUAL(certseal_exit_code(CERTSEAL_E_BAD_URI), 2);
}

static int
open_token(const char *uri, struct cs_p11_token **tok)
{
	struct cs_p11_uri *u = NULL;
	int r;

	*tok = NULL;
	if ((r = cs_p11_uri_parse(ctx, uri, &u)) != 0)
		return r;
	r = cs_p11_token_open(ctx, u, tok);
	cs_p11_uri_free(u);
	return r;
}

static void
test_module_by_path_and_name(void)
{
	struct cs_p11_token *a = NULL, *b = NULL;

	CU_ASSERT_EQUAL_FATAL(open_token("pkcs11:token=alpha%20one"
	    "?module-path=" SOFTHSM_PATH, &a), 0);
	CU_ASSERT_STRING_EQUAL(cs_p11_token_label(a), "alpha one");
	/* By p11-kit name: the same registry entry (one owner). */
	CU_ASSERT_EQUAL_FATAL(open_token("pkcs11:token=alpha%20one"
	    "?module-name=softhsm2", &b), 0);
	CU_ASSERT_PTR_EQUAL(a, b);
	CU_ASSERT_PTR_EQUAL(cs_p11_token_module(a), cs_p11_token_module(b));
	cs_p11_token_unref(a);
	cs_p11_token_unref(b);
}

static void
test_two_tokens_one_module(void)
{
	struct cs_p11_token *a = NULL, *b = NULL;

	CU_ASSERT_EQUAL_FATAL(open_token("pkcs11:token=alpha%20one"
	    "?module-path=" SOFTHSM_PATH, &a), 0);
	CU_ASSERT_EQUAL_FATAL(open_token("pkcs11:token=beta"
	    "?module-path=" SOFTHSM_PATH, &b), 0);
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	CU_ASSERT_PTR_EQUAL(cs_p11_token_module(a), cs_p11_token_module(b));
	CU_ASSERT_STRING_EQUAL(cs_p11_token_label(b), "beta");
	CU_ASSERT_STRING_EQUAL(cs_p11_token_model(b), "SoftHSM v2");
	cs_p11_token_unref(a);
	cs_p11_token_unref(b);
}

static void
test_absent_and_bad_module(void)
{
	struct cs_p11_token *t = NULL;

	CU_ASSERT_EQUAL(open_token("pkcs11:token=nope?module-path="
	    SOFTHSM_PATH, &t), CERTSEAL_E_TOKEN_ABSENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
	    "check the label"));
	CU_ASSERT_EQUAL(open_token("pkcs11:token=nope?module-path="
	    "/nonexistent/libnothing.so", &t), CERTSEAL_E_MODULE);
	CU_ASSERT_EQUAL(open_token("pkcs11:token=nope?module-name="
	    "no-such-module", &t), CERTSEAL_E_MODULE);
	CU_ASSERT_EQUAL(certseal_exit_code(CERTSEAL_E_TOKEN_ABSENT), 6);
}

static int
login(const char *uri)
{
	struct cs_p11_uri *u = NULL;
	struct cs_p11_token *t = NULL;
	int r;

	if ((r = cs_p11_uri_parse(ctx, uri, &u)) != 0)
		return r;
	if ((r = cs_p11_token_open(ctx, u, &t)) == 0)
		r = cs_p11_token_login(ctx, t, cs_p11_uri_pin_source(u),
		    cs_p11_uri_pin_value(u));
	cs_p11_token_unref(t);
	cs_p11_uri_free(u);
	return r;
}

static void
test_pin_source_newline(void)
{
	char uri[1024];
	const char *path = tp_file("pin-nl", TP_PIN "\r\n");
	unsigned long before = cs_p11_login_calls();

	snprintf(uri, sizeof(uri), "pkcs11:token=pinfile?module-path="
	    SOFTHSM_PATH "&pin-source=%s", path);
	CU_ASSERT_EQUAL(login(uri), 0);
	CU_ASSERT_EQUAL(cs_p11_login_calls(), before + 1);
	/* Logged in once: a second login is free, no C_Login. */
	CU_ASSERT_EQUAL(login(uri), 0);
	CU_ASSERT_EQUAL(cs_p11_login_calls(), before + 1);
}

static void
test_pin_source_file_uri(void)
{
	char uri[1024];
	const char *path = tp_file("pin-uri", TP_PIN "\n");

	snprintf(uri, sizeof(uri), "pkcs11:token=pinuri?module-path="
	    SOFTHSM_PATH "&pin-source=file:%s", path);
	CU_ASSERT_EQUAL(login(uri), 0);
}

static void
test_wrong_pin_once(void)
{
	char uri[1024];
	const char *path = tp_file("pin-wrong", "9999\n");
	unsigned long before = cs_p11_login_calls();

	snprintf(uri, sizeof(uri), "pkcs11:token=wrong?module-path="
	    SOFTHSM_PATH "&pin-source=%s", path);
	CU_ASSERT_EQUAL(login(uri), CERTSEAL_E_PIN_INCORRECT);
	CU_ASSERT_EQUAL(cs_p11_login_calls(), before + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
	    "CKR_PIN_INCORRECT"));
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
	    "'wrong'"));
	CU_ASSERT_EQUAL(certseal_exit_code(CERTSEAL_E_PIN_INCORRECT), 6);
	/* The token itself counted exactly one failure. */
	CU_ASSERT_EQUAL(tp_sh("pkcs11-tool --module " SOFTHSM_PATH
	    " --token-label wrong -T 2>/dev/null | grep -q 'user PIN count "
	    "low'"), 0);
}

static void
test_no_pin(void)
{
	unsetenv("CERTSEAL_PIN");
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	CU_ASSERT_EQUAL(login("pkcs11:token=beta?module-path=" SOFTHSM_PATH),
	    CERTSEAL_E_NO_PIN);
	certseal_ctx_set_flags(ctx, 0);
}

static void
test_init_reserved_decoded(void)
{
	struct cs_p11_uri *u = NULL;

	CU_ASSERT_EQUAL_FATAL(cs_p11_uri_parse(ctx, "pkcs11:token=x"
	    "?module-path=/m.so&x-init-reserved=configdir%3D%27sql%3A/d%27"
	    "%20flags%3D", &u), 0);
	CU_ASSERT_STRING_EQUAL(cs_p11_uri_init_reserved(u),
	    "configdir='sql:/d' flags=");
	cs_p11_uri_free(u);
	CU_ASSERT_EQUAL_FATAL(cs_p11_uri_parse(ctx, "pkcs11:token=x"
	    "?module-path=/m.so", &u), 0);
	CU_ASSERT_PTR_NULL(cs_p11_uri_init_reserved(u));
	cs_p11_uri_free(u);
}

/*
 * The mechanism list is read once per token and process, however many
 * contexts and opens use it; SoftHSM2 offers what certseal needs.
 */
static void
test_caps_once(void)
{
	struct cs_p11_token *a = NULL, *b = NULL;
	const struct cs_p11_caps *c = NULL, *c2 = NULL;
	unsigned long before, info;

	CU_ASSERT_EQUAL_FATAL(open_token("pkcs11:token=beta"
	    "?module-path=" SOFTHSM_PATH, &a), 0);
	before = cs_p11_caps_reads();
	/* One mechanism asked about: its info only, and only once. */
	info = cs_p11_caps_info_reads();
	CU_ASSERT_EQUAL(cs_p11_token_has(ctx, a, CS_CAP_ECDH, CKF_DERIVE), 1);
	CU_ASSERT(cs_p11_caps_info_reads() - info <= 1);
	info = cs_p11_caps_info_reads();
	CU_ASSERT_EQUAL(cs_p11_token_has(ctx, a, CS_CAP_ECDH, CKF_DERIVE), 1);
	CU_ASSERT_EQUAL(cs_p11_token_has(ctx, a, CS_CAP_ECDH, CKF_SIGN), 0);
	CU_ASSERT_EQUAL(cs_p11_caps_info_reads(), info);
	CU_ASSERT_EQUAL_FATAL(cs_p11_token_caps(ctx, a, &c), 0);
	/* The report's form asks about the others, once. */
	info = cs_p11_caps_info_reads();
	CU_ASSERT_EQUAL_FATAL(cs_p11_token_caps(ctx, a, &c), 0);
	CU_ASSERT_EQUAL(cs_p11_caps_info_reads(), info);
	CU_ASSERT_EQUAL_FATAL(open_token("pkcs11:token=beta"
	    "?module-name=softhsm2", &b), 0);
	CU_ASSERT_EQUAL_FATAL(cs_p11_token_caps(ctx, b, &c2), 0);
	CU_ASSERT_PTR_EQUAL(c, c2);
	CU_ASSERT(cs_p11_caps_reads() - before <= 1);
	CU_ASSERT(c->known);
	CU_ASSERT_EQUAL(cs_p11_caps_has(c, CS_CAP_ECDH, CKF_DERIVE), 1);
	CU_ASSERT_EQUAL(cs_p11_caps_has(c, CS_CAP_RSA_OAEP, CKF_DECRYPT), 1);
	CU_ASSERT_EQUAL(cs_p11_caps_has(c, CS_CAP_RSA_X509, CKF_DECRYPT), 1);
	CU_ASSERT_EQUAL(cs_p11_caps_has(c, CS_CAP_AES_WRAP_PAD, CKF_WRAP), 1);
	/* A flag the mechanism lacks: ECDH does not sign. */
	CU_ASSERT_EQUAL(cs_p11_caps_has(c, CS_CAP_ECDH, CKF_SIGN), 0);
	CU_ASSERT_EQUAL(cs_p11_require_key_use(ctx, a, CKK_EC, 0), 0);
	CU_ASSERT_EQUAL(cs_p11_require_key_use(ctx, a, CKK_RSA, 1), 0);
	CU_ASSERT_EQUAL(cs_p11_require_keygen(ctx, a, CS_P11_RSA4096, 1), 0);
	CU_ASSERT_EQUAL(cs_p11_require_keygen(ctx, a, CS_P11_EC_P384, 1), 0);
	/* No answer from the module: unknown, and the token is tried. */
	CU_ASSERT_EQUAL(cs_p11_caps_has(NULL, CS_CAP_ECDH, CKF_DERIVE), -1);
	cs_p11_token_unref(a);
	cs_p11_token_unref(b);
}

static const struct cu_case uri_tests[] = {
	{ "x-init-reserved percent-decoded", test_init_reserved_decoded },
	{ "URI table", test_uri_table },
	{ "URI fields, percent-encoded id", test_uri_fields },
	{ "unknown attribute through the source API", test_source_bad_uri },
};

static const struct cu_case token_tests[] = {
	{ "module by path and by p11-kit name", test_module_by_path_and_name },
	{ "two tokens in one module", test_two_tokens_one_module },
	{ "absent token, bad module", test_absent_and_bad_module },
	{ "pin-source with CR/LF, one C_Login", test_pin_source_newline },
	{ "pin-source as file: URI", test_pin_source_file_uri },
	{ "wrong PIN tried exactly once", test_wrong_pin_once },
	{ "no PIN available", test_no_pin },
	{ "mechanisms read once per token", test_caps_once },
};

int
main(void)
{
	int rc;

	if (tp_setup() != 0 || tp_token("alpha one") != 0 ||
	    tp_token("beta") != 0 || tp_token("pinfile") != 0 ||
	    tp_token("pinuri") != 0 || tp_token("wrong") != 0) {
		fprintf(stderr, "cannot create SoftHSM2 tokens\n");
		tp_cleanup();
		return 99;
	}
	if (certseal_ctx_new(&ctx) != 0 ||
	    CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("p11-uri", CU_CASES(uri_tests), NULL, NULL) != 0 ||
	    cu_add_suite("p11-token", CU_CASES(token_tests), NULL, NULL) != 0)
		return 99;
	rc = cu_run_all();
	certseal_ctx_free(ctx);
	cs_p11_shutdown();
	tp_cleanup();
	return rc;
}
