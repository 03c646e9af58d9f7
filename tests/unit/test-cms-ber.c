/*
 * test-cms-ber.c - the BER reader under the policy walk (envelope-ber.c),
 * the counts that bound a parse and the authAttrs recogniser
 * (envelope-limits.c), and the certificate index signers are matched
 * through (recipient-id.c).  Encodings are built here byte by byte, so
 * each row says exactly what it feeds.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "cu-run.h"
#include "envelope-internal.h"
#include "testutil.h"

/* ---- a tiny encoder --------------------------------------------------- */

struct buf {
	unsigned char	*p;
	size_t		 len;
};

static void
put(struct buf *b, const void *d, size_t n)
{
	if ((b->p = realloc(b->p, b->len + n + 1)) == NULL)
		abort();
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

/* tag, length (definite, or indefinite with EOC), body; body is freed. */
static struct buf
tlv(unsigned char tag, struct buf body, int indef)
{
	struct buf b = { NULL, 0 };
	unsigned char h[6];
	size_t n = 0;

	h[n++] = tag;
	if (indef)
		h[n++] = 0x80;
	else if (body.len < 0x80)
		h[n++] = (unsigned char)body.len;
	else if (body.len < 0x100) {
		h[n++] = 0x81;
		h[n++] = (unsigned char)body.len;
	} else if (body.len < 0x10000) {
		h[n++] = 0x82;
		h[n++] = (unsigned char)(body.len >> 8);
		h[n++] = (unsigned char)body.len;
	} else {
		h[n++] = 0x83;
		h[n++] = (unsigned char)(body.len >> 16);
		h[n++] = (unsigned char)(body.len >> 8);
		h[n++] = (unsigned char)body.len;
	}
	put(&b, h, n);
	if (body.len > 0)
		put(&b, body.p, body.len);
	if (indef)
		put(&b, "\0\0", 2);
	free(body.p);
	return b;
}

static struct buf
bytes(const void *d, size_t n)
{
	struct buf b = { NULL, 0 };

	put(&b, d, n);
	return b;
}

static struct buf
cat(struct buf a, struct buf b)
{
	put(&a, b.p, b.len);
	free(b.p);
	return a;
}

/* n copies of an empty SEQUENCE (stand-ins for SignerInfos, certs). */
static struct buf
empties(size_t n)
{
	struct buf b = { NULL, 2 * n };
	size_t i;

	if ((b.p = malloc(2 * n + 1)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(b.p + 2 * i, "\x30\x00", 2);
	return b;
}

static const unsigned char OID_SIGNED[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
    0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const unsigned char OID_ENVELOPED[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
    0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03 };
static const unsigned char OID_AUTH_ENV[] = { 0x06, 0x0b, 0x2a, 0x86, 0x48,
    0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17 };

static struct buf
content_info(const unsigned char *oid, size_t oidlen, struct buf inner,
    int indef)
{
	return tlv(0x30, cat(bytes(oid, oidlen), tlv(0xa0, tlv(0x30, inner,
	    indef), indef)), indef);
}

/* SignedData with the given counts. */
static struct buf
signed_data(size_t ndigests, size_t ncerts, size_t ncrls, size_t nsigners,
    int indef)
{
	struct buf sd = bytes("\x02\x01\x03", 3);

	sd = cat(sd, tlv(0x31, empties(ndigests), indef));
	sd = cat(sd, bytes("\x30\x0b\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07"
	    "\x01", 13));
	if (ncerts > 0)
		sd = cat(sd, tlv(0xa0, empties(ncerts), indef));
	if (ncrls > 0)
		sd = cat(sd, tlv(0xa1, empties(ncrls), indef));
	sd = cat(sd, tlv(0x31, empties(nsigners), indef));
	return content_info(OID_SIGNED, sizeof(OID_SIGNED), sd, indef);
}

/* (Auth)EnvelopedData whose OriginatorInfo has ncerts certificates. */
static struct buf
enveloped(const unsigned char *oid, size_t oidlen, size_t ncerts,
    size_t ncrls, int indef)
{
	struct buf e = bytes("\x02\x01\x00", 3), orig = { NULL, 0 };

	put(&orig, "", 0);
	if (ncerts > 0)
		orig = cat(orig, tlv(0xa0, empties(ncerts), indef));
	if (ncrls > 0)
		orig = cat(orig, tlv(0xa1, empties(ncrls), indef));
	e = cat(e, tlv(0xa0, orig, indef));
	e = cat(e, tlv(0x31, empties(1), indef));
	e = cat(e, bytes("\x30\x00\x04\x10" "0123456789abcdef", 20));
	return content_info(oid, oidlen, e, indef);
}

/* ---- the reader ------------------------------------------------------- */

static void
test_ber_next(void)
{
	static const struct {
		const char	*name;
		const char	*der;
		size_t		 len;
		int		 ok;
		int		 indef;
		size_t		 bodylen;
	} rows[] = {
		{ "definite", "\x30\x03\x02\x01\x05", 5, 1, 0, 3 },
		{ "indefinite", "\x30\x80\x02\x01\x05\x00\x00", 7, 1, 1, 3 },
		{ "nested indefinite", "\x30\x80\x30\x80\x00\x00\x00\x00", 8,
		    1, 1, 4 },
		{ "long form", "\x04\x81\x01\xaa", 4, 1, 0, 1 },
		{ "no end-of-contents", "\x30\x80\x02\x01\x05", 5, 0, 0, 0 },
		{ "primitive indefinite", "\x04\x80\x00\x00", 4, 0, 0, 0 },
		{ "five length bytes", "\x04\x85\x00\x00\x00\x00\x01\xaa", 8,
		    0, 0, 0 },
		{ "past the end", "\x30\x05\x02\x01", 4, 0, 0, 0 },
		{ "end-of-contents alone", "\x00\x00", 2, 0, 0, 0 },
		{ "header only", "\x30", 1, 0, 0, 0 },
		{ "high tag", "\xbf\x81\x00\x00", 4, 1, 0, 0 },
	};
	const unsigned char *p, *end;
	struct cs_ber e;
	size_t i;
	int r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		p = (const unsigned char *)rows[i].der;
		end = p + rows[i].len;
		r = cs_ber_next(&p, end, &e);
		if ((r == 0) != rows[i].ok)
			fprintf(stderr, "\n  row %s: got %d\n", rows[i].name,
			    r);
		CU_ASSERT_EQUAL(r == 0, rows[i].ok);
		if (r != 0 || !rows[i].ok)
			continue;
		CU_ASSERT(p == end);
		CU_ASSERT_EQUAL(e.indef, rows[i].indef);
		CU_ASSERT_EQUAL((size_t)(e.end - e.body), rows[i].bodylen);
	}
}

/* Indefinite lengths nested 32 deep are BER; 40 deep are refused. */
static void
test_ber_depth(void)
{
	const unsigned char *p;
	struct cs_ber e;
	struct buf b;
	int depth, i;

	for (depth = 30; depth <= 40; depth += 10) {
		b = bytes("\x05\x00", 2);
		for (i = 0; i < depth; i++)
			b = tlv(0x30, b, 1);
		p = b.p;
		CU_ASSERT_EQUAL(cs_ber_next(&p, b.p + b.len, &e) == 0,
		    depth == 30);
		free(b.p);
	}
}

/* An OCTET STRING encoding, whether it is taken, and its value. */
struct octets_case {
	const char	*name;
	const char	*der;
	size_t		 len;
	int		 ok;
	const char	*value;
	size_t		 vlen;
};

static void
test_ber_octets(void)
{
	static const struct octets_case rows[] = {
		{ "primitive", "\x04\x02\xaa\xbb", 4, 1, "\xaa\xbb", 2 },
		{ "constructed", "\x24\x80\x04\x02\xaa\xbb\x04\x01\xcc\x00\x00",
		    11, 1, "\xaa\xbb\xcc", 3 },
		{ "constructed definite, nested",
		    "\x24\x07\x24\x05\x04\x03\x01\x02\x03", 9, 1,
		    "\x01\x02\x03", 3 },
		{ "segment not an OCTET STRING",
		    "\x24\x80\x02\x01\x00\x00\x00", 7, 0, NULL, 0 },
		{ "over the buffer", "\x04\x05\x01\x02\x03\x04\x05", 7, 0,
		    NULL, 0 },
		{ "another type", "\x03\x02\x00\xaa", 4, 0, NULL, 0 },
	};
	const unsigned char *p;
	unsigned char out[4];
	struct cs_ber e;
	size_t i, n;
	int r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		p = (const unsigned char *)rows[i].der;
		CU_ASSERT_FATAL(cs_ber_next(&p, p + rows[i].len, &e) == 0);
		r = cs_ber_octets(&e, V_ASN1_UNIVERSAL, V_ASN1_OCTET_STRING,
		    out, sizeof(out), &n);
		if ((r == 0) != rows[i].ok)
			fprintf(stderr, "\n  row %s: got %d\n", rows[i].name,
			    r);
		CU_ASSERT_EQUAL(r == 0, rows[i].ok);
		if (r == 0 && rows[i].ok)
			CU_ASSERT(n == rows[i].vlen &&
			    memcmp(out, rows[i].value, n) == 0);
	}
}

/* ---- counts ----------------------------------------------------------- */

static void
test_counts(void)
{
	static const struct {
		const char	*name;
		size_t		 digests, certs, crls, signers;
		int		 refused;
	} rows[] = {
		{ "one signer", 1, 1, 0, 1, 0 },
		{ "at the limits", CS_MAX_SIGNER_INFOS, CS_MAX_CMS_CERTS,
		    CS_MAX_CMS_CERTS, CS_MAX_SIGNER_INFOS, 0 },
		{ "signers", 1, 1, 0, CS_MAX_SIGNER_INFOS + 1, 1 },
		{ "160 000 signers", 1, 1, 0, 160000, 1 },
		{ "digests", CS_MAX_SIGNER_INFOS + 1, 1, 0, 1, 1 },
		{ "certificates", 1, CS_MAX_CMS_CERTS + 1, 0, 1, 1 },
		{ "CRLs", 1, 1, CS_MAX_CMS_CERTS + 1, 1, 1 },
	};
	certseal_ctx *ctx = NULL;
	struct buf b;
	size_t i;
	int indef, r;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (indef = 0; indef < 2; indef++) {
			b = signed_data(rows[i].digests, rows[i].certs,
			    rows[i].crls, rows[i].signers, indef);
			r = cs_cms_check_counts(ctx, b.p, (long)b.len, "t",
			    "signed content");
			if (r != (rows[i].refused ? CERTSEAL_E_INTEGRITY : 0))
				fprintf(stderr, "\n  row %s (%s): %d\n",
				    rows[i].name, indef ? "BER" : "DER", r);
			CU_ASSERT_EQUAL(r, rows[i].refused ?
			    CERTSEAL_E_INTEGRITY : 0);
			if (r != 0)
				CU_ASSERT(strstr(certseal_ctx_last_error(ctx),
				    "more than") != NULL);
			free(b.p);
		}
	}
	for (indef = 0; indef < 2; indef++) {
		b = enveloped(OID_AUTH_ENV, sizeof(OID_AUTH_ENV),
		    CS_MAX_ORIGINATOR_CERTS, CS_MAX_ORIGINATOR_CERTS, indef);
		CU_ASSERT_EQUAL(cs_cms_check_counts(ctx, b.p, (long)b.len, "t",
		    "outer"), 0);
		free(b.p);
		b = enveloped(OID_AUTH_ENV, sizeof(OID_AUTH_ENV), 32000, 0,
		    indef);
		CU_ASSERT_EQUAL(cs_cms_check_counts(ctx, b.p, (long)b.len, "t",
		    "outer"), CERTSEAL_E_INTEGRITY);
		free(b.p);
		b = enveloped(OID_ENVELOPED, sizeof(OID_ENVELOPED), 1,
		    CS_MAX_ORIGINATOR_CERTS + 1, indef);
		CU_ASSERT_EQUAL(cs_cms_check_counts(ctx, b.p, (long)b.len, "t",
		    "outer"), CERTSEAL_E_INTEGRITY);
		free(b.p);
	}
	/* Not CMS at all: OpenSSL's parser will say so, not this check. */
	CU_ASSERT_EQUAL(cs_cms_check_counts(ctx, (const unsigned char *)
	    "key = value", 11, "t", "outer"), 0);
	certseal_ctx_free(ctx);
}

/* ---- authAttrs -------------------------------------------------------- */

/* An AuthEnvelopedData: version, recipients, content, [authAttrs], mac. */
static struct buf
auth_env(int with_attrs, int bad_attr, size_t maclen, int trailing,
    int indef)
{
	static const char attr[] = "\x30\x18\x06\x09\x2a\x86\x48\x86\xf7\x0d"
	    "\x01\x09\x03\x31\x0b\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02";
	struct buf e = bytes("\x02\x01\x00", 3);

	e = cat(e, tlv(0x31, empties(1), indef));
	e = cat(e, tlv(0x30, empties(1), indef));
	if (with_attrs)
		e = cat(e, tlv(0xa1, bad_attr ? bytes("\x30\x00", 2) :
		    bytes(attr, sizeof(attr) - 1), indef));
	e = cat(e, tlv(0x04, bytes("0123456789abcdef", maclen), 0));
	if (trailing)
		e = cat(e, bytes("\x05\x00", 2));
	return content_info(OID_AUTH_ENV, sizeof(OID_AUTH_ENV), e, indef);
}

static void
test_auth_attrs(void)
{
	static const struct {
		const char	*name;
		int		 attrs, bad, trailing;
		size_t		 maclen;
		int		 want;
	} rows[] = {
		{ "authAttrs", 1, 0, 0, 16, 1 },
		{ "12-byte tag", 1, 0, 0, 12, 1 },
		{ "none", 0, 0, 0, 16, 0 },
		{ "malformed attribute", 1, 1, 0, 16, 0 },
		{ "short tag", 1, 0, 0, 8, 0 },
		{ "something after the mac", 1, 0, 1, 16, 0 },
	};
	struct buf b;
	size_t i;
	int indef;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (indef = 0; indef < 2; indef++) {
			b = auth_env(rows[i].attrs, rows[i].bad, rows[i].maclen,
			    rows[i].trailing, indef);
			if (cs_cms_has_auth_attrs(b.p, (long)b.len) !=
			    rows[i].want)
				fprintf(stderr, "\n  row %s (%s)\n",
				    rows[i].name, indef ? "BER" : "DER");
			CU_ASSERT_EQUAL(cs_cms_has_auth_attrs(b.p, (long)b.len),
			    rows[i].want);
			free(b.p);
		}
	}
	b = signed_data(1, 1, 0, 1, 0);
	CU_ASSERT_EQUAL(cs_cms_has_auth_attrs(b.p, (long)b.len), 0);
	free(b.p);
}

