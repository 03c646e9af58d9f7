/*
 * test-p11-common.h - throw-away SoftHSM2 tokens for the pkcs11/ suites:
 * each program gets its own SOFTHSM2_CONF and token directory under a
 * mktemp dir, tokens are selected by label, and everything is removed at
 * the end (same layout as tests/softhsm-env.sh).
 *
 * The module is the one configure was given (--with-softhsm-module, in
 * config.h as CS_SOFTHSM_MODULE; include config.h first): the same value
 * tests/local.mk hands the scripts as $SOFTHSM_MODULE.  Without it or
 * without softhsm2-util, tp_setup() skips the whole program (exit 77).
 */
#ifndef TEST_P11_COMMON_H
#define TEST_P11_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CS_SOFTHSM_MODULE
#error "include config.h before test-p11-common.h"
#endif
#define SOFTHSM_PATH	CS_SOFTHSM_MODULE
#define TP_PIN		"1234"
#define TP_SOPIN	"12345678"

/* Not every suite uses every helper. */
#define TP_UNUSED	__attribute__((unused))

static char tp_dir[256];

static TP_UNUSED int
tp_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/*
 * Exits 77 (automake's "skipped") when the tools the suite needs are
 * missing, saying which: a skip must never look like a pass.
 */
static TP_UNUSED void
tp_require_softhsm(void)
{
	const char *env = getenv("SOFTHSM_MODULE");

	if (access(SOFTHSM_PATH, R_OK) != 0) {
		fprintf(stderr, "SKIP: SoftHSM2 module %s not found (install "
		    "softhsm2, or configure --with-softhsm-module)\n",
		    SOFTHSM_PATH);
		exit(77);
	}
	if (system("command -v softhsm2-util >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: softhsm2-util not found in PATH "
		    "(install softhsm2)\n");
		exit(77);
	}
	if (env != NULL && strcmp(env, SOFTHSM_PATH) != 0)
		fprintf(stderr, "note: SOFTHSM_MODULE=%s is ignored; this "
		    "suite was configured for %s\n", env, SOFTHSM_PATH);
}

/* Creates the SoftHSM config and token directory; sets SOFTHSM2_CONF. */
static TP_UNUSED int
tp_setup(void)
{
	char conf[512];
	FILE *f;

	tp_require_softhsm();
	snprintf(tp_dir, sizeof(tp_dir), "/tmp/certseal-p11.XXXXXX");
	if (mkdtemp(tp_dir) == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/tokens", tp_dir);
	if (tp_sh("mkdir -p '%s'", conf) != 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tp_dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = "
	    "file\nlog.level = ERROR\nslots.removable = false\n", tp_dir);
	fclose(f);
	return setenv("SOFTHSM2_CONF", conf, 1);
}

static TP_UNUSED int
tp_token(const char *label)
{
	return tp_sh("softhsm2-util --init-token --free --label '%s' --pin %s "
	    "--so-pin %s >/dev/null", label, TP_PIN, TP_SOPIN);
}

/* Writes a file in the test directory; returns its path (static). */
static TP_UNUSED const char *
tp_file(const char *name, const char *content)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tp_dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fputs(content, f);
	fclose(f);
	return path;
}

static TP_UNUSED void
tp_cleanup(void)
{
	if (tp_dir[0] != '\0')
		tp_sh("rm -rf '%s'", tp_dir);
	tp_dir[0] = '\0';
}

#endif /* TEST_P11_COMMON_H */
