/*
 * envelope-signer.c - the inner SignedData of an open (envelope-open.c)
 * verified: parsed without its content where the walk allows, every
 * SignerInfo that names a certificate the sources trust checked (exact
 * pinning), the signer chosen and its certseal attributes read, and the
 * verified content handed out as the configuration.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "envelope-internal.h"
#include "envelope-open.h"
#include "source.h"
#include "succession.h"

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

/*
 * Every identifier by which sd can name a trusted signer (struct
 * cs_signer_query): its SignerInfos' and, for the pair succession, its
 * certificates' SKIDs and AKIDs.  Pointers into sd and carried.
 */
static int
signer_query(CMS_ContentInfo *sd, STACK_OF(X509) *carried,
    struct cs_signer_query *q)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(sd);
	struct cs_recipient_id *ids, *id;
	ASN1_OCTET_STRING *keyid;
	X509_NAME *issuer;
	ASN1_INTEGER *sno;
	size_t nsi, nc, i;
	X509 *x;

	/* Both stacks may be NULL: none (-1). */
	nsi = sk_CMS_SignerInfo_num(sis) > 0 ?
	    (size_t)sk_CMS_SignerInfo_num(sis) : 0;
	nc = sk_X509_num(carried) > 0 ? (size_t)sk_X509_num(carried) : 0;

	q->carried = carried;
	if ((ids = calloc(nsi + 2 * nc + 1, sizeof(*ids))) == NULL)
		return -1;
	id = ids;
	for (i = 0; i < nsi; i++) {
		keyid = NULL;
		issuer = NULL;
		sno = NULL;
		if (CMS_SignerInfo_get0_signer_id(sk_CMS_SignerInfo_value(sis,
		    (int)i), &keyid, &issuer, &sno) != 1)
			continue;
		id->keyid = keyid;
		id->issuer = issuer;
		id->serial = sno;
		id++;
	}
	for (i = 0; i < nc; i++) {
		x = sk_X509_value(carried, (int)i);
		if ((id->keyid = X509_get0_subject_key_id(x)) != NULL)
			id++;
		if ((id->keyid = X509_get0_authority_key_id(x)) != NULL)
			id++;
	}
	q->ids = ids;
	q->nids = (size_t)(id - ids);
	return 0;
}

/*
 * The signers the sources trust that sd can name (signer_query), with
 * the successors a pair exchange in sd vouches for (succ), and an index
 * over them.
 */
static int
gather_trusted(struct open_state *st, CMS_ContentInfo *sd,
    STACK_OF(X509) **trustedp, struct cs_succession *succ,
    struct cs_cert_index **idxp)
{
	certseal_ctx *ctx = st->ctx;
	struct cs_signer_query q;
	STACK_OF(X509) *carried;
	size_t s;
	int r;

	if ((*trustedp = sk_X509_new_null()) == NULL)
		return cs_nomem(ctx);
	/* What sd carries, parsed already: a source need not parse it. */
	carried = CMS_get1_certs(sd);
	if (signer_query(sd, carried, &q) != 0) {
		sk_X509_pop_free(carried, X509_free);
		return cs_nomem(ctx);
	}
	for (s = 0; s < ctx->nsources; s++) {
		/*
		 * A source that fails here contributes nobody; why is kept
		 * (the first) or said (the others): an unreadable signers/
		 * is not an untrusted signature.
		 */
		r = cs_source_trusted_signers_for(ctx->sources[s], *trustedp,
		    &q);
		if (r == 0 || r == CERTSEAL_E_NOT_FOUND)
			continue;
		cs_error_prefix(ctx, "%s",
		    cs_source_display_uri(ctx->sources[s]));
		cs_error_keep_first(ctx, r, &st->signers_hard);
	}
	free((void *)q.ids);
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
		if (cs_open_is_strict(st)) {
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
	if (good == NULL && st->signers_hard.err != 0) {
		/* The signer may be among those that could not be read. */
		r = cs_error_restore(ctx, &st->signers_hard);
		cs_error_prefix(ctx, "%s: signed, but the trusted signers "
		    "could not all be read", st->name);
		goto out;
	}
	if (good == NULL) {
		r = cs_error(ctx, CERTSEAL_E_UNTRUSTED, "%s: signed, but by "
		    "nobody the certificate sources trust (%d signature(s)); "
		    "import the signer certificate with the client "
		    "certificates", st->name, nsi);
		goto out;
	}
	if (st->signers_hard.err != 0)
		cs_warn(ctx, "%s (a signer of another source verified %s)",
		    st->signers_hard.msg, st->name);
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
	if (cs_secret_adopt_within(data, 1, data, (size_t)os->length,
	    out) != 0) {
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
int
cs_open_verify_signed(struct open_state *st, CMS_ContentInfo *sd,
    struct cs_secret **decp, json_t *signers, struct certseal_config *cfg)
{
	certseal_ctx *ctx = st->ctx;
	STACK_OF(X509) *trusted = NULL;
	struct cs_succession succ = { NULL };
	struct cs_cert_index *idx = NULL;
	CMS_SignerInfo *good = NULL;
	X509 *goodcert = NULL;
	BIO *cont = NULL;
	char ct[80];
	int r = CERTSEAL_E_INTERNAL;

	/*
	 * A configuration is data: a signature over another content type
	 * (a receipt, a timestamp, anything a signer's key may also sign)
	 * is no configuration, whoever signed it.
	 */
	if (OBJ_obj2nid(CMS_get0_eContentType(sd)) != NID_pkcs7_data) {
		if (OBJ_obj2txt(ct, sizeof(ct), CMS_get0_eContentType(sd),
		    1) <= 0)
			snprintf(ct, sizeof(ct), "unreadable");
		r = cs_error(ctx, CERTSEAL_E_POLICY, "%s: the signed content "
		    "is not data (eContentType %s), so no configuration; "
		    "seal it again with certseal-admin", st->name, ct);
		goto out;
	}
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

/*
 * The decrypted content as a SignedData, into *inner (NULL when it does
 * not parse as one): parsed without its eContent (cs_signed_detach), which
 * is then collected in place in dec and verified from there
 * (st->detached), when the walk reads its shape; else parsed whole, as
 * before.  Either way it parses exactly when the whole does.
 */
int
cs_open_parse_signed(struct open_state *st, struct cs_secret *dec,
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
