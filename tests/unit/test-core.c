/*
 * test-core.c - the core modules of libcertseal: errors, secrets and file
 * reads, PIN sources, atomic writes, the source registry and recipient
 * identifiers.  Table-driven where the module is a mapping.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "cu-run.h"
#include "file-uri.h"
#include "internal.h"
#include "source.h"

/* Short, so that paths built under it always fit PATH_MAX. */
static char tmpdir[256];

static int
suite_init(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/cs-core-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
suite_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *content, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	CU_ASSERT_FATAL(fp != NULL);
	fputs(content, fp);
	fclose(fp);
	chmod(path, mode);
}

/* ---- errors ---------------------------------------------------------- */

static void
test_exit_codes(void)
{
	static const struct { int err, exit_code; } table[] = {
		{ CERTSEAL_OK, 0 },
		{ CERTSEAL_E_INTERNAL, 1 }, { CERTSEAL_E_NOMEM, 1 },
		{ CERTSEAL_E_IO, 1 }, { CERTSEAL_E_NOT_FOUND, 1 },
		{ CERTSEAL_E_PERMISSION, 1 }, { CERTSEAL_E_STATE, 1 },
		{ CERTSEAL_E_USAGE, 2 }, { CERTSEAL_E_BAD_URI, 2 },
		{ CERTSEAL_E_UNSUPPORTED, 2 },
		{ CERTSEAL_E_NO_KEY, 3 },
		{ CERTSEAL_E_INTEGRITY, 4 }, { CERTSEAL_E_UNTRUSTED, 4 },
		{ CERTSEAL_E_BAD_SIGNATURE, 4 }, { CERTSEAL_E_DECRYPT, 4 },
		{ CERTSEAL_E_POLICY, 5 }, { CERTSEAL_E_UNSIGNED, 5 },
		{ CERTSEAL_E_PLAINTEXT, 5 }, { CERTSEAL_E_ROLLBACK, 5 },
		{ CERTSEAL_E_ALGORITHM, 5 }, { CERTSEAL_E_EXPIRED, 5 },
		{ CERTSEAL_E_TOO_LARGE, 5 },
		{ CERTSEAL_E_TOKEN, 6 }, { CERTSEAL_E_PIN_INCORRECT, 6 },
		{ CERTSEAL_E_PIN_LOCKED, 6 }, { CERTSEAL_E_NO_PIN, 6 },
		{ CERTSEAL_E_TOKEN_ABSENT, 6 }, { CERTSEAL_E_MODULE, 6 },
		{ -9999, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		CU_ASSERT_EQUAL(certseal_exit_code(table[i].err),
		    table[i].exit_code);
		CU_ASSERT_PTR_NOT_NULL(certseal_strerror(table[i].err));
	}
	CU_ASSERT_STRING_EQUAL(certseal_strerror(-9999), "unknown error");
}

static void
test_error_message(void)
{
	certseal_ctx *ctx = NULL;
	char longer[3000];

	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&ctx), 0);
	CU_ASSERT_STRING_EQUAL(certseal_ctx_last_error(ctx), "");
	CU_ASSERT_EQUAL(cs_error(ctx, CERTSEAL_E_IO, "x %d", 7),
	    CERTSEAL_E_IO);
	CU_ASSERT_STRING_EQUAL(certseal_ctx_last_error(ctx), "x 7");
	cs_error_prefix(ctx, "file %s", "a.conf");
	CU_ASSERT_STRING_EQUAL(certseal_ctx_last_error(ctx),
	    "file a.conf: x 7");
	/* Overlong messages are cut, never overflow. */
	memset(longer, 'z', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	cs_error(ctx, CERTSEAL_E_IO, "%s", longer);
	cs_error_prefix(ctx, "%s", longer);
	CU_ASSERT(strlen(certseal_ctx_last_error(ctx)) < CS_ERRMSG_MAX);
	cs_error_clear(ctx);
	CU_ASSERT_STRING_EQUAL(certseal_ctx_last_error(ctx), "");
	certseal_ctx_free(ctx);
	certseal_ctx_free(NULL);
}

/*
 * The public calls that fail say why, and the ones that succeed leave no
 * earlier failure behind: last_error is about the last call (an outside
 * audit found the text of an older failure after both).
 */
static void
test_error_belongs_to_the_last_call(void)
{
	certseal_ctx *ctx = NULL;
	certseal_config *cfg = NULL;

	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&ctx), 0);
	CU_ASSERT_EQUAL(certseal_ctx_add_source(ctx, ""), CERTSEAL_E_BAD_URI);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "empty") != NULL);
	CU_ASSERT_EQUAL(certseal_open_file(ctx, NULL, &cfg), CERTSEAL_E_USAGE);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "no path") != NULL);
	CU_ASSERT_EQUAL(certseal_ctx_add_source(ctx, ""), CERTSEAL_E_BAD_URI);
	CU_ASSERT_EQUAL(certseal_ctx_add_source(ctx, "store:"), 0);
	CU_ASSERT_STRING_EQUAL(certseal_ctx_last_error(ctx), "");
	CU_ASSERT_EQUAL(certseal_ctx_add_source(ctx, ""), CERTSEAL_E_BAD_URI);
	CU_ASSERT_EQUAL(certseal_open_mem(ctx, NULL, 5, "x", &cfg),
	    CERTSEAL_E_USAGE);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "no data") != NULL);
	CU_ASSERT_EQUAL(certseal_ctx_add_source(ctx, ""), CERTSEAL_E_BAD_URI);
	CU_ASSERT_EQUAL(certseal_ctx_set_state_dir(ctx, "/tmp"), 0);
	CU_ASSERT_STRING_EQUAL(certseal_ctx_last_error(ctx), "");
	CU_ASSERT_PTR_NULL(cfg);
	certseal_ctx_free(ctx);
}

