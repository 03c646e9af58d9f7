/*
 * source-pkcs11.c - the pkcs11: CertificateSource (RFC 7512 URIs).
 *
 * `new` only parses; the module is loaded, the token found and logged in
 * on first use, and found keys are cached in the source.  The module,
 * its session and its login are shared process-wide by pkcs11/ (see
 * p11-module.c), so several sources and contexts naming one token log in
 * once.
 *
 * Trust rule (security): a certificate object on the token is a trusted
 * signer only when the token holds no private key for it — no private key
 * with the certificate's CKA_ID and none whose public key is the
 * certificate's (RSA modulus, EC point of the key's public object).  The
 * decryption key is shared by every client, so trusting its certificate
 * as a signer would let any client forge a configuration; a certseal
 * client token holds the decryption key, its certificate and the signer
 * certificate, whose private key stays on the admin's token.
 *
 * One exception, for the admin's own token (certseal-admin show/edit open
 * files through it, and it holds the signing keys): a certificate whose
 * private key is on the token is trusted when that key is
 * CKA_EXTRACTABLE=FALSE (it never left the token, so no client has it)
 * and the certificate's keyUsage says digitalSignature and neither
 * keyEncipherment, dataEncipherment nor keyAgreement (it is not a
 * decryption key).  A certificate without a keyUsage extension allows
 * every usage and is therefore never excepted.
 *
 * The URI's object= / id= name the key; they narrow the trusted
 * certificates only together with type=cert.
 *
 * A wrong or locked PIN is remembered by the source and answered without
 * a second C_Login (tokens lock after a few wrong PINs), also when the
 * envelope later asks this source for its trusted signers.
 */
#include "config.h"

#include <sys/types.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "source.h"
#include "p11.h"

#define MAX_CACHED_KEYS	64

struct pkcs11_source {
	struct cs_source base;
	struct cs_p11_uri *uri;
	struct cs_p11_token *tok;	/* NULL until first use */
	struct cs_key	*keys[MAX_CACHED_KEYS];
	size_t		 nkeys;
	struct cs_key	*signer;
	STACK_OF(X509)	*trusted;	/* cached trusted signers */
	/*
	 * The answer to the last query with identifiers (a client re-opening
	 * its file asks the same again), under a digest of those identifiers.
	 */
	STACK_OF(X509)	*trusted_for;
	unsigned char	 trusted_for_key[SHA256_DIGEST_LENGTH];
	/*
	 * The token's certificates and private keys, listed once per open
	 * (ctx->open_serial): a thousand recipients are matched in memory,
	 * and the next open sees pairs added to the token meanwhile.
	 */
	struct cs_p11_index index;
	unsigned long	 index_serial;
	int		 index_valid;
	/*
	 * Who each certificate of the index is, read without parsing it
	 * (cert-ident.c) when first asked: state 0 unread, 1 read, -1 not
	 * readable that way (then it may be anyone).  Goes with the index.
	 */
	struct cs_cert_ident *idents;
	signed char	*ident_state;
	size_t		 nidents;
	struct cs_error_saved login;	/* bad/locked PIN: not resent */
};

/* How load_trusted judged one certificate (for describe). */
enum trust_verdict {
	TRUST_NO_KEY,		/* no private key on the token: trusted */
	TRUST_OWN_SIGNER,	/* admin token's own signing key: trusted */
	TRUST_HAS_KEY,		/* its (shareable) key is here: no */
};

static struct pkcs11_source *
p11_source(struct cs_source *s)
{
	assert(s->ops == &cs_source_pkcs11_ops);
	return (struct pkcs11_source *)s;
}

static void
key_free(struct cs_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	X509_free(k->cert);
	free(k->label);
	free(k);
}

static int
pkcs11_new(certseal_ctx *ctx, const char *uri, struct cs_source **out)
{
	struct pkcs11_source *ps = NULL;
	int r;

	*out = NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return cs_nomem(ctx);
	if ((r = cs_source_init(&ps->base, &cs_source_pkcs11_ops, ctx,
	    uri)) != 0 || (r = cs_p11_uri_parse(ctx, uri, &ps->uri)) != 0) {
		cs_source_release(&ps->base);
		free(ps);
		return r;
	}
	*out = &ps->base;
	return 0;
}

