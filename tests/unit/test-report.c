/*
 * test-report.c - readiness reports and the rollout count: a report built
 * from real file: sources (keys and certificates made with OpenSSL here),
 * written and read back; damaged and hostile reports refused cleanly; an
 * evaluation over a directory of hand-written reports.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cu-run.h"
#include "internal.h"
#include "report.h"
#include "source.h"

/* Short, so that paths built under it always fit PATH_MAX. */
static char tmpdir[256];

/* A client key with its certificate, and a signer certificate. */
static EVP_PKEY *enc_key, *sign_key;
static X509 *enc_cert, *sign_cert;
static char enc_keyid[129], enc_fp[65], sign_fp[65];

static X509 *
make_cert(EVP_PKEY *pkey, const char *cn)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	X509 *x;

	if ((x = X509_new()) == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier,
	    "hash");
	if (ext == NULL || !X509_add_ext(x, ext, -1) ||
	    X509_sign(x, pkey, EVP_sha256()) == 0) {
		X509_EXTENSION_free(ext);
		X509_free(x);
		return NULL;
	}
	X509_EXTENSION_free(ext);
	return x;
}

static void
fingerprint(X509 *x, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	X509_digest(x, EVP_sha256(), md, &n);
	cs_hex(md, n, hex, 65);
}

static int
suite_init(void)
{
	const ASN1_OCTET_STRING *skid;

	snprintf(tmpdir, sizeof(tmpdir), "%s/cs-report-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if ((enc_key = EVP_EC_gen("P-256")) == NULL ||
	    (sign_key = EVP_EC_gen("P-256")) == NULL ||
	    (enc_cert = make_cert(enc_key, "client enc")) == NULL ||
	    (sign_cert = make_cert(sign_key, "admin signer")) == NULL)
		return -1;
	skid = X509_get0_subject_key_id(enc_cert);
	cs_hex(ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid),
	    enc_keyid, sizeof(enc_keyid));
	fingerprint(enc_cert, enc_fp);
	fingerprint(sign_cert, sign_fp);
	return 0;
}

static int
suite_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	EVP_PKEY_free(enc_key);
	EVP_PKEY_free(sign_key);
	X509_free(enc_cert);
	X509_free(sign_cert);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_bytes(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "w");

	CU_ASSERT_FATAL(fp != NULL);
	CU_ASSERT(fwrite(data, 1, len, fp) == len);
	fclose(fp);
}

static void
write_text(const char *path, const char *text)
{
	write_bytes(path, text, strlen(text));
}

/* A PEM file with the client key, its certificate and the signer. */
static void
write_bundle(const char *path)
{
	FILE *fp = fopen(path, "w");

	CU_ASSERT_FATAL(fp != NULL);
	CU_ASSERT(PEM_write_PrivateKey(fp, enc_key, NULL, NULL, 0, NULL,
	    NULL) == 1);
	CU_ASSERT(PEM_write_X509(fp, enc_cert) == 1);
	CU_ASSERT(PEM_write_X509(fp, sign_cert) == 1);
	fclose(fp);
	chmod(path, 0600);
}

/* A hand-written report; keys and signers are JSON array bodies. */
static char *
report_text(const char *host, const char *when, const char *keys,
    const char *signers)
{
	char *s = NULL;

	if (asprintf(&s, "{\"format\": 1, \"host\": \"%s\", \"time\": "
	    "\"%s\", \"certseal_version\": \"0.1.0\", \"sources\": "
	    "[\"store:LocalMachine/My\"], \"flags\": "
	    "{\"accept_encrypted_data_only\": false, \"allow_rollback\": "
	    "false}, \"keys\": [%s], \"signers\": [%s], \"errors\": []}\n",
	    host, when, keys, signers) < 0)
		return NULL;
	return s;
}

static char *
key_json(const char *keyid, const char *fp)
{
	char *s = NULL;

	if (asprintf(&s, "{\"key_id\": \"%s\", \"fingerprint\": \"%s\", "
	    "\"subject\": \"CN=x\", \"not_after\": \"2030-01-01T00:00:00Z\", "
	    "\"source\": \"file:/k.pem\"}", keyid, fp) < 0)
		return NULL;
	return s;
}

