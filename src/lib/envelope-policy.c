/*
 * envelope-policy.c - the algorithm whitelist (DESIGN.md section 3,
 * docs/FORMAT.md "Acceptance policy").
 *
 * Everything here runs before any private key is touched: the outer
 * content encryption, the structure's version fields and each
 * RecipientInfo's key transport or key agreement parameters.  OpenSSL 3.0
 * exposes no getter for the content-encryption algorithm, so the outer
 * structure is walked in the bytes it was parsed from (BER or DER).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "internal.h"
#include "envelope-internal.h"

/*
 * The walk reads BER (envelope-ber.c): Bouncy Castle and `openssl cms
 * -stream` write indefinite lengths and constructed OCTET STRINGs.
 */
static int
der_next(const unsigned char **pp, const unsigned char *end, struct cs_ber *d)
{
	return cs_ber_next(pp, end, d);
}

static int
der_is(const struct cs_ber *d, int cls, int tag, int cons)
{
	return cs_ber_is(d, cls, tag, cons);
}

/* Small non-negative INTEGER value, or -1. */
static long
der_small_int(const struct cs_ber *d)
{
	if (!der_is(d, V_ASN1_UNIVERSAL, V_ASN1_INTEGER, 0) ||
	    d->end - d->body != 1 ||
	    (d->body[0] & 0x80) != 0)
		return -1;
	return d->body[0];
}

static ASN1_OBJECT *
der_oid(const struct cs_ber *d)
{
	const unsigned char *p = d->start;

	if (!der_is(d, V_ASN1_UNIVERSAL, V_ASN1_OBJECT, 0))
		return NULL;
	return d2i_ASN1_OBJECT(NULL, &p, d->end - d->start);
}

const char *
cs_policy_md_name(int nid)
{
	switch (nid) {
	case NID_sha1:
		return "sha1";
	case NID_sha256:
		return "sha256";
	case NID_sha384:
		return "sha384";
	case NID_sha512:
		return "sha512";
	default:
		return NULL;
	}
}

/*
 * A KARI originator given as originatorKey [1] { algorithm, publicKey BIT
 * STRING }: the BIT STRING must have no unused bits.  OpenSSL masks them
 * off instead of refusing, so a changed unused-bits byte could otherwise
 * go unnoticed.
 */
static int
check_originator_key(const struct cs_ber *orig)
{
	const unsigned char *p = orig->body, *q;
	struct cs_ber key, alg, bits;

	if (!der_is(orig, V_ASN1_CONTEXT_SPECIFIC, 0, 1))
		return -1;
	if (der_next(&p, orig->end, &key) != 0)
		return -1;
	if (!der_is(&key, V_ASN1_CONTEXT_SPECIFIC, 1, 1))
		return 0;	/* issuerAndSerial or SKID: nothing to check */
	q = key.body;
	if (der_next(&q, key.end, &alg) != 0 ||
	    der_next(&q, key.end, &bits) != 0 ||
	    !der_is(&bits, V_ASN1_UNIVERSAL, V_ASN1_BIT_STRING, 0) ||
	    bits.end - bits.body < 1 || bits.body[0] != 0)
		return -1;
	return 0;
}

/*
 * Checks the version of each RecipientInfo in the SET: KTRI 2 with a
 * subjectKeyIdentifier and 0 with issuerAndSerialNumber, KARI 3 (RFC 5652
 * 6.2).  OpenSSL does not check them, and certseal wants every changed
 * byte of a file to be noticed.
 */
