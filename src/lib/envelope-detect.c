/*
 * envelope-detect.c - is this file sealed, and parsing it when it is.
 *
 * "Looks sealed" is decided on a prefix only, so that a damaged or
 * truncated sealed file is reported as damaged and never handed out as
 * plaintext (DESIGN.md section 3).
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base64.h"
#include "internal.h"
#include "envelope-internal.h"

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

/*
 * DESIGN.md section 3: a SEQUENCE tag then a long-form or indefinite
 * length byte (0x80-0xBF) - a UTF-8 continuation byte, which never
 * follows an ASCII character in text, so no text configuration starts
 * this way - whatever follows.  A truncated or damaged sealed file
 * (length, OID, body) therefore still looks sealed.  One damaged byte in
 * the first two is caught by the content-type OID behind them: the
 * PKCS#7 or S/MIME content-type arc where a ContentInfo has it.
 */
static int
looks_der(const uint8_t *p, size_t len)
{
	/* 1.2.840.113549.1.7 and 1.2.840.113549.1.9.16.1 */
	static const unsigned char pkcs7[] = {
		0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07
	};
	static const unsigned char smime_ct[] = {
		0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01
	};
	size_t off;

	if (len < 2)
		return 0;
	if (p[0] == 0x30 && p[1] >= 0x80 && p[1] <= 0xbf)
		return 1;
	if (p[0] != 0x30 && (p[1] < 0x80 || p[1] > 0x84))
		return 0;
	/* 30 80 06 L arc (offset 4) ... 30 84 xx xx xx xx 06 L arc (8) */
	for (off = 4; off <= 8; off++) {
		if (len >= off + sizeof(pkcs7) &&
		    memcmp(p + off, pkcs7, sizeof(pkcs7)) == 0)
			return 1;
		if (len >= off + sizeof(smime_ct) &&
		    memcmp(p + off, smime_ct, sizeof(smime_ct)) == 0)
			return 1;
	}
	return 0;
}

/* The last line that is not blank, without its line end. */
static void
last_line(const uint8_t *data, size_t len, const uint8_t **linep,
    size_t *lenp)
{
	size_t e = len, b;

	while (e > 0 && is_space(data[e - 1]))
		e--;
	for (b = e; b > 0 && data[b - 1] != '\n'; b--)
		;
	*linep = data + b;
	*lenp = e - b;
}

/*
 * PEM: a BEGIN CMS/PKCS7 line after optional white space; or, for a file
 * whose BEGIN line was damaged, a matching END line as the last line; or
 * a file truncated inside its BEGIN line (at least "----": YAML's "---"
 * alone is a configuration).
 */
static int
looks_pem(const uint8_t *data, size_t len)
{
	static const char *const ends[] = {
		"-----END CMS-----", "-----END PKCS7-----"
	};
	const uint8_t *line;
	size_t i = 0, k, l, n;

	while (i < len && is_space(data[i]))
		i++;
	for (k = 0; k < sizeof(pem_labels) / sizeof(pem_labels[0]); k++) {
		l = strlen(pem_labels[k]);
		if (len - i >= l && memcmp(data + i, pem_labels[k], l) == 0)
			return 1;
	}
	last_line(data, len, &line, &n);
	for (k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
		l = strlen(ends[k]);
		if (n >= l && memcmp(line, ends[k], l) == 0 &&
		    (n == l || line[l] == ' ' || line[l] == '\t' ||
		    line[l] == '\r'))
			return 1;
	}
	/* The whole file (without trailing white space) a label prefix. */
	if (line + n <= data + i)
		return 0;
	n = (size_t)(line + n - (data + i));
	if (n < 4)
		return 0;
	for (k = 0; k < sizeof(pem_labels) / sizeof(pem_labels[0]); k++) {
		l = strlen(pem_labels[k]);
		if (n < l && memcmp(data + i, pem_labels[k], n) == 0)
			return 1;
	}
	return 0;
}

int
cs_envelope_looks_sealed(const uint8_t *data, size_t len)
{
	if (data == NULL)
		return 0;
	return looks_der(data, len) || looks_pem(data, len);
}

