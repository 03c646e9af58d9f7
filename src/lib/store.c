/*
 * store.c - entries of the local certificate store: looking keys up by
 * file name, reading trusted signers, and import, list and remove for
 * `certseal store` (layout and protection: see store.h).
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
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "keyfile.h"
#include "store.h"

#define KEYS_DIR	"keys"
#define SIGNERS_DIR	"signers"
#define ISN_DIR		"by-issuer-serial"
#define SHA256_HEX	64
#define POINTER_MAX	256
#define SIGNERS_MAX	1024	/* a handful in practice; bounds a scan */
#define TEXT_MAX	256	/* labels, subjects kept in metadata */

/* Store entries are never encrypted; never let OpenSSL prompt for one. */
static int
no_password_cb(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static void
shown_path(char *buf, size_t size, const struct cs_store_path *sp,
    const char *sub, const char *name)
{
	if (name == NULL)
		snprintf(buf, size, "%s/%s", sp->dir, sub);
	else
		snprintf(buf, size, "%s/%s/%s", sp->dir, sub, name);
}

/* 1 when name is "<hex>.<ext>" with hexlen hex digits (0: any even). */
static int
entry_name_ok(const char *name, size_t hexlen, const char *ext)
{
	size_t i, n = strcspn(name, ".");

	if (n == 0 || n > CS_STORE_ID_MAX || n % 2 != 0 ||
	    (hexlen != 0 && n != hexlen) || name[n] != '.' ||
	    strcmp(name + n + 1, ext) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

/* An RFC 2253 one-line name, ASCII only (escaped), or NULL. */
static char *
name_oneline(const X509_NAME *name)
{
	BIO *b = NULL;
	char *s = NULL, *p;
	long n;

	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0 ||
	    (n = BIO_get_mem_data(b, &p)) < 0)
		goto out;
	if (n > 1024)
		n = 1024;
	s = strndup(p, (size_t)n);
 out:
	BIO_free(b);
	return s;
}

static int
time_iso(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

static char *
serial_hex(const ASN1_INTEGER *serial)
{
	BIGNUM *bn;
	char *hex = NULL, *copy = NULL, *p;

	if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL)
		goto out;
	if ((copy = strdup(hex)) == NULL)
		goto out;
	for (p = copy; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	return copy;
}

/* Lower-case SHA-256 of the DER certificate. */
static int
fingerprint_hex(X509 *cert, char out[SHA256_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return -1;
	cs_hex(md, mdlen, out, SHA256_HEX + 1);
	return 0;
}

/*
 * The secondary index name for issuer+serial: SHA-256 over the DER issuer
 * and the DER serial.  Only a hint; the certificate found is matched.
 */
static int
isn_name(const X509_NAME *issuer, const ASN1_INTEGER *serial,
    char out[SHA256_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE], *ider = NULL, *sder = NULL;
	unsigned int mdlen = 0;
	EVP_MD_CTX *mctx = NULL;
	int ilen, slen, r = -1;

	out[0] = '\0';
	if ((ilen = i2d_X509_NAME(issuer, &ider)) <= 0 ||
	    (slen = i2d_ASN1_INTEGER(serial, &sder)) <= 0 ||
	    (mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(mctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(mctx, ider, (size_t)ilen) != 1 ||
	    EVP_DigestUpdate(mctx, sder, (size_t)slen) != 1 ||
	    EVP_DigestFinal_ex(mctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	cs_hex(md, mdlen, out, SHA256_HEX + 1);
	r = 0;
 out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(ider);
	OPENSSL_free(sder);
	return r;
}

/* Hex SKID of cert into out; -1 when it has none or it is too long. */
static int
skid_hex(X509 *cert, char out[CS_STORE_ID_MAX + 1])
{
	const ASN1_OCTET_STRING *skid;
	int len;

	out[0] = '\0';
	if ((skid = X509_get0_subject_key_id(cert)) == NULL ||
	    (len = ASN1_STRING_length(skid)) <= 0 ||
	    len > CS_STORE_ID_MAX / 2)
		return -1;
	cs_hex(ASN1_STRING_get0_data(skid), (size_t)len, out,
	    CS_STORE_ID_MAX + 1);
	return 0;
}

static X509 *
parse_cert(const struct cs_secret *s)
{
	BIO *b;
	X509 *cert;

	if (s->len > INT_MAX ||
	    (b = BIO_new_mem_buf(s->data, (int)s->len)) == NULL)
		return NULL;
	cert = PEM_read_bio_X509(b, NULL, no_password_cb, NULL);
	BIO_free(b);
	return cert;
}

/*
 * Parses a key entry: a private key and its certificate, which must match
 * each other and the file name (the index must not lie).
 */
static int
parse_key_entry(certseal_ctx *ctx, const struct cs_secret *s,
    const char *shown, const char *hex, EVP_PKEY **pkeyp, X509 **certp)
{
	BIO *b = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	char actual[CS_STORE_ID_MAX + 1];
	int r = CERTSEAL_E_INTERNAL;

	*pkeyp = NULL;
	*certp = NULL;
	if (s->len > INT_MAX ||
	    (b = BIO_new_mem_buf(s->data, (int)s->len)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((pkey = PEM_read_bio_PrivateKey(b, NULL, no_password_cb,
	    NULL)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no readable "
		    "private key", shown);
		goto out;
	}
	if ((cert = parse_cert(s)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no readable "
		    "certificate", shown);
		goto out;
	}
	if (X509_check_private_key(cert, pkey) != 1) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the private key "
		    "does not match the certificate", shown);
		goto out;
	}
	if (skid_hex(cert, actual) != 0 || strcmp(actual, hex) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the "
		    "certificate's subjectKeyIdentifier is '%s', not the file "
		    "name", shown, actual[0] != '\0' ? actual : "(none)");
		goto out;
	}
	*pkeyp = pkey;
	*certp = cert;
	pkey = NULL;
	cert = NULL;
	r = 0; /* success */
 out:
	BIO_free(b);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	return r;
}

/* The CN of a certificate, for messages; NULL when there is none. */
static char *
cert_cn(X509 *cert)
{
	X509_NAME *subj = X509_get_subject_name(cert);
	ASN1_STRING *data;
	unsigned char *utf8 = NULL;
	char *s = NULL;
	int i, len;

	if ((i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) < 0 ||
	    (data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj,
	    i))) == NULL ||
	    (len = ASN1_STRING_to_UTF8(&utf8, data)) < 0)
		return NULL;
	s = strndup((char *)utf8, (size_t)(len > TEXT_MAX ? TEXT_MAX : len));
	OPENSSL_free(utf8);
	return s;
}

/* Reads and checks keys/<hex>.pem below keysfd. */
static int
load_key_entry(certseal_ctx *ctx, const struct cs_store_path *sp,
    int keysfd, const char *hex, struct cs_key **out)
{
	struct cs_secret *s = NULL;
	struct cs_key *key = NULL;
	char name[CS_STORE_ID_MAX + 8], shown[PATH_MAX];
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	snprintf(name, sizeof(name), "%s.pem", hex);
	shown_path(shown, sizeof(shown), sp, KEYS_DIR, name);
	if ((r = cs_store_read_at(ctx, keysfd, name, shown,
	    CS_STORE_ENTRY_MAX, &s)) != 0)
		goto out;
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = parse_key_entry(ctx, s, shown, hex, &key->pkey,
	    &key->cert)) != 0)
		goto out;
	cs_key_set_keyid(key);
	key->label = cert_cn(key->cert);
	*out = key;
	key = NULL;
	r = 0; /* success */
 out:
	cs_secret_free(s);
	cs_store_key_free(key);
	return r;
}

void
cs_store_key_free(struct cs_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	X509_free(key->cert);
	free(key->label);
	free(key);
}

/* The store's directory and one of its subdirectories, checked. */
static int
open_store_sub(certseal_ctx *ctx, const struct cs_store_path *sp,
    const char *sub, int *storefdp, int *subfdp)
{
	char shown[PATH_MAX];
	int r;

	*storefdp = *subfdp = -1;
	if ((r = cs_store_open_dir(ctx, AT_FDCWD, sp->dir, sp->dir,
	    storefdp)) != 0)
		return r;
	shown_path(shown, sizeof(shown), sp, sub, NULL);
	return cs_store_open_dir(ctx, *storefdp, sub, shown, subfdp);
}

static void
close_fd(int *fdp)
{
	if (*fdp >= 0)
		close(*fdp);
	*fdp = -1;
}

/* A damaged entry never breaks the rest of the store: warn, then skip. */
static int
skip_damaged(certseal_ctx *ctx, const struct cs_store_path *sp,
    const char *hex)
{
	char why[CS_ERRMSG_MAX];

	snprintf(why, sizeof(why), "%s", ctx != NULL ? ctx->errmsg : "");
	cs_warn(ctx, "store %s/%s: skipping entry %s: %s; remove it with "
	    "`certseal store remove %s` and import its bundle again",
	    sp->location, sp->name, hex, why, hex);
	return cs_error(ctx, CERTSEAL_E_NO_KEY, "store %s/%s: entry %s is "
	    "unusable (%s)", sp->location, sp->name, hex, why);
}

/* Reads by-issuer-serial/<name>: the skid-hex of the key it names. */
static int
read_pointer(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, const char *name, char hex[CS_STORE_ID_MAX + 1])
{
	struct cs_secret *s = NULL;
	char shown[PATH_MAX];
	int isnfd = -1, r;

	hex[0] = '\0';
	shown_path(shown, sizeof(shown), sp, ISN_DIR, NULL);
	if ((r = cs_store_open_dir(ctx, storefd, ISN_DIR, shown,
	    &isnfd)) != 0)
		goto out;
	shown_path(shown, sizeof(shown), sp, ISN_DIR, name);
	if ((r = cs_store_read_at(ctx, isnfd, name, shown, POINTER_MAX,
	    &s)) != 0)
		goto out;
	s->data[strcspn((char *)s->data, "\r\n")] = '\0';
	if (cs_store_id_normalize(NULL, (char *)s->data, hex) != 0 ||
	    strlen(hex) != strlen((char *)s->data)) {
		hex[0] = '\0';
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: not a key id",
		    shown);
		goto out;
	}
	r = 0; /* success */
 out:
	cs_secret_free(s);
	close_fd(&isnfd);
	return r;
}

int
cs_store_find_key(certseal_ctx *ctx, const struct cs_store_path *sp,
    const struct cs_recipient_id *id, struct cs_key **out)
{
	struct cs_key *key = NULL;
	char hex[CS_STORE_ID_MAX + 1] = "", isn[SHA256_HEX + 1] = "";
	int storefd = -1, keysfd = -1, len, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if (id->keyid != NULL) {
		len = ASN1_STRING_length(id->keyid);
		if (len <= 0 || len > CS_STORE_ID_MAX / 2) {
			r = cs_error(ctx, CERTSEAL_E_NO_KEY, "store %s/%s: "
			    "recipient key identifier of %d bytes cannot be "
			    "in a store", sp->location, sp->name, len);
			goto out;
		}
		cs_hex(ASN1_STRING_get0_data(id->keyid), (size_t)len, hex,
		    sizeof(hex));
	} else if (id->issuer == NULL || id->serial == NULL ||
	    isn_name(id->issuer, id->serial, isn) != 0) {
		r = cs_error(ctx, CERTSEAL_E_NO_KEY, "store %s/%s: no usable "
		    "recipient identifier", sp->location, sp->name);
		goto out;
	}
	if ((r = open_store_sub(ctx, sp, KEYS_DIR, &storefd,
	    &keysfd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			r = cs_error(ctx, CERTSEAL_E_NO_KEY, "store %s/%s is "
			    "empty or missing (%s): import a bundle with "
			    "`certseal store import`", sp->location, sp->name,
			    sp->dir);
		goto out;
	}
	if (hex[0] == '\0') {
		if ((r = read_pointer(ctx, sp, storefd, isn, hex)) != 0) {
			if (r == CERTSEAL_E_NOT_FOUND)
				r = cs_error(ctx, CERTSEAL_E_NO_KEY, "store "
				    "%s/%s has no key for this issuer and "
				    "serial number", sp->location, sp->name);
			else
				r = skip_damaged(ctx, sp, isn);
			goto out;
		}
	}
	if ((r = load_key_entry(ctx, sp, keysfd, hex, &key)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			r = cs_error(ctx, CERTSEAL_E_NO_KEY, "store %s/%s has "
			    "no key %s", sp->location, sp->name, hex);
		else
			r = skip_damaged(ctx, sp, hex);
		goto out;
	}
	if (!cs_recipient_id_matches(id, key->cert)) {
		/* Only a stale issuer-serial pointer gets here. */
		cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s/%s/%s points to a "
		    "key with another issuer or serial", sp->dir, ISN_DIR,
		    isn);
		r = skip_damaged(ctx, sp, isn);
		goto out;
	}
	*out = key;
	key = NULL;
	r = 0; /* success */
 out:
	cs_store_key_free(key);
	close_fd(&keysfd);
	close_fd(&storefd);
	return r;
}

/* Reads and checks signers/<fingerprint>.pem below fd. */
static int
load_signer_entry(certseal_ctx *ctx, const struct cs_store_path *sp,
    int fd, const char *name, X509 **out)
{
	struct cs_secret *s = NULL;
	X509 *cert = NULL;
	char shown[PATH_MAX], fp[SHA256_HEX + 1];
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	shown_path(shown, sizeof(shown), sp, SIGNERS_DIR, name);
	if ((r = cs_store_read_at(ctx, fd, name, shown, CS_STORE_ENTRY_MAX,
	    &s)) != 0)
		goto out;
	if ((cert = parse_cert(s)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no readable "
		    "certificate", shown);
		goto out;
	}
	if (fingerprint_hex(cert, fp) != 0 ||
	    strncmp(fp, name, SHA256_HEX) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the "
		    "certificate's SHA-256 fingerprint is not the file name",
		    shown);
		goto out;
	}
	*out = cert;
	cert = NULL;
	r = 0; /* success */
 out:
	cs_secret_free(s);
	X509_free(cert);
	return r;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* Names of the "<hex>.pem" entries of a directory, sorted. */
static int
list_names(certseal_ctx *ctx, int dirfd, const char *shown, size_t hexlen,
    size_t limit, char ***namesp, size_t *np)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL, **grown;
	size_t n = 0, cap = 0;
	int fd = -1, r = CERTSEAL_E_INTERNAL;

	*namesp = NULL;
	*np = 0;
	if ((fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", shown,
		    strerror(errno));
		goto out;
	}
	fd = -1;	/* owned by d */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!entry_name_ok(de->d_name, hexlen, "pem"))
			continue;
		if (n == limit) {
			cs_warn(ctx, "%s: more than %zu entries; the rest are "
			    "ignored", shown, limit);
			break;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((grown = realloc(names, cap *
			    sizeof(*names))) == NULL)
				goto nomem;
			names = grown;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	*namesp = names;
	*np = n;
	names = NULL;
	n = 0;
	r = 0; /* success */
	goto out;
 nomem:
	r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
 out:
	free_names(names, n);
	if (d != NULL)
		closedir(d);
	if (fd >= 0)
		close(fd);
	return r;
}

static const char *
errmsg(certseal_ctx *ctx)
{
	return ctx != NULL ? ctx->errmsg : "";
}

int
cs_store_load_signers(certseal_ctx *ctx, const struct cs_store_path *sp,
    STACK_OF(X509) *into)
{
	char **names = NULL, shown[PATH_MAX];
	X509 *cert = NULL;
	size_t i, n = 0;
	int storefd = -1, fd = -1, r = CERTSEAL_E_INTERNAL;

	if ((r = open_store_sub(ctx, sp, SIGNERS_DIR, &storefd, &fd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND) {
			/* No store, or no signers in it: trusts nobody. */
			cs_error_clear(ctx);
			r = 0;
		}
		goto out;
	}
	shown_path(shown, sizeof(shown), sp, SIGNERS_DIR, NULL);
	if ((r = list_names(ctx, fd, shown, SHA256_HEX, SIGNERS_MAX, &names,
	    &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (load_signer_entry(ctx, sp, fd, names[i], &cert) != 0) {
			cs_warn(ctx, "store %s/%s: skipping signer: %s",
			    sp->location, sp->name, errmsg(ctx));
			continue;
		}
		if (sk_X509_push(into, cert) <= 0) {
			r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
			goto out;
		}
		cert = NULL;
	}
	cs_error_clear(ctx);
	r = 0; /* success */
 out:
	X509_free(cert);
	free_names(names, n);
	close_fd(&fd);
	close_fd(&storefd);
	return r;
}

int
cs_store_list_certs(certseal_ctx *ctx, const struct cs_store_path *sp,
    STACK_OF(X509) *into)
{
	struct cs_key *key = NULL;
	char **names = NULL, shown[PATH_MAX], hex[CS_STORE_ID_MAX + 1];
	size_t i, n = 0;
	int storefd = -1, fd = -1, r = CERTSEAL_E_INTERNAL;

	if ((r = open_store_sub(ctx, sp, KEYS_DIR, &storefd, &fd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND) {
			cs_error_clear(ctx);
			r = 0;
		}
		goto out;
	}
	shown_path(shown, sizeof(shown), sp, KEYS_DIR, NULL);
	if ((r = list_names(ctx, fd, shown, 0, SIZE_MAX, &names, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(hex, sizeof(hex), "%.*s", (int)strcspn(names[i], "."),
		    names[i]);
		if (load_key_entry(ctx, sp, fd, hex, &key) != 0) {
			skip_damaged(ctx, sp, hex);
			continue;
		}
		if (sk_X509_push(into, key->cert) <= 0) {
			r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
			goto out;
		}
		key->cert = NULL;	/* now owned by into */
		cs_store_key_free(key);
		key = NULL;
	}
	cs_error_clear(ctx);
	r = 0; /* success */
 out:
	cs_store_key_free(key);
	free_names(names, n);
	close_fd(&fd);
	close_fd(&storefd);
	return r;
}

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

/* Creates the missing directories of an absolute path, 0700. */
static int
mkdir_p(certseal_ctx *ctx, const char *path)
{
	char buf[PATH_MAX], c;
	size_t i, len = strlen(path);

	if (len >= sizeof(buf) || path[0] != '/')
		return cs_error(ctx, CERTSEAL_E_USAGE, "%.200s: not an "
		    "absolute path", path);
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return cs_error(ctx, errno == EACCES ?
			    CERTSEAL_E_PERMISSION : CERTSEAL_E_IO,
			    "%s: cannot create the store directory: %s", buf,
			    strerror(errno));
		buf[i] = c;
	}
	return 0;
}

struct import_dirs {
	int	 store, keys, signers, isn;
};

static void
import_dirs_close(struct import_dirs *d)
{
	close_fd(&d->isn);
	close_fd(&d->signers);
	close_fd(&d->keys);
	close_fd(&d->store);
}

static int
import_subdir(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, const char *sub, int *fdp)
{
	char shown[PATH_MAX];

	shown_path(shown, sizeof(shown), sp, sub, NULL);
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
	if ((r = mkdir_p(ctx, sp->dir)) != 0 ||
	    (r = cs_store_open_dir(ctx, AT_FDCWD, sp->dir, sp->dir,
	    &d->store)) != 0 ||
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
	if ((cn = cert_cn(cert)) != NULL) {
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

	subject = name_oneline(X509_get_subject_name(cert));
	issuer = name_oneline(X509_get_issuer_name(cert));
	serial = serial_hex(X509_get0_serialNumber(cert));
	time_iso(X509_get0_notAfter(cert), when, sizeof(when));
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
	shown_path(path, sizeof(path), sp, sub, name);
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
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
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
	item->subject = name_oneline(X509_get_subject_name(kf->cert));
	/* secmem: the key's PEM is wiped when the BIO is freed. */
	if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(b, kf->pkey, NULL, NULL, 0, NULL,
	    NULL) != 1 || PEM_write_bio_X509(b, kf->cert) != 1 ||
	    (len = BIO_get_mem_data(b, &data)) <= 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the key "
		    "for the store");
		goto out;
	}
	snprintf(name, sizeof(name), "%s.pem", hex);
	shown_path(path, sizeof(path), sp, KEYS_DIR, name);
	if ((r = write_entry(ctx, d->keys, path, name, data, (size_t)len,
	    &item->outcome)) != 0)
		goto out;
	if ((r = write_meta(ctx, sp, d->keys, KEYS_DIR, hex, "key", kf->cert,
	    source, now, item->outcome == CS_STORE_PRESENT)) != 0)
		goto out;
	/* The second name: issuer and serial, for recipients named so. */
	if (isn_name(X509_get_issuer_name(kf->cert),
	    X509_get0_serialNumber(kf->cert), isn) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot hash the "
		    "certificate's issuer and serial");
		goto out;
	}
	snprintf(line, sizeof(line), "%s\n", hex);
	shown_path(path, sizeof(path), sp, ISN_DIR, isn);
	if ((r = write_entry(ctx, d->isn, path, isn, line, strlen(line),
	    &pointer)) != 0)
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

	if (fingerprint_hex(cert, item->id) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "cannot fingerprint "
		    "a signer certificate of the bundle");
		goto out;
	}
	item->subject = name_oneline(X509_get_subject_name(cert));
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(b, cert) != 1 ||
	    (len = BIO_get_mem_data(b, &data)) <= 0) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "%s.pem", item->id);
	shown_path(path, sizeof(path), sp, SIGNERS_DIR, name);
	if ((r = write_entry(ctx, d->signers, path, name, data, (size_t)len,
	    &item->outcome)) != 0)
		goto out;
	r = write_meta(ctx, sp, d->signers, SIGNERS_DIR, item->id, "signer",
	    cert, source, now, item->outcome == CS_STORE_PRESENT);
 out:
	BIO_free(b);
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
	X509 *extra;
	const char *base;
	char hex[CS_STORE_ID_MAX + 1], now[32], *subject = NULL;
	struct tm tm;
	time_t t;
	int i, n, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if ((r = cs_store_path_init(ctx, location, name, &sp)) != 0)
		return r;
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
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
	if (skid_hex(kf->cert, hex) != 0) {
		subject = name_oneline(X509_get_subject_name(kf->cert));
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
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		now[0] = '\0';
	if ((r = import_dirs_open(ctx, &sp, &d)) != 0)
		goto out;
	if ((r = import_key(ctx, &sp, &d, kf, hex, base, now,
	    &info->key)) != 0)
		goto out;
	n = kf->extra != NULL ? sk_X509_num(kf->extra) : 0;
	/* One spare slot: see cs_store_import_info_free. */
	if (n > 0 && (info->signers = calloc((size_t)n + 1,
	    sizeof(*info->signers))) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		extra = sk_X509_value(kf->extra, i);
		if (X509_cmp(extra, kf->cert) == 0)
			continue;
		if ((r = import_signer(ctx, &sp, &d, extra, base, now,
		    &info->signers[info->nsigners])) != 0)
			goto out;
		info->nsigners++;
	}
	*out = info;
	info = NULL;
	r = 0; /* success */
 out:
	import_dirs_close(&d);
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
		r = load_key_entry(ctx, sp, dirfd, id, &key);
		if (key != NULL)
			shown_cert = key->cert;
	} else {
		r = load_signer_entry(ctx, sp, dirfd, fname, &cert);
		shown_cert = cert;
	}
	if (r != 0) {
		if (json_set_str(obj, "status", "damaged") != 0 ||
		    json_set_str(obj, "problem", errmsg(ctx)) != 0)
			goto fail;
		/* Still show whose entry it is, when that much is readable. */
		if (cs_store_read_at(NULL, dirfd, fname, fname,
		    CS_STORE_ENTRY_MAX, &s) == 0)
			shown_cert = cert = parse_cert(s);
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

	shown_path(shown, sizeof(shown), sp, sub, NULL);
	if ((r = cs_store_open_dir(ctx, storefd, sub, shown, &fd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			r = 0;
		goto out;
	}
	if ((r = list_names(ctx, fd, shown, is_key ? 0 : SHA256_HEX,
	    SIZE_MAX, &names, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((obj = list_entry(ctx, sp, fd, names[i], is_key)) == NULL ||
		    json_array_append_new(into, obj) != 0) {
			r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
			goto out;
		}
	}
	r = 0; /* success */
 out:
	free_names(names, n);
	close_fd(&fd);
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
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = cs_store_open_dir(ctx, AT_FDCWD, sp.dir, sp.dir,
	    &storefd)) != 0) {
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
	close_fd(&storefd);
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
	    &s) != 0 || (cert = parse_cert(s)) == NULL ||
	    isn_name(X509_get_issuer_name(cert), X509_get0_serialNumber(cert),
	    isn) != 0 ||
	    cs_store_open_dir(NULL, storefd, ISN_DIR, ISN_DIR, &isnfd) != 0 ||
	    cs_store_read_at(NULL, isnfd, isn, isn, POINTER_MAX, &ptr) != 0)
		goto out;
	ptr->data[strcspn((char *)ptr->data, "\r\n")] = '\0';
	if (strcmp((char *)ptr->data, hex) == 0 &&
	    unlinkat(isnfd, isn, 0) == 0)
		fsync(isnfd);
 out:
	close_fd(&isnfd);
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

	shown_path(shown, sizeof(shown), sp, sub, NULL);
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
	shown_path(shown, sizeof(shown), sp, sub, name);
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
	close_fd(&fd);
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
	if ((r = cs_store_open_dir(ctx, AT_FDCWD, sp.dir, sp.dir,
	    &storefd)) != 0) {
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
	close_fd(&storefd);
	cs_store_path_release(&sp);
	return r;
}