static char *
signer_json(const char *fp)
{
	char *s = NULL;

	if (asprintf(&s, "{\"fingerprint\": \"%s\", \"subject\": \"CN=s\", "
	    "\"source\": \"file:/k.pem\"}", fp) < 0)
		return NULL;
	return s;
}

static void
put_report(const char *dir, const char *file, const char *host,
    const char *when, int with_key, int with_signer)
{
	char path[PATH_MAX], *k, *s, *text;

	k = key_json(enc_keyid, enc_fp);
	s = signer_json(sign_fp);
	CU_ASSERT_FATAL(k != NULL && s != NULL);
	text = report_text(host, when, with_key ? k : "",
	    with_signer ? s : "");
	CU_ASSERT_FATAL(text != NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	write_text(path, text);
	free(text);
	free(k);
	free(s);
}

static json_t *
must_get(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	CU_ASSERT_PTR_NOT_NULL(v);
	return v;
}

/* ---- building, writing, reading back -------------------------------- */

static void
test_build_from_file_sources(void)
{
	certseal_ctx *ctx = NULL;
	json_t *rep = NULL, *keys, *signers, *errors, *k;
	char bundle[PATH_MAX], uri[PATH_MAX + 16], *text;
	time_t when;

	snprintf(bundle, sizeof(bundle), "%s/client.pem", tmpdir);
	write_bundle(bundle);
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	snprintf(uri, sizeof(uri), "file:%s", bundle);
	CU_ASSERT_FATAL(certseal_ctx_add_source(ctx, uri) == 0);
	CU_ASSERT_FATAL(certseal_ctx_add_source(ctx,
	    "file:/nonexistent/certseal-test.p12") == 0);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_ENCRYPTED_ONLY |
	    CERTSEAL_FLAG_NO_PROMPT);
	CU_ASSERT_FATAL(cs_report_build(ctx, &rep) == 0);
	CU_ASSERT_FATAL(rep != NULL);

	CU_ASSERT(json_integer_value(must_get(rep, "format")) == 1);
	CU_ASSERT(json_string_length(must_get(rep, "host")) > 0);
	CU_ASSERT(cs_report_parse_time(json_string_value(must_get(rep,
	    "time")), &when) == 0);
	CU_ASSERT(when > 0 && when <= time(NULL));
	CU_ASSERT_STRING_EQUAL(json_string_value(must_get(rep,
	    "certseal_version")), certseal_version());
	CU_ASSERT(json_array_size(must_get(rep, "sources")) == 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
	    must_get(rep, "sources"), 0)), uri);
	CU_ASSERT(json_is_true(json_object_get(must_get(rep, "flags"),
	    "accept_encrypted_data_only")));
	CU_ASSERT(json_is_false(json_object_get(must_get(rep, "flags"),
	    "allow_rollback")));

	keys = must_get(rep, "keys");
	CU_ASSERT_FATAL(json_array_size(keys) == 1);
	k = json_array_get(keys, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k,
	    "key_id")), enc_keyid);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k,
	    "fingerprint")), enc_fp);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k,
	    "subject")), "CN=client enc");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k,
	    "source")), uri);
	CU_ASSERT(cs_report_parse_time(json_string_value(json_object_get(k,
	    "not_after")), &when) == 0);

	signers = must_get(rep, "signers");
	CU_ASSERT_FATAL(json_array_size(signers) == 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
	    json_array_get(signers, 0), "fingerprint")), sign_fp);

	/* The missing bundle is one error naming its source, not fatal. */
	errors = must_get(rep, "errors");
	CU_ASSERT_FATAL(json_array_size(errors) == 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
	    json_array_get(errors, 0), "source")),
	    "file:/nonexistent/certseal-test.p12");
	CU_ASSERT(strstr(json_string_value(json_object_get(
	    json_array_get(errors, 0), "error")), "certseal-test.p12") !=
	    NULL);

	/* No key material: the report never holds a PEM block. */
	text = json_dumps(rep, 0);
	CU_ASSERT(text != NULL && strstr(text, "BEGIN") == NULL);
	free(text);
	json_decref(rep);
	certseal_ctx_free(ctx);
}

