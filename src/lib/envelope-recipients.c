/*
 * envelope-recipients.c - the RecipientInfos of a sealed file read from
 * its encoding, and a copy of the file that keeps only one of them.
 *
 * Why: d2i_CMS_ContentInfo builds every RecipientInfo, and a file sealed
 * to 10 000 enrolled clients carries 10 000 of them (4.8 MB of DER) of
 * which a client uses one.  The identifiers and algorithms the policy and
 * the sources need are read here with the BER walker (envelope-ber.c);
 * OpenSSL then parses a ContentInfo holding only the chosen recipient,
 * every other element copied byte for byte.  In an AuthEnvelopedData the
 * RecipientInfos are outside what the tag authenticates (RFC 5083), so
 * dropping the others changes nothing that is verified.
 *
 * Structure is checked as far as the walk reads (every field's tag, and
 * nothing left over); recipients that are not chosen are not parsed by
 * OpenSSL, so damage deeper inside them (say a certificate's name in an
 * issuerAndSerialNumber that is not looked up) goes unnoticed, as a
 * changed encrypted key of another recipient always did.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/x509.h>

#include "internal.h"
#include "envelope-internal.h"

#define UNIV		V_ASN1_UNIVERSAL
#define CTX		V_ASN1_CONTEXT_SPECIFIC

/* The element at *pp: e, and [*startp, *pp) its whole encoding. */
static int
next(const unsigned char **pp, const unsigned char *end, struct cs_ber *e,
    const unsigned char **startp)
{
	if (startp != NULL)
		*startp = *pp;
	return cs_ber_next(pp, end, e);
}

static int
is_octets(const struct cs_ber *e, int cls, int tag)
{
	return e->cls == cls && e->tag == tag;
}

static int
add_rid(struct cs_raw_recipients *raw, size_t *cap, struct cs_raw_rid **out)
{
	struct cs_raw_rid *grown;

	if (raw->nrids == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		if ((grown = realloc(raw->rids, *cap * sizeof(*grown))) ==
		    NULL)
			return -2;
		raw->rids = grown;
	}
	*out = &raw->rids[raw->nrids++];
	memset(*out, 0, sizeof(**out));
	(*out)->ri = raw->n;
	return 0;
}

/* A subjectKeyIdentifier given as e (IMPLICIT [0], or an OCTET STRING). */
static int
read_skid(const struct cs_ber *e, int cls, int tag, struct cs_raw_rid *rid)
{
	size_t max = (size_t)(e->end - e->body), len = 0;

	if (!is_octets(e, cls, tag))
		return -1;
	rid->skid.type = V_ASN1_OCTET_STRING;
	if (!e->cons) {
		rid->skid.data = (unsigned char *)e->body;
		rid->skid.length = (int)max;
		return 0;
	}
	/* Constructed (BER): its segments, joined. */
	if ((rid->skid_owned = malloc(max + 1)) == NULL)
		return -2;
	if (cs_ber_octets(e, cls, tag, rid->skid_owned, max, &len) != 0)
		return -1;
	rid->skid.data = rid->skid_owned;
	rid->skid.length = (int)len;
	return 0;
}

/* IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber } */
static int
read_isn(const struct cs_ber *e, struct cs_raw_rid *rid)
{
	const unsigned char *p = e->body, *s, *q;
	struct cs_ber name, serial;

	if (!cs_ber_is(e, UNIV, V_ASN1_SEQUENCE, 1) ||
	    next(&p, e->end, &name, &s) != 0 ||
	    !cs_ber_is(&name, UNIV, V_ASN1_SEQUENCE, 1))
		return -1;
	q = s;
	if ((rid->issuer = d2i_X509_NAME(NULL, &q, p - s)) == NULL ||
	    q != p)
		return -1;
	if (next(&p, e->end, &serial, &s) != 0 ||
	    !cs_ber_is(&serial, UNIV, V_ASN1_INTEGER, 0) || p != e->end)
		return -1;
	q = s;
	if ((rid->serial = d2i_ASN1_INTEGER(NULL, &q, p - s)) == NULL ||
	    q != p)
		return -1;
	return 0;
}

