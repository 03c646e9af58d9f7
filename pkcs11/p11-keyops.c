/*
 * p11-keyops.c - EVP_PKEYs whose private operations happen on the token.
 *
 * The key is a legacy RSA or EC_KEY holding only the public half, with a
 * method of ours that sends private operations to the token:
 *
 *  - RSA_METHOD priv_dec/priv_enc: CKM_RSA_PKCS and raw CKM_RSA_X_509.
 *    OpenSSL's own RSA EVP_PKEY_METHOD does OAEP and PSS as raw RSA plus
 *    padding in software, so this alone covers every padding on tokens
 *    that allow raw RSA.
 *  - A copy of OpenSSL's RSA EVP_PKEY_METHOD whose decrypt first asks the
 *    token for CKM_RSA_PKCS_OAEP with the caller's hash, MGF1 hash and
 *    label (from the CMS recipient's parameters), and whose sign asks for
 *    CKM_RSA_PKCS_PSS; a token refusing the mechanism or its parameters
 *    (SoftHSM: OAEP with SHA-256) falls back to the raw path above.  This
 *    method reaches OpenSSL only through a private ENGINE attached to each
 *    key with EVP_PKEY_set1_engine: registering it globally or making the
 *    engine a default would hijack every RSA key in the process.
 *  - EC_KEY_METHOD sign_sig (CKM_ECDSA) and compute_key (CKM_ECDH1_DERIVE,
 *    the shared secret derived as a non-sensitive session object and read
 *    back, which CMS KARI then feeds to its KDF).
 *
 * The private key is never read: only public attributes are.  ENGINE,
 * RSA_METHOD and EC_KEY_METHOD are deprecated in OpenSSL 3.0 but are the
 * only way to put a token behind CMS_decrypt/CMS_add1_signer without a
 * PKCS#11 provider (Debian 12 has none); the deprecation is confined to
 * this file.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "p11.h"
#include "p11-int.h"

/* What the ex_data of our RSA / EC_KEY points to. */
struct keyref {
	struct cs_p11_token *tok;	/* referenced */
	CK_OBJECT_HANDLE handle;
	unsigned int	 tgen;		/* token generation of handle */
	uint8_t		 id[CS_P11_ID_MAX];
	size_t		 idlen;
	size_t		 size;		/* RSA modulus / EC field bytes */
	/*
	 * The OAEP parameters the token refused for this key, so that the
	 * next decryption goes raw at once (on a remote HSM each refused
	 * C_DecryptInit is a round trip).  Refusals of the mechanism itself
	 * (SoftHSM2 refuses SHA-256) are the token's: see oaep_set_refused.
	 * Under cs_p11_lock().
	 */
	int		 oaep_refused;
	CK_MECHANISM_TYPE refused_hash;
	CK_RSA_PKCS_MGF_TYPE refused_mgf;
	int		 refused_label;
	/*
	 * CKA_ALWAYS_AUTHENTICATE: C_Login(CKU_CONTEXT_SPECIFIC) after each
	 * Init, the PIN from the token's login source; ctx (the context the
	 * key was made in, which owns the source holding the key) gives the
	 * prompt.
	 */
	int		 always_auth;
	certseal_ctx	*ctx;
	char		 label[129];
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int rsa_idx = -1, ec_idx = -1;
static RSA_METHOD *rsa_meth;
static EC_KEY_METHOD *ec_meth;
static EVP_PKEY_METHOD *rsa_pmeth;
static ENGINE *engine;
static int (*orig_decrypt)(EVP_PKEY_CTX *, unsigned char *, size_t *,
    const unsigned char *, size_t);
static int (*orig_sign)(EVP_PKEY_CTX *, unsigned char *, size_t *,
    const unsigned char *, size_t);
static unsigned long n_oaep, n_raw, n_refused;

void
cs_p11_keyops_counters(unsigned long *oaep, unsigned long *raw)
{
	*oaep = n_oaep;
	*raw = n_raw;
}

unsigned long
cs_p11_keyops_refusals(void)
{
	return n_refused;
}

static void
keyref_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	struct keyref *kr = ptr;

	if (kr == NULL)
		return;
	cs_p11_token_unref(kr->tok);
	free(kr);
}

/*
 * The session and the key's handle, both valid now (lock held).  After a
 * fork or a re-initialised module, handles may differ: find the key again
 * by its CKA_ID.
 */
