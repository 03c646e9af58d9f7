/*
 * p11-export.c - moving an extractable private key between a token and
 * memory, never through a file.
 *
 * Both directions use CKM_AES_KEY_WRAP_PAD (RFC 5649) under a one-time
 * AES-256 key that exists only in this process and as a session object:
 * export wraps on the token and unwraps the PKCS#8 in memory; import wraps
 * in memory and unwraps on the token.  The PKCS#8 bytes and the AES key
 * live in wiped buffers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "p11.h"

#define KEK_LEN		32
#define PKCS8_MAX	(16 * 1024)

/* A session AES key on the token holding kek (lock held). */
static int
session_kek(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_SESSION_HANDLE h, const struct cs_secret *kek, CK_OBJECT_HANDLE *out)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_WRAP, &yes, sizeof(yes) },
		{ CKA_UNWRAP, &yes, sizeof(yes) },
		{ CKA_VALUE, kek->data, kek->len },
	};
	CK_RV rv;

	if ((rv = fl->C_CreateObject(h, t, 6, out)) != CKR_OK)
		return cs_p11_error(ctx, rv, "token '%s': creating a session "
		    "AES key", cs_p11_token_label(tok));
	return 0;
}

/* RFC 5649 in software; enc 1 wraps, 0 unwraps.  *out is wiped on free. */
static int
soft_wrap(certseal_ctx *ctx, int enc, const struct cs_secret *kek,
    const uint8_t *in, size_t inlen, struct cs_secret **out)
{
	EVP_CIPHER_CTX *c = NULL;
	struct cs_secret *buf = NULL;
	int len = 0, fin = 0, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if (inlen > PKCS8_MAX ||
	    (r = cs_secret_new(inlen + 16, &buf)) != 0)
		goto out;
	r = CERTSEAL_E_INTERNAL;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	/* OpenSSL refuses wrap modes through EVP unless asked. */
	EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (!EVP_CipherInit_ex(c, EVP_aes_256_wrap_pad(), NULL, kek->data,
	    NULL, enc) ||
	    !EVP_CipherUpdate(c, buf->data, &len, in, (int)inlen) ||
	    !EVP_CipherFinal_ex(c, buf->data + len, &fin)) {
		r = cs_error(ctx, CERTSEAL_E_DECRYPT, "AES key %s failed",
		    enc ? "wrap" : "unwrap");
		goto out;
	}
	buf->len = (size_t)(len + fin);
	*out = buf;
	buf = NULL;
	r = 0; /* success */
 out:
	if (buf != NULL)
		buf->len = inlen + 16;
	cs_secret_free(buf);
	EVP_CIPHER_CTX_free(c);
	return r;
}

int
cs_p11_export_key(certseal_ctx *ctx, struct cs_p11_token *tok,
    const uint8_t *id, size_t idlen, EVP_PKEY **out)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	struct cs_p11_object *objs = NULL;
	struct cs_secret *kek = NULL, *p8 = NULL;
	CK_OBJECT_HANDLE wk = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	uint8_t *wrapped = NULL;
	const unsigned char *p;
	CK_ULONG wlen = 0;
	EVP_PKEY *pkey = NULL;
	size_t n = 0;
	CK_RV rv;
	int r = CERTSEAL_E_INTERNAL, locked = 0;

	*out = NULL;
	if ((r = cs_p11_find(ctx, tok, CKO_PRIVATE_KEY, id, idlen, NULL,
	    &objs, &n)) != 0)
		goto out;
	if (n == 0) {
		r = cs_error(ctx, CERTSEAL_E_NOT_FOUND, "token '%s': no "
		    "private key with that ID", cs_p11_token_label(tok));
		goto out;
	}
	if ((r = cs_secret_new(KEK_LEN, &kek)) != 0)
		goto out;
	if (RAND_priv_bytes(kek->data, KEK_LEN) != 1) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "no randomness");
		goto out;
	}
	cs_p11_lock();
	locked = 1;
	if ((r = cs_p11_token_session(ctx, tok, &h)) != 0 ||
	    (r = session_kek(ctx, tok, h, kek, &wk)) != 0)
		goto out;
	if ((rv = fl->C_WrapKey(h, &mech, wk, objs[0].handle, NULL,
	    &wlen)) != CKR_OK || wlen > PKCS8_MAX + 16 ||
	    (wrapped = malloc(wlen)) == NULL ||
	    (rv = fl->C_WrapKey(h, &mech, wk, objs[0].handle, wrapped,
	    &wlen)) != CKR_OK) {
		r = wrapped == NULL && rv == CKR_OK ?
		    cs_nomem(ctx) :
		    cs_p11_error(ctx, rv, "token '%s': exporting key '%s' "
		    "(C_WrapKey)", cs_p11_token_label(tok), objs[0].label);
		goto out;
	}
	fl->C_DestroyObject(h, wk);
	wk = CK_INVALID_HANDLE;
	cs_p11_unlock();
	locked = 0;
	if ((r = soft_wrap(ctx, 0, kek, wrapped, wlen, &p8)) != 0)
		goto out;
	p = p8->data;
	if ((pkey = d2i_AutoPrivateKey(NULL, &p, (long)p8->len)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "token '%s': the "
		    "exported key is not PKCS#8", cs_p11_token_label(tok));
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = 0; /* success */
 out:
	if (wk != CK_INVALID_HANDLE)
		fl->C_DestroyObject(h, wk);
	if (locked)
		cs_p11_unlock();
	EVP_PKEY_free(pkey);
	cs_secret_free(p8);
	cs_secret_free(kek);
	free(wrapped);
	free(objs);
	return r;
}