static void
idents_release(struct pkcs11_source *ps)
{
	size_t i;

	for (i = 0; i < ps->nidents; i++)
		cs_cert_ident_release(&ps->idents[i]);
	free(ps->idents);
	free(ps->ident_state);
	ps->idents = NULL;
	ps->ident_state = NULL;
	ps->nidents = 0;
}

static void
pkcs11_free(struct cs_source *src)
{
	struct pkcs11_source *ps = p11_source(src);
	size_t i;

	for (i = 0; i < ps->nkeys; i++)
		key_free(ps->keys[i]);
	key_free(ps->signer);
	sk_X509_pop_free(ps->trusted, X509_free);
	sk_X509_pop_free(ps->trusted_for, X509_free);
	idents_release(ps);
	cs_p11_index_release(&ps->index);
	/* The token, its session and login stay cached for the process. */
	cs_p11_token_unref(ps->tok);
	cs_p11_uri_free(ps->uri);
	cs_source_release(src);
	free(ps);
}

/*
 * Finds the token and logs in, once (the login check is cheap after).  A
 * PIN the token refused is not sent again by this source: the same error
 * comes back until the source is recreated.
 */
static int
open_and_login(struct pkcs11_source *ps)
{
	certseal_ctx *ctx = ps->base.ctx;
	int r;

	if (ps->login.err != 0)
		return cs_error_restore(ctx, &ps->login);
	if (ps->tok == NULL &&
	    (r = cs_p11_token_open(ctx, ps->uri, &ps->tok)) != 0)
		return r;
	r = cs_p11_token_login(ctx, ps->tok, cs_p11_uri_pin_source(ps->uri),
	    cs_p11_uri_pin_value(ps->uri));
	if (r == CERTSEAL_E_PIN_INCORRECT || r == CERTSEAL_E_PIN_LOCKED)
		cs_error_save(ctx, r, &ps->login);
	return r;
}

/* The token's listing for the current open, read when there is none. */
/*
 * Whether certificate i of the index can be one that ids name: always
 * when it is parsed already or its identity cannot be read without a
 * parse, else when ids name its identity.  A token shared with other
 * applications holds certificates no file names, and parsing each costs
 * what the whole open does.
 */
static int
index_cert_named(struct pkcs11_source *ps, size_t i,
    const struct cs_recipient_id *ids, size_t n)
{
	const struct cs_p11_cert *c = &ps->index.certs[i];

	if (c->x != NULL)
		return 1;
	if (ps->idents == NULL) {
		ps->idents = calloc(ps->index.ncerts, sizeof(*ps->idents));
		ps->ident_state = calloc(ps->index.ncerts,
		    sizeof(*ps->ident_state));
		if (ps->idents == NULL || ps->ident_state == NULL) {
			idents_release(ps);
			return 1;	/* parsed, as without the filter */
		}
		ps->nidents = ps->index.ncerts;
	}
	if (ps->ident_state[i] == 0)
		ps->ident_state[i] = cs_cert_ident_read(c->der, c->len,
		    &ps->idents[i]) == 0 ? 1 : -1;
	return ps->ident_state[i] < 0 ||
	    cs_cert_ident_named(&ps->idents[i], ids, n);
}

/* cs_p11_cert_filter for the index's recipient search. */
static int
may_be_recipient(void *arg, size_t i, const struct cs_recipient_id *rid)
{
	return index_cert_named(arg, i, rid, 1);
}

static int
ensure_index(struct pkcs11_source *ps)
{
	certseal_ctx *ctx = ps->base.ctx;
	int r;

	if (ps->index_valid && ps->index_serial == ctx->open_serial)
		return 0;
	if ((r = cs_p11_index_read(ctx, ps->tok, &ps->index)) != 0)
		return r;
	idents_release(ps);
	ps->index_valid = 1;
	ps->index_serial = ctx->open_serial;
	return 0;
}

