/*
 * store-admin.c - `certseal store import | list | remove`: writing,
 * listing and removing entries of the local certificate store (layout and
 * protection: see store.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "keyfile.h"
#include "store.h"
#include "store-int.h"

/* --- import --- */

const char *
cs_store_outcome_name(enum cs_store_outcome o)
{
	switch (o) {
	case CS_STORE_ADDED:
		return "added";
	case CS_STORE_PRESENT:
		return "already present";
	case CS_STORE_REPLACED:
		return "replaced";
	}
	return "unknown";
}

struct import_dirs {
	int	 store, keys, signers, isn;
};

static void
import_dirs_close(struct import_dirs *d)
{
	cs_store_close(&d->isn);
	cs_store_close(&d->signers);
	cs_store_close(&d->keys);
	cs_store_close(&d->store);
}

static int
import_subdir(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, const char *sub, int *fdp)
{
	char shown[PATH_MAX];

	cs_store_shown(shown, sizeof(shown), sp, sub, NULL);
	if (mkdirat(storefd, sub, 0700) != 0 && errno != EEXIST)
		return cs_error(ctx, CERTSEAL_E_IO, "%s: cannot create: %s",
		    shown, strerror(errno));
	return cs_store_open_dir(ctx, storefd, sub, shown, fdp);
}

/*
 * Creates what is missing, then checks everything as a reader would: a
 * key is never written into a directory others can reach.
 */
static int
import_dirs_open(certseal_ctx *ctx, const struct cs_store_path *sp,
    struct import_dirs *d)
{
	int r;

	d->store = d->keys = d->signers = d->isn = -1;
	if ((r = cs_store_open(ctx, sp, 1, &d->store)) != 0 ||
	    (r = import_subdir(ctx, sp, d->store, KEYS_DIR, &d->keys)) != 0 ||
	    (r = import_subdir(ctx, sp, d->store, SIGNERS_DIR,
	    &d->signers)) != 0 ||
	    (r = import_subdir(ctx, sp, d->store, ISN_DIR, &d->isn)) != 0)
		import_dirs_close(d);
	return r;
}

/*
 * Writes dirfd/name (path for cs_atomic_write and messages) unless it
 * already holds exactly these bytes.
 */
static int
write_entry(certseal_ctx *ctx, int dirfd, const char *path,
    const char *name, const void *data, size_t len,
    enum cs_store_outcome *outcome)
{
	struct cs_secret *old = NULL;
	int r;

	r = cs_store_read_at(NULL, dirfd, name, path, CS_STORE_ENTRY_MAX,
	    &old);
	if (r == 0 && old->len == len &&
	    CRYPTO_memcmp(old->data, data, len) == 0) {
		*outcome = CS_STORE_PRESENT;
		r = 0;
		goto out;
	}
	*outcome = r == CERTSEAL_E_NOT_FOUND ? CS_STORE_ADDED :
	    CS_STORE_REPLACED;
	r = cs_atomic_write(ctx, path, data, len, 0600);
 out:
	cs_secret_free(old);
	return r;
}

