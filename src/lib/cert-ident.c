/*
 * cert-ident.c - who a certificate is (issuer, serial number, subject key
 * identifier), read from its encoding without parsing it, and whom a
 * signer query (struct cs_signer_query) names.
 *
 * OpenSSL 3.0 decodes a certificate's public key whenever it parses the
 * certificate (d2i_X509 runs the SubjectPublicKeyInfo through the decoder
 * machinery: about 1.1 M instructions, 3 M more for the first of a
 * process).  A token shared with other applications holds certificates
 * that a SignedData never names; deciding that one is not named should
 * not cost a parse.  So the walk here only finds the three fields in
 * TBSCertificate (RFC 5280 4.1) and hands each to OpenSSL's own decoder
 * for that type, compared as cs_recipient_id_matches compares a parsed
 * certificate's (X509_NAME_cmp, ASN1_INTEGER_cmp, the SKID extension).
 * It is a filter: it never misses a certificate the parse would match
 * (tests/fuzz/fuzz-cert-ident.c checks that against d2i_X509), and may
 * name one the parse would not - OpenSSL reports no SKID for a
 * certificate with an invalid extension - which is then parsed and
 * judged as any other.
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "envelope-internal.h"

/* The element at *pp, as [*at, *pp) for a d2i function. */
static int
take(const unsigned char **pp, const unsigned char *end, int cls, int tag,
    int cons, const unsigned char **at, long *len)
{
	struct cs_ber e;

	*at = *pp;
	if (cs_ber_step(pp, end, &e, cls, tag, cons) != 0)
		return -1;
	*len = (long)(*pp - *at);
	return 0;
}

/*
 * The SKID of the extensions in [3] (NULL for none, and for two, as
 * X509_get0_subject_key_id): 0, or -1 when OpenSSL's decoder does not
 * take them as they stand (the certificate is then parsed).
 */
static int
skid_of(const struct cs_ber *ext3, ASN1_OCTET_STRING **skid)
{
	const unsigned char *p = ext3->body;
	STACK_OF(X509_EXTENSION) *exts;

	*skid = NULL;
	if ((exts = d2i_X509_EXTENSIONS(NULL, &p,
	    (long)(ext3->end - ext3->body))) == NULL)
		return -1;
	if (p != ext3->end) {
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		return -1;
	}
	*skid = X509V3_get_d2i(exts, NID_subject_key_identifier, NULL, NULL);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return 0;
}

int
cs_cert_ident_read(const uint8_t *der, size_t len, struct cs_cert_ident *id)
{
	const unsigned char *p = der, *end = der + len, *at;
	struct cs_ber cert, tbs, e;
	long n;
	int i;

	memset(id, 0, sizeof(*id));
	if (cs_ber_step(&p, end, &cert, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE,
	    1) != 0 || p != end)
		return -1;
	p = cert.body;
	if (cs_ber_step(&p, cert.end, &tbs, V_ASN1_UNIVERSAL,
	    V_ASN1_SEQUENCE, 1) != 0)
		return -1;
	p = tbs.body;
	/* version [0] EXPLICIT, absent for v1 certificates */
	at = p;
	if (cs_ber_next(&p, tbs.end, &e) != 0)
		return -1;
	if (!cs_ber_is(&e, V_ASN1_CONTEXT_SPECIFIC, 0, 1))
		p = at;
	if (take(&p, tbs.end, V_ASN1_UNIVERSAL, V_ASN1_INTEGER, 0, &at,
	    &n) != 0 || (id->serial = d2i_ASN1_INTEGER(NULL, &at, n)) == NULL)
		goto fail;
	/* signature AlgorithmIdentifier */
	if (cs_ber_step(&p, tbs.end, &e, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE,
	    1) != 0)
		goto fail;
	if (take(&p, tbs.end, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1, &at,
	    &n) != 0 || (id->issuer = d2i_X509_NAME(NULL, &at, n)) == NULL)
		goto fail;
	/* validity, subject, subjectPublicKeyInfo */
	for (i = 0; i < 3; i++)
		if (cs_ber_step(&p, tbs.end, &e, V_ASN1_UNIVERSAL,
		    V_ASN1_SEQUENCE, 1) != 0)
			goto fail;
	/* issuerUniqueID [1], subjectUniqueID [2], extensions [3] */
	while (p < tbs.end) {
		if (cs_ber_next(&p, tbs.end, &e) != 0 ||
		    e.cls != V_ASN1_CONTEXT_SPECIFIC)
			goto fail;
		if (e.tag == 3) {
			if (skid_of(&e, &id->skid) != 0)
				goto fail;
			break;
		}
	}
	ERR_clear_error();
	return 0;
 fail:
	cs_cert_ident_release(id);
	ERR_clear_error();
	return -1;
}

int
cs_cert_ident_named(const struct cs_cert_ident *id,
    const struct cs_recipient_id *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ids[i].keyid != NULL) {
			if (id->skid != NULL &&
			    ASN1_OCTET_STRING_cmp(id->skid, ids[i].keyid) == 0)
				return 1;
		} else if (ids[i].issuer != NULL && ids[i].serial != NULL &&
		    X509_NAME_cmp(ids[i].issuer, id->issuer) == 0 &&
		    ASN1_INTEGER_cmp(ids[i].serial, id->serial) == 0)
			return 1;
	}
	return 0;
}

void
cs_cert_ident_release(struct cs_cert_ident *id)
{
	X509_NAME_free(id->issuer);
	ASN1_INTEGER_free(id->serial);
	ASN1_OCTET_STRING_free(id->skid);
	memset(id, 0, sizeof(*id));
}

/* One encoded identifier into the digest: kind, length, DER. */
static int
digest_der(EVP_MD_CTX *md, unsigned char kind, unsigned char *der, int len)
{
	unsigned char h[5] = { kind, (unsigned char)(len >> 24),
	    (unsigned char)(len >> 16), (unsigned char)(len >> 8),
	    (unsigned char)len };
	int ok = len > 0 && EVP_DigestUpdate(md, h, sizeof(h)) == 1 &&
	    EVP_DigestUpdate(md, der, (size_t)len) == 1;

	OPENSSL_free(der);
	return ok ? 0 : -1;
}

int
cs_signer_query_digest(const struct cs_signer_query *q,
    unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der;
	size_t i;
	int r = -1, len;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 0; i < q->nids; i++) {
		der = NULL;
		if (q->ids[i].keyid != NULL) {
			len = i2d_ASN1_OCTET_STRING(q->ids[i].keyid, &der);
			if (digest_der(md, 'k', der, len) != 0)
				goto out;
			continue;
		}
		if (q->ids[i].issuer == NULL || q->ids[i].serial == NULL)
			continue;
		len = i2d_X509_NAME(q->ids[i].issuer, &der);
		if (digest_der(md, 'i', der, len) != 0)
			goto out;
		der = NULL;
		len = i2d_ASN1_INTEGER(q->ids[i].serial, &der);
		if (digest_der(md, 's', der, len) != 0)
			goto out;
	}
	if (EVP_DigestFinal_ex(md, out, NULL) == 1)
		r = 0; /* success */
 out:
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return r;
}