static int
check_recipient_versions(const struct cs_ber *set)
{
	const unsigned char *p = set->body, *q;
	struct cs_ber ri, ver, rid;
	long v;

	while (p < set->end) {
		if (der_next(&p, set->end, &ri) != 0)
			return -1;
		q = ri.body;
		if (der_is(&ri, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1)) {
			if (der_next(&q, ri.end, &ver) != 0 ||
			    der_next(&q, ri.end, &rid) != 0)
				return -1;
			v = der_small_int(&ver);
			if (der_is(&rid, V_ASN1_CONTEXT_SPECIFIC, 0, 0)) {
				if (v != 2)
					return -1;
			} else if (v != 0)
				return -1;
		} else if (der_is(&ri, V_ASN1_CONTEXT_SPECIFIC, 1, 1)) {
			if (der_next(&q, ri.end, &ver) != 0 ||
			    der_small_int(&ver) != 3 ||
			    der_next(&q, ri.end, &rid) != 0 ||
			    check_originator_key(&rid) != 0)
				return -1;
		}
	}
	return 0;
}

/* GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen DEFAULT 12 } */
static int
parse_gcm_params(const struct cs_ber *params, size_t *noncelen, size_t *icvlen)
{
	const unsigned char *p = params->body;
	struct cs_ber nonce, icv;
	unsigned char buf[64];
	long v;

	*icvlen = 12;
	/* A nonce longer than buf is not 12 bytes either: refused later. */
	if (!der_is(params, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1) ||
	    der_next(&p, params->end, &nonce) != 0)
		return -1;
	if (cs_ber_octets(&nonce, V_ASN1_UNIVERSAL, V_ASN1_OCTET_STRING, buf,
	    sizeof(buf), noncelen) != 0) {
		if (nonce.cls != V_ASN1_UNIVERSAL ||
		    nonce.tag != V_ASN1_OCTET_STRING)
			return -1;
		*noncelen = sizeof(buf) + 1;
	}
	if (p < params->end) {
		if (der_next(&p, params->end, &icv) != 0 ||
		    (v = der_small_int(&icv)) < 0)
			return -1;
		*icvlen = (size_t)v;
	}
	return p == params->end ? 0 : -1;
}

/* The content types of RFC 5652, 5083 and 3274. */
static int
known_content_type(int nid)
{
	switch (nid) {
	case NID_pkcs7_data:
	case NID_pkcs7_signed:
	case NID_pkcs7_enveloped:
	case NID_pkcs7_digest:
	case NID_pkcs7_encrypted:
	case NID_pkcs7_signedAndEnveloped:
	case NID_id_smime_ct_authData:
	case NID_id_smime_ct_authEnvelopedData:
	case NID_id_smime_ct_compressedData:
		return 1;
	default:
		return 0;
	}
}

static void
set_oid_text(char *buf, size_t size, const ASN1_OBJECT *obj)
{
	buf[0] = '\0';
	if (obj != NULL && OBJ_obj2txt(buf, (int)size, obj, 1) <= 0)
		buf[0] = '\0';
}

/*
 * The content encryptions the whitelist accepts: AES-GCM in an
 * AuthEnvelopedData, AES-CBC in an EnvelopedData (then a signature must
 * make up for the missing integrity: envelope-open.c).
 */
static const struct content_alg {
	int		 nid;
	int		 aead;		/* 1: AuthEnvelopedData only */
	const char	*name;
} content_algs[] = {
	{ NID_aes_128_gcm,	1, "aes-128-gcm" },
	{ NID_aes_192_gcm,	1, "aes-192-gcm" },
	{ NID_aes_256_gcm,	1, "aes-256-gcm" },
	{ NID_aes_128_cbc,	0, "aes-128-cbc" },
	{ NID_aes_192_cbc,	0, "aes-192-cbc" },
	{ NID_aes_256_cbc,	0, "aes-256-cbc" },
};

static const struct content_alg *
content_alg(int nid, int aead)
{
	size_t i;

	for (i = 0; i < sizeof(content_algs) / sizeof(content_algs[0]); i++)
		if (content_algs[i].nid == nid && content_algs[i].aead == aead)
			return &content_algs[i];
	return NULL;
}

/* Where the walk of the outer structure stops: what the checks read. */
struct outer_walk {
	ASN1_OBJECT		*alg;		/* contentEncryptionAlgorithm */
	struct cs_ber		 params;	/* its parameters (start NULL: none) */
	const unsigned char	*rest;		/* after encryptedContentInfo */
	const unsigned char	*end;		/* of the (Auth)EnvelopedData */
};