/* ---- secrets and reads ----------------------------------------------- */

static void
test_secret(void)
{
	struct cs_secret *s = NULL;

	CU_ASSERT_EQUAL_FATAL(cs_secret_from("abc", 3, &s), 0);
	CU_ASSERT_EQUAL(s->len, 3);
	CU_ASSERT_EQUAL(s->data[3], '\0');
	CU_ASSERT_STRING_EQUAL((char *)s->data, "abc");
	cs_secret_free(s);
	/*
	 * A secret inside a larger buffer (a decryption in place), then
	 * narrowed to the verified content: NUL-terminated each time, and
	 * the block freed whole (ASan/valgrind see a leak or a bad free).
	 */
	{
		uint8_t *block = malloc(16);

		CU_ASSERT_FATAL(block != NULL);
		memcpy(block, "hdr:0123456789+-", 16);
		CU_ASSERT_EQUAL_FATAL(cs_secret_adopt_within(block, 0,
		    block + 4, 10, &s), 0);
		CU_ASSERT(s->len == 10 && memcmp(s->data, "0123456789",
		    11) == 0);
		cs_secret_narrow(s, 2, 5);
		CU_ASSERT(s->len == 5 && memcmp(s->data, "23456", 6) == 0);
		cs_secret_free(s);
		CU_ASSERT_EQUAL_FATAL(cs_secret_from("abcdef", 6, &s), 0);
		cs_secret_narrow(s, 1, 3);
		CU_ASSERT(s->len == 3 && strcmp((char *)s->data, "bcd") == 0);
		cs_secret_free(s);
	}
	CU_ASSERT_EQUAL_FATAL(cs_secret_new(0, &s), 0);
	CU_ASSERT_EQUAL(s->len, 0);
	cs_secret_free(s);
	cs_secret_free(NULL);
}

static void
test_read_file_limits(void)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/ten", tmpdir);
	write_file(path, "0123456789", 0600);
	CU_ASSERT_EQUAL(cs_read_file(NULL, path, 10, &data, &len), 0);
	CU_ASSERT_EQUAL(len, 10);
	CU_ASSERT(data != NULL && memcmp(data, "0123456789", 10) == 0);
	free(data);
	CU_ASSERT_EQUAL(cs_read_file(NULL, path, 9, &data, &len),
	    CERTSEAL_E_TOO_LARGE);
	CU_ASSERT_PTR_NULL(data);
	CU_ASSERT_EQUAL(cs_read_file(NULL, tmpdir, 100, &data, &len),
	    CERTSEAL_E_IO);
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	CU_ASSERT_EQUAL(cs_read_file(NULL, path, 100, &data, &len),
	    CERTSEAL_E_NOT_FOUND);
	/* Empty file: a valid, empty buffer. */
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	write_file(path, "", 0600);
	CU_ASSERT_EQUAL(cs_read_file(NULL, path, 100, &data, &len), 0);
	CU_ASSERT_EQUAL(len, 0);
	free(data);
}

/* A pipe has no size: the limit must hold while reading. */
static void
test_read_pipe_limit(void)
{
	char path[PATH_MAX], cmd[PATH_MAX * 2];
	struct cs_secret *s = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	FILE *p;

	/* A FIFO by name is refused at once, even with a writer. */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	snprintf(cmd, sizeof(cmd),
	    "head -c 100000 /dev/zero > '%s' 2>/dev/null &", path);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	CU_ASSERT_EQUAL(cs_read_file(NULL, path, 5000, &data, &len),
	    CERTSEAL_E_IO);
	CU_ASSERT_PTR_NULL(data);
	/* Let the writer go (it waits for a reader to open). */
	{
		int fd = open(path, O_RDONLY | O_NONBLOCK);
		if (fd >= 0)
			close(fd);
	}
	unlink(path);
	/* A pipe handed over as a descriptor (stdin) is read, bounded. */
	p = popen("head -c 100000 /dev/zero", "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(cs_read_secret_fd(NULL, fileno(p), "pipe", 5000, &s),
	    CERTSEAL_E_TOO_LARGE);
	CU_ASSERT_PTR_NULL(s);
	pclose(p);
}

/* ---- PIN sources ------------------------------------------------------ */

static void
test_pin_source_forms(void)
{
	static const struct {
		const char *content;	/* written to the pin file */
		const char *expect;
	} table[] = {
		{ "1234", "1234" },
		{ "1234\n", "1234" },
		{ "1234\r\n", "1234" },
		{ "12 34\n\n", "12 34" },
		{ "", "" },
	};
	static const char *const forms[] = { "", "file:", "file://",
	    "file://localhost", "FILE://LocalHost", "File:" };
	char path[PATH_MAX], src[PATH_MAX + 16];
	struct cs_secret *pin = NULL;
	size_t i, f;

	unsetenv("CERTSEAL_PIN");
	snprintf(path, sizeof(path), "%s/pin", tmpdir);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		write_file(path, table[i].content, 0600);
		for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			snprintf(src, sizeof(src), "%s%s", forms[f], path);
			CU_ASSERT_EQUAL_FATAL(cs_pin_get(NULL, src, NULL,
			    "PIN", &pin), 0);
			CU_ASSERT_EQUAL(pin->len, strlen(table[i].expect));
			CU_ASSERT_STRING_EQUAL((char *)pin->data,
			    table[i].expect);
			cs_secret_free(pin);
			pin = NULL;
		}
	}
}

