/*
 * envelope-seal.c - writing a sealed file (DESIGN.md section 3,
 * docs/FORMAT.md): SignedData around the configuration, inside an
 * AuthEnvelopedData with AES-256-GCM, as PEM or as the bare DER.
 *
 * Signing keys may be token-backed (libp11): only EVP and CMS functions
 * are used on them.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "base64.h"
#include "internal.h"
#include "envelope-internal.h"

/* 1 when s is well-formed UTF-8 without NUL or C0 controls. */
static int
valid_utf8_name(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* overlong, surrogates, beyond Unicode */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
cs_valid_config_name(const char *s, size_t len)
{
	return len > 0 && len <= CS_CONFIG_NAME_MAX && valid_utf8_name(s, len);
}

static int
check_recipient(certseal_ctx *ctx, const struct cs_seal_recipient *rcpt)
{
	EVP_PKEY *pk;
	char subj[256], group[64];
	size_t glen = 0;

	X509_NAME_oneline(X509_get_subject_name(rcpt->cert), subj,
	    sizeof(subj));
	if (X509_get0_subject_key_id(rcpt->cert) == NULL)
		return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s has no "
		    "subjectKeyIdentifier; certseal identifies recipients by "
		    "it: reissue the certificate with one", subj);
	if (X509_cmp_current_time(X509_get0_notBefore(rcpt->cert)) >= 0)
		return cs_error(ctx, CERTSEAL_E_EXPIRED, "recipient %s is not "
		    "valid yet; check the clock or the certificate", subj);
	if (X509_cmp_current_time(X509_get0_notAfter(rcpt->cert)) <= 0)
		return cs_error(ctx, CERTSEAL_E_EXPIRED, "recipient %s has "
		    "expired; seal to a current pair", subj);
	if ((pk = X509_get0_pubkey(rcpt->cert)) == NULL)
		return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s: "
		    "unreadable public key", subj);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bits(pk) < 2048)
			return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s: "
			    "RSA keys below 2048 bits are not used", subj);
		return 0;
	}
	if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group),
		    &glen) != 1 || (strcmp(group, "prime256v1") != 0 &&
		    strcmp(group, "secp384r1") != 0))
			return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s: "
			    "only EC P-256 and P-384 are supported", subj);
		return 0;
	}
	return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s: key type not "
	    "supported (RSA or EC P-256/P-384)", subj);
}

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

	X509_NAME_oneline(X509_get_subject_name(key->cert), subj, sizeof(subj));
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

/*
 * Sizes: DER structures are encoded by two i2d calls (length, then into a
 * buffer allocated once), never through growing memory BIOs, which copy
 * and wipe their whole content at each growth.
 */

/*
 * The inner SignedData, DER-encoded, into a wiped-on-free buffer.  The
 * content is signed as it is (CMS_BINARY: no canonicalisation, docs/
 * FORMAT.md) and encoded straight from `in`: the SignedData borrows it
 * instead of holding a copy.
 */
static int
make_signed(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params, unsigned char **out, size_t *outlen)
{
	CMS_ContentInfo *sd = NULL;
	ASN1_OCTET_STRING **pos, *content = NULL;
	unsigned char *der = NULL, *p;
	BIO *chain = NULL;
	size_t i, off, chunk;
	int len = 0, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	*outlen = 0;
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
	/* Now embed the content: eContent borrows `in`. */
	if ((pos = CMS_get0_content(sd)) == NULL ||
	    (content = ASN1_OCTET_STRING_new()) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	ASN1_STRING_set0(content, (void *)(uintptr_t)in, (int)inlen);
	*pos = content;
	if ((len = i2d_CMS_ContentInfo(sd, NULL)) <= 0 ||
	    (der = OPENSSL_malloc((size_t)len)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "cannot encode the "
		    "SignedData");
		goto out;
	}
	cs_populate(der, (size_t)len);
	p = der;
	if (i2d_CMS_ContentInfo(sd, &p) != len) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "SignedData");
		goto out;
	}
	*out = der;
	*outlen = (size_t)len;
	der = NULL;
	r = 0; /* success */
 out:
	if (content != NULL) {
		/*
		 * Give `in` back before the structure is freed (not with
		 * ASN1_STRING_set0, which frees the data it replaces).
		 */
		content->data = NULL;
		content->length = 0;
	}
	BIO_free_all(chain);
	CMS_ContentInfo_free(sd);
	OPENSSL_clear_free(der, (size_t)len);
	return r;
}

