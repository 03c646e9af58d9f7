/*
 * envelope-limits.c - what a CMS structure may carry before OpenSSL is
 * asked to parse it, and the one well-formed structure OpenSSL 3.0
 * cannot parse (AuthEnvelopedData with authAttrs).
 *
 * Why on the encoding: d2i builds every certificate and SignerInfo it
 * finds (32 000 originator certificates cost 7 s and 160 MB), and
 * matching signers to certificates costs their product; counting
 * elements costs a walk over their headers.
 */
#include "config.h"

#include <string.h>

#include <openssl/asn1.h>

#include "internal.h"
#include "envelope-internal.h"

/* 1.2.840.113549.1.7.2 / .3 and 1.2.840.113549.1.9.16.1.23 */
static const unsigned char oid_signed[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
};
static const unsigned char oid_enveloped[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03
};
static const unsigned char oid_auth_enveloped[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17
};

enum ci_kind { CI_OTHER, CI_SIGNED, CI_ENVELOPED, CI_AUTH_ENVELOPED };

static int
oid_is(const struct cs_ber *e, const unsigned char *oid, size_t len)
{
	return cs_ber_is(e, V_ASN1_UNIVERSAL, V_ASN1_OBJECT, 0) &&
	    (size_t)(e->end - e->body) == len &&
	    memcmp(e->body, oid, len) == 0;
}

/*
 * Opens ContentInfo { contentType, [0] EXPLICIT SEQUENCE {...} } and
 * returns its kind with *inner the SEQUENCE inside [0]; -1 when it is not
 * a ContentInfo with content.
 */
static int
open_content_info(const unsigned char *der, long len, struct cs_ber *inner,
    enum ci_kind *kind)
{
	const unsigned char *p = der, *q;
	struct cs_ber ci, type, expl;

	if (len <= 0 || cs_ber_next(&p, der + len, &ci) != 0 ||
	    !cs_ber_is(&ci, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1))
		return -1;
	q = ci.body;
	if (cs_ber_next(&q, ci.end, &type) != 0 ||
	    cs_ber_next(&q, ci.end, &expl) != 0 ||
	    !cs_ber_is(&expl, V_ASN1_CONTEXT_SPECIFIC, 0, 1))
		return -1;
	q = expl.body;
	if (cs_ber_next(&q, expl.end, inner) != 0 ||
	    !cs_ber_is(inner, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1))
		return -1;
	if (oid_is(&type, oid_signed, sizeof(oid_signed)))
		*kind = CI_SIGNED;
	else if (oid_is(&type, oid_enveloped, sizeof(oid_enveloped)))
		*kind = CI_ENVELOPED;
	else if (oid_is(&type, oid_auth_enveloped,
	    sizeof(oid_auth_enveloped)))
		*kind = CI_AUTH_ENVELOPED;
	else
		*kind = CI_OTHER;
	return 0;
}

static int
over(certseal_ctx *ctx, const struct cs_ber *e, size_t max,
    const char *name, const char *what, const char *elements)
{
	size_t n = 0;

	if (cs_ber_count(e, max, &n) != 0 || n <= max)
		return 0;
	return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the %s carries more "
	    "than %zu %s; refused before any work (a sealed file has a "
	    "handful)", name, what, max, elements);
}

/* OriginatorInfo ::= SEQUENCE { [0] certs OPTIONAL, [1] crls OPTIONAL } */
static int
check_originator(certseal_ctx *ctx, const struct cs_ber *orig,
    const char *name, const char *what)
{
	const unsigned char *p = orig->body;
	struct cs_ber e;
	int r;

	while (p < orig->end && cs_ber_next(&p, orig->end, &e) == 0) {
		if (e.cls != V_ASN1_CONTEXT_SPECIFIC || !e.cons)
			continue;
		if ((r = over(ctx, &e, CS_MAX_ORIGINATOR_CERTS, name, what,
		    e.tag == 0 ? "originator certificates" :
		    "originator CRLs")) != 0)
			return r;
	}
	return 0;
}

/*
 * SignedData ::= SEQUENCE { version, digestAlgorithms SET,
 *   encapContentInfo, [0] certificates OPTIONAL, [1] crls OPTIONAL,
 *   signerInfos SET }
 */
static int
check_signed(certseal_ctx *ctx, const struct cs_ber *sd, const char *name,
    const char *what)
{
	const unsigned char *p = sd->body;
	struct cs_ber e;
	int i, r;

	for (i = 0; p < sd->end && cs_ber_next(&p, sd->end, &e) == 0; i++) {
		if (i == 1 || cs_ber_is(&e, V_ASN1_UNIVERSAL, V_ASN1_SET, 1))
			r = over(ctx, &e, CS_MAX_SIGNER_INFOS, name, what,
			    i == 1 ? "digest algorithms" : "SignerInfos");
		else if (e.cls == V_ASN1_CONTEXT_SPECIFIC && e.cons)
			r = over(ctx, &e, CS_MAX_CMS_CERTS, name, what,
			    e.tag == 0 ? "certificates" : "CRLs");
		else
			r = 0;
		if (r != 0)
			return r;
	}
	return 0;
}

/*
 * KeyAgreeRecipientInfo ::= SEQUENCE { version, originator [0],
 *   ukm [1] OPTIONAL, keyEncryptionAlgorithm, recipientEncryptedKeys }:
 * how many keys it names (at most max + 1; 1 when it is not well formed,
 * which the recipient reader refuses).
 */
static size_t
kari_keys(const struct cs_ber *kari, size_t max)
{
	const unsigned char *p = kari->body;
	struct cs_ber e;
	size_t n = 1;
	int i;

	for (i = 0; p < kari->end && cs_ber_next(&p, kari->end, &e) == 0;
	    i++) {
		if (cs_ber_is(&e, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1) &&
		    p == kari->end && i >= 3) {
			if (cs_ber_count(&e, max, &n) != 0 || n == 0)
				n = 1;
			break;
		}
	}
	return n;
}

