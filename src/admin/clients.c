/*
 * clients.c - certificates for enrolled clients (DESIGN.md section 8),
 * issued on the admin token by the active pair's signing key.
 *
 * The certificate says what the client's key may do for certseal: be a
 * recipient (keyEncipherment for RSA, keyAgreement for EC) and sign its
 * readiness reports (digitalSignature).  Its subjectKeyIdentifier is the
 * key ID the client computed itself (enroll.h), so the sealed file names
 * the recipient by what the client already uses as CKA_ID or entry name.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "admin.h"
#include "enroll.h"

/* notBefore a minute back: a save in the same second must accept it. */
#define BACKDATE	60

static int
set_skid(X509 *x, EVP_PKEY *pk)
{
	ASN1_OCTET_STRING *os = NULL;
	uint8_t id[CS_KEY_ID_LEN];
	int ok = 0;

	if (cs_key_id(pk, id) == 0 && (os = ASN1_OCTET_STRING_new()) != NULL &&
	    ASN1_OCTET_STRING_set(os, id, sizeof(id)) == 1)
		ok = X509_add1_ext_i2d(x, NID_subject_key_identifier, os, 0,
		    X509V3_ADD_DEFAULT) == 1;
	ASN1_OCTET_STRING_free(os);
	return ok;
}

static int
set_serial(X509 *x)
{
	unsigned char serial[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return 0;
	serial[0] &= 0x7f;
	serial[0] |= 0x40;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL)
		return 0;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

int
client_issue(struct admin *a, const struct pair *pair, X509_REQ *req,
    const char *name, int days, X509 **out)
{
	EVP_PKEY *spkey = NULL, *pk = X509_REQ_get0_pubkey(req);
	X509 *scert = NULL, *x = NULL;
	X509_NAME *subj = NULL;
	unsigned char *der = NULL;
	const unsigned char *q;
	time_t now = time(NULL), until;
	const char *ku;
	int r = CERTSEAL_E_INTERNAL, derlen;

	*out = NULL;
	if ((r = pair_signing_key(a, pair, &spkey, &scert)) != 0)
		goto out;
	ku = EVP_PKEY_is_a(pk, "RSA") ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature,keyAgreement";
	/* Not beyond the signer: a client must not outlive its issuer. */
	until = now + (time_t)days * 86400;
	if ((x = X509_new()) == NULL || (subj = X509_NAME_new()) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
	    (const unsigned char *)name, -1, -1, 0) ||
	    !X509_set_subject_name(x, subj) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(scert)) ||
	    X509_time_adj(X509_getm_notBefore(x), -BACKDATE, &now) == NULL ||
	    X509_time_adj(X509_getm_notAfter(x), 0, &until) == NULL ||
	    !X509_set_pubkey(x, pk))
		goto ossl;
	if (ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(scert)) > 0 &&
	    !X509_set1_notAfter(x, X509_get0_notAfter(scert)))
		goto ossl;
	if (!set_skid(x, pk) ||
	    !cs_cert_add_ext(x, scert, NID_authority_key_identifier,
	        "keyid:always") ||
	    !cs_cert_add_ext(x, scert, NID_basic_constraints,
	        "critical,CA:FALSE") ||
	    !cs_cert_add_ext(x, scert, NID_key_usage, ku))
		goto ossl;
	if (X509_sign(x, spkey, cs_key_md(spkey)) <= 0) {
		r = cs_error(a->ctx, CERTSEAL_E_TOKEN, "signing the "
		    "certificate of client %s with pair %s on the token "
		    "failed", name, pair->id);
		goto out;
	}
	/* A fresh parse: x caches what X509_sign left behind. */
	if ((derlen = i2d_X509(x, &der)) <= 0)
		goto ossl;
	q = der;
	if ((*out = d2i_X509(NULL, &q, derlen)) == NULL)
		goto ossl;
	r = 0; /* success */
	goto out;
 ossl:
	r = cs_error(a->ctx, CERTSEAL_E_INTERNAL, "cannot build the "
	    "certificate of client %s", name);
 out:
	OPENSSL_free(der);
	X509_NAME_free(subj);
	X509_free(x);
	X509_free(scert);
	EVP_PKEY_free(spkey);
	return r;
}

/* The pairs whose signing certificates NAME.crt carries. */
static int
in_bundle(const struct pair *pair)
{
	return pair->state != PAIR_RETIRED;
}

