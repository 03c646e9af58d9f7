/*
 * key.c - struct cs_key, the key a source hands to the envelope.
 */
#include "config.h"

#include <openssl/x509v3.h>

#include "internal.h"

void
cs_key_set_keyid(struct cs_key *key)
{
	const ASN1_OCTET_STRING *skid;

	key->keyid_hex[0] = '\0';
	if (key->cert == NULL ||
	    (skid = X509_get0_subject_key_id(key->cert)) == NULL)
		return;
	cs_hex(ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid),
	    key->keyid_hex, sizeof(key->keyid_hex));
}
