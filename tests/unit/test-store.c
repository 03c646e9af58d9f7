/*
 * test-store.c - the local certificate store: URI and name parsing,
 * import / list / remove, the store: source (lookup by SKID and by issuer
 * and serial, trusted signers, caching), permission refusal, damaged
 * entries, the Windows spelling, CERTSEAL_STORE_ROOT, and lookups among
 * 10 000 entries.  Real keys and PKCS#12 bundles, made in-process and with
 * the openssl command.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "cu-run.h"
#include "internal.h"
#include "source.h"
#include "store.h"

/* Short, so that paths built under it always fit PATH_MAX. */
static char tmpdir[256];
static char machine_root[512];
static char pwfile[512];

/* Warnings the library sent through the log callback. */
static char warnings[8192];
static int nwarnings;

static void
collect_warning(const char *msg, void *arg)
{
	size_t used = strlen(warnings);

	nwarnings++;
	snprintf(warnings + used, sizeof(warnings) - used, "%s\n", msg);
}

static certseal_ctx *
new_ctx(void)
{
	certseal_ctx *ctx = NULL;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	certseal_ctx_set_log(ctx, collect_warning, NULL);
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	warnings[0] = '\0';
	nwarnings = 0;
	return ctx;
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	CU_ASSERT_FATAL(fp != NULL);
	CU_ASSERT_FATAL(fwrite(data, 1, len, fp) == len);
	fclose(fp);
	chmod(path, mode);
}

static int
run(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int
suite_init(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/cs-store-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(machine_root, sizeof(machine_root), "%s/machine", tmpdir);
	snprintf(pwfile, sizeof(pwfile), "%s/password", tmpdir);
	setenv("CERTSEAL_STORE_ROOT", machine_root, 1);
	{
		char xdg[PATH_MAX];

		snprintf(xdg, sizeof(xdg), "%s/xdg", tmpdir);
		setenv("XDG_DATA_HOME", xdg, 1);
	}
	unsetenv("CERTSEAL_PIN");
	/* No CU_ASSERT here: CUnit allows them only inside a test. */
	return run("umask 077; printf 'bundle-pw\\n' > '%s'", pwfile) == 0 ?
	    0 : -1;
}

static int
suite_cleanup(void)
{
	return run("rm -rf '%s'", tmpdir) == 0 ? 0 : -1;
}

/* ---- keys, certificates, bundles ----------------------------------- */

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	CU_ASSERT_FATAL(k != NULL);
	return k;
}

/*
 * A certificate for key named cn, signed by ca_key (self-signed when
 * NULL).  skid: NULL for the usual hash, "" for none, else these bytes.
 */
static X509 *
make_cert_skid(EVP_PKEY *key, const char *cn, EVP_PKEY *ca_key, X509 *ca,
    long serial, const unsigned char *skid, size_t skidlen)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *os;

	CU_ASSERT_FATAL(x != NULL && name != NULL);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) : name);
	X509_NAME_free(name);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_set_pubkey(x, key);
	if (skid == NULL) {
		X509V3_set_ctx(&v3, ca != NULL ? ca : x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &v3,
		    NID_subject_key_identifier, "hash");
		CU_ASSERT_FATAL(ext != NULL);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	} else if (skidlen > 0) {
		os = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(os, skid, (int)skidlen);
		X509_add1_ext_i2d(x, NID_subject_key_identifier, os, 0, 0);
		ASN1_OCTET_STRING_free(os);
	}
	CU_ASSERT_FATAL(X509_sign(x, ca_key != NULL ? ca_key : key,
	    EVP_sha256()) > 0);
	return x;
}

static X509 *
make_cert(EVP_PKEY *key, const char *cn, EVP_PKEY *ca_key, X509 *ca,
    long serial)
{
	return make_cert_skid(key, cn, ca_key, ca, serial, NULL, 0);
}

/* A pair as an export would carry it: key, cert, the admin's signer. */
struct bundle {
	EVP_PKEY	*key, *signer_key;
	X509		*cert, *signer;
	char		 path[PATH_MAX];
	char		 id[CS_STORE_ID_MAX + 1];
	char		 signer_id[65];
};

static void
bundle_free(struct bundle *b)
{
	EVP_PKEY_free(b->key);
	EVP_PKEY_free(b->signer_key);
	X509_free(b->cert);
	X509_free(b->signer);
	memset(b, 0, sizeof(*b));
}

static void
write_p12(const char *path, EVP_PKEY *key, X509 *cert, X509 *signer,
    const char *label)
{
	STACK_OF(X509) *ca = sk_X509_new_null();
	PKCS12 *p12;
	FILE *fp;

	if (signer != NULL)
		sk_X509_push(ca, signer);
	p12 = PKCS12_create("bundle-pw", label, key, cert, ca, 0, 0, 0, 0, 0);
	CU_ASSERT_FATAL(p12 != NULL);
	CU_ASSERT_FATAL((fp = fopen(path, "wb")) != NULL);
	CU_ASSERT_FATAL(i2d_PKCS12_fp(fp, p12) == 1);
	fclose(fp);
	PKCS12_free(p12);
	sk_X509_free(ca);
}

static void
make_bundle(struct bundle *b, const char *tag)
{
	char cn[128];
	unsigned char md[32];
	unsigned int mdlen;
	const ASN1_OCTET_STRING *skid;

	memset(b, 0, sizeof(*b));
	b->signer_key = ec_key();
	snprintf(cn, sizeof(cn), "signer %s", tag);
	b->signer = make_cert(b->signer_key, cn, NULL, NULL, 1);
	b->key = ec_key();
	snprintf(cn, sizeof(cn), "client %s", tag);
	b->cert = make_cert(b->key, cn, b->signer_key, b->signer, 7);
	snprintf(b->path, sizeof(b->path), "%s/%s.p12", tmpdir, tag);
	write_p12(b->path, b->key, b->cert, b->signer, tag);
	skid = X509_get0_subject_key_id(b->cert);
	cs_hex(ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid),
	    b->id, sizeof(b->id));
	X509_digest(b->signer, EVP_sha256(), md, &mdlen);
	cs_hex(md, mdlen, b->signer_id, sizeof(b->signer_id));
}

static struct cs_recipient_id
by_skid(X509 *cert)
{
	struct cs_recipient_id id = { 0 };

	id.keyid = X509_get0_subject_key_id(cert);
	return id;
}

static struct cs_recipient_id
by_issuer_serial(X509 *cert)
{
	struct cs_recipient_id id = { 0 };

	id.issuer = X509_get_issuer_name(cert);
	id.serial = X509_get0_serialNumber(cert);
	return id;
}

