/*
 * envelope-open.c - opening a configuration (DESIGN.md section 3):
 * plaintext passes through unless strict; a sealed file is checked
 * against the whitelist, matched to a recipient by identifier in the
 * sources' order, decrypted into memory, and its signature verified
 * against the signers the sources trust.  Plaintext leaves this file only
 * when everything verified; on every other path it is wiped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "envelope-internal.h"
#include "source.h"
#include "succession.h"

/*
 * The encryptedContent's value in a buffer of certseal's (take_ciphertext):
 * block is freed (with OPENSSL_free when ossl), data to data + len is the
 * ciphertext, and data + room the end of what may be written.
 */
struct ct_buf {
	uint8_t			*block;
	int			 ossl;
	uint8_t			*data;
	size_t			 len;
	size_t			 room;
};

struct open_state {
	certseal_ctx		*ctx;
	const char		*name;
	unsigned int		 opts;
	CMS_ContentInfo		*cms;
	struct cs_der		 der;		/* until cms is parsed */
	struct cs_outer_info	 outer;
	struct cs_raw_recipients raw;		/* read from der */
	struct cs_ri_info	*infos;		/* raw.n verdicts */
	/* The identifiers of accepted and refused recipients, in order. */
	const struct cs_recipient_id **acc, **ref;
	size_t			*acc_rid, *ref_rid; /* their raw.rids[] */
	size_t			 nacc, nref;
	size_t			 chosen;	/* raw.ris[] of st->key */
	struct cs_source	*src;		/* the source whose key is used */
	const struct cs_key	*key;
	struct cs_error_saved	 hard;		/* first hard source error */
	int			 refused_match;	/* key only for refused RIs */
	struct ct_buf		 ct;		/* cut out of der */
	/* The inner SignedData parsed without its eContent, which is... */
	int			 detached;
	size_t			 content_off;	/* ...here in the decryption */
	size_t			 content_len;
};

void
cs_config_free(struct certseal_config *cfg)
{
	if (cfg == NULL)
		return;
	cs_secret_free(cfg->plain);
	free(cfg->name);
	free(cfg->signer);
	free(cfg->source_uri);
	OPENSSL_cleanse(cfg, sizeof(*cfg));
	free(cfg);
}

/* The sources to use; the default store when none is configured. */
static int
ensure_sources(struct open_state *st)
{
	certseal_ctx *ctx = st->ctx;
	int r;

	if (ctx->nsources > 0)
		return 0;
	if ((r = certseal_ctx_add_source(ctx, CS_DEFAULT_SOURCE)) != 0) {
		/* A source that cannot start is one more source error. */
		cs_error_prefix(ctx, "%s", CS_DEFAULT_SOURCE);
		cs_error_save(ctx, r, &st->hard);
	}
	return 0;
}

/*
 * The identifiers of the recipients the sources may be asked about (key
 * transport and key agreement; a KARI has one a RecipientEncryptedKey),
 * accepted ones and refused ones apart, each in file order.
 */
static int
list_ids(struct open_state *st)
{
	const struct cs_raw_rid *rid;
	const struct cs_ri_info *info;
	size_t k, n = st->raw.nrids;

	if (n == 0)
		return 0;
	if ((st->acc = malloc(n * sizeof(*st->acc))) == NULL ||
	    (st->ref = malloc(n * sizeof(*st->ref))) == NULL ||
	    (st->acc_rid = malloc(n * sizeof(*st->acc_rid))) == NULL ||
	    (st->ref_rid = malloc(n * sizeof(*st->ref_rid))) == NULL)
		return cs_nomem(st->ctx);
	for (k = 0; k < n; k++) {
		rid = &st->raw.rids[k];
		info = &st->infos[rid->ri];
		if (info->type != CMS_RECIPINFO_TRANS &&
		    info->type != CMS_RECIPINFO_AGREE)
			continue;
		if (info->accepted) {
			st->acc_rid[st->nacc] = k;
			st->acc[st->nacc++] = &rid->id;
		} else {
			st->ref_rid[st->nref] = k;
			st->ref[st->nref++] = &rid->id;
		}
	}
	return 0;
}

/*
 * Looks through the whitelisted recipients of one source, then (only to
 * explain a refusal) the refused ones.  Returns 0 with st->key set,
 * CERTSEAL_E_NO_KEY, or a hard error.
 */
static int
search_source(struct open_state *st, struct cs_source *src)
{
	const struct cs_key *key = NULL;
	size_t which = 0;
	int r;

	if (st->nacc > 0) {
		r = cs_source_find_first_key(src, st->acc, st->nacc, &which,
		    &key);
		if (r == 0) {
			st->key = key;
			st->src = src;
			st->chosen = st->raw.rids[st->acc_rid[which]].ri;
			return 0;
		}
		if (r != CERTSEAL_E_NO_KEY)
			return r;
	}
	if (st->nref > 0) {
		r = cs_source_find_first_key(src, st->ref, st->nref, &which,
		    &key);
		if (r == 0) {
			st->refused_match =
			    (int)st->raw.rids[st->ref_rid[which]].ri + 1;
			return CERTSEAL_E_NO_KEY;
		}
		return r;
	}
	return CERTSEAL_E_NO_KEY;
}

/* 1 when a recipient the whitelist refuses names the chosen key. */
static int
refused_recipient_matches(struct open_state *st)
{
	size_t i;

	for (i = 0; i < st->nref; i++)
		if (cs_recipient_id_matches(st->ref[i], st->key->cert))
			return 1;
	return 0;
}

