/*
 * p11-keygen.c - key pairs generated inside the token, and their
 * self-signed certificates signed on the token.
 *
 * A raw C_GenerateKeyPair with explicit templates: libp11 0.4.12 only has
 * an RSA generator whose template leaves CKA_EXTRACTABLE unset.  The pair
 * first gets a random temporary CKA_ID (so that its halves can be found
 * together), then CKA_ID = the certificate's SKID once that is known.
 *
 * Encryption keys sign exactly one thing, their own certificate: they are
 * created with CKA_SIGN=TRUE and have it cleared right after.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "p11.h"

int
cs_p11_alg_parse(const char *name, enum cs_p11_alg *out)
{
	static const struct {
		const char *name;
		enum cs_p11_alg alg;
	} algs[] = {
		{ "rsa-3072", CS_P11_RSA3072 },
		{ "rsa-4096", CS_P11_RSA4096 },
		{ "ec-p256", CS_P11_EC_P256 },
		{ "ec-p384", CS_P11_EC_P384 },
	};
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strcmp(name, algs[i].name) == 0) {
			*out = algs[i].alg;
			return 0;
		}
	}
	return CERTSEAL_E_UNSUPPORTED;
}

/* DER OID of the named curve, for CKA_EC_PARAMS. */
static int
ec_params(int nid, unsigned char **der)
{
	ASN1_OBJECT *oid = OBJ_nid2obj(nid);

	*der = NULL;
	return oid == NULL ? -1 : i2d_ASN1_OBJECT(oid, der);
}

