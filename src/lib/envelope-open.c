/*
 * envelope-open.c - opening a configuration (DESIGN.md section 3):
 * plaintext passes through unless strict; a sealed file is checked
 * against the whitelist, matched to a recipient by identifier in the
 * sources' order, decrypted into memory, and its signature verified
 * against the signers the sources trust.  Plaintext leaves this file only
 * when everything verified; on every other path it is wiped.  This file
 * holds the steps in order; the recipient's key is found in
 * envelope-key.c, the content decrypted in envelope-decrypt.c and the
 * inner SignedData verified in envelope-signer.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"
#include "envelope-internal.h"
#include "envelope-open.h"
#include "source.h"

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

/* Strict clients take only what certseal-admin seals (not for inspect). */
int
cs_open_is_strict(const struct open_state *st)
{
	return (st->ctx->flags & CERTSEAL_FLAG_ENCRYPTED_ONLY) != 0 &&
	    (st->opts & CS_OPEN_INSPECT) == 0;
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
		return cs_envelope_damaged(ctx, st->name, st->der.form);
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
	return cs_open_list_ids(st);
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

	if ((r = cs_open_ensure_sources(st)) != 0 ||
	    (r = cs_open_find_key(st)) != 0)
		return damaged_first(st, r);
	if (cs_open_refused_recipient_matches(st))
		return damaged_first(st, cs_error(st->ctx,
		    CERTSEAL_E_ALGORITHM, "%s: key %s is also named by a "
		    "recipient the policy refuses; reseal the file with "
		    "certseal", st->name, st->key->keyid_hex));
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
		r = cs_open_take_ciphertext(st, ownedp);
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
		    st->key->keyid_hex, cs_source_display_uri(st->src));
	if ((r = cs_open_decrypt_content(st, dec)) != 0)
		return r;
	*enidp = OBJ_obj2nid(CMS_get0_eContentType(st->cms));
	/* The ciphertext is not needed any more. */
	CMS_ContentInfo_free(st->cms);
	st->cms = NULL;
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
		return cs_error(st->ctx, CERTSEAL_E_INTEGRITY, "%s: the "
		    "encrypted content is neither data nor a SignedData, so "
		    "no configuration: seal the file again with certseal-admin",
		    st->name);
	/*
	 * certseal, openssl cms -encrypt and Bouncy Castle for data say
	 * id-data: a content that parses completely as a SignedData (DER
	 * or BER) is treated as signed.  Its signers and certificates are
	 * counted first (issue 19).
	 */
	if ((r = cs_cms_check_counts(st->ctx, (const unsigned char *)
	    dec->data, (long)dec->len, st->name, "signed content")) != 0)
		return r;
	if ((r = cs_open_parse_signed(st, dec, inner)) != 0)
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
	/*
	 * The rule for the file (DESIGN.md section 3) holds for what it
	 * encrypts: a content that looks like CMS but does not parse as a
	 * SignedData - one byte too many, or PEM - was meant to be signed,
	 * and must not reach the application as unsigned configuration.
	 */
	if (*inner == NULL && cs_envelope_looks_sealed(dec->data, dec->len))
		return cs_error(st->ctx, CERTSEAL_E_INTEGRITY, "%s: the "
		    "encrypted content looks like CMS but is no SignedData "
		    "that parses whole (damaged before it was encrypted, or "
		    "PEM inside): seal the configuration again", st->name);
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
		if ((r = cs_open_verify_signed(st, *innerp, decp, signers,
		    cfg)) != 0)
			return r;
	} else {
		if (cs_open_is_strict(st))
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
	if ((cfg->source_uri = strdup(cs_source_display_uri(st->src))) == NULL)
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
	cs_open_ct_release(&st.ct);
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