/* ---- the certificate index -------------------------------------------- */

/*
 * The index must answer what a linear cs_recipient_id_matches search
 * over the stack answers: the first match, for SKID and issuer+serial
 * identifiers, with duplicates and certificates sharing a key.
 */
static X509 *
linear(STACK_OF(X509) *certs, const struct cs_recipient_id *id)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++)
		if (cs_recipient_id_matches(id, sk_X509_value(certs, i)))
			return sk_X509_value(certs, i);
	return NULL;
}

static void
test_cert_index(void)
{
	enum { NKEYS = 12 };
	STACK_OF(X509) *certs = sk_X509_new_null(), *probe;
	struct cs_cert_index *idx = NULL;
	struct cs_recipient_id id;
	EVP_PKEY *keys[NKEYS], *other = tu_make_key("ec-p256");
	X509 *c, *stranger;
	char cn[32];
	int i, k;

	CU_ASSERT_FATAL(certs != NULL && other != NULL);
	for (i = 0; i < NKEYS; i++) {
		CU_ASSERT_FATAL((keys[i] = tu_make_key("ec-p256")) != NULL);
		/* Two certificates per key (same SKID), one without SKID. */
		for (k = 0; k < 3; k++) {
			snprintf(cn, sizeof(cn), "signer %d", i % 4);
			c = tu_make_cert(keys[i], cn, -60, 3600, k != 2);
			CU_ASSERT_FATAL(c != NULL);
			sk_X509_push(certs, c);
		}
	}
	/* A duplicate of the first certificate at the end. */
	X509_up_ref(sk_X509_value(certs, 0));
	sk_X509_push(certs, sk_X509_value(certs, 0));
	CU_ASSERT_FATAL(cs_cert_index_new(certs, &idx) == 0);
	probe = sk_X509_dup(certs);
	stranger = tu_make_cert_simple(other, "stranger");
	sk_X509_push(probe, stranger);
	for (i = 0; i < sk_X509_num(probe); i++) {
		c = sk_X509_value(probe, i);
		memset(&id, 0, sizeof(id));
		id.keyid = X509_get0_subject_key_id(c);
		if (id.keyid != NULL)
			CU_ASSERT(cs_cert_index_find(idx, &id) ==
			    linear(certs, &id));
		memset(&id, 0, sizeof(id));
		id.issuer = X509_get_issuer_name(c);
		id.serial = X509_get0_serialNumber(c);
		CU_ASSERT(cs_cert_index_find(idx, &id) == linear(certs, &id));
	}
	memset(&id, 0, sizeof(id));
	id.keyid = X509_get0_subject_key_id(stranger);
	CU_ASSERT(cs_cert_index_find(idx, &id) == NULL);
	memset(&id, 0, sizeof(id));
	CU_ASSERT(cs_cert_index_find(idx, &id) == NULL);
	cs_cert_index_free(idx);
	/* An empty index finds nothing. */
	sk_X509_free(probe);
	probe = sk_X509_new_null();
	CU_ASSERT_FATAL(cs_cert_index_new(probe, &idx) == 0);
	id.keyid = X509_get0_subject_key_id(stranger);
	CU_ASSERT(cs_cert_index_find(idx, &id) == NULL);
	cs_cert_index_free(idx);
	sk_X509_free(probe);
	X509_free(stranger);
	sk_X509_pop_free(certs, X509_free);
	for (i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	EVP_PKEY_free(other);
}

/* ---- recipients read from the encoding (envelope-recipients.c) ------- */

/*
 * An AuthEnvelopedData around the RecipientInfos ris (already encoded)
 * and the encryptedContent ct (an encoded [0] element, or nothing).
 */
static struct buf
with_content(struct buf ris, struct buf ct, int indef)
{
	struct buf e = bytes("\x02\x01\x00", 3);

	e = cat(e, tlv(0x31, ris, indef));
	e = cat(e, tlv(0x30, cat(bytes("\x06\x01\x01\x30\x00", 5), ct),
	    indef));
	e = cat(e, bytes("\x04\x02\xde\xad", 4));
	return content_info(OID_AUTH_ENV, sizeof(OID_AUTH_ENV), e, indef);
}

static struct buf
with_recipients(struct buf ris, int indef)
{
	return with_content(ris, bytes("\x80\x02\xca\xfe", 4), indef);
}

#define KTRI_SKID	"\x30\x0c\x02\x01\x02\x80\x02\xaa\xbb\x30\x00\x04\x01\xcc"
#define KTRI_ISN	"\x30\x0f\x02\x01\x00\x30\x05\x30\x00\x02\x01\x05" \
			"\x30\x00\x04\x01\xcc"
#define REK(b)		"\x30\x09\xa0\x04\x04\x02\x01" b "\x04\x01\xee"
#define KARI3		"\xa1\x2c\x02\x01\x03\xa0\x02\x30\x00\x30\x00" \
			"\x30\x21" REK("\x01") REK("\x02") REK("\x03")

/* n copies of the same len bytes (one allocation: put() grows by one). */
static struct buf
repeat(const char *d, size_t len, size_t n)
{
	struct buf b = { NULL, len * n };
	size_t i;

	if ((b.p = malloc(len * n + 1)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(b.p + i * len, d, len);
	return b;
}

/* A KARI naming n keys (REK(\x01) each). */
static struct buf
kari_with(size_t n, int indef)
{
	struct buf k = bytes("\x02\x01\x03\xa0\x02\x30\x00\x30\x00", 9);

	k = cat(k, tlv(0x30, repeat(REK("\x01"), 11, n), indef));
	return tlv(0xa1, k, indef);
}

/*
 * Recipient keys are counted before anything is built: one per
 * RecipientInfo, one per key of a KARI (2 million tiny keys in one KARI
 * cost 700 MB to read).
 */
static void
test_recipient_counts(void)
{
	certseal_ctx *ctx = NULL;
	struct buf b;
	int indef, r;

	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	for (indef = 0; indef < 2; indef++) {
		b = with_recipients(repeat(KTRI_SKID, 14,
		    CS_MAX_RECIPIENT_IDS), indef);
		CU_ASSERT_EQUAL(cs_cms_check_counts(ctx, b.p, (long)b.len,
		    "t", "outer"), 0);
		free(b.p);
		b = with_recipients(repeat(KTRI_SKID, 14,
		    CS_MAX_RECIPIENT_IDS + 1), indef);
		r = cs_cms_check_counts(ctx, b.p, (long)b.len, "t", "outer");
		CU_ASSERT_EQUAL(r, CERTSEAL_E_INTEGRITY);
		if (r != 0)
			CU_ASSERT(strstr(certseal_ctx_last_error(ctx),
			    "recipient keys") != NULL);
		free(b.p);
		/* One KARI at the limit, then one key over it beside a KTRI. */
		b = with_recipients(kari_with(CS_MAX_RECIPIENT_IDS, indef),
		    indef);
		CU_ASSERT_EQUAL(cs_cms_check_counts(ctx, b.p, (long)b.len,
		    "t", "outer"), 0);
		free(b.p);
		b = with_recipients(cat(bytes(KTRI_SKID, 14),
		    kari_with(CS_MAX_RECIPIENT_IDS, indef)), indef);
		CU_ASSERT_EQUAL(cs_cms_check_counts(ctx, b.p, (long)b.len,
		    "t", "outer"), CERTSEAL_E_INTEGRITY);
		free(b.p);
		b = with_recipients(kari_with(1400000, indef), indef);
		CU_ASSERT_EQUAL(cs_cms_check_counts(ctx, b.p, (long)b.len,
		    "t", "outer"), CERTSEAL_E_INTEGRITY);
		free(b.p);
	}
	certseal_ctx_free(ctx);
}

static void
test_raw_recipients(void)
{
	static const struct {
		const char	*name;
		const char	*ri;
		size_t		 len;
		int		 r;
		size_t		 n, nrids;
		int		 type0;
	} rows[] = {
		{ "ktri by SKID", KTRI_SKID, 14, 0, 1, 1, CMS_RECIPINFO_TRANS },
		{ "ktri by issuer and serial", KTRI_ISN, 17, 0, 1, 1,
		    CMS_RECIPINFO_TRANS },
		{ "kari, three keys", KARI3, 46, 0, 1, 3, CMS_RECIPINFO_AGREE },
		{ "kari then ktri", KARI3 KTRI_SKID, 60, 0, 2, 4,
		    CMS_RECIPINFO_AGREE },
		{ "kekri, pwri, ori", "\xa2\x00\xa3\x00\xa4\x00", 6, 0, 3, 0,
		    CMS_RECIPINFO_KEK },
		{ "SKID constructed (BER)", "\x30\x12\x02\x01\x02\xa0\x80\x04"
		    "\x01\xaa\x04\x01\xbb\x00\x00\x30\x00\x04\x01\xcc", 20, 0,
		    1, 1, CMS_RECIPINFO_TRANS },
		{ "ktri, element left over", "\x30\x0e\x02\x01\x02\x80\x02\xaa"
		    "\xbb\x30\x00\x04\x01\xcc\x05\x00", 16, -1, 0, 0, 0 },
		{ "ktri without its key", "\x30\x09\x02\x01\x02\x80\x02\xaa"
		    "\xbb\x30\x00", 11, -1, 0, 0, 0 },
		{ "ktri, [1] identifier", "\x30\x0c\x02\x01\x02\x81\x02\xaa"
		    "\xbb\x30\x00\x04\x01\xcc", 14, -1, 0, 0, 0 },
		{ "ktri, name that is no Name", "\x30\x10\x02\x01\x00\x30\x06"
		    "\x30\x01\x05\x02\x01\x05\x30\x00\x04\x01\xcc", 18, -1, 0, 0,
		    0 },
		{ "kari key, bad optional", "\xa1\x17\x02\x01\x03\xa0\x02\x30"
		    "\x00\x30\x00\x30\x0e\x30\x0c\xa0\x07\x04\x02\x01\x01\x02"
		    "\x01\x00\x04\x01\xee", 25, -1, 0, 0, 0 },
		{ "unknown choice [5]", "\xa5\x00", 2, -1, 0, 0, 0 },
		{ "primitive choice", "\x80\x00", 2, -1, 0, 0, 0 },
		{ "truncated", KTRI_SKID, 10, -1, 0, 0, 0 },
	};
	struct cs_raw_recipients raw;
	struct cs_der der;
	struct buf b;
	size_t i;
	int indef, r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (indef = 0; indef < 2; indef++) {
			b = with_recipients(bytes(rows[i].ri, rows[i].len),
			    indef);
			memset(&der, 0, sizeof(der));
			der.p = b.p;
			der.len = (long)b.len;
			r = cs_raw_recipients_read(&der, &raw);
			if (r != rows[i].r || (r == 0 &&
			    (raw.n != rows[i].n || raw.nrids != rows[i].nrids ||
			    raw.ris[0].type != rows[i].type0)))
				fprintf(stderr, "row %s (%s): r %d n %zu rids "
				    "%zu\n", rows[i].name, indef ? "BER" :
				    "DER", r, raw.n, raw.nrids);
			CU_ASSERT_EQUAL(r, rows[i].r);
			if (r == 0) {
				CU_ASSERT_EQUAL(raw.n, rows[i].n);
				CU_ASSERT_EQUAL(raw.nrids, rows[i].nrids);
				CU_ASSERT_EQUAL(raw.ris[0].type,
				    rows[i].type0);
			}
			cs_raw_recipients_release(&raw);
			free(b.p);
		}
	}
}

/* Identifiers as the sources see them: SKIDs, issuer and serial. */
static void
test_raw_ids(void)
{
	struct cs_raw_recipients raw;
	struct cs_der der;
	struct buf b;

	b = with_recipients(bytes(KARI3 KTRI_ISN, 63), 1);
	memset(&der, 0, sizeof(der));
	der.p = b.p;
	der.len = (long)b.len;
	CU_ASSERT_FATAL(cs_raw_recipients_read(&der, &raw) == 0);
	CU_ASSERT_FATAL(raw.nrids == 4);
	CU_ASSERT(raw.rids[2].id.keyid != NULL &&
	    ASN1_STRING_length(raw.rids[2].id.keyid) == 2 &&
	    memcmp(ASN1_STRING_get0_data(raw.rids[2].id.keyid), "\x01\x03",
	    2) == 0);
	CU_ASSERT(raw.rids[2].ri == 0 && raw.rids[3].ri == 1);
	CU_ASSERT(raw.rids[3].id.keyid == NULL &&
	    raw.rids[3].id.issuer != NULL &&
	    ASN1_INTEGER_get(raw.rids[3].id.serial) == 5);
	cs_raw_recipients_release(&raw);
	free(b.p);
}

/* The encryptedContent forms a reduced copy is tested with. */
static struct buf
content_form(int form)
{
	switch (form) {
	case 0:		/* primitive */
		return bytes("\x80\x04\xca\xfe\xf0\x0d", 6);
	case 1:		/* constructed, indefinite (openssl cms -stream) */
		return bytes("\xa0\x80\x04\x02\xca\xfe\x04\x02\xf0\x0d"
		    "\x00\x00", 12);
	case 2:		/* constructed, definite, nested */
		return bytes("\xa0\x0a\x04\x01\xca\x24\x05\x04\x03\xfe\xf0"
		    "\x0d", 12);
	default:	/* absent (detached) */
		return bytes("", 0);
	}
}

/*
 * The reduced copy: the chosen RecipientInfo, an empty encryptedContent
 * in place of the ciphertext (none when the file had none), and every
 * other element byte for byte, from DER and from BER; the ciphertext
 * collected where it lies in the original.
 */
static void
test_raw_reduce(void)
{
	struct cs_raw_recipients raw, again;
	struct cs_der der;
	struct buf b, want;
	unsigned char *copy, *at;
	size_t klen, n;
	long len;
	int indef, form;

	for (indef = 0; indef < 2; indef++) {
		for (form = 0; form < 4; form++) {
			b = with_content(bytes(KTRI_SKID KARI3 KTRI_ISN, 77),
			    content_form(form), indef);
			memset(&der, 0, sizeof(der));
			der.p = b.p;
			der.len = (long)b.len;
			CU_ASSERT_FATAL(cs_raw_recipients_read(&der,
			    &raw) == 0);
			CU_ASSERT_EQUAL(raw.has_content, form != 3);
			CU_ASSERT_EQUAL(raw.content_len, form != 3 ? 4 : 0);
			klen = (size_t)(raw.ris[1].end - raw.ris[1].start);
			CU_ASSERT_FATAL(cs_raw_reduce(&raw, 1, &copy,
			    &len) == 0);
			/* Exactly this DER: KARI3 alone, the rest as it was. */
			want = content_info(OID_AUTH_ENV, sizeof(OID_AUTH_ENV),
			    cat(cat(cat(bytes("\x02\x01\x00", 3), tlv(0x31,
			    bytes(KARI3, 46), 0)), tlv(0x30, cat(bytes(
			    "\x06\x01\x01\x30\x00", 5), bytes("\x80\x00",
			    form != 3 ? 2 : 0)), 0)), bytes("\x04\x02\xde\xad",
			    4)), 0);
			if ((size_t)len != want.len ||
			    memcmp(copy, want.p, want.len) != 0)
				fprintf(stderr, "reduce %s form %d: %ld bytes, "
				    "want %zu\n", indef ? "BER" : "DER", form,
				    len, want.len);
			CU_ASSERT((size_t)len == want.len &&
			    memcmp(copy, want.p, want.len) == 0);
			CU_ASSERT_EQUAL(klen, 46);
			/* The ciphertext, collected in place. */
			if (raw.has_content) {
				at = b.p + (raw.content.body - b.p);
				CU_ASSERT(cs_ber_collect(&raw.content, at,
				    &n) == 0 && n == 4 &&
				    memcmp(at, "\xca\xfe\xf0\x0d", 4) == 0);
			}
			cs_raw_recipients_release(&raw);
			/* The copy reads back: one recipient, empty content. */
			memset(&der, 0, sizeof(der));
			der.p = copy;
			der.len = len;
			CU_ASSERT_FATAL(cs_raw_recipients_read(&der,
			    &again) == 0);
			CU_ASSERT(again.n == 1 && again.nrids == 3 &&
			    again.content_len == 0 &&
			    again.has_content == (form != 3));
			cs_raw_recipients_release(&again);
			free(want.p);
			free(copy);
			free(b.p);
		}
	}
}

/*
 * Nothing may follow the ContentInfo or any of its wrappers: the reduced
 * copy would drop it unseen (before, a file with several recipients and
 * a byte appended opened).
 */
static void
test_raw_exact(void)
{
	struct cs_raw_recipients raw;
	struct cs_der der;
	struct buf b;
	int indef;

	for (indef = 0; indef < 2; indef++) {
		b = with_recipients(bytes(KTRI_SKID KTRI_ISN, 31), indef);
		put(&b, "\x00", 1);
		memset(&der, 0, sizeof(der));
		der.p = b.p;
		der.len = (long)b.len;
		CU_ASSERT(cs_raw_recipients_read(&der, &raw) == -1);
		cs_raw_recipients_release(&raw);
		der.len--;
		CU_ASSERT(cs_raw_recipients_read(&der, &raw) == 0);
		cs_raw_recipients_release(&raw);
		free(b.p);
	}
	/* An element after the EncryptedContentInfo's content. */
	b = with_content(bytes(KTRI_SKID, 14), bytes("\x80\x01\xaa\x05\x00",
	    5), 0);
	memset(&der, 0, sizeof(der));
	der.p = b.p;
	der.len = (long)b.len;
	CU_ASSERT(cs_raw_recipients_read(&der, &raw) == -1);
	cs_raw_recipients_release(&raw);
	free(b.p);
}

/* Large OCTET STRINGs collected, also in place. */
static void
test_ber_collect(void)
{
	static const struct octets_case rows[] = {
		{ "primitive", "\x04\x03\x01\x02\x03", 5, 1, "\x01\x02\x03", 3 },
		{ "empty", "\x04\x00", 2, 1, "", 0 },
		{ "constructed", "\x24\x80\x04\x01\x01\x04\x00\x04\x02\x02\x03"
		    "\x00\x00", 13, 1, "\x01\x02\x03", 3 },
		{ "nested five deep", "\x24\x0f\x24\x0d\x24\x0b\x24\x09\x24"
		    "\x07\x24\x05\x04\x03\x01\x02\x03", 17, 1, "\x01\x02\x03",
		    3 },
		{ "nested six deep (OpenSSL refuses)", "\x24\x11\x24\x0f\x24"
		    "\x0d\x24\x0b\x24\x09\x24\x07\x24\x05\x04\x03\x01\x02\x03",
		    19, 0, NULL, 0 },
		{ "segment not an OCTET STRING", "\x24\x04\x03\x02\x00\x01", 6,
		    0, NULL, 0 },
		{ "segment truncated", "\x24\x04\x04\x05\x01\x02", 6, 0, NULL,
		    0 },
	};
	unsigned char buf[32];
	const unsigned char *p;
	struct cs_ber e;
	size_t i, n, m;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memcpy(buf, rows[i].der, rows[i].len);
		p = buf;
		CU_ASSERT_FATAL(cs_ber_next(&p, buf + rows[i].len, &e) == 0);
		if ((cs_ber_collect(&e, NULL, &n) == 0) != rows[i].ok)
			fprintf(stderr, "row %s\n", rows[i].name);
		CU_ASSERT_EQUAL(cs_ber_collect(&e, NULL, &n) == 0,
		    rows[i].ok);
		if (!rows[i].ok)
			continue;
		/* In place: into the element's own body. */
		CU_ASSERT(cs_ber_collect(&e, buf + (e.body - buf), &m) == 0 &&
		    m == n && n == rows[i].vlen &&
		    memcmp(buf + (e.body - buf), rows[i].value, n) == 0);
	}
}

/* A SignedData ContentInfo around the encapContentInfo encap. */
static struct buf
signed_with(struct buf encap, int indef)
{
	struct buf sd = bytes("\x02\x01\x01", 3);

	sd = cat(sd, tlv(0x31, bytes("\x30\x00", 2), indef));
	sd = cat(sd, encap);
	sd = cat(sd, tlv(0xa0, bytes("\x30\x00", 2), indef));
	sd = cat(sd, tlv(0x31, bytes("\x30\x00", 2), indef));
	return content_info(OID_SIGNED, sizeof(OID_SIGNED), sd, indef);
}

/*
 * The SignedData cut: its DER without the eContent, every other element
 * as it was; the content found and collected where it lies; shapes the
 * walk does not read are left to OpenSSL (-1).
 */
static void
test_signed_detach(void)
{
	static const char data_oid[] = "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01"
	    "\x07\x01";
	struct cs_detached det;
	struct buf b, want, econtent;
	size_t n;
	int indef, form;

	for (indef = 0; indef < 2; indef++) {
		for (form = 0; form < 3; form++) {
			if (form == 0)
				econtent = bytes("\x04\x03\x01\x02\x03", 5);
			else if (form == 1)
				econtent = bytes("\x24\x80\x04\x01\x01\x04\x02"
				    "\x02\x03\x00\x00", 11);
			else
				econtent = bytes("", 0);
			b = signed_with(tlv(0x30, cat(bytes(data_oid, 11),
			    form == 2 ? econtent : tlv(0xa0, econtent,
			    indef)), indef), indef);
			CU_ASSERT_FATAL(cs_signed_detach(b.p, (long)b.len,
			    &det) == 0);
			want = signed_with(tlv(0x30, bytes(data_oid, 11), 0),
			    0);
			if (indef) {
				/* The inner SETs and [0] stay BER. */
				free(want.p);
				want = content_info(OID_SIGNED,
				    sizeof(OID_SIGNED), cat(cat(cat(cat(bytes(
				    "\x02\x01\x01", 3), tlv(0x31, bytes(
				    "\x30\x00", 2), 1)), tlv(0x30, bytes(
				    data_oid, 11), 0)), tlv(0xa0, bytes(
				    "\x30\x00", 2), 1)), tlv(0x31, bytes(
				    "\x30\x00", 2), 1)), 0);
			}
			CU_ASSERT(det.len == (long)want.len &&
			    memcmp(det.der, want.p, want.len) == 0);
			CU_ASSERT_EQUAL(det.has_content, form != 2);
			if (det.has_content) {
				CU_ASSERT(cs_ber_collect(&det.content, b.p +
				    (det.content.body - b.p), &n) == 0 &&
				    n == 3 && det.content_len == 3 &&
				    memcmp(b.p + (det.content.body - b.p),
				    "\x01\x02\x03", 3) == 0);
			}
			cs_detached_release(&det);
			free(want.p);
			free(b.p);
		}
	}
	/* Not a SignedData, or not exactly one: the caller parses it. */
	b = content_info(OID_ENVELOPED, sizeof(OID_ENVELOPED),
	    bytes("\x02\x01\x00", 3), 0);
	CU_ASSERT(cs_signed_detach(b.p, (long)b.len, &det) == -1);
	free(b.p);
	b = signed_with(tlv(0x30, cat(bytes(data_oid, 11), tlv(0xa0,
	    bytes("\x04\x01\x01\x05\x00", 5), 0)), 0), 0);
	CU_ASSERT(cs_signed_detach(b.p, (long)b.len, &det) == -1);
	free(b.p);
	b = signed_with(tlv(0x30, cat(bytes(data_oid, 11), tlv(0xa0,
	    bytes("\x04\x01\x01", 3), 0)), 0), 0);
	put(&b, "\x00", 1);
	CU_ASSERT(cs_signed_detach(b.p, (long)b.len, &det) == -1);
	CU_ASSERT(cs_signed_detach(b.p, (long)b.len - 1, &det) == 0);
	cs_detached_release(&det);
	free(b.p);
}

/* der with every constructed element re-encoded with indefinite length. */
static struct buf
indefinite(const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end = der + len, *at;
	struct buf out = { NULL, 0 }, body;
	struct cs_ber e;

	while (p < end) {
		at = p;
		if (cs_ber_next(&p, end, &e) != 0)
			abort();
		if (e.cons) {
			body = indefinite(e.body, (size_t)(e.end - e.body));
			out = cat(out, tlv(at[0], body, 1));
		} else
			out = cat(out, bytes(at, (size_t)(p - at)));
	}
	return out;
}

/* cs_cert_ident_read on der must say what OpenSSL's parse of it says. */
static void
ident_agrees(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	struct cs_cert_ident id;
	const ASN1_OCTET_STRING *skid;
	X509 *x;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x = d2i_X509(NULL, &p, (long)len));
	CU_ASSERT_EQUAL_FATAL(cs_cert_ident_read(der, len, &id), 0);
	CU_ASSERT(X509_NAME_cmp(id.issuer, X509_get_issuer_name(x)) == 0);
	CU_ASSERT(ASN1_INTEGER_cmp(id.serial, X509_get0_serialNumber(x)) == 0);
	skid = X509_get0_subject_key_id(x);
	CU_ASSERT((skid == NULL) == (id.skid == NULL));
	if (skid != NULL && id.skid != NULL)
		CU_ASSERT(ASN1_OCTET_STRING_cmp(skid, id.skid) == 0);
	cs_cert_ident_release(&id);
	X509_free(x);
}