static void
store_file(char *buf, size_t size, const char *location, const char *store,
    const char *sub, const char *name)
{
	const char *root = machine_root;
	char user[512];

	if (strcmp(location, "CurrentUser") == 0) {
		snprintf(user, sizeof(user), "%s/xdg/certseal/stores",
		    tmpdir);
		root = user;
	}
	if (sub == NULL)
		snprintf(buf, size, "%s/%s/%s", root, location, store);
	else if (name == NULL)
		snprintf(buf, size, "%s/%s/%s/%s", root, location, store, sub);
	else
		snprintf(buf, size, "%s/%s/%s/%s/%s", root, location, store,
		    sub, name);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

static int
import(certseal_ctx *ctx, const char *store, struct bundle *b,
    struct cs_store_import_info **info)
{
	return cs_store_import(ctx, NULL, store, b->path, pwfile, info);
}

/* The hint the source of the last lookup() left, or "". */
static char lookup_hint[CS_ERRMSG_MAX];

/* Looks cert up through a fresh source for uri; 0 when found and equal. */
static int
lookup(certseal_ctx *ctx, const char *uri, X509 *cert, int by_isn)
{
	struct cs_source *src = NULL;
	struct cs_recipient_id id = by_isn ? by_issuer_serial(cert) :
	    by_skid(cert);
	const struct cs_key *key = NULL;
	int r;

	CU_ASSERT_FATAL(cs_source_new(ctx, uri, &src) == 0);
	r = cs_source_find_key(src, &id, &key);
	snprintf(lookup_hint, sizeof(lookup_hint), "%s",
	    cs_source_hint(src) != NULL ? cs_source_hint(src) : "");
	if (r == 0) {
		CU_ASSERT(key != NULL && X509_cmp(key->cert, cert) == 0);
		CU_ASSERT(key != NULL && key->pkey != NULL &&
		    X509_check_private_key(cert, key->pkey) == 1);
	}
	cs_source_free(src);
	return r;
}

/* ---- names and URIs --------------------------------------------------- */

/* 64 characters: the longest store name. */
#define A64	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
test_uri_table(void)
{
	static const struct {
		const char *uri;
		int r;
		const char *location, *name;
	} table[] = {
		{ "store:", 0, "LocalMachine", "My" },
		{ "store:LocalMachine/My", 0, "LocalMachine", "My" },
		{ "store:localmachine/My", 0, "LocalMachine", "My" },
		{ "STORE:CURRENTUSER/My", 0, "CurrentUser", "My" },
		{ "store:CurrentUser/My", 0, "CurrentUser", "My" },
		{ "store:CurrentUser", 0, "CurrentUser", "My" },
		{ "store:LocalMachine/Backup", 0, "LocalMachine", "Backup" },
		{ "store:LocalMachine/a.b_c-9", 0, "LocalMachine", "a.b_c-9" },
		{ "store:LocalMachine/My?", 0, "LocalMachine", "My" },
		{ "store:Elsewhere/My", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ "store:My", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ "store:/My", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ "store:LocalMachine/", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ "store:LocalMachine/..", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ "store:LocalMachine/.hidden", CERTSEAL_E_BAD_URI, NULL,
		    NULL },
		{ "store:LocalMachine/a/b", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ "store:LocalMachine/a b", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ "store:LocalMachine/My%2f..", CERTSEAL_E_BAD_URI, NULL,
		    NULL },
		{ "store:LocalMachine/My?label=x", CERTSEAL_E_BAD_URI, NULL,
		    NULL },
		{ "store:LocalMachine/My?pin-source=/x", CERTSEAL_E_BAD_URI,
		    NULL, NULL },
		{ "store:LocalMachine/" A64 "a", CERTSEAL_E_BAD_URI, NULL,
		    NULL },
		{ "store:LocalMachine/" A64, 0, "LocalMachine", A64 },
	};
	char loc[CS_STORE_LOCATION_MAX + 1], name[CS_STORE_NAME_MAX + 1];
	struct cs_source *src;
	certseal_ctx *ctx = new_ctx();
	size_t i;
	int r;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		r = cs_store_uri_parse(ctx, table[i].uri, loc, name);
		CU_ASSERT_EQUAL_ROW(r, table[i].r, table[i].uri);
		if (r == 0 && table[i].r == 0) {
			CU_ASSERT_STRING_EQUAL(loc, table[i].location);
			CU_ASSERT_STRING_EQUAL(name, table[i].name);
		}
		if (r != 0)
			CU_ASSERT(strlen(certseal_ctx_last_error(ctx)) > 0);
		/* The registry hands store: URIs to the same parser. */
		src = NULL;
		CU_ASSERT(cs_source_new(ctx, table[i].uri, &src) ==
		    table[i].r);
		CU_ASSERT((src != NULL) == (table[i].r == 0));
		cs_source_free(src);
	}
	/* Messages name the problem. */
	cs_store_uri_parse(ctx, "store:LocalMachine/My?label=x", loc, name);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "label") != NULL);
	cs_store_uri_parse(ctx, "store:Elsewhere/My", loc, name);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "Elsewhere") != NULL);
	cs_store_uri_parse(ctx, "store:LocalMachine/.x", loc, name);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "dot") != NULL);
	certseal_ctx_free(ctx);
}

static void
test_spec_and_id(void)
{
	static const struct {
		const char *spec;
		int r;
		const char *location, *name;
	} specs[] = {
		{ NULL, 0, "LocalMachine", "My" },
		{ "", 0, "LocalMachine", "My" },
		{ "Backup", 0, "LocalMachine", "Backup" },
		{ "CurrentUser", 0, "CurrentUser", "My" },
		{ "currentuser/Other", 0, "CurrentUser", "Other" },
		{ "store:CurrentUser/X", 0, "CurrentUser", "X" },
		{ "[LocalMachine]\\My", 0, "LocalMachine", "My" },
		{ "[CurrentUser]\\Backup", 0, "CurrentUser", "Backup" },
		{ "[Nowhere]\\My", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ "../etc", CERTSEAL_E_BAD_URI, NULL, NULL },
		{ ".ssh", CERTSEAL_E_BAD_URI, NULL, NULL },
	};
	static const struct {
		const char *in;
		int r;
		const char *out;
	} ids[] = {
		{ "abcdef01", 0, "abcdef01" },
		{ "AB:CD:EF:01", 0, "abcdef01" },
		{ "", CERTSEAL_E_USAGE, NULL },
		{ "abc", CERTSEAL_E_USAGE, NULL },
		{ "../x", CERTSEAL_E_USAGE, NULL },
		{ "zz", CERTSEAL_E_USAGE, NULL },
	};
	char loc[CS_STORE_LOCATION_MAX + 1], name[CS_STORE_NAME_MAX + 1];
	char hex[CS_STORE_ID_MAX + 1], big[300];
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		CU_ASSERT(cs_store_spec_parse(NULL, specs[i].spec, loc,
		    name) == specs[i].r);
		if (specs[i].r == 0) {
			CU_ASSERT_STRING_EQUAL(loc, specs[i].location);
			CU_ASSERT_STRING_EQUAL(name, specs[i].name);
		}
	}
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		CU_ASSERT(cs_store_id_normalize(NULL, ids[i].in, hex) ==
		    ids[i].r);
		if (ids[i].r == 0)
			CU_ASSERT_STRING_EQUAL(hex, ids[i].out);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT(cs_store_id_normalize(NULL, big, hex) == CERTSEAL_E_USAGE);
}

/* ---- import, lookup, list, remove ----------------------------------- */