static CK_RV
keyref_session(struct keyref *kr, CK_SESSION_HANDLE *h, CK_OBJECT_HANDLE *o)
{
	struct cs_p11_object *objs = NULL;
	size_t n = 0;

	if (cs_p11_token_session(NULL, kr->tok, h) != 0)
		return CKR_SESSION_HANDLE_INVALID;
	if (kr->tgen != cs_p11_token_generation(kr->tok)) {
		if (kr->idlen == 0 || cs_p11_find(NULL, kr->tok,
		    CKO_PRIVATE_KEY, kr->id, kr->idlen, NULL, &objs, &n) != 0 ||
		    n == 0) {
			free(objs);
			return CKR_KEY_HANDLE_INVALID;
		}
		kr->handle = objs[0].handle;
		kr->tgen = cs_p11_token_generation(kr->tok);
		free(objs);
	}
	*o = kr->handle;
	return CKR_OK;
}

/*
 * One private-key operation: decrypt (sign == 0) or sign.  out holds
 * *outlen bytes on entry and the result length on return.
 */
static CK_RV
token_op(struct keyref *kr, int sign, CK_MECHANISM *mech,
    const unsigned char *in, size_t inlen, unsigned char *out,
    size_t *outlen)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(kr->tok);
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE o;
	CK_ULONG len = *outlen;
	CK_RV rv;

	cs_p11_lock();
	if ((rv = keyref_session(kr, &h, &o)) != CKR_OK)
		goto out;
	rv = sign ? fl->C_SignInit(h, mech, o) : fl->C_DecryptInit(h, mech, o);
	if (rv == CKR_OK && kr->always_auth)
		rv = cs_p11_context_login(kr->ctx, kr->tok, h, kr->label);
	if (rv == CKR_OK)
		rv = sign ? fl->C_Sign(h, (CK_BYTE *)in, inlen, out, &len) :
		    fl->C_Decrypt(h, (CK_BYTE *)in, inlen, out, &len);
	if (rv == CKR_OK)
		*outlen = len;
 out:
	cs_p11_unlock();
	return rv;
}

/* Raw RSA results are modulus-sized; some tokens drop leading zeros. */
static void
left_pad(unsigned char *buf, size_t len, size_t size)
{
	if (len >= size)
		return;
	memmove(buf + size - len, buf, len);
	memset(buf, 0, size - len);
}

static int
rsa_priv(int sign, int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	struct keyref *kr = RSA_get_ex_data(rsa, rsa_idx);
	CK_MECHANISM mech = { 0, NULL, 0 };
	size_t outlen;
	CK_RV rv;

	if (kr == NULL || flen < 0)
		return -1;
	switch (padding) {
	case RSA_PKCS1_PADDING:
		mech.mechanism = CKM_RSA_PKCS;
		break;
	case RSA_NO_PADDING:
		mech.mechanism = CKM_RSA_X_509;
		break;
	default:
		ERR_raise(ERR_LIB_RSA, RSA_R_UNKNOWN_PADDING_TYPE);
		return -1;
	}
	outlen = (size_t)RSA_size(rsa);
	rv = token_op(kr, sign, &mech, from, (size_t)flen, to, &outlen);
	if (rv != CKR_OK) {
		cs_p11_raise(rv);
		return -1;
	}
	if (padding == RSA_NO_PADDING) {
		if (!sign)
			n_raw++;
		left_pad(to, outlen, (size_t)RSA_size(rsa));
		outlen = (size_t)RSA_size(rsa);
	}
	return (int)outlen;
}

static int
rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	return rsa_priv(0, flen, from, to, rsa, padding);
}

static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	return rsa_priv(1, flen, from, to, rsa, padding);
}

/* CKM_SHA* and CKG_MGF1_* for a digest; 0 when PKCS#11 has none. */
static int
md_mech(const EVP_MD *md, CK_MECHANISM_TYPE *hash, CK_ULONG *mgf)
{
	static const struct {
		int nid;
		CK_MECHANISM_TYPE hash;
		CK_ULONG mgf;
	} map[] = {
		{ NID_sha1, CKM_SHA_1, CKG_MGF1_SHA1 },
		{ NID_sha224, CKM_SHA224, CKG_MGF1_SHA224 },
		{ NID_sha256, CKM_SHA256, CKG_MGF1_SHA256 },
		{ NID_sha384, CKM_SHA384, CKG_MGF1_SHA384 },
		{ NID_sha512, CKM_SHA512, CKG_MGF1_SHA512 },
	};
	size_t i;

	for (i = 0; md != NULL && i < sizeof(map) / sizeof(map[0]); i++) {
		if (EVP_MD_get_type(md) == map[i].nid) {
			if (hash != NULL)
				*hash = map[i].hash;
			if (mgf != NULL)
				*mgf = map[i].mgf;
			return 1;
		}
	}
	return 0;
}