static void
test_build_default_source(void)
{
	certseal_ctx *ctx = NULL;
	json_t *rep = NULL;
	char root[PATH_MAX];

	snprintf(root, sizeof(root), "%s/empty-store-root", tmpdir);
	setenv("CERTSEAL_STORE_ROOT", root, 1);
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	CU_ASSERT_FATAL(cs_report_build(ctx, &rep) == 0);
	CU_ASSERT(ctx->nsources == 1);
	CU_ASSERT_FATAL(json_array_size(json_object_get(rep, "sources")) ==
	    1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
	    json_object_get(rep, "sources"), 0)), CS_DEFAULT_SOURCE);
	json_decref(rep);
	certseal_ctx_free(ctx);
	unsetenv("CERTSEAL_STORE_ROOT");
}

static void
test_write_and_read_back(void)
{
	certseal_ctx *ctx = NULL;
	struct cs_report *rr = NULL;
	json_t *rep = NULL;
	char bundle[PATH_MAX], uri[PATH_MAX + 16], dir[512];
	char want[PATH_MAX], *path = NULL;
	struct stat st;

	snprintf(bundle, sizeof(bundle), "%s/client.pem", tmpdir);
	write_bundle(bundle);
	snprintf(uri, sizeof(uri), "file:%s", bundle);
	snprintf(dir, sizeof(dir), "%s/reports-rw", tmpdir);
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	CU_ASSERT_FATAL(certseal_ctx_add_source(ctx, uri) == 0);
	CU_ASSERT_FATAL(cs_report_build(ctx, &rep) == 0);
	json_object_set_new(rep, "host", json_string("web-1.example"));
	CU_ASSERT_FATAL(cs_report_write(ctx, dir, rep, &path) == 0);
	snprintf(want, sizeof(want), "%s/web-1.example.json", dir);
	CU_ASSERT_STRING_EQUAL(path, want);
	CU_ASSERT(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0755);
	CU_ASSERT(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
	/* A second write replaces the first. */
	CU_ASSERT(cs_report_write(ctx, dir, rep, NULL) == 0);

	CU_ASSERT_FATAL(cs_report_read(ctx, path, &rr) == 0);
	CU_ASSERT_STRING_EQUAL(rr->host, "web-1.example");
	CU_ASSERT(rr->nkeys == 1 && rr->nsigners == 1 && rr->nerrors == 0);
	CU_ASSERT(rr->nsources == 1);
	CU_ASSERT_STRING_EQUAL(rr->keys[0].key_id, enc_keyid);
	CU_ASSERT_STRING_EQUAL(rr->keys[0].fingerprint, enc_fp);
	CU_ASSERT_STRING_EQUAL(rr->signers[0].fingerprint, sign_fp);
	CU_ASSERT(rr->when > 0);
	cs_report_free(rr);
	free(path);
	json_decref(rep);
	certseal_ctx_free(ctx);
}

static void
test_write_file_names(void)
{
	static const struct {
		const char *host, *file;
	} table[] = {
		{ "web-2", "web-2.json" },
		{ "a b/../_x", "a_20b_2f.._2f_5fx.json" },
		{ ".hidden", "_2ehidden.json" },
		{ "..", "_2e..json" },
		{ "caf\xc3\xa9", "caf_c3_a9.json" },
	};
	certseal_ctx *ctx = NULL;
	json_t *rep;
	char dir[512], want[PATH_MAX], *path;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/reports-names", tmpdir);
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		rep = json_pack("{s:s}", "host", table[i].host);
		path = NULL;
		CU_ASSERT_FATAL(rep != NULL);
		CU_ASSERT(cs_report_write(ctx, dir, rep, &path) == 0);
		snprintf(want, sizeof(want), "%s/%s", dir, table[i].file);
		CU_ASSERT(path != NULL && strcmp(path, want) == 0);
		CU_ASSERT(access(want, F_OK) == 0);
		free(path);
		json_decref(rep);
	}
	/* The parent of the directory must exist. */
	snprintf(dir, sizeof(dir), "%s/no-such-parent/reports", tmpdir);
	rep = json_pack("{s:s}", "host", "h");
	CU_ASSERT(cs_report_write(ctx, dir, rep, NULL) ==
	    CERTSEAL_E_NOT_FOUND);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "no-such-parent") !=
	    NULL);
	json_decref(rep);
	rep = json_pack("{s:i}", "host", 7);
	CU_ASSERT(cs_report_write(ctx, tmpdir, rep, NULL) ==
	    CERTSEAL_E_USAGE);
	json_decref(rep);
	certseal_ctx_free(ctx);
}