static int
generate(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_keygen *kg, const uint8_t *tmpid, size_t tmpidlen,
    CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY, privc = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BBOOL enc = kg->usage == CS_P11_USAGE_ENCRYPT ? CK_TRUE : CK_FALSE;
	CK_BBOOL xtr = kg->extractable ? CK_TRUE : CK_FALSE;
	CK_BBOOL rsa = kg->alg == CS_P11_RSA3072 || kg->alg == CS_P11_RSA4096;
	CK_KEY_TYPE kt = rsa ? CKK_RSA : CKK_EC;
	CK_ULONG bits = kg->alg == CS_P11_RSA4096 ? 4096 : 3072;
	CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { rsa ? CKM_RSA_PKCS_KEY_PAIR_GEN :
	    CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL enc_rsa = enc && rsa, enc_ec = enc && !rsa;
	unsigned char *params = NULL;
	int paramslen = 0, r = CERTSEAL_E_INTERNAL;
	CK_ULONG label_len = kg->label ? strlen(kg->label) : 0;
	CK_SESSION_HANDLE h;
	CK_RV rv;

	if (!rsa && (paramslen = ec_params(kg->alg == CS_P11_EC_P256 ?
	    NID_X9_62_prime256v1 : NID_secp384r1, &params)) <= 0)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "curve");
	{
		CK_ATTRIBUTE pubt[] = {
			{ CKA_CLASS, &pubc, sizeof(pubc) },
			{ CKA_KEY_TYPE, &kt, sizeof(kt) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_ID, (void *)tmpid, tmpidlen },
			{ CKA_LABEL, (void *)kg->label, label_len },
			{ CKA_VERIFY, &yes, sizeof(yes) },
			{ CKA_ENCRYPT, &enc_rsa, sizeof(enc_rsa) },
			{ CKA_WRAP, &enc_rsa, sizeof(enc_rsa) },
			/* the type-specific attributes come last */
			{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
			{ CKA_PUBLIC_EXPONENT, f4, sizeof(f4) },
		};
		CK_ATTRIBUTE privt[] = {
			{ CKA_CLASS, &privc, sizeof(privc) },
			{ CKA_KEY_TYPE, &kt, sizeof(kt) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &yes, sizeof(yes) },
			{ CKA_SENSITIVE, &yes, sizeof(yes) },
			{ CKA_EXTRACTABLE, &xtr, sizeof(xtr) },
			{ CKA_ID, (void *)tmpid, tmpidlen },
			{ CKA_LABEL, (void *)kg->label, label_len },
			/* cleared for encryption keys after self-signing */
			{ CKA_SIGN, &yes, sizeof(yes) },
			{ CKA_DECRYPT, &enc_rsa, sizeof(enc_rsa) },
			{ CKA_UNWRAP, &enc_rsa, sizeof(enc_rsa) },
			{ CKA_DERIVE, &enc_ec, sizeof(enc_ec) },
		};
		CK_ULONG npub = sizeof(pubt) / sizeof(pubt[0]);

		if (!rsa) {
			/* EC: CKA_EC_PARAMS instead of bits and exponent. */
			pubt[npub - 2].type = CKA_EC_PARAMS;
			pubt[npub - 2].pValue = params;
			pubt[npub - 2].ulValueLen = (CK_ULONG)paramslen;
			npub--;
		}
		cs_p11_lock();
		if ((r = cs_p11_token_session(ctx, tok, &h)) == 0 &&
		    (rv = fl->C_GenerateKeyPair(h, &mech, pubt, npub, privt,
		    sizeof(privt) / sizeof(privt[0]), pub, priv)) != CKR_OK)
			r = cs_p11_error(ctx, rv, "token '%s': generating key "
			    "pair '%s'", cs_p11_token_label(tok),
			    kg->label ? kg->label : "");
		cs_p11_unlock();
	}
	OPENSSL_free(params);
	return r;
}

/* A self-signed certificate for pkey, signed on the token. */
static int
self_signed(certseal_ctx *ctx, const struct cs_p11_keygen *kg,
    EVP_PKEY *pkey, X509 **out)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	BIGNUM *bn = NULL;
	unsigned char serial[16];
	const char *ku, *bc;
	unsigned char *der = NULL;
	const unsigned char *p;
	int r = CERTSEAL_E_INTERNAL, rsa, derlen;

	*out = NULL;
	rsa = kg->alg == CS_P11_RSA3072 || kg->alg == CS_P11_RSA4096;
	/*
	 * The signing key also issues the client certificates of enrolled
	 * clients (DESIGN.md section 8): a CA as RFC 5280 4.2.1.9 and
	 * 4.2.1.3 want one, so that openssl verify and certtool accept the
	 * chain.  No path length: a cross-certificate may follow it.
	 */
	if (kg->usage == CS_P11_USAGE_SIGN) {
		ku = "critical,digitalSignature,keyCertSign";
		bc = "critical,CA:TRUE";
	} else {
		ku = rsa ? "critical,keyEncipherment" :
		    "critical,keyAgreement";
		bc = "critical,CA:FALSE";
	}
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto ossl;
	serial[0] &= 0x7f;	/* positive */
	serial[0] |= 0x40;	/* and of full length */
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)(kg->label && *kg->label ? kg->label :
	    "certseal"), -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, name) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), kg->days, 0, NULL) ==
	    NULL ||
	    !X509_set_pubkey(x, pkey) ||
	    !cs_cert_add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !cs_cert_add_ext(x, x, NID_authority_key_identifier,
	        "keyid:always") ||
	    !cs_cert_add_ext(x, x, NID_basic_constraints, bc) ||
	    !cs_cert_add_ext(x, x, NID_key_usage, ku))
		goto ossl;
	/* The signature happens on the token, through pkey's methods. */
	if (X509_sign(x, pkey, kg->alg == CS_P11_EC_P384 ? EVP_sha384() :
	    EVP_sha256()) <= 0) {
		r = cs_error(ctx, CERTSEAL_E_TOKEN, "signing the certificate "
		    "of '%s' on the token failed", kg->label ? kg->label : "");
		goto out;
	}
	/*
	 * Hand out a fresh parse of the DER: the X509 built here keeps pkey
	 * (a legacy token key) as its cached public key, which CMS cannot
	 * encrypt to with OAEP parameters; X509_dup keeps that too.
	 */
	if ((derlen = i2d_X509(x, &der)) <= 0)
		goto ossl;
	p = der;
	if ((*out = d2i_X509(NULL, &p, derlen)) == NULL)
		goto ossl;
	r = 0; /* success */
	goto out;
 ossl:
	r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot build the certificate "
	    "of '%s'", kg->label ? kg->label : "");
 out:
	X509_free(x);
	X509_NAME_free(name);
	BN_free(bn);
	OPENSSL_free(der);
	return r;
}

