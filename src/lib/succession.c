/*
 * succession.c - enrolled clients following a pair exchange (see
 * succession.h, DESIGN.md section 8).
 *
 * Enrolled clients never receive a pair export, so when the admin
 * activates a new pair its signing key is certified by the previous one
 * (certseal-admin pair activate) and every save carries that
 * cross-certificate.  The rules here are the whole trust decision, so
 * they are strict: the cross-certificate must name its issuer by
 * authorityKeyIdentifier = a trusted signer's SKID and verify with that
 * signer's key, be valid now, carry certseal's succession EKU and no
 * encryption usage; the successor is the certificate in the file with the
 * same SKID and the same public key (or the cross-certificate itself).
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "enroll.h"
#include "source.h"
#include "succession.h"

#define MAX_HOPS	16	/* exchanges a client may have missed */

/* The certificate of `in` whose SKID is keyid, or NULL. */
static X509 *
by_skid(STACK_OF(X509) *in, const ASN1_OCTET_STRING *keyid)
{
	const ASN1_OCTET_STRING *skid;
	int i;

	if (keyid == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(in); i++) {
		skid = X509_get0_subject_key_id(sk_X509_value(in, i));
		if (skid != NULL && ASN1_OCTET_STRING_cmp(skid, keyid) == 0)
			return sk_X509_value(in, i);
	}
	return NULL;
}

static int
has_succession_eku(X509 *x)
{
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *want;
	int i, found = 0;

	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL,
	    NULL)) == NULL)
		return 0;
	if ((want = OBJ_txt2obj(CS_OID_SUCCESSION, 1)) != NULL)
		for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
			if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0)
				found = 1;
	ASN1_OBJECT_free(want);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return found;
}

/* The trusted certificate that issued cross-certificate x, or NULL. */
static X509 *
cross_issuer(X509 *x, STACK_OF(X509) *trusted)
{
	const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(x);
	uint32_t ku = X509_get_key_usage(x);
	X509 *t;
	EVP_PKEY *tk;

	if (!has_succession_eku(x) || (ku & KU_DIGITAL_SIGNATURE) == 0 ||
	    (ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT |
	    KU_KEY_AGREEMENT | KU_KEY_CERT_SIGN)) != 0 ||
	    X509_get0_subject_key_id(x) == NULL)
		return NULL;
	if ((t = by_skid(trusted, akid)) == NULL ||
	    X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(t)) != 0 ||
	    (tk = X509_get0_pubkey(t)) == NULL || X509_verify(x, tk) != 1)
		return NULL;
	if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		return NULL;
	return t;
}

/* The certificate of certs that x vouches for: same SKID and key. */
static X509 *
successor(X509 *x, STACK_OF(X509) *certs)
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(x);
	X509 *c;
	int i;

	for (i = 0; i < sk_X509_num(certs); i++) {
		c = sk_X509_value(certs, i);
		if (c != x && X509_get0_subject_key_id(c) != NULL &&
		    ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(c),
		    skid) == 0 && EVP_PKEY_eq(X509_get0_pubkey(c),
		    X509_get0_pubkey(x)) == 1)
			return c;
	}
	return x;
}

int
cs_succession_extend(certseal_ctx *ctx, CMS_ContentInfo *sd,
    X509 *key_cert, STACK_OF(X509) *trusted, struct cs_succession *out)
{
	STACK_OF(X509) *certs = NULL;
	X509 *x, *s;
	int i, hop, grew, r = 0;

	memset(out, 0, sizeof(*out));
	/* Turn-1 clients (a self-signed pair certificate) are left alone. */
	if (key_cert == NULL || X509_check_issued(key_cert, key_cert) ==
	    X509_V_OK)
		return 0;
	if ((certs = CMS_get1_certs(sd)) == NULL)
		return 0;
	for (hop = 0, grew = 1; grew && hop < MAX_HOPS; hop++) {
		grew = 0;
		for (i = 0; i < sk_X509_num(certs); i++) {
			x = sk_X509_value(certs, i);
			if (by_skid(trusted, X509_get0_subject_key_id(x)) !=
			    NULL || cross_issuer(x, trusted) == NULL)
				continue;
			s = successor(x, certs);
			if (out->added == NULL &&
			    (out->added = sk_X509_new_null()) == NULL) {
				r = cs_nomem(ctx);
				goto out;
			}
			if (cs_x509_push_ref(trusted, s) != 0 ||
			    cs_x509_push_ref(out->added, s) != 0) {
				r = cs_nomem(ctx);
				goto out;
			}
			grew = 1;
		}
	}
 out:
	ERR_clear_error();
	sk_X509_pop_free(certs, X509_free);
	return r;
}

void
cs_succession_persist(certseal_ctx *ctx, struct cs_source *src,
    const struct cs_succession *s, X509 *used)
{
	char *subj;
	int i, r, found = 0;

	if (s->added == NULL || src == NULL || used == NULL)
		return;
	for (i = 0; i < sk_X509_num(s->added); i++)
		if (X509_cmp(sk_X509_value(s->added, i), used) == 0)
			found = 1;
	if (!found)
		return;
	for (i = 0; i < sk_X509_num(s->added); i++) {
		X509 *x = sk_X509_value(s->added, i);

		r = cs_source_add_trusted_signer(src, x);
		subj = cs_name_text(X509_get_subject_name(x), 256);
		if (r == 0)
			cs_warn(ctx, "%s: now trusts the signer %s (certified "
			    "by the signer it trusted)",
			    cs_source_display_uri(src), subj != NULL ? subj :
			    "?");
		else if (r != CERTSEAL_E_UNSUPPORTED)
			cs_warn(ctx, "%s: cannot record the new signer %s: "
			    "%s", cs_source_display_uri(src),
			    subj != NULL ? subj : "?", ctx->errmsg);
		free(subj);
	}
	cs_error_clear(ctx);
}

void
cs_succession_release(struct cs_succession *s)
{
	sk_X509_pop_free(s->added, X509_free);
	s->added = NULL;
}