static void
test_import_and_find(void)
{
	struct cs_store_import_info *info = NULL;
	struct cs_source *src = NULL;
	struct cs_recipient_id id;
	const struct cs_key *key = NULL;
	STACK_OF(X509) *signers = sk_X509_new_null();
	certseal_ctx *ctx = new_ctx();
	struct bundle b;
	json_t *desc = NULL;
	char path[PATH_MAX], name[200];

	make_bundle(&b, "alpha");
	CU_ASSERT_FATAL(import(ctx, NULL, &b, &info) == 0);
	CU_ASSERT_STRING_EQUAL(info->location, "LocalMachine");
	CU_ASSERT_STRING_EQUAL(info->name, "My");
	CU_ASSERT_STRING_EQUAL(info->key.id, b.id);
	CU_ASSERT(info->key.outcome == CS_STORE_ADDED);
	CU_ASSERT(info->key.subject != NULL &&
	    strstr(info->key.subject, "client alpha") != NULL);
	CU_ASSERT_FATAL(info->nsigners == 1);
	CU_ASSERT_STRING_EQUAL(info->signers[0].id, b.signer_id);
	CU_ASSERT(info->signers[0].outcome == CS_STORE_ADDED);
	{
		json_t *j = cs_store_import_info_json(info);

		CU_ASSERT(j != NULL && json_is_object(json_object_get(j,
		    "key")));
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		    json_object_get(j, "key"), "outcome")), "added");
		json_decref(j);
	}
	cs_store_import_info_free(info);

	/* Layout and modes. */
	store_file(path, sizeof(path), "LocalMachine", "My", NULL, NULL);
	CU_ASSERT(mode_of(path) == 0700);
	store_file(path, sizeof(path), "LocalMachine", "My", "keys", NULL);
	CU_ASSERT(mode_of(path) == 0700);
	snprintf(name, sizeof(name), "%s.pem", b.id);
	store_file(path, sizeof(path), "LocalMachine", "My", "keys", name);
	CU_ASSERT(mode_of(path) == 0600);
	snprintf(name, sizeof(name), "%s.json", b.id);
	store_file(path, sizeof(path), "LocalMachine", "My", "keys", name);
	CU_ASSERT(mode_of(path) == 0600);
	snprintf(name, sizeof(name), "%s.pem", b.signer_id);
	store_file(path, sizeof(path), "LocalMachine", "My", "signers", name);
	CU_ASSERT(mode_of(path) == 0600);

	/* store: is store:LocalMachine/My; both ways of naming the key. */
	CU_ASSERT(lookup(ctx, "store:", b.cert, 0) == 0);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/My", b.cert, 1) == 0);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Backup", b.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	/* A missing store: a bare miss, and a hint for the final message. */
	CU_ASSERT_CONTAINS(lookup_hint, "store LocalMachine/Backup is empty "
	    "or missing", "missing store");
	CU_ASSERT_CONTAINS(lookup_hint, "certseal store import",
	    "missing store");
	/* A store with other keys: a plain miss, no hint. */
	CU_ASSERT(lookup(ctx, "store:LocalMachine/My", b.signer, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT_STRING_EQUAL(lookup_hint, "");
	CU_ASSERT(lookup(ctx, "store:LocalMachine/My", b.signer, 1) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT_STRING_EQUAL(lookup_hint, "");

	/* The source: key with label, trusted signers, description. */
	CU_ASSERT_FATAL(cs_source_new(ctx, "store:", &src) == 0);
	id = by_skid(b.cert);
	CU_ASSERT_FATAL(cs_source_find_key(src, &id, &key) == 0);
	CU_ASSERT_STRING_EQUAL(key->keyid_hex, b.id);
	CU_ASSERT(key->label != NULL &&
	    strcmp(key->label, "client alpha") == 0);
	CU_ASSERT(cs_source_trusted_signers(src, signers) == 0);
	CU_ASSERT_FATAL(sk_X509_num(signers) == 1);
	CU_ASSERT(X509_cmp(sk_X509_value(signers, 0), b.signer) == 0);
	/* Cached: a second call adds the same again, up-ref'd. */
	CU_ASSERT(cs_source_trusted_signers(src, signers) == 0);
	CU_ASSERT(sk_X509_num(signers) == 2);
	CU_ASSERT(cs_source_describe(src, &desc) == 0);
	CU_ASSERT(json_array_size(json_object_get(desc, "keys")) == 1);
	CU_ASSERT(json_array_size(json_object_get(desc, "trusted_signers")) == 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(desc,
	    "location")), "LocalMachine");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(desc,
	    "status")), "ok");
	json_decref(desc);
	cs_source_free(src);
	sk_X509_pop_free(signers, X509_free);
	CU_ASSERT(nwarnings == 0);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

static void
test_double_import(void)
{
	struct cs_store_import_info *info = NULL;
	certseal_ctx *ctx = new_ctx();
	struct bundle b;
	struct stat st1, st2, sm1, sm2;
	char path[PATH_MAX], meta[PATH_MAX], name[200];

	make_bundle(&b, "twice");
	CU_ASSERT_FATAL(import(ctx, "Twice", &b, &info) == 0);
	cs_store_import_info_free(info);
	snprintf(name, sizeof(name), "%s.pem", b.id);
	store_file(path, sizeof(path), "LocalMachine", "Twice", "keys", name);
	snprintf(name, sizeof(name), "%s.json", b.id);
	store_file(meta, sizeof(meta), "LocalMachine", "Twice", "keys", name);
	CU_ASSERT_FATAL(stat(path, &st1) == 0 && stat(meta, &sm1) == 0);

	info = NULL;
	CU_ASSERT_FATAL(import(ctx, "Twice", &b, &info) == 0);
	CU_ASSERT(info->key.outcome == CS_STORE_PRESENT);
	CU_ASSERT_FATAL(info->nsigners == 1);
	CU_ASSERT(info->signers[0].outcome == CS_STORE_PRESENT);
	CU_ASSERT_STRING_EQUAL(cs_store_outcome_name(info->key.outcome),
	    "already present");
	cs_store_import_info_free(info);
	/* Same names, untouched files (an atomic write makes a new inode). */
	CU_ASSERT_FATAL(stat(path, &st2) == 0 && stat(meta, &sm2) == 0);
	CU_ASSERT(st1.st_ino == st2.st_ino);
	CU_ASSERT(sm1.st_ino == sm2.st_ino);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Twice", b.cert, 0) == 0);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

static json_t *
find_entry(json_t *list, const char *id)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "id")),
		    id) == 0)
			return e;
	}
	return NULL;
}

static void
test_list_and_remove(void)
{
	struct cs_store_import_info *info = NULL;
	certseal_ctx *ctx = new_ctx();
	struct bundle b;
	json_t *list = NULL, *e;
	const char *kind = NULL;
	char upper[CS_STORE_ID_MAX * 2], path[PATH_MAX], isndir[PATH_MAX];
	size_t i, j;

	CU_ASSERT(cs_store_list(ctx, NULL, "Listed", &list) == 0);
	CU_ASSERT(list != NULL && json_array_size(list) == 0);
	json_decref(list);

	make_bundle(&b, "listed");
	CU_ASSERT_FATAL(import(ctx, "Listed", &b, &info) == 0);
	cs_store_import_info_free(info);
	CU_ASSERT_FATAL(cs_store_list(ctx, NULL, "Listed", &list) == 0);
	CU_ASSERT_FATAL(json_array_size(list) == 2);
	e = find_entry(list, b.id);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "kind")),
	    "key");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e,
	    "status")), "ok");
	/* The bundle's friendlyName is the label. */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "label")),
	    "listed");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e,
	    "source")), "listed.p12");
	CU_ASSERT(json_string_value(json_object_get(e, "not_after")) != NULL);
	CU_ASSERT(json_string_value(json_object_get(e, "imported_at")) !=
	    NULL);
	CU_ASSERT(strstr(json_string_value(json_object_get(e, "subject")),
	    "client listed") != NULL);
	e = find_entry(list, b.signer_id);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "kind")),
	    "signer");
	json_decref(list);

	/* Remove by id as a user may type it: upper case with colons. */
	for (i = 0, j = 0; b.id[i] != '\0'; i++) {
		if (i > 0 && i % 2 == 0)
			upper[j++] = ':';
		upper[j++] = (char)(b.id[i] >= 'a' ? b.id[i] - 32 : b.id[i]);
	}
	upper[j] = '\0';
	CU_ASSERT(cs_store_remove(ctx, NULL, "Listed", upper, &kind) == 0);
	CU_ASSERT(kind != NULL && strcmp(kind, "key") == 0);
	/* Its last key removed, the store hints at an import again. */
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Listed", b.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT_CONTAINS(lookup_hint, "certseal store import",
	    "emptied store, by key id");
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Listed", b.cert, 1) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT_CONTAINS(lookup_hint, "certseal store import",
	    "emptied store, by issuer and serial");
	/* The issuer-serial pointer went with it. */
	store_file(isndir, sizeof(isndir), "LocalMachine", "Listed",
	    "by-issuer-serial", NULL);
	CU_ASSERT(run("test -z \"$(ls -A '%s')\"", isndir) == 0);
	CU_ASSERT(cs_store_remove(ctx, NULL, "Listed", b.signer_id,
	    &kind) == 0);
	CU_ASSERT(kind != NULL && strcmp(kind, "signer") == 0);
	CU_ASSERT_FATAL(cs_store_list(ctx, NULL, "Listed", &list) == 0);
	CU_ASSERT(json_array_size(list) == 0);
	json_decref(list);
	store_file(path, sizeof(path), "LocalMachine", "Listed", "keys",
	    NULL);
	CU_ASSERT(run("test -z \"$(ls -A '%s')\"", path) == 0);

	CU_ASSERT(cs_store_remove(ctx, NULL, "Listed", b.id, NULL) ==
	    CERTSEAL_E_NOT_FOUND);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), b.id) != NULL);
	CU_ASSERT(cs_store_remove(ctx, NULL, "Listed", "../../x", NULL) ==
	    CERTSEAL_E_USAGE);
	CU_ASSERT(cs_store_remove(ctx, NULL, "Nothing", b.id, NULL) ==
	    CERTSEAL_E_NOT_FOUND);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