static int
set_attr(certseal_ctx *ctx, struct cs_p11_token *tok, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE *a, CK_ULONG n, const char *what)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_SESSION_HANDLE h;
	CK_RV rv;
	int r;

	cs_p11_lock();
	if ((r = cs_p11_token_session(ctx, tok, &h)) == 0 &&
	    (rv = fl->C_SetAttributeValue(h, o, a, n)) != CKR_OK)
		r = cs_p11_error(ctx, rv, "token '%s': setting %s",
		    cs_p11_token_label(tok), what);
	cs_p11_unlock();
	return r;
}

int
cs_p11_keygen(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_keygen *kg, X509 **certp)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
	struct cs_p11_object obj;
	const ASN1_OCTET_STRING *skid;
	CK_BBOOL no = CK_FALSE;
	uint8_t tmpid[20];
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	CK_SESSION_HANDLE h;
	int r = CERTSEAL_E_INTERNAL, stored = 0;

	*certp = NULL;
	if (kg->days <= 0 || kg->days > 36500)
		return cs_error(ctx, CERTSEAL_E_USAGE, "certificate validity "
		    "of %d days is out of range (1..36500)", kg->days);
	if (RAND_bytes(tmpid, sizeof(tmpid)) != 1)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "no randomness");
	if ((r = generate(ctx, tok, kg, tmpid, sizeof(tmpid), &pub,
	    &priv)) != 0)
		return r;
	memset(&obj, 0, sizeof(obj));
	obj.handle = priv;
	obj.klass = CKO_PRIVATE_KEY;
	obj.key_type = kg->alg == CS_P11_RSA3072 ||
	    kg->alg == CS_P11_RSA4096 ? CKK_RSA : CKK_EC;
	memcpy(obj.id, tmpid, sizeof(tmpid));
	obj.idlen = sizeof(tmpid);
	snprintf(obj.label, sizeof(obj.label), "%s", kg->label ?
	    kg->label : "");
	if ((r = cs_p11_key_pkey(ctx, tok, &obj, NULL, &pkey)) != 0 ||
	    (r = self_signed(ctx, kg, pkey, &cert)) != 0)
		goto out;
	if ((skid = X509_get0_subject_key_id(cert)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "certificate without "
		    "subjectKeyIdentifier");
		goto out;
	}
	{
		CK_ATTRIBUTE id = { CKA_ID, skid->data,
		    (CK_ULONG)skid->length };
		CK_ATTRIBUTE nosign = { CKA_SIGN, &no, sizeof(no) };

		if ((r = set_attr(ctx, tok, pub, &id, 1, "CKA_ID")) != 0 ||
		    (r = set_attr(ctx, tok, priv, &id, 1, "CKA_ID")) != 0)
			goto out;
		if (kg->usage == CS_P11_USAGE_ENCRYPT &&
		    (r = set_attr(ctx, tok, priv, &nosign, 1,
		    "CKA_SIGN=FALSE")) != 0)
			goto out;
	}
	if ((r = cs_p11_cert_store(ctx, tok, cert, NULL, 0, kg->label)) != 0)
		goto out;
	stored = 1;
	*certp = cert;
	cert = NULL;
	r = 0; /* success */
 out:
	EVP_PKEY_free(pkey);
	X509_free(cert);
	if (r != 0 && !stored) {
		/* Leave no half-made pair behind. */
		cs_p11_lock();
		if (cs_p11_token_session(NULL, tok, &h) == 0) {
			fl->C_DestroyObject(h, pub);
			fl->C_DestroyObject(h, priv);
		}
		cs_p11_unlock();
	}
	return r;
}

/* ---- enrolled client keys (DESIGN.md section 8) ---- */