static int
make_key(struct pkcs11_source *ps, EVP_PKEY *pkey, X509 *cert,
    const char *label, struct cs_key **out)
{
	struct cs_key *k;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->label = strdup(label)) == NULL) {
		free(k);
		return cs_nomem(ps->base.ctx);
	}
	k->pkey = pkey;
	k->cert = cert;
	cs_key_set_keyid(k);
	*out = k;
	return 0;
}

static int
pkcs11_find_key(struct cs_source *src, const struct cs_recipient_id *id,
    const struct cs_key **out)
{
	struct pkcs11_source *ps = p11_source(src);
	struct cs_p11_cert_filter filter;
	const struct cs_p11_object *obj;
	struct cs_key *k = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((r = open_and_login(ps)) != 0)
		return r;
	for (i = 0; i < ps->nkeys; i++) {
		if (ps->keys[i]->cert != NULL &&
		    cs_recipient_id_matches(id, ps->keys[i]->cert)) {
			*out = ps->keys[i];
			return 0;
		}
	}
	filter.may_be = may_be_recipient;
	filter.arg = ps;
	if ((r = ensure_index(ps)) != 0 ||
	    (r = cs_p11_index_recipient(src->ctx, ps->tok, &ps->index, id,
	    &filter, &obj, &cert)) != 0)
		return r;
	if (cert == NULL) {
		/* CMS needs the certificate to pick the recipient safely. */
		cs_source_set_hint(src, "token '%s' has the key but not its "
		    "certificate: store the certificate on the token with the "
		    "key's CKA_ID", cs_p11_token_label(ps->tok));
		return CERTSEAL_E_NO_KEY;
	}
	/* A key the token cannot use is said so now, not as "bad decrypt". */
	if ((r = cs_p11_require_key_use(src->ctx, ps->tok, obj->key_type,
	    0)) != 0 ||
	    (r = cs_p11_key_pkey(src->ctx, ps->tok, obj, cert, &pkey)) != 0)
		return r;
	if (!X509_up_ref(cert)) {
		EVP_PKEY_free(pkey);
		return cs_nomem(src->ctx);
	}
	if ((r = make_key(ps, pkey, cert, cs_p11_token_label(ps->tok),
	    &k)) != 0) {
		EVP_PKEY_free(pkey);
		X509_free(cert);
		return r;
	}
	if (ps->nkeys < MAX_CACHED_KEYS)
		ps->keys[ps->nkeys++] = k;
	else {
		/* Bounded cache: replace the oldest entry. */
		key_free(ps->keys[0]);
		memmove(ps->keys, ps->keys + 1,
		    (MAX_CACHED_KEYS - 1) * sizeof(ps->keys[0]));
		ps->keys[MAX_CACHED_KEYS - 1] = k;
	}
	*out = k;
	return 0;
}

/* The token's private keys (the index's), public halves read lazily. */
struct privkeys {
	const struct cs_p11_object *objs;
	size_t		 n;
	uint8_t		**pub;		/* modulus/point or NULL */
	size_t		*publen;
	int		*tried;
};

static void
privkeys_release(struct privkeys *pk)
{
	size_t i;

	for (i = 0; pk->pub != NULL && i < pk->n; i++)
		free(pk->pub[i]);
	free(pk->pub);
	free(pk->publen);
	free(pk->tried);
	memset(pk, 0, sizeof(*pk));
}

/* Strips a DER OCTET STRING wrapper from a CKA_EC_POINT, in place. */
static void
ec_point_unwrap(uint8_t *b, size_t *lenp)
{
	const unsigned char *p = b;
	ASN1_OCTET_STRING *os;

	if ((os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)*lenp)) != NULL &&
	    p == b + *lenp) {
		memmove(b, os->data, (size_t)os->length);
		*lenp = (size_t)os->length;
	}
	ASN1_OCTET_STRING_free(os);
	ERR_clear_error();
}

/*
 * The public half of private key i: CKA_MODULUS of an RSA private key (a
 * public attribute), the CKA_EC_POINT of the EC public key object with the
 * same CKA_ID.  NULL when the token does not say.
 */