/* The public key object for pkey, so EC keys are usable without certs. */
static int
create_public(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_SESSION_HANDLE h, EVP_PKEY *pkey, const uint8_t *id, size_t idlen,
    const char *label)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char *a = NULL, *b = NULL, *params = NULL;
	unsigned char pt[133];
	ASN1_OCTET_STRING *os = NULL;
	BIGNUM *n = NULL, *e = NULL;
	char group[64];
	size_t ptlen = 0;
	int alen = 0, blen = 0, r = CERTSEAL_E_INTERNAL;
	CK_OBJECT_HANDLE o;
	CK_RV rv;

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		kt = CKK_RSA;
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
		    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) ||
		    (a = OPENSSL_malloc(BN_num_bytes(n))) == NULL ||
		    (b = OPENSSL_malloc(BN_num_bytes(e))) == NULL)
			goto out;
		alen = BN_bn2bin(n, a);
		blen = BN_bn2bin(e, b);
	} else {
		kt = CKK_EC;
		if (!EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
		    !EVP_PKEY_get_octet_string_param(pkey,
		    OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen) ||
		    (os = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(os, pt, (int)ptlen) ||
		    (alen = i2d_ASN1_OBJECT(OBJ_nid2obj(OBJ_sn2nid(group)),
		    &a)) <= 0 || (blen = i2d_ASN1_OCTET_STRING(os, &b)) <= 0)
			goto out;
		(void)params;
	}
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_KEY_TYPE, &kt, sizeof(kt) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_ID, (void *)id, idlen },
			{ kt == CKK_RSA ? CKA_MODULUS : CKA_EC_PARAMS, a,
			    (CK_ULONG)alen },
			{ kt == CKK_RSA ? CKA_PUBLIC_EXPONENT : CKA_EC_POINT,
			    b, (CK_ULONG)blen },
			{ CKA_LABEL, (void *)label,
			    label ? (CK_ULONG)strlen(label) : 0 },
		};

		if ((rv = fl->C_CreateObject(h, t, label ? 8 : 7, &o)) !=
		    CKR_OK) {
			r = cs_p11_error(ctx, rv, "token '%s': creating the "
			    "public key", cs_p11_token_label(tok));
			goto out;
		}
	}
	r = 0; /* success */
 out:
	if (r == CERTSEAL_E_INTERNAL)
		r = cs_error(ctx, r, "cannot encode the public key");
	BN_free(n);
	BN_free(e);
	OPENSSL_free(a);
	OPENSSL_free(b);
	ASN1_OCTET_STRING_free(os);
	return r;
}

/*
 * One key a CKA_ID (DESIGN.md section 2).  A private key under the SKID
 * already: this key again when a certificate under that ID has its public
 * key (*present = 1: nothing to import), else another key, refused - a
 * second one would leave every open to guess which.
 */
static int
check_id_free(certseal_ctx *ctx, struct cs_p11_token *tok, EVP_PKEY *pkey,
    const ASN1_OCTET_STRING *skid, int *present)
{
	struct cs_p11_object *objs = NULL;
	STACK_OF(X509) *have = NULL;
	char hex[2 * CS_P11_ID_MAX + 1];
	size_t n = 0;
	int i, r;

	*present = 0;
	if ((r = cs_p11_find(ctx, tok, CKO_PRIVATE_KEY, skid->data,
	    (size_t)skid->length, NULL, &objs, &n)) != 0)
		return r;
	free(objs);
	if (n == 0)
		return 0;
	if ((r = cs_p11_certs(ctx, tok, skid->data, (size_t)skid->length,
	    NULL, &have, NULL)) != 0)
		return r;
	for (i = 0; have != NULL && i < sk_X509_num(have); i++)
		if (EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(have, i)),
		    pkey) == 1)
			*present = 1;
	sk_X509_pop_free(have, X509_free);
	if (*present)
		return 0;
	cs_hex(skid->data, (size_t)skid->length, hex, sizeof(hex));
	return cs_error(ctx, CERTSEAL_E_STATE, "token '%s' already holds a "
	    "private key with CKA_ID %s, and not this one: nothing imported "
	    "(delete that key first if it is stale)", cs_p11_token_label(tok),
	    hex);
}