static int
find_key(struct open_state *st)
{
	certseal_ctx *ctx = st->ctx;
	char hints[CS_ERRMSG_MAX] = "";
	const char *hint;
	size_t s, n;
	int r;

	for (s = 0; s < ctx->nsources; s++) {
		r = search_source(st, ctx->sources[s]);
		if (r == 0) {
			/* A source that failed before this one is news. */
			if (st->hard.err != 0)
				cs_warn(ctx, "%s (another source opened %s)",
				    st->hard.msg, st->name);
			return 0;
		}
		if (r == CERTSEAL_E_NO_KEY)
			continue;
		/* A hard error: keep the first, try the next source. */
		if (st->hard.err == 0) {
			cs_error_prefix(ctx, "%s", cs_source_uri(
			    ctx->sources[s]));
			cs_error_save(ctx, r, &st->hard);
		}
	}
	if (st->hard.err != 0) {
		r = cs_error_restore(ctx, &st->hard);
		cs_error_prefix(ctx, "%s", st->name);
		return r;
	}
	if (st->refused_match != 0)
		return cs_error(ctx, CERTSEAL_E_ALGORITHM, "%s: the only "
		    "recipient with a key here is refused (%s); reseal the "
		    "file with certseal", st->name,
		    st->infos[st->refused_match - 1].reason);
	/* The misses were bare codes; what the sources know comes last. */
	for (s = 0; s < ctx->nsources; s++) {
		if ((hint = cs_source_hint(ctx->sources[s])) == NULL)
			continue;
		n = strlen(hints);
		snprintf(hints + n, sizeof(hints) - n, "; %s", hint);
	}
	return cs_error(ctx, CERTSEAL_E_NO_KEY, "%s: none of the %zu "
	    "certificate source(s) holds a key for any recipient; %s%s",
	    st->name, ctx->nsources, ctx->no_key_advice != NULL ?
	    ctx->no_key_advice : "import the client certificate or add a "
	    "--certificate-source", hints);
}

/* The SignerInfo's signed attribute oid, if exactly one value of it. */
static int
single_attr(CMS_SignerInfo *si, const ASN1_OBJECT *obj, ASN1_TYPE **out)
{
	X509_ATTRIBUTE *attr;
	int idx;

	*out = NULL;
	if ((idx = CMS_signed_get_attr_by_OBJ(si, obj, -1)) < 0)
		return 0;
	if (CMS_signed_get_attr_by_OBJ(si, obj, idx) >= 0)
		return -1;	/* twice */
	if ((attr = CMS_signed_get_attr(si, idx)) == NULL ||
	    X509_ATTRIBUTE_count(attr) != 1)
		return -1;
	*out = X509_ATTRIBUTE_get0_type(attr, 0);
	return *out == NULL ? -1 : 0;
}

/* Name and sequence from the verified signer's signed attributes. */
static int
read_attributes(struct open_state *st, CMS_SignerInfo *si,
    struct certseal_config *cfg)
{
	ASN1_OBJECT *oname = NULL, *oseq = NULL;
	ASN1_TYPE *t;
	const unsigned char *p;
	int len, r = CERTSEAL_E_INTERNAL;

	if ((oname = OBJ_txt2obj(CS_OID_CONFIG_NAME, 1)) == NULL ||
	    (oseq = OBJ_txt2obj(CS_OID_SEQUENCE, 1)) == NULL) {
		r = cs_nomem(st->ctx);
		goto out;
	}
	if (single_attr(si, oname, &t) != 0)
		goto bad;
	if (t != NULL) {
		if (ASN1_TYPE_get(t) != V_ASN1_UTF8STRING)
			goto bad;
		p = ASN1_STRING_get0_data(t->value.utf8string);
		len = ASN1_STRING_length(t->value.utf8string);
		if (!cs_valid_config_name((const char *)p, (size_t)len))
			goto bad;
		if ((cfg->name = strndup((const char *)p, (size_t)len)) ==
		    NULL) {
			r = cs_nomem(st->ctx);
			goto out;
		}
	}
	if (single_attr(si, oseq, &t) != 0)
		goto bad;
	if (t != NULL) {
		if (ASN1_TYPE_get(t) != V_ASN1_INTEGER ||
		    ASN1_INTEGER_get_uint64(&cfg->sequence,
		    t->value.integer) != 1)
			goto bad;
		cfg->has_sequence = 1;
	}
	r = 0; /* success */
	goto out;
 bad:
	r = cs_error(st->ctx, CERTSEAL_E_INTEGRITY, "%s: malformed certseal "
	    "name or sequence attribute", st->name);
 out:
	ASN1_OBJECT_free(oname);
	ASN1_OBJECT_free(oseq);
	return r;
}

/* Appends the description of one SignerInfo to signers (inspect). */
static void
describe_signer(json_t *signers, CMS_SignerInfo *si, X509 *cert, int trusted)
{
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *sno = NULL;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;
	char hex[129] = "", *subj = NULL, tbuf[64] = "";
	json_t *o;
	int idx;

	if (signers == NULL || (o = json_object()) == NULL)
		return;
	if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &sno) == 1 &&
	    keyid != NULL) {
		cs_hex(ASN1_STRING_get0_data(keyid),
		    (size_t)ASN1_STRING_length(keyid), hex, sizeof(hex));
		json_object_set_new(o, "key_id", json_string(hex));
	}
	if (cert != NULL && (subj = cs_name_text(X509_get_subject_name(cert),
	    CS_NAME_TEXT_MAX)) != NULL)
		json_object_set_new(o, "subject", json_string(subj));
	else if (issuer != NULL &&
	    (subj = cs_name_text(issuer, CS_NAME_TEXT_MAX)) != NULL)
		json_object_set_new(o, "issuer", json_string(subj));
	free(subj);
	json_object_set_new(o, "trusted", json_boolean(trusted));
	if (CMS_signed_get_attr_count(si) < 0)
		json_object_set_new(o, "signed_attributes", json_false());
	idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	if (idx >= 0 && (attr = CMS_signed_get_attr(si, idx)) != NULL &&
	    (t = X509_ATTRIBUTE_get0_type(attr, 0)) != NULL &&
	    (ASN1_TYPE_get(t) == V_ASN1_UTCTIME ||
	    ASN1_TYPE_get(t) == V_ASN1_GENERALIZEDTIME) &&
	    cs_asn1_time_text((const ASN1_TIME *)t->value.ptr, tbuf,
	    sizeof(tbuf)) == 0)
		json_object_set_new(o, "signing_time", json_string(tbuf));
	json_array_append_new(signers, o);
}