/*
 * 0 when the token's mechanism list (p11-caps.c) says it does not offer
 * cap (OAEP decryption, PSS signatures): those go the raw-RSA way without
 * asking.  Asked when first needed, not when the key is made: a key made
 * for decryption never asks about PSS.  No context: a failure to ask is
 * "unknown", and the operation tried says what is wrong.
 */
static int
native(struct keyref *kr, enum cs_p11_cap cap, CK_FLAGS need)
{
	return cs_p11_token_has(NULL, kr->tok, cap, need) != 0;
}

/*
 * 1 when the token refused these OAEP parameters before: for any key of
 * this token (a mechanism refusal), or for this key.
 */
static int
oaep_was_refused(struct keyref *kr, const CK_RSA_PKCS_OAEP_PARAMS *p)
{
	int label = p->ulSourceDataLen > 0, r;

	cs_p11_lock();
	r = cs_p11_token_oaep_refused(kr->tok, p->hashAlg, p->mgf, label) ||
	    (kr->oaep_refused && kr->refused_hash == p->hashAlg &&
	    kr->refused_mgf == p->mgf && kr->refused_label == label);
	cs_p11_unlock();
	return r;
}

/*
 * Remembers a refusal.  The mechanism's answers (SoftHSM2: SHA-256 OAEP
 * is CKR_ARGUMENTS_BAD) hold for every key of the token, for the life of
 * the process: a later context, a second source, a re-made key does not
 * ask again.  PKCS#11 has no way to ask beforehand (CK_MECHANISM_INFO
 * says nothing of the hashes), so the first decryption on a token that
 * refuses pays one refused C_DecryptInit.  What may be this key's own
 * answer (CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_GENERAL_ERROR for a label)
 * stays with the key.
 */
static void
oaep_set_refused(struct keyref *kr, const CK_RSA_PKCS_OAEP_PARAMS *p,
    CK_RV rv)
{
	int label = p->ulSourceDataLen > 0;

	cs_p11_lock();
	if (rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID ||
	    rv == CKR_ARGUMENTS_BAD || rv == CKR_FUNCTION_NOT_SUPPORTED)
		cs_p11_token_set_oaep_refused(kr->tok, p->hashAlg, p->mgf,
		    label);
	else {
		kr->oaep_refused = 1;
		kr->refused_hash = p->hashAlg;
		kr->refused_mgf = p->mgf;
		kr->refused_label = label;
	}
	cs_p11_unlock();
}

/* Token refusals after which the software-padding path is worth a try. */
static int
refused(CK_RV rv)
{
	return rv == CKR_MECHANISM_INVALID ||
	    rv == CKR_MECHANISM_PARAM_INVALID || rv == CKR_ARGUMENTS_BAD ||
	    rv == CKR_FUNCTION_NOT_SUPPORTED ||
	    rv == CKR_KEY_FUNCTION_NOT_PERMITTED;
}

static struct keyref *
ctx_keyref(EVP_PKEY_CTX *ctx)
{
	EVP_PKEY *pkey = EVP_PKEY_CTX_get0_pkey(ctx);
	const RSA *rsa;

	if (pkey == NULL || (rsa = EVP_PKEY_get0_RSA(pkey)) == NULL)
		return NULL;
	return RSA_get_ex_data(rsa, rsa_idx);
}