/*
 * Walks ContentInfo { contentType, [0] EXPLICIT (Auth)EnvelopedData {
 * version, [0] originatorInfo OPTIONAL, recipientInfos,
 * encryptedContentInfo { contentType, algorithm, ... } ... } } in the
 * parsed bytes, checking the version fields on the way, to the content
 * encryption algorithm (its OID text goes into info).  -1: malformed.
 */
static int
walk_outer(const struct cs_der *der, struct cs_outer_info *info,
    struct outer_walk *w)
{
	const unsigned char *p = der->p, *end = der->p + der->len, *q;
	struct cs_ber ci, type, expl, env, ver, el, eci, ctype, alg, aoid;
	long v;

	if (der_next(&p, end, &ci) != 0 || (q = ci.body,
	    der_next(&q, ci.end, &type) != 0) ||
	    der_next(&q, ci.end, &expl) != 0 ||
	    !der_is(&expl, V_ASN1_CONTEXT_SPECIFIC, 0, 1))
		return -1;
	q = expl.body;
	if (der_next(&q, expl.end, &env) != 0 ||
	    !der_is(&env, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1))
		return -1;
	q = env.body;
	if (der_next(&q, env.end, &ver) != 0 || (v = der_small_int(&ver)) < 0)
		return -1;
	if (info->nid == NID_id_smime_ct_authEnvelopedData ? v != 0 :
	    (v != 0 && v != 2 && v != 3 && v != 4))
		return -1;
	if (der_next(&q, env.end, &el) != 0)
		return -1;
	if (der_is(&el, V_ASN1_CONTEXT_SPECIFIC, 0, 1) &&	/* originator */
	    der_next(&q, env.end, &el) != 0)
		return -1;
	if (!der_is(&el, V_ASN1_UNIVERSAL, V_ASN1_SET, 1) ||
	    check_recipient_versions(&el) != 0)
		return -1;
	/* EncryptedContentInfo { contentType, algorithm, [0] content } */
	if (der_next(&q, env.end, &eci) != 0 ||
	    !der_is(&eci, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1))
		return -1;
	w->rest = q;
	w->end = env.end;
	p = eci.body;
	if (der_next(&p, eci.end, &ctype) != 0 ||
	    der_next(&p, eci.end, &alg) != 0 ||
	    !der_is(&alg, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1))
		return -1;
	p = alg.body;
	if (der_next(&p, alg.end, &aoid) != 0 ||
	    (w->alg = der_oid(&aoid)) == NULL)
		return -1;
	set_oid_text(info->content_encryption_oid,
	    sizeof(info->content_encryption_oid), w->alg);
	if (p < alg.end && der_next(&p, alg.end, &w->params) != 0)
		return -1;
	return 0;
}

/*
 * AES-GCM: the nonce and tag lengths of the parameters, and the MAC after
 * the optional [1] authAttrs.  -1: malformed; 0 with info->reason set: a
 * length the whitelist refuses; 0: accepted.
 */
static int
check_gcm(const struct outer_walk *w, struct cs_outer_info *info)
{
	const unsigned char *q = w->rest;
	struct cs_ber mac;
	unsigned char macbuf[64];
	size_t noncelen = 0, icvlen = 0, maclen = 0;

	if (w->params.start == NULL ||
	    parse_gcm_params(&w->params, &noncelen, &icvlen) != 0)
		return -1;
	do {
		if (der_next(&q, w->end, &mac) != 0)
			return -1;
	} while (der_is(&mac, V_ASN1_CONTEXT_SPECIFIC, 1, 1));
	if (mac.cls != V_ASN1_UNIVERSAL || mac.tag != V_ASN1_OCTET_STRING)
		return -1;
	/* A tag longer than 16 bytes is refused below. */
	if (cs_ber_octets(&mac, V_ASN1_UNIVERSAL, V_ASN1_OCTET_STRING,
	    macbuf, sizeof(macbuf), &maclen) != 0)
		maclen = sizeof(macbuf) + 1;
	/*
	 * OpenSSL accepts any tag length from 1 to 16; RFC 5084 allows 12 to
	 * 16, and the tag must be as long as the file says.
	 */
	if (noncelen != 12 || icvlen < 12 || icvlen > 16 ||
	    maclen != icvlen) {
		info->reason = "AES-GCM nonce or tag length not allowed";
		return 0;
	}
	info->tag_len = icvlen;
	info->aead = 1;
	return 0;
}