/*
 * Every recipient identifier is built before one is chosen (the walk in
 * envelope-recipients.c, or d2i for inspect): 2 million tiny
 * issuer-and-serial keys in one KARI cost 700 MB.  The identifiers of
 * recipientInfos are counted first: one per RecipientInfo, one per key of
 * a KARI.
 */
static int
check_recipients(certseal_ctx *ctx, const struct cs_ber *set,
    const char *name, const char *what)
{
	const unsigned char *p = set->body;
	struct cs_ber e;
	size_t n = 0;

	while (p < set->end && n <= CS_MAX_RECIPIENT_IDS &&
	    cs_ber_next(&p, set->end, &e) == 0)
		n += cs_ber_is(&e, V_ASN1_CONTEXT_SPECIFIC, 1, 1) ?
		    kari_keys(&e, CS_MAX_RECIPIENT_IDS) : 1;
	if (n <= CS_MAX_RECIPIENT_IDS)
		return 0;
	return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the %s names more "
	    "than %d recipient keys; refused before any work", name, what,
	    CS_MAX_RECIPIENT_IDS);
}

int
cs_cms_check_counts(certseal_ctx *ctx, const unsigned char *der, long len,
    const char *name, const char *what)
{
	const unsigned char *p;
	struct cs_ber inner, ver, e;
	enum ci_kind kind;
	int r;

	if (open_content_info(der, len, &inner, &kind) != 0)
		return 0;
	if (kind == CI_SIGNED)
		return check_signed(ctx, &inner, name, what);
	if (kind != CI_ENVELOPED && kind != CI_AUTH_ENVELOPED)
		return 0;
	p = inner.body;
	if (cs_ber_next(&p, inner.end, &ver) != 0 ||
	    cs_ber_next(&p, inner.end, &e) != 0)
		return 0;
	if (cs_ber_is(&e, V_ASN1_CONTEXT_SPECIFIC, 0, 1)) {
		if ((r = check_originator(ctx, &e, name, what)) != 0)
			return r;
		if (cs_ber_next(&p, inner.end, &e) != 0)
			return 0;
	}
	if (!cs_ber_is(&e, V_ASN1_UNIVERSAL, V_ASN1_SET, 1))
		return 0;
	return check_recipients(ctx, &e, name, what);
}

/* SET SIZE (1..MAX) OF Attribute { attrType OID, attrValues SET } */
static int
attributes_well_formed(const struct cs_ber *set)
{
	const unsigned char *p = set->body, *q;
	struct cs_ber attr, e;
	int n = 0;

	for (; p < set->end; n++) {
		if (cs_ber_next(&p, set->end, &attr) != 0 ||
		    !cs_ber_is(&attr, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1))
			return 0;
		q = attr.body;
		if (cs_ber_next(&q, attr.end, &e) != 0 ||
		    !cs_ber_is(&e, V_ASN1_UNIVERSAL, V_ASN1_OBJECT, 0) ||
		    cs_ber_next(&q, attr.end, &e) != 0 ||
		    !cs_ber_is(&e, V_ASN1_UNIVERSAL, V_ASN1_SET, 1) ||
		    q != attr.end)
			return 0;
	}
	return n > 0;
}

/*
 * AuthEnvelopedData ::= SEQUENCE { version, [0] originatorInfo OPTIONAL,
 *   recipientInfos SET, authEncryptedContentInfo SEQUENCE,
 *   [1] IMPLICIT authAttrs OPTIONAL, mac OCTET STRING,
 *   [2] IMPLICIT unauthAttrs OPTIONAL }
 * Every element must be where RFC 5083 puts it, so that a damaged file
 * is still called damaged.
 */
int
cs_cms_has_auth_attrs(const unsigned char *der, long len)
{
	const unsigned char *p;
	struct cs_ber inner, e;
	enum ci_kind kind;
	unsigned char mac[16];
	size_t maclen;

	if (open_content_info(der, len, &inner, &kind) != 0 ||
	    kind != CI_AUTH_ENVELOPED)
		return 0;
	p = inner.body;
	if (cs_ber_next(&p, inner.end, &e) != 0 ||
	    !cs_ber_is(&e, V_ASN1_UNIVERSAL, V_ASN1_INTEGER, 0) ||
	    cs_ber_next(&p, inner.end, &e) != 0)
		return 0;
	if (cs_ber_is(&e, V_ASN1_CONTEXT_SPECIFIC, 0, 1) &&
	    cs_ber_next(&p, inner.end, &e) != 0)
		return 0;
	if (!cs_ber_is(&e, V_ASN1_UNIVERSAL, V_ASN1_SET, 1) ||
	    cs_ber_next(&p, inner.end, &e) != 0 ||
	    !cs_ber_is(&e, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1) ||
	    cs_ber_next(&p, inner.end, &e) != 0 ||
	    !cs_ber_is(&e, V_ASN1_CONTEXT_SPECIFIC, 1, 1) ||
	    !attributes_well_formed(&e) ||
	    cs_ber_next(&p, inner.end, &e) != 0 ||
	    cs_ber_octets(&e, V_ASN1_UNIVERSAL, V_ASN1_OCTET_STRING, mac,
	    sizeof(mac), &maclen) != 0 || maclen < 12)
		return 0;
	if (p < inner.end && (cs_ber_next(&p, inner.end, &e) != 0 ||
	    !cs_ber_is(&e, V_ASN1_CONTEXT_SPECIFIC, 2, 1)))
		return 0;
	return p == inner.end;
}