/*
 * KeyTransRecipientInfo ::= SEQUENCE { version, rid, keyEncryptionAlgorithm,
 *   encryptedKey OCTET STRING }, rid: issuerAndSerialNumber or [0] SKID.
 */
static int
read_ktri(struct cs_raw_recipients *raw, size_t *cap, struct cs_raw_ri *ri,
    const struct cs_ber *e)
{
	const unsigned char *p = e->body, *s;
	struct cs_ber ver, id, alg, ek;
	struct cs_raw_rid *rid;
	int r;

	ri->type = CMS_RECIPINFO_TRANS;
	if (next(&p, e->end, &ver, NULL) != 0 ||
	    !cs_ber_is(&ver, UNIV, V_ASN1_INTEGER, 0) ||
	    next(&p, e->end, &id, NULL) != 0)
		return -1;
	if ((r = add_rid(raw, cap, &rid)) != 0)
		return r;
	if (id.cls == CTX) {
		if ((r = read_skid(&id, CTX, 0, rid)) != 0)
			return r;
	} else if ((r = read_isn(&id, rid)) != 0)
		return r;
	if (next(&p, e->end, &alg, &s) != 0 ||
	    !cs_ber_is(&alg, UNIV, V_ASN1_SEQUENCE, 1))
		return -1;
	ri->alg = s;
	ri->alg_len = p - s;
	if (next(&p, e->end, &ek, NULL) != 0 ||
	    !is_octets(&ek, UNIV, V_ASN1_OCTET_STRING))
		return -1;
	return p == e->end ? 0 : -1;
}

/*
 * RecipientEncryptedKey ::= SEQUENCE { rid, encryptedKey OCTET STRING },
 * rid: issuerAndSerialNumber or [0] IMPLICIT RecipientKeyIdentifier {
 * subjectKeyIdentifier, date GeneralizedTime OPTIONAL, other OPTIONAL }.
 */
static int
read_rek(struct cs_raw_recipients *raw, size_t *cap, const struct cs_ber *e)
{
	const unsigned char *p = e->body, *q;
	struct cs_ber id, skid, opt, ek;
	struct cs_raw_rid *rid;
	int r;

	if (!cs_ber_is(e, UNIV, V_ASN1_SEQUENCE, 1) ||
	    next(&p, e->end, &id, NULL) != 0)
		return -1;
	if ((r = add_rid(raw, cap, &rid)) != 0)
		return r;
	if (cs_ber_is(&id, CTX, 0, 1)) {
		q = id.body;
		if (next(&q, id.end, &skid, NULL) != 0 ||
		    (r = read_skid(&skid, UNIV, V_ASN1_OCTET_STRING,
		    rid)) != 0)
			return r != 0 ? r : -1;
		if (q < id.end && (next(&q, id.end, &opt, NULL) != 0 ||
		    (!cs_ber_is(&opt, UNIV, V_ASN1_GENERALIZEDTIME, 0) &&
		    !cs_ber_is(&opt, UNIV, V_ASN1_SEQUENCE, 1))))
			return -1;
		if (q < id.end && cs_ber_is(&opt, UNIV,
		    V_ASN1_GENERALIZEDTIME, 0) && (next(&q, id.end, &opt,
		    NULL) != 0 || !cs_ber_is(&opt, UNIV, V_ASN1_SEQUENCE, 1)))
			return -1;
		if (q != id.end)
			return -1;
	} else if ((r = read_isn(&id, rid)) != 0)
		return r;
	if (next(&p, e->end, &ek, NULL) != 0 ||
	    !is_octets(&ek, UNIV, V_ASN1_OCTET_STRING))
		return -1;
	return p == e->end ? 0 : -1;
}

/*
 * KeyAgreeRecipientInfo ::= [1] SEQUENCE { version, originator [0],
 *   ukm [1] OPTIONAL, keyEncryptionAlgorithm, recipientEncryptedKeys }
 */
