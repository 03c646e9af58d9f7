/*
 * envelope-seal.c - writing a sealed file (DESIGN.md section 3,
 * docs/FORMAT.md): SignedData around the configuration, inside an
 * AuthEnvelopedData with AES-256-GCM, as PEM or as the bare DER.
 *
 * OpenSSL builds and signs the structures; the file is then written front
 * to back as it is encrypted (envelope-skeleton.c, envelope-writer.c), so
 * that a sealing holds the content once, never a copy of it, its
 * ciphertext or its text: a 64 MiB configuration is sealed in 64 MiB and
 * a few hundred KiB (bench/RESULTS.md).
 *
 * Signing keys may be token-backed (libp11): only EVP and CMS functions
 * are used on them.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "envelope-internal.h"

static int
add_recipient(certseal_ctx *ctx, CMS_ContentInfo *env,
    const struct cs_seal_recipient *rcpt)
{
	CMS_RecipientInfo *ri;
	EVP_PKEY_CTX *pctx;
	const EVP_MD *md = rcpt->oaep_md != NULL ? rcpt->oaep_md : EVP_sha256();
	EVP_PKEY *pk = X509_get0_pubkey(rcpt->cert);

	if ((ri = CMS_add1_recipient(env, rcpt->cert, NULL, NULL,
	    CMS_KEY_PARAM | CMS_USE_KEYID)) == NULL ||
	    (pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot add a "
		    "recipient");
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (cs_policy_md_name(EVP_MD_get_type(md)) == NULL)
			return cs_error(ctx, CERTSEAL_E_USAGE, "OAEP hash %s "
			    "not allowed", EVP_MD_get0_name(md));
		if (EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_OAEP_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)
			return cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot set "
			    "RSAES-OAEP parameters");
	} else {
		/* OpenSSL's default KDF hash for ECDH in CMS is SHA-1. */
		if (EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) <= 0)
			return cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot set "
			    "the ECDH KDF hash");
	}
	return 0;
}

/* SHA-384 for P-384 signing keys, SHA-256 for everything else. */
static const EVP_MD *
signer_md(EVP_PKEY *pkey)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_is_a(pkey, "EC") && EVP_PKEY_get_group_name(pkey, group,
	    sizeof(group), &glen) == 1 && strcmp(group, "secp384r1") == 0)
		return EVP_sha384();
	return EVP_sha256();
}

static int
add_signer(certseal_ctx *ctx, CMS_ContentInfo *sd, const struct cs_key *key,
    const struct cs_seal_params *params)
{
	CMS_SignerInfo *si;
	ASN1_OBJECT *obj = NULL;
	ASN1_INTEGER *seq = NULL;
	char subj[256];
	int r = CERTSEAL_E_INTERNAL;

	cs_name_text_buf(X509_get_subject_name(key->cert), subj, sizeof(subj));
	/*
	 * A token key may not expose its public half (EVP_PKEY_eq then
	 * answers < 0): only a definite "different" is a mismatch.
	 */
	if (EVP_PKEY_eq(X509_get0_pubkey(key->cert), key->pkey) == 0) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "signer %s: the key does "
		    "not match the certificate", subj);
		goto out;
	}
	ERR_clear_error();
	/* Signers are named by SKID like recipients, when they have one. */
	if ((si = CMS_add1_signer(sd, key->cert, key->pkey,
	    signer_md(key->pkey), CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP |
	    (X509_get0_subject_key_id(key->cert) != NULL ?
	    CMS_USE_KEYID : 0))) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "signer %s: cannot add "
		    "the signature", subj);
		goto out;
	}
	if (params->name != NULL) {
		if ((obj = OBJ_txt2obj(CS_OID_CONFIG_NAME, 1)) == NULL ||
		    CMS_signed_add1_attr_by_OBJ(si, obj, V_ASN1_UTF8STRING,
		    params->name, (int)strlen(params->name)) != 1) {
			r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot add the "
			    "configuration name");
			goto out;
		}
		ASN1_OBJECT_free(obj);
		obj = NULL;
	}
	if ((obj = OBJ_txt2obj(CS_OID_SEQUENCE, 1)) == NULL ||
	    (seq = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(seq, params->sequence) != 1 ||
	    CMS_signed_add1_attr_by_OBJ(si, obj, V_ASN1_INTEGER, seq,
	    -1) != 1) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot add the "
		    "sequence number");
		goto out;
	}
	r = 0; /* success */
 out:
	ASN1_INTEGER_free(seq);
	ASN1_OBJECT_free(obj);
	return r;
}

