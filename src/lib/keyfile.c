/*
 * keyfile.c - private keys and certificates from files: PKCS#12 bundles
 * and PEM (DESIGN.md section 4, file: source and store import).
 *
 * The certificate that matches the key is the key's certificate; every
 * other certificate in the file is a signer the bundle trusts (a certseal
 * export carries the admin's signing certificate there).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "internal.h"
#include "keyfile.h"
#include "pkey-read.h"


void
cs_keyfile_free(struct cs_keyfile *kf)
{
	if (kf == NULL)
		return;
	EVP_PKEY_free(kf->pkey);
	X509_free(kf->cert);
	sk_X509_pop_free(kf->extra, X509_free);
	free(kf);
}

int
cs_cert_has_key(X509 *cert, const EVP_PKEY *pkey)
{
	EVP_PKEY *pub;
	int r;

	if (cert == NULL || pkey == NULL ||
	    (pub = X509_get0_pubkey(cert)) == NULL)
		return 0;
	r = EVP_PKEY_eq(pub, pkey) == 1;
	ERR_clear_error();
	return r;
}

/*
 * Moves the certificate matching pkey out of certs into kf->cert (if
 * kf->cert is not set yet), and the rest into kf->extra.  Every client of
 * a bundle holds its key, so any certificate for that key - the key's own
 * certificate again, or another one with other bytes, subject or serial -
 * is dropped: it must never become a trusted signer.
 */
int
cs_keyfile_sort_certs(struct cs_keyfile *kf, STACK_OF(X509) *certs)
{
	X509 *x;

	while (certs != NULL && sk_X509_num(certs) > 0) {
		x = sk_X509_shift(certs);
		if (cs_cert_has_key(x, kf->pkey)) {
			if (kf->cert == NULL)
				kf->cert = x;
			else
				X509_free(x);
		} else if (!sk_X509_push(kf->extra, x)) {
			X509_free(x);
			return -1;
		}
	}
	ERR_clear_error();
	return 0;
}

int
cs_keyfile_new(struct cs_keyfile **out)
{
	struct cs_keyfile *kf;

	*out = NULL;
	if ((kf = calloc(1, sizeof(*kf))) == NULL)
		return CERTSEAL_E_NOMEM;
	if ((kf->extra = sk_X509_new_null()) == NULL) {
		free(kf);
		return CERTSEAL_E_NOMEM;
	}
	*out = kf;
	return 0;
}

struct pw_state {
	certseal_ctx	*ctx;
	const char	*pin_source;
	const char	*name;
	struct cs_secret *pw;
	int		 asked;
	int		 err;
};

/* PEM password callback: asks cs_pin_get once, never retries. */
static int
pem_password(char *buf, int size, int rwflag, void *arg)
{
	struct pw_state *st = arg;
	char what[512];
	int r;

	if (st->asked)
		return -1;
	st->asked = 1;
	snprintf(what, sizeof(what), "password for %s", st->name);
	if ((r = cs_pin_get(st->ctx, st->pin_source, NULL, what,
	    &st->pw)) != 0) {
		st->err = r;
		return -1;
	}
	if (st->pw->len >= (size_t)size) {
		st->err = cs_error(st->ctx, CERTSEAL_E_USAGE, "%s: password "
		    "too long", st->name);
		return -1;
	}
	memcpy(buf, st->pw->data, st->pw->len);
	return (int)st->pw->len;
}

/* Appends every certificate of a PEM text to certs. */
static int
read_pem_certs(const uint8_t *data, size_t len, STACK_OF(X509) *certs)
{
	BIO *b;
	X509 *x;

	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			BIO_free(b);
			return -1;
		}
	}
	ERR_clear_error();
	BIO_free(b);
	return 0;
}

static int
load_pem(certseal_ctx *ctx, const struct cs_secret *text, const char *path,
    const char *cert_path, const char *pin_source, struct cs_keyfile **out)
{
	struct pw_state pws;
	struct cs_keyfile *kf = NULL;
	STACK_OF(X509) *certs = NULL;
	uint8_t *cbuf = NULL;
	size_t clen = 0;
	BIO *b = NULL;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	memset(&pws, 0, sizeof(pws));
	pws.ctx = ctx;
	pws.pin_source = pin_source;
	pws.name = path;
	if ((r = cs_keyfile_new(&kf)) != 0 ||
	    (certs = sk_X509_new_null()) == NULL ||
	    (b = BIO_new_mem_buf(text->data, (int)text->len)) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if (read_pem_certs(text->data, text->len, certs) != 0) {
		r = cs_nomem(ctx);
		goto out;
	}
	/*
	 * An unencrypted PKCS#8 key of the first certificate's type (the
	 * usual key + certificate file) is read without asking every decoder;
	 * anything else takes the generic reader, which may ask for a password.
	 */
	if (sk_X509_num(certs) > 0)
		kf->pkey = cs_pkey_read_pem(text->data, text->len,
		    X509_get0_pubkey(sk_X509_value(certs, 0)));
	if (kf->pkey == NULL && (kf->pkey = PEM_read_bio_PrivateKey(b, NULL,
	    pem_password, &pws)) == NULL) {
		if (pws.err != 0)
			r = pws.err;
		else if (pws.asked)
			r = cs_error(ctx, CERTSEAL_E_PIN_INCORRECT, "%s: wrong "
			    "password for the private key (or the key is "
			    "damaged); check the pin-source", path);
		else
			r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: neither a "
			    "PKCS#12 bundle nor a PEM private key", path);
		goto out;
	}
	if (cert_path != NULL) {
		if ((r = cs_read_file(ctx, cert_path, KEYFILE_MAX, &cbuf,
		    &clen)) != 0)
			goto out;
		if (read_pem_certs(cbuf, clen, certs) != 0) {
			r = cs_nomem(ctx);
			goto out;
		}
	}
	if (cs_keyfile_sort_certs(kf, certs) != 0) {
		r = cs_nomem(ctx);
		goto out;
	}
	if (kf->cert == NULL) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "%s: no certificate "
		    "matching the private key; put it in the same file or "
		    "give it with cert=", path);
		goto out;
	}
	*out = kf;
	kf = NULL;
	r = 0; /* success */
 out:
	cs_secret_free(pws.pw);
	BIO_free(b);
	free(cbuf);
	sk_X509_pop_free(certs, X509_free);
	cs_keyfile_free(kf);
	return r;
}

int
cs_keyfile_load(certseal_ctx *ctx, const char *path, const char *cert_path,
    const char *pin_source, struct cs_keyfile **out)
{
	struct cs_secret *text = NULL;
	struct stat st;
	int fd = -1, r;

	*out = NULL;
	/* One open: the mode checked is the mode of the file read. */
	if ((r = cs_input_open(ctx, AT_FDCWD, path, NULL, 0, &fd, &st)) != 0)
		return r;
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: the key file "
		    "is readable by others (mode %03o); run chmod 600 %s",
		    path, (unsigned int)(st.st_mode & 0777), path);
	}
	r = cs_read_secret_fd_st(ctx, fd, path, KEYFILE_MAX, &st, &text);
	close(fd);
	if (r != 0)
		return r;
	/* DER means PKCS#12; everything else is read as PEM. */
	if (text->len > 0 && text->data[0] == 0x30)
		r = cs_keyfile_load_p12(ctx, text->data, text->len, path,
		    pin_source, out);
	else
		r = load_pem(ctx, text, path, cert_path, pin_source, out);
	cs_secret_free(text);
	return r;
}
