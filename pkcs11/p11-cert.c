/*
 * p11-cert.c - certificate objects.
 *
 * A minimal template on purpose: libp11's PKCS11_store_certificate adds
 * PKCS#11 2.30 attributes (CKA_CERTIFICATE_CATEGORY...) that Cryptoki 2.20
 * tokens reject; class, type, token, value, subject, issuer, serial, id
 * and label work everywhere.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "p11.h"

int
cs_p11_cert_store(certseal_ctx *ctx, struct cs_p11_token *tok, X509 *cert,
    const uint8_t *id, size_t idlen, const char *label)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	const ASN1_OCTET_STRING *skid;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *ser = NULL;
	int derlen, subjlen, isslen, serlen, r = CERTSEAL_E_INTERNAL;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE o;
	CK_RV rv;

	if (id == NULL && (skid = X509_get0_subject_key_id(cert)) != NULL) {
		id = skid->data;
		idlen = (size_t)skid->length;
	}
	if (id == NULL || idlen == 0 || idlen > CS_P11_ID_MAX) {
		return cs_error(ctx, CERTSEAL_E_USAGE, "certificate without a "
		    "subjectKeyIdentifier: cannot give it a CKA_ID");
	}
	derlen = i2d_X509(cert, &der);
	subjlen = i2d_X509_NAME(X509_get_subject_name(cert), &subj);
	isslen = i2d_X509_NAME(X509_get_issuer_name(cert), &iss);
	serlen = i2d_ASN1_INTEGER(X509_get_serialNumber(cert), &ser);
	if (derlen <= 0 || subjlen <= 0 || isslen <= 0 || serlen <= 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "certificate");
		goto out;
	}
	{
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_VALUE, der, (CK_ULONG)derlen },
			{ CKA_SUBJECT, subj, (CK_ULONG)subjlen },
			{ CKA_ISSUER, iss, (CK_ULONG)isslen },
			{ CKA_SERIAL_NUMBER, ser, (CK_ULONG)serlen },
			{ CKA_ID, (void *)id, (CK_ULONG)idlen },
			{ CKA_LABEL, (void *)label,
			    label ? (CK_ULONG)strlen(label) : 0 },
		};

		cs_p11_lock();
		if ((r = cs_p11_token_session(ctx, tok, &h)) == 0 &&
		    (rv = fl->C_CreateObject(h, tmpl, label ? 9 : 8, &o)) !=
		    CKR_OK)
			r = cs_p11_error(ctx, rv, "token '%s': storing "
			    "certificate '%s'", cs_p11_token_label(tok),
			    label ? label : "");
		cs_p11_unlock();
	}
 out:
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return r;
}