/*
 * Reads a BIO chain to the end, for the digests it computes on the way;
 * the bytes themselves are dropped (and wiped from the buffer).
 */
static int
drain(BIO *in)
{
	static const size_t bufsize = 64 * 1024;
	unsigned char *buf;
	int n, r = 0;

	if ((buf = malloc(bufsize)) == NULL)
		return -1;
	while ((n = BIO_read(in, buf, (int)bufsize)) > 0)
		;
	if (n < 0)
		r = -1;
	cs_wipe(buf, bufsize);
	free(buf);
	return r;
}

/*
 * Reads the decrypting chain into buf (cap bytes); *usedp: how many.
 * 0 only when the chain ended with the GCM tag (or the CBC padding)
 * verified and gave no more than cap bytes.
 */
static int
read_chain(BIO *chain, unsigned char *buf, size_t cap, size_t *usedp)
{
	unsigned char extra;
	size_t used = 0;
	int n;

	for (;;) {
		if (used < cap)
			n = BIO_read(chain, buf + used, (int)(cap - used >
			    INT_MAX ? INT_MAX : cap - used));
		else
			n = BIO_read(chain, &extra, 1);
		if (n <= 0)
			break;
		if (used == cap)
			return -1;	/* more plaintext than ciphertext */
		used += (size_t)n;
	}
	*usedp = used;
	if (n < 0 || (BIO_method_type(chain) == BIO_TYPE_CIPHER &&
	    BIO_get_cipher_status(chain) <= 0))
		return -1;
	return 0;
}

/* Wipes and frees the ciphertext buffer (it may hold a decryption). */
static void
ct_release(struct ct_buf *ct)
{
	cs_wipe(ct->data, ct->len);
	if (ct->ossl)
		OPENSSL_free(ct->block);
	else
		free(ct->block);
	memset(ct, 0, sizeof(*ct));
}

/*
 * Decrypts the content in place, in certseal's buffer that holds the
 * ciphertext (take_ciphertext), which becomes the secret.  Why: a
 * separate output buffer, or OpenSSL's copy of the ciphertext, costs its
 * 16 000 pages again for a 64 MiB configuration (bench/ANALYSIS.md).  In
 * place is safe: the chain reads the ciphertext through a read-only
 * memory BIO (icont) ahead of what the cipher writes (GCM writes as much
 * as it read, CBC never more).  The parsed structure has no content of
 * its own (cs_raw_reduce cut it out) but all the rest: the tag OpenSSL
 * checks comes from its mac as before.  Nothing is returned unless the
 * chain ended with the GCM tag (or the CBC padding) verified; otherwise
 * the unauthenticated plaintext is wiped.  The caller has set the key.
 */
static int
decrypt_content(struct open_state *st, struct cs_secret **out)
{
	static unsigned char empty[1];
	struct ct_buf *ct = &st->ct;
	unsigned char *data = ct->data != NULL ? ct->data : empty;
	size_t used = 0;
	BIO *icont, *chain = NULL;
	int ok;

	*out = NULL;
	if ((icont = BIO_new_mem_buf(data, (int)ct->len)) == NULL)
		return cs_nomem(st->ctx);
	if ((chain = CMS_dataInit(st->cms, icont)) == NULL) {
		BIO_free(icont);
		goto bad;
	}
	ok = read_chain(chain, data, ct->len, &used) == 0;
	BIO_free_all(chain);
	if (!ok)
		goto bad;
	if (ct->data == NULL)
		return cs_secret_new(0, out) != 0 ? cs_nomem(st->ctx) : 0;
	cs_wipe(data + used, ct->len - used);
	/* The NUL after it: GCM's tag or CBC's padding followed. */
	if (used >= ct->room) {
		ct_release(ct);
		return cs_error(st->ctx, CERTSEAL_E_INTERNAL, "%s: no room "
		    "after the decryption", st->name);
	}
	ok = cs_secret_adopt_within(ct->block, ct->ossl, data, used,
	    out) == 0;
	memset(ct, 0, sizeof(*ct));
	return ok ? 0 : cs_nomem(st->ctx);
 bad:
	ct_release(ct);
	return cs_error(st->ctx, CERTSEAL_E_DECRYPT, "%s: decryption failed "
	    "(authentication tag); the file is damaged or was altered",
	    st->name);
}

static void
wipe_content(CMS_ContentInfo *cms)
{
	ASN1_OCTET_STRING **pos;

	if (cms == NULL)
		return;
	if ((pos = CMS_get0_content(cms)) != NULL && *pos != NULL &&
	    (*pos)->data != NULL)
		cs_wipe((*pos)->data, (size_t)(*pos)->length);
}

/*
 * The trusted certificate a SignerInfo names, or NULL.  Every client
 * holds the decryption key, so a signature made with it proves nothing:
 * a certificate for the key that opened the file (the same public key,
 * whatever the certificate's bytes) is never the signer.
 */
static X509 *
trusted_signer(struct open_state *st, const struct cs_cert_index *idx,
    CMS_SignerInfo *si)
{
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *sno = NULL;
	struct cs_recipient_id id;
	X509 *cert;

	if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &sno) != 1)
		return NULL;
	id.keyid = keyid;
	id.issuer = issuer;
	id.serial = sno;
	if ((cert = cs_cert_index_find(idx, &id)) == NULL)
		return NULL;
	if (st->key != NULL && st->key->cert != NULL &&
	    (X509_cmp(cert, st->key->cert) == 0 ||
	    EVP_PKEY_eq(X509_get0_pubkey(cert),
	    X509_get0_pubkey(st->key->cert)) == 1))
		return NULL;
	return cert;
}