#define UNIV	V_ASN1_UNIVERSAL
#define CTX	V_ASN1_CONTEXT_SPECIFIC

/* Plaintext encrypted per call, and the ciphertext buffer. */
#define CIPHER_CHUNK	((size_t)64 * 1024)

/*
 * A sealing between its preparation and its writing: the SignedData and
 * the AuthEnvelopedData as skeletons (envelope-skeleton.c) with holes
 * for the content, the ciphertext and the tag; the content key inside
 * the cipher context of `chain`, already wrapped for each recipient.
 */
struct cs_sealing {
	const uint8_t		*in;		/* borrowed */
	size_t			 inlen;
	enum cs_armour		 armour;
	struct cs_skeleton	 signed_data;	/* hole: the content */
	struct cs_skeleton	 envelope;	/* holes: ciphertext, tag */
	CMS_ContentInfo		*env;
	BIO			*chain;		/* CMS_dataInit(env) */
	size_t			 taglen;
	int			 used;
};

/* The empty eContent OCTET STRING of an encoded SignedData ContentInfo. */
static int
find_econtent(const unsigned char *der, size_t len, const unsigned char **at)
{
	const unsigned char *p;
	struct cs_ber type, x, sd, eci, wrap, oct;

	if (cs_ber_ci_open(der, len, &type, &sd) != 0)
		return -1;
	p = sd.body;
	if (cs_ber_step(&p, sd.end, &x, UNIV, V_ASN1_INTEGER, 0) != 0 ||
	    cs_ber_step(&p, sd.end, &x, UNIV, V_ASN1_SET, 1) != 0 ||
	    cs_ber_step(&p, sd.end, &eci, UNIV, V_ASN1_SEQUENCE, 1) != 0)
		return -1;
	p = eci.body;
	if (cs_ber_step(&p, eci.end, &x, UNIV, V_ASN1_OBJECT, 0) != 0 ||
	    cs_ber_step(&p, eci.end, &wrap, CTX, 0, 1) != 0)
		return -1;
	p = wrap.body;
	if (cs_ber_step(&p, wrap.end, &oct, UNIV, V_ASN1_OCTET_STRING, 0) != 0)
		return -1;
	*at = oct.start;
	return 0;
}

/*
 * The empty encryptedContent [0] and mac OCTET STRING of an encoded
 * AuthEnvelopedData ContentInfo (RFC 5083 2.1).
 */
static int
find_ciphertext_and_tag(const unsigned char *der, size_t len,
    const unsigned char **ct, const unsigned char **tag)
{
	const unsigned char *p;
	struct cs_ber type, x, aed, eci;

	if (cs_ber_ci_open(der, len, &type, &aed) != 0)
		return -1;
	p = aed.body;
	if (cs_ber_step(&p, aed.end, &x, UNIV, V_ASN1_INTEGER, 0) != 0 ||
	    cs_ber_next(&p, aed.end, &x) != 0)
		return -1;
	/* originatorInfo [0], then recipientInfos */
	if (cs_ber_is(&x, CTX, 0, 1) && cs_ber_next(&p, aed.end, &x) != 0)
		return -1;
	if (!cs_ber_is(&x, UNIV, V_ASN1_SET, 1) ||
	    cs_ber_step(&p, aed.end, &eci, UNIV, V_ASN1_SEQUENCE, 1) != 0)
		return -1;
	p = eci.body;
	if (cs_ber_step(&p, eci.end, &x, UNIV, V_ASN1_OBJECT, 0) != 0 ||
	    cs_ber_step(&p, eci.end, &x, UNIV, V_ASN1_SEQUENCE, 1) != 0 ||
	    cs_ber_step(&p, eci.end, &x, CTX, 0, 0) != 0)
		return -1;
	*ct = x.start;
	p = eci.end;
	/* authAttrs [1], then the mac */
	if (cs_ber_next(&p, aed.end, &x) != 0 || (cs_ber_is(&x, CTX, 1, 1) &&
	    cs_ber_next(&p, aed.end, &x) != 0) ||
	    !cs_ber_is(&x, UNIV, V_ASN1_OCTET_STRING, 0))
		return -1;
	*tag = x.start;
	return 0;
}