/* ---- permissions and damage ------------------------------------------ */

static void
test_permissions(void)
{
	struct cs_store_import_info *info = NULL;
	certseal_ctx *ctx = new_ctx();
	struct bundle b;
	json_t *list = NULL;
	char dir[PATH_MAX], keys[PATH_MAX], isn[PATH_MAX], file[PATH_MAX];
	char name[200];

	make_bundle(&b, "perm");
	CU_ASSERT_FATAL(import(ctx, "Perm", &b, &info) == 0);
	cs_store_import_info_free(info);
	store_file(dir, sizeof(dir), "LocalMachine", "Perm", NULL, NULL);
	store_file(keys, sizeof(keys), "LocalMachine", "Perm", "keys", NULL);
	snprintf(name, sizeof(name), "%s.pem", b.id);
	store_file(file, sizeof(file), "LocalMachine", "Perm", "keys", name);

	/* An open store directory is refused outright. */
	CU_ASSERT_FATAL(chmod(dir, 0755) == 0);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Perm", b.cert, 0) ==
	    CERTSEAL_E_PERMISSION);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "chmod 700") != NULL);
	CU_ASSERT(cs_store_list(ctx, NULL, "Perm", &list) ==
	    CERTSEAL_E_PERMISSION);
	/* ... and never written into. */
	info = NULL;
	CU_ASSERT(import(ctx, "Perm", &b, &info) == CERTSEAL_E_PERMISSION);
	CU_ASSERT(info == NULL);
	CU_ASSERT_FATAL(chmod(dir, 0700) == 0);
	CU_ASSERT_FATAL(chmod(keys, 0750) == 0);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Perm", b.cert, 0) ==
	    CERTSEAL_E_PERMISSION);
	CU_ASSERT_FATAL(chmod(keys, 0700) == 0);
	store_file(isn, sizeof(isn), "LocalMachine", "Perm",
	    "by-issuer-serial", NULL);
	CU_ASSERT_FATAL(chmod(isn, 0701) == 0);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Perm", b.cert, 1) ==
	    CERTSEAL_E_PERMISSION);
	CU_ASSERT_FATAL(chmod(isn, 0700) == 0);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Perm", b.cert, 1) == 0);

	/* Someone else's store (the tests may run as root: chown works). */
	if (chown(dir, 54321, (gid_t)-1) == 0) {
		CU_ASSERT(lookup(ctx, "store:LocalMachine/Perm", b.cert, 0) ==
		    CERTSEAL_E_PERMISSION);
		CU_ASSERT(strstr(certseal_ctx_last_error(ctx), "54321") !=
		    NULL);
		CU_ASSERT(chown(dir, geteuid(), (gid_t)-1) == 0);
	}

	/* A readable key file: warned about and skipped, not fatal. */
	CU_ASSERT_FATAL(chmod(file, 0644) == 0);
	warnings[0] = '\0';
	nwarnings = 0;
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Perm", b.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT(nwarnings == 1);
	CU_ASSERT(strstr(warnings, "chmod 600") != NULL);
	CU_ASSERT(strstr(warnings, b.id) != NULL);
	/* list shows it as damaged, with the reason. */
	CU_ASSERT_FATAL(cs_store_list(ctx, NULL, "Perm", &list) == 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
	    find_entry(list, b.id), "status")), "damaged");
	CU_ASSERT(strstr(json_string_value(json_object_get(find_entry(list,
	    b.id), "problem")), "chmod 600") != NULL);
	json_decref(list);
	/* Importing again repairs it: a fresh 0600 file. */
	info = NULL;
	CU_ASSERT_FATAL(import(ctx, "Perm", &b, &info) == 0);
	CU_ASSERT(info->key.outcome == CS_STORE_REPLACED);
	cs_store_import_info_free(info);
	CU_ASSERT(mode_of(file) == 0600);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Perm", b.cert, 0) == 0);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

static void
test_damaged_entries(void)
{
	struct cs_store_import_info *info = NULL;
	STACK_OF(X509) *signers = sk_X509_new_null();
	struct cs_source *src = NULL;
	certseal_ctx *ctx = new_ctx();
	struct bundle a, b, c;
	uint8_t *data = NULL;
	size_t len = 0;
	char fa[PATH_MAX], fb[PATH_MAX], fc[PATH_MAX], name[200];
	const char *garbage = "-----BEGIN PRIVATE KEY-----\nnot base64\n";

	make_bundle(&a, "dam-a");
	make_bundle(&b, "dam-b");
	make_bundle(&c, "dam-c");
	CU_ASSERT_FATAL(import(ctx, "Damaged", &a, &info) == 0);
	cs_store_import_info_free(info);
	CU_ASSERT_FATAL(import(ctx, "Damaged", &b, &info) == 0);
	cs_store_import_info_free(info);
	CU_ASSERT_FATAL(import(ctx, "Damaged", &c, &info) == 0);
	cs_store_import_info_free(info);
	snprintf(name, sizeof(name), "%s.pem", a.id);
	store_file(fa, sizeof(fa), "LocalMachine", "Damaged", "keys", name);
	snprintf(name, sizeof(name), "%s.pem", b.id);
	store_file(fb, sizeof(fb), "LocalMachine", "Damaged", "keys", name);
	snprintf(name, sizeof(name), "%s.pem", c.id);
	store_file(fc, sizeof(fc), "LocalMachine", "Damaged", "keys", name);

	/* Bad PEM in a: skipped with a warning; b is still found. */
	write_file(fa, garbage, strlen(garbage), 0600);
	warnings[0] = '\0';
	nwarnings = 0;
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Damaged", a.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT(nwarnings == 1);
	CU_ASSERT(strstr(warnings, "skipping") != NULL);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Damaged", b.cert, 0) == 0);

	/* c's name holding b's key and c's certificate: no match. */
	{
		BIO *mem = BIO_new(BIO_s_mem());
		char *p;
		long n;

		PEM_write_bio_PrivateKey(mem, b.key, NULL, NULL, 0, NULL,
		    NULL);
		PEM_write_bio_X509(mem, c.cert);
		n = BIO_get_mem_data(mem, &p);
		write_file(fc, p, (size_t)n, 0600);
		BIO_free(mem);
	}
	nwarnings = 0;
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Damaged", c.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT(nwarnings == 1);
	CU_ASSERT(strstr(warnings, "does not match") != NULL);

	/* b's entry copied under a's name: the index must not lie. */
	CU_ASSERT_FATAL(cs_read_file(NULL, fb, 1 << 20, &data, &len) == 0);
	write_file(fa, data, len, 0600);
	free(data);
	nwarnings = 0;
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Damaged", a.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT(nwarnings == 1);
	CU_ASSERT(strstr(warnings, "not the file name") != NULL);

	/* A symlink or a FIFO in place of an entry is not followed. */
	unlink(fa);
	CU_ASSERT(symlink(fb, fa) == 0);
	nwarnings = 0;
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Damaged", a.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT(nwarnings == 1);
	unlink(fa);
	CU_ASSERT(mkfifo(fa, 0600) == 0);
	nwarnings = 0;
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Damaged", a.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT(nwarnings == 1);
	unlink(fa);

	/* A damaged signer is skipped; the others are still trusted. */
	snprintf(name, sizeof(name), "%s.pem", a.signer_id);
	store_file(fa, sizeof(fa), "LocalMachine", "Damaged", "signers", name);
	write_file(fa, "junk", 4, 0600);
	nwarnings = 0;
	CU_ASSERT_FATAL(cs_source_new(ctx, "store:LocalMachine/Damaged",
	    &src) == 0);
	CU_ASSERT(cs_source_trusted_signers(src, signers) == 0);
	CU_ASSERT(sk_X509_num(signers) == 2);
	CU_ASSERT(nwarnings == 1);
	cs_source_free(src);

	/* Removing damaged entries works. */
	CU_ASSERT(cs_store_remove(ctx, NULL, "Damaged", a.signer_id,
	    NULL) == 0);
	CU_ASSERT(cs_store_remove(ctx, NULL, "Damaged", c.id, NULL) == 0);
	sk_X509_pop_free(signers, X509_free);
	bundle_free(&a);
	bundle_free(&b);
	bundle_free(&c);
	certseal_ctx_free(ctx);
}