static const uint8_t *
privkey_pub(struct pkcs11_source *ps, struct privkeys *pk, size_t i,
    size_t *lenp)
{
	certseal_ctx *ctx = ps->base.ctx;
	const struct cs_p11_object *k = &pk->objs[i];
	struct cs_p11_object *pubs = NULL;
	size_t npub = 0, j;

	*lenp = 0;
	if (!pk->tried[i]) {
		pk->tried[i] = 1;
		if (k->key_type == CKK_RSA) {
			if (cs_p11_get_attr(ctx, ps->tok, k->handle,
			    CKA_MODULUS, &pk->pub[i], &pk->publen[i]) != 0)
				pk->pub[i] = NULL;
		} else if (k->key_type == CKK_EC && k->idlen > 0 &&
		    cs_p11_find(ctx, ps->tok, CKO_PUBLIC_KEY, k->id, k->idlen,
		    NULL, &pubs, &npub) == 0) {
			for (j = 0; j < npub && pk->pub[i] == NULL; j++) {
				if (cs_p11_get_attr(ctx, ps->tok,
				    pubs[j].handle, CKA_EC_POINT, &pk->pub[i],
				    &pk->publen[i]) != 0)
					pk->pub[i] = NULL;
				else
					ec_point_unwrap(pk->pub[i],
					    &pk->publen[i]);
			}
			free(pubs);
		}
		/* What the token cannot tell is no error here. */
		cs_error_clear(ctx);
	}
	*lenp = pk->publen[i];
	return pk->pub[i];
}

/* The certificate's public key in the form privkey_pub gives. */
static uint8_t *
cert_pub(X509 *x, CK_KEY_TYPE *type, size_t *lenp)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	BIGNUM *n = NULL;
	uint8_t *b = NULL;
	size_t len = 0;

	*lenp = 0;
	*type = (CK_KEY_TYPE)-1;
	if (pub == NULL)
		return NULL;
	if (EVP_PKEY_is_a(pub, "RSA")) {
		if (EVP_PKEY_get_bn_param(pub, "n", &n) &&
		    (b = malloc((size_t)BN_num_bytes(n) + 1)) != NULL) {
			*lenp = (size_t)BN_bn2bin(n, b);
			*type = CKK_RSA;
		}
		BN_free(n);
	} else if (EVP_PKEY_is_a(pub, "EC") &&
	    EVP_PKEY_get_octet_string_param(pub, "encoded-pub-key", NULL, 0,
	    &len) && (b = malloc(len)) != NULL &&
	    EVP_PKEY_get_octet_string_param(pub, "encoded-pub-key", b, len,
	    lenp)) {
		*type = CKK_EC;
	} else {
		free(b);
		b = NULL;
	}
	ERR_clear_error();
	return b;
}

/* Leading zero bytes are not part of an integer's value. */
static int
same_integer(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	while (alen > 0 && *a == 0) {
		a++;
		alen--;
	}
	while (blen > 0 && *b == 0) {
		b++;
		blen--;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * The private key on the token for certificate x (object xo): the one
 * with its CKA_ID, else the one whose public half is x's.  -1 when none.
 */
static ssize_t
key_for_cert(struct pkcs11_source *ps, struct privkeys *pk, X509 *x,
    const struct cs_p11_object *xo)
{
	CK_KEY_TYPE t;
	const uint8_t *kp;
	uint8_t *cp;
	size_t i, clen, klen;
	ssize_t found = -1;

	for (i = 0; xo->idlen > 0 && i < pk->n; i++) {
		if (pk->objs[i].idlen == xo->idlen &&
		    memcmp(pk->objs[i].id, xo->id, xo->idlen) == 0)
			return (ssize_t)i;
	}
	/* A certificate stored under another CKA_ID is still its key's. */
	if ((cp = cert_pub(x, &t, &clen)) == NULL)
		return -1;
	for (i = 0; i < pk->n && found < 0; i++) {
		if (pk->objs[i].key_type != t ||
		    (kp = privkey_pub(ps, pk, i, &klen)) == NULL)
			continue;
		if (t == CKK_RSA ? same_integer(kp, klen, cp, clen) :
		    klen == clen && memcmp(kp, cp, clen) == 0)
			found = (ssize_t)i;
	}
	free(cp);
	return found;
}

/* keyUsage of a pure signing certificate: signs, never decrypts. */
static int
signing_only(X509 *x)
{
	uint32_t ku;

	if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE))
		return 0;	/* no keyUsage: every usage allowed */
	ku = X509_get_key_usage(x);
	return (ku & KU_DIGITAL_SIGNATURE) != 0 &&
	    (ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT |
	    KU_KEY_AGREEMENT)) == 0;
}