/* ---- damaged and hostile reports ------------------------------------ */

static void
test_read_damaged(void)
{
	static const struct {
		const char *text;	/* NULL: built below */
		const char *member;	/* expected in the message */
	} table[] = {
		{ "", "line" },
		{ "not json", "line" },
		{ "[]", "not a JSON object" },
		{ "{\"format\": 1, \"format\": 1}", "line" },
		{ "{\"format\": 2}", "'format'" },
		{ "{\"format\": \"1\"}", "'format'" },
		{ "{\"format\": 1}", "'host'" },
		{ "{\"format\": 1, \"host\": 5}", "'host'" },
		{ "{\"format\": 1, \"host\": \"\"}", "'host'" },
		{ "{\"format\": 1, \"host\": \"\\u001b[2J\"}", "'host'" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": \"yesterday\"}",
		    "'time'" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-13-01T00:00:00Z\"}", "'time'" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": {}}", "'sources'" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [1]}",
		    "'sources[0]'" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": "
		    "{\"allow_rollback\": \"yes\"}}", "allow_rollback" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": {}, "
		    "\"keys\": 3}", "'keys'" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": {}, "
		    "\"keys\": [7]}", "'keys[0]'" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": {}, "
		    "\"keys\": [{\"key_id\": \"zz\"}]}", "keys[0].key_id" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": {}, "
		    "\"keys\": [{\"key_id\": \"abc\"}]}", "keys[0].key_id" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": {}, "
		    "\"keys\": [{\"key_id\": \"ab\", \"fingerprint\": "
		    "\"ab\"}]}",
		    "keys[0].fingerprint" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": {}, "
		    "\"keys\": [], \"signers\": [{\"fingerprint\": null}]}",
		    "signers[0].fingerprint" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": {}, "
		    "\"keys\": [], \"signers\": [], \"errors\": [{\"error\": "
		    "[]}]}", "errors[0].error" },
		{ "{\"format\": 1, \"host\": \"h\", \"time\": "
		    "\"2026-01-01T00:00:00Z\", \"sources\": [], \"flags\": {}, "
		    "\"keys\": [], \"signers\": []}", "'errors'" },
		{ "{\"format\": 1, \"host\": \"h\\u0000x\"}", "line" },
	};
	certseal_ctx *ctx = NULL;
	struct cs_report *rep;
	char path[PATH_MAX], *text;
	size_t i;
	int r;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	snprintf(path, sizeof(path), "%s/damaged.json", tmpdir);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		write_text(path, table[i].text);
		rep = NULL;
		r = cs_report_read(ctx, path, &rep);
		CU_ASSERT_EQUAL_ROW(r, CERTSEAL_E_INTEGRITY, table[i].text);
		CU_ASSERT(rep == NULL);
		CU_ASSERT_CONTAINS(certseal_ctx_last_error(ctx),
		    table[i].member, table[i].text);
		CU_ASSERT_CONTAINS(certseal_ctx_last_error(ctx), path,
		    table[i].text);
		cs_report_free(rep);
	}
	/* A host name one byte too long. */
	{
		char host[CS_REPORT_MAX_HOST + 2];

		memset(host, 'h', sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		text = report_text(host, "2026-01-01T00:00:00Z", "", "");
		write_text(path, text);
		free(text);
		CU_ASSERT(cs_report_read(ctx, path, &rep) ==
		    CERTSEAL_E_INTEGRITY);
		host[CS_REPORT_MAX_HOST] = '\0';
		text = report_text(host, "2026-01-01T00:00:00Z", "", "");
		write_text(path, text);
		free(text);
		CU_ASSERT(cs_report_read(ctx, path, &rep) == 0);
		cs_report_free(rep);
		rep = NULL;
	}
	certseal_ctx_free(ctx);
}