/* ---- spellings, roots, refusals ----------------------------------- */

static void
test_windows_spelling(void)
{
	struct cs_store_import_info *info = NULL;
	certseal_ctx *ctx = new_ctx();
	struct bundle b;
	char path[PATH_MAX], name[200];

	make_bundle(&b, "windows");
	CU_ASSERT_FATAL(import(ctx, NULL, &b, &info) == 0);
	cs_store_import_info_free(info);
	CU_ASSERT(lookup(ctx, "[LocalMachine]\\My", b.cert, 0) == 0);
	CU_ASSERT(lookup(ctx, "[localmachine]\\My", b.cert, 1) == 0);
	/* CurrentUser is another root ($XDG_DATA_HOME). */
	CU_ASSERT(lookup(ctx, "[CurrentUser]\\My", b.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT_FATAL(cs_store_import(ctx, "currentuser", "My", b.path,
	    pwfile, &info) == 0);
	cs_store_import_info_free(info);
	snprintf(name, sizeof(name), "%s.pem", b.id);
	store_file(path, sizeof(path), "CurrentUser", "My", "keys", name);
	CU_ASSERT(mode_of(path) == 0600);
	CU_ASSERT(lookup(ctx, "[CurrentUser]\\My", b.cert, 0) == 0);
	CU_ASSERT(lookup(ctx, "store:CurrentUser/My", b.cert, 1) == 0);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

static void
test_store_root_override(void)
{
	struct cs_store_import_info *info = NULL;
	certseal_ctx *ctx = new_ctx();
	struct bundle b;
	char other[512], path[PATH_MAX];
	json_t *list = NULL;

	make_bundle(&b, "rooted");
	snprintf(other, sizeof(other), "%s/other-root", tmpdir);
	setenv("CERTSEAL_STORE_ROOT", other, 1);
	CU_ASSERT(lookup(ctx, "store:", b.cert, 0) == CERTSEAL_E_NO_KEY);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx), other) != NULL);
	CU_ASSERT_FATAL(import(ctx, NULL, &b, &info) == 0);
	cs_store_import_info_free(info);
	snprintf(path, sizeof(path), "%s/LocalMachine/My/keys/%s.pem", other,
	    b.id);
	CU_ASSERT(mode_of(path) == 0600);
	CU_ASSERT(lookup(ctx, "store:", b.cert, 0) == 0);
	CU_ASSERT(cs_store_list(ctx, NULL, NULL, &list) == 0);
	CU_ASSERT(json_array_size(list) == 2);
	json_decref(list);

	/* A relative root is refused rather than resolved against cwd. */
	setenv("CERTSEAL_STORE_ROOT", "relative/root", 1);
	CU_ASSERT(lookup(ctx, "store:", b.cert, 0) == CERTSEAL_E_USAGE);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx),
	    "CERTSEAL_STORE_ROOT") != NULL);

	setenv("CERTSEAL_STORE_ROOT", machine_root, 1);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Rooted", b.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

static void
test_refusals(void)
{
	struct cs_store_import_info *info = NULL;
	certseal_ctx *ctx = new_ctx();
	EVP_PKEY *key = ec_key(), *other = ec_key();
	X509 *cert;
	char p12[PATH_MAX], dir[PATH_MAX];

	/* No subjectKeyIdentifier: refused, nothing written. */
	cert = make_cert_skid(key, "no skid", NULL, NULL, 3,
	    (const unsigned char *)"", 0);
	snprintf(p12, sizeof(p12), "%s/noskid.p12", tmpdir);
	write_p12(p12, key, cert, NULL, "noskid");
	CU_ASSERT(cs_store_import(ctx, NULL, "NoSkid", p12, pwfile, &info) ==
	    CERTSEAL_E_USAGE);
	CU_ASSERT(info == NULL);
	CU_ASSERT(strstr(certseal_ctx_last_error(ctx),
	    "subjectKeyIdentifier") != NULL);
	store_file(dir, sizeof(dir), "LocalMachine", "NoSkid", NULL, NULL);
	CU_ASSERT(access(dir, F_OK) != 0);
	X509_free(cert);

	/* Wrong password; no password at all (no prompt, no CERTSEAL_PIN). */
	cert = make_cert(key, "pw", NULL, NULL, 4);
	snprintf(p12, sizeof(p12), "%s/pw.p12", tmpdir);
	write_p12(p12, key, cert, NULL, "pw");
	{
		char bad[PATH_MAX];

		snprintf(bad, sizeof(bad), "%s/badpw", tmpdir);
		write_file(bad, "wrong\n", 6, 0600);
		CU_ASSERT(cs_store_import(ctx, NULL, "Pw", p12, bad, &info) ==
		    CERTSEAL_E_PIN_INCORRECT);
	}
	CU_ASSERT(cs_store_import(ctx, NULL, "Pw", p12, NULL, &info) ==
	    CERTSEAL_E_NO_PIN);
	setenv("CERTSEAL_PIN", "bundle-pw", 1);
	CU_ASSERT(cs_store_import(ctx, NULL, "Pw", p12, NULL, &info) == 0);
	unsetenv("CERTSEAL_PIN");
	cs_store_import_info_free(info);
	info = NULL;
	X509_free(cert);

	/* Not a bundle; a missing file; a bad store name. */
	CU_ASSERT(cs_store_import(ctx, NULL, "Pw", pwfile, pwfile, &info) !=
	    0);
	snprintf(p12, sizeof(p12), "%s/does-not-exist.p12", tmpdir);
	CU_ASSERT(cs_store_import(ctx, NULL, "Pw", p12, pwfile, &info) != 0);
	CU_ASSERT(cs_store_import(ctx, "Elsewhere", "Pw", p12, pwfile,
	    &info) == CERTSEAL_E_BAD_URI);
	CU_ASSERT(cs_store_import(ctx, NULL, "../Pw", p12, pwfile, &info) ==
	    CERTSEAL_E_BAD_URI);
	CU_ASSERT(info == NULL);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	certseal_ctx_free(ctx);
}