/*
 * Encrypts the inner DER (*innerp, inlen bytes, OPENSSL_malloc'ed) into
 * env, in place: the buffer becomes the memory BIO's at the end of the
 * cipher chain, which appends each piece of ciphertext where the
 * plaintext it came from was already read (a cipher never writes ahead
 * of what it has read), and the AuthEnvelopedData then takes it over.
 * *innerp is taken over in every case (set to NULL); on failure the
 * buffer is wiped when the chain is freed (BUF_MEM_free clears it).
 */
static int
encrypt_inner(certseal_ctx *ctx, CMS_ContentInfo *env,
    unsigned char **innerp, size_t inlen)
{
	unsigned char *inner = *innerp;
	BIO *chain = NULL, *mem;
	BUF_MEM *bm = NULL;
	size_t off, chunk;
	int r = CERTSEAL_E_INTERNAL;

	if ((chain = CMS_dataInit(env, NULL)) == NULL ||
	    (mem = BIO_find_type(chain, BIO_TYPE_MEM)) == NULL ||
	    (bm = BUF_MEM_new()) == NULL)
		goto fail;
	bm->data = (char *)inner;
	bm->max = inlen;
	bm->length = 0;
	*innerp = NULL;
	BIO_set_mem_buf(mem, bm, BIO_CLOSE);
	bm = NULL;
	for (off = 0; off < inlen; off += chunk) {
		chunk = inlen - off > INT_MAX / 2 ? INT_MAX / 2 : inlen - off;
		if (BIO_write(chain, inner + off, (int)chunk) != (int)chunk)
			goto fail;
	}
	(void)BIO_flush(chain);
	if (CMS_dataFinal(env, chain) != 1)
		goto fail;
	r = 0; /* success */
	goto out;
 fail:
	r = cs_error(ctx, CERTSEAL_E_INTERNAL, "encryption failed");
 out:
	BUF_MEM_free(bm);
	BIO_free_all(chain);
	return r;
}

/*
 * Base64 PEM of der (64 characters a line, as PEM_write_bio writes) into
 * buf, which holds pemlen bytes and has der in its last derlen bytes:
 * encoding front to back never overtakes the bytes still to be read.
 */
#define PEM_HEAD	"-----BEGIN CMS-----\n"
#define PEM_TAIL	"-----END CMS-----\n"

static size_t
pem_length(size_t derlen)
{
	return sizeof(PEM_HEAD) - 1 + derlen / 48 * 65 +
	    (derlen % 48 != 0 ? (derlen % 48 + 2) / 3 * 4 + 1 : 0) +
	    sizeof(PEM_TAIL) - 1;
}

static void
pem_encode_tail(uint8_t *buf, size_t pemlen, size_t derlen)
{
	unsigned char line[48];
	const uint8_t *in = buf + pemlen - derlen;
	uint8_t *o = buf;
	size_t off, n;

	memcpy(o, PEM_HEAD, sizeof(PEM_HEAD) - 1);
	o += sizeof(PEM_HEAD) - 1;
	for (off = 0; off < derlen; off += n) {
		n = derlen - off > 48 ? 48 : derlen - off;
		/* The line is read before its text is written. */
		memcpy(line, in + off, n);
		o += cs_base64_encode(line, n, o);
		*o++ = '\n';
	}
	memcpy(o, PEM_TAIL, sizeof(PEM_TAIL) - 1);
}

/*
 * The outer ContentInfo as the file holds it, into a new malloc'ed buffer
 * (one NUL after it, for callers that print PEM): the DER alone, or its
 * PEM, for which the DER is encoded at the end of the PEM buffer and
 * turned into text in place - one buffer of the file's size, whatever
 * the armour.  *envp is freed once encoded.
 */
static int
encode_outer(certseal_ctx *ctx, CMS_ContentInfo **envp,
    enum cs_armour armour, uint8_t **out, size_t *outlen)
{
	uint8_t *result = NULL, *p;
	size_t size;
	int derlen, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((derlen = i2d_CMS_ContentInfo(*envp, NULL)) <= 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "AuthEnvelopedData");
		goto out;
	}
	size = armour == CS_ARMOUR_DER ? (size_t)derlen :
	    pem_length((size_t)derlen);
	if ((result = malloc(size + 1)) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	/*
	 * The DER goes to the end of the buffer, encoded in place for PEM.
	 * Populated in two steps, the DER's part first: the rest is only
	 * touched once the ciphertext is freed, which keeps the peak at
	 * about the PEM and the ciphertext.
	 */
	p = result + size - (size_t)derlen;
	cs_populate(p, (size_t)derlen + 1);
	if (i2d_CMS_ContentInfo(*envp, &p) != derlen) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "AuthEnvelopedData");
		goto out;
	}
	CMS_ContentInfo_free(*envp);
	*envp = NULL;
	if (armour != CS_ARMOUR_DER) {
		cs_populate(result, size - (size_t)derlen);
		pem_encode_tail(result, size, (size_t)derlen);
	}
	result[size] = '\0';
	*out = result;
	*outlen = size;
	result = NULL;
	r = 0; /* success */
 out:
	free(result);
	return r;
}