/* Writes a report whose keys array has n copies of one key. */
static void
write_many_keys(const char *path, const char *host, size_t n)
{
	char *k = key_json(enc_keyid, enc_fp), *text;
	size_t klen = strlen(k), i, len = 0;
	char *body;

	CU_ASSERT_FATAL((body = malloc(n * (klen + 1) + 1)) != NULL);
	for (i = 0; i < n; i++) {
		if (i > 0)
			body[len++] = ',';
		memcpy(body + len, k, klen);
		len += klen;
	}
	body[len] = '\0';
	text = report_text(host, "2026-01-01T00:00:00Z", body, "");
	CU_ASSERT_FATAL(text != NULL);
	write_text(path, text);
	free(text);
	free(body);
	free(k);
}

static void
test_read_limits(void)
{
	certseal_ctx *ctx = NULL;
	struct cs_report *rep = NULL;
	char path[PATH_MAX], link[PATH_MAX], *buf;
	size_t n = 200000, i;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	snprintf(path, sizeof(path), "%s/limits.json", tmpdir);

	/* Over 1 MiB: refused before parsing. */
	CU_ASSERT_FATAL((buf = malloc(CS_REPORT_MAX_SIZE + 2)) != NULL);
	memset(buf, ' ', CS_REPORT_MAX_SIZE + 1);
	buf[0] = '{';
	buf[CS_REPORT_MAX_SIZE] = '}';
	write_bytes(path, buf, CS_REPORT_MAX_SIZE + 1);
	CU_ASSERT(cs_report_read(ctx, path, &rep) == CERTSEAL_E_TOO_LARGE);
	CU_ASSERT(rep == NULL);

	/* Deep nesting is a parse error, not a stack overflow. */
	for (i = 0; i < n; i++)
		buf[i] = '[';
	write_bytes(path, buf, n);
	CU_ASSERT(cs_report_read(ctx, path, &rep) == CERTSEAL_E_INTEGRITY);
	free(buf);

	/* 10 000 keys are fine (if they fit in 1 MiB); 10 001 are not. */
	write_many_keys(path, "many", 3000);
	CU_ASSERT(cs_report_read(ctx, path, &rep) == 0);
	CU_ASSERT(rep != NULL && rep->nkeys == 3000);
	cs_report_free(rep);
	rep = NULL;
	{
		char *t = NULL, *items;
		size_t len = 0;

		/* Small items, so that 10 001 fit in 1 MiB. */
		CU_ASSERT_FATAL((items = malloc(10001 * 3 + 1)) != NULL);
		for (i = 0; i < 10001; i++) {
			memcpy(items + len, i == 0 ? "[]" : ",[]", i == 0 ?
			    2 : 3);
			len += i == 0 ? 2 : 3;
		}
		items[len] = '\0';
		t = report_text("many", "2026-01-01T00:00:00Z", items, "");
		write_text(path, t);
		CU_ASSERT(cs_report_read(ctx, path, &rep) ==
		    CERTSEAL_E_INTEGRITY);
		CU_ASSERT(strstr(certseal_ctx_last_error(ctx),
		    "more than 10000") != NULL);
		free(t);
		free(items);
	}

	/* Not a regular file: a symlink, a FIFO, a directory. */
	write_many_keys(path, "target", 1);
	snprintf(link, sizeof(link), "%s/link.json", tmpdir);
	CU_ASSERT(symlink(path, link) == 0);
	CU_ASSERT(cs_report_read(ctx, link, &rep) == CERTSEAL_E_IO);
	snprintf(link, sizeof(link), "%s/fifo.json", tmpdir);
	CU_ASSERT(mkfifo(link, 0600) == 0);
	CU_ASSERT(cs_report_read(ctx, link, &rep) == CERTSEAL_E_IO);
	CU_ASSERT(cs_report_read(ctx, tmpdir, &rep) == CERTSEAL_E_IO);
	snprintf(link, sizeof(link), "%s/absent.json", tmpdir);
	CU_ASSERT(cs_report_read(ctx, link, &rep) == CERTSEAL_E_NOT_FOUND);
	CU_ASSERT(rep == NULL);
	certseal_ctx_free(ctx);
}

