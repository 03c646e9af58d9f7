/*
 * test-p11-pin.c - the login branches of pkcs11/p11-pin.c that real
 * tokens reach rarely (a locked PIN, the final try, PIN pads, expired
 * PINs, tokens logged in by someone else), against the mock module
 * tests/unit/mock-p11.c.  The module counts the C_Login calls that reach
 * each token, so "never sent" is the token's word, not certseal's.
 */
#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "cu-run.h"
#include "internal.h"
#include "p11.h"

#define RIGHT_PIN	"1234"
#define WRONG_PIN	"0000"

static certseal_ctx *ctx;
static const char *mock_path;
static char dir[PATH_MAX];
static char right_pin[PATH_MAX + 8], wrong_pin[PATH_MAX + 8];
static unsigned long (*mock_logins)(const char *label);

/* pkcs11:token=LABEL?module-path=MOCK, the label's blanks escaped. */
static void
mock_uri(const char *label, char *buf, size_t len)
{
	size_t n;

	n = (size_t)snprintf(buf, len, "pkcs11:token=");
	for (; *label != '\0' && n + 4 < len; label++) {
		if (*label == ' ')
			n += (size_t)snprintf(buf + n, len - n, "%%20");
		else
			buf[n++] = *label;
	}
	snprintf(buf + n, len - n, "?module-path=%s", mock_path);
}

/* Opens the mock token LABEL and logs it in with pin_source. */
static int
login(const char *label, const char *pin_source)
{
	struct cs_p11_uri *u = NULL;
	struct cs_p11_token *t = NULL;
	char uri[PATH_MAX + 128];
	int r;

	mock_uri(label, uri, sizeof(uri));
	cs_error_clear(ctx);
	if ((r = cs_p11_uri_parse(ctx, uri, &u)) != 0)
		return r;
	if ((r = cs_p11_token_open(ctx, u, &t)) == 0)
		r = cs_p11_token_login(ctx, t, pin_source, NULL);
	cs_p11_token_unref(t);
	cs_p11_uri_free(u);
	return r;
}

static void
test_login_table(void)
{
	static const struct {
		const char	*label;
		int		 wrong;		/* send the wrong PIN */
		int		 nopin;		/* no PIN anywhere */
		int		 expect;
		const char	*says;		/* in the message, or NULL */
		const char	*never;		/* not in it, or NULL */
		unsigned long	 logins;	/* C_Login calls the token saw */
	} table[] = {
		/* The flags say locked: the PIN is not even read. */
		{ "locked", 0, 1, CERTSEAL_E_PIN_LOCKED, "CKR_PIN_LOCKED",
		    NULL, 0 },
		/* Some tokens only say it when asked. */
		{ "silent lock", 0, 0, CERTSEAL_E_PIN_LOCKED,
		    "unlock it with the SO PIN", NULL, 1 },
		/* A first wrong PIN on a fresh token: no alarm. */
		{ "plain", 1, 0, CERTSEAL_E_PIN_INCORRECT, "CKR_PIN_INCORRECT",
		    "last attempt", 1 },
		/* Another PIN after a refused one is sent: it is not the same. */
		{ "plain", 0, 0, 0, NULL, NULL, 1 },
		/* One wrong PIN away from locking: the user is told. */
		{ "final try", 1, 0, CERTSEAL_E_PIN_INCORRECT,
		    "last attempt before the PIN locks", NULL, 1 },
		{ "pin pad", 0, 1, 0, NULL, NULL, 1 },
		{ "no login", 0, 1, 0, NULL, NULL, 0 },
		{ "expired", 0, 0, CERTSEAL_E_PIN_LOCKED, "PIN expired", NULL,
		    1 },
		{ "already in", 0, 0, 0, NULL, NULL, 1 },
		{ "shared", 0, 1, 0, NULL, NULL, 0 },
		{ "removed", 0, 0, CERTSEAL_E_TOKEN_ABSENT,
		    "CKR_DEVICE_REMOVED", NULL, 1 },
	};
	unsigned long before;
	size_t i;
	int r;

	unsetenv("CERTSEAL_PIN");
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		before = mock_logins(table[i].label);
		r = login(table[i].label, table[i].nopin ? NULL :
		    table[i].wrong ? wrong_pin : right_pin);
		CU_ASSERT_EQUAL_ROW(r, table[i].expect, table[i].label);
		if (table[i].says != NULL)
			CU_ASSERT_CONTAINS(certseal_ctx_last_error(ctx),
			    table[i].says, table[i].label);
		if (table[i].never != NULL && strstr(
		    certseal_ctx_last_error(ctx), table[i].never) != NULL)
			CU_FAIL(table[i].never);
		if (r != 0)
			CU_ASSERT_CONTAINS(certseal_ctx_last_error(ctx),
			    table[i].label, table[i].label);
		CU_ASSERT_EQUAL_ROW(mock_logins(table[i].label) - before,
		    table[i].logins, table[i].label);
	}
	certseal_ctx_set_flags(ctx, 0);
}

