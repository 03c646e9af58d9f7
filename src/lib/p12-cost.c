/*
 * p12-cost.c - refuses PKCS#12 bundles whose key derivations would run
 * for minutes.
 *
 * A bundle names its own iteration counts (MAC, each encrypted safe, each
 * shrouded key) and OpenSSL runs them as given: a count of 2^31 makes
 * loading a client's bundle hang, before any password is even checked.
 * The counts are read here, before any key is derived.  A shrouded key
 * inside an encrypted safe is only visible once the safe is decrypted;
 * the safe's own count is checked, and OpenSSL's PKCS12_parse decrypts it.
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

/* The iteration count (or scrypt cost N) a PBE algorithm asks for. */
static int64_t
pbe_cost(const X509_ALGOR *alg)
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
			cost = count_of(scrypt->costParameter);
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

/* The largest cost among the shrouded keys of one unencrypted safe. */
static int64_t
bags_cost(PKCS7 *safe)
{
	STACK_OF(PKCS12_SAFEBAG) *bags;
	const PKCS12_SAFEBAG *bag;
	const X509_ALGOR *alg;
	int64_t c, max = 0;
	int i;

	if ((bags = PKCS12_unpack_p7data(safe)) == NULL)
		return 0;
	for (i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		bag = sk_PKCS12_SAFEBAG_value(bags, i);
		if (PKCS12_SAFEBAG_get_nid(bag) != NID_pkcs8ShroudedKeyBag)
			continue;
		X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
		if ((c = pbe_cost(alg)) > max)
			max = c;
	}
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	return max;
}

int
cs_p12_check_cost(certseal_ctx *ctx, PKCS12 *p12, const char *name)
{
	STACK_OF(PKCS7) *safes = NULL;
	const ASN1_INTEGER *iter = NULL;
	PKCS7 *safe;
	int64_t c, max = 0;
	int i;

	if (PKCS12_mac_present(p12)) {
		PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
		/* Absent: one iteration (RFC 7292). */
		if (iter != NULL)
			max = count_of(iter);
	}
	if ((safes = PKCS12_unpack_authsafes(p12)) != NULL) {
		for (i = 0; i < sk_PKCS7_num(safes); i++) {
			safe = sk_PKCS7_value(safes, i);
			switch (OBJ_obj2nid(safe->type)) {
			case NID_pkcs7_encrypted:
				c = safe->d.encrypted == NULL ||
				    safe->d.encrypted->enc_data == NULL ? 0 :
				    pbe_cost(safe->d.encrypted->enc_data->
				    algorithm);
				break;
			case NID_pkcs7_data:
				c = bags_cost(safe);
				break;
			default:
				c = 0;
				break;
			}
			if (c > max)
				max = c;
		}
		sk_PKCS7_pop_free(safes, PKCS7_free);
	}
	ERR_clear_error();
	if (max > CS_P12_MAX_ITERATIONS)
		return cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: the PKCS#12 "
		    "bundle asks for %lld iterations of key derivation, over "
		    "the limit of %d; export it again with a usual count "
		    "(openssl pkcs12 -export -iter 600000)", name,
		    (long long)max, CS_P12_MAX_ITERATIONS);
	return 0;
}