/* The rule in the comment at the top of this file, for one certificate. */
static enum trust_verdict
judge(struct pkcs11_source *ps, struct privkeys *pk, X509 *x,
    const struct cs_p11_object *xo)
{
	ssize_t k;
	int extractable = 1;

	if ((k = key_for_cert(ps, pk, x, xo)) < 0)
		return TRUST_NO_KEY;
	if (!signing_only(x))
		return TRUST_HAS_KEY;
	/* Unreadable CKA_EXTRACTABLE counts as extractable. */
	if (cs_p11_get_bool(ps->base.ctx, ps->tok, pk->objs[k].handle,
	    CKA_EXTRACTABLE, &extractable) != 0) {
		cs_error_clear(ps->base.ctx);
		extractable = 1;
	}
	return extractable ? TRUST_HAS_KEY : TRUST_OWN_SIGNER;
}

/* index_cert_named for a certificate outside the index (a URI's). */
static int
cert_named(const struct cs_p11_cert *c, const struct cs_recipient_id *ids,
    size_t n)
{
	struct cs_cert_ident id;
	int named;

	if (c->x != NULL || cs_cert_ident_read(c->der, c->len, &id) != 0)
		return 1;
	named = cs_cert_ident_named(&id, ids, n);
	cs_cert_ident_release(&id);
	return named;
}

/*
 * The certificates of certs (the index's, or those a URI names) that the
 * trust rule trusts (judge), of those q names when it has identifiers,
 * pushed onto trusted.  A certificate q carries with the same encoding is
 * taken instead of parsing the token's copy.
 */
static int
judge_certs(struct pkcs11_source *ps, struct cs_p11_cert *certs,
    size_t ncerts, const struct cs_signer_query *q, STACK_OF(X509) *trusted)
{
	int from_index = certs == ps->index.certs;
	certseal_ctx *ctx = ps->base.ctx;
	struct privkeys pk;
	size_t i;
	X509 *x;
	int r;

	memset(&pk, 0, sizeof(pk));
	pk.objs = ps->index.keys;
	pk.n = ps->index.nkeys;
	if (pk.n > 0 && ((pk.pub = calloc(pk.n, sizeof(*pk.pub))) == NULL ||
	    (pk.publen = calloc(pk.n, sizeof(*pk.publen))) == NULL ||
	    (pk.tried = calloc(pk.n, sizeof(*pk.tried))) == NULL)) {
		r = cs_nomem(ctx);
		goto out;
	}
	for (i = 0; i < ncerts; i++) {
		if ((q != NULL && q->ids != NULL && !(from_index ?
		    index_cert_named(ps, i, q->ids, q->nids) :
		    cert_named(&certs[i], q->ids, q->nids))) ||
		    (x = cs_p11_cert_x509(&certs[i], q != NULL ? q->carried :
		    NULL)) == NULL ||
		    judge(ps, &pk, x, &certs[i].obj) == TRUST_HAS_KEY)
			continue;
		if (cs_x509_push_ref(trusted, x) != 0) {
			r = cs_nomem(ctx);
			goto out;
		}
	}
	r = 0; /* success */
 out:
	privkeys_release(&pk);
	return r;
}

/*
 * The token's trusted signers: its certificates that no private key on it
 * is for, or those a URI with type=cert names; of those q names when it
 * has identifiers.  Kept: all of them in ps->trusted, the answer to the
 * last query in ps->trusted_for.  *out is borrowed from ps.
 */
