/*
 * p11-check.c - what a token can do for certseal, as a report for
 * `certseal-admin token check` and `certseal sources --check`.
 *
 * Most answers come from the mechanism list (p11-caps.c).  One does not:
 * whether CKM_RSA_PKCS_OAEP takes SHA-256 (SoftHSM2 offers OAEP but only
 * with SHA-1).  The report asks the token itself: a throw-away session
 * public key (or, when the token cannot create one, an RSA public key
 * already on it) and a C_EncryptInit/C_Encrypt with the OAEP-SHA-256
 * parameters certseal seals with.  Nothing is left on the token and no
 * private key is touched; tokens that want a login for any operation (a
 * TPM) answer only when the caller logged in first.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "p11.h"

/* Fills n (its length in *nlen) with the modulus of a fresh RSA key. */
static int
soft_modulus(unsigned char *n, size_t *nlen)
{
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn = NULL;
	int ok;

	pkey = EVP_RSA_gen(2048);
	ok = pkey != NULL &&
	    EVP_PKEY_get_bn_param(pkey, "n", &bn) &&
	    BN_num_bytes(bn) <= (int)*nlen;
	if (ok)
		*nlen = (size_t)BN_bn2bin(bn, n);
	BN_free(bn);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return ok;
}

/*
 * "native", "refused" or "unknown": OAEP-SHA-256 encryption with a public
 * key on the token (lock held).
 */
static const char *
probe_oaep_sha256(certseal_ctx *ctx, struct cs_p11_token *tok)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
	unsigned char n[512], e[] = { 0x01, 0x00, 0x01 }, out[512];
	unsigned char in[1] = { 0x2a };
	size_t nlen = sizeof(n);
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_MODULUS, n, 0 },
		{ CKA_PUBLIC_EXPONENT, e, sizeof(e) },
	};
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA256, CKG_MGF1_SHA256,
	    CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM mech = { CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep) };
	struct cs_p11_object *pubs = NULL;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE, made = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE h;
	CK_ULONG outlen = sizeof(out);
	size_t np = 0, i;
	unsigned char *big = NULL;
	const char *verdict = "unknown";
	CK_RV rv;

	if (cs_p11_token_session(ctx, tok, &h) != 0)
		goto out;
	if (soft_modulus(n, &nlen)) {
		tmpl[4].ulValueLen = nlen;
		if (fl->C_CreateObject(h, tmpl, 6, &made) == CKR_OK)
			key = made;
	}
	if (key == CK_INVALID_HANDLE && cs_p11_find(ctx, tok, CKO_PUBLIC_KEY,
	    NULL, 0, NULL, &pubs, &np) == 0) {
		for (i = 0; i < np && key == CK_INVALID_HANDLE; i++)
			if (pubs[i].key_type == CKK_RSA)
				key = pubs[i].handle;
	}
	if (key == CK_INVALID_HANDLE)
		goto out;
	rv = fl->C_EncryptInit(h, &mech, key);
	if (rv == CKR_OK) {
		/*
		 * Completes (and so ends) the operation; a token key too big
		 * for out is asked for its length first, then served.
		 */
		outlen = 0;
		rv = fl->C_Encrypt(h, in, sizeof(in), NULL, &outlen);
		if (rv == CKR_OK && outlen <= sizeof(out))
			rv = fl->C_Encrypt(h, in, sizeof(in), out, &outlen);
		else if (rv == CKR_OK && (big = malloc(outlen)) != NULL)
			rv = fl->C_Encrypt(h, in, sizeof(in), big, &outlen);
		else if (rv == CKR_OK)
			rv = fl->C_Encrypt(h, in, sizeof(in), out, &outlen);
		free(big);
		verdict = rv == CKR_OK ? "native" : "refused";
	} else if (rv == CKR_MECHANISM_INVALID ||
	    rv == CKR_MECHANISM_PARAM_INVALID || rv == CKR_ARGUMENTS_BAD ||
	    rv == CKR_FUNCTION_NOT_SUPPORTED)
		verdict = "refused";
 out:
	if (made != CK_INVALID_HANDLE)
		fl->C_DestroyObject(h, made);
	free(pubs);
	cs_error_clear(ctx);
	return verdict;
}