static int
pmeth_decrypt(EVP_PKEY_CTX *ctx, unsigned char *out, size_t *outlen,
    const unsigned char *in, size_t inlen)
{
	struct keyref *kr = ctx_keyref(ctx);
	CK_RSA_PKCS_OAEP_PARAMS oaep;
	CK_MECHANISM mech = { CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep) };
	const EVP_MD *md = NULL, *mgf1 = NULL;
	unsigned char *label = NULL;
	size_t len;
	int pad = 0, labellen;
	CK_RV rv;

	if (kr == NULL || out == NULL ||
	    EVP_PKEY_CTX_get_rsa_padding(ctx, &pad) <= 0 ||
	    pad != RSA_PKCS1_OAEP_PADDING)
		return orig_decrypt(ctx, out, outlen, in, inlen);
	/*
	 * The label is read with the legacy ctrl, not with
	 * EVP_PKEY_CTX_get0_rsa_oaep_label(): in OpenSSL 3.0 that getter goes
	 * through the params-to-ctrl translation, which takes the ctrl's
	 * return value (the label length) as its status, so "no label" (0,
	 * every CMS file) comes back as -1.  Falling back on that sent every
	 * OAEP decryption, SHA-1 included, down the raw RSA path.  This
	 * context is always a legacy one (our method is running), so the
	 * ctrl answers directly: the length, or < 0 on error.
	 */
	if (EVP_PKEY_CTX_get_rsa_oaep_md(ctx, &md) <= 0 ||
	    EVP_PKEY_CTX_get_rsa_mgf1_md(ctx, &mgf1) <= 0 ||
	    (labellen = EVP_PKEY_CTX_ctrl(ctx, EVP_PKEY_RSA,
	    EVP_PKEY_OP_TYPE_CRYPT, EVP_PKEY_CTRL_GET_RSA_OAEP_LABEL, 0,
	    &label)) < 0 || (labellen > 0 && label == NULL))
		return orig_decrypt(ctx, out, outlen, in, inlen);
	memset(&oaep, 0, sizeof(oaep));
	if (!md_mech(md, &oaep.hashAlg, NULL) ||
	    !md_mech(mgf1 != NULL ? mgf1 : md, NULL, &oaep.mgf))
		return orig_decrypt(ctx, out, outlen, in, inlen);
	oaep.source = CKZ_DATA_SPECIFIED;
	oaep.pSourceData = labellen > 0 ? label : NULL;
	oaep.ulSourceDataLen = (CK_ULONG)labellen;
	if (!native(kr, CS_CAP_RSA_OAEP, CKF_DECRYPT) ||
	    oaep_was_refused(kr, &oaep))
		return orig_decrypt(ctx, out, outlen, in, inlen);
	len = *outlen;
	/* A module on OpenSSL may leave its own errors on our queue. */
	ERR_set_mark();
	rv = token_op(kr, 0, &mech, in, inlen, out, &len);
	if (rv == CKR_OK) {
		ERR_clear_last_mark();
		n_oaep++;
		*outlen = len;
		return 1;
	}
	/*
	 * SoftHSM refuses SHA-256 OAEP (CKR_ARGUMENTS_BAD), and ignores a
	 * label, failing with CKR_GENERAL_ERROR: go raw, unpad in software.
	 */
	if (refused(rv) || (labellen > 0 && rv == CKR_GENERAL_ERROR)) {
		ERR_pop_to_mark();
		n_refused++;
		oaep_set_refused(kr, &oaep, rv);
		return orig_decrypt(ctx, out, outlen, in, inlen);
	}
	ERR_clear_last_mark();
	cs_p11_raise(rv);
	return -1;
}