/* A label fit for JSON and a terminal: no control characters. */
static char *
clean_text(const char *s, size_t len)
{
	json_t *probe;
	char *out;
	size_t i;

	if (len > TEXT_MAX)
		len = TEXT_MAX;
	if ((out = strndup(s, len)) == NULL)
		return NULL;
	len = strlen(out);
	for (i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	if ((probe = json_stringn(out, len)) == NULL) {
		/* Not UTF-8 (or cut in the middle of a character). */
		for (i = 0; i < len; i++)
			if ((unsigned char)out[i] >= 0x80)
				out[i] = '?';
	}
	json_decref(probe);
	return out;
}

/* friendlyName from the bundle, else the subject's CN, else fallback. */
static char *
cert_label(X509 *cert, const char *fallback)
{
	const unsigned char *alias;
	char *cn;
	int len = 0;

	if ((alias = X509_alias_get0(cert, &len)) != NULL && len > 0)
		return clean_text((const char *)alias, (size_t)len);
	if ((cn = cs_name_cn(X509_get_subject_name(cert), TEXT_MAX)) != NULL) {
		alias = (const unsigned char *)clean_text(cn, strlen(cn));
		free(cn);
		return (char *)alias;
	}
	return fallback != NULL ? clean_text(fallback, strlen(fallback)) :
	    NULL;
}

static int
json_set_str(json_t *obj, const char *key, const char *value)
{
	json_t *v;

	if (value == NULL)
		return 0;
	if ((v = json_string(value)) == NULL)
		return -1;
	return json_object_set_new(obj, key, v);
}

/* What list shows of a certificate; the certificate is authoritative. */
static int
cert_fields(json_t *obj, X509 *cert)
{
	char *subject = NULL, *issuer = NULL, *serial = NULL, when[32];
	int r = -1;

	subject = cs_name_text(X509_get_subject_name(cert),
	    CS_NAME_TEXT_MAX);
	issuer = cs_name_text(X509_get_issuer_name(cert),
	    CS_NAME_TEXT_MAX);
	serial = cs_store_serial_hex(X509_get0_serialNumber(cert));
	(void)cs_asn1_time_text(X509_get0_notAfter(cert), when, sizeof(when));
	if (json_set_str(obj, "subject", subject) != 0 ||
	    json_set_str(obj, "issuer", issuer) != 0 ||
	    json_set_str(obj, "serial", serial) != 0 ||
	    json_set_str(obj, "not_after", when[0] != '\0' ? when :
	    NULL) != 0)
		goto out;
	r = 0;
 out:
	free(subject);
	free(issuer);
	free(serial);
	return r;
}

/* Writes <id>.json next to the entry; `keep` leaves an existing one. */
static int
write_meta(certseal_ctx *ctx, const struct cs_store_path *sp, int dirfd,
    const char *sub, const char *id, const char *kind, X509 *cert,
    const char *source, const char *now, int keep)
{
	json_t *obj = NULL;
	struct stat st;
	char name[CS_STORE_ID_MAX + 8], path[PATH_MAX], *label = NULL;
	char *text = NULL;
	int r = CERTSEAL_E_INTERNAL;

	snprintf(name, sizeof(name), "%s.json", id);
	cs_store_shown(path, sizeof(path), sp, sub, name);
	if (keep && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r = 0;
		goto out;
	}
	label = cert_label(cert, source);
	if ((obj = json_object()) == NULL ||
	    json_set_str(obj, "id", id) != 0 ||
	    json_set_str(obj, "kind", kind) != 0 ||
	    json_set_str(obj, "label", label) != 0 ||
	    json_set_str(obj, "imported_at", now) != 0 ||
	    json_set_str(obj, "source", source) != 0 ||
	    cert_fields(obj, cert) != 0 ||
	    (text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
	    NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	r = cs_atomic_write(ctx, path, text, strlen(text), 0600);
 out:
	free(text);
	free(label);
	json_decref(obj);
	return r;
}

static int
import_key(certseal_ctx *ctx, const struct cs_store_path *sp,
    const struct import_dirs *d, struct cs_keyfile *kf, const char *hex,
    const char *source, const char *now, struct cs_store_import_item *item)
{
	BIO *b = NULL;
	char name[CS_STORE_ID_MAX + 8], path[PATH_MAX], isn[SHA256_HEX + 1];
	char line[CS_STORE_ID_MAX + 2];
	enum cs_store_outcome pointer;
	char *data = NULL;
	long len;
	int r = CERTSEAL_E_INTERNAL;

	snprintf(item->id, sizeof(item->id), "%s", hex);
	item->subject = cs_name_text(X509_get_subject_name(kf->cert),
	    CS_NAME_TEXT_MAX);
	/* secmem: the key's PEM is wiped when the BIO is freed. */
	if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(b, kf->pkey, NULL, NULL, 0, NULL,
	    NULL) != 1 || PEM_write_bio_X509(b, kf->cert) != 1 ||
	    (len = BIO_get_mem_data(b, &data)) <= 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the key "
		    "for the store");
		goto out;
	}
	/*
	 * The second name first (issuer and serial, for recipients named
	 * so): a pointer to no key yet is "no key", never damage.
	 */
	if (cs_store_isn_name(X509_get_issuer_name(kf->cert),
	    X509_get0_serialNumber(kf->cert), isn) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot hash the "
		    "certificate's issuer and serial");
		goto out;
	}
	snprintf(line, sizeof(line), "%s\n", hex);
	cs_store_shown(path, sizeof(path), sp, ISN_DIR, isn);
	if ((r = write_entry(ctx, d->isn, path, isn, line, strlen(line),
	    &pointer)) != 0)
		goto out;
	snprintf(name, sizeof(name), "%s.pem", hex);
	cs_store_shown(path, sizeof(path), sp, KEYS_DIR, name);
	if ((r = write_entry(ctx, d->keys, path, name, data, (size_t)len,
	    &item->outcome)) != 0)
		goto out;
	if ((r = write_meta(ctx, sp, d->keys, KEYS_DIR, hex, "key", kf->cert,
	    source, now, item->outcome == CS_STORE_PRESENT)) != 0)
		goto out;
	r = 0; /* success */
 out:
	BIO_free(b);
	return r;
}