/* Random byte changes and truncations of a valid report: never a crash. */
static void
test_read_mutations(void)
{
	certseal_ctx *ctx = NULL;
	struct cs_report *rep;
	char path[PATH_MAX], *k, *s, *text, *copy;
	unsigned char rnd[4];
	size_t len, i, pos;
	int r;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	snprintf(path, sizeof(path), "%s/mutate.json", tmpdir);
	k = key_json(enc_keyid, enc_fp);
	s = signer_json(sign_fp);
	text = report_text("mutant", "2026-01-01T00:00:00Z", k, s);
	len = strlen(text);
	CU_ASSERT_FATAL((copy = malloc(len)) != NULL);
	for (i = 0; i < 3000; i++) {
		memcpy(copy, text, len);
		CU_ASSERT_FATAL(RAND_bytes(rnd, sizeof(rnd)) == 1);
		pos = ((size_t)rnd[0] << 8 | rnd[1]) % len;
		if (i % 3 == 0)
			write_bytes(path, copy, pos);	/* truncated */
		else {
			copy[pos] = (char)rnd[2];
			write_bytes(path, copy, len);
		}
		rep = NULL;
		r = cs_report_read(ctx, path, &rep);
		CU_ASSERT(r == 0 || r == CERTSEAL_E_INTEGRITY);
		CU_ASSERT((r == 0) == (rep != NULL));
		cs_report_free(rep);
	}
	free(copy);
	free(text);
	free(k);
	free(s);
	certseal_ctx_free(ctx);
}

/* ---- the evaluation ------------------------------------------------- */

static const char *
str_at(json_t *arr, size_t i)
{
	return json_string_value(json_array_get(arr, i));
}