static int
pmeth_sign(EVP_PKEY_CTX *ctx, unsigned char *sig, size_t *siglen,
    const unsigned char *tbs, size_t tbslen)
{
	struct keyref *kr = ctx_keyref(ctx);
	CK_RSA_PKCS_PSS_PARAMS pss;
	CK_MECHANISM mech = { CKM_RSA_PKCS_PSS, &pss, sizeof(pss) };
	const EVP_MD *md = NULL, *mgf1 = NULL;
	size_t len;
	int pad = 0, saltlen = 0, mdlen;
	CK_RV rv;

	if (kr == NULL || sig == NULL ||
	    EVP_PKEY_CTX_get_rsa_padding(ctx, &pad) <= 0 ||
	    pad != RSA_PKCS1_PSS_PADDING ||
	    !native(kr, CS_CAP_RSA_PSS, CKF_SIGN) ||
	    EVP_PKEY_CTX_get_signature_md(ctx, &md) <= 0 || md == NULL ||
	    EVP_PKEY_CTX_get_rsa_mgf1_md(ctx, &mgf1) <= 0 ||
	    EVP_PKEY_CTX_get_rsa_pss_saltlen(ctx, &saltlen) <= 0)
		return orig_sign(ctx, sig, siglen, tbs, tbslen);
	memset(&pss, 0, sizeof(pss));
	if (!md_mech(md, &pss.hashAlg, NULL) ||
	    !md_mech(mgf1 != NULL ? mgf1 : md, NULL, &pss.mgf))
		return orig_sign(ctx, sig, siglen, tbs, tbslen);
	mdlen = EVP_MD_get_size(md);
	if (saltlen == RSA_PSS_SALTLEN_DIGEST)
		saltlen = mdlen;
	else if (saltlen < 0) {
		/*
		 * MAX / AUTO: the largest that fits, computed as OpenSSL does
		 * when it writes the PSS parameters into the CMS SignerInfo
		 * (one byte less when the modulus is 8n+1 bits).
		 */
		saltlen = (int)kr->size - mdlen - 2;
		if ((EVP_PKEY_get_bits(EVP_PKEY_CTX_get0_pkey(ctx)) & 7) == 1)
			saltlen--;
	}
	if (saltlen < 0 || (size_t)tbslen != (size_t)mdlen)
		return orig_sign(ctx, sig, siglen, tbs, tbslen);
	pss.sLen = (CK_ULONG)saltlen;
	len = *siglen;
	rv = token_op(kr, 1, &mech, tbs, tbslen, sig, &len);
	if (rv == CKR_OK) {
		*siglen = len;
		return 1;
	}
	if (refused(rv))
		return orig_sign(ctx, sig, siglen, tbs, tbslen);
	cs_p11_raise(rv);
	return -1;
}

static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
    const BIGNUM *rp, EC_KEY *ec)
{
	struct keyref *kr = EC_KEY_get_ex_data(ec, ec_idx);
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	unsigned char buf[2 * 66];
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	size_t len = sizeof(buf);
	CK_RV rv;

	if (kr == NULL || dlen < 0)
		return NULL;
	rv = token_op(kr, 1, &mech, dgst, (size_t)dlen, buf, &len);
	if (rv != CKR_OK) {
		cs_p11_raise(rv);
		return NULL;
	}
	/* PKCS#11 returns r || s, each half the signature. */
	if (len == 0 || len % 2 != 0 ||
	    (r = BN_bin2bn(buf, (int)len / 2, NULL)) == NULL ||
	    (s = BN_bin2bn(buf + len / 2, (int)len / 2, NULL)) == NULL ||
	    (sig = ECDSA_SIG_new()) == NULL || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	return sig;
}

static int
ec_compute_key(unsigned char **psec, size_t *pseclen, const EC_POINT *pub,
    const EC_KEY *ec)
{
	struct keyref *kr = EC_KEY_get_ex_data(ec, ec_idx);
	CK_FUNCTION_LIST *fl;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG vlen;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &vlen, sizeof(vlen) },
	};
	CK_ECDH1_DERIVE_PARAMS p;
	CK_MECHANISM mech = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	CK_ATTRIBUTE val = { CKA_VALUE, NULL, 0 };
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE o, secret = CK_INVALID_HANDLE;
	unsigned char *point = NULL, *out = NULL;
	size_t pointlen;
	CK_RV rv;
	int ok = 0;

	*psec = NULL;
	*pseclen = 0;
	if (kr == NULL)
		return 0;
	pointlen = EC_POINT_point2buf(EC_KEY_get0_group(ec), pub,
	    POINT_CONVERSION_UNCOMPRESSED, &point, NULL);
	if (pointlen == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.kdf = CKD_NULL;	/* CMS applies its own KDF to Z */
	p.pPublicData = point;
	p.ulPublicDataLen = pointlen;
	vlen = kr->size;
	fl = cs_p11_token_fl(kr->tok);
	cs_p11_lock();
	/*
	 * No context-specific login here: C_DeriveKey has no Init to follow
	 * (SoftHSM2 answers CKR_OPERATION_NOT_INITIALIZED to one, and derives
	 * without).
	 */
	if ((rv = keyref_session(kr, &h, &o)) != CKR_OK ||
	    (rv = fl->C_DeriveKey(h, &mech, o, tmpl, 6, &secret)) != CKR_OK)
		goto out;
	if ((out = OPENSSL_zalloc(kr->size)) == NULL)
		goto out;
	val.pValue = out;
	val.ulValueLen = kr->size;
	if ((rv = fl->C_GetAttributeValue(h, secret, &val, 1)) != CKR_OK)
		goto out;
	*psec = out;
	*pseclen = val.ulValueLen;
	out = NULL;
	ok = 1;
 out:
	if (secret != CK_INVALID_HANDLE)
		fl->C_DestroyObject(h, secret);
	cs_p11_unlock();
	if (!ok && rv != CKR_OK)
		cs_p11_raise(rv);
	OPENSSL_clear_free(out, kr->size);
	OPENSSL_free(point);
	return ok;
}