/* ---- hex ------------------------------------------------------------- */

static void
test_hex(void)
{
	static const struct {
		const char *in;
		int len;		/* bytes, or -1: refused */
		const char *back;	/* cs_hex of the bytes */
	} table[] = {
		{ "", 0, "" },
		{ "00ff", 2, "00ff" },
		{ "ABcd09", 3, "abcd09" },
		/* sscanf("%2x") took all of these */
		{ " 1", -1, NULL },
		{ "-1", -1, NULL },
		{ "+1", -1, NULL },
		{ "0x", -1, NULL },
		{ "1 ", -1, NULL },
		{ "abc", -1, NULL },
		{ "zz", -1, NULL },
		{ "0g", -1, NULL },
		{ "000000000000000000", -1, NULL },	/* 9 bytes > 8 */
	};
	uint8_t out[8];
	char back[2 * sizeof(out) + 1];
	size_t i;
	int n;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		n = cs_hex_decode(table[i].in, out, sizeof(out));
		CU_ASSERT_EQUAL_ROW(n, table[i].len, table[i].in);
		if (n < 0 || table[i].back == NULL)
			continue;
		cs_hex(out, (size_t)n, back, sizeof(back));
		CU_ASSERT_STRING_EQUAL(back, table[i].back);
		CU_ASSERT_EQUAL_ROW(cs_is_hex(table[i].in, CS_HEX_ANY), 1,
		    table[i].in);
		CU_ASSERT_EQUAL_ROW(cs_is_hex(back, CS_HEX_LOWER), 1, back);
	}
	CU_ASSERT(cs_is_hex("ABcd", CS_HEX_LOWER) == 0);
	CU_ASSERT(cs_is_hex("ab cd", CS_HEX_ANY) == 0);
	CU_ASSERT(cs_hex_digit('F') == 15 && cs_hex_digit('g') == -1 &&
	    cs_hex_digit(' ') == -1 && cs_hex_digit('0') == 0);
	/* Typed ids: colons and either case in, certseal's form out. */
	CU_ASSERT(cs_hex_normalize("AB:cd:09", back, sizeof(back)) == 6);
	CU_ASSERT_STRING_EQUAL(back, "abcd09");
	CU_ASSERT(cs_hex_normalize("ab cd", back, sizeof(back)) == -1);
	CU_ASSERT_STRING_EQUAL(back, "");
	CU_ASSERT(cs_hex_normalize("-1", back, sizeof(back)) == -1);
	CU_ASSERT(cs_hex_normalize("abcdef", back, 6) == -1);
	CU_ASSERT(cs_hex_normalize("abcdef", back, 7) == 6);
	/* The encoder stops at the last whole byte that fits. */
	out[0] = 0xde;
	out[1] = 0xad;
	cs_hex(out, 2, back, 4);
	CU_ASSERT_STRING_EQUAL(back, "de");
}

/* ---- RFC 3339 time text ----------------------------------------------- */

static void
test_time_text(void)
{
	static const struct {
		const char *asn1;	/* ASN1_TIME_set_string form */
		const char *text;
	} table[] = {
		{ "20260101000000Z", "2026-01-01T00:00:00Z" },
		{ "491231235959Z", "2049-12-31T23:59:59Z" },	/* UTCTime */
		{ "500101000000Z", "1950-01-01T00:00:00Z" },
		{ "99991231235959Z", "9999-12-31T23:59:59Z" },
	};
	char buf[CS_TIME_TEXT_MAX];
	ASN1_TIME *t;
	size_t i;

	CU_ASSERT_EQUAL(CS_TIME_TEXT_MAX, 21);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		CU_ASSERT_FATAL((t = ASN1_TIME_new()) != NULL);
		CU_ASSERT_FATAL(ASN1_TIME_set_string(t, table[i].asn1) == 1);
		CU_ASSERT_EQUAL_ROW(cs_asn1_time_text(t, buf, sizeof(buf)), 0,
		    table[i].asn1);
		CU_ASSERT_CONTAINS(buf, table[i].text, table[i].asn1);
		ASN1_TIME_free(t);
	}
	CU_ASSERT(cs_time_text(0, buf, sizeof(buf)) == 0);
	CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00Z");
	CU_ASSERT(cs_time_text(1764623126, buf, sizeof(buf)) == 0);
	CU_ASSERT_STRING_EQUAL(buf, "2025-12-01T21:05:26Z");
	/* Too small a buffer, no time: "" and -1, never half a time. */
	CU_ASSERT(cs_time_text(0, buf, 20) == -1);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT(cs_asn1_time_text(NULL, buf, sizeof(buf)) == -1);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

