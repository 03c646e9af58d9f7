/*
 * envelope-detach.c - the decrypted SignedData without its content, for
 * OpenSSL to parse, and the content where it lies.
 *
 * Why: d2i_CMS_ContentInfo copies the eContent OCTET STRING out of the
 * buffer it parses (64 MiB, 16 000 page faults for a 64 MiB
 * configuration, bench/ANALYSIS.md).  The eContent is OPTIONAL (RFC 5652
 * 5.2: a detached signature), and a SignedData verifies the same over the
 * same bytes given to CMS_dataInit as icont: so OpenSSL parses the
 * SignedData with the eContent cut out (every other element byte for
 * byte, under new definite-length headers), and the content is read
 * from certseal's own buffer, a constructed (BER) one collected in place
 * first.
 *
 * Only a shape this walk reads exactly is cut; anything else (-1) is
 * parsed whole by OpenSSL as before, so what is accepted as a SignedData
 * does not change: the cut copy parses whenever the whole did (what is
 * dropped is OPTIONAL), and the content's segments are checked as
 * OpenSSL's d2i checks them, or more strictly (then the whole is
 * parsed).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

#include "internal.h"
#include "envelope-internal.h"

#define UNIV		V_ASN1_UNIVERSAL
#define CTX		V_ASN1_CONTEXT_SPECIFIC

/* 1.2.840.113549.1.7.2, as its element (OIDs have one encoding). */
static const unsigned char oid_signed[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
};

/* The pieces of a SignedData ContentInfo the cut copy is made from. */
struct sd_layout {
	const unsigned char	*type, *type_end;	/* contentType */
	const unsigned char	*head, *head_end;	/* version, digests */
	const unsigned char	*ctype, *ctype_end;	/* eContentType */
	const unsigned char	*rest, *rest_end;	/* certificates on */
};

/*
 * EncapsulatedContentInfo ::= SEQUENCE { eContentType, eContent [0]
 * EXPLICIT OCTET STRING OPTIONAL }
 */
static int
read_encap(const struct cs_ber *encap, struct sd_layout *l,
    struct cs_detached *out)
{
	const unsigned char *q = encap->body, *r;
	struct cs_ber type, expl;

	l->ctype = q;
	if (!cs_ber_is(encap, UNIV, V_ASN1_SEQUENCE, 1) ||
	    cs_ber_next(&q, encap->end, &type) != 0 ||
	    !cs_ber_is(&type, UNIV, V_ASN1_OBJECT, 0))
		return -1;
	l->ctype_end = q;
	if (q == encap->end)
		return 0;	/* detached already */
	if (cs_ber_next(&q, encap->end, &expl) != 0 ||
	    !cs_ber_is(&expl, CTX, 0, 1) || q != encap->end)
		return -1;
	r = expl.body;
	if (cs_ber_next(&r, expl.end, &out->content) != 0 ||
	    out->content.cls != UNIV ||
	    out->content.tag != V_ASN1_OCTET_STRING || r != expl.end ||
	    cs_ber_collect(&out->content, NULL, &out->content_len) != 0)
		return -1;
	out->has_content = 1;
	return 0;
}

/*
 * ContentInfo { signedData, [0] SignedData { version, digestAlgorithms,
 * encapContentInfo, ... } }, nothing after any of them.
 */
static int
read_signed(const unsigned char *der, long len, struct sd_layout *l,
    struct cs_detached *out)
{
	const unsigned char *q;
	struct cs_ber type, sd, el;

	if (len < 0 || cs_ber_ci_open(der, (size_t)len, &type, &sd) != 0 ||
	    (size_t)(type.end - type.start) != sizeof(oid_signed) ||
	    memcmp(type.start, oid_signed, sizeof(oid_signed)) != 0)
		return -1;
	l->type = type.start;
	l->type_end = type.end;
	q = l->head = sd.body;
	if (cs_ber_next(&q, sd.end, &el) != 0 ||
	    !cs_ber_is(&el, UNIV, V_ASN1_INTEGER, 0) ||
	    cs_ber_next(&q, sd.end, &el) != 0 ||
	    !cs_ber_is(&el, UNIV, V_ASN1_SET, 1))
		return -1;
	l->head_end = q;
	if (cs_ber_next(&q, sd.end, &el) != 0 || read_encap(&el, l, out) != 0)
		return -1;
	l->rest = q;
	l->rest_end = sd.end;
	return 0;
}

/* The ContentInfo of l with an encapContentInfo of eContentType only. */
static int
build(const struct sd_layout *l, struct cs_detached *out)
{
	size_t typelen, encaplen, sdlen, total;
	unsigned char *w;

	typelen = (size_t)(l->ctype_end - l->ctype);
	encaplen = cs_ber_hdr_len(typelen) + typelen;
	sdlen = (size_t)(l->head_end - l->head) + encaplen +
	    (size_t)(l->rest_end - l->rest);
	total = cs_ber_ci_len((size_t)(l->type_end - l->type), sdlen);
	if (total > LONG_MAX)
		return -1;
	if ((out->der = malloc(total)) == NULL)
		return -2;
	w = cs_ber_put_ci(out->der, l->type, l->type_end, sdlen);
	w = cs_ber_put(w, l->head, l->head_end);
	w = cs_ber_put_hdr(w, 0x30, typelen);
	w = cs_ber_put(w, l->ctype, l->ctype_end);
	(void)cs_ber_put(w, l->rest, l->rest_end);
	out->len = (long)total;
	return 0;
}

int
cs_signed_detach(const unsigned char *der, long len, struct cs_detached *out)
{
	struct sd_layout l;

	memset(out, 0, sizeof(*out));
	if (read_signed(der, len, &l, out) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return build(&l, out);
}

void
cs_detached_release(struct cs_detached *d)
{
	free(d->der);
	memset(d, 0, sizeof(*d));
}