static int
load_trusted(struct pkcs11_source *ps, const struct cs_signer_query *q,
    STACK_OF(X509) **out)
{
	certseal_ctx *ctx = ps->base.ctx;
	struct cs_p11_cert *named = NULL, *certs;
	STACK_OF(X509) *trusted = NULL;
	const uint8_t *id = NULL;
	const char *label = NULL;
	size_t idlen = 0, ncerts, nnamed = 0;
	unsigned char key[SHA256_DIGEST_LENGTH];
	int whole = q == NULL || q->ids == NULL, r;

	*out = NULL;
	if (ps->trusted != NULL) {
		*out = ps->trusted;
		return 0;
	}
	if (!whole) {
		if (cs_signer_query_digest(q, key) != 0)
			return cs_nomem(ctx);
		if (ps->trusted_for != NULL &&
		    memcmp(key, ps->trusted_for_key, sizeof(key)) == 0) {
			*out = ps->trusted_for;
			return 0;
		}
	}
	if ((r = open_and_login(ps)) != 0 || (r = ensure_index(ps)) != 0)
		return r;
	if (cs_p11_uri_class(ps->uri) == CKO_CERTIFICATE) {
		id = cs_p11_uri_id(ps->uri, &idlen);
		label = cs_p11_uri_object(ps->uri);
	}
	/* The listing has every certificate; a URI naming some asks. */
	certs = ps->index.certs;
	ncerts = ps->index.ncerts;
	if (id != NULL || label != NULL) {
		if ((r = cs_p11_cert_values(ctx, ps->tok, id, idlen, label,
		    &named, &nnamed)) != 0)
			goto out;
		certs = named;
		ncerts = nnamed;
	}
	if ((trusted = sk_X509_new_null()) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if ((r = judge_certs(ps, certs, ncerts, q, trusted)) != 0)
		goto out;
	/* Only the whole set answers every later question. */
	if (whole)
		ps->trusted = trusted;
	else {
		sk_X509_pop_free(ps->trusted_for, X509_free);
		ps->trusted_for = trusted;
		memcpy(ps->trusted_for_key, key, sizeof(key));
	}
	*out = trusted;
	trusted = NULL;
	r = 0; /* success */
 out:
	sk_X509_pop_free(trusted, X509_free);
	cs_p11_cert_values_free(named, nnamed);
	return r;
}

static int
pkcs11_trusted_signers_for(struct cs_source *src, STACK_OF(X509) *into,
    const struct cs_signer_query *q)
{
	struct pkcs11_source *ps = p11_source(src);
	STACK_OF(X509) *trusted;	/* borrowed from ps */
	int i, r;

	if ((r = load_trusted(ps, q, &trusted)) != 0)
		return r;
	for (i = 0; i < sk_X509_num(trusted); i++)
		if (cs_x509_push_ref(into, sk_X509_value(trusted, i)) != 0)
			return cs_nomem(src->ctx);
	return 0;
}

static int
pkcs11_trusted_signers(struct cs_source *src, STACK_OF(X509) *into)
{
	return pkcs11_trusted_signers_for(src, into, NULL);
}

/* A successor's certificate on the token, where no key is: trusted. */
static int
pkcs11_add_trusted_signer(struct cs_source *src, X509 *cert)
{
	struct pkcs11_source *ps = p11_source(src);
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);
	STACK_OF(X509) *have = NULL;
	int i, r;

	if (skid == NULL)
		return cs_error(src->ctx, CERTSEAL_E_USAGE, "a signer "
		    "without subjectKeyIdentifier");
	if ((r = open_and_login(ps)) != 0 ||
	    (r = cs_p11_certs(src->ctx, ps->tok, skid->data,
	    (size_t)skid->length, NULL, &have, NULL)) != 0)
		return r;
	for (i = 0; have != NULL && i < sk_X509_num(have); i++)
		if (X509_cmp(sk_X509_value(have, i), cert) == 0)
			break;
	if (have == NULL || i == sk_X509_num(have))
		r = cs_p11_cert_store(src->ctx, ps->tok, cert, skid->data,
		    (size_t)skid->length, "certseal trusted signer");
	sk_X509_pop_free(have, X509_free);
	if (r == 0) {
		sk_X509_pop_free(ps->trusted, X509_free);
		ps->trusted = NULL;
		sk_X509_pop_free(ps->trusted_for, X509_free);
		ps->trusted_for = NULL;
		ps->index_valid = 0;
	}
	return r;
}