/* The certificate the SignedData itself carries for si, or NULL. */
static X509 *
own_cert(STACK_OF(X509) *certs, CMS_SignerInfo *si)
{
	int j;

	for (j = 0; j < sk_X509_num(certs); j++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, j)) == 0)
			return sk_X509_value(certs, j);
	return NULL;
}

/*
 * One SignerInfo's signature.  With signed attributes (RFC 5652 5.4):
 * the signature over them and the messageDigest of the content.  Without
 * (valid, `openssl cms -sign -noattr`): the signature over the content's
 * digest, which CMS_SignerInfo_verify_content checks itself.
 */
static int
signature_verifies(CMS_SignerInfo *si, BIO *cont)
{
	if (CMS_signed_get_attr_count(si) >= 0 &&
	    CMS_SignerInfo_verify(si) != 1)
		return 0;
	return CMS_SignerInfo_verify_content(si, cont) == 1;
}

/* Strict clients take only what certseal-admin seals (not for inspect). */
static int
open_is_strict(const struct open_state *st)
{
	return (st->ctx->flags & CERTSEAL_FLAG_ENCRYPTED_ONLY) != 0 &&
	    (st->opts & CS_OPEN_INSPECT) == 0;
}

/*
 * The signers the sources trust, with the successors a pair exchange in
 * sd vouches for (succ), and an index over them.
 */
static int
gather_trusted(struct open_state *st, CMS_ContentInfo *sd,
    STACK_OF(X509) **trustedp, struct cs_succession *succ,
    struct cs_cert_index **idxp)
{
	certseal_ctx *ctx = st->ctx;
	STACK_OF(X509) *carried;
	size_t s;
	int r;

	if ((*trustedp = sk_X509_new_null()) == NULL)
		return cs_nomem(ctx);
	/* What sd carries, parsed already: a source need not parse it. */
	carried = CMS_get1_certs(sd);
	for (s = 0; s < ctx->nsources; s++) {
		/* A source that fails here contributes nobody. */
		(void)cs_source_trusted_signers_known(ctx->sources[s],
		    *trustedp, carried);
	}
	sk_X509_pop_free(carried, X509_free);
	cs_error_clear(ctx);
	/* A pair exchange: successors vouched for by a trusted signer. */
	if ((r = cs_succession_extend(ctx, sd, st->key != NULL ?
	    st->key->cert : NULL, *trustedp, succ)) != 0)
		return r;
	if (cs_cert_index_new(*trustedp, idxp) != 0)
		return cs_nomem(ctx);
	return 0;
}

/*
 * The one signer lookup: each SignerInfo of sd is described (inspect)
 * and, when it names a trusted certificate, verified over cont.  Every
 * trusted signature must verify; of those, a signer with certseal's
 * signed attributes is preferred to one without (strict clients refuse
 * the latter).  *goodp, *certp: the signer chosen.
 */
static int
pick_signer(struct open_state *st, CMS_ContentInfo *sd,
    const struct cs_cert_index *idx, BIO *cont, json_t *signers,
    CMS_SignerInfo **goodp, X509 **certp)
{
	certseal_ctx *ctx = st->ctx;
	STACK_OF(X509) *certs = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si, *good = NULL, *bare = NULL;
	X509 *cert, *goodcert = NULL, *barecert = NULL;
	int i, nsi, bad = 0, r = CERTSEAL_E_INTERNAL;

	sis = CMS_get0_SignerInfos(sd);
	nsi = sis == NULL ? 0 : sk_CMS_SignerInfo_num(sis);
	for (i = 0; i < nsi; i++) {
		si = sk_CMS_SignerInfo_value(sis, i);
		if ((cert = trusted_signer(st, idx, si)) == NULL) {
			if (signers != NULL && certs == NULL)
				certs = CMS_get1_certs(sd);
			describe_signer(signers, si, own_cert(certs, si), 0);
			continue;
		}
		describe_signer(signers, si, cert, 1);
		CMS_SignerInfo_set1_signer_cert(si, cert);
		if (!signature_verifies(si, cont)) {
			bad = 1;
			continue;
		}
		/* A signer with certseal's attributes is preferred. */
		if (CMS_signed_get_attr_count(si) < 0) {
			if (bare == NULL) {
				bare = si;
				barecert = cert;
			}
		} else if (good == NULL) {
			good = si;
			goodcert = cert;
		}
	}
	ERR_clear_error();
	if (bad) {
		r = cs_error(ctx, CERTSEAL_E_BAD_SIGNATURE, "%s: the signature "
		    "of a trusted signer does not verify; the file was "
		    "altered or damaged", st->name);
		goto out;
	}
	if (good == NULL && bare != NULL) {
		/*
		 * Without signed attributes nothing but the content is
		 * signed: no configuration name, no sequence, so no
		 * anti-rollback.  Strict clients want both.
		 */
		if (open_is_strict(st)) {
			r = cs_error(ctx, CERTSEAL_E_POLICY, "%s: signed "
			    "without signed attributes, so no configuration "
			    "name or sequence is signed (no anti-rollback), "
			    "and only configurations sealed by certseal-admin "
			    "are accepted; reseal it with certseal-admin save",
			    st->name);
			goto out;
		}
		good = bare;
		goodcert = barecert;
	}
	if (good == NULL) {
		r = cs_error(ctx, CERTSEAL_E_UNTRUSTED, "%s: signed, but by "
		    "nobody the certificate sources trust (%d signature(s)); "
		    "import the signer certificate with the client "
		    "certificates", st->name, nsi);
		goto out;
	}
	*goodp = good;
	*certp = goodcert;
	r = 0; /* success */
 out:
	sk_X509_pop_free(certs, X509_free);
	return r;
}