/* A certificate of the given version, without extensions unless ext. */
static X509 *
plain_cert(EVP_PKEY *key, long version, X509_EXTENSION *ext, int twice)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();

	CU_ASSERT_FATAL(x != NULL && nm != NULL);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)"plain", -1, -1, 0);
	X509_set_version(x, version);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x7fabcdef);
	X509_set_issuer_name(x, nm);
	X509_set_subject_name(x, nm);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	if (ext != NULL) {
		X509_add_ext(x, ext, -1);
		if (twice)
			X509_add_ext(x, ext, -1);
	}
	CU_ASSERT_FATAL(X509_sign(x, key, EVP_sha256()) > 0);
	X509_NAME_free(nm);
	return x;
}

/*
 * Who a certificate is, without parsing it: the same issuer, serial and
 * SKID as OpenSSL's parse, in DER and in BER; anything else refused.
 */
static void
test_cert_ident(void)
{
	EVP_PKEY *key = tu_make_key("ec-p256");
	X509_EXTENSION *skid_ext;
	ASN1_OCTET_STRING *kid = ASN1_OCTET_STRING_new();
	struct cs_cert_ident id;
	struct cs_recipient_id rid;
	X509 *certs[6];
	unsigned char *der;
	struct buf ber;
	size_t i, cut;
	int len;

	CU_ASSERT_FATAL(key != NULL && kid != NULL);
	ASN1_OCTET_STRING_set(kid, (const unsigned char *)"0123456789", 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(skid_ext = X509V3_EXT_i2d(
	    NID_subject_key_identifier, 0, kid));
	certs[0] = tu_make_cert(key, "with skid", -60, 3600, 1);
	certs[1] = tu_make_cert(key, "without skid", -60, 3600, 0);
	certs[2] = plain_cert(key, X509_VERSION_1, NULL, 0);
	certs[3] = plain_cert(key, X509_VERSION_3, NULL, 0);
	certs[4] = plain_cert(key, X509_VERSION_3, skid_ext, 0);
	/* Two SKIDs: none, as X509_get0_subject_key_id says. */
	certs[5] = plain_cert(key, X509_VERSION_3, skid_ext, 1);
	for (i = 0; i < 6; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(certs[i]);
		der = NULL;
		CU_ASSERT_FATAL((len = i2d_X509(certs[i], &der)) > 0);
		ident_agrees(der, (size_t)len);
		ber = indefinite(der, (size_t)len);
		ident_agrees(ber.p, ber.len);
		free(ber.p);
		/* Cut short or followed by a byte: not a certificate. */
		for (cut = 0; cut < (size_t)len; cut++)
			CU_ASSERT(cs_cert_ident_read(der, cut, &id) == -1);
		der = OPENSSL_realloc(der, (size_t)len + 1);
		der[len] = 0;
		CU_ASSERT(cs_cert_ident_read(der, (size_t)len + 1, &id) == -1);
		/* Named as cs_recipient_id_matches would name it. */
		CU_ASSERT_EQUAL_FATAL(cs_cert_ident_read(der, (size_t)len,
		    &id), 0);
		memset(&rid, 0, sizeof(rid));
		rid.issuer = X509_get_issuer_name(certs[i]);
		rid.serial = X509_get0_serialNumber(certs[i]);
		CU_ASSERT(cs_cert_ident_named(&id, &rid, 1) == 1);
		rid.serial = X509_get0_serialNumber(certs[i == 0 ? 1 : 0]);
		CU_ASSERT(cs_cert_ident_named(&id, &rid, 1) ==
		    cs_recipient_id_matches(&rid, certs[i]));
		memset(&rid, 0, sizeof(rid));
		rid.keyid = kid;
		CU_ASSERT(cs_cert_ident_named(&id, &rid, 1) ==
		    cs_recipient_id_matches(&rid, certs[i]));
		CU_ASSERT(cs_cert_ident_named(&id, &rid, 1) == (i == 4));
		rid.keyid = X509_get0_subject_key_id(certs[0]);
		CU_ASSERT(cs_cert_ident_named(&id, &rid, 1) == (i == 0));
		CU_ASSERT(cs_cert_ident_named(&id, &rid, 0) == 0);
		cs_cert_ident_release(&id);
		OPENSSL_free(der);
	}
	/* Not certificates at all. */
	CU_ASSERT(cs_cert_ident_read((const uint8_t *)"\x30\x00", 2, &id) == -1);
	CU_ASSERT(cs_cert_ident_read((const uint8_t *)"\x04\x00", 2, &id) == -1);
	CU_ASSERT(cs_cert_ident_read(NULL, 0, &id) == -1);
	for (i = 0; i < 6; i++)
		X509_free(certs[i]);
	X509_EXTENSION_free(skid_ext);
	ASN1_OCTET_STRING_free(kid);
	EVP_PKEY_free(key);
}

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "BER elements", test_ber_next },
		{ "BER nesting depth", test_ber_depth },
		{ "BER OCTET STRINGs", test_ber_octets },
		{ "counts bounded before the parse", test_counts },
		{ "authAttrs recognised", test_auth_attrs },
		{ "certificate index", test_cert_index },
		{ "who a certificate is, without parsing it",
		    test_cert_ident },
		{ "recipients from the encoding", test_raw_recipients },
		{ "recipient keys bounded before the parse",
		    test_recipient_counts },
		{ "recipient identifiers", test_raw_ids },
		{ "reduced ContentInfo", test_raw_reduce },
		{ "nothing after the ContentInfo", test_raw_exact },
		{ "large OCTET STRINGs collected", test_ber_collect },
		{ "SignedData without its content", test_signed_detach },
	};

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("cms-ber", CU_CASES(cases), NULL, NULL) != 0)
		return 1;
	return cu_run_all();
}