/* One parser for file: URIs and paths: rows of input and path (NULL: no). */
static void
test_file_uri_path(void)
{
	static const struct {
		const char *in;
		const char *path;
	} table[] = {
		{ "/etc/pin", "/etc/pin" },
		{ "rel/pin", "rel/pin" },
		{ "", "" },
		{ "file:/etc/pin", "/etc/pin" },
		{ "file:rel/pin", "rel/pin" },
		{ "file:///etc/pin", "/etc/pin" },
		{ "file://localhost/etc/pin", "/etc/pin" },
		{ "FILE://LOCALHOST/etc/pin", "/etc/pin" },
		{ "file:", "" },
		{ "file://", "" },
		{ "file://localhost", "" },
		{ "file:///x.p12?pin-source=/p", "/x.p12?pin-source=/p" },
		{ "file://localhost?pin-source=/p", "?pin-source=/p" },
		/* Another host is not ours: never a relative path. */
		{ "file://otherhost/path", NULL },
		{ "file://otherhost", NULL },
		{ "file://localhost.example/path", NULL },
		{ "file://localhostx/path", NULL },
		{ "file://user@localhost/path", NULL },
		{ "file://127.0.0.1/path", NULL },
		{ "file://otherhost?x=/y", NULL },
		/* Not the file scheme: a plain (odd) path. */
		{ "files:/x", "files:/x" },
		{ "fil:/x", "fil:/x" },
	};
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		got = cs_file_uri_path(table[i].in);
		if (table[i].path == NULL) {
			CU_ASSERT_CONTAINS(got == NULL ? "NULL" : got, "NULL",
			    table[i].in);
			continue;
		}
		CU_ASSERT_CONTAINS(got, table[i].path, table[i].in);
		CU_ASSERT_EQUAL_ROW(got != NULL ? strlen(got) : 0,
		    strlen(table[i].path), table[i].in);
	}
}

/*
 * pin-source=file://otherhost/path names a file on another host.  It was
 * read as the relative path otherhost/path: here that file exists, and
 * must not be read.
 */
static void
test_pin_source_other_host(void)
{
	static const char *const refused[] = {
		"file://otherhost/pin", "file://otherhost", "FILE://other/pin",
	};
	char cwd[PATH_MAX], path[PATH_MAX];
	struct cs_secret *pin = NULL;
	certseal_ctx *ctx = NULL;
	size_t i;

	unsetenv("CERTSEAL_PIN");
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL);
	CU_ASSERT_FATAL(chdir(tmpdir) == 0);
	CU_ASSERT_FATAL(mkdir("otherhost", 0700) == 0 &&
	    mkdir("other", 0700) == 0);
	write_file("otherhost/pin", "1234\n", 0600);
	write_file("other/pin", "1234\n", 0600);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CU_ASSERT_EQUAL_ROW(cs_pin_get(ctx, refused[i], NULL, "PIN",
		    &pin), CERTSEAL_E_BAD_URI, refused[i]);
		CU_ASSERT(pin == NULL);
		CU_ASSERT_CONTAINS(certseal_ctx_last_error(ctx),
		    "not a local file", refused[i]);
		cs_secret_free(pin);
		pin = NULL;
	}
	/* The same file named locally is read. */
	snprintf(path, sizeof(path), "file://localhost%s/otherhost/pin",
	    tmpdir);
	CU_ASSERT_EQUAL(cs_pin_get(ctx, path, NULL, "PIN", &pin), 0);
	CU_ASSERT(pin != NULL && strcmp((char *)pin->data, "1234") == 0);
	cs_secret_free(pin);
	CU_ASSERT_FATAL(chdir(cwd) == 0);
	certseal_ctx_free(ctx);
}

static int
answer_prompt(const char *what, char *buf, size_t buflen, void *arg)
{
	(void)what;
	snprintf(buf, buflen, "%s", (const char *)arg);
	return 0;
}

static int warnings;

static void
count_warning(const char *msg, void *arg)
{
	(void)arg;
	CU_ASSERT_PTR_NULL(strstr(msg, "s3cret"));
	warnings++;
}

static void
test_pin_order(void)
{
	certseal_ctx *ctx = NULL;
	struct cs_secret *pin = NULL;
	char path[PATH_MAX];

	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&ctx), 0);
	certseal_ctx_set_log(ctx, count_warning, NULL);
	unsetenv("CERTSEAL_PIN");
	/* Nothing at all: a clear "no PIN" error. */
	CU_ASSERT_EQUAL(cs_pin_get(ctx, NULL, NULL, "PIN", &pin),
	    CERTSEAL_E_NO_PIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
	    "CERTSEAL_PIN"));
	/* The prompt, unless told not to prompt. */
	certseal_ctx_set_prompt(ctx, answer_prompt, "typed");
	CU_ASSERT_EQUAL_FATAL(cs_pin_get(ctx, NULL, NULL, "PIN", &pin), 0);
	CU_ASSERT_STRING_EQUAL((char *)pin->data, "typed");
	cs_secret_free(pin);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	CU_ASSERT_EQUAL(cs_pin_get(ctx, NULL, NULL, "PIN", &pin),
	    CERTSEAL_E_NO_PIN);
	/* The environment comes before the prompt. */
	setenv("CERTSEAL_PIN", "fromenv", 1);
	CU_ASSERT_EQUAL_FATAL(cs_pin_get(ctx, NULL, NULL, "PIN", &pin), 0);
	CU_ASSERT_STRING_EQUAL((char *)pin->data, "fromenv");
	cs_secret_free(pin);
	/* pin-value before the environment, with a warning. */
	warnings = 0;
	CU_ASSERT_EQUAL_FATAL(cs_pin_get(ctx, NULL, "s3cret", "PIN", &pin),
	    0);
	CU_ASSERT_STRING_EQUAL((char *)pin->data, "s3cret");
	CU_ASSERT_EQUAL(warnings, 1);
	cs_secret_free(pin);
	/* pin-source before everything; a missing file is no PIN. */
	snprintf(path, sizeof(path), "%s/no-such-pin", tmpdir);
	CU_ASSERT_EQUAL(cs_pin_get(ctx, path, "s3cret", "PIN", &pin),
	    CERTSEAL_E_NO_PIN);
	CU_ASSERT_EQUAL(cs_pin_get(ctx, "file://", NULL, "PIN", &pin),
	    CERTSEAL_E_BAD_URI);
	unsetenv("CERTSEAL_PIN");
	certseal_ctx_free(ctx);
}

