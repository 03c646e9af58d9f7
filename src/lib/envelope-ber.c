/*
 * envelope-ber.c - a small BER reader for what OpenSSL's CMS API does not
 * expose: the policy walk (envelope-policy.c) and the counts that bound
 * the work of a parse (issue 19: a file with 160 000 SignerInfos or 32 000
 * originator certificates must be refused before OpenSSL builds them).
 *
 * BER, not only DER, because Bouncy Castle and `openssl cms -stream`
 * write indefinite lengths and constructed OCTET STRINGs (RFC 5652
 * allows both).  The reader never allocates; its only recursion is the
 * search for the end of an indefinite-length element, bounded by
 * CS_BER_MAX_DEPTH (OpenSSL's own nesting limit is 30).
 */
#include "config.h"

#include <string.h>

#include <openssl/asn1.h>

#include "internal.h"
#include "envelope-internal.h"

#define CS_BER_MAX_DEPTH	32

/*
 * The header at p: tag, length.  *lenp is -1 for an indefinite length
 * (only allowed on a constructed element, X.690 8.1.3.6).
 */
static int
ber_header(const unsigned char *p, const unsigned char *end,
    struct cs_ber *e, const unsigned char **bodyp, long *lenp)
{
	unsigned long tag, len;
	size_t n, k;

	if (p >= end)
		return -1;
	e->start = p;
	e->cls = *p & 0xc0;
	e->cons = (*p & 0x20) != 0;
	tag = *p & 0x1f;
	p++;
	if (tag == 0x1f) {
		/* High tag numbers: certseal needs none above 2^24. */
		for (tag = 0, k = 0; ; k++) {
			if (p >= end || k >= 3)
				return -1;
			tag = (tag << 7) | (*p & 0x7f);
			if ((*p++ & 0x80) == 0)
				break;
		}
	}
	e->tag = (int)tag;
	if (p >= end)
		return -1;
	if (*p < 0x80) {
		len = *p++;
	} else if (*p == 0x80) {
		p++;
		if (!e->cons)
			return -1;
		*bodyp = p;
		*lenp = -1;
		return 0;
	} else {
		n = *p++ & 0x7f;
		/* Four length bytes exceed any file certseal reads. */
		if (n > 4 || (size_t)(end - p) < n)
			return -1;
		for (len = 0, k = 0; k < n; k++)
			len = (len << 8) | *p++;
	}
	if (len > (unsigned long)(end - p))
		return -1;
	*bodyp = p;
	*lenp = (long)len;
	return 0;
}

/* The element at *pp, its end found through nested indefinite lengths. */
static int
ber_next_depth(const unsigned char **pp, const unsigned char *end,
    struct cs_ber *e, int depth)
{
	const unsigned char *body, *p;
	struct cs_ber child;
	long len;

	if (depth > CS_BER_MAX_DEPTH ||
	    ber_header(*pp, end, e, &body, &len) != 0)
		return -1;
	e->body = body;
	e->indef = len < 0;
	if (!e->indef) {
		e->end = body + len;
		*pp = e->end;
		return 0;
	}
	/* Children up to the end-of-contents octets 00 00. */
	for (p = body; ; ) {
		if (end - p >= 2 && p[0] == 0 && p[1] == 0) {
			e->end = p;
			*pp = p + 2;
			return 0;
		}
		if (ber_next_depth(&p, end, &child, depth + 1) != 0)
			return -1;
	}
}

int
cs_ber_next(const unsigned char **pp, const unsigned char *end,
    struct cs_ber *e)
{
	const unsigned char *p = *pp;

	memset(e, 0, sizeof(*e));
	/* An end-of-contents marker is not an element. */
	if (end - p >= 2 && p[0] == 0 && p[1] == 0)
		return -1;
	if (ber_next_depth(&p, end, e, 0) != 0)
		return -1;
	*pp = p;
	return 0;
}

int
cs_ber_is(const struct cs_ber *e, int cls, int tag, int cons)
{
	return e->cls == cls && e->tag == tag && e->cons == cons;
}

/*
 * The bytes of an OCTET STRING given primitive or constructed (segments
 * that are OCTET STRINGs themselves, X.690 8.7.3), into buf (at most max
 * bytes: only small values are read this way).  `tag` is the element's
 * expected tag (an IMPLICIT tag changes it), `cls` its class.
 */
static int
octets_depth(const struct cs_ber *e, unsigned char *buf, size_t max,
    size_t *lenp, int depth)
{
	const unsigned char *p;
	struct cs_ber seg;
	size_t n;

	if (!e->cons) {
		n = (size_t)(e->end - e->body);
		if (n > max - *lenp)
			return -1;
		memcpy(buf + *lenp, e->body, n);
		*lenp += n;
		return 0;
	}
	if (depth > CS_BER_MAX_DEPTH)
		return -1;
	for (p = e->body; p < e->end; ) {
		if (cs_ber_next(&p, e->end, &seg) != 0 ||
		    seg.cls != V_ASN1_UNIVERSAL ||
		    seg.tag != V_ASN1_OCTET_STRING ||
		    octets_depth(&seg, buf, max, lenp, depth + 1) != 0)
			return -1;
	}
	return 0;
}