/* AES-CBC: the parameters are the 16-byte IV.  -1: malformed. */
static int
check_cbc(const struct outer_walk *w, struct cs_outer_info *info)
{
	unsigned char iv[64];
	size_t ivlen = 0;

	if (w->params.start == NULL || cs_ber_octets(&w->params,
	    V_ASN1_UNIVERSAL, V_ASN1_OCTET_STRING, iv, sizeof(iv),
	    &ivlen) != 0 || ivlen != 16)
		return -1;
	info->cbc = 1;
	return 0;
}

int
cs_policy_outer(certseal_ctx *ctx, CMS_ContentInfo *cms,
    const struct cs_der *der, const char *name, struct cs_outer_info *info)
{
	return cs_policy_outer_nid(ctx, OBJ_obj2nid(CMS_get0_type(cms)), der,
	    name, info);
}

int
cs_policy_outer_nid(certseal_ctx *ctx, int nid, const struct cs_der *der,
    const char *name, struct cs_outer_info *info)
{
	const struct content_alg *alg;
	struct outer_walk w;
	int aead, r = CERTSEAL_E_INTERNAL;

	memset(info, 0, sizeof(*info));
	memset(&w, 0, sizeof(w));
	info->nid = nid;
	info->content_type = OBJ_nid2sn(info->nid);
	if (info->nid != NID_id_smime_ct_authEnvelopedData &&
	    info->nid != NID_pkcs7_enveloped) {
		/*
		 * A content type that is no CMS type at all is a damaged
		 * OID (DESIGN.md section 3), not a choice of algorithm.
		 */
		if (!known_content_type(info->nid)) {
			info->content_type = "unknown";
			return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: "
			    "unknown CMS content type: the file is damaged; "
			    "restore it from a copy, or have it sealed again",
			    name);
		}
		info->reason = "not an (Auth)EnvelopedData: the file is not "
		    "encrypted";
		return 0;
	}
	aead = info->nid == NID_id_smime_ct_authEnvelopedData;
	info->content_type = aead ? "authEnvelopedData" : "envelopedData";
	if (walk_outer(der, info, &w) != 0)
		goto bad;
	if ((alg = content_alg(OBJ_obj2nid(w.alg), aead)) == NULL) {
		info->reason = aead ? "content encryption is not AES-GCM" :
		    "content encryption is not AES";
		r = 0;
		goto out;
	}
	info->content_encryption = alg->name;
	if ((aead ? check_gcm(&w, info) : check_cbc(&w, info)) != 0)
		goto bad;
	info->accepted = info->reason == NULL;
	r = 0; /* success */
	goto out;
 bad:
	r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: malformed %s structure; "
	    "the file is damaged", name, info->content_type);
 out:
	ASN1_OBJECT_free(w.alg);
	return r;
}

/* NULL or absent AlgorithmIdentifier parameters, as RFC 4055 wants. */
static int
params_null_or_absent(const X509_ALGOR *alg)
{
	int ptype;

	X509_ALGOR_get0(NULL, &ptype, NULL, alg);
	return ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL;
}

/* A whitelisted hash AlgorithmIdentifier; NULL means SHA-1. */
static const char *
algor_md_name(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj;

	if (alg == NULL)
		return "sha1";
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (!params_null_or_absent(alg))
		return NULL;
	return cs_policy_md_name(OBJ_obj2nid(obj));
}