/* A bundle made by the openssl command, as an admin might. */
static void
test_openssl_cli_bundle(void)
{
	struct cs_store_import_info *info = NULL;
	certseal_ctx *ctx = new_ctx();
	json_t *list = NULL, *e;
	X509 *cert = NULL, *signer = NULL;
	FILE *fp;
	char d[PATH_MAX];
	size_t i;
	int r;

	snprintf(d, sizeof(d), "%s/cli", tmpdir);
	r = run("set -e; mkdir -p '%s'; cd '%s'; "
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout signer.key "
	    "-out signer.pem -subj /CN=cli-signer -days 30 2>/dev/null; "
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout client.key "
	    "-out client.pem -subj /CN=cli-client -days 30 2>/dev/null; "
	    "openssl pkcs12 -export -inkey client.key -in client.pem "
	    "-certfile signer.pem -name 'cli label' -passout file:'%s' "
	    "-out client.p12", d, d, pwfile);
	CU_ASSERT_FATAL(r == 0);
	snprintf(d, sizeof(d), "%s/cli/client.pem", tmpdir);
	CU_ASSERT_FATAL((fp = fopen(d, "r")) != NULL);
	cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	snprintf(d, sizeof(d), "%s/cli/signer.pem", tmpdir);
	CU_ASSERT_FATAL((fp = fopen(d, "r")) != NULL);
	signer = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	CU_ASSERT_FATAL(cert != NULL && signer != NULL);

	snprintf(d, sizeof(d), "%s/cli/client.p12", tmpdir);
	CU_ASSERT_FATAL(cs_store_import(ctx, NULL, "Cli", d, pwfile,
	    &info) == 0);
	CU_ASSERT(info->key.outcome == CS_STORE_ADDED);
	CU_ASSERT(info->nsigners == 1);
	cs_store_import_info_free(info);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Cli", cert, 0) == 0);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Cli", cert, 1) == 0);
	CU_ASSERT_FATAL(cs_store_list(ctx, NULL, "Cli", &list) == 0);
	CU_ASSERT(json_array_size(list) == 2);
	json_array_foreach(list, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "kind")),
		    "key") == 0)
			CU_ASSERT_STRING_EQUAL(json_string_value(
			    json_object_get(e, "label")), "cli label");
	}
	json_decref(list);
	/* The store's key file is what `openssl` reads back, too. */
	{
		char name[PATH_MAX], hex[CS_STORE_ID_MAX + 1];
		const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

		cs_hex(ASN1_STRING_get0_data(skid),
		    (size_t)ASN1_STRING_length(skid), hex, sizeof(hex));
		store_file(name, sizeof(name), "LocalMachine", "Cli", "keys",
		    hex);
		CU_ASSERT(run("openssl pkey -in '%s.pem' -noout 2>/dev/null",
		    name) == 0);
	}
	X509_free(cert);
	X509_free(signer);
	certseal_ctx_free(ctx);
}

/* Loaded keys stay in the source: a re-open does not read again. */
static void
test_cache(void)
{
	struct cs_store_import_info *info = NULL;
	struct cs_source *src = NULL;
	struct cs_recipient_id id;
	const struct cs_key *k1 = NULL, *k2 = NULL;
	certseal_ctx *ctx = new_ctx();
	struct bundle b;
	char path[PATH_MAX], name[200];

	make_bundle(&b, "cached");
	CU_ASSERT_FATAL(import(ctx, "Cached", &b, &info) == 0);
	cs_store_import_info_free(info);
	CU_ASSERT_FATAL(cs_source_new(ctx, "store:LocalMachine/Cached",
	    &src) == 0);
	id = by_skid(b.cert);
	CU_ASSERT_FATAL(cs_source_find_key(src, &id, &k1) == 0);
	snprintf(name, sizeof(name), "%s.pem", b.id);
	store_file(path, sizeof(path), "LocalMachine", "Cached", "keys",
	    name);
	CU_ASSERT_FATAL(unlink(path) == 0);
	CU_ASSERT(cs_source_find_key(src, &id, &k2) == 0);
	CU_ASSERT(k1 == k2);
	id = by_issuer_serial(b.cert);
	CU_ASSERT(cs_source_find_key(src, &id, &k2) == 0);
	CU_ASSERT(k1 == k2);
	cs_source_free(src);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Cached", b.cert, 0) ==
	    CERTSEAL_E_NO_KEY);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

/*
 * Readiness (list_keys), description of a missing store, and the signer
 * list refreshed when a key imported after the source was first used
 * shows up.
 */
static void
test_list_keys_and_refresh(void)
{
	struct cs_store_import_info *info = NULL;
	struct cs_source *src = NULL;
	struct cs_recipient_id id;
	const struct cs_key *key = NULL;
	STACK_OF(X509) *certs = sk_X509_new_null();
	certseal_ctx *ctx = new_ctx();
	struct bundle a, b;
	json_t *desc = NULL;

	make_bundle(&a, "ready-a");
	make_bundle(&b, "ready-b");
	CU_ASSERT_FATAL(cs_source_new(ctx, "store:LocalMachine/Ready",
	    &src) == 0);
	CU_ASSERT(cs_source_list_keys(src, certs) == 0);
	CU_ASSERT(sk_X509_num(certs) == 0);
	CU_ASSERT(cs_source_trusted_signers(src, certs) == 0);
	CU_ASSERT(sk_X509_num(certs) == 0);
	CU_ASSERT(cs_source_describe(src, &desc) == 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(desc,
	    "status")), "empty");
	json_decref(desc);

	/* Imported while the source lives: found, and its signer trusted. */
	CU_ASSERT_FATAL(import(ctx, "Ready", &a, &info) == 0);
	cs_store_import_info_free(info);
	CU_ASSERT_FATAL(import(ctx, "Ready", &b, &info) == 0);
	cs_store_import_info_free(info);
	id = by_skid(a.cert);
	CU_ASSERT(cs_source_find_key(src, &id, &key) == 0);
	CU_ASSERT(cs_source_trusted_signers(src, certs) == 0);
	CU_ASSERT(sk_X509_num(certs) == 2);
	sk_X509_pop_free(certs, X509_free);

	/* list_keys: every sound key entry's certificate. */
	certs = sk_X509_new_null();
	CU_ASSERT(cs_source_list_keys(src, certs) == 0);
	CU_ASSERT_FATAL(sk_X509_num(certs) == 2);
	CU_ASSERT(X509_cmp(sk_X509_value(certs, 0), a.cert) == 0 ||
	    X509_cmp(sk_X509_value(certs, 1), a.cert) == 0);
	CU_ASSERT(X509_cmp(sk_X509_value(certs, 0), b.cert) == 0 ||
	    X509_cmp(sk_X509_value(certs, 1), b.cert) == 0);
	sk_X509_pop_free(certs, X509_free);
	cs_source_free(src);
	bundle_free(&a);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

/* ---- 10 000 entries ----------------------------------------------------- */

#define BIG_N	10000

/*
 * One certificate, made and signed once, is the template of all 10 000:
 * its SKID, CN and serial are patched in the DER (fixed widths), so every
 * entry has its own SKID, subject and issuer+serial.  The patched
 * signatures no longer verify, which the store does not check: an entry
 * is trusted for being in the store, not for its certificate's
 * signature.  Entries are written directly (10 000 imports would only
 * test fsync).  All share one key, so every entry is sound.
 */
struct big {
	unsigned char	*der;		/* template */
	int		 len;
	size_t		 skid_at, cn_at, serial_at;
};

static const unsigned char skid_mark[20] = {
	0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
	0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0x5a,
};
static const unsigned char serial_mark[8] = {
	0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0xc3,
};

static size_t
find_bytes(const unsigned char *hay, size_t n, const void *needle,
    size_t m)
{
	const unsigned char *p = memmem(hay, n, needle, m);

	CU_ASSERT_FATAL(p != NULL);
	/* Exactly once, or the patch could land in the wrong place. */
	CU_ASSERT_FATAL(memmem(p + 1, n - (size_t)(p - hay) - 1, needle,
	    m) == NULL);
	return (size_t)(p - hay);
}

static void
big_template(struct big *t, EVP_PKEY *key)
{
	X509 *x, *ca;
	BIGNUM *bn = BN_bin2bn(serial_mark, sizeof(serial_mark), NULL);

	/* Issued by another name, so that the CN occurs once. */
	ca = make_cert(key, "big issuer", NULL, NULL, 1);
	x = make_cert_skid(key, "entry-00000", key, ca, 1, skid_mark,
	    sizeof(skid_mark));
	X509_free(ca);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	CU_ASSERT_FATAL(X509_sign(x, key, EVP_sha256()) > 0);
	t->der = NULL;
	CU_ASSERT_FATAL((t->len = i2d_X509(x, &t->der)) > 0);
	X509_free(x);
	t->skid_at = find_bytes(t->der, (size_t)t->len, skid_mark,
	    sizeof(skid_mark));
	t->cn_at = find_bytes(t->der, (size_t)t->len, "entry-00000", 11);
	t->serial_at = find_bytes(t->der, (size_t)t->len, serial_mark,
	    sizeof(serial_mark));
}