static int
import_signer(certseal_ctx *ctx, const struct cs_store_path *sp,
    const struct import_dirs *d, X509 *cert, const char *source,
    const char *now, struct cs_store_import_item *item)
{
	BIO *b = NULL;
	char name[CS_STORE_ID_MAX + 8], path[PATH_MAX], *data = NULL;
	long len;
	int r = CERTSEAL_E_INTERNAL;

	if (cs_cert_fingerprint(cert, item->id) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "cannot fingerprint "
		    "a signer certificate of the bundle");
		goto out;
	}
	item->subject = cs_name_text(X509_get_subject_name(cert),
	    CS_NAME_TEXT_MAX);
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(b, cert) != 1 ||
	    (len = BIO_get_mem_data(b, &data)) <= 0) {
		r = cs_nomem(ctx);
		goto out;
	}
	snprintf(name, sizeof(name), "%s.pem", item->id);
	cs_store_shown(path, sizeof(path), sp, SIGNERS_DIR, name);
	if ((r = write_entry(ctx, d->signers, path, name, data, (size_t)len,
	    &item->outcome)) != 0)
		goto out;
	r = write_meta(ctx, sp, d->signers, SIGNERS_DIR, item->id, "signer",
	    cert, source, now, item->outcome == CS_STORE_PRESENT);
 out:
	BIO_free(b);
	return r;
}

/* 1 when one of certs has the public key of cert. */
static int
certs_have_key(STACK_OF(X509) *certs, X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	int i;

	for (i = 0; pub != NULL && i < sk_X509_num(certs); i++)
		if (cs_cert_has_key(sk_X509_value(certs, i), pub))
			return 1;
	return 0;
}

/* The certificates of every key in the store (a scan: import only). */
static int
store_key_certs(certseal_ctx *ctx, const struct cs_store_path *sp,
    STACK_OF(X509) **out)
{
	STACK_OF(X509) *certs;
	int r;

	*out = NULL;
	if ((certs = sk_X509_new_null()) == NULL)
		return cs_nomem(ctx);
	if ((r = cs_store_list_certs(ctx, sp, certs)) != 0) {
		sk_X509_pop_free(certs, X509_free);
		return r;
	}
	*out = certs;
	return 0;
}

/*
 * A bundle whose key is the key of a signer the store trusts would make
 * that signer every client's: refused, rather than silently untrusting
 * the signer.
 */
static int
check_key_not_signer(certseal_ctx *ctx, const struct cs_store_path *sp,
    const struct cs_keyfile *kf, const char *p12_path)
{
	STACK_OF(X509) *signers;
	char *subject = NULL;
	int i, r;

	if ((signers = sk_X509_new_null()) == NULL)
		return cs_nomem(ctx);
	if ((r = cs_store_load_signers(ctx, sp, signers)) != 0)
		goto out;
	for (i = 0; i < sk_X509_num(signers); i++) {
		if (!cs_cert_has_key(sk_X509_value(signers, i), kf->pkey))
			continue;
		subject = cs_name_text(X509_get_subject_name(
		    sk_X509_value(signers, i)), CS_NAME_TEXT_MAX);
		r = cs_error(ctx, CERTSEAL_E_POLICY, "%s: the bundle's key is "
		    "the key of the trusted signer '%s'; a decryption key "
		    "cannot also sign: remove that signer (certseal store "
		    "remove) or use another bundle", p12_path,
		    subject != NULL ? subject : "?");
		goto out;
	}
	r = 0; /* success */
 out:
	free(subject);
	sk_X509_pop_free(signers, X509_free);
	return r;
}