static int
pkcs11_signer_key(struct cs_source *src, const struct cs_key **out)
{
	struct pkcs11_source *ps = p11_source(src);
	certseal_ctx *ctx = src->ctx;
	struct cs_p11_object *objs = NULL, *cobjs = NULL;
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	const uint8_t *id;
	size_t idlen, n = 0;
	int r;

	*out = NULL;
	if (ps->signer != NULL) {
		*out = ps->signer;
		return 0;
	}
	if ((r = open_and_login(ps)) != 0)
		return r;
	id = cs_p11_uri_id(ps->uri, &idlen);
	if ((r = cs_p11_find(ctx, ps->tok, CKO_PRIVATE_KEY, id, idlen,
	    cs_p11_uri_object(ps->uri), &objs, &n)) != 0)
		goto out;
	if (n != 1) {
		r = cs_error(ctx, n == 0 ? CERTSEAL_E_NO_KEY : CERTSEAL_E_USAGE,
		    "token '%s': the URI matches %zu private keys; name one "
		    "with id= or object=", cs_p11_token_label(ps->tok), n);
		goto out;
	}
	if (objs[0].idlen == 0 || (r = cs_p11_certs(ctx, ps->tok, objs[0].id,
	    objs[0].idlen, NULL, &certs, &cobjs)) != 0 ||
	    sk_X509_num(certs) == 0) {
		if (r == 0)
			r = cs_error(ctx, CERTSEAL_E_NO_KEY, "token '%s': key "
			    "'%s' has no certificate with its CKA_ID",
			    cs_p11_token_label(ps->tok), objs[0].label);
		goto out;
	}
	cert = sk_X509_shift(certs);
	if ((r = cs_p11_require_key_use(ctx, ps->tok, objs[0].key_type,
	    1)) != 0 ||
	    (r = cs_p11_key_pkey(ctx, ps->tok, &objs[0], cert, &pkey)) != 0 ||
	    (r = make_key(ps, pkey, cert, objs[0].label, &ps->signer)) != 0)
		goto out;
	pkey = NULL;
	cert = NULL;
	*out = ps->signer;
	r = 0; /* success */
 out:
	EVP_PKEY_free(pkey);
	X509_free(cert);
	sk_X509_pop_free(certs, X509_free);
	free(objs);
	free(cobjs);
	return r;
}