int
cs_p11_import_key(certseal_ctx *ctx, struct cs_p11_token *tok,
    EVP_PKEY *pkey, X509 *cert, STACK_OF(X509) *extra, const char *label,
    int extractable, int *present)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt;
	CK_BBOOL yes = CK_TRUE, xtr = extractable ? CK_TRUE : CK_FALSE;
	CK_BBOOL is_rsa, sign, dec, derive;
	const ASN1_OCTET_STRING *skid;
	struct cs_secret *kek = NULL, *p8 = NULL, *wrapped = NULL;
	PKCS8_PRIV_KEY_INFO *info = NULL;
	unsigned char *der = NULL;
	CK_OBJECT_HANDLE wk = CK_INVALID_HANDLE, o;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	uint32_t ku;
	int derlen = 0, i, r = CERTSEAL_E_INTERNAL, locked = 0;
	CK_RV rv;

	if ((skid = X509_get0_subject_key_id(cert)) == NULL ||
	    skid->length > CS_P11_ID_MAX || X509_check_private_key(cert,
	    pkey) != 1) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "the certificate has no "
		    "subjectKeyIdentifier or does not match the key");
		goto out;
	}
	if ((r = check_id_free(ctx, tok, pkey, skid, present)) != 0 ||
	    *present)
		goto out;
	is_rsa = EVP_PKEY_is_a(pkey, "RSA");
	if (!is_rsa && !EVP_PKEY_is_a(pkey, "EC")) {
		r = cs_error(ctx, CERTSEAL_E_UNSUPPORTED, "only RSA and EC "
		    "keys can be imported");
		goto out;
	}
	kt = is_rsa ? CKK_RSA : CKK_EC;
	/* What the key may do follows its certificate's keyUsage. */
	ku = X509_get_key_usage(cert);
	sign = (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
	dec = is_rsa && (ku & (KU_KEY_ENCIPHERMENT |
	    KU_DATA_ENCIPHERMENT)) != 0;
	derive = !is_rsa && (ku & KU_KEY_AGREEMENT) != 0;
	if ((info = EVP_PKEY2PKCS8(pkey)) == NULL ||
	    (derlen = i2d_PKCS8_PRIV_KEY_INFO(info, &der)) <= 0 ||
	    (r = cs_secret_from(der, (size_t)derlen, &p8)) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "private key");
		goto out;
	}
	if ((r = cs_secret_new(KEK_LEN, &kek)) != 0)
		goto out;
	if (RAND_priv_bytes(kek->data, KEK_LEN) != 1) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "no randomness");
		goto out;
	}
	if ((r = soft_wrap(ctx, 1, kek, p8->data, p8->len, &wrapped)) != 0)
		goto out;
	cs_p11_lock();
	locked = 1;
	if ((r = cs_p11_token_session(ctx, tok, &h)) != 0 ||
	    (r = session_kek(ctx, tok, h, kek, &wk)) != 0)
		goto out;
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_KEY_TYPE, &kt, sizeof(kt) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &yes, sizeof(yes) },
			{ CKA_SENSITIVE, &yes, sizeof(yes) },
			{ CKA_EXTRACTABLE, &xtr, sizeof(xtr) },
			{ CKA_ID, skid->data, (CK_ULONG)skid->length },
			{ CKA_SIGN, &sign, sizeof(sign) },
			{ CKA_DECRYPT, &dec, sizeof(dec) },
			{ CKA_UNWRAP, &dec, sizeof(dec) },
			{ CKA_DERIVE, &derive, sizeof(derive) },
			{ CKA_LABEL, (void *)label,
			    label ? (CK_ULONG)strlen(label) : 0 },
		};

		if ((rv = fl->C_UnwrapKey(h, &mech, wk, wrapped->data,
		    wrapped->len, t, label ? 12 : 11, &o)) != CKR_OK) {
			r = cs_p11_error(ctx, rv, "token '%s': importing the "
			    "private key (C_UnwrapKey)",
			    cs_p11_token_label(tok));
			goto out;
		}
	}
	fl->C_DestroyObject(h, wk);
	wk = CK_INVALID_HANDLE;
	if ((r = create_public(ctx, tok, h, pkey, skid->data,
	    (size_t)skid->length, label)) != 0 ||
	    (r = cs_p11_cert_store(ctx, tok, cert, NULL, 0, label)) != 0)
		goto out;
	for (i = 0; extra != NULL && i < sk_X509_num(extra); i++) {
		if ((r = cs_p11_cert_store(ctx, tok, sk_X509_value(extra, i),
		    NULL, 0, label)) != 0)
			goto out;
	}
	r = 0; /* success */
 out:
	if (wk != CK_INVALID_HANDLE)
		fl->C_DestroyObject(h, wk);
	if (locked)
		cs_p11_unlock();
	PKCS8_PRIV_KEY_INFO_free(info);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
	cs_secret_free(p8);
	cs_secret_free(kek);
	cs_secret_free(wrapped);
	return r;
}