static int
read_kari(struct cs_raw_recipients *raw, size_t *cap, struct cs_raw_ri *ri,
    const struct cs_ber *e)
{
	const unsigned char *p = e->body, *s, *q;
	struct cs_ber ver, orig, el, reks, rek;
	int r;

	ri->type = CMS_RECIPINFO_AGREE;
	if (next(&p, e->end, &ver, NULL) != 0 ||
	    !cs_ber_is(&ver, UNIV, V_ASN1_INTEGER, 0) ||
	    next(&p, e->end, &orig, NULL) != 0 ||
	    !cs_ber_is(&orig, CTX, 0, 1) ||
	    next(&p, e->end, &el, &s) != 0)
		return -1;
	if (cs_ber_is(&el, CTX, 1, 1) && next(&p, e->end, &el, &s) != 0)
		return -1;
	if (!cs_ber_is(&el, UNIV, V_ASN1_SEQUENCE, 1))
		return -1;
	ri->alg = s;
	ri->alg_len = p - s;
	if (next(&p, e->end, &reks, NULL) != 0 ||
	    !cs_ber_is(&reks, UNIV, V_ASN1_SEQUENCE, 1) || p != e->end)
		return -1;
	for (q = reks.body; q < reks.end; ) {
		if (next(&q, reks.end, &rek, NULL) != 0)
			return -1;
		if ((r = read_rek(raw, cap, &rek)) != 0)
			return r;
	}
	return 0;
}

/* One RecipientInfo: its CHOICE is told by the tag (RFC 5652 6.2). */
static int
read_ri(struct cs_raw_recipients *raw, size_t *cap, struct cs_raw_ri *ri,
    const struct cs_ber *e)
{
	if (cs_ber_is(e, UNIV, V_ASN1_SEQUENCE, 1))
		return read_ktri(raw, cap, ri, e);
	if (e->cls != CTX || !e->cons)
		return -1;
	switch (e->tag) {
	case 1:
		return read_kari(raw, cap, ri, e);
	case 2:
		ri->type = CMS_RECIPINFO_KEK;
		return 0;
	case 3:
		ri->type = CMS_RECIPINFO_PASS;
		return 0;
	case 4:
		ri->type = CMS_RECIPINFO_OTHER;
		return 0;
	default:
		return -1;
	}
}

/*
 * EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm,
 *   encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }: raw->eci is the
 * first two, raw->content the third, its segments checked.
 */
static int
read_eci(const unsigned char **pp, const unsigned char *end,
    struct cs_raw_recipients *raw)
{
	const unsigned char *q;
	struct cs_ber eci, el;

	if (next(pp, end, &eci, NULL) != 0 ||
	    !cs_ber_is(&eci, UNIV, V_ASN1_SEQUENCE, 1))
		return -1;
	q = raw->eci = eci.body;
	if (next(&q, eci.end, &el, NULL) != 0 ||
	    !cs_ber_is(&el, UNIV, V_ASN1_OBJECT, 0) ||
	    next(&q, eci.end, &el, NULL) != 0 ||
	    !cs_ber_is(&el, UNIV, V_ASN1_SEQUENCE, 1))
		return -1;
	raw->eci_end = q;
	if (q == eci.end)
		return 0;	/* detached: no encryptedContent */
	if (next(&q, eci.end, &raw->content, NULL) != 0 ||
	    !is_octets(&raw->content, CTX, 0) || q != eci.end ||
	    cs_ber_collect(&raw->content, NULL, &raw->content_len) != 0)
		return -1;
	raw->has_content = 1;
	return 0;
}

/*
 * ContentInfo { contentType, [0] { SEQUENCE { version, [0] originatorInfo
 * OPTIONAL, recipientInfos SET, encryptedContentInfo, ... } } }, and
 * nothing after any of them: *set is recipientInfos, and raw's layout is
 * filled.
 */
static int
open_envelope(const struct cs_der *der, struct cs_raw_recipients *raw,
    struct cs_ber *set)
{
	const unsigned char *q, *s;
	struct cs_ber type, env, el;

	if (cs_ber_ci_open(der->p, der->len, &type, &env) != 0)
		return -1;
	raw->type = type.start;
	raw->type_end = type.end;
	q = env.body;
	raw->head = q;
	if (next(&q, env.end, &el, NULL) != 0 ||
	    next(&q, env.end, &el, &s) != 0)
		return -1;
	if (cs_ber_is(&el, CTX, 0, 1) && next(&q, env.end, &el, &s) != 0)
		return -1;
	if (!cs_ber_is(&el, UNIV, V_ASN1_SET, 1))
		return -1;
	raw->head_end = s;
	if (read_eci(&q, env.end, raw) != 0)
		return -1;
	raw->rest = q;
	raw->rest_end = env.end;
	*set = el;
	return 0;
}

