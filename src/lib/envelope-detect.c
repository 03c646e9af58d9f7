/*
 * envelope-detect.c - is this file sealed, and parsing it when it is.
 *
 * "Looks sealed" is decided on a prefix only, so that a damaged or
 * truncated sealed file is reported as damaged and never handed out as
 * plaintext (DESIGN.md section 3).
 */
#include "config.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

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
 * Nothing but white space may follow the PEM block's END line: bytes
 * appended to or changed after a sealed file's armour are a change to it,
 * not something to ignore (OpenSSL's PEM reader would).
 */
static int
pem_trailer_clean(const uint8_t *data, size_t len)
{
	static const char end[] = "-----END ";
	size_t i, last = len, dashes = 0;

	for (i = 0; i + sizeof(end) - 1 <= len; i++)
		if (memcmp(data + i, end, sizeof(end) - 1) == 0)
			last = i;
	if (last == len)
		return 0;
	/* Past "-----END LABEL-----". */
	for (i = last + sizeof(end) - 1; i < len && dashes < 5; i++)
		dashes = data[i] == '-' ? dashes + 1 : 0;
	if (dashes < 5)
		return 0;
	for (; i < len; i++)
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' &&
		    data[i] != '\n')
			return 0;
	return 1;
}

void
cs_der_release(struct cs_der *der)
{
	OPENSSL_free(der->owned);
	memset(der, 0, sizeof(*der));
}

int
cs_envelope_parse(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, CMS_ContentInfo **out, struct cs_der *dout)
{
	BIO *bio = NULL;
	char *pemname = NULL, *header = NULL;
	unsigned char *der = NULL;
	CMS_ContentInfo *cms = NULL;
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
	} else {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
			r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
			goto out;
		}
		if (PEM_read_bio(bio, &pemname, &header, &der,
		    &derlen) != 1 || (strcmp(pemname, "CMS") != 0 &&
		    strcmp(pemname, "PKCS7") != 0) || header[0] != '\0' ||
		    (cms = cs_cms_d2i_exact(der, derlen)) == NULL ||
		    !pem_trailer_clean(data, len)) {
			r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: looks like "
			    "PEM CMS but does not parse; the file is damaged "
			    "or truncated", name);
			goto out;
		}
	}
	if (der != NULL) {
		dout->p = der;
		dout->len = derlen;
		dout->owned = der;
		der = NULL;
	} else {
		dout->p = data;
		dout->len = (long)len;
	}
	*out = cms;
	cms = NULL;
	r = 0; /* success */
 out:
	CMS_ContentInfo_free(cms);
	OPENSSL_free(pemname);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return r;
}
