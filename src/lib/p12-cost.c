/*
 * p12-cost.c - bounds the key-derivation work of a PKCS#12 bundle before
 * it is done.
 *
 * A bundle names its own costs (MAC, each encrypted safe, each shrouded
 * key) and OpenSSL runs them as given: a count of 2^31 makes loading a
 * client's bundle hang before any password is even checked, and a cost
 * capped per item is no bound either (four safes at 9 999 999 iterations
 * each take twenty seconds; a 1 MiB bundle holds two thousand of them).
 * So each derivation has a limit, and so has their sum: the MAC (counted
 * once per password tried), every encrypted safe and every shrouded key.
 * What is visible without a password is summed before anything is
 * derived; a shrouded key inside an encrypted safe is visible only once
 * the safe is decrypted, and is charged against what is left before it
 * is decrypted (p12-load.c).
 *
 * The unit is one iteration of the KDF's pseudo-random function; scrypt
 * costs N * r * p (its work and memory grow with all three).
 */
#include "config.h"

#include <stdint.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "internal.h"
#include "keyfile.h"

/* An iteration count; negative or beyond 64 bits counts as too many. */
static int64_t
count_of(const ASN1_INTEGER *ai)
{
	int64_t v = 0;

	if (ai == NULL || !ASN1_INTEGER_get_int64(&v, ai) || v < 0)
		v = INT64_MAX;	/* negative or huge: refuse */
	return v;
}

/* a * b, saturating at INT64_MAX (both are >= 0). */
static int64_t
mul_sat(int64_t a, int64_t b)
{
	if (a != 0 && b > INT64_MAX / a)
		return INT64_MAX;
	return a * b;
}

int64_t
cs_p12_pbe_cost(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *oid;
	const void *pval;
	int ptype;
	PBE2PARAM *pbe2 = NULL;
	PBKDF2PARAM *kdf = NULL;
	SCRYPT_PARAMS *scrypt = NULL;
	PBEPARAM *pbe = NULL;
	int64_t cost = 0;

	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE)
		return 0;	/* no parameters: OpenSSL will refuse it */
	if (OBJ_obj2nid(oid) != NID_pbes2) {
		/* PKCS#12 PBE and PKCS#5 v1.5: { salt, iterations }. */
		if ((pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM),
		    alg->parameter)) != NULL)
			cost = count_of(pbe->iter);
		goto out;
	}
	if ((pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM),
	    alg->parameter)) == NULL || pbe2->keyfunc == NULL)
		goto out;
	switch (OBJ_obj2nid(pbe2->keyfunc->algorithm)) {
	case NID_id_pbkdf2:
		if ((kdf = ASN1_TYPE_unpack_sequence(
		    ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)) !=
		    NULL)
			cost = count_of(kdf->iter);
		break;
	case NID_id_scrypt:
		if ((scrypt = ASN1_TYPE_unpack_sequence(
		    ASN1_ITEM_rptr(SCRYPT_PARAMS),
		    pbe2->keyfunc->parameter)) != NULL)
			cost = mul_sat(mul_sat(count_of(scrypt->costParameter),
			    count_of(scrypt->blockSize)),
			    count_of(scrypt->parallelizationParameter));
		else
			cost = INT64_MAX;	/* unreadable: refuse */
		break;
	default:
		break;
	}
 out:
	PBEPARAM_free(pbe);
	PBKDF2PARAM_free(kdf);
	SCRYPT_PARAMS_free(scrypt);
	PBE2PARAM_free(pbe2);
	ERR_clear_error();
	return cost;
}

int
cs_p12_spend(certseal_ctx *ctx, struct cs_p12_budget *b, int64_t cost,
    int64_t times)
{
	if (cost > CS_P12_MAX_ITERATIONS)
		return cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: the PKCS#12 "
		    "bundle asks for %lld iterations of key derivation, over "
		    "the limit of %d; export it again with a usual count "
		    "(openssl pkcs12 -export -iter 600000)", b->name,
		    (long long)cost, CS_P12_MAX_ITERATIONS);
	cost = mul_sat(cost, times);
	if (cost > CS_P12_MAX_WORK - b->spent)
		return cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: the PKCS#12 "
		    "bundle asks for more than %lld iterations of key "
		    "derivation in all (MAC, safes and keys), over the limit "
		    "of %lld; export it again with one safe and a usual count",
		    b->name, (long long)(b->spent > CS_P12_MAX_WORK - cost ?
		    CS_P12_MAX_WORK : b->spent + cost),
		    (long long)CS_P12_MAX_WORK);
	b->spent += cost;
	return 0;
}

int
cs_p12_spend_bags(certseal_ctx *ctx, struct cs_p12_budget *b,
    const STACK_OF(PKCS12_SAFEBAG) *bags, int depth)
{
	const PKCS12_SAFEBAG *bag;
	const X509_ALGOR *alg;
	int i, r;

	if (depth > CS_P12_MAX_DEPTH)
		return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: PKCS#12 safe "
		    "contents nested more than %d deep", b->name,
		    CS_P12_MAX_DEPTH);
	for (i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		bag = sk_PKCS12_SAFEBAG_value(bags, i);
		switch (PKCS12_SAFEBAG_get_nid(bag)) {
		case NID_pkcs8ShroudedKeyBag:
			X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg,
			    NULL);
			if ((r = cs_p12_spend(ctx, b, cs_p12_pbe_cost(alg),
			    b->tries)) != 0)
				return r;
			break;
		case NID_safeContentsBag:
			if ((r = cs_p12_spend_bags(ctx, b,
			    PKCS12_SAFEBAG_get0_safes(bag), depth + 1)) != 0)
				return r;
			break;
		default:
			break;
		}
	}
	return 0;
}

int
cs_p12_check_cost(certseal_ctx *ctx, PKCS12 *p12, int mac_tries,
    int safe_tries, struct cs_p12_budget *b)
{
	STACK_OF(PKCS7) *safes = NULL;
	STACK_OF(PKCS12_SAFEBAG) *bags;
	const ASN1_INTEGER *iter = NULL;
	PKCS7 *safe;
	int i, r = 0;

	b->spent = 0;
	b->tries = safe_tries;
	if (PKCS12_mac_present(p12)) {
		PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
		/* Absent: one iteration (RFC 7292). */
		if ((r = cs_p12_spend(ctx, b, iter != NULL ? count_of(iter) :
		    1, mac_tries)) != 0)
			goto out;
	}
	if ((safes = PKCS12_unpack_authsafes(p12)) == NULL)
		goto out;
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		safe = sk_PKCS7_value(safes, i);
		switch (OBJ_obj2nid(safe->type)) {
		case NID_pkcs7_encrypted:
			if (safe->d.encrypted == NULL ||
			    safe->d.encrypted->enc_data == NULL)
				break;
			r = cs_p12_spend(ctx, b, cs_p12_pbe_cost(
			    safe->d.encrypted->enc_data->algorithm),
			    safe_tries);
			break;
		case NID_pkcs7_data:
			if ((bags = PKCS12_unpack_p7data(safe)) == NULL)
				break;
			r = cs_p12_spend_bags(ctx, b, bags, 0);
			sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
			break;
		default:
			break;
		}
		if (r != 0)
			goto out;
	}
 out:
	sk_PKCS7_pop_free(safes, PKCS7_free);
	ERR_clear_error();
	return r;
}
