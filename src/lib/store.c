/*
 * store.c - entries of the local certificate store: reading and checking
 * them, looking keys up by file name, reading trusted signers (layout and
 * protection: see store.h; import, list and remove are in store-admin.c).
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
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "pkey-read.h"
#include "store.h"
#include "store-int.h"

/* Store entries are never encrypted; never let OpenSSL prompt for one. */
static int
no_password_cb(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

void
cs_store_shown(char *buf, size_t size, const struct cs_store_path *sp,
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

char *
cs_store_serial_hex(const ASN1_INTEGER *serial)
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

/*
 * The secondary index name for issuer+serial: SHA-256 over the DER issuer
 * and the DER serial.  Only a hint; the certificate found is matched.
 */
int
cs_store_isn_name(const X509_NAME *issuer, const ASN1_INTEGER *serial,
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
int
cs_store_skid_hex(X509 *cert, char out[CS_STORE_ID_MAX + 1])
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

X509 *
cs_store_parse_cert(const struct cs_secret *s)
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
		r = cs_nomem(ctx);
		goto out;
	}
	if ((cert = cs_store_parse_cert(s)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no readable "
		    "certificate", shown);
		goto out;
	}
	/* Entries are written as PKCS#8 in PEM (store-admin.c). */
	if ((pkey = cs_pkey_read_pem(s->data, s->len,
	    X509_get0_pubkey(cert))) == NULL &&
	    (pkey = PEM_read_bio_PrivateKey(b, NULL, no_password_cb,
	    NULL)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no readable "
		    "private key", shown);
		goto out;
	}
	if (X509_check_private_key(cert, pkey) != 1) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the private key "
		    "does not match the certificate", shown);
		goto out;
	}
	if (cs_store_skid_hex(cert, actual) != 0 || strcmp(actual, hex) != 0) {
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

/* Reads and checks keys/<hex>.pem below keysfd. */
int
cs_store_load_key_entry(certseal_ctx *ctx, const struct cs_store_path *sp,
    int keysfd, const char *hex, struct cs_key **out)
{
	struct cs_secret *s = NULL;
	struct cs_key *key = NULL;
	char name[CS_STORE_ID_MAX + 8], shown[PATH_MAX];
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	snprintf(name, sizeof(name), "%s.pem", hex);
	cs_store_shown(shown, sizeof(shown), sp, KEYS_DIR, name);
	if ((r = cs_store_read_at(ctx, keysfd, name, shown,
	    CS_STORE_ENTRY_MAX, &s)) != 0)
		goto out;
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if ((r = parse_key_entry(ctx, s, shown, hex, &key->pkey,
	    &key->cert)) != 0)
		goto out;
	cs_key_set_keyid(key);
	key->label = cs_name_cn(X509_get_subject_name(key->cert),
	    TEXT_MAX);
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
int
cs_store_open_sub(certseal_ctx *ctx, const struct cs_store_path *sp,
    const char *sub, int *storefdp, int *subfdp)
{
	char shown[PATH_MAX];
	int r;

	*storefdp = *subfdp = -1;
	if ((r = cs_store_open(ctx, sp, 0, storefdp)) != 0)
		return r;
	cs_store_shown(shown, sizeof(shown), sp, sub, NULL);
	return cs_store_open_dir(ctx, *storefdp, sub, shown, subfdp);
}

void
cs_store_close(int *fdp)
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
	cs_warn(ctx, "store %s/%s: skipping entry %s: %s; fix it, or remove "
	    "it with `certseal store remove %s --store %s/%s` and import its "
	    "bundle again", sp->location, sp->name, hex, cs_store_errmsg(ctx),
	    hex,
	    sp->location, sp->name);
	return CERTSEAL_E_NO_KEY;	/* a miss: said once, above */
}

/*
 * A miss in a store that holds no key at all is CERTSEAL_E_NOT_FOUND (the
 * source hints at `certseal store import`); else CERTSEAL_E_NO_KEY.  Only
 * misses pay for this look into keys/.
 */
static int
miss(int keysfd)
{
	struct dirent *e;
	DIR *d;
	int fd, any = 0;

	if ((fd = dup(keysfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return CERTSEAL_E_NO_KEY;
	}
	while (!any && (e = readdir(d)) != NULL)
		any = e->d_name[0] != '.';
	closedir(d);
	return any ? CERTSEAL_E_NO_KEY : CERTSEAL_E_NOT_FOUND;
}

/*
 * Reads by-issuer-serial/<name>: the skid-hex of the key it names.  An
 * unsafe by-issuer-serial/ is a hard error like any store directory; a
 * missing pointer is CERTSEAL_E_NOT_FOUND; a bad one anything else.
 */
static int
read_pointer(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, const char *name, char hex[CS_STORE_ID_MAX + 1],
    int *hardp)
{
	struct cs_secret *s = NULL;
	char shown[PATH_MAX];
	int isnfd = -1, r;

	hex[0] = '\0';
	*hardp = 0;
	cs_store_shown(shown, sizeof(shown), sp, ISN_DIR, NULL);
	if ((r = cs_store_open_dir(ctx, storefd, ISN_DIR, shown,
	    &isnfd)) != 0) {
		*hardp = r != CERTSEAL_E_NOT_FOUND;
		goto out;
	}
	cs_store_shown(shown, sizeof(shown), sp, ISN_DIR, name);
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
	cs_store_close(&isnfd);
	return r;
}

int
cs_store_find_key_at(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, int keysfd, const struct cs_recipient_id *id,
    struct cs_key **out)
{
	struct cs_key *key = NULL;
	char hex[CS_STORE_ID_MAX + 1] = "", isn[SHA256_HEX + 1] = "";
	int len, hard, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if (id->keyid != NULL) {
		len = ASN1_STRING_length(id->keyid);
		if (len <= 0 || len > CS_STORE_ID_MAX / 2) {
			r = CERTSEAL_E_NO_KEY;	/* cannot be in a store */
			goto out;
		}
		cs_hex(ASN1_STRING_get0_data(id->keyid), (size_t)len, hex,
		    sizeof(hex));
	} else if (id->issuer == NULL || id->serial == NULL ||
	    cs_store_isn_name(id->issuer, id->serial, isn) != 0) {
		r = CERTSEAL_E_NO_KEY;	/* no usable recipient identifier */
		goto out;
	}
	if (hex[0] == '\0') {
		if ((r = read_pointer(ctx, sp, storefd, isn, hex,
		    &hard)) != 0) {
			/* An unsafe directory (hard) stays a hard error. */
			if (!hard && r != CERTSEAL_E_NOT_FOUND)
				r = skip_damaged(ctx, sp, isn);
			goto out;
		}
	}
	if ((r = cs_store_load_key_entry(ctx, sp, keysfd, hex, &key)) != 0) {
		if (r != CERTSEAL_E_NOT_FOUND)
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
	return r;
}

int
cs_store_keys_empty(int keysfd)
{
	return miss(keysfd) == CERTSEAL_E_NOT_FOUND;
}

int
cs_store_find_key(certseal_ctx *ctx, const struct cs_store_path *sp,
    const struct cs_recipient_id *id, struct cs_key **out)
{
	int storefd = -1, keysfd = -1, r;

	*out = NULL;
	/* No store or no keys/: CERTSEAL_E_NOT_FOUND, for the hint. */
	if ((r = cs_store_open_sub(ctx, sp, KEYS_DIR, &storefd,
	    &keysfd)) == 0 &&
	    (r = cs_store_find_key_at(ctx, sp, storefd, keysfd, id,
	    out)) == CERTSEAL_E_NOT_FOUND)
		r = miss(keysfd);
	cs_store_close(&keysfd);
	cs_store_close(&storefd);
	return r;
}

/*
 * The certificate of known that signers/<name> holds, byte for byte, or
 * NULL.  Why: parsing a certificate costs OpenSSL 3.0 about 1 M
 * instructions (its public key goes through the decoders), and the
 * SignedData being verified usually carries the very certificate a store
 * trusts, already parsed.  Only a lone CERTIFICATE block whose DER equals
 * a known certificate whose SHA-256 fingerprint is name qualifies: the
 * result is then what parsing the entry would give.  Anything else is
 * parsed as before, with the same checks and messages.
 */
static X509 *
known_copy(const struct cs_secret *s, const char *name, STACK_OF(X509) *known)
{
	char fp[SHA256_HEX + 1], *pname = NULL, *header = NULL;
	unsigned char *der = NULL, *xder = NULL;
	long len = 0;
	int i, xlen;
	X509 *x = NULL, *hit = NULL;
	BIO *b = NULL;

	for (i = 0; i < sk_X509_num(known) && x == NULL; i++)
		if (cs_cert_fingerprint(sk_X509_value(known, i), fp) == 0 &&
		    strncmp(fp, name, SHA256_HEX) == 0)
			x = sk_X509_value(known, i);
	if (x == NULL || s->len > INT_MAX ||
	    (b = BIO_new_mem_buf(s->data, (int)s->len)) == NULL)
		goto out;
	if (PEM_read_bio(b, &pname, &header, &der, &len) != 1 ||
	    strcmp(pname, PEM_STRING_X509) != 0 || header[0] != '\0' ||
	    (xlen = i2d_X509(x, &xder)) <= 0 || (long)xlen != len ||
	    memcmp(der, xder, (size_t)len) != 0 || X509_up_ref(x) != 1)
		goto out;
	hit = x;
 out:
	ERR_clear_error();
	OPENSSL_free(pname);
	OPENSSL_free(header);
	OPENSSL_free(der);
	OPENSSL_free(xder);
	BIO_free(b);
	return hit;
}

/*
 * 0 when entry s starts with a CERTIFICATE block (the one
 * cs_store_parse_cert would take) that no identifier of q names; 1 when
 * it may be named (q without identifiers, or an entry this reading does
 * not understand: it is then parsed and checked as ever).
 */
static int
entry_named(const struct cs_secret *s, const struct cs_signer_query *q)
{
	struct cs_cert_ident id;
	char *pname = NULL, *header = NULL;
	unsigned char *der = NULL;
	long len = 0;
	int named = 1;
	BIO *b = NULL;

	if (q == NULL || q->ids == NULL || s->len > INT_MAX ||
	    (b = BIO_new_mem_buf(s->data, (int)s->len)) == NULL)
		return 1;
	if (PEM_read_bio(b, &pname, &header, &der, &len) == 1 &&
	    strcmp(pname, PEM_STRING_X509) == 0 &&
	    cs_cert_ident_read(der, (size_t)len, &id) == 0) {
		named = cs_cert_ident_named(&id, q->ids, q->nids);
		cs_cert_ident_release(&id);
	}
	ERR_clear_error();
	OPENSSL_free(pname);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(b);
	return named;
}

/* Reads and checks signers/<fingerprint>.pem below fd. */
int
cs_store_load_signer_entry(certseal_ctx *ctx, const struct cs_store_path *sp,
    int fd, const char *name, X509 **out)
{
	return cs_store_load_signer_for(ctx, sp, fd, name, NULL, out);
}

int
cs_store_load_signer_for(certseal_ctx *ctx, const struct cs_store_path *sp,
    int fd, const char *name, const struct cs_signer_query *q, X509 **out)
{
	struct cs_secret *s = NULL;
	X509 *cert = NULL;
	char shown[PATH_MAX], fp[SHA256_HEX + 1];
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	cs_store_shown(shown, sizeof(shown), sp, SIGNERS_DIR, name);
	if ((r = cs_store_read_at(ctx, fd, name, shown, CS_STORE_ENTRY_MAX,
	    &s)) != 0)
		goto out;
	cert = known_copy(s, name, q != NULL ? q->carried : NULL);
	if (cert == NULL && !entry_named(s, q)) {
		r = 0;	/* not one this SignedData can name */
		goto out;
	}
	if (cert == NULL && (cert = cs_store_parse_cert(s)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no readable "
		    "certificate", shown);
		goto out;
	}
	if (cs_cert_fingerprint(cert, fp) != 0 ||
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

void
cs_store_free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* Names of the "<hex>.pem" entries of a directory, sorted. */
int
cs_store_list_names(certseal_ctx *ctx, int dirfd, const char *shown,
    size_t hexlen, size_t limit, char ***namesp, size_t *np)
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
	r = cs_nomem(ctx);
 out:
	cs_store_free_names(names, n);
	if (d != NULL)
		closedir(d);
	if (fd >= 0)
		close(fd);
	return r;
}

const char *
cs_store_errmsg(certseal_ctx *ctx)
{
	return ctx != NULL ? ctx->errmsg : "";
}

/*
 * 1 when the store holds a decryption key for cert's public key, looked
 * up where an import puts it: under cert's own subjectKeyIdentifier and
 * under the usual one (SHA-1 of the key, RFC 5280 4.2.1.2), one open()
 * each.  cs_store_import keeps such signers out; this catches stores
 * written before it did, or by hand.
 */
static int
signer_is_store_key(const struct cs_store_path *sp, int keysfd, X509 *cert)
{
	struct cs_key *key = NULL;
	char hex[2][CS_STORE_ID_MAX + 1];
	int i, hit = 0;

	if (keysfd < 0)
		return 0;
	if (cs_store_skid_hex(cert, hex[0]) != 0)
		hex[0][0] = '\0';
	(void)cs_cert_key_id_hex(cert, hex[1]);	/* "" if none */
	for (i = 0; i < 2 && !hit; i++) {
		if (hex[i][0] == '\0' || (i == 1 && strcmp(hex[0],
		    hex[1]) == 0))
			continue;
		if (cs_store_load_key_entry(NULL, sp, keysfd, hex[i],
		    &key) == 0)
			hit = cs_cert_has_key(cert, key->pkey);
		cs_store_key_free(key);
		key = NULL;
	}
	ERR_clear_error();
	return hit;
}

/*
 * The signers of signers/ below storefd (already opened and checked), each
 * unless it is for a key of keys/ (keysfd; -1: none to exclude).
 */
static int
load_signers_below(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, int keysfd, const struct cs_signer_query *q,
    STACK_OF(X509) *into)
{
	char **names = NULL, shown[PATH_MAX];
	X509 *cert = NULL;
	size_t i, n = 0;
	int fd = -1, r = CERTSEAL_E_INTERNAL;

	cs_store_shown(shown, sizeof(shown), sp, SIGNERS_DIR, NULL);
	if ((r = cs_store_open_dir(ctx, storefd, SIGNERS_DIR, shown,
	    &fd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND) {
			/* No signers in the store: it trusts nobody. */
			cs_error_clear(ctx);
			r = 0;
		}
		goto out;
	}
	if ((r = cs_store_list_names(ctx, fd, shown, SHA256_HEX, SIGNERS_MAX,
	    &names, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (cs_store_load_signer_for(ctx, sp, fd, names[i], q,
		    &cert) != 0) {
			cs_warn(ctx, "store %s/%s: skipping signer: %s",
			    sp->location, sp->name, cs_store_errmsg(ctx));
			continue;
		}
		if (cert == NULL)
			continue;	/* not named: not read further */
		if (signer_is_store_key(sp, keysfd, cert)) {
			cs_warn(ctx, "store %s/%s: signer %.*s is not trusted: "
			    "its public key is a decryption key of this store",
			    sp->location, sp->name, SHA256_HEX, names[i]);
			X509_free(cert);
			cert = NULL;
			continue;
		}
		if (sk_X509_push(into, cert) <= 0) {
			r = cs_nomem(ctx);
			goto out;
		}
		cert = NULL;
	}
	cs_error_clear(ctx);
	r = 0; /* success */
 out:
	X509_free(cert);
	cs_store_free_names(names, n);
	cs_store_close(&fd);
	return r;
}

int
cs_store_load_signers_at(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, int keysfd, const struct cs_signer_query *q,
    STACK_OF(X509) *into)
{
	char shown[PATH_MAX];
	int ownfd = -1, ownkeys = -1, r;

	if (storefd >= 0)
		return load_signers_below(ctx, sp, storefd, keysfd, q, into);
	if ((r = cs_store_open(ctx, sp, 0, &ownfd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND) {
			/* No store: it trusts nobody. */
			cs_error_clear(ctx);
			r = 0;
		}
		return r;
	}
	cs_store_shown(shown, sizeof(shown), sp, KEYS_DIR, NULL);
	if (cs_store_open_dir(NULL, ownfd, KEYS_DIR, shown, &ownkeys) != 0)
		ownkeys = -1;	/* no keys: nothing to exclude */
	r = load_signers_below(ctx, sp, ownfd, ownkeys, q, into);
	cs_store_close(&ownkeys);
	cs_store_close(&ownfd);
	return r;
}

int
cs_store_load_signers(certseal_ctx *ctx, const struct cs_store_path *sp,
    STACK_OF(X509) *into)
{
	return cs_store_load_signers_at(ctx, sp, -1, -1, NULL, into);
}

int
cs_store_list_certs(certseal_ctx *ctx, const struct cs_store_path *sp,
    STACK_OF(X509) *into)
{
	struct cs_key *key = NULL;
	char **names = NULL, shown[PATH_MAX], hex[CS_STORE_ID_MAX + 1];
	size_t i, n = 0;
	int storefd = -1, fd = -1, r = CERTSEAL_E_INTERNAL;

	if ((r = cs_store_open_sub(ctx, sp, KEYS_DIR, &storefd, &fd)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND) {
			cs_error_clear(ctx);
			r = 0;
		}
		goto out;
	}
	cs_store_shown(shown, sizeof(shown), sp, KEYS_DIR, NULL);
	if ((r = cs_store_list_names(ctx, fd, shown, 0, SIZE_MAX, &names,
	    &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(hex, sizeof(hex), "%.*s", (int)strcspn(names[i], "."),
		    names[i]);
		if (cs_store_load_key_entry(ctx, sp, fd, hex, &key) != 0) {
			skip_damaged(ctx, sp, hex);
			continue;
		}
		if (sk_X509_push(into, key->cert) <= 0) {
			r = cs_nomem(ctx);
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
	cs_store_free_names(names, n);
	cs_store_close(&fd);
	cs_store_close(&storefd);
	return r;
}