/* The identifiers point into rids[]: set once it stops moving. */
static void
link_ids(struct cs_raw_recipients *raw)
{
	struct cs_raw_rid *rid;
	size_t i;

	for (i = 0; i < raw->nrids; i++) {
		rid = &raw->rids[i];
		rid->id.keyid = rid->skid.data != NULL ? &rid->skid : NULL;
		rid->id.issuer = rid->issuer;
		rid->id.serial = rid->serial;
	}
}

int
cs_raw_recipients_read(const struct cs_der *der,
    struct cs_raw_recipients *raw)
{
	const unsigned char *p;
	struct cs_ber set, e;
	struct cs_raw_ri *ri, *grown;
	size_t n = 0, cap = 0;
	int r;

	memset(raw, 0, sizeof(*raw));
	if (open_envelope(der, raw, &set) != 0)
		return -1;
	for (p = set.body; p < set.end; raw->n++) {
		if (raw->n == n) {
			n = n == 0 ? 16 : n * 2;
			if ((grown = realloc(raw->ris, n *
			    sizeof(*grown))) == NULL)
				return -2;
			raw->ris = grown;
		}
		ri = &raw->ris[raw->n];
		memset(ri, 0, sizeof(*ri));
		if (next(&p, set.end, &e, &ri->start) != 0)
			return -1;
		ri->end = p;
		if ((r = read_ri(raw, &cap, ri, &e)) != 0) {
			link_ids(raw);
			return r;
		}
	}
	link_ids(raw);
	return 0;
}

void
cs_raw_recipients_release(struct cs_raw_recipients *raw)
{
	size_t i;

	for (i = 0; i < raw->nrids; i++) {
		free(raw->rids[i].skid_owned);
		X509_NAME_free(raw->rids[i].issuer);
		ASN1_INTEGER_free(raw->rids[i].serial);
	}
	free(raw->rids);
	free(raw->ris);
	memset(raw, 0, sizeof(*raw));
}

int
cs_raw_reduce(const struct cs_raw_recipients *raw, size_t keep,
    unsigned char **outp, long *lenp)
{
	static const unsigned char empty[] = { 0x80, 0x00 };
	const struct cs_raw_ri *ri = &raw->ris[keep];
	size_t rilen, setlen, ecilen, envlen, total;
	unsigned char *buf, *w;

	*outp = NULL;
	*lenp = 0;
	rilen = (size_t)(ri->end - ri->start);
	setlen = cs_ber_hdr_len(rilen) + rilen;
	/*
	 * An empty encryptedContent stands for the one cut out: CMS_decrypt
	 * wants one present (check_content in crypto/cms/cms_smime.c),
	 * though CMS_dataInit with an icont never reads it.  A file without
	 * one stays without.
	 */
	ecilen = (size_t)(raw->eci_end - raw->eci) +
	    (raw->has_content ? 2 : 0);
	envlen = (size_t)(raw->head_end - raw->head) + setlen +
	    cs_ber_hdr_len(ecilen) + ecilen +
	    (size_t)(raw->rest_end - raw->rest);
	total = cs_ber_ci_len((size_t)(raw->type_end - raw->type), envlen);
	if (total > LONG_MAX)
		return -1;
	if ((buf = malloc(total)) == NULL)
		return -2;
	w = cs_ber_put_ci(buf, raw->type, raw->type_end, envlen);
	w = cs_ber_put(w, raw->head, raw->head_end);
	w = cs_ber_put_hdr(w, 0x31, rilen);
	w = cs_ber_put(w, ri->start, ri->end);
	w = cs_ber_put_hdr(w, 0x30, ecilen);
	w = cs_ber_put(w, raw->eci, raw->eci_end);
	if (raw->has_content)
		w = cs_ber_put(w, empty, empty + 2);
	(void)cs_ber_put(w, raw->rest, raw->rest_end);
	*outp = buf;
	*lenp = (long)total;
	return 0;
}