static void
check_oaep(const X509_ALGOR *alg, struct cs_ri_info *info)
{
	RSA_OAEP_PARAMS *oaep = NULL;
	X509_ALGOR *mgfmd = NULL;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;

	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE || (oaep = ASN1_item_unpack(pval,
	    ASN1_ITEM_rptr(RSA_OAEP_PARAMS))) == NULL) {
		info->reason = "malformed RSAES-OAEP parameters";
		goto out;
	}
	if ((info->oaep_hash = algor_md_name(oaep->hashFunc)) == NULL) {
		info->reason = "OAEP hash not allowed";
		goto out;
	}
	if (oaep->maskGenFunc == NULL)
		info->mgf1_hash = "sha1";
	else {
		X509_ALGOR_get0(&obj, &ptype, &pval, oaep->maskGenFunc);
		if (OBJ_obj2nid(obj) != NID_mgf1 || ptype != V_ASN1_SEQUENCE ||
		    (mgfmd = ASN1_item_unpack(pval,
		    ASN1_ITEM_rptr(X509_ALGOR))) == NULL) {
			info->reason = "OAEP mask generation is not MGF1";
			goto out;
		}
		if ((info->mgf1_hash = algor_md_name(mgfmd)) == NULL) {
			info->reason = "MGF1 hash not allowed";
			goto out;
		}
	}
	if (oaep->pSourceFunc != NULL) {
		X509_ALGOR_get0(&obj, &ptype, &pval, oaep->pSourceFunc);
		if (OBJ_obj2nid(obj) != NID_pSpecified ||
		    ptype != V_ASN1_OCTET_STRING ||
		    ASN1_STRING_length(pval) != 0) {
			info->reason = "OAEP label not allowed";
			goto out;
		}
	}
	info->accepted = 1;
 out:
	X509_ALGOR_free(mgfmd);
	RSA_OAEP_PARAMS_free(oaep);
}

/* A key agreement's keyEncryptionAlgorithm (NULL: unreadable). */
static void
check_kari(const X509_ALGOR *alg, struct cs_ri_info *info)
{
	X509_ALGOR *wrap = NULL;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;

	info->key_encryption = "ecdh";
	if (alg == NULL) {
		info->reason = "malformed key agreement";
		return;
	}
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	set_oid_text(info->key_encryption_oid,
	    sizeof(info->key_encryption_oid), obj);
	switch (OBJ_obj2nid(obj)) {
	case NID_dhSinglePass_stdDH_sha256kdf_scheme:
		info->kdf = "x9.63-sha256";
		break;
	case NID_dhSinglePass_stdDH_sha384kdf_scheme:
		info->kdf = "x9.63-sha384";
		break;
	case NID_dhSinglePass_stdDH_sha512kdf_scheme:
		info->kdf = "x9.63-sha512";
		break;
	case NID_dhSinglePass_stdDH_sha1kdf_scheme:
		info->kdf = "x9.63-sha1";
		info->reason = "ECDH with a SHA-1 KDF is not allowed";
		return;
	default:
		info->reason = "key agreement scheme not allowed";
		return;
	}
	if (ptype != V_ASN1_SEQUENCE || (wrap = ASN1_item_unpack(pval,
	    ASN1_ITEM_rptr(X509_ALGOR))) == NULL) {
		info->reason = "malformed key wrap algorithm";
		return;
	}
	X509_ALGOR_get0(&obj, &ptype, NULL, wrap);
	switch (OBJ_obj2nid(obj)) {
	case NID_id_aes128_wrap:
		info->key_wrap = "aes128-wrap";
		break;
	case NID_id_aes192_wrap:
		info->key_wrap = "aes192-wrap";
		break;
	case NID_id_aes256_wrap:
		info->key_wrap = "aes256-wrap";
		break;
	default:
		info->reason = "key wrap algorithm not allowed";
		goto out;
	}
	if (ptype != V_ASN1_UNDEF) {
		info->reason = "key wrap parameters not allowed";
		goto out;
	}
	info->accepted = 1;
 out:
	X509_ALGOR_free(wrap);
}

