/*
 * p12-load.c - a private key and its certificates from a PKCS#12 bundle
 * (file: source and store import).
 *
 * The bundle is taken apart here rather than by PKCS12_parse, for two
 * reasons.  Cost: PKCS12_parse derives keys for every safe and bag it
 * meets and verifies the MAC again; here every derivation is charged to
 * one budget first (p12-cost.c), the keys inside an encrypted safe before
 * they are decrypted.  Legacy bundles: `openssl pkcs12 -export -legacy`
 * and older Windows encrypt the certificates with RC2-40, which OpenSSL 3
 * keeps in its legacy provider.  That provider is loaded into a library
 * context of its own, used only to decrypt a bundle's safes and shrouded
 * keys; what comes out (a PKCS#8 key, DER certificates) is decoded in the
 * default context, so the envelope never runs on a legacy algorithm.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "internal.h"
#include "keyfile.h"

static OSSL_LIB_CTX *p12_libctx;	/* default + legacy; never freed */
static CRYPTO_ONCE p12_once = CRYPTO_ONCE_STATIC_INIT;

static void
p12_libctx_init(void)
{
	OSSL_LIB_CTX *lc;

	if ((lc = OSSL_LIB_CTX_new()) == NULL)
		return;
	if (OSSL_PROVIDER_load(lc, "default") == NULL) {
		OSSL_LIB_CTX_free(lc);
		ERR_clear_error();
		return;
	}
	/* Optional: without it, only bundles of current algorithms load. */
	(void)OSSL_PROVIDER_load(lc, "legacy");
	ERR_clear_error();
	p12_libctx = lc;
}

/* The context for PKCS#12 decryption (NULL: the default one). */
static OSSL_LIB_CTX *
p12_ctx(void)
{
	if (!CRYPTO_THREAD_run_once(&p12_once, p12_libctx_init))
		return NULL;
	return p12_libctx;
}

struct p12_state {
	certseal_ctx	*ctx;
	const char	*name;
	const char	*pin_source;
	struct cs_p12_budget budget;
	struct cs_secret *pw;
	const char	*pass;		/* NULL, "" or pw->data */
	int		 asked;		/* pw was asked for */
	int		 mac;		/* the MAC verified the password */
	struct cs_keyfile *kf;
	STACK_OF(X509)	*certs;
};

static int
ask_password(struct p12_state *st)
{
	char what[512];
	int r;

	snprintf(what, sizeof(what), "password for %s", st->name);
	st->asked = 1;
	if ((r = cs_pin_get(st->ctx, st->pin_source, NULL, what,
	    &st->pw)) != 0)
		return r;
	st->pass = (const char *)st->pw->data;
	return 0;
}

/* With a MAC, the password is the one it verifies with (no prompt for ""). */
static int
mac_password(struct p12_state *st, PKCS12 *p12)
{
	int r;

	if (PKCS12_verify_mac(p12, NULL, 0)) {
		st->pass = NULL;
		return 0;
	}
	if (PKCS12_verify_mac(p12, "", 0)) {
		st->pass = "";
		return 0;
	}
	ERR_clear_error();
	if ((r = ask_password(st)) != 0)
		return r;
	if (!PKCS12_verify_mac(p12, st->pass, -1))
		return cs_error(st->ctx, CERTSEAL_E_PIN_INCORRECT, "%s: wrong "
		    "password; check the pin-source or CERTSEAL_PIN",
		    st->name);
	return 0;
}

static int
damaged(struct p12_state *st)
{
	return cs_error(st->ctx, CERTSEAL_E_INTEGRITY, "%s: the PKCS#12 "
	    "bundle is damaged or uses an algorithm this OpenSSL does not "
	    "load", st->name);
}

/*
 * The bags of an encrypted safe.  Without a MAC only a decryption tells
 * the password: none first, then the one asked for (so for keys).
 */
/* Without a MAC, a decryption that fails after the password was asked. */
static int
wrong_password(struct p12_state *st)
{
	return cs_error(st->ctx, CERTSEAL_E_PIN_INCORRECT, "%s: wrong "
	    "password, or the bundle is damaged", st->name);
}

static int
decrypt_safe(struct p12_state *st, PKCS7 *safe,
    STACK_OF(PKCS12_SAFEBAG) **out)
{
	PKCS7_ENC_CONTENT *ec;
	int r;

	*out = NULL;
	if (safe->d.encrypted == NULL ||
	    (ec = safe->d.encrypted->enc_data) == NULL ||
	    ec->enc_data == NULL)
		return damaged(st);
	while ((*out = PKCS12_item_decrypt_d2i_ex(ec->algorithm,
	    ASN1_ITEM_rptr(PKCS12_SAFEBAGS), st->pass, -1, ec->enc_data, 1,
	    p12_ctx(), NULL)) == NULL) {
		if (st->mac || st->asked)
			return st->mac ? damaged(st) : wrong_password(st);
		ERR_clear_error();
		if ((r = ask_password(st)) != 0)
			return r;
	}
	return 0;
}

static int
take_key(struct p12_state *st, const PKCS8_PRIV_KEY_INFO *p8)
{
	/* Decoded in the default context: the key is used by the envelope. */
	if ((st->kf->pkey = EVP_PKCS82PKEY(p8)) == NULL)
		return damaged(st);
	return 0;
}