/* ---- atomic writes ---------------------------------------------------- */

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_atomic_write(void)
{
	char dir[512], path[PATH_MAX];
	uint8_t *data = NULL;
	struct stat st;
	size_t len;

	snprintf(dir, sizeof(dir), "%s/atomic", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/out.conf", dir);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "first", 5, 0600), 0);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "second", 6, 0644), 0);
	CU_ASSERT_EQUAL_FATAL(cs_read_file(NULL, path, 100, &data, &len), 0);
	CU_ASSERT(len == 6 && memcmp(data, "second", 6) == 0);
	free(data);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0644);
	/* Nothing but the target is left in the directory. */
	CU_ASSERT_EQUAL(count_entries(dir), 1);
	/* An empty file is a valid result. */
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "", 0, 0600), 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 0);
}

static void
test_atomic_write_failures(void)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len;

	/* Into a missing directory: an error, nothing created. */
	snprintf(path, sizeof(path), "%s/missing-dir/out", tmpdir);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "x", 1, 0600),
	    CERTSEAL_E_IO);
	/* Over a directory: refused, the directory stays. */
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, tmpdir, "x", 1, 0600),
	    CERTSEAL_E_IO);
	/* Into a read-only directory (as non-root): old file intact. */
	snprintf(path, sizeof(path), "%s/ro", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/ro/keep", tmpdir);
	write_file(path, "old", 0600);
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/ro", tmpdir);
		chmod(path, 0500);
		snprintf(path, sizeof(path), "%s/ro/keep", tmpdir);
		CU_ASSERT_NOT_EQUAL(cs_atomic_write(NULL, path, "new", 3,
		    0600), 0);
		snprintf(path, sizeof(path), "%s/ro", tmpdir);
		chmod(path, 0700);
		snprintf(path, sizeof(path), "%s/ro/keep", tmpdir);
	}
	CU_ASSERT_EQUAL_FATAL(cs_read_file(NULL, path, 100, &data, &len), 0);
	CU_ASSERT(len == 3 && memcmp(data, "old", 3) == 0);
	free(data);
}

/*
 * Issue 19.1/19.4: the directory is opened once without following a
 * symlink, a directory another user owns is refused, and owner and mode
 * are set on the descriptor before the file has a name.
 */
static void
test_atomic_write_dir_safety(void)
{
	char dir[512], link[512], path[PATH_MAX];
	struct cs_write_opts o = { 0640, (uid_t)-1, (gid_t)-1 };
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/safety", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	snprintf(link, sizeof(link), "%s/safety-link", tmpdir);
	CU_ASSERT_EQUAL_FATAL(symlink(dir, link), 0);
	snprintf(path, sizeof(path), "%s/out", link);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "x", 1, 0600),
	    CERTSEAL_E_PERMISSION);
	snprintf(path, sizeof(path), "%s/out", dir);
	CU_ASSERT_EQUAL(lstat(path, &st), -1);
	/* Permission bits only. */
	o.mode = 04755;
	CU_ASSERT_EQUAL(cs_atomic_write_opts(NULL, path, "x", 1, &o),
	    CERTSEAL_E_USAGE);
	o.mode = 0640;
	CU_ASSERT_EQUAL(cs_atomic_write_opts(NULL, path, "x", 1, &o), 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	if (geteuid() != 0)
		return;	/* the rest needs a second owner */
	CU_ASSERT_EQUAL_FATAL(chown(dir, 65534, 65534), 0);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "y", 1, 0600),
	    CERTSEAL_E_PERMISSION);
	/* For that user the directory is fine: the file is theirs anyway. */
	o.uid = 65534;
	o.gid = 65534;
	CU_ASSERT_EQUAL(cs_atomic_write_opts(NULL, path, "z", 1, &o), 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT(st.st_uid == 65534 && st.st_gid == 65534 &&
	    (st.st_mode & 07777) == 0640 && st.st_size == 1);
	/* But not below it: that user could swap sub for a symlink. */
	snprintf(path, sizeof(path), "%s/sub", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/f", dir);
	CU_ASSERT_EQUAL(cs_atomic_write_opts(NULL, path, "z", 1, &o),
	    CERTSEAL_E_PERMISSION);
	CU_ASSERT_EQUAL(lstat(path, &st), -1);
}

/* Writable parents: sticky ones only for entries of trusted users. */
static void
test_atomic_write_shared_parents(void)
{
	char dir[512], path[PATH_MAX];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/shared", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0775), 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/f", dir);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "x", 1, 0600),
	    CERTSEAL_E_PERMISSION);
	/* Sticky (as /tmp): an entry of this user is fine. */
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 01777), 0);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "x", 1, 0600), 0);
	/* A symlink at the name is neither followed nor replaced. */
	snprintf(path, sizeof(path), "%s/sub/lnk", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("f", path), 0);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "y", 1, 0600),
	    CERTSEAL_E_PERMISSION);
	CU_ASSERT(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	/*
	 * A trusted symlink on the way is followed (/var/run -> /run); as
	 * the directory itself it is refused.
	 */
	snprintf(path, sizeof(path), "%s/alias", dir);
	CU_ASSERT_EQUAL_FATAL(symlink(".", path), 0);
	snprintf(path, sizeof(path), "%s/alias/sub/g", dir);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "z", 1, 0600), 0);
	snprintf(path, sizeof(path), "%s/alias/g", dir);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "z", 1, 0600),
	    CERTSEAL_E_PERMISSION);
	if (geteuid() != 0)
		return;
	/* Another user's entry in the sticky directory is not. */
	snprintf(path, sizeof(path), "%s/sub", dir);
	CU_ASSERT_EQUAL_FATAL(chown(path, 65534, 65534), 0);
	snprintf(path, sizeof(path), "%s/sub/h", dir);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "x", 1, 0600),
	    CERTSEAL_E_PERMISSION);
	snprintf(path, sizeof(path), "%s/alias/sub/h", dir);
	CU_ASSERT_EQUAL(cs_atomic_write(NULL, path, "x", 1, 0600),
	    CERTSEAL_E_PERMISSION);
}

