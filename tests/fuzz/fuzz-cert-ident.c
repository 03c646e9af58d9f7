/*
 * fuzz-cert-ident.c - who a certificate is, read without parsing it
 * (cs_cert_ident_read), against OpenSSL's own parse of the same bytes.
 *
 * The walk decides which token certificates an open does not parse: a
 * certificate it misreads would be a trusted signer left out.  Whenever
 * both read the input, they must agree on the issuer and the serial
 * number, and a SKID OpenSSL's parse has must be the walk's.  The walk
 * may see more - a SKID in a certificate whose extensions OpenSSL finds
 * invalid and then reports none - which only costs that certificate a
 * parse; and it may refuse what OpenSSL accepts (the caller then parses).
 */
#include "config.h"

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "fuzz-common.h"
#include "internal.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	const ASN1_OCTET_STRING *skid;
	struct cs_cert_ident id;
	X509 *x;

	if (cs_cert_ident_read(data, size, &id) != 0)
		return 0;
	x = d2i_X509(NULL, &p, (long)size);
	if (x != NULL && p == data + size) {
		skid = X509_get0_subject_key_id(x);
		if (X509_NAME_cmp(id.issuer, X509_get_issuer_name(x)) != 0 ||
		    ASN1_INTEGER_cmp(id.serial,
		    X509_get0_serialNumber(x)) != 0 ||
		    (skid != NULL && (id.skid == NULL ||
		    ASN1_OCTET_STRING_cmp(skid, id.skid) != 0)))
			abort();
	}
	X509_free(x);
	cs_cert_ident_release(&id);
	ERR_clear_error();
	return 0;
}