int
cs_store_import(certseal_ctx *ctx, const char *location, const char *name,
    const char *p12_path, const char *pin_source,
    struct cs_store_import_info **out)
{
	struct cs_store_path sp;
	struct cs_store_import_info *info = NULL;
	struct import_dirs d = { -1, -1, -1, -1 };
	struct cs_secret *p12 = NULL;
	struct cs_keyfile *kf = NULL;
	STACK_OF(X509) *keycerts = NULL;
	X509 *extra;
	const char *base;
	char hex[CS_STORE_ID_MAX + 1], now[32], *subject = NULL;
	time_t t;
	int i, n, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if ((r = cs_store_path_init(ctx, location, name, &sp)) != 0)
		return r;
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	snprintf(info->location, sizeof(info->location), "%s", sp.location);
	snprintf(info->name, sizeof(info->name), "%s", sp.name);
	if ((r = cs_read_secret_file(ctx, p12_path, CS_STORE_P12_MAX,
	    &p12)) != 0)
		goto out;
	base = strrchr(p12_path, '/') != NULL ? strrchr(p12_path, '/') + 1 :
	    p12_path;
	if ((r = cs_keyfile_load_p12(ctx, p12->data, p12->len, base,
	    pin_source, &kf)) != 0)
		goto out;
	if (kf->pkey == NULL || kf->cert == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no private key "
		    "with its certificate in the bundle", p12_path);
		goto out;
	}
	if (cs_store_skid_hex(kf->cert, hex) != 0) {
		subject = cs_name_text(X509_get_subject_name(kf->cert),
		    CS_NAME_TEXT_MAX);
		r = cs_error(ctx, CERTSEAL_E_USAGE, "%s: the certificate '%s' "
		    "has no subjectKeyIdentifier (or one over %d bytes); the "
		    "store finds keys by it: export the pair with "
		    "`certseal-admin pair export`", p12_path,
		    subject != NULL ? subject : "?", CS_STORE_ID_MAX / 2);
		goto out;
	}
	if (X509_check_private_key(kf->cert, kf->pkey) != 1) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the private key "
		    "does not match its certificate", p12_path);
		goto out;
	}
	t = time(NULL);
	(void)cs_time_text(t, now, sizeof(now));	/* "" if it cannot */
	if ((r = import_dirs_open(ctx, &sp, &d)) != 0)
		goto out;
	if ((r = check_key_not_signer(ctx, &sp, kf, p12_path)) != 0 ||
	    (r = store_key_certs(ctx, &sp, &keycerts)) != 0)
		goto out;
	n = kf->extra != NULL ? sk_X509_num(kf->extra) : 0;
	/* One spare slot: see cs_store_import_info_free. */
	if (n > 0 && (info->signers = calloc((size_t)n + 1,
	    sizeof(*info->signers))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	for (i = 0; i < n; i++) {
		extra = sk_X509_value(kf->extra, i);
		/*
		 * A certificate for a decryption key - this bundle's or one
		 * already in the store - is every client's to sign with:
		 * never a trusted signer, whatever its bytes.
		 */
		if (cs_cert_has_key(extra, kf->pkey) ||
		    certs_have_key(keycerts, extra)) {
			cs_warn(ctx, "%s: a certificate for a decryption key of "
			    "the store is not imported as a trusted signer",
			    base);
			continue;
		}
		if ((r = import_signer(ctx, &sp, &d, extra, base, now,
		    &info->signers[info->nsigners])) != 0)
			goto out;
		info->nsigners++;
	}
	/*
	 * The key last: it is what makes the store open files, so an import
	 * killed before it leaves "no key" (run it again), never a key
	 * without the signers that make its files trusted.
	 */
	if ((r = import_key(ctx, &sp, &d, kf, hex, base, now,
	    &info->key)) != 0)
		goto out;
	*out = info;
	info = NULL;
	r = 0; /* success */
 out:
	import_dirs_close(&d);
	sk_X509_pop_free(keycerts, X509_free);
	free(subject);
	cs_keyfile_free(kf);
	cs_secret_free(p12);
	cs_store_import_info_free(info);
	cs_store_path_release(&sp);
	return r;
}

void
cs_store_import_info_free(struct cs_store_import_info *info)
{
	size_t i;

	if (info == NULL)
		return;
	free(info->key.subject);
	for (i = 0; i < info->nsigners; i++)
		free(info->signers[i].subject);
	/* A signer that failed half-way may hold a subject too. */
	if (info->signers != NULL)
		free(info->signers[info->nsigners].subject);
	free(info->signers);
	free(info);
}

static json_t *
item_json(const struct cs_store_import_item *item)
{
	return json_pack("{s:s, s:s?, s:s}", "id", item->id, "subject",
	    item->subject, "outcome", cs_store_outcome_name(item->outcome));
}

json_t *
cs_store_import_info_json(const struct cs_store_import_info *info)
{
	json_t *obj = NULL, *signers = NULL;
	char store[CS_STORE_LOCATION_MAX + CS_STORE_NAME_MAX + 2];
	size_t i;

	snprintf(store, sizeof(store), "%s/%s", info->location, info->name);
	if ((signers = json_array()) == NULL)
		goto fail;
	for (i = 0; i < info->nsigners; i++)
		if (json_array_append_new(signers,
		    item_json(&info->signers[i])) != 0)
			goto fail;
	obj = json_pack("{s:s, s:o, s:o}", "store", store, "key",
	    item_json(&info->key), "signers", signers);
	return obj;
 fail:
	json_decref(signers);
	return NULL;
}

/* --- list --- */

/* Adds label, imported_at and source from <id>.json, when it is sound. */
static void
meta_fields(int dirfd, const char *id, json_t *obj)
{
	static const char *const keys[] = { "label", "imported_at", "source" };
	struct cs_secret *s = NULL;
	json_t *meta = NULL, *v;
	char name[CS_STORE_ID_MAX + 8], *text;
	size_t i;

	snprintf(name, sizeof(name), "%s.json", id);
	if (cs_store_read_at(NULL, dirfd, name, name, CS_STORE_META_MAX,
	    &s) != 0 || (meta = json_loadb((const char *)s->data, s->len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(meta))
		goto out;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = json_object_get(meta, keys[i])) == NULL ||
		    !json_is_string(v))
			continue;
		if ((text = clean_text(json_string_value(v),
		    json_string_length(v))) != NULL)
			json_set_str(obj, keys[i], text);
		free(text);
	}
 out:
	json_decref(meta);
	cs_secret_free(s);
}