static int
pkcs11_list_keys(struct cs_source *src, STACK_OF(X509) *into)
{
	struct pkcs11_source *ps = p11_source(src);
	struct cs_p11_entry *e = NULL;
	size_t n = 0, i;
	int r;

	if ((r = open_and_login(ps)) != 0)
		return r;
	if ((r = cs_p11_list(src->ctx, ps->tok, &e, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (!e[i].has_private || e[i].cert == NULL)
			continue;
		if (cs_x509_push_ref(into, e[i].cert) != 0) {
			r = cs_nomem(src->ctx);
			break;
		}
	}
	cs_p11_list_free(e, n);
	return r;
}

static const char *
key_type_name(CK_KEY_TYPE t)
{
	return t == CKK_RSA ? "rsa" : t == CKK_EC ? "ec" :
	    t == (CK_KEY_TYPE)-1 ? "none" : "other";
}

static json_t *
entry_json(const struct cs_p11_entry *e)
{
	json_t *o;
	char nab[64], *subj;

	o = json_pack("{s:s,s:s,s:s,s:b,s:b,s:b}", "key_id", e->id_hex,
	    "label", e->label, "type", key_type_name(e->key_type),
	    "private_key", e->has_private, "public_key", e->has_public,
	    "certificate", e->has_cert);
	if (o == NULL)
		return NULL;
	if (e->extractable >= 0)
		json_object_set_new(o, "extractable",
		    json_boolean(e->extractable));
	if (e->cert == NULL)
		return o;
	if ((subj = cs_name_text(X509_get_subject_name(e->cert),
	    CS_NAME_TEXT_MAX)) != NULL) {
		json_object_set_new(o, "subject", json_string(subj));
		free(subj);
	}
	if (cs_asn1_time_text(X509_get0_notAfter(e->cert), nab,
	    sizeof(nab)) == 0)
		json_object_set_new(o, "not_after", json_string(nab));
	return o;
}

/* Said by `certseal sources`, so that nobody has to read this file. */
#define TRUST_RULE "a certificate on the token is a trusted signer only " \
	"when the token holds no private key for it; exception: a " \
	"non-extractable key whose certificate's keyUsage is " \
	"digitalSignature without keyEncipherment, dataEncipherment or " \
	"keyAgreement (the admin token's own signing key)"

static int
is_trusted(STACK_OF(X509) *trusted, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(trusted); i++) {
		if (X509_cmp(sk_X509_value(trusted, i), x) == 0)
			return 1;
	}
	return 0;
}

static int
pkcs11_describe(struct cs_source *src, json_t **out)
{
	struct pkcs11_source *ps = p11_source(src);
	struct cs_p11_entry *e = NULL;
	json_t *o = NULL, *keys, *signers, *item;
	STACK_OF(X509) *trusted;	/* the whole set: ps->trusted */
	size_t n = 0, i;
	int r;

	*out = NULL;
	if ((r = open_and_login(ps)) != 0 ||
	    (r = load_trusted(ps, NULL, &trusted)) != 0 ||
	    (r = cs_p11_list(src->ctx, ps->tok, &e, &n)) != 0)
		return r;
	o = json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:[],s:[]}",
	    "module", cs_p11_module_path(cs_p11_token_module(ps->tok)),
	    "token", "label", cs_p11_token_label(ps->tok),
	    "serial", cs_p11_token_serial(ps->tok),
	    "model", cs_p11_token_model(ps->tok),
	    "manufacturer", cs_p11_token_manufacturer(ps->tok), "keys",
	    "trusted_signers");
	if (o == NULL)
		goto nomem;
	if (json_object_set_new(o, "signer_trust", json_string(TRUST_RULE))
	    != 0)
		goto nomem;
	keys = json_object_get(o, "keys");
	signers = json_object_get(o, "trusted_signers");
	for (i = 0; i < (size_t)sk_X509_num(trusted); i++) {
		if ((item = cs_source_cert_json(sk_X509_value(trusted,
		    (int)i))) == NULL || json_array_append_new(signers,
		    item) != 0)
			goto nomem;
	}
	for (i = 0; i < n; i++) {
		if ((item = entry_json(&e[i])) == NULL ||
		    json_array_append_new(keys, item) != 0)
			goto nomem;
		if (e[i].cert != NULL && json_object_set_new(item,
		    "trusted_signer", json_boolean(is_trusted(trusted, e[i].cert)))
		    != 0)
			goto nomem;
	}
	cs_p11_list_free(e, n);
	*out = o;
	return 0;
 nomem:
	cs_p11_list_free(e, n);
	json_decref(o);
	return cs_nomem(src->ctx);
}

const struct cs_p11_uri *
cs_source_p11_uri(const struct cs_source *src)
{
	/* The scheme check is the downcast's. */
	if (src->ops != &cs_source_pkcs11_ops)
		return NULL;
	return ((const struct pkcs11_source *)src)->uri;
}

const struct cs_source_ops cs_source_pkcs11_ops = {
	.scheme = "pkcs11",
	.new = pkcs11_new,
	.free = pkcs11_free,
	.find_key = pkcs11_find_key,
	.trusted_signers = pkcs11_trusted_signers,
	.trusted_signers_for = pkcs11_trusted_signers_for,
	.signer_key = pkcs11_signer_key,
	.add_trusted_signer = pkcs11_add_trusted_signer,
	.list_keys = pkcs11_list_keys,
	.describe = pkcs11_describe,
};