static const char *
yes_no(int has)
{
	return has > 0 ? "yes" : has == 0 ? "no" : "unknown";
}

static int
add(json_t *o, const char *key, const char *value)
{
	return json_object_set_new(o, key, json_string(value));
}

int
cs_p11_check_json(certseal_ctx *ctx, struct cs_p11_token *tok, json_t **out)
{
	const struct cs_p11_caps *c;
	json_t *o = NULL, *caps, *advice;
	const char *oaep, *probe = "unknown";
	char range[64];
	int r, raw_dec, raw_sign, has_oaep, pss, pkcs1, exp, imp, ecdh;

	*out = NULL;
	if ((r = cs_p11_token_caps(ctx, tok, &c)) != 0)
		return r;
	raw_dec = cs_p11_caps_has(c, CS_CAP_RSA_X509, CKF_DECRYPT);
	raw_sign = cs_p11_caps_has(c, CS_CAP_RSA_X509, CKF_SIGN);
	has_oaep = cs_p11_caps_has(c, CS_CAP_RSA_OAEP, CKF_DECRYPT);
	pss = cs_p11_caps_has(c, CS_CAP_RSA_PSS, CKF_SIGN);
	pkcs1 = cs_p11_caps_has(c, CS_CAP_RSA_PKCS, CKF_SIGN);
	ecdh = cs_p11_caps_has(c, CS_CAP_ECDH, CKF_DERIVE);
	exp = cs_p11_caps_has(c, CS_CAP_AES_GEN, CKF_GENERATE) > 0 &&
	    cs_p11_caps_has(c, CS_CAP_AES_WRAP_PAD, CKF_WRAP) > 0;
	imp = cs_p11_caps_has(c, CS_CAP_AES_GEN, CKF_GENERATE) > 0 &&
	    cs_p11_caps_has(c, CS_CAP_AES_WRAP_PAD, CKF_UNWRAP) > 0;
	cs_p11_lock();
	if (has_oaep != 0)
		probe = probe_oaep_sha256(ctx, tok);
	cs_p11_unlock();
	/* What certseal will do with an OAEP-SHA-256 file on this token. */
	if (has_oaep != 0 && strcmp(probe, "native") == 0)
		oaep = "native";
	else if (has_oaep != 0 && strcmp(probe, "unknown") == 0)
		oaep = raw_dec > 0 ? "native or raw RSA (log in to tell)" :
		    "unknown (log in to tell)";
	else if (raw_dec > 0)
		oaep = "raw RSA";
	else
		oaep = "no";
	o = json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:b,s:{},s:[]}",
	    "module", cs_p11_module_path(cs_p11_token_module(tok)),
	    "token", "label", cs_p11_token_label(tok),
	    "serial", cs_p11_token_serial(tok),
	    "model", cs_p11_token_model(tok),
	    "manufacturer", cs_p11_token_manufacturer(tok),
	    "mechanisms_known", c->known, "capabilities", "advice");
	if (o == NULL)
		goto nomem;
	caps = json_object_get(o, "capabilities");
	advice = json_object_get(o, "advice");
	snprintf(range, sizeof(range), "%lu-%lu",
	    (unsigned long)c->m[CS_CAP_RSA_GEN].min_bits,
	    (unsigned long)c->m[CS_CAP_RSA_GEN].max_bits);
	if (add(caps, "generate_rsa", yes_no(cs_p11_caps_has(c, CS_CAP_RSA_GEN,
	    CKF_GENERATE_KEY_PAIR))) != 0 ||
	    add(caps, "rsa_key_bits", c->m[CS_CAP_RSA_GEN].present ? range :
	    "-") != 0 ||
	    add(caps, "generate_ec", yes_no(cs_p11_caps_has(c, CS_CAP_EC_GEN,
	    CKF_GENERATE_KEY_PAIR))) != 0 ||
	    add(caps, "sign_rsa_pss", pss > 0 ? "native" : raw_sign > 0 ?
	    "raw RSA" : yes_no(pss)) != 0 ||
	    add(caps, "sign_rsa_pkcs1", yes_no(pkcs1)) != 0 ||
	    add(caps, "sign_ecdsa", yes_no(cs_p11_caps_has(c, CS_CAP_ECDSA,
	    CKF_SIGN))) != 0 ||
	    add(caps, "oaep_sha1", has_oaep > 0 ? "native" : raw_dec > 0 ?
	    "raw RSA" : yes_no(has_oaep)) != 0 ||
	    add(caps, "oaep_sha256", oaep) != 0 ||
	    add(caps, "raw_rsa", yes_no(raw_dec)) != 0 ||
	    add(caps, "ecdh", yes_no(ecdh)) != 0 ||
	    add(caps, "export", c->known ? yes_no(exp) : "unknown") != 0 ||
	    add(caps, "import", c->known ? yes_no(imp) : "unknown") != 0 ||
	    add(caps, "non_extractable_keys", "yes") != 0)
		goto nomem;
	if (ecdh == 0 && json_array_append_new(advice, json_string("EC "
	    "client keys cannot open files here (no CKM_ECDH1_DERIVE): use "
	    "RSA pairs for clients on this token")) != 0)
		goto nomem;
	if (c->known && !exp && json_array_append_new(advice,
	    json_string("no key export: as the admin token, use pairs made "
	    "with `pair generate --no-export`; as a client token, keys "
	    "generated on the token")) != 0)
		goto nomem;
	if (strncmp(oaep, "raw RSA", 7) == 0 && json_array_append_new(advice,
	    json_string("OAEP-SHA-256 runs as raw RSA on the token with the "
	    "padding checked in software")) != 0)
		goto nomem;
	*out = o;
	return 0;
 nomem:
	json_decref(o);
	return cs_nomem(ctx);
}