/*
 * The inner SignedData as a skeleton with a hole for the content: signed
 * detached (the digest read from `in`), then encoded with an empty
 * eContent whose size the skeleton makes inlen.  The content is signed
 * as it is (CMS_BINARY: no canonicalisation, docs/FORMAT.md).
 */
static int
sign_skeleton(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params, struct cs_skeleton *sk)
{
	CMS_ContentInfo *sd = NULL;
	ASN1_OCTET_STRING **pos;
	struct cs_hole hole;
	unsigned char *der = NULL, *p;
	BIO *chain = NULL;
	size_t i, off, chunk;
	int len = 0, r = CERTSEAL_E_INTERNAL;

	/* Detached while signing: the digest BIOs write nowhere. */
	if ((sd = CMS_sign(NULL, NULL, NULL, NULL,
	    CMS_PARTIAL | CMS_BINARY | CMS_DETACHED)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot create the "
		    "SignedData");
		goto out;
	}
	for (i = 0; i < params->nsigners; i++) {
		if ((r = add_signer(ctx, sd, params->signers[i],
		    params)) != 0)
			goto out;
	}
	for (i = 0; params->extra_certs != NULL &&
	    i < (size_t)sk_X509_num(params->extra_certs); i++) {
		if (CMS_add1_cert(sd, sk_X509_value(params->extra_certs,
		    (int)i)) != 1) {
			r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot add a "
			    "certificate to the SignedData");
			goto out;
		}
	}
	if ((chain = CMS_dataInit(sd, NULL)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot start the "
		    "SignedData");
		goto out;
	}
	for (off = 0; off < inlen; off += chunk) {
		chunk = inlen - off > INT_MAX / 2 ? INT_MAX / 2 : inlen - off;
		if (BIO_write(chain, in + off, (int)chunk) != (int)chunk) {
			r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot digest "
			    "the configuration");
			goto out;
		}
	}
	(void)BIO_flush(chain);
	if (CMS_dataFinal(sd, chain) != 1) {
		r = cs_error(ctx, CERTSEAL_E_TOKEN, "signing failed; check "
		    "that the signing key is available");
		goto out;
	}
	/* Embedded, empty: the skeleton gives it its size. */
	if ((pos = CMS_get0_content(sd)) == NULL ||
	    (*pos = ASN1_OCTET_STRING_new()) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if ((len = i2d_CMS_ContentInfo(sd, NULL)) <= 0 ||
	    (der = malloc((size_t)len)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "cannot encode the "
		    "SignedData");
		goto out;
	}
	p = der;
	hole.size = inlen;
	if (i2d_CMS_ContentInfo(sd, &p) != len ||
	    find_econtent(der, (size_t)len, &hole.at) != 0 ||
	    cs_skeleton_build(der, (size_t)len, &hole, 1, sk) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "SignedData");
		goto out;
	}
	r = 0; /* success */
 out:
	BIO_free_all(chain);
	CMS_ContentInfo_free(sd);
	free(der);
	return r;
}