int
cs_envelope_armour(const uint8_t *data, size_t len)
{
	if (data == NULL)
		return -1;
	if (looks_der(data, len))
		return CS_ARMOUR_DER;
	return looks_pem(data, len) ? CS_ARMOUR_PEM : -1;
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
 * Gives the whole pages of buf past used back to the kernel.  Why: a PEM
 * body decodes in place into its first three quarters; the rest is never
 * read again, but would stay resident while OpenSSL copies the ciphertext
 * out of the DER (22 MiB of the peak for a 64 MiB configuration,
 * bench/ANALYSIS.md).  Only pages inside the buffer are released, so the
 * allocator's own bookkeeping is untouched; they read back as zeros, and
 * the buffer is freed whole later.
 */
static void
release_tail(uint8_t *buf, size_t used, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start, end;

	if (page == 0 || (page & (page - 1)) != 0)
		return;
	start = ((uintptr_t)buf + used + page - 1) & ~(page - 1);
	end = ((uintptr_t)buf + len) & ~(page - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_DONTNEED);
}

/*
 * Decodes data into DER (into data itself when inplace, which the caller
 * gives up; else into a new buffer, or not at all for DER input) and
 * checks the counts of issue 19 on it.  OpenSSL has not seen it yet.
 */
static int
decode(certseal_ctx *ctx, const uint8_t *data, size_t len, uint8_t *inplace,
    const char *name, struct cs_der *dout)
{
	unsigned char *der = NULL, *owned = NULL;
	const char *form = "PEM";
	size_t off, blen;
	long derlen = 0;
	int r = CERTSEAL_E_INTERNAL;

	memset(dout, 0, sizeof(*dout));
	if (len > CS_MAX_SEALED_SIZE) {
		r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: %zu bytes, over "
		    "the limit of %zu bytes", name, len, CS_MAX_SEALED_SIZE);
		goto out;
	}
	/* Before an in-place decode writes DER over the PEM in data. */
	form = looks_der(data, len) ? "DER" : "PEM";
	if (*form == 'D') {
		der = (unsigned char *)data;
		derlen = (long)len;
	} else {
		if (pem_body(data, len, &off, &blen) != 0)
			goto bad;
		/* Base64 decodes to at most 3/4 of its length. */
		if (inplace != NULL)
			der = inplace;
		else if ((der = owned = OPENSSL_malloc(blen / 4 * 3 +
		    3)) == NULL) {
			r = cs_nomem(ctx);
			goto out;
		}
		if ((derlen = cs_base64_decode(data + off, blen, der)) < 0)
			goto bad;
		if (inplace != NULL)
			release_tail(inplace, (size_t)derlen, len);
	}
	dout->form = form;
	/* Excess is refused before OpenSSL builds it (issue 19). */
	if ((r = cs_cms_check_counts(ctx, der, derlen, name,
	    "outer structure")) != 0)
		goto out;
	dout->p = der;
	dout->len = derlen;
	dout->writable = inplace != NULL || owned != NULL ? der : NULL;
	dout->owned = owned;
	owned = NULL;
	r = 0; /* success */
	goto out;
 bad:
	r = cs_envelope_damaged(ctx, name, form);
 out:
	OPENSSL_free(owned);
	return r;
}

int
cs_envelope_d2i(certseal_ctx *ctx, const struct cs_der *der,
    const unsigned char *p, long len, const char *name,
    CMS_ContentInfo **out)
{
	if ((*out = cs_cms_d2i_exact(p, len)) != NULL)
		return 0;
	if (cs_cms_has_auth_attrs(p, len))
		return cs_error(ctx, CERTSEAL_E_POLICY, "%s: the "
		    "AuthEnvelopedData carries authenticated attributes "
		    "(authAttrs), which this OpenSSL cannot read; reseal it "
		    "with content type id-data and no authAttrs", name);
	return cs_envelope_damaged(ctx, name, der->form);
}

int
cs_envelope_damaged(certseal_ctx *ctx, const char *name, const char *form)
{
	return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: looks like %s CMS but "
	    "does not parse: the file is damaged or truncated; restore it "
	    "from a copy, or have it sealed again", name, form);
}

/* Decodes and parses data (see decode). */
static int
parse(certseal_ctx *ctx, const uint8_t *data, size_t len, uint8_t *inplace,
    const char *name, CMS_ContentInfo **out, struct cs_der *dout)
{
	int r;

	*out = NULL;
	if ((r = decode(ctx, data, len, inplace, name, dout)) != 0)
		return r;
	if ((r = cs_envelope_d2i(ctx, dout, dout->p, dout->len, name,
	    out)) != 0)
		cs_der_release(dout);
	return r;
}

int
cs_envelope_decode(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, struct cs_der *der)
{
	return decode(ctx, data, len, NULL, name, der);
}

int
cs_envelope_decode_inplace(certseal_ctx *ctx, uint8_t *data, size_t len,
    const char *name, struct cs_der *der)
{
	return decode(ctx, data, len, data, name, der);
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