/* Entry i's certificate DER into buf (t->len bytes); its SKID into skid. */
static void
big_cert(const struct big *t, int i, unsigned char *buf,
    unsigned char skid[20])
{
	char cn[24];

	memcpy(buf, t->der, (size_t)t->len);
	snprintf(cn, sizeof(cn), "entry-%05d", i);
	SHA1((const unsigned char *)cn, strlen(cn), skid);
	memcpy(buf + t->skid_at, skid, 20);
	memcpy(buf + t->cn_at, cn, 11);
	buf[t->serial_at + 4] = (unsigned char)(i >> 24);
	buf[t->serial_at + 5] = (unsigned char)(i >> 16);
	buf[t->serial_at + 6] = (unsigned char)(i >> 8);
	buf[t->serial_at + 7] = (unsigned char)i;
}

static X509 *
big_x509(const struct big *t, int i)
{
	unsigned char buf[4096], skid[20];
	const unsigned char *p = buf;
	X509 *x;

	CU_ASSERT_FATAL(t->len <= (int)sizeof(buf));
	big_cert(t, i, buf, skid);
	x = d2i_X509(NULL, &p, t->len);
	CU_ASSERT_FATAL(x != NULL);
	return x;
}

static void
make_big_store(const struct big *t, EVP_PKEY *key)
{
	char keys[1024], isn[1024], path[PATH_MAX];
	unsigned char der[4096], skid[20];
	char *keypem, *certpem, hex[CS_STORE_ID_MAX + 1];
	BIO *kb = BIO_new(BIO_s_mem()), *cb;
	long klen, clen;
	int i, fd;

	store_file(keys, sizeof(keys), "LocalMachine", "Big", "keys", NULL);
	store_file(isn, sizeof(isn), "LocalMachine", "Big",
	    "by-issuer-serial", NULL);
	CU_ASSERT_FATAL(run("mkdir -p '%s' '%s' && chmod -R 700 '%s/..'",
	    keys, isn, keys) == 0);
	PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL);
	klen = BIO_get_mem_data(kb, &keypem);
	for (i = 0; i < BIG_N; i++) {
		big_cert(t, i, der, skid);
		cb = BIO_new(BIO_s_mem());
		PEM_write_bio(cb, "CERTIFICATE", "", der, t->len);
		clen = BIO_get_mem_data(cb, &certpem);
		cs_hex(skid, sizeof(skid), hex, sizeof(hex));
		snprintf(path, sizeof(path), "%s/%s.pem", keys, hex);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_FATAL(write(fd, keypem, (size_t)klen) == klen);
		CU_ASSERT_FATAL(write(fd, certpem, (size_t)clen) == clen);
		close(fd);
		BIO_free(cb);
	}
	BIO_free(kb);
}

/* What import writes to by-issuer-serial/ for cert. */
static void
write_pointer(X509 *cert)
{
	unsigned char md[32], *ider = NULL, *sder = NULL, *both;
	char isn[1024], hex[65], skid[CS_STORE_ID_MAX + 2], path[PATH_MAX];
	const ASN1_OCTET_STRING *os = X509_get0_subject_key_id(cert);
	int il, sl;

	il = i2d_X509_NAME(X509_get_issuer_name(cert), &ider);
	sl = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &sder);
	both = malloc((size_t)(il + sl));
	memcpy(both, ider, (size_t)il);
	memcpy(both + il, sder, (size_t)sl);
	SHA256(both, (size_t)(il + sl), md);
	cs_hex(md, sizeof(md), hex, sizeof(hex));
	cs_hex(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os),
	    skid, sizeof(skid));
	strcat(skid, "\n");
	store_file(isn, sizeof(isn), "LocalMachine", "Big",
	    "by-issuer-serial", NULL);
	snprintf(path, sizeof(path), "%s/%s", isn, hex);
	write_file(path, skid, strlen(skid), 0600);
	free(both);
	OPENSSL_free(ider);
	OPENSSL_free(sder);
}

static void
test_ten_thousand(void)
{
	certseal_ctx *ctx = new_ctx();
	struct cs_source *src = NULL;
	struct cs_recipient_id id;
	const struct cs_key *key;
	EVP_PKEY *k = ec_key(), *stranger_key = ec_key();
	X509 *stranger, *want;
	struct big t;
	unsigned int seed = 12345;
	char name[64];
	int i, n, found = 0, right = 0;

	big_template(&t, k);
	make_big_store(&t, k);
	CU_ASSERT_FATAL(cs_source_new(ctx, "store:LocalMachine/Big",
	    &src) == 0);
	/* 200 lookups by SKID at pseudo-random places, each from disk. */
	for (n = 0; n < 200; n++) {
		seed = seed * 1103515245u + 12345u;
		i = (int)((seed >> 8) % BIG_N);
		if (n == 0)
			i = 0;
		else if (n == 1)
			i = BIG_N - 1;
		want = big_x509(&t, i);
		id = by_skid(want);
		key = NULL;
		if (cs_source_find_key(src, &id, &key) == 0) {
			found++;
			snprintf(name, sizeof(name), "entry-%05d", i);
			if (X509_cmp(key->cert, want) == 0 &&
			    key->label != NULL &&
			    strcmp(key->label, name) == 0)
				right++;
		}
		X509_free(want);
	}
	CU_ASSERT(found == 200);
	CU_ASSERT(right == 200);
	cs_source_free(src);

	/* By issuer and serial, through the pointer files. */
	for (i = 0; i < BIG_N; i += 997) {
		want = big_x509(&t, i);
		write_pointer(want);
		CU_ASSERT(lookup(ctx, "store:LocalMachine/Big", want, 1) == 0);
		X509_free(want);
	}
	/* Without a pointer, issuer+serial finds nothing (no scanning). */
	want = big_x509(&t, 1);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Big", want, 1) ==
	    CERTSEAL_E_NO_KEY);
	X509_free(want);

	/* A key the store does not have. */
	stranger = make_cert(stranger_key, "stranger", NULL, NULL, 9);
	CU_ASSERT(lookup(ctx, "store:LocalMachine/Big", stranger, 0) ==
	    CERTSEAL_E_NO_KEY);
	CU_ASSERT(nwarnings == 0);

	X509_free(stranger);
	OPENSSL_free(t.der);
	EVP_PKEY_free(k);
	EVP_PKEY_free(stranger_key);
	certseal_ctx_free(ctx);
}

/*
 * The trusted signers of store:LocalMachine/Known, told of known, into a
 * new stack (a source made and freed for each call, as each open does).
 */
static STACK_OF(X509) *
known_store_signers(certseal_ctx *ctx, STACK_OF(X509) *known)
{
	STACK_OF(X509) *signers = sk_X509_new_null();
	struct cs_source *src = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(signers);
	CU_ASSERT_FATAL(cs_source_new(ctx, "store:LocalMachine/Known",
	    &src) == 0);
	CU_ASSERT(cs_source_trusted_signers_for(src, signers, &(struct cs_signer_query){ known, NULL, 0 }) == 0);
	cs_source_free(src);
	return signers;
}