/*
 * The verdict on a recipient of the given type whose key-encryption
 * AlgorithmIdentifier is alg (NULL: unreadable; only key transport and
 * key agreement have one): the only inputs of a verdict.
 */
static void
judge(int type, const X509_ALGOR *alg, struct cs_ri_info *info)
{
	const ASN1_OBJECT *obj;

	memset(info, 0, sizeof(*info));
	info->type = type;
	switch (info->type) {
	case CMS_RECIPINFO_TRANS:
		info->type_name = "ktri";
		if (alg == NULL) {
			info->reason = "malformed key transport";
			return;
		}
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
		set_oid_text(info->key_encryption_oid,
		    sizeof(info->key_encryption_oid), obj);
		switch (OBJ_obj2nid(obj)) {
		case NID_rsaesOaep:
			info->key_encryption = "rsaes-oaep";
			check_oaep(alg, info);
			break;
		case NID_rsaEncryption:
			info->key_encryption = "rsaes-pkcs1-v1_5";
			info->reason = "PKCS#1 v1.5 key transport is not "
			    "allowed";
			break;
		default:
			info->key_encryption = "unknown";
			info->reason = "key transport algorithm not allowed";
			break;
		}
		break;
	case CMS_RECIPINFO_AGREE:
		info->type_name = "kari";
		check_kari(alg, info);
		break;
	case CMS_RECIPINFO_KEK:
		info->type_name = "kekri";
		info->reason = "KEK recipients are not used by certseal";
		break;
	case CMS_RECIPINFO_PASS:
		info->type_name = "pwri";
		info->reason = "password recipients are not used by certseal";
		break;
	default:
		info->type_name = "other";
		info->reason = "unknown recipient type";
		break;
	}
}

void
cs_policy_recipient(CMS_RecipientInfo *ri, struct cs_ri_info *info)
{
	X509_ALGOR *alg = NULL;
	int type = CMS_RecipientInfo_type(ri);

	if (type == CMS_RECIPINFO_TRANS) {
		if (CMS_RecipientInfo_ktri_get0_algs(ri, NULL, NULL,
		    &alg) != 1)
			alg = NULL;
	} else if (type == CMS_RECIPINFO_AGREE) {
		if (CMS_RecipientInfo_kari_get0_alg(ri, &alg, NULL) != 1)
			alg = NULL;
	}
	judge(type, alg, info);
}

/*
 * Why not one verdict per recipient: a file sealed to a thousand clients
 * carries a thousand identical key-encryption AlgorithmIdentifiers, and
 * parsing, naming and unpacking each (OBJ_obj2txt, the OAEP or key-wrap
 * parameters) costs more than comparing its bytes with the last one
 * judged; a recipient of the same type with equal bytes gets its verdict,
 * which depends on nothing else.
 */
void
cs_policy_raw_recipients(const struct cs_raw_recipients *raw,
    struct cs_ri_info *infos)
{
	const struct cs_raw_ri *ri, *prev = NULL;
	const unsigned char *p;
	X509_ALGOR *alg;
	size_t i;

	for (i = 0; i < raw->n; i++) {
		ri = &raw->ris[i];
		if (prev != NULL && ri->type == prev->type &&
		    ri->alg_len == prev->alg_len && (ri->alg_len == 0 ||
		    memcmp(ri->alg, prev->alg, (size_t)ri->alg_len) == 0)) {
			infos[i] = infos[prev - raw->ris];
			continue;
		}
		p = ri->alg;
		alg = ri->alg_len > 0 ? d2i_X509_ALGOR(NULL, &p,
		    ri->alg_len) : NULL;
		if (alg != NULL && p != ri->alg + ri->alg_len) {
			X509_ALGOR_free(alg);
			alg = NULL;
		}
		judge(ri->type, alg, &infos[i]);
		X509_ALGOR_free(alg);
		prev = ri;
	}
}