static int
engine_pkey_meths(ENGINE *e, EVP_PKEY_METHOD **pmeth, const int **nids,
    int nid)
{
	static const int ours[] = { EVP_PKEY_RSA };

	if (pmeth == NULL) {
		*nids = ours;
		return 1;
	}
	*pmeth = nid == EVP_PKEY_RSA ? rsa_pmeth : NULL;
	return *pmeth != NULL;
}

/*
 * Built once per process and never freed: keys hold references to them
 * for as long as they live, which may be until exit.
 */
static void
init_methods(void)
{
	const EVP_PKEY_METHOD *def;
	int (*sinit)(EVP_PKEY_CTX *) = NULL, (*dinit)(EVP_PKEY_CTX *) = NULL;
	int (*ec_sign)(int, const unsigned char *, int, unsigned char *,
	    unsigned int *, const BIGNUM *, const BIGNUM *, EC_KEY *) = NULL;
	int (*ec_setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;

	rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, keyref_free);
	ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, keyref_free);

	if ((rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL())) == NULL ||
	    !RSA_meth_set1_name(rsa_meth, "certseal PKCS#11") ||
	    !RSA_meth_set_priv_dec(rsa_meth, rsa_priv_dec) ||
	    !RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc))
		goto fail;

	if ((ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL())) == NULL)
		goto fail;
	/* Keep OpenSSL's sign wrapper: it DER-encodes what sign_sig returns. */
	EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &ec_sign, &ec_setup, NULL);
	EC_KEY_METHOD_set_sign(ec_meth, ec_sign, NULL, ec_sign_sig);
	EC_KEY_METHOD_set_compute_key(ec_meth, ec_compute_key);

	if ((def = EVP_PKEY_meth_find(EVP_PKEY_RSA)) == NULL ||
	    (rsa_pmeth = EVP_PKEY_meth_new(EVP_PKEY_RSA,
	    EVP_PKEY_FLAG_AUTOARGLEN)) == NULL)
		goto fail;
	EVP_PKEY_meth_copy(rsa_pmeth, def);
	EVP_PKEY_meth_get_decrypt(def, &dinit, &orig_decrypt);
	EVP_PKEY_meth_get_sign(def, &sinit, &orig_sign);
	EVP_PKEY_meth_set_decrypt(rsa_pmeth, dinit, pmeth_decrypt);
	EVP_PKEY_meth_set_sign(rsa_pmeth, sinit, pmeth_sign);

	/* Private: never ENGINE_add'ed, never a default for anything. */
	if ((engine = ENGINE_new()) == NULL ||
	    !ENGINE_set_id(engine, "certseal-pkcs11") ||
	    !ENGINE_set_name(engine, "certseal PKCS#11 key methods") ||
	    !ENGINE_set_pkey_meths(engine, engine_pkey_meths))
		goto fail;
	return;
 fail:
	ENGINE_free(engine);
	engine = NULL;
}

/* The public half as OpenSSL parameters, from cert or from the token. */
static int
public_from_cert(X509 *cert, BIGNUM **n, BIGNUM **e, int *curve,
    unsigned char **point, size_t *pointlen)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	char group[64];
	size_t len = 0;

	if (pub == NULL)
		return 0;
	if (EVP_PKEY_is_a(pub, "RSA"))
		return EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, n) &&
		    EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, e);
	if (!EVP_PKEY_is_a(pub, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) ||
	    (*curve = OBJ_sn2nid(group)) == NID_undef)
		return 0;
	if (!EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY,
	    NULL, 0, &len) || (*point = OPENSSL_malloc(len)) == NULL)
		return 0;
	*pointlen = len;
	return EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY,
	    *point, len, NULL);
}