/* The signers of store "Named" for a query with identifiers ids. */
static STACK_OF(X509) *
named_store_signers(certseal_ctx *ctx, const struct cs_recipient_id *ids,
    size_t n)
{
	STACK_OF(X509) *signers = sk_X509_new_null();
	struct cs_signer_query q = { NULL, ids, n };
	struct cs_source *src = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(signers);
	CU_ASSERT_FATAL(cs_source_new(ctx, "store:LocalMachine/Named",
	    &src) == 0);
	CU_ASSERT(cs_source_trusted_signers_for(src, signers, &q) == 0);
	cs_source_free(src);
	return signers;
}

/*
 * Asked for the signers one SignedData can name, the store gives those
 * and leaves the other entries of signers/ unparsed; an entry it cannot
 * read that way is parsed and checked as before.
 */
static void
test_named_signers(void)
{
	struct cs_store_import_info *info = NULL;
	struct cs_recipient_id ids[2];
	STACK_OF(X509) *signers;
	certseal_ctx *ctx = new_ctx();
	struct bundle b[3];
	ASN1_OCTET_STRING *nobody = ASN1_OCTET_STRING_new();
	char path[PATH_MAX], name[200];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "named-%d", i);
		make_bundle(&b[i], name);
		CU_ASSERT_FATAL(import(ctx, "Named", &b[i], &info) == 0);
		cs_store_import_info_free(info);
		info = NULL;
	}
	/* Without identifiers: all three. */
	signers = named_store_signers(ctx, NULL, 0);
	CU_ASSERT(sk_X509_num(signers) == 3);
	sk_X509_pop_free(signers, X509_free);

	/* By SKID, by issuer and serial: those. */
	memset(ids, 0, sizeof(ids));
	ids[0].keyid = X509_get0_subject_key_id(b[1].signer);
	ids[1].issuer = X509_get_issuer_name(b[2].signer);
	ids[1].serial = X509_get0_serialNumber(b[2].signer);
	signers = named_store_signers(ctx, ids, 1);
	CU_ASSERT_FATAL(sk_X509_num(signers) == 1);
	CU_ASSERT(X509_cmp(sk_X509_value(signers, 0), b[1].signer) == 0);
	sk_X509_pop_free(signers, X509_free);
	signers = named_store_signers(ctx, ids, 2);
	CU_ASSERT(sk_X509_num(signers) == 2);
	sk_X509_pop_free(signers, X509_free);

	/* Named nowhere: nobody, and no warning. */
	ASN1_OCTET_STRING_set(nobody, (const unsigned char *)"nobody", 6);
	memset(ids, 0, sizeof(ids));
	ids[0].keyid = nobody;
	nwarnings = 0;
	signers = named_store_signers(ctx, ids, 1);
	CU_ASSERT(sk_X509_num(signers) == 0);
	CU_ASSERT(nwarnings == 0);
	sk_X509_pop_free(signers, X509_free);

	/* A damaged entry is still read, and warned about. */
	snprintf(name, sizeof(name), "%s.pem", b[0].signer_id);
	store_file(path, sizeof(path), "LocalMachine", "Named", "signers",
	    name);
	write_file(path, "junk", 4, 0600);
	ids[0].keyid = X509_get0_subject_key_id(b[1].signer);
	signers = named_store_signers(ctx, ids, 1);
	CU_ASSERT(sk_X509_num(signers) == 1);
	CU_ASSERT(nwarnings == 1);
	CU_ASSERT(strstr(warnings, "skipping signer") != NULL);
	sk_X509_pop_free(signers, X509_free);

	ASN1_OCTET_STRING_free(nobody);
	for (i = 0; i < 3; i++)
		bundle_free(&b[i]);
	certseal_ctx_free(ctx);
}

/*
 * A signer entry holding, byte for byte, a certificate the SignedData
 * carries is that parsed certificate (no second parse); anything else is
 * parsed as before, with the same checks.
 */
static void
test_known_signers(void)
{
	struct cs_store_import_info *info = NULL;
	STACK_OF(X509) *signers, *known;
	certseal_ctx *ctx = new_ctx();
	struct bundle a, b;
	unsigned char *der = NULL;
	const unsigned char *p;
	char path[PATH_MAX], name[200], *pem = NULL;
	X509 *carried;
	BIO *mem;
	long n;
	int len;

	make_bundle(&a, "known-a");
	make_bundle(&b, "known-b");
	CU_ASSERT_FATAL(import(ctx, "Known", &b, &info) == 0);
	cs_store_import_info_free(info);
	/* A separately parsed copy, as a SignedData's certificates are. */
	CU_ASSERT_FATAL((len = i2d_X509(b.signer, &der)) > 0);
	p = der;
	CU_ASSERT_FATAL((carried = d2i_X509(NULL, &p, len)) != NULL);
	known = sk_X509_new_null();
	sk_X509_push(known, a.signer);
	sk_X509_push(known, carried);

	nwarnings = 0;
	signers = known_store_signers(ctx, known);
	CU_ASSERT_FATAL(sk_X509_num(signers) == 1);
	CU_ASSERT(sk_X509_value(signers, 0) == carried);
	sk_X509_pop_free(signers, X509_free);

	/* Not carried: parsed from the entry, the same certificate. */
	sk_X509_delete_ptr(known, carried);
	signers = known_store_signers(ctx, known);
	CU_ASSERT_FATAL(sk_X509_num(signers) == 1);
	CU_ASSERT(sk_X509_value(signers, 0) != carried);
	CU_ASSERT(X509_cmp(sk_X509_value(signers, 0), b.signer) == 0);
	sk_X509_pop_free(signers, X509_free);
	sk_X509_push(known, carried);

	/* Another block first: not the bytes of a certificate, parsed. */
	snprintf(name, sizeof(name), "%s.pem", b.signer_id);
	store_file(path, sizeof(path), "LocalMachine", "Known", "signers",
	    name);
	mem = BIO_new(BIO_s_mem());
	BIO_puts(mem, "-----BEGIN NOTE-----\nAAAA\n-----END NOTE-----\n");
	PEM_write_bio_X509(mem, b.signer);
	n = BIO_get_mem_data(mem, &pem);
	write_file(path, pem, (size_t)n, 0600);
	BIO_free(mem);
	signers = known_store_signers(ctx, known);
	CU_ASSERT_FATAL(sk_X509_num(signers) == 1);
	CU_ASSERT(sk_X509_value(signers, 0) != carried);
	CU_ASSERT(X509_cmp(sk_X509_value(signers, 0), b.signer) == 0);
	CU_ASSERT(nwarnings == 0);

	/* Damaged, with its certificate carried: still skipped (nobody). */
	write_file(path, "junk", 4, 0600);
	sk_X509_pop_free(signers, X509_free);
	signers = known_store_signers(ctx, known);
	CU_ASSERT(sk_X509_num(signers) == 0);
	CU_ASSERT(nwarnings == 1);
	CU_ASSERT(strstr(warnings, "skipping signer") != NULL);

	sk_X509_pop_free(signers, X509_free);
	sk_X509_free(known);
	X509_free(carried);
	OPENSSL_free(der);
	bundle_free(&a);
	bundle_free(&b);
	certseal_ctx_free(ctx);
}

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "uri table", test_uri_table },
		{ "store spec and entry ids", test_spec_and_id },
		{ "import and find", test_import_and_find },
		{ "double import", test_double_import },
		{ "list and remove", test_list_and_remove },
		{ "permissions", test_permissions },
		{ "damaged entries", test_damaged_entries },
		{ "[LocalMachine]\\My spelling", test_windows_spelling },
		{ "CERTSEAL_STORE_ROOT", test_store_root_override },
		{ "refusals", test_refusals },
		{ "openssl CLI bundle", test_openssl_cli_bundle },
		{ "key cache", test_cache },
		{ "list_keys, describe, signer refresh",
		    test_list_keys_and_refresh },
		{ "10 000 entries", test_ten_thousand },
		{ "signers carried by the file", test_known_signers },
		{ "signers named by the file", test_named_signers },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (cu_add_suite("store", CU_CASES(cases), suite_init,
	    suite_cleanup) != 0)
		return 1;
	return cu_run_all();
}