static void
test_evaluate(void)
{
	certseal_ctx *ctx = NULL;
	json_t *res = NULL, *nr, *h;
	char dir[512], path[PATH_MAX], upper[65];
	size_t i;

	snprintf(dir, sizeof(dir), "%s/eval", tmpdir);
	CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
	put_report(dir, "web-1.json", "web-1", "2026-01-01T00:00:00Z", 1, 1);
	put_report(dir, "web-2.json", "web-2", "2026-01-01T00:00:00Z", 0, 1);
	put_report(dir, "web-3.json", "web-3", "2026-01-01T00:00:00Z", 1, 0);
	snprintf(path, sizeof(path), "%s/web-4.json", dir);
	write_text(path, "{\"format\": 1, \"host\": \"web-4\", ");
	snprintf(path, sizeof(path), "%s/web-5.json", dir);
	write_text(path, "{\"format\": 1, \"host\": [\"web-5\"]}");
	/*
	 * A report speaks only for the host its file name names: web-6's
	 * newer copy and web-7's old one, under other names, are refused.
	 */
	put_report(dir, "web-6.json", "web-6", "2026-01-01T00:00:00Z", 1, 1);
	put_report(dir, "web-6-copy.json", "web-6", "2026-02-01T00:00:00Z",
	    0, 1);
	put_report(dir, "web-7-old.json", "web-7", "2025-01-01T00:00:00Z", 0,
	    0);
	put_report(dir, "web-7.json", "web-7", "2026-01-01T00:00:00Z", 1, 1);
	snprintf(path, sizeof(path), "%s/huge.json", dir);
	write_many_keys(path, "huge", 1);
	{
		/* Replace with 10 001 keys: damaged. */
		char *t, *items;
		size_t len = 0;

		CU_ASSERT_FATAL((items = malloc(10001 * 3 + 1)) != NULL);
		for (i = 0; i < 10001; i++) {
			memcpy(items + len, i == 0 ? "{}" : ",{}", i == 0 ?
			    2 : 3);
			len += i == 0 ? 2 : 3;
		}
		items[len] = '\0';
		t = report_text("huge", "2026-01-01T00:00:00Z", items, "");
		write_text(path, t);
		free(t);
		free(items);
	}
	/* Ignored: dotfiles, temp files, other names, links, directories. */
	put_report(dir, ".hidden.json", "hidden", "2026-01-01T00:00:00Z", 0,
	    0);
	put_report(dir, ".web-1.json.0a0b0c0d0e0f.tmp", "tmp",
	    "2026-01-01T00:00:00Z", 0, 0);
	put_report(dir, "notes.txt", "notes", "2026-01-01T00:00:00Z", 0, 0);
	snprintf(path, sizeof(path), "%s/link.json", dir);
	CU_ASSERT(symlink("web-2.json", path) == 0);
	snprintf(path, sizeof(path), "%s/sub.json", dir);
	CU_ASSERT(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/fifo.json", dir);
	CU_ASSERT(mkfifo(path, 0600) == 0);

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	/* Arguments in capitals, with colons, are the same IDs. */
	for (i = 0; enc_keyid[i] != '\0'; i++)
		upper[i] = (char)(enc_keyid[i] >= 'a' ? enc_keyid[i] - 32 :
		    enc_keyid[i]);
	upper[i] = '\0';
	CU_ASSERT_FATAL(cs_rollout_evaluate(ctx, dir, upper, sign_fp,
	    &res) == 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(res,
	    "pair_key_id")), enc_keyid);
	CU_ASSERT(json_integer_value(json_object_get(res, "hosts")) == 10);
	CU_ASSERT(json_integer_value(json_object_get(res, "ready")) == 3);
	CU_ASSERT(json_integer_value(json_object_get(res, "not_ready")) ==
	    7);
	h = json_object_get(res, "ready_hosts");
	CU_ASSERT(json_array_size(h) == 3);
	CU_ASSERT_STRING_EQUAL(str_at(h, 0), "web-1");
	CU_ASSERT_STRING_EQUAL(str_at(h, 1), "web-6");
	CU_ASSERT_STRING_EQUAL(str_at(h, 2), "web-7");
	nr = json_object_get(res, "not_ready_hosts");
	CU_ASSERT_FATAL(json_array_size(nr) == 7);
	{
		static const struct {
			const char *host, *file, *missing;
		} want[] = {
			{ "huge", "huge.json", "damaged: " },
			{ "web-2", "web-2.json", "key" },
			{ "web-3", "web-3.json", "signer" },
			{ "web-4", "web-4.json", "damaged: " },
			{ "web-5", "web-5.json", "damaged: " },
			{ "web-6-copy", "web-6-copy.json", "refused: " },
			{ "web-7-old", "web-7-old.json", "refused: " },
		};
		json_t *m;

		for (i = 0; i < 7; i++) {
			h = json_array_get(nr, i);
			m = json_object_get(h, "missing");
			CU_ASSERT_STRING_EQUAL(json_string_value(
			    json_object_get(h, "host")), want[i].host);
			CU_ASSERT_STRING_EQUAL(json_string_value(
			    json_object_get(h, "file")), want[i].file);
			CU_ASSERT(json_array_size(m) == 1);
			CU_ASSERT(strncmp(str_at(m, 0), want[i].missing,
			    strlen(want[i].missing)) == 0);
		}
		CU_ASSERT(strstr(str_at(json_object_get(json_array_get(nr, 4),
		    "missing"), 0), "'host'") != NULL);
		CU_ASSERT(strstr(str_at(json_object_get(json_array_get(nr, 0),
		    "missing"), 0), "10000") != NULL);
		/* The claimed host is named. */
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		    json_array_get(nr, 5), "claims")), "web-6");
		CU_ASSERT(strstr(str_at(json_object_get(json_array_get(nr, 6),
		    "missing"), 0), "claims to be host 'web-7'") != NULL);
	}
	json_decref(res);
	res = NULL;

	/* Without a signer requirement web-3 is ready too. */
	CU_ASSERT_FATAL(cs_rollout_evaluate(ctx, dir, enc_keyid, NULL,
	    &res) == 0);
	CU_ASSERT(json_integer_value(json_object_get(res, "ready")) == 4);
	CU_ASSERT(json_is_null(json_object_get(res, "signer_fingerprint")));
	json_decref(res);
	res = NULL;

	/* A pair nobody has. */
	CU_ASSERT_FATAL(cs_rollout_evaluate(ctx, dir, "01:02:03", sign_fp,
	    &res) == 0);
	CU_ASSERT(json_integer_value(json_object_get(res, "ready")) == 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(res,
	    "pair_key_id")), "010203");
	json_decref(res);
	res = NULL;

	/* Bad arguments and directories. */
	CU_ASSERT(cs_rollout_evaluate(ctx, dir, "xyz", sign_fp, &res) ==
	    CERTSEAL_E_USAGE);
	CU_ASSERT(cs_rollout_evaluate(ctx, dir, "abc", sign_fp, &res) ==
	    CERTSEAL_E_USAGE);
	CU_ASSERT(cs_rollout_evaluate(ctx, dir, enc_keyid, "abcd", &res) ==
	    CERTSEAL_E_USAGE);
	snprintf(path, sizeof(path), "%s/none", tmpdir);
	CU_ASSERT(cs_rollout_evaluate(ctx, path, enc_keyid, sign_fp, &res) ==
	    CERTSEAL_E_NOT_FOUND);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), path) != NULL);
	CU_ASSERT(res == NULL);

	/* An empty directory: no hosts. */
	snprintf(path, sizeof(path), "%s/eval-empty", tmpdir);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	CU_ASSERT_FATAL(cs_rollout_evaluate(ctx, path, enc_keyid, sign_fp,
	    &res) == 0);
	CU_ASSERT(json_integer_value(json_object_get(res, "hosts")) == 0);
	json_decref(res);
	certseal_ctx_free(ctx);
}