/*
 * The verified content of sd as the configuration: its buffer taken from
 * the parsed structure (which then holds none) instead of copied, so that
 * a large configuration costs no second buffer, copy and wipe.
 */
static int
adopt_content(struct open_state *st, CMS_ContentInfo *sd,
    struct cs_secret **out)
{
	ASN1_OCTET_STRING **pos = CMS_get0_content(sd), *os;
	unsigned char *data;

	*out = NULL;
	os = pos != NULL ? *pos : NULL;
	if (os == NULL || os->data == NULL)
		return cs_secret_new(0, out) != 0 ? cs_nomem(st->ctx) : 0;
	/* ASN1_STRING_set and the BER collector keep a NUL after it. */
	data = os->data;
	os->data = NULL;
	if (cs_secret_adopt_ossl(data, (size_t)os->length, out) != 0) {
		os->length = 0;
		return cs_nomem(st->ctx);
	}
	os->length = 0;
	return 0;
}

/*
 * The digesting chain over the signed content: the eContent OpenSSL
 * parsed, or for a SignedData parsed without it (st->detached) the bytes
 * in the decryption, given as icont (as CMS_verify's dcont).
 */
static BIO *
content_chain(struct open_state *st, CMS_ContentInfo *sd,
    const struct cs_secret *dec)
{
	BIO *icont, *chain;

	if (!st->detached)
		return CMS_dataInit(sd, NULL);
	if ((icont = BIO_new_mem_buf(dec->data + st->content_off,
	    (int)st->content_len)) == NULL)
		return NULL;
	if ((chain = CMS_dataInit(sd, icont)) == NULL)
		BIO_free(icont);
	return chain;
}

/*
 * Verifies the inner SignedData: every SignerInfo whose identifier names
 * a trusted certificate must verify (exact pinning: no chain, no time);
 * at least one must exist.  Signers are matched through an index, and
 * their number was bounded before the parse (cs_cms_check_counts), so
 * the work is linear in the file.  Fills cfg's signer fields and its
 * plaintext once everything verified: *decp narrowed to the content when
 * sd was parsed without it (st->detached; *decp is then taken), else the
 * content taken from sd.
 */
static int
verify_signed(struct open_state *st, CMS_ContentInfo *sd,
    struct cs_secret **decp, json_t *signers, struct certseal_config *cfg)
{
	certseal_ctx *ctx = st->ctx;
	STACK_OF(X509) *trusted = NULL;
	struct cs_succession succ = { NULL };
	struct cs_cert_index *idx = NULL;
	CMS_SignerInfo *good = NULL;
	X509 *goodcert = NULL;
	BIO *cont = NULL;
	int r = CERTSEAL_E_INTERNAL;

	if ((r = gather_trusted(st, sd, &trusted, &succ, &idx)) != 0)
		goto out;
	if ((cont = content_chain(st, sd, *decp)) == NULL || drain(cont) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: cannot read the "
		    "signed content", st->name);
		goto out;
	}
	if ((r = pick_signer(st, sd, idx, cont, signers, &good,
	    &goodcert)) != 0)
		goto out;
	if ((r = read_attributes(st, good, cfg)) != 0)
		goto out;
	if ((cfg->signer = cs_name_text(X509_get_subject_name(goodcert),
	    CS_NAME_TEXT_MAX)) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if (st->detached) {
		/* The verified bytes, where they are. */
		cs_secret_narrow(*decp, st->content_off, st->content_len);
		cfg->plain = *decp;
		*decp = NULL;
	} else if ((r = adopt_content(st, sd, &cfg->plain)) != 0)
		goto out;
	cfg->is_signed = 1;
	cs_succession_persist(ctx, st->src, &succ, goodcert);
	r = 0; /* success */
 out:
	cs_succession_release(&succ);
	BIO_free_all(cont);
	cs_cert_index_free(idx);
	sk_X509_pop_free(trusted, X509_free);
	return r;
}

/* Plaintext input: passed through byte for byte unless strict. */
static int
open_plaintext(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, unsigned int opts, struct certseal_config *cfg)
{
	if ((ctx->flags & CERTSEAL_FLAG_ENCRYPTED_ONLY) != 0 &&
	    (opts & CS_OPEN_INSPECT) == 0)
		return cs_error(ctx, CERTSEAL_E_PLAINTEXT, "%s: not sealed, "
		    "and only encrypted configurations are accepted; seal it "
		    "with certseal-admin save", name);
	if (len > CERTSEAL_MAX_CONFIG_SIZE)
		return cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: %zu bytes, over "
		    "the limit of %zu bytes", name, len,
		    CERTSEAL_MAX_CONFIG_SIZE);
	if (cs_secret_from(data, len, &cfg->plain) != 0)
		return cs_nomem(ctx);
	return 0;
}

/* Frees a taken-over input buffer; wiped when it may be plaintext. */
static void
release_input(uint8_t **ownedp, size_t len, int wipe)
{
	if (ownedp == NULL || *ownedp == NULL)
		return;
	if (wipe)
		cs_wipe(*ownedp, len);
	free(*ownedp);
	*ownedp = NULL;
}

/*
 * A refusal made before OpenSSL parsed the file: a file that OpenSSL
 * cannot parse is called damaged (or refused for its authAttrs) first,
 * as when the whole file was parsed before anything else.  Costs a parse
 * on failure paths only.
 */