/*
 * The AuthEnvelopedData, its content key drawn and wrapped for each
 * recipient, as a skeleton with holes for the ciphertext of the
 * SignedData and for the tag.
 */
static int
envelope_skeleton(certseal_ctx *ctx, const struct cs_seal_params *params,
    struct cs_sealing *s)
{
	EVP_CIPHER_CTX *cctx = NULL;
	struct cs_hole holes[2];
	unsigned char *der = NULL, *p;
	size_t i;
	int len = 0, taglen, r = CERTSEAL_E_INTERNAL;

	if ((s->env = CMS_AuthEnvelopedData_create(EVP_aes_256_gcm())) ==
	    NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot create the "
		    "AuthEnvelopedData");
		goto out;
	}
	for (i = 0; i < params->nrecipients; i++) {
		if ((r = add_recipient(ctx, s->env,
		    &params->recipients[i])) != 0)
			goto out;
	}
	/*
	 * The EncryptedContentInfo type stays id-data although the content
	 * is a SignedData: RFC 5083 2.1 wants authAttrs for any other type
	 * (Bouncy Castle refuses the file without them), and OpenSSL 3.0
	 * cannot read authAttrs.  Readers recognise the SignedData by
	 * parsing it, as for `openssl cms -encrypt` files.
	 *
	 * CMS_dataInit draws the key and wraps it for each recipient; the
	 * ciphertext is made with the cipher context it sets up, never
	 * through its BIO, so that OpenSSL holds none of it.
	 */
	if (CMS_set_detached(s->env, 0) != 1 ||
	    (s->chain = CMS_dataInit(s->env, NULL)) == NULL ||
	    BIO_get_cipher_ctx(s->chain, &cctx) != 1 || cctx == NULL ||
	    (taglen = EVP_CIPHER_CTX_get_tag_length(cctx)) <= 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "encryption failed");
		goto out;
	}
	s->taglen = (size_t)taglen;
	if ((len = i2d_CMS_ContentInfo(s->env, NULL)) <= 0 ||
	    (der = malloc((size_t)len)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "cannot encode the "
		    "AuthEnvelopedData");
		goto out;
	}
	p = der;
	holes[0].size = s->signed_data.total;
	holes[1].size = s->taglen;
	if (i2d_CMS_ContentInfo(s->env, &p) != len ||
	    find_ciphertext_and_tag(der, (size_t)len, &holes[0].at,
	    &holes[1].at) != 0 ||
	    cs_skeleton_build(der, (size_t)len, holes, 2, &s->envelope) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "AuthEnvelopedData");
		goto out;
	}
	r = 0; /* success */
 out:
	free(der);
	return r;
}

