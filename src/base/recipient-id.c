/*
 * recipient-id.c - matching a CMS recipient or signer identifier against a
 * certificate; key identifiers and names as text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/buffer.h>
#include <openssl/x509v3.h>

#include "base.h"

int
cs_recipient_id_matches(const struct cs_recipient_id *id, X509 *cert)
{
	const ASN1_OCTET_STRING *skid;

	if (id->keyid != NULL) {
		skid = X509_get0_subject_key_id(cert);
		return skid != NULL &&
		    ASN1_OCTET_STRING_cmp(skid, id->keyid) == 0;
	}
	if (id->issuer != NULL && id->serial != NULL) {
		return X509_NAME_cmp(id->issuer,
		    X509_get_issuer_name(cert)) == 0 &&
		    ASN1_INTEGER_cmp(id->serial,
		    X509_get0_serialNumber(cert)) == 0;
	}
	return 0;
}

char *
cs_name_text(const X509_NAME *nm, size_t max)
{
	BUF_MEM *bm;
	BIO *b;
	char *s = NULL;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	/* RFC 2253 escapes non-ASCII, so the result is plain ASCII. */
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0) {
		BIO_get_mem_ptr(b, &bm);
		s = strndup(bm->data, bm->length > max ? max : bm->length);
	}
	BIO_free(b);
	return s;
}

void
cs_name_text_buf(const X509_NAME *nm, char *buf, size_t size)
{
	char *s = cs_name_text(nm, size > 0 ? size - 1 : 0);

	if (size == 0)
		return;
	snprintf(buf, size, "%s", s != NULL ? s : "?");
	free(s);
}

char *
cs_name_cn(const X509_NAME *nm, size_t max)
{
	X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	char *s = NULL;
	int i, n;

	if (nm == NULL ||
	    (i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1)) < 0 ||
	    (e = X509_NAME_get_entry(nm, i)) == NULL ||
	    (n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e))) < 0)
		return NULL;
	if ((size_t)n == strlen((char *)utf8))
		s = strndup((char *)utf8, (size_t)n < max ? (size_t)n : max);
	OPENSSL_free(utf8);
	return s;
}
