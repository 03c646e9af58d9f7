/*
 * source-pkcs11.c - the pkcs11: CertificateSource (RFC 7512 URIs).
 *
 * `new` only parses; the module is loaded, the token found and logged in
 * on first use, and found keys are cached in the source.  The module,
 * its session and its login are shared process-wide by pkcs11/ (see
 * p11-module.c), so several sources and contexts naming one token log in
 * once.
 *
 * Trust rule: the signers a pkcs11: source trusts are the X.509
 * certificate objects on its token — all of them, or those matching the
 * URI's object= / id= when given.  Whoever can write certificates to the
 * token is trusted to name signers, as with any PKCS#11 trust store.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

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
	STACK_OF(X509)	*trusted;	/* cached certificate objects */
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
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
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
pkcs11_free(struct cs_source *src)
{
	struct pkcs11_source *ps = p11_source(src);
	size_t i;

	for (i = 0; i < ps->nkeys; i++)
		key_free(ps->keys[i]);
	key_free(ps->signer);
	sk_X509_pop_free(ps->trusted, X509_free);
	/* The token, its session and login stay cached for the process. */
	cs_p11_token_unref(ps->tok);
	cs_p11_uri_free(ps->uri);
	cs_source_release(src);
	free(ps);
}

/* Finds the token and logs in, once (the login check is cheap after). */
static int
ensure(struct pkcs11_source *ps)
{
	certseal_ctx *ctx = ps->base.ctx;
	int r;

	if (ps->tok == NULL &&
	    (r = cs_p11_token_open(ctx, ps->uri, &ps->tok)) != 0)
		return r;
	return cs_p11_token_login(ctx, ps->tok,
	    cs_p11_uri_pin_source(ps->uri), cs_p11_uri_pin_value(ps->uri));
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
		return cs_error(ps->base.ctx, CERTSEAL_E_NOMEM,
		    "out of memory");
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
	struct cs_key *k = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((r = ensure(ps)) != 0)
		return r;
	for (i = 0; i < ps->nkeys; i++) {
		if (ps->keys[i]->cert != NULL &&
		    cs_recipient_id_matches(id, ps->keys[i]->cert)) {
			*out = ps->keys[i];
			return 0;
		}
	}
	if ((r = cs_p11_find_recipient(src->ctx, ps->tok, id, &pkey,
	    &cert)) != 0)
		return r;
	if (cert == NULL) {
		/* CMS needs the certificate to pick the recipient safely. */
		EVP_PKEY_free(pkey);
		return cs_error(src->ctx, CERTSEAL_E_NO_KEY, "token '%s' has "
		    "the key but not its certificate: store the certificate "
		    "on the token with the key's CKA_ID",
		    cs_p11_token_label(ps->tok));
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

static int
load_trusted(struct pkcs11_source *ps)
{
	const uint8_t *id;
	size_t idlen;
	int r;

	if (ps->trusted != NULL)
		return 0;
	if ((r = ensure(ps)) != 0)
		return r;
	id = cs_p11_uri_id(ps->uri, &idlen);
	return cs_p11_certs(ps->base.ctx, ps->tok, id, idlen,
	    cs_p11_uri_object(ps->uri), &ps->trusted, NULL);
}

static int
pkcs11_trusted_signers(struct cs_source *src, STACK_OF(X509) *into)
{
	struct pkcs11_source *ps = p11_source(src);
	X509 *x;
	int i, r;

	if ((r = load_trusted(ps)) != 0)
		return r;
	for (i = 0; i < sk_X509_num(ps->trusted); i++) {
		x = sk_X509_value(ps->trusted, i);
		if (!X509_up_ref(x) || !sk_X509_push(into, x))
			return cs_error(src->ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
	}
	return 0;
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
	if ((r = ensure(ps)) != 0)
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
	if ((r = cs_p11_key_pkey(ctx, ps->tok, &objs[0], cert, &pkey)) != 0 ||
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

	if ((r = ensure(ps)) != 0)
		return r;
	if ((r = cs_p11_list(src->ctx, ps->tok, &e, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (!e[i].has_private || e[i].cert == NULL)
			continue;
		if (!X509_up_ref(e[i].cert) || !sk_X509_push(into, e[i].cert)) {
			r = cs_error(src->ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
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
	char subj[256], nab[64];
	BIO *b;
	int len;

	o = json_pack("{s:s,s:s,s:s,s:b,s:b,s:b}", "id", e->id_hex,
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
	X509_NAME_oneline(X509_get_subject_name(e->cert), subj, sizeof(subj));
	json_object_set_new(o, "subject", json_string(subj));
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		if (ASN1_TIME_print_ex(b, X509_get0_notAfter(e->cert),
		    ASN1_DTFLGS_ISO8601) &&
		    (len = BIO_read(b, nab, sizeof(nab) - 1)) > 0) {
			nab[len] = '\0';
			json_object_set_new(o, "not_after", json_string(nab));
		}
		BIO_free(b);
	}
	return o;
}

static int
pkcs11_describe(struct cs_source *src, json_t **out)
{
	struct pkcs11_source *ps = p11_source(src);
	struct cs_p11_entry *e = NULL;
	json_t *o = NULL, *keys, *item;
	size_t n = 0, i;
	int r;

	*out = NULL;
	if ((r = ensure(ps)) != 0 ||
	    (r = cs_p11_list(src->ctx, ps->tok, &e, &n)) != 0)
		return r;
	o = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s},s:[]}", "uri", src->uri,
	    "module", cs_p11_module_path(cs_p11_token_module(ps->tok)),
	    "token", "label", cs_p11_token_label(ps->tok),
	    "serial", cs_p11_token_serial(ps->tok),
	    "model", cs_p11_token_model(ps->tok),
	    "manufacturer", cs_p11_token_manufacturer(ps->tok), "keys");
	if (o == NULL)
		goto nomem;
	keys = json_object_get(o, "keys");
	for (i = 0; i < n; i++) {
		if ((item = entry_json(&e[i])) == NULL ||
		    json_array_append_new(keys, item) != 0)
			goto nomem;
	}
	cs_p11_list_free(e, n);
	*out = o;
	return 0;
 nomem:
	cs_p11_list_free(e, n);
	json_decref(o);
	return cs_error(src->ctx, CERTSEAL_E_NOMEM, "out of memory");
}

const struct cs_source_ops cs_source_pkcs11_ops = {
	.scheme = "pkcs11",
	.new = pkcs11_new,
	.free = pkcs11_free,
	.find_key = pkcs11_find_key,
	.trusted_signers = pkcs11_trusted_signers,
	.signer_key = pkcs11_signer_key,
	.list_keys = pkcs11_list_keys,
	.describe = pkcs11_describe,
};