int
cs_sealing_new(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params, struct cs_sealing **out)
{
	struct cs_sealing *s = NULL;
	int r;

	*out = NULL;
	if ((r = cs_seal_check_params(ctx, in, inlen, params)) != 0)
		goto out;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	s->in = in != NULL ? in : (const uint8_t *)"";
	s->inlen = inlen;
	s->armour = params->armour;
	if ((r = sign_skeleton(ctx, s->in, inlen, params,
	    &s->signed_data)) != 0 ||
	    (r = envelope_skeleton(ctx, params, s)) != 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0; /* success */
 out:
	cs_sealing_free(s);
	return r;
}

size_t
cs_sealing_size(const struct cs_sealing *s)
{
	return cs_armoured_len(s->armour, s->envelope.total);
}

/* n bytes at p, encrypted, to w. */
static int
encrypt_to(certseal_ctx *ctx, EVP_CIPHER_CTX *cctx, struct cs_writer *w,
    const uint8_t *p, size_t n, unsigned char *cbuf)
{
	size_t k;
	int outl, r;

	for (; n > 0; p += k, n -= k) {
		k = n > CIPHER_CHUNK ? CIPHER_CHUNK : n;
		/* GCM is a stream mode: as many bytes out as in. */
		if (EVP_EncryptUpdate(cctx, cbuf, &outl, p, (int)k) != 1 ||
		    outl != (int)k)
			return cs_error(ctx, CERTSEAL_E_INTERNAL, "encryption "
			    "failed");
		if ((r = cs_writer_put(ctx, w, cbuf, k)) != 0)
			return r;
	}
	return 0;
}

/*
 * The file, front to back: the envelope up to the ciphertext; the
 * SignedData (its skeleton around the content) encrypted piece by piece;
 * the envelope up to the tag; the tag; the rest.
 */
static int
write_sealing(certseal_ctx *ctx, struct cs_sealing *s, struct cs_writer *w)
{
	const struct cs_skeleton *env = &s->envelope, *sd = &s->signed_data;
	EVP_CIPHER_CTX *cctx = NULL;
	unsigned char *cbuf = NULL, tag[16];
	int outl, r = CERTSEAL_E_INTERNAL;

	if (s->used || s->taglen > sizeof(tag)) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "a sealing is written "
		    "once");
		goto out;
	}
	s->used = 1;
	if (BIO_get_cipher_ctx(s->chain, &cctx) != 1 || cctx == NULL ||
	    (cbuf = malloc(CIPHER_CHUNK)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "encryption failed");
		goto out;
	}
	if ((r = cs_writer_put(ctx, w, env->bytes, env->hole_at[0])) != 0 ||
	    (r = encrypt_to(ctx, cctx, w, sd->bytes, sd->hole_at[0],
	    cbuf)) != 0 ||
	    (r = encrypt_to(ctx, cctx, w, s->in, s->inlen, cbuf)) != 0 ||
	    (r = encrypt_to(ctx, cctx, w, sd->bytes + sd->hole_at[0],
	    sd->len - sd->hole_at[0], cbuf)) != 0)
		goto out;
	if (EVP_EncryptFinal_ex(cctx, cbuf, &outl) != 1 || outl != 0 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_GET_TAG, (int)s->taglen,
	    tag) <= 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "encryption failed");
		goto out;
	}
	if ((r = cs_writer_put(ctx, w, env->bytes + env->hole_at[0],
	    env->hole_at[1] - env->hole_at[0])) != 0 ||
	    (r = cs_writer_put(ctx, w, tag, s->taglen)) != 0 ||
	    (r = cs_writer_put(ctx, w, env->bytes + env->hole_at[1],
	    env->len - env->hole_at[1])) != 0 ||
	    (r = cs_writer_finish(ctx, w)) != 0)
		goto out;
	r = 0; /* success */
 out:
	free(cbuf);
	return r;
}

int
cs_sealing_write(certseal_ctx *ctx, struct cs_sealing *s, int fd)
{
	struct cs_writer w;
	int r;

	if ((r = cs_writer_init(ctx, &w, s->armour, s->envelope.total,
	    fd)) == 0)
		r = write_sealing(ctx, s, &w);
	cs_writer_release(&w);
	return r;
}

void
cs_sealing_free(struct cs_sealing *s)
{
	if (s == NULL)
		return;
	cs_skeleton_release(&s->signed_data);
	cs_skeleton_release(&s->envelope);
	/* The content key goes with the cipher context (cleared on free). */
	BIO_free_all(s->chain);
	CMS_ContentInfo_free(s->env);
	free(s);
}

int
cs_envelope_seal(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params, uint8_t **out, size_t *outlen)
{
	struct cs_sealing *s = NULL;
	struct cs_writer w;
	int r;

	*out = NULL;
	*outlen = 0;
	memset(&w, 0, sizeof(w));
	if ((r = cs_sealing_new(ctx, in, inlen, params, &s)) != 0 ||
	    (r = cs_writer_init(ctx, &w, s->armour, s->envelope.total,
	    -1)) != 0 || (r = write_sealing(ctx, s, &w)) != 0)
		goto out;
	*out = cs_writer_take(&w, outlen);
	r = 0; /* success */
 out:
	cs_writer_release(&w);
	cs_sealing_free(s);
	return r;
}