/* An RSA key's modulus and exponent: public attributes of the key. */
static int
rsa_public_from_token(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_object *priv, BIGNUM **n, BIGNUM **e)
{
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;
	int r;

	if ((r = cs_p11_get_attr(ctx, tok, priv->handle, CKA_MODULUS,
	    &a, &alen)) != 0 || (r = cs_p11_get_attr(ctx, tok,
	    priv->handle, CKA_PUBLIC_EXPONENT, &b, &blen)) != 0)
		goto out;
	if ((*n = BN_bin2bn(a, (int)alen, NULL)) == NULL ||
	    (*e = BN_bin2bn(b, (int)blen, NULL)) == NULL)
		r = CERTSEAL_E_NOMEM;
 out:
	free(a);
	free(b);
	return r;
}

/* EC private keys lack the point: take it from the public key object. */
static int
ec_public_from_token(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_object *priv, int *curve, unsigned char **point,
    size_t *pointlen)
{
	struct cs_p11_object *pubs = NULL;
	uint8_t *a = NULL, *b = NULL;
	const unsigned char *p;
	ASN1_OCTET_STRING *os = NULL;
	ASN1_OBJECT *oid = NULL;
	size_t alen, blen, npub = 0;
	int r;

	if ((r = cs_p11_find(ctx, tok, CKO_PUBLIC_KEY, priv->id, priv->idlen,
	    NULL, &pubs, &npub)) != 0)
		goto out;
	if (npub == 0 || priv->idlen == 0) {
		r = cs_error(ctx, CERTSEAL_E_NO_KEY, "token '%s': EC key '%s' "
		    "has neither a certificate nor a public key object",
		    cs_p11_token_label(tok), priv->label);
		goto out;
	}
	if ((r = cs_p11_get_attr(ctx, tok, pubs[0].handle, CKA_EC_PARAMS,
	    &a, &alen)) != 0 || (r = cs_p11_get_attr(ctx, tok,
	    pubs[0].handle, CKA_EC_POINT, &b, &blen)) != 0)
		goto out;
	p = a;
	if ((oid = d2i_ASN1_OBJECT(NULL, &p, (long)alen)) == NULL ||
	    (*curve = OBJ_obj2nid(oid)) == NID_undef) {
		r = cs_error(ctx, CERTSEAL_E_UNSUPPORTED, "token '%s': EC key "
		    "'%s' on a curve given by explicit parameters or unknown",
		    cs_p11_token_label(tok), priv->label);
		goto out;
	}
	/* CKA_EC_POINT is a DER OCTET STRING (some tokens: the raw point). */
	p = b;
	if ((os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)blen)) != NULL &&
	    p == b + blen) {
		*pointlen = (size_t)os->length;
		*point = OPENSSL_memdup(os->data, *pointlen);
	} else {
		*pointlen = blen;
		*point = OPENSSL_memdup(b, blen);
	}
	ERR_clear_error();
	r = *point != NULL ? 0 : CERTSEAL_E_NOMEM;
 out:
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(os);
	free(pubs);
	free(a);
	free(b);
	return r;
}

/* The key's reference as the OpenSSL key carries it (size set later). */
static int
keyref_new(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_object *priv, struct keyref **out)
{
	struct keyref *kr;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return cs_nomem(ctx);
	kr->handle = priv->handle;
	kr->tgen = cs_p11_token_generation(tok);
	memcpy(kr->id, priv->id, priv->idlen);
	kr->idlen = priv->idlen;
	kr->always_auth = priv->always_auth;
	kr->ctx = ctx;
	snprintf(kr->label, sizeof(kr->label), "%s", priv->label);
	*out = kr;
	return 0;
}

static int
wrap_failed(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_object *priv)
{
	return cs_error(ctx, CERTSEAL_E_INTERNAL, "token '%s': cannot wrap "
	    "key '%s' for OpenSSL", cs_p11_token_label(tok), priv->label);
}

/*
 * The RSA half: n and e (taken) become pkey's key, whose methods go to
 * the token through *krp (taken: freed with the key from then on).
 */
static int
wrap_rsa(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_object *priv, BIGNUM **n, BIGNUM **e,
    struct keyref **krp, EVP_PKEY *pkey)
{
	struct keyref *kr = *krp;
	RSA *rsa = NULL;