static int
take_bags(struct p12_state *st, const STACK_OF(PKCS12_SAFEBAG) *bags,
    int depth)
{
	const PKCS12_SAFEBAG *bag;
	PKCS8_PRIV_KEY_INFO *p8;
	char *fname;
	X509 *x;
	int i, r;

	if (depth > CS_P12_MAX_DEPTH)
		return damaged(st);
	for (i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		bag = sk_PKCS12_SAFEBAG_value(bags, i);
		switch (PKCS12_SAFEBAG_get_nid(bag)) {
		case NID_keyBag:
			/* The first key is the bundle's key. */
			if (st->kf->pkey == NULL && (r = take_key(st,
			    PKCS12_SAFEBAG_get0_p8inf(bag))) != 0)
				return r;
			break;
		case NID_pkcs8ShroudedKeyBag:
			if (st->kf->pkey != NULL)
				break;
			while ((p8 = PKCS12_decrypt_skey_ex(bag, st->pass, -1,
			    p12_ctx(), NULL)) == NULL) {
				if (st->mac || st->asked)
					return st->mac ? damaged(st) :
					    wrong_password(st);
				ERR_clear_error();
				if ((r = ask_password(st)) != 0)
					return r;
			}
			r = take_key(st, p8);
			PKCS8_PRIV_KEY_INFO_free(p8);
			if (r != 0)
				return r;
			break;
		case NID_certBag:
			if (PKCS12_SAFEBAG_get_bag_nid(bag) !=
			    NID_x509Certificate)
				break;
			if ((x = PKCS12_SAFEBAG_get1_cert(bag)) == NULL)
				return damaged(st);
			/* The label store import keeps, as PKCS12_parse sets. */
			if ((fname = PKCS12_get_friendlyname(
			    (PKCS12_SAFEBAG *)bag)) != NULL) {
				(void)X509_alias_set1(x,
				    (const unsigned char *)fname, -1);
				OPENSSL_free(fname);
			}
			if (!sk_X509_push(st->certs, x)) {
				X509_free(x);
				return cs_nomem(st->ctx);
			}
			break;
		case NID_safeContentsBag:
			if ((r = take_bags(st, PKCS12_SAFEBAG_get0_safes(bag),
			    depth + 1)) != 0)
				return r;
			break;
		default:
			break;	/* CRLs, secrets: not ours */
		}
	}
	return 0;
}

static int
take_safes(struct p12_state *st, PKCS12 *p12)
{
	STACK_OF(PKCS7) *safes = NULL;
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	PKCS7 *safe;
	int i, r = CERTSEAL_E_INTERNAL;

	if ((safes = PKCS12_unpack_authsafes(p12)) == NULL) {
		r = damaged(st);
		goto out;
	}
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		safe = sk_PKCS7_value(safes, i);
		switch (OBJ_obj2nid(safe->type)) {
		case NID_pkcs7_data:
			/* Its keys were charged by cs_p12_check_cost. */
			if ((bags = PKCS12_unpack_p7data(safe)) == NULL) {
				r = damaged(st);
				goto out;
			}
			break;
		case NID_pkcs7_encrypted:
			if ((r = decrypt_safe(st, safe, &bags)) != 0 ||
			    (r = cs_p12_spend_bags(st->ctx, &st->budget, bags,
			    0)) != 0)
				goto out;
			break;
		default:
			continue;	/* enveloped safes: not supported */
		}
		if ((r = take_bags(st, bags, 0)) != 0)
			goto out;
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		bags = NULL;
	}
	r = 0; /* success */
 out:
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	return r;
}

int
cs_keyfile_load_p12(certseal_ctx *ctx, const uint8_t *der, size_t len,
    const char *name, const char *pin_source, struct cs_keyfile **out)
{
	const unsigned char *p = der;
	struct p12_state st;
	PKCS12 *p12 = NULL;
	int mac, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	st.name = name;
	st.pin_source = pin_source;
	st.budget.name = name;
	if (len > KEYFILE_MAX || (p12 = d2i_PKCS12(NULL, &p,
	    (long)len)) == NULL || p != der + len) {
		/* OpenSSL's ASN.1 reason ("too long") says nothing here. */
		ERR_clear_error();
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: not a PKCS#12 "
		    "bundle (DER, as `certseal-admin pair export` writes it), "
		    "or damaged", name);
		goto out;
	}
	mac = PKCS12_mac_present(p12);
	/*
	 * The MAC is tried with no, the empty and the given password; without
	 * a MAC each encrypted safe may be tried with two.
	 */
	if ((r = cs_p12_check_cost(ctx, p12, 3, mac ? 1 : 2,
	    &st.budget)) != 0)
		goto out;
	if ((r = cs_keyfile_new(&st.kf)) != 0 ||
	    (st.certs = sk_X509_new_null()) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if (mac && (r = mac_password(&st, p12)) != 0)
		goto out;
	st.mac = mac;
	if ((r = take_safes(&st, p12)) != 0)
		goto out;
	if (st.kf->pkey == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the bundle holds "
		    "no private key", name);
		goto out;
	}
	if (cs_keyfile_sort_certs(st.kf, st.certs) != 0) {
		r = cs_nomem(ctx);
		goto out;
	}
	if (st.kf->cert == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no certificate in "
		    "the bundle matches its private key", name);
		goto out;
	}
	*out = st.kf;
	st.kf = NULL;
	r = 0; /* success */
 out:
	ERR_clear_error();
	sk_X509_pop_free(st.certs, X509_free);
	cs_keyfile_free(st.kf);
	cs_secret_free(st.pw);
	PKCS12_free(p12);
	return r;
}