static int
damaged_first(struct open_state *st, int r)
{
	CMS_ContentInfo *cms = NULL;
	int r2;

	if (st->der.p == NULL || r == CERTSEAL_E_NOMEM)
		return r;
	if ((r2 = cs_envelope_d2i(st->ctx, &st->der, st->der.p, st->der.len,
	    st->name, &cms)) != 0)
		return r2;
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return r;
}

/* The NID of the ContentInfo's contentType, from its encoding. */
static int
outer_nid(const struct cs_der *der)
{
	const unsigned char *p = der->p, *q;
	struct cs_ber ci, type;
	ASN1_OBJECT *obj;
	int nid;

	if (cs_ber_next(&p, der->p + der->len, &ci) != 0 ||
	    !cs_ber_is(&ci, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, 1))
		return -1;
	q = ci.body;
	if (cs_ber_next(&q, ci.end, &type) != 0 ||
	    !cs_ber_is(&type, V_ASN1_UNIVERSAL, V_ASN1_OBJECT, 0))
		return -1;
	q = type.start;
	if ((obj = d2i_ASN1_OBJECT(NULL, &q, type.end - type.start)) == NULL)
		return -1;
	nid = OBJ_obj2nid(obj);
	ASN1_OBJECT_free(obj);
	return nid;
}

/*
 * Judges the outer structure (the whitelist applies before any key is
 * looked at), then each recipient, from the encoding.
 */
static int
judge_outer(struct open_state *st)
{
	certseal_ctx *ctx = st->ctx;
	int nid, r;

	if ((nid = outer_nid(&st->der)) < 0)
		return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: looks like %s "
		    "CMS but does not parse; the file is damaged or truncated",
		    st->name, st->der.form);
	if ((r = cs_policy_outer_nid(ctx, nid, &st->der, st->name,
	    &st->outer)) != 0)
		return r;
	if (!st->outer.accepted)
		return cs_error(ctx, CERTSEAL_E_ALGORITHM, "%s: %s (%s); reseal "
		    "it with certseal", st->name, st->outer.reason,
		    st->outer.content_encryption_oid[0] != '\0' ?
		    st->outer.content_encryption_oid : st->outer.content_type);
	if ((r = cs_raw_recipients_read(&st->der, &st->raw)) == -2)
		return cs_nomem(ctx);
	if (r != 0)
		return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: malformed %s "
		    "structure; the file is damaged", st->name,
		    st->outer.content_type);
	if (st->raw.n == 0)
		return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no recipients",
		    st->name);
	if ((st->infos = malloc(st->raw.n * sizeof(*st->infos))) == NULL)
		return cs_nomem(ctx);
	cs_policy_raw_recipients(&st->raw, st->infos);
	return list_ids(st);
}

/*
 * Step 1 of a sealed open: the file's DER (decoded in place when the
 * input is ours), judged.  OpenSSL has parsed nothing yet.
 */
static int
parse_outer(struct open_state *st, const uint8_t *data, size_t len,
    uint8_t **ownedp)
{
	int r;

	if (ownedp != NULL)
		r = cs_envelope_decode_inplace(st->ctx, *ownedp, len,
		    st->name, &st->der);
	else
		r = cs_envelope_decode(st->ctx, data, len, st->name,
		    &st->der);
	if (r != 0)
		return r;
	if ((r = judge_outer(st)) != 0)
		return damaged_first(st, r);
	return 0;
}

/* Step 2: the key of an accepted recipient, from the sources in order. */
static int
pick_recipient(struct open_state *st)
{
	int r;

	if ((r = ensure_sources(st)) != 0 || (r = find_key(st)) != 0)
		return damaged_first(st, r);
	if (refused_recipient_matches(st))
		return damaged_first(st, cs_error(st->ctx,
		    CERTSEAL_E_ALGORITHM, "%s: key %s is also named by a "
		    "recipient the policy refuses; reseal the file with "
		    "certseal", st->name, st->key->keyid_hex));
	return 0;
}

/*
 * The encryptedContent's value in a buffer of certseal's, for
 * decrypt_content: where it lies when the DER is writable (the input
 * taken over, or the PEM decoded into a buffer of ours: that buffer is
 * taken, a constructed content collected in place), else copied once,
 * as OpenSSL's parse would have.  Absent (detached): st->ct stays empty.
 */
static int
take_ciphertext(struct open_state *st, uint8_t **ownedp)
{
	const struct cs_ber *e = &st->raw.content;
	struct ct_buf *ct = &st->ct;
	size_t n = st->raw.content_len, off;

	if (!st->raw.has_content)
		return 0;
	if (st->der.writable != NULL &&
	    (st->der.owned != NULL || ownedp != NULL)) {
		off = (size_t)(e->body - st->der.p);
		ct->data = st->der.writable + off;
		ct->room = (size_t)st->der.len - off;
		if (st->der.owned != NULL) {
			ct->block = st->der.owned;
			ct->ossl = 1;
			st->der.owned = NULL;
		} else {
			ct->block = *ownedp;
			*ownedp = NULL;
		}
	} else {
		if ((ct->block = malloc(n + 1)) == NULL)
			return cs_nomem(st->ctx);
		ct->data = ct->block;
		ct->room = n + 1;
	}
	/* Checked when the recipients were read: cannot fail. */
	if (cs_ber_collect(e, ct->data, &n) != 0 ||
	    n != st->raw.content_len)
		return cs_error(st->ctx, CERTSEAL_E_INTERNAL, "%s: the "
		    "encrypted content moved", st->name);
	ct->len = n;
	return 0;
}

/*
 * Step 2b: OpenSSL parses the file with only the chosen RecipientInfo and
 * without the ciphertext (cs_raw_reduce), so that it builds one
 * recipient, not thousands, and copies no large content; the ciphertext
 * is taken into st->ct.  The input is released once parsed.
 */