/*
 * A client's own key pair: generated on the token, CKA_SENSITIVE and
 * never extractable, able to decrypt or derive (sealed files) and to sign
 * (its request, its readiness reports) - the certificate the admin issues
 * for it says both.  No certificate is made here: CKA_ID becomes the key ID
 * (base.h: cs_key_id), which the admin's certificate carries as its SKID,
 * so the issued certificate lands beside the key by CKA_ID alone.
 */
int
cs_p11_keygen_client(certseal_ctx *ctx, struct cs_p11_token *tok,
    enum cs_p11_alg alg, const char *label, EVP_PKEY **pkeyp)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
	struct cs_p11_keygen kg;
	struct cs_p11_object obj;
	uint8_t tmpid[20], id[CS_KEY_ID_LEN];
	EVP_PKEY *pkey = NULL;
	CK_SESSION_HANDLE h;
	int r;

	*pkeyp = NULL;
	memset(&kg, 0, sizeof(kg));
	kg.alg = alg;
	kg.usage = CS_P11_USAGE_ENCRYPT;	/* CKA_SIGN stays set */
	kg.extractable = 0;
	kg.label = label;
	if (RAND_bytes(tmpid, sizeof(tmpid)) != 1)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "no randomness");
	if ((r = generate(ctx, tok, &kg, tmpid, sizeof(tmpid), &pub,
	    &priv)) != 0)
		return r;
	memset(&obj, 0, sizeof(obj));
	obj.handle = priv;
	obj.klass = CKO_PRIVATE_KEY;
	obj.key_type = alg == CS_P11_RSA3072 || alg == CS_P11_RSA4096 ?
	    CKK_RSA : CKK_EC;
	memcpy(obj.id, tmpid, sizeof(tmpid));
	obj.idlen = sizeof(tmpid);
	snprintf(obj.label, sizeof(obj.label), "%s", label);
	if ((r = cs_p11_key_pkey(ctx, tok, &obj, NULL, &pkey)) != 0)
		goto out;
	if (cs_key_id(pkey, id) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot compute the "
		    "key ID of the new key");
		goto out;
	}
	{
		CK_ATTRIBUTE a = { CKA_ID, id, sizeof(id) };

		if ((r = set_attr(ctx, tok, pub, &a, 1, "CKA_ID")) != 0 ||
		    (r = set_attr(ctx, tok, priv, &a, 1, "CKA_ID")) != 0)
			goto out;
	}
	*pkeyp = pkey;
	pkey = NULL;
	r = 0; /* success */
 out:
	EVP_PKEY_free(pkey);
	if (r != 0) {
		cs_p11_lock();
		if (cs_p11_token_session(NULL, tok, &h) == 0) {
			fl->C_DestroyObject(h, pub);
			fl->C_DestroyObject(h, priv);
		}
		cs_p11_unlock();
	}
	return r;
}

/*
 * 1 when the token can generate alg's key pair (C_GetMechanismInfo on the
 * generator and, for RSA, the key size), for `enroll` choosing RSA or EC.
 */
int
cs_p11_can_generate(struct cs_p11_token *tok, enum cs_p11_alg alg)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_MECHANISM_INFO mi;
	CK_MECHANISM_TYPE m;
	CK_ULONG bits;
	CK_RV rv;

	switch (alg) {
	case CS_P11_RSA3072:
	case CS_P11_RSA4096:
		m = CKM_RSA_PKCS_KEY_PAIR_GEN;
		bits = alg == CS_P11_RSA4096 ? 4096 : 3072;
		break;
	default:
		m = CKM_EC_KEY_PAIR_GEN;
		bits = alg == CS_P11_EC_P384 ? 384 : 256;
		break;
	}
	cs_p11_lock();
	rv = fl->C_GetMechanismInfo(cs_p11_token_slot(tok), m, &mi);
	cs_p11_unlock();
	if (rv != CKR_OK || (mi.flags & CKF_GENERATE_KEY_PAIR) == 0)
		return 0;
	/* Some tokens leave the sizes 0: then only trying tells. */
	return mi.ulMaxKeySize == 0 || (bits >= mi.ulMinKeySize &&
	    bits <= mi.ulMaxKeySize);
}
