/*
 * envelope-detect.c - is this file sealed, and parsing it when it is.
 *
 * "Looks sealed" is decided on a prefix only, so that a damaged or
 * truncated sealed file is reported as damaged and never handed out as
 * plaintext (DESIGN.md section 3).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "internal.h"
#include "envelope-internal.h"

/* 1.2.840.113549.1.7 (PKCS#7 content types) */
static const unsigned char pkcs7_arc[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07
};
/* 1.2.840.113549.1.9.16.1.23 (id-ct-authEnvelopedData) */
static const unsigned char auth_enveloped[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17
};

static const char *const pem_labels[] = {
	"-----BEGIN CMS-----",
	"-----BEGIN PKCS7-----",
};

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

static int
looks_der(const uint8_t *p, size_t len)
{
	size_t i = 0, n, oidlen;

	if (len < 2 || p[0] != 0x30)
		return 0;
	i = 1;
	if (p[i] < 0x80)
		i++;
	else if (p[i] == 0x80)			/* BER indefinite length */
		i++;
	else {
		n = p[i] & 0x7f;
		/* Lengths above 4 bytes would exceed any file we read. */
		if (n > 4)
			return 0;
		i += 1 + n;
	}
	if (i + 2 > len || p[i] != 0x06)
		return 0;
	oidlen = p[i + 1];
	i += 2;
	if (oidlen == sizeof(auth_enveloped) &&
	    len - i >= sizeof(auth_enveloped) &&
	    memcmp(p + i, auth_enveloped, sizeof(auth_enveloped)) == 0)
		return 1;
	if (oidlen == sizeof(pkcs7_arc) + 1 &&
	    len - i >= sizeof(pkcs7_arc) &&
	    memcmp(p + i, pkcs7_arc, sizeof(pkcs7_arc)) == 0)
		return 1;
	return 0;
}

int
cs_envelope_looks_sealed(const uint8_t *data, size_t len)
{
	size_t i = 0, k, l;

	if (data == NULL)
		return 0;
	if (looks_der(data, len))
		return 1;
	while (i < len && is_space(data[i]))
		i++;
	for (k = 0; k < sizeof(pem_labels) / sizeof(pem_labels[0]); k++) {
		l = strlen(pem_labels[k]);
		if (len - i >= l && memcmp(data + i, pem_labels[k], l) == 0)
			return 1;
	}
	return 0;
}

/* d2i that must consume exactly len bytes. */
CMS_ContentInfo *
cs_cms_d2i_exact(const unsigned char *der, long len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms;

	if ((cms = d2i_CMS_ContentInfo(NULL, &p, len)) == NULL)
		return NULL;
	if (p != der + len) {
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

/*
 * The base64 body of a PEM CMS/PKCS7 block: after the BEGIN line (white
 * space before it, trailing blanks on it allowed), up to the matching END
 * line, after which nothing but white space may follow: bytes appended to
 * or changed after a sealed file's armour are a change to it, not
 * something to ignore (OpenSSL's PEM reader would).  Returns 0 with
 * the body's offset and length set, or -1.
 */
static int
pem_body(const uint8_t *data, size_t len, size_t *offp, size_t *lenp)
{
	static const char *const labels[] = { "CMS", "PKCS7" };
	char begin[32], end[32];
	const uint8_t *e;
	size_t i = 0, k, bl, el, body;

	while (i < len && is_space(data[i]))
		i++;
	for (k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
		snprintf(begin, sizeof(begin), "-----BEGIN %s-----",
		    labels[k]);
		bl = strlen(begin);
		if (len - i >= bl && memcmp(data + i, begin, bl) == 0)
			break;
	}
	if (k == sizeof(labels) / sizeof(labels[0]))
		return -1;
	snprintf(end, sizeof(end), "-----END %s-----", labels[k]);
	el = strlen(end);
	/* The rest of the BEGIN line: blanks only. */
	for (i += bl; i < len && data[i] != '\n'; i++)
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
			return -1;
	if (i == len)
		return -1;
	body = ++i;
	/* The first "-----END " is the END line; it must be the last. */
	for (e = NULL; i + el <= len; i++) {
		/* Base64 has no '-': this skips the body at memchr speed. */
		if ((e = memchr(data + i, '-', len - i)) == NULL)
			break;
		i = (size_t)(e - data);
		if (len - i >= el && memcmp(e, "-----END ", 9) == 0)
			break;
		e = NULL;
	}
	if (e == NULL || (size_t)(e - data) + el > len ||
	    memcmp(e, end, el) != 0 || (e > data + body && e[-1] != '\n'))
		return -1;
	for (i = (size_t)(e - data) + el; i < len; i++)
		if (!is_space(data[i]) || data[i] == '\f' || data[i] == '\v')
			return -1;
	*offp = body;
	*lenp = (size_t)(e - data) - body;
	return 0;
}

void
cs_der_release(struct cs_der *der)
{
	OPENSSL_free(der->owned);
	memset(der, 0, sizeof(*der));
}

/*
 * Parses data; when inplace, a PEM body is decoded into data itself
 * (which the caller gives up), else into a new buffer.
 */
static int
parse(certseal_ctx *ctx, const uint8_t *data, size_t len, uint8_t *inplace,
    const char *name, CMS_ContentInfo **out, struct cs_der *dout)
{
	unsigned char *der = NULL, *owned = NULL;
	CMS_ContentInfo *cms = NULL;
	size_t off, blen;
	long derlen = 0;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	memset(dout, 0, sizeof(*dout));
	if (len > CS_MAX_SEALED_SIZE) {
		r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: %zu bytes, over "
		    "the limit of %zu bytes", name, len, CS_MAX_SEALED_SIZE);
		goto out;
	}
	if (looks_der(data, len)) {
		if ((cms = cs_cms_d2i_exact(data, (long)len)) == NULL) {
			r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: looks like "
			    "DER CMS but does not parse; the file is damaged "
			    "or truncated", name);
			goto out;
		}
		der = (unsigned char *)data;
		derlen = (long)len;
	} else {
		if (pem_body(data, len, &off, &blen) != 0)
			goto bad_pem;
		/* Base64 decodes to at most 3/4 of its length. */
		if (inplace != NULL)
			der = inplace;
		else if ((der = owned = OPENSSL_malloc(blen / 4 * 3 +
		    3)) == NULL) {
			r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
			goto out;
		}
		if ((derlen = cs_base64_decode(data + off, blen, der)) < 0 ||
		    (cms = cs_cms_d2i_exact(der, derlen)) == NULL)
			goto bad_pem;
	}
	dout->p = der;
	dout->len = derlen;
	dout->owned = owned;
	owned = NULL;
	*out = cms;
	cms = NULL;
	r = 0; /* success */
	goto out;
 bad_pem:
	r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: looks like PEM CMS but "
	    "does not parse; the file is damaged or truncated", name);
 out:
	CMS_ContentInfo_free(cms);
	OPENSSL_free(owned);
	return r;
}

int
cs_envelope_parse(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, CMS_ContentInfo **out, struct cs_der *dout)
{
	return parse(ctx, data, len, NULL, name, out, dout);
}

int
cs_envelope_parse_inplace(certseal_ctx *ctx, uint8_t *data, size_t len,
    const char *name, CMS_ContentInfo **out, struct cs_der *dout)
{
	return parse(ctx, data, len, data, name, out, dout);
}