/*
 * At the final try a wrong PIN is never sent again (the token would
 * lock), while the right one still logs in and the token counts afresh.
 */
static void
test_final_try_then_right_pin(void)
{
	char uri[PATH_MAX + 128];
	unsigned long before = mock_logins("final try");

	/* The table left "final try" one wrong PIN from locking. */
	CU_ASSERT_EQUAL(login("final try", wrong_pin),
	    CERTSEAL_E_PIN_INCORRECT);
	CU_ASSERT_CONTAINS(certseal_ctx_last_error(ctx), "not sent again",
	    "final try, same wrong PIN");
	CU_ASSERT_EQUAL(mock_logins("final try"), before);
	CU_ASSERT_EQUAL(login("final try", right_pin), 0);
	CU_ASSERT_EQUAL(mock_logins("final try"), before + 1);
	/* Logged in: later logins are free. */
	CU_ASSERT_EQUAL(login("final try", right_pin), 0);
	CU_ASSERT_EQUAL(mock_logins("final try"), before + 1);
	mock_uri("final try", uri, sizeof(uri));
	CU_ASSERT_CONTAINS(uri, "token=final%20try", "escaped label");
}

/* A locked token stays locked for every later source and context. */
static void
test_locked_stays_unsent(void)
{
	certseal_ctx *other = NULL;
	certseal_ctx *saved = ctx;

	CU_ASSERT_FATAL(certseal_ctx_new(&other) == 0);
	ctx = other;
	CU_ASSERT_EQUAL(login("locked", right_pin), CERTSEAL_E_PIN_LOCKED);
	CU_ASSERT_EQUAL(login("silent lock", right_pin),
	    CERTSEAL_E_PIN_LOCKED);
	ctx = saved;
	certseal_ctx_free(other);
	CU_ASSERT_EQUAL(mock_logins("locked"), 0);
}

static const struct cu_case cases[] = {
	{ "login answers, one row per token", test_login_table },
	{ "final try: wrong PIN not resent, right PIN logs in",
	    test_final_try_then_right_pin },
	{ "locked PIN never sent", test_locked_stays_unsent },
};

static int
write_pin(char *path, size_t len, const char *name, const char *pin)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", pin);
	return fclose(f);
}

int
main(void)
{
	struct cs_p11_module *m = NULL;
	char resolved[PATH_MAX];
	void *h;
	int rc;

	if ((mock_path = getenv("MOCK_P11_MODULE")) == NULL)
		mock_path = MOCK_P11_BUILT;
	snprintf(dir, sizeof(dir), "%s/certseal-pin.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL ||
	    write_pin(right_pin, sizeof(right_pin), "right", RIGHT_PIN) != 0 ||
	    write_pin(wrong_pin, sizeof(wrong_pin), "wrong", WRONG_PIN) != 0) {
		perror("test-p11-pin: temp dir");
		return 99;
	}
	/* Load through certseal's registry first, then find its counter. */
	if (certseal_ctx_new(&ctx) != 0 ||
	    cs_p11_module_load_path(ctx, mock_path, &m) != 0) {
		fprintf(stderr, "test-p11-pin: mock module %s: %s\n",
		    mock_path, ctx != NULL ? certseal_ctx_last_error(ctx) :
		    "no context");
		return 99;
	}
	/* The registry loaded the resolved path; so do we. */
	if (realpath(mock_path, resolved) == NULL ||
	    (h = dlopen(resolved, RTLD_NOW | RTLD_NOLOAD)) == NULL ||
	    (*(void **)&mock_logins = dlsym(h, "mock_p11_logins")) == NULL) {
		fprintf(stderr, "test-p11-pin: %s: %s\n", mock_path,
		    dlerror());
		return 99;
	}
	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("p11-pin", CU_CASES(cases), NULL, NULL) != 0)
		return 99;
	rc = cu_run_all();
	cs_p11_module_unref(m);
	certseal_ctx_free(ctx);
	cs_p11_shutdown();
	dlclose(h);
	unlink(right_pin);
	unlink(wrong_pin);
	rmdir(dir);
	return rc;
}