/*
 * The sealing.  When plainp is not NULL, *plainp is `in`, taken over and
 * wiped and freed as soon as the SignedData is encoded, so that at most
 * about two copies of the content are held at any time.
 */
static int
seal_common(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    struct cs_secret **plainp, const struct cs_seal_params *params,
    uint8_t **out, size_t *outlen)
{
	CMS_ContentInfo *env = NULL;
	unsigned char *inner = NULL;
	uint8_t *result = NULL;
	size_t i, resultlen = 0, innerlen = 0;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if (params == NULL || params->nrecipients == 0 ||
	    params->recipients == NULL) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "no recipient to seal to");
		goto out;
	}
	if (params->nsigners == 0 || params->signers == NULL) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "no signer: certseal "
		    "seals only signed configurations");
		goto out;
	}
	if (inlen > CERTSEAL_MAX_CONFIG_SIZE || (inlen > 0 && in == NULL)) {
		r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "configuration of %zu "
		    "bytes is over the limit of %zu bytes", inlen,
		    CERTSEAL_MAX_CONFIG_SIZE);
		goto out;
	}
	if (params->name != NULL && !cs_valid_config_name(params->name,
	    strlen(params->name))) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "configuration name must "
		    "be 1 to %d bytes of UTF-8 text", CS_CONFIG_NAME_MAX);
		goto out;
	}
	for (i = 0; i < params->nsigners; i++) {
		if (params->signers[i] == NULL ||
		    params->signers[i]->pkey == NULL ||
		    params->signers[i]->cert == NULL) {
			r = cs_error(ctx, CERTSEAL_E_USAGE, "signer %zu has no "
			    "key or certificate", i + 1);
			goto out;
		}
	}
	for (i = 0; i < params->nrecipients; i++) {
		if (params->recipients[i].cert == NULL) {
			r = cs_error(ctx, CERTSEAL_E_USAGE, "recipient %zu has "
			    "no certificate", i + 1);
			goto out;
		}
		if ((r = check_recipient(ctx, &params->recipients[i])) != 0)
			goto out;
	}
	if ((r = make_signed(ctx, in != NULL ? in : (const uint8_t *)"",
	    inlen, params, &inner, &innerlen)) != 0)
		goto out;
	if (plainp != NULL) {
		cs_secret_free(*plainp);
		*plainp = NULL;
	}
	if ((env = CMS_AuthEnvelopedData_create(EVP_aes_256_gcm())) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot create the "
		    "AuthEnvelopedData");
		goto out;
	}
	for (i = 0; i < params->nrecipients; i++) {
		if ((r = add_recipient(ctx, env, &params->recipients[i])) != 0)
			goto out;
	}
	/*
	 * The EncryptedContentInfo type stays id-data although the content
	 * is a SignedData: RFC 5083 2.1 wants authAttrs for any other type
	 * (Bouncy Castle refuses the file without them), and OpenSSL 3.0
	 * cannot read authAttrs.  Readers recognise the SignedData by
	 * parsing it, as for `openssl cms -encrypt` files.
	 */
	if (CMS_set_detached(env, 0) != 1) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "encryption failed");
		goto out;
	}
	if ((r = encrypt_inner(ctx, env, &inner, innerlen)) != 0)
		goto out;
	if ((r = encode_outer(ctx, &env, params->armour, &result,
	    &resultlen)) != 0)
		goto out;
	*out = result;
	*outlen = resultlen;
	result = NULL;
	r = 0; /* success */
 out:
	if (plainp != NULL) {
		cs_secret_free(*plainp);
		*plainp = NULL;
	}
	free(result);
	CMS_ContentInfo_free(env);
	OPENSSL_clear_free(inner, innerlen);
	return r;
}

int
cs_envelope_seal(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params, uint8_t **out, size_t *outlen)
{
	return seal_common(ctx, in, inlen, NULL, params, out, outlen);
}

int
cs_envelope_seal_secret(certseal_ctx *ctx, struct cs_secret **plainp,
    const struct cs_seal_params *params, uint8_t **out, size_t *outlen)
{
	return seal_common(ctx, (*plainp)->data, (*plainp)->len, plainp,
	    params, out, outlen);
}