int
cs_ber_octets(const struct cs_ber *e, int cls, int tag, unsigned char *buf,
    size_t max, size_t *lenp)
{
	*lenp = 0;
	if (e->cls != cls || e->tag != tag)
		return -1;
	return octets_depth(e, buf, max, lenp, 0);
}

int
cs_ber_count(const struct cs_ber *e, size_t max, size_t *np)
{
	const unsigned char *p;
	struct cs_ber child;
	size_t n = 0;

	*np = 0;
	if (!e->cons)
		return -1;
	for (p = e->body; p < e->end; n++) {
		if (n >= max) {
			*np = n + 1;	/* "more than max" */
			return 0;
		}
		if (cs_ber_next(&p, e->end, &child) != 0)
			return -1;
	}
	*np = n;
	return 0;
}

/*
 * OpenSSL's d2i collects the segments of a constructed string nested at
 * most this deep (ASN1_MAX_STRING_NEST in crypto/asn1/tasn_dec.c): the
 * same bound keeps refused what it refuses.
 */
#define CS_BER_MAX_STRING_NEST	5

static int
collect_depth(const struct cs_ber *e, unsigned char *dst, size_t *lenp,
    int depth)
{
	const unsigned char *p;
	struct cs_ber seg;
	size_t n;

	if (!e->cons) {
		n = (size_t)(e->end - e->body);
		if (dst != NULL)
			memmove(dst + *lenp, e->body, n);
		*lenp += n;
		return 0;
	}
	for (p = e->body; p < e->end; ) {
		if (cs_ber_next(&p, e->end, &seg) != 0 ||
		    seg.cls != V_ASN1_UNIVERSAL ||
		    seg.tag != V_ASN1_OCTET_STRING ||
		    (seg.cons && depth >= CS_BER_MAX_STRING_NEST) ||
		    collect_depth(&seg, dst, lenp, depth + 1) != 0)
			return -1;
	}
	return 0;
}

int
cs_ber_collect(const struct cs_ber *e, unsigned char *dst, size_t *lenp)
{
	*lenp = 0;
	return collect_depth(e, dst, lenp, 0);
}

int
cs_ber_step(const unsigned char **pp, const unsigned char *end,
    struct cs_ber *e, int cls, int tag, int cons)
{
	return cs_ber_next(pp, end, e) == 0 && cs_ber_is(e, cls, tag, cons) ?
	    0 : -1;
}

int
cs_ber_ci_open(const unsigned char *der, size_t len, struct cs_ber *type,
    struct cs_ber *body)
{
	const unsigned char *p = der, *end = der + len;
	struct cs_ber ci, expl;

	if (cs_ber_step(&p, end, &ci, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE,
	    1) != 0 || p != end)
		return -1;
	p = ci.body;
	if (cs_ber_step(&p, ci.end, type, V_ASN1_UNIVERSAL, V_ASN1_OBJECT,
	    0) != 0 || cs_ber_step(&p, ci.end, &expl,
	    V_ASN1_CONTEXT_SPECIFIC, 0, 1) != 0 || p != ci.end)
		return -1;
	p = expl.body;
	if (cs_ber_step(&p, expl.end, body, V_ASN1_UNIVERSAL,
	    V_ASN1_SEQUENCE, 1) != 0 || p != expl.end)
		return -1;
	return 0;
}

size_t
cs_ber_hdr_len(size_t len)
{
	size_t n = 1;

	if (len < 0x80)
		return 2;
	for (; len > 0; len >>= 8)
		n++;
	return n + 1;
}

unsigned char *
cs_ber_put_hdr(unsigned char *p, unsigned char tag, size_t len)
{
	size_t n = cs_ber_hdr_len(len) - 2, i;

	*p++ = tag;
	if (len < 0x80) {
		*p++ = (unsigned char)len;
		return p;
	}
	*p++ = (unsigned char)(0x80 | n);
	for (i = n; i > 0; i--)
		*p++ = (unsigned char)(len >> (8 * (i - 1)));
	return p;
}

unsigned char *
cs_ber_put(unsigned char *p, const unsigned char *from,
    const unsigned char *to)
{
	memcpy(p, from, (size_t)(to - from));
	return p + (to - from);
}

size_t
cs_ber_ci_len(size_t typelen, size_t bodylen)
{
	size_t seqlen = cs_ber_hdr_len(bodylen) + bodylen;
	size_t cilen = typelen + cs_ber_hdr_len(seqlen) + seqlen;

	return cs_ber_hdr_len(cilen) + cilen;
}

unsigned char *
cs_ber_put_ci(unsigned char *p, const unsigned char *type,
    const unsigned char *type_end, size_t bodylen)
{
	size_t typelen = (size_t)(type_end - type);
	size_t seqlen = cs_ber_hdr_len(bodylen) + bodylen;

	p = cs_ber_put_hdr(p, 0x30, typelen + cs_ber_hdr_len(seqlen) +
	    seqlen);
	p = cs_ber_put(p, type, type_end);
	p = cs_ber_put_hdr(p, 0xa0, seqlen);
	return cs_ber_put_hdr(p, 0x30, bodylen);
}