	if (*n == NULL || (rsa = RSA_new()) == NULL ||
	    !RSA_set0_key(rsa, *n, *e, NULL)) {
		RSA_free(rsa);
		return cs_error(ctx, CERTSEAL_E_UNSUPPORTED, "token '%s': "
		    "key '%s' and its certificate disagree",
		    cs_p11_token_label(tok), priv->label);
	}
	*n = *e = NULL;
	RSA_set_method(rsa, rsa_meth);
	kr->size = (size_t)RSA_size(rsa);
	kr->tok = cs_p11_token_ref(tok);
	RSA_set_ex_data(rsa, rsa_idx, kr);
	*krp = NULL;	/* freed with rsa now */
	if (!EVP_PKEY_assign_RSA(pkey, rsa)) {
		RSA_free(rsa);
		return wrap_failed(ctx, tok, priv);
	}
	/* The one place our RSA EVP_PKEY_METHOD is attached. */
	if (!EVP_PKEY_set1_engine(pkey, engine))
		return wrap_failed(ctx, tok, priv);
	return 0;
}

/* The EC half: the point on curve becomes pkey's key, as wrap_rsa. */
static int
wrap_ec(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_object *priv, int curve, const unsigned char *point,
    size_t pointlen, struct keyref **krp, EVP_PKEY *pkey)
{
	struct keyref *kr = *krp;
	EC_KEY *ec = NULL;

	if (point == NULL ||
	    (ec = EC_KEY_new_by_curve_name(curve)) == NULL ||
	    !EC_KEY_oct2key(ec, point, pointlen, NULL)) {
		EC_KEY_free(ec);
		return cs_error(ctx, CERTSEAL_E_UNSUPPORTED, "token '%s': "
		    "EC key '%s': unusable public point",
		    cs_p11_token_label(tok), priv->label);
	}
	if (!EC_KEY_set_method(ec, ec_meth)) {
		EC_KEY_free(ec);
		return wrap_failed(ctx, tok, priv);
	}
	kr->size = (size_t)(EC_GROUP_get_degree(
	    EC_KEY_get0_group(ec)) + 7) / 8;
	kr->tok = cs_p11_token_ref(tok);
	EC_KEY_set_ex_data(ec, ec_idx, kr);
	*krp = NULL;	/* freed with ec now */
	if (!EVP_PKEY_assign_EC_KEY(pkey, ec)) {
		EC_KEY_free(ec);
		return wrap_failed(ctx, tok, priv);
	}
	return 0;
}

int
cs_p11_key_pkey(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_object *priv, X509 *cert, EVP_PKEY **out)
{
	struct keyref *kr = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;
	unsigned char *point = NULL;
	size_t pointlen = 0;
	int r = CERTSEAL_E_INTERNAL, curve = NID_undef;

	*out = NULL;
	pthread_once(&once, init_methods);
	if (engine == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot set up the "
		    "PKCS#11 key methods");
		goto out;
	}
	if (priv->key_type != CKK_RSA && priv->key_type != CKK_EC) {
		r = cs_error(ctx, CERTSEAL_E_UNSUPPORTED, "token '%s': key "
		    "'%s' is neither RSA nor EC", cs_p11_token_label(tok),
		    priv->label);
		goto out;
	}
	if (cert != NULL) {
		if (!public_from_cert(cert, &n, &e, &curve, &point,
		    &pointlen)) {
			r = cs_error(ctx, CERTSEAL_E_UNSUPPORTED, "token '%s': "
			    "certificate of key '%s' has an unsupported "
			    "public key", cs_p11_token_label(tok),
			    priv->label);
			goto out;
		}
	} else if ((r = priv->key_type == CKK_RSA ?
	    rsa_public_from_token(ctx, tok, priv, &n, &e) :
	    ec_public_from_token(ctx, tok, priv, &curve, &point,
	    &pointlen)) != 0)
		goto out;
	if ((r = keyref_new(ctx, tok, priv, &kr)) != 0)
		goto out;
	if ((pkey = EVP_PKEY_new()) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if ((r = priv->key_type == CKK_RSA ?
	    wrap_rsa(ctx, tok, priv, &n, &e, &kr, pkey) :
	    wrap_ec(ctx, tok, priv, curve, point, pointlen, &kr, pkey)) != 0)
		goto out;
	*out = pkey;
	pkey = NULL;
	r = 0; /* success */
 out:
	free(kr);
	EVP_PKEY_free(pkey);
	BN_free(n);
	BN_free(e);
	OPENSSL_free(point);
	return r;
}
