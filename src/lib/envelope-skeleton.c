/*
 * envelope-skeleton.c - a DER encoding with holes, so that a sealed file
 * of any size is written without ever being held whole (the large values
 * are streamed into the holes, envelope-seal.c).
 *
 * OpenSSL encodes each structure with its large values empty (the
 * configuration in the SignedData; the ciphertext and the tag in the
 * AuthEnvelopedData); the skeleton is that encoding with each empty value
 * made a hole of its final size: every length that encloses a hole is
 * rewritten, every other byte is OpenSSL's.  What OpenSSL wrote is DER,
 * so definite lengths only; the result is the DER OpenSSL would have
 * written with the values in place (test-envelope.c re-encodes files to
 * check it).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

#include "internal.h"
#include "envelope-internal.h"

/* Deeper than any structure certseal encodes (a hole is at depth 6). */
#define SKELETON_MAX_DEPTH	16

/* The identifier octets of e: one, or more for a high tag number. */
static size_t
id_len(const struct cs_ber *e)
{
	const unsigned char *p = e->start + 1;

	if ((e->start[0] & 0x1f) == 0x1f)
		while (p < e->body && (*p++ & 0x80) != 0)
			;
	return (size_t)(p - e->start);
}

static const struct cs_hole *
hole_of(const struct cs_ber *e, const struct cs_hole *holes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (holes[i].at == e->start)
			return &holes[i];
	return NULL;
}

/* 1 when a hole lies inside e's content. */
static int
encloses_hole(const struct cs_ber *e, const struct cs_hole *holes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (holes[i].at >= e->body && holes[i].at < e->end)
			return 1;
	return 0;
}

/* The content length of e once its holes are filled. */
static int
grown_len(const struct cs_ber *e, const struct cs_hole *holes, size_t n,
    int depth, size_t *lenp)
{
	const struct cs_hole *h;
	const unsigned char *p;
	struct cs_ber child;
	size_t sum = 0, len;

	if (depth > SKELETON_MAX_DEPTH || e->indef)
		return -1;
	if ((h = hole_of(e, holes, n)) != NULL) {
		/* A hole is an empty primitive value. */
		if (e->cons || e->end != e->body)
			return -1;
		*lenp = h->size;
		return 0;
	}
	if (!e->cons || !encloses_hole(e, holes, n)) {
		*lenp = (size_t)(e->end - e->body);
		return 0;
	}
	for (p = e->body; p < e->end; ) {
		if (cs_ber_next(&p, e->end, &child) != 0 ||
		    grown_len(&child, holes, n, depth + 1, &len) != 0)
			return -1;
		sum += id_len(&child) + cs_ber_hdr_len(len) - 1 + len;
	}
	*lenp = sum;
	return 0;
}

/*
 * e into o as the skeleton holds it; the offset of each hole's content
 * into sk->hole_at, in the order met (the order of the encoding).
 */
static unsigned char *
emit(const struct cs_ber *e, const struct cs_hole *holes, size_t n,
    int depth, unsigned char *o, struct cs_skeleton *sk, size_t *met)
{
	const unsigned char *p;
	struct cs_ber child;
	size_t idl = id_len(e), len;

	if (hole_of(e, holes, n) == NULL && (!e->cons ||
	    !encloses_hole(e, holes, n)))
		return cs_ber_put(o, e->start, e->end);
	if (grown_len(e, holes, n, depth, &len) != 0)
		return NULL;
	/* The identifier as it was, its last octet given as the "tag". */
	o = cs_ber_put(o, e->start, e->start + idl - 1);
	o = cs_ber_put_hdr(o, e->start[idl - 1], len);
	if (hole_of(e, holes, n) != NULL) {
		if (*met >= CS_SKELETON_MAX_HOLES)
			return NULL;
		sk->hole_at[(*met)++] = (size_t)(o - sk->bytes);
		return o;
	}
	for (p = e->body; p < e->end && o != NULL; ) {
		if (cs_ber_next(&p, e->end, &child) != 0)
			return NULL;
		o = emit(&child, holes, n, depth + 1, o, sk, met);
	}
	return o;
}

int
cs_skeleton_build(const unsigned char *der, size_t derlen,
    const struct cs_hole *holes, size_t nholes, struct cs_skeleton *sk)
{
	const unsigned char *p = der;
	struct cs_ber top;
	size_t len, total, holesum = 0, met = 0, i;
	unsigned char *end;
	int r = CERTSEAL_E_INTERNAL;

	memset(sk, 0, sizeof(*sk));
	if (nholes == 0 || nholes > CS_SKELETON_MAX_HOLES)
		goto out;
	for (i = 0; i < nholes; i++) {
		/* In the order of the encoding: the writer fills them so. */
		if (i > 0 && holes[i].at <= holes[i - 1].at)
			goto out;
		if (holes[i].size > CS_MAX_SEALED_SIZE)
			goto out;
		holesum += holes[i].size;
	}
	if (cs_ber_next(&p, der + derlen, &top) != 0 ||
	    p != der + derlen || grown_len(&top, holes, nholes, 0, &len) != 0)
		goto out;
	total = id_len(&top) + cs_ber_hdr_len(len) - 1 + len;
	if (total < holesum || (sk->bytes = malloc(total - holesum)) == NULL)
		goto out;
	sk->len = total - holesum;
	sk->total = total;
	if ((end = emit(&top, holes, nholes, 0, sk->bytes, sk, &met)) == NULL ||
	    met != nholes || (size_t)(end - sk->bytes) != sk->len)
		goto out;
	sk->nholes = nholes;
	r = 0; /* success */
 out:
	if (r != 0)
		cs_skeleton_release(sk);
	return r;
}

void
cs_skeleton_release(struct cs_skeleton *sk)
{
	free(sk->bytes);
	memset(sk, 0, sizeof(*sk));
}