void
cs_p11_check_print(FILE *fp, const json_t *report)
{
	static const struct {
		const char *key, *what;
	} rows[] = {
		{ "generate_rsa", "generate RSA key pairs" },
		{ "rsa_key_bits", "RSA key sizes (bits)" },
		{ "generate_ec", "generate EC key pairs" },
		{ "sign_rsa_pss", "sign RSA-PSS" },
		{ "sign_rsa_pkcs1", "sign RSA PKCS#1 v1.5" },
		{ "sign_ecdsa", "sign ECDSA" },
		{ "oaep_sha1", "decrypt RSA-OAEP SHA-1" },
		{ "oaep_sha256", "decrypt RSA-OAEP SHA-256" },
		{ "raw_rsa", "raw RSA (CKM_RSA_X_509)" },
		{ "ecdh", "derive ECDH (EC clients)" },
		{ "export", "export keys (pair export)" },
		{ "import", "import keys (pair export --to)" },
		{ "non_extractable_keys", "non-extractable keys" },
	};
	const json_t *tok = json_object_get(report, "token");
	const json_t *caps = json_object_get(report, "capabilities");
	const json_t *v;
	size_t i;

	fprintf(fp, "token '%s' (%s, %s) in %s\n",
	    json_string_value(json_object_get(tok, "label")),
	    json_string_value(json_object_get(tok, "manufacturer")),
	    json_string_value(json_object_get(tok, "model")),
	    json_string_value(json_object_get(report, "module")));
	if (!json_is_true(json_object_get(report, "mechanisms_known")))
		fprintf(fp, "  (the module does not list its mechanisms)\n");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(fp, "  %-22s %-34s %s\n", rows[i].key, rows[i].what,
		    json_string_value(json_object_get(caps, rows[i].key)));
	json_array_foreach(json_object_get(report, "advice"), i, v)
		fprintf(fp, "  note: %s\n", json_string_value(v));
}

int
cs_p11_check_login(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_uri *uri)
{
	if (cs_p11_uri_pin_source(uri) == NULL &&
	    cs_p11_uri_pin_value(uri) == NULL)
		return 0;
	return cs_p11_token_login(ctx, tok, cs_p11_uri_pin_source(uri),
	    cs_p11_uri_pin_value(uri));
}