static int
parse_chosen(struct open_state *st, size_t len, uint8_t **ownedp)
{
	unsigned char *copy = NULL;
	long plen = 0;
	int r;

	if ((r = cs_raw_reduce(&st->raw, st->chosen, &copy, &plen)) == -2)
		return cs_nomem(st->ctx);
	if (r != 0)
		return cs_error(st->ctx, CERTSEAL_E_INTEGRITY, "%s: malformed "
		    "%s structure; the file is damaged", st->name,
		    st->outer.content_type);
	/* The identifiers point into the DER, which may change. */
	free(st->acc);
	free(st->ref);
	st->acc = st->ref = NULL;
	st->nacc = st->nref = 0;
	if ((r = cs_envelope_d2i(st->ctx, &st->der, copy, plen, st->name,
	    &st->cms)) == 0)
		r = take_ciphertext(st, ownedp);
	/* The parsed structure and st->ct are all that is needed now. */
	free(copy);
	cs_raw_recipients_release(&st->raw);
	cs_der_release(&st->der);
	release_input(ownedp, len, 0);
	return r;
}

/*
 * Step 3: decrypts the content with that key into *dec; *enidp is its
 * content type.  The ciphertext is freed.
 */
static int
decrypt_outer(struct open_state *st, struct cs_secret **dec, int *enidp)
{
	int r;

	ERR_clear_error();
	/*
	 * CMS_DEBUG_DECRYPT: without it, a content key that does not
	 * unwrap is silently replaced by a random one (OpenSSL's
	 * countermeasure against padding oracles on PKCS#1 v1.5), and
	 * AES-CBC then decrypts to garbage whose padding is valid one time
	 * in 256: the same file would give different answers.  PKCS#1 v1.5
	 * never gets here (the whitelist refuses it before any key is
	 * used), and RSAES-OAEP and AES key wrap stay secure with a
	 * decryption oracle, so failing for what it is costs nothing.
	 * CMS_decrypt with no key and no output only sets the flag.
	 */
	if (CMS_decrypt(st->cms, NULL, NULL, NULL, NULL,
	    CMS_DEBUG_DECRYPT) != 1 ||
	    CMS_decrypt_set1_pkey_and_peer(st->cms, st->key->pkey,
	    st->key->cert, NULL) != 1)
		return cs_error(st->ctx, CERTSEAL_E_DECRYPT, "%s: the key %s "
		    "from %s cannot unwrap the content key; the file is "
		    "damaged or the key is wrong", st->name,
		    st->key->keyid_hex, cs_source_uri(st->src));
	if ((r = decrypt_content(st, dec)) != 0)
		return r;
	*enidp = OBJ_obj2nid(CMS_get0_eContentType(st->cms));
	/* The ciphertext is not needed any more. */
	CMS_ContentInfo_free(st->cms);
	st->cms = NULL;
	return 0;
}

/*
 * The decrypted content as a SignedData, into *inner (NULL when it does
 * not parse as one): parsed without its eContent (cs_signed_detach), which
 * is then collected in place in dec and verified from there
 * (st->detached), when the walk reads its shape; else parsed whole, as
 * before.  Either way it parses exactly when the whole does.
 */
static int
parse_signed(struct open_state *st, struct cs_secret *dec,
    CMS_ContentInfo **inner)
{
	struct cs_detached det;
	size_t n = 0;
	int r;

	if ((r = cs_signed_detach(dec->data, (long)dec->len, &det)) == -2)
		return cs_nomem(st->ctx);
	if (r != 0) {
		*inner = cs_cms_d2i_exact(dec->data, (long)dec->len);
		return 0;
	}
	*inner = cs_cms_d2i_exact(det.der, det.len);
	if (*inner != NULL && det.has_content) {
		/* Only now is dec changed: it was no SignedData otherwise. */
		st->content_off = (size_t)(det.content.body - dec->data);
		if (cs_ber_collect(&det.content, dec->data + st->content_off,
		    &n) != 0 || n != det.content_len) {
			cs_detached_release(&det);
			return cs_error(st->ctx, CERTSEAL_E_INTERNAL, "%s: the "
			    "signed content moved", st->name);
		}
	}
	st->content_len = n;
	st->detached = *inner != NULL;
	cs_detached_release(&det);
	return 0;
}

/*
 * Step 4: the decrypted content as a SignedData (*inner), or NULL when it
 * is unsigned data.
 */
static int
unwrap_inner(struct open_state *st, int enid, struct cs_secret *dec,
    CMS_ContentInfo **inner)
{
	int r;

	*inner = NULL;
	if (enid != NID_pkcs7_signed && enid != NID_pkcs7_data)
		return cs_error(st->ctx, CERTSEAL_E_INTEGRITY, "%s: unexpected "
		    "encrypted content type", st->name);
	/*
	 * certseal, openssl cms -encrypt and Bouncy Castle for data say
	 * id-data: a content that parses completely as a SignedData (DER
	 * or BER) is treated as signed.  Its signers and certificates are
	 * counted first (issue 19).
	 */
	if ((r = cs_cms_check_counts(st->ctx, (const unsigned char *)
	    dec->data, (long)dec->len, st->name, "signed content")) != 0)
		return r;
	if ((r = parse_signed(st, dec, inner)) != 0)
		return r;
	if (*inner != NULL &&
	    OBJ_obj2nid(CMS_get0_type(*inner)) != NID_pkcs7_signed) {
		CMS_ContentInfo_free(*inner);
		*inner = NULL;
	}
	ERR_clear_error();
	if (*inner == NULL && enid == NID_pkcs7_signed)
		return cs_error(st->ctx, CERTSEAL_E_INTEGRITY, "%s: the "
		    "encrypted SignedData does not parse", st->name);
	return 0;
}

/*
 * Step 5: the configuration in cfg->plain - the verified content of a
 * SignedData, or the decrypted bytes of unsigned data where that is
 * allowed.  *innerp and *decp are freed: one copy is left.
 */