/*
 * Audit B 1-2: the one walk for trusted directories (state, store,
 * mkdir -p) makes nothing below a directory others can change, and
 * follows only links of root or this user.
 */
static void
test_dir_trusted(void)
{
	const struct cs_dir_walk look = { (uid_t)-1, 0, "look" };
	char dir[512], path[PATH_MAX];
	struct stat st;
	int fd = -1;

	snprintf(dir, sizeof(dir), "%s/walk", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/missing/x", dir);
	CU_ASSERT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, NULL),
	    CERTSEAL_E_NOT_FOUND);
	CU_ASSERT_EQUAL(fd, -1);
	/* World-writable, not sticky: refused before anything is made. */
	snprintf(path, sizeof(path), "%s/ww", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/ww/a/b", dir);
	CU_ASSERT_EQUAL(cs_mkdir_p(NULL, path, 0700), CERTSEAL_E_PERMISSION);
	snprintf(path, sizeof(path), "%s/ww/a", dir);
	CU_ASSERT_EQUAL(lstat(path, &st), -1);
	/* Sticky (as /tmp): this user's new directories are fine. */
	snprintf(path, sizeof(path), "%s/ww", dir);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 01777), 0);
	snprintf(path, sizeof(path), "%s/ww/a/b", dir);
	CU_ASSERT_EQUAL(cs_mkdir_p(NULL, path, 0700), 0);
	CU_ASSERT(stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700);
	/* This user's link on the way is followed; as the last, refused. */
	snprintf(path, sizeof(path), "%s/ww/l", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("a", path), 0);
	snprintf(path, sizeof(path), "%s/ww/l/b", dir);
	CU_ASSERT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, &st), 0);
	CU_ASSERT(fd >= 0 && S_ISDIR(st.st_mode));
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/ww/l", dir);
	CU_ASSERT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, NULL),
	    CERTSEAL_E_PERMISSION);
	/* What the caller gets can be read (listed, fsync'ed), not O_PATH. */
	snprintf(path, sizeof(path), "%s/ww/./a/", dir);
	CU_ASSERT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, &st), 0);
	CU_ASSERT(fd >= 0 && S_ISDIR(st.st_mode));
	if (fd >= 0) {
		DIR *d = fdopendir(fd);

		CU_ASSERT_PTR_NOT_NULL(d);
		CU_ASSERT(d != NULL && readdir(d) != NULL);
		if (d != NULL)
			closedir(d);
		else
			close(fd);
		fd = -1;
	}
	/* A FIFO or a file, on the way or last: refused, never opened. */
	snprintf(path, sizeof(path), "%s/ww/fifo", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	CU_ASSERT_NOT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, NULL),
	    0);
	CU_ASSERT_EQUAL(fd, -1);
	snprintf(path, sizeof(path), "%s/ww/fifo/x", dir);
	CU_ASSERT_NOT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, NULL),
	    0);
	snprintf(path, sizeof(path), "%s/ww/file", dir);
	CU_ASSERT_EQUAL_FATAL(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	CU_ASSERT_NOT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, NULL),
	    0);
	CU_ASSERT_EQUAL(fd, -1);
	if (geteuid() != 0)
		return;	/* the rest needs a second owner */
	/* Another user's link: not in the sticky directory, nor elsewhere. */
	snprintf(path, sizeof(path), "%s/ww/l", dir);
	CU_ASSERT_EQUAL_FATAL(lchown(path, 65534, 65534), 0);
	snprintf(path, sizeof(path), "%s/ww/l/b", dir);
	CU_ASSERT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, NULL),
	    CERTSEAL_E_PERMISSION);
	snprintf(path, sizeof(path), "%s/ul", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("ww", path), 0);
	CU_ASSERT_EQUAL_FATAL(lchown(path, 65534, 65534), 0);
	snprintf(path, sizeof(path), "%s/ul/a", dir);
	CU_ASSERT_EQUAL(cs_dir_open_trusted(NULL, path, &look, &fd, NULL),
	    CERTSEAL_E_PERMISSION);
	/* Nothing is made in another user's directory. */
	snprintf(path, sizeof(path), "%s/u", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(chown(path, 65534, 65534), 0);
	snprintf(path, sizeof(path), "%s/u/x/y", dir);
	CU_ASSERT_EQUAL(cs_mkdir_p(NULL, path, 0700), CERTSEAL_E_PERMISSION);
	snprintf(path, sizeof(path), "%s/u/x", dir);
	CU_ASSERT_EQUAL(lstat(path, &st), -1);
}