/*
 * A second report claiming db-1, under another name, never counts for
 * db-1 (issue 11); db-1's own damaged report makes it not ready.
 */
static void
test_evaluate_damaged_duplicate(void)
{
	certseal_ctx *ctx = NULL;
	json_t *res = NULL;
	char dir[512], path[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/eval-dup", tmpdir);
	CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
	put_report(dir, "db-1.json", "db-1", "2026-01-01T00:00:00Z", 1, 1);
	put_report(dir, "db-2.json", "db-1", "2026-01-02T00:00:00Z", 1, 1);
	snprintf(path, sizeof(path), "%s/db-2.json", dir);
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	CU_ASSERT_FATAL(cs_rollout_evaluate(ctx, dir, enc_keyid, sign_fp,
	    &res) == 0);
	CU_ASSERT(json_integer_value(json_object_get(res, "hosts")) == 2);
	CU_ASSERT(json_integer_value(json_object_get(res, "ready")) == 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
	    json_array_get(json_object_get(res, "not_ready_hosts"), 0),
	    "claims")), "db-1");
	json_decref(res);
	res = NULL;
	/* db-1's own file damaged: the valid copy does not rescue it. */
	snprintf(path, sizeof(path), "%s/db-1.json", dir);
	write_text(path, "{");
	CU_ASSERT_FATAL(cs_rollout_evaluate(ctx, dir, enc_keyid, sign_fp,
	    &res) == 0);
	CU_ASSERT(json_integer_value(json_object_get(res, "hosts")) == 2);
	CU_ASSERT(json_integer_value(json_object_get(res, "ready")) == 0);
	json_decref(res);
	certseal_ctx_free(ctx);
}

int
main(void)
{
	static const struct cu_case report_cases[] = {
		{ "build from file: sources", test_build_from_file_sources },
		{ "build with the default source", test_build_default_source },
		{ "write and read back", test_write_and_read_back },
		{ "file names of hosts", test_write_file_names },
		{ "damaged reports", test_read_damaged },
		{ "limits and file types", test_read_limits },
		{ "random mutations", test_read_mutations },
	};
	static const struct cu_case eval_cases[] = {
		{ "evaluate a directory", test_evaluate },
		{ "a report for another host", test_evaluate_damaged_duplicate },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (cu_add_suite("report", CU_CASES(report_cases), suite_init,
	    suite_cleanup) != 0 ||
	    cu_add_suite("rollout", CU_CASES(eval_cases), suite_init,
	    suite_cleanup) != 0) {
		CU_cleanup_registry();
		return 1;
	}
	return cu_run_all();
}