/* One listed entry; a damaged one says why instead of disappearing. */
static json_t *
list_entry(certseal_ctx *ctx, const struct cs_store_path *sp, int dirfd,
    const char *fname, int is_key)
{
	struct cs_key *key = NULL;
	struct cs_secret *s = NULL;
	X509 *cert = NULL, *shown_cert = NULL;
	json_t *obj = NULL;
	char id[CS_STORE_ID_MAX + 1], *label = NULL;
	int r;

	snprintf(id, sizeof(id), "%.*s", (int)strcspn(fname, "."), fname);
	if ((obj = json_object()) == NULL ||
	    json_set_str(obj, "id", id) != 0 ||
	    json_set_str(obj, "kind", is_key ? "key" : "signer") != 0)
		goto fail;
	if (is_key) {
		r = cs_store_load_key_entry(ctx, sp, dirfd, id, &key);
		if (key != NULL)
			shown_cert = key->cert;
	} else {
		r = cs_store_load_signer_entry(ctx, sp, dirfd, fname, &cert);
		shown_cert = cert;
	}
	if (r != 0) {
		if (json_set_str(obj, "status", "damaged") != 0 ||
		    json_set_str(obj, "problem", cs_store_errmsg(ctx)) != 0)
			goto fail;
		/* Still show whose entry it is, when that much is readable. */
		if (cs_store_read_at(NULL, dirfd, fname, fname,
		    CS_STORE_ENTRY_MAX, &s) == 0)
			shown_cert = cert = cs_store_parse_cert(s);
	} else if (json_set_str(obj, "status", "ok") != 0)
		goto fail;
	if (shown_cert != NULL && cert_fields(obj, shown_cert) != 0)
		goto fail;
	meta_fields(dirfd, id, obj);
	if (json_object_get(obj, "label") == NULL && shown_cert != NULL &&
	    (label = cert_label(shown_cert, NULL)) != NULL)
		json_set_str(obj, "label", label);
	goto out;
 fail:
	json_decref(obj);
	obj = NULL;
 out:
	free(label);
	cs_secret_free(s);
	X509_free(cert);
	cs_store_key_free(key);
	return obj;
}