static int
take_content(struct open_state *st, CMS_ContentInfo **innerp,
    struct cs_secret **decp, json_t *signers, struct certseal_config *cfg)
{
	certseal_ctx *ctx = st->ctx;
	int r;

	if (*innerp != NULL) {
		/*
		 * Parsed whole: the decrypted DER is not needed (else
		 * the content is verified where it lies in it).
		 */
		if (!st->detached) {
			cs_secret_free(*decp);
			*decp = NULL;
		}
		if ((r = verify_signed(st, *innerp, decp, signers, cfg)) != 0)
			return r;
	} else {
		if (open_is_strict(st))
			return cs_error(ctx, CERTSEAL_E_UNSIGNED, "%s: "
			    "encrypted but not signed, and only signed "
			    "configurations are accepted; reseal it with "
			    "certseal-admin save", st->name);
		if (st->outer.cbc)
			return cs_error(ctx, CERTSEAL_E_ALGORITHM, "%s: "
			    "AES-CBC without a signature is not accepted; "
			    "reseal it with certseal", st->name);
		/* Unsigned: the decrypted bytes are the configuration. */
		cfg->plain = *decp;
		*decp = NULL;
	}
	/* Only one copy from here on. */
	wipe_content(*innerp);
	CMS_ContentInfo_free(*innerp);
	*innerp = NULL;
	cs_secret_free(*decp);
	*decp = NULL;
	if (cfg->plain->len > CERTSEAL_MAX_CONFIG_SIZE)
		return cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: configuration "
		    "over the limit of %zu bytes", st->name,
		    CERTSEAL_MAX_CONFIG_SIZE);
	return 0;
}

/*
 * Step 6: anti-rollback (not for inspect), then where the configuration
 * came from; a newer sequence is recorded last, when nothing can fail.
 */
static int
check_rollback(struct open_state *st, struct certseal_config *cfg)
{
	certseal_ctx *ctx = st->ctx;
	int newer = 0, r;

	if ((st->opts & CS_OPEN_INSPECT) == 0 && cfg->name != NULL &&
	    cfg->has_sequence && ctx->state_dir != NULL &&
	    (r = cs_rollback_check(ctx, cfg->name, cfg->sequence,
	    &newer)) != 0) {
		cs_error_prefix(ctx, "%s", st->name);
		return r;
	}
	if ((cfg->source_uri = strdup(cs_source_uri(st->src))) == NULL)
		return cs_nomem(ctx);
	snprintf(cfg->keyid_hex, sizeof(cfg->keyid_hex), "%s",
	    st->key->keyid_hex);
	if (newer && (r = cs_rollback_store(ctx, cfg->name,
	    cfg->sequence)) != 0) {
		cs_error_prefix(ctx, "%s", st->name);
		return r;
	}
	return 0;
}

/*
 * The open.  When ownedp is not NULL, *ownedp is data, taken over: PEM is
 * decoded in place, and the ciphertext decrypted in place in it, the
 * SignedData's content verified and handed out where it lies, so that a
 * large file is held once (bench/ANALYSIS.md); a caller's const data is
 * copied once (the ciphertext).
 */
static int
open_common(certseal_ctx *ctx, const uint8_t *data, size_t len,
    uint8_t **ownedp, const char *name, unsigned int opts, json_t *signers,
    certseal_config **out)
{
	struct open_state st;
	struct certseal_config *cfg = NULL;
	CMS_ContentInfo *inner = NULL;
	struct cs_secret *dec = NULL;
	int enid = NID_undef, sealed = 0, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	st.name = name != NULL ? name : "(configuration)";
	st.opts = opts;
	ctx->open_serial++;
	cs_error_clear(ctx);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if (data == NULL)
		len = 0;
	if (!cs_envelope_looks_sealed(data, len)) {
		if ((r = open_plaintext(ctx, data != NULL ? data :
		    (const uint8_t *)"", len, st.name, opts, cfg)) != 0)
			goto out;
		goto done;
	}
	cfg->sealed = sealed = 1;
	if ((r = parse_outer(&st, data, len, ownedp)) != 0 ||
	    (r = pick_recipient(&st)) != 0 ||
	    (r = parse_chosen(&st, len, ownedp)) != 0 ||
	    (r = decrypt_outer(&st, &dec, &enid)) != 0 ||
	    (r = unwrap_inner(&st, enid, dec, &inner)) != 0 ||
	    (r = take_content(&st, &inner, &dec, signers, cfg)) != 0 ||
	    (r = check_rollback(&st, cfg)) != 0)
		goto out;
 done:
	*out = cfg;
	cfg = NULL;
	r = 0; /* success */
 out:
	/* A plaintext configuration was read into the input: wipe it. */
	release_input(ownedp, len, !sealed);
	wipe_content(inner);
	CMS_ContentInfo_free(inner);
	CMS_ContentInfo_free(st.cms);
	cs_secret_free(dec);
	ct_release(&st.ct);
	cs_raw_recipients_release(&st.raw);
	cs_der_release(&st.der);
	free(st.acc);
	free(st.ref);
	free(st.acc_rid);
	free(st.ref_rid);
	free(st.infos);
	cs_config_free(cfg);
	return r;
}

int
cs_envelope_open_ex(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, unsigned int opts, json_t *signers,
    certseal_config **out)
{
	return open_common(ctx, data, len, NULL, name, opts, signers, out);
}

int
cs_envelope_open_owned(certseal_ctx *ctx, uint8_t **datap, size_t len,
    const char *name, certseal_config **out)
{
	return open_common(ctx, *datap, len, datap, name, 0, NULL, out);
}

int
cs_envelope_open(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, certseal_config **out)
{
	return cs_envelope_open_ex(ctx, data, len, name, 0, NULL, out);
}
