/*
 * pairs.c - a certificate pair on the admin token: the encryption key pair
 * (extractable, because clients need its private key) and the signing key
 * pair (never extractable), generated together.  The pair ID is the start
 * of the encryption certificate's SHA-256 fingerprint: short, stable,
 * unique.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "admin.h"

static char *
hex_string(const unsigned char *p, size_t len)
{
	char *s = malloc(2 * len + 1);

	if (s != NULL)
		cs_hex(p, len, s, 2 * len + 1);
	return s;
}

static char *
cert_skid_hex(X509 *cert)
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

	if (skid == NULL)
		return NULL;
	return hex_string(ASN1_STRING_get0_data(skid),
	    (size_t)ASN1_STRING_length(skid));
}

static char *
cert_fingerprint_hex(X509 *cert)
{
	char fp[CS_CERT_FP_HEX + 1];

	if (cs_cert_fingerprint(cert, fp) != 0)
		return NULL;
	return strdup(fp);
}

static time_t
asn1_time_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

int
pair_generate(struct admin *a, const char *algorithm, const char *label,
    int days, int no_export, struct pair *out)
{
	struct cs_p11_keygen params;
	X509 *enc = NULL, *sign = NULL;
	uint8_t id[CS_P11_ID_MAX];
	char *text = NULL;
	struct pair pair;
	size_t ndel;
	int r, idlen;

	memset(out, 0, sizeof(*out));
	memset(&pair, 0, sizeof(pair));
	memset(&params, 0, sizeof(params));
	if ((r = cs_p11_alg_parse(algorithm, &params.alg)) != 0) {
		r = cs_error(a->ctx, CERTSEAL_E_USAGE, "unknown algorithm "
		    "'%s': use rsa-3072, rsa-4096, ec-p256 or ec-p384",
		    algorithm);
		goto out;
	}
	params.days = days;
	/*
	 * The encryption key leaves the token only through `pair export` -
	 * or never, with --no-export: for admin tokens that refuse
	 * exportable keys and fleets that are all enrolled (DESIGN.md 8).
	 */
	if (asprintf(&text, "%s encryption", label) < 0) {
		text = NULL;
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	params.label = text;
	params.usage = CS_P11_USAGE_ENCRYPT;
	params.extractable = !no_export;
	if ((r = cs_p11_keygen(a->ctx, a->tok, &params, &enc)) != 0)
		goto out;
	if ((pair.enc_key_id = cert_skid_hex(enc)) == NULL) {
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	free(text);
	if (asprintf(&text, "%s signing", label) < 0) {
		text = NULL;
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	/* The signing key never leaves: that is what proves the admin. */
	params.label = text;
	params.usage = CS_P11_USAGE_SIGN;
	params.extractable = 0;
	if ((r = cs_p11_keygen(a->ctx, a->tok, &params, &sign)) != 0)
		goto out;
	if ((pair.sign_key_id = cert_skid_hex(sign)) == NULL ||
	    (pair.enc_fingerprint = cert_fingerprint_hex(enc)) == NULL ||
	    (pair.sign_fingerprint = cert_fingerprint_hex(sign)) == NULL ||
	    (pair.label = strdup(label)) == NULL ||
	    (pair.algorithm = strdup(algorithm)) == NULL) {
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if (strncmp(algorithm, "rsa", 3) == 0 &&
	    (pair.oaep_hash = strdup("sha256")) == NULL) {
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(pair.id, pair.enc_fingerprint, PAIR_ID_LEN);
	pair.id[PAIR_ID_LEN] = '\0';
	pair.state = PAIR_PENDING;
	pair.no_export = no_export;
	pair.created = time(NULL);
	pair.not_before = asn1_time_to_time(X509_get0_notBefore(enc));
	pair.not_after = asn1_time_to_time(X509_get0_notAfter(enc));
	*out = pair;
	memset(&pair, 0, sizeof(pair));
	r = 0; /* success */
 out:
	if (r != 0) {
		/* Leave no half pair on the token. */
		if (pair.enc_key_id != NULL && (idlen = cs_hex_decode(
		    pair.enc_key_id, id, sizeof(id))) > 0)
			(void)cs_p11_delete_id(NULL, a->tok, id,
			    (size_t)idlen, &ndel);
		if (pair.sign_key_id != NULL &&
		    (idlen = cs_hex_decode(pair.sign_key_id, id,
		    sizeof(id))) > 0)
			(void)cs_p11_delete_id(NULL, a->tok, id,
			    (size_t)idlen, &ndel);
	}
	pair_release(&pair);
	free(text);
	X509_free(enc);
	X509_free(sign);
	return r;
}

/* The certificate with CKA_ID = hex id on the admin token. */
static int
cert_by_id(struct admin *a, const char *hex, const char *what, X509 **out)
{
	STACK_OF(X509) *certs = NULL;
	uint8_t id[CS_P11_ID_MAX];
	int r, idlen;

	*out = NULL;
	if ((idlen = cs_hex_decode(hex, id, sizeof(id))) <= 0)
		return cs_error(a->ctx, CERTSEAL_E_INTEGRITY, "bad key id %s",
		    hex);
	if ((r = cs_p11_certs(a->ctx, a->tok, id, (size_t)idlen, NULL,
	    &certs, NULL)) != 0)
		return r;
	if (certs == NULL || sk_X509_num(certs) < 1) {
		sk_X509_pop_free(certs, X509_free);
		return cs_error(a->ctx, CERTSEAL_E_NOT_FOUND, "the %s "
		    "certificate (id %s) is not on the admin token; was the "
		    "token replaced?", what, hex);
	}
	*out = sk_X509_shift(certs);
	sk_X509_pop_free(certs, X509_free);
	return 0;
}

int
pair_certs(struct admin *a, const struct pair *pair, X509 **enc,
    X509 **sign)
{
	int r;

	*enc = NULL;
	if (sign != NULL)
		*sign = NULL;
	if ((r = cert_by_id(a, pair->enc_key_id, "encryption", enc)) != 0)
		return r;
	if (sign != NULL && (r = cert_by_id(a, pair->sign_key_id, "signing",
	    sign)) != 0) {
		X509_free(*enc);
		*enc = NULL;
		return r;
	}
	return 0;
}

int
pair_signing_key(struct admin *a, const struct pair *pair, EVP_PKEY **pkey,
    X509 **cert)
{
	struct cs_p11_object *objs = NULL;
	uint8_t id[CS_P11_ID_MAX];
	X509 *c = NULL;
	size_t n = 0;
	int r, idlen;

	*pkey = NULL;
	*cert = NULL;
	if ((r = cert_by_id(a, pair->sign_key_id, "signing", &c)) != 0)
		goto out;
	idlen = cs_hex_decode(pair->sign_key_id, id, sizeof(id));
	if ((r = cs_p11_find(a->ctx, a->tok, CKO_PRIVATE_KEY, id,
	    (size_t)idlen, NULL, &objs, &n)) != 0)
		goto out;
	if (n != 1) {
		r = cs_error(a->ctx, CERTSEAL_E_NOT_FOUND, "pair %s: %zu "
		    "signing keys with id %s on the admin token, expected one",
		    pair->id, n, pair->sign_key_id);
		goto out;
	}
	if ((r = cs_p11_key_pkey(a->ctx, a->tok, &objs[0], c, pkey)) != 0)
		goto out;
	*cert = c;
	c = NULL;
	r = 0; /* success */
 out:
	free(objs);
	X509_free(c);
	return r;
}

int
pair_delete(struct admin *a, const struct pair *pair)
{
	uint8_t id[CS_P11_ID_MAX];
	size_t ndel;
	int r, idlen;

	if ((idlen = cs_hex_decode(pair->enc_key_id, id, sizeof(id))) > 0 &&
	    (r = cs_p11_delete_id(a->ctx, a->tok, id, (size_t)idlen,
	    &ndel)) != 0)
		return r;
	if ((idlen = cs_hex_decode(pair->sign_key_id, id, sizeof(id))) > 0 &&
	    (r = cs_p11_delete_id(a->ctx, a->tok, id, (size_t)idlen,
	    &ndel)) != 0)
		return r;
	return 0;
}