/* ---- the source registry ---------------------------------------------- */

static void
test_registry_rejects(void)
{
	static const struct { const char *uri; int err; } table[] = {
		{ "", CERTSEAL_E_BAD_URI },
		{ "no-scheme-here", CERTSEAL_E_BAD_URI },
		{ ":empty-scheme", CERTSEAL_E_BAD_URI },
		{ "http://example.org/key", CERTSEAL_E_UNSUPPORTED },
		{ "ldap:cn=x", CERTSEAL_E_UNSUPPORTED },
	};
	certseal_ctx *ctx = NULL;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&ctx), 0);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		cs_error_clear(ctx);
		CU_ASSERT_EQUAL(certseal_ctx_add_source(ctx, table[i].uri),
		    table[i].err);
		CU_ASSERT_NOT_EQUAL(certseal_ctx_last_error(ctx)[0], '\0');
	}
	CU_ASSERT_EQUAL(ctx->nsources, 0);
	certseal_ctx_free(ctx);
}

/* ---- recipient identifiers ------------------------------------------- */

static EVP_PKEY *test_key;

static X509 *
make_cert(const unsigned char *skid, size_t skidlen, long serial)
{
	X509 *cert = X509_new();
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
	X509_NAME_add_entry_by_txt(X509_get_issuer_name(cert), "CN",
	    MBSTRING_ASC, (const unsigned char *)"issuer", -1, -1, 0);
	if (skid != NULL) {
		ASN1_OCTET_STRING_set(os, skid, (int)skidlen);
		X509_add1_ext_i2d(cert, NID_subject_key_identifier, os, 0, 0);
	}
	ASN1_OCTET_STRING_free(os);
	/* A complete, signed certificate: OpenSSL caches SKIDs only then. */
	X509_set_pubkey(cert, test_key);
	X509_set_issuer_name(cert, X509_get_issuer_name(cert));
	X509_set_subject_name(cert, X509_get_issuer_name(cert));
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_sign(cert, test_key, EVP_sha256());
	return cert;
}

static void
test_recipient_id(void)
{
	static const unsigned char skid[] = { 1, 2, 3, 0xfe };
	static const unsigned char other[] = { 1, 2, 3, 0xff };
	ASN1_OCTET_STRING *kid = ASN1_OCTET_STRING_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	X509 *cert, *noskid;
	struct cs_recipient_id id = { 0 };
	struct cs_key key = { 0 };

	test_key = EVP_EC_gen("P-256");
	CU_ASSERT_PTR_NOT_NULL_FATAL(test_key);
	cert = make_cert(skid, sizeof(skid), 42);
	noskid = make_cert(NULL, 0, 42);

	ASN1_OCTET_STRING_set(kid, skid, sizeof(skid));
	id.keyid = kid;
	CU_ASSERT_TRUE(cs_recipient_id_matches(&id, cert));
	CU_ASSERT_FALSE(cs_recipient_id_matches(&id, noskid));
	ASN1_OCTET_STRING_set(kid, other, sizeof(other));
	CU_ASSERT_FALSE(cs_recipient_id_matches(&id, cert));
	/* Issuer and serial. */
	id.keyid = NULL;
	id.issuer = X509_get_issuer_name(cert);
	ASN1_INTEGER_set(serial, 42);
	id.serial = serial;
	CU_ASSERT_TRUE(cs_recipient_id_matches(&id, noskid));
	ASN1_INTEGER_set(serial, 43);
	CU_ASSERT_FALSE(cs_recipient_id_matches(&id, noskid));
	/* Key id as hex. */
	key.cert = cert;
	cs_key_set_keyid(&key);
	CU_ASSERT_STRING_EQUAL(key.keyid_hex, "010203fe");
	key.cert = noskid;
	cs_key_set_keyid(&key);
	CU_ASSERT_STRING_EQUAL(key.keyid_hex, "");
	ASN1_OCTET_STRING_free(kid);
	ASN1_INTEGER_free(serial);
	X509_free(cert);
	X509_free(noskid);
	EVP_PKEY_free(test_key);
}

/* Every spelling of a pin-value key loses its value; nothing else does. */
static void
test_redact(void)
{
	static const struct {
		const char *in, *out;
	} table[] = {
		{ "pkcs11:token=a?pin-value=1234", "pkcs11:token=a?pin-value=REDACTED" },
		{ "pkcs11:token=a?pin-value=12;34&module-name=x",
		    "pkcs11:token=a?pin-value=REDACTED&module-name=x" },
		{ "x?PIN-VALUE=1234 rest", "x?PIN-VALUE=REDACTED rest" },
		{ "x?pin%2Dvalue=1234", "x?pin%2Dvalue=REDACTED" },
		{ "x?%70in-value%3D1234", "x?%70in-value%3DREDACTED" },
		{ "'x?pin-value=1:2' is bad", "'x?pin-value=REDACTED' is bad" },
		{ "a?pin-value=1&pin-value=2", "a?pin-value=REDACTED&pin-value=REDACTED" },
		{ "pin-source=/p&pin-valu=1", "pin-source=/p&pin-valu=1" },
		{ "pin-value=", "pin-value=REDACTED" },
		{ "no pin here", "no pin here" },
	};
	size_t i;
	char *r;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		r = cs_redact(table[i].in);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		if (strcmp(r, table[i].out) != 0)
			fprintf(stderr, "\n    row %zu: '%s' gave '%s', want '%s'\n",
			    i, table[i].in, r, table[i].out);
		CU_ASSERT_STRING_EQUAL(r, table[i].out);
		free(r);
	}
}