static int
list_kind(certseal_ctx *ctx, const struct cs_store_path *sp, int storefd,
    const char *sub, int is_key, json_t *into)
{
	char **names = NULL, shown[PATH_MAX];
	json_t *obj;
	size_t i, n = 0;
	int fd = -1, r;

	cs_store_shown(shown, sizeof(shown), sp, sub, NULL);
	if ((r = cs_store_open_dir(ctx, storefd, sub, shown, &fd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			r = 0;
		goto out;
	}
	if ((r = cs_store_list_names(ctx, fd, shown, is_key ? 0 : SHA256_HEX,
	    SIZE_MAX, &names, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((obj = list_entry(ctx, sp, fd, names[i], is_key)) == NULL ||
		    json_array_append_new(into, obj) != 0) {
			r = cs_nomem(ctx);
			goto out;
		}
	}
	r = 0; /* success */
 out:
	cs_store_free_names(names, n);
	cs_store_close(&fd);
	return r;
}

int
cs_store_list(certseal_ctx *ctx, const char *location, const char *name,
    json_t **out)
{
	struct cs_store_path sp;
	json_t *arr = NULL;
	int storefd = -1, r;

	*out = NULL;
	if ((r = cs_store_path_init(ctx, location, name, &sp)) != 0)
		return r;
	if ((arr = json_array()) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if ((r = cs_store_open(ctx, &sp, 0, &storefd)) != 0) {
		if (r != CERTSEAL_E_NOT_FOUND)
			goto out;
		/* A store nobody imported into yet: nothing in it. */
		cs_error_clear(ctx);
	} else if ((r = list_kind(ctx, &sp, storefd, KEYS_DIR, 1,
	    arr)) != 0 ||
	    (r = list_kind(ctx, &sp, storefd, SIGNERS_DIR, 0, arr)) != 0)
		goto out;
	cs_error_clear(ctx);
	*out = arr;
	arr = NULL;
	r = 0; /* success */
 out:
	cs_store_close(&storefd);
	json_decref(arr);
	cs_store_path_release(&sp);
	return r;
}

/* --- remove --- */

/*
 * Drops the issuer-serial pointer of a key entry if it still names the
 * entry.  Best effort: the entry may be too damaged to tell, and a
 * dangling pointer only leads a lookup to "no key".
 */
static void
remove_pointer(int storefd, int keysfd, const char *name, const char *hex)
{
	struct cs_secret *s = NULL, *ptr = NULL;
	X509 *cert = NULL;
	char isn[SHA256_HEX + 1];
	int isnfd = -1;

	if (cs_store_read_at(NULL, keysfd, name, name, CS_STORE_ENTRY_MAX,
	    &s) != 0 || (cert = cs_store_parse_cert(s)) == NULL ||
	    cs_store_isn_name(X509_get_issuer_name(cert),
	    X509_get0_serialNumber(cert), isn) != 0 ||
	    cs_store_open_dir(NULL, storefd, ISN_DIR, ISN_DIR, &isnfd) != 0 ||
	    cs_store_read_at(NULL, isnfd, isn, isn, POINTER_MAX, &ptr) != 0)
		goto out;
	ptr->data[strcspn((char *)ptr->data, "\r\n")] = '\0';
	if (strcmp((char *)ptr->data, hex) == 0 &&
	    unlinkat(isnfd, isn, 0) == 0)
		fsync(isnfd);
 out:
	cs_store_close(&isnfd);
	X509_free(cert);
	cs_secret_free(ptr);
	cs_secret_free(s);
}

static int
remove_entry(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, const char *sub, const char *hex, int is_key)
{
	struct stat st;
	char name[CS_STORE_ID_MAX + 8], shown[PATH_MAX];
	int fd = -1, r;

	cs_store_shown(shown, sizeof(shown), sp, sub, NULL);
	if ((r = cs_store_open_dir(ctx, storefd, sub, shown, &fd)) != 0)
		goto out;
	snprintf(name, sizeof(name), "%s.pem", hex);
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		r = CERTSEAL_E_NOT_FOUND;
		goto out;
	}
	if (is_key)
		remove_pointer(storefd, fd, name, hex);
	snprintf(name, sizeof(name), "%s.json", hex);
	(void)unlinkat(fd, name, 0);
	snprintf(name, sizeof(name), "%s.pem", hex);
	cs_store_shown(shown, sizeof(shown), sp, sub, name);
	if (unlinkat(fd, name, 0) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: cannot remove: %s",
		    shown, strerror(errno));
		goto out;
	}
	if (fsync(fd) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s/%s: fsync: %s", sp->dir,
		    sub, strerror(errno));
		goto out;
	}
	r = 0; /* success */
 out:
	cs_store_close(&fd);
	return r;
}

int
cs_store_remove(certseal_ctx *ctx, const char *location, const char *name,
    const char *id, const char **kindp)
{
	struct cs_store_path sp;
	char hex[CS_STORE_ID_MAX + 1];
	const char *kind = "key";
	int storefd = -1, r;

	if (kindp != NULL)
		*kindp = NULL;
	if ((r = cs_store_id_normalize(ctx, id, hex)) != 0)
		return r;
	if ((r = cs_store_path_init(ctx, location, name, &sp)) != 0)
		return r;
	if ((r = cs_store_open(ctx, &sp, 0, &storefd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			r = cs_error(ctx, CERTSEAL_E_NOT_FOUND, "store %s/%s "
			    "is empty or missing (%s): nothing to remove",
			    sp.location, sp.name, sp.dir);
		goto out;
	}
	r = remove_entry(ctx, &sp, storefd, KEYS_DIR, hex, 1);
	if (r == CERTSEAL_E_NOT_FOUND) {
		kind = "signer";
		r = remove_entry(ctx, &sp, storefd, SIGNERS_DIR, hex, 0);
	}
	if (r == CERTSEAL_E_NOT_FOUND) {
		r = cs_error(ctx, CERTSEAL_E_NOT_FOUND, "store %s/%s has no "
		    "entry %s: see `certseal store list`", sp.location,
		    sp.name, hex);
		goto out;
	}
	if (r != 0)
		goto out;
	if (kindp != NULL)
		*kindp = kind;
	r = 0; /* success */
 out:
	cs_store_close(&storefd);
	cs_store_path_release(&sp);
	return r;
}

/* --- install: an enrolled key's certificate (store-enroll.c) --- */

/*
 * Writes kf's key and certificate as one entry and its extra certificates
 * as trusted signers, like an import of a bundle named `source`.
 */
int
cs_store_install(certseal_ctx *ctx, const char *location, const char *name,
    struct cs_keyfile *kf, const char *source,
    struct cs_store_import_info **out)
{
	struct cs_store_path sp;
	struct cs_store_import_info *info = NULL;
	struct import_dirs d = { -1, -1, -1, -1 };
	char hex[CS_STORE_ID_MAX + 1], now[32];
	struct tm tm;
	time_t t;
	int i, n, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if ((r = cs_store_path_init(ctx, location, name, &sp)) != 0)
		return r;
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	snprintf(info->location, sizeof(info->location), "%s", sp.location);
	snprintf(info->name, sizeof(info->name), "%s", sp.name);
	if (cs_store_skid_hex(kf->cert, hex) != 0 ||
	    X509_check_private_key(kf->cert, kf->pkey) != 1) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the certificate "
		    "has no subjectKeyIdentifier or is not for the key",
		    source);
		goto out;
	}
	t = time(NULL);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		now[0] = '\0';
	if ((r = import_dirs_open(ctx, &sp, &d)) != 0 ||
	    (r = import_key(ctx, &sp, &d, kf, hex, source, now,
	    &info->key)) != 0)
		goto out;
	n = kf->extra != NULL ? sk_X509_num(kf->extra) : 0;
	if (n > 0 && (info->signers = calloc((size_t)n + 1,
	    sizeof(*info->signers))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = import_signer(ctx, &sp, &d, sk_X509_value(kf->extra,
		    i), source, now, &info->signers[info->nsigners])) != 0)
			goto out;
		info->nsigners++;
	}
	*out = info;
	info = NULL;
	r = 0; /* success */
 out:
	import_dirs_close(&d);
	cs_store_import_info_free(info);
	cs_store_path_release(&sp);
	return r;
}

int
cs_store_add_signer(certseal_ctx *ctx, const struct cs_store_path *sp,
    X509 *cert, const char *source)
{
	struct import_dirs d = { -1, -1, -1, -1 };
	struct cs_store_import_item item;
	char now[32];
	struct tm tm;
	time_t t;
	int r;

	memset(&item, 0, sizeof(item));
	t = time(NULL);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		now[0] = '\0';
	if ((r = import_dirs_open(ctx, sp, &d)) == 0)
		r = import_signer(ctx, sp, &d, cert, source, now, &item);
	free(item.subject);
	import_dirs_close(&d);
	return r;
}