int
client_bundle(struct admin *a, X509 *cert, char **pemp, size_t *lenp)
{
	struct profile *p = a->profile;
	BIO *b = NULL;
	X509 *enc = NULL, *sign = NULL;
	char *data;
	long len;
	size_t i;
	int r = CERTSEAL_E_NOMEM;

	*pemp = NULL;
	*lenp = 0;
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(b, cert) != 1)
		goto nomem;
	/* Every pair a save may be signed by: active, and pending ones. */
	for (i = 0; i < p->npairs; i++) {
		if (!in_bundle(&p->pairs[i]))
			continue;
		if ((r = pair_certs(a, &p->pairs[i], &enc, &sign)) != 0)
			goto out;
		if (PEM_write_bio_X509(b, sign) != 1)
			goto nomem;
		X509_free(enc);
		X509_free(sign);
		enc = sign = NULL;
	}
	if ((len = BIO_get_mem_data(b, &data)) <= 0 ||
	    (*pemp = malloc((size_t)len)) == NULL)
		goto nomem;
	memcpy(*pemp, data, (size_t)len);
	*lenp = (size_t)len;
	r = 0; /* success */
	goto out;
 nomem:
	r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
 out:
	X509_free(enc);
	X509_free(sign);
	BIO_free(b);
	return r;
}

char *
client_bundle_trust_args(const struct profile *p)
{
	char *all, *more;
	size_t i;

	if ((all = strdup("")) == NULL)
		return NULL;
	for (i = 0; i < p->npairs; i++) {
		if (!in_bundle(&p->pairs[i]))
			continue;
		if (asprintf(&more, "%s --trust-signer SHA256:%s", all,
		    p->pairs[i].sign_fingerprint) < 0) {
			free(all);
			return NULL;
		}
		free(all);
		all = more;
	}
	return all;
}

int
client_cert_base64(X509 *cert, char **out)
{
	unsigned char *der = NULL;
	int len;

	*out = NULL;
	if ((len = i2d_X509(cert, &der)) <= 0)
		return -1;
	if ((*out = malloc(((size_t)len + 2) / 3 * 4 + 1)) != NULL)
		EVP_EncodeBlock((unsigned char *)*out, der, len);
	OPENSSL_free(der);
	return *out == NULL ? -1 : 0;
}

/* ---- succession: the next signing key certified by the previous one ---- */

static int
copy_ext(X509 *to, X509 *from, int nid)
{
	int i = X509_get_ext_by_NID(from, nid, -1);

	return i >= 0 && X509_add_ext(to, X509_get_ext(from, i), -1) == 1;
}

static int
set_succession_eku(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	ASN1_OBJECT *obj = NULL;
	int ok = 0;

	if ((eku = sk_ASN1_OBJECT_new_null()) != NULL &&
	    (obj = OBJ_txt2obj(CS_OID_SUCCESSION, 1)) != NULL &&
	    sk_ASN1_OBJECT_push(eku, obj) > 0) {
		obj = NULL;
		ok = X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 1,
		    X509V3_ADD_DEFAULT) == 1;
	}
	ASN1_OBJECT_free(obj);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return ok;
}

int
pair_cross_certify(struct admin *a, const struct pair *prev,
    struct pair *next)
{
	EVP_PKEY *pkey = NULL;
	X509 *pcert = NULL, *nenc = NULL, *nsign = NULL, *x = NULL;
	char *b64 = NULL;
	int r;

	if ((r = pair_signing_key(a, prev, &pkey, &pcert)) != 0 ||
	    (r = pair_certs(a, next, &nenc, &nsign)) != 0)
		goto out;
	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !set_serial(x) ||
	    !X509_set_subject_name(x, X509_get_subject_name(nsign)) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(pcert)) ||
	    !X509_set1_notBefore(x, X509_get0_notBefore(nsign)) ||
	    !X509_set1_notAfter(x, X509_get0_notAfter(nsign)) ||
	    !X509_set_pubkey(x, X509_get0_pubkey(nsign)) ||
	    !copy_ext(x, nsign, NID_subject_key_identifier) ||
	    !cs_cert_add_ext(x, pcert, NID_authority_key_identifier,
	        "keyid:always") ||
	    !cs_cert_add_ext(x, pcert, NID_basic_constraints,
	        "critical,CA:FALSE") ||
	    !cs_cert_add_ext(x, pcert, NID_key_usage,
	        "critical,digitalSignature") ||
	    !set_succession_eku(x)) {
		r = cs_error(a->ctx, CERTSEAL_E_INTERNAL, "cannot build the "
		    "cross-certificate of pair %s", next->id);
		goto out;
	}
	if (X509_sign(x, pkey, cs_key_md(pkey)) <= 0) {
		r = cs_error(a->ctx, CERTSEAL_E_TOKEN, "signing the "
		    "cross-certificate of pair %s with pair %s on the token "
		    "failed", next->id, prev->id);
		goto out;
	}
	if (client_cert_base64(x, &b64) != 0) {
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	free(next->cross_cert);
	free(next->cross_from);
	next->cross_cert = b64;
	b64 = NULL;
	if ((next->cross_from = strdup(prev->id)) == NULL) {
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	r = 0; /* success */
 out:
	free(b64);
	X509_free(x);
	X509_free(nenc);
	X509_free(nsign);
	X509_free(pcert);
	EVP_PKEY_free(pkey);
	return r;
}