/* A message too long for its buffer keeps its head and its tail. */
static void
test_message_fit(void)
{
	char big[5000], buf[CS_ERRMSG_MAX];
	certseal_ctx *ctx = NULL;
	size_t n;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	(void)cs_error(ctx, CERTSEAL_E_NOT_FOUND, "/%s: %s", big,
	    strerror(ENOENT));
	n = strlen(certseal_ctx_last_error(ctx));
	CU_ASSERT(n < CS_ERRMSG_MAX);
	CU_ASSERT(n > CS_ERRMSG_MAX - 16);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "...") != NULL);
	CU_ASSERT(strcmp(certseal_ctx_last_error(ctx) + n - 27,
	    ": No such file or directory") == 0);
	cs_error_prefix(ctx, "pin-source");
	CU_ASSERT(strncmp(certseal_ctx_last_error(ctx), "pin-source: /a", 14)
	    == 0);
	n = strlen(certseal_ctx_last_error(ctx));
	CU_ASSERT(strcmp(certseal_ctx_last_error(ctx) + n - 27,
	    ": No such file or directory") == 0);
	/* A pin-value never reaches the message. */
	(void)cs_error(ctx, CERTSEAL_E_BAD_URI, "bad URI pkcs11:?pin-value=98765");
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "98765") == NULL);
	/* Short messages are left alone; UTF-8 is never cut in half. */
	cs_message_fit(buf, 8, "abc");
	CU_ASSERT_STRING_EQUAL(buf, "abc");
	cs_message_fit(buf, 12, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	CU_ASSERT(strlen(buf) < 12);
	CU_ASSERT(((unsigned char)buf[strlen(buf) - 1] & 0xc0) == 0x80);
	/*
	 * A cut through a redaction mark moves out of it (fuzz-uri found
	 * "pin-value=REDAC...", which reads as a value): every place of the
	 * cut, for the head and for the tail.
	 */
	for (n = 0; n < 40; n++) {
		char msg[128], *p;
		size_t k;

		memset(msg, 'x', sizeof(msg));
		memcpy(msg + n, "pin-value=REDACTED", 18);
		memcpy(msg + sizeof(msg) - 1 - n - 18, "pin-value=REDACTED", 18);
		msg[sizeof(msg) - 1] = '\0';
		cs_message_fit(buf, 64, msg);
		for (p = buf; (p = strstr(p, "pin-value=")) != NULL; p += 10)
			CU_ASSERT_EQUAL_ROW(strncmp(p + 10, "REDACTED", 8), 0,
			    buf);
		for (k = 1; k < 8; k++) {
			p = strstr(buf, "...");
			CU_ASSERT_FATAL(p != NULL);
			CU_ASSERT_EQUAL_ROW(p >= buf + k &&
			    strncmp(p - k, "REDACTED", k) == 0 &&
			    strncmp(p - k, "REDACTED", 8) != 0, 0, buf);
		}
	}
	certseal_ctx_free(ctx);
}

int
main(void)
{
	static const struct cu_case errors[] = {
		{ "exit codes", test_exit_codes },
		{ "messages", test_error_message },
		{ "the message belongs to the last call",
		    test_error_belongs_to_the_last_call },
		{ "pin-values redacted", test_redact },
		{ "long messages keep their tail", test_message_fit },
	};
	static const struct cu_case secrets[] = {
		{ "wiped buffers", test_secret },
		{ "file limits", test_read_file_limits },
		{ "pipe limit", test_read_pipe_limit },
	};
	static const struct cu_case pins[] = {
		{ "pin-source forms", test_pin_source_forms },
		{ "order of sources", test_pin_order },
		{ "pin-source on another host is refused",
		    test_pin_source_other_host },
	};
	static const struct cu_case text[] = {
		{ "file: URIs and paths, one parser", test_file_uri_path },
		{ "hex: one encoder, one strict decoder", test_hex },
		{ "RFC 3339 time text", test_time_text },
	};
	static const struct cu_case atomic[] = {
		{ "replace", test_atomic_write },
		{ "failures keep the old file", test_atomic_write_failures },
		{ "directory safety, owner and mode",
		    test_atomic_write_dir_safety },
		{ "writable and sticky parents", test_atomic_write_shared_parents },
		{ "trusted directories: links, mkdir -p", test_dir_trusted },
	};
	static const struct cu_case registry[] = {
		{ "rejects bad URIs", test_registry_rejects },
		{ "recipient identifiers", test_recipient_id },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (cu_add_suite("errors", CU_CASES(errors), NULL, NULL) != 0 ||
	    cu_add_suite("secrets", CU_CASES(secrets), suite_init,
	    suite_cleanup) != 0 ||
	    cu_add_suite("pin", CU_CASES(pins), suite_init,
	    suite_cleanup) != 0 ||
	    cu_add_suite("text", CU_CASES(text), NULL, NULL) != 0 ||
	    cu_add_suite("atomic-write", CU_CASES(atomic), suite_init,
	    suite_cleanup) != 0 ||
	    cu_add_suite("registry", CU_CASES(registry), NULL, NULL) != 0)
		return 1;
	return cu_run_all();
}
