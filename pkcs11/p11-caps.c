/*
 * p11-caps.c - what a token can do, asked once and remembered.
 *
 * Tokens differ (a TPM derives no ECDH and exports nothing, SoftHSM2 does
 * OAEP only with SHA-1, smartcards may do only raw RSA), so the token
 * layer does not assume: the first use of a token reads
 * C_GetMechanismList and the C_GetMechanismInfo of the few mechanisms
 * certseal can use, and keeps the answer for the life of the process
 * (mechanisms are a property of the token, not of a session or a login).
 * Key operations then pick their path from it, and a key the token cannot
 * use for what the file needs is refused before any operation with a
 * message that names the token, the mechanism and what to do.
 *
 * A module whose C_GetMechanismList fails answers "unknown" for all of
 * them: certseal then tries and reports what the token says, as before.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "p11.h"
#include "p11-int.h"

#define MECH_MAX	1024

static const struct {
	enum cs_p11_cap	 cap;
	CK_MECHANISM_TYPE mech;
	const char	*name;
} mechs[] = {
	{ CS_CAP_RSA_GEN, CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_RSA_PKCS_KEY_PAIR_GEN" },
	{ CS_CAP_EC_GEN, CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN" },
	{ CS_CAP_RSA_PKCS, CKM_RSA_PKCS, "CKM_RSA_PKCS" },
	{ CS_CAP_RSA_X509, CKM_RSA_X_509, "CKM_RSA_X_509" },
	{ CS_CAP_RSA_OAEP, CKM_RSA_PKCS_OAEP, "CKM_RSA_PKCS_OAEP" },
	{ CS_CAP_RSA_PSS, CKM_RSA_PKCS_PSS, "CKM_RSA_PKCS_PSS" },
	{ CS_CAP_ECDSA, CKM_ECDSA, "CKM_ECDSA" },
	{ CS_CAP_ECDH, CKM_ECDH1_DERIVE, "CKM_ECDH1_DERIVE" },
	{ CS_CAP_AES_GEN, CKM_AES_KEY_GEN, "CKM_AES_KEY_GEN" },
	{ CS_CAP_AES_WRAP_PAD, CKM_AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD" },
};

static unsigned long caps_reads;

unsigned long
cs_p11_caps_reads(void)
{
	return caps_reads;
}

const char *
cs_p11_cap_mech_name(enum cs_p11_cap cap)
{
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (mechs[i].cap == cap)
			return mechs[i].name;
	return "?";
}

/* Reads the token's mechanisms into c (lock held). */
static int
read_caps(certseal_ctx *ctx, struct cs_p11_token *tok, struct cs_p11_caps *c)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_MECHANISM_TYPE *list = NULL;
	CK_MECHANISM_INFO info;
	CK_ULONG n = 0, i;
	size_t j;
	CK_RV rv;

	memset(c, 0, sizeof(*c));
	caps_reads++;
	rv = fl->C_GetMechanismList(cs_p11_token_slot(tok), NULL, &n);
	if (rv == CKR_OK && n > MECH_MAX)
		n = MECH_MAX;
	if (rv == CKR_OK && n > 0 &&
	    (list = calloc(n, sizeof(*list))) == NULL)
		return cs_nomem(ctx);
	if (rv == CKR_OK && n > 0)
		rv = fl->C_GetMechanismList(cs_p11_token_slot(tok), list, &n);
	if (rv != CKR_OK) {
		/* Unknown: operations are tried and the token answers. */
		free(list);
		return 0;
	}
	c->known = 1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(mechs) / sizeof(mechs[0]); j++) {
			if (mechs[j].mech != list[i])
				continue;
			memset(&info, 0, sizeof(info));
			/* Listed but no info: present, with every function. */
			if (fl->C_GetMechanismInfo(cs_p11_token_slot(tok),
			    list[i], &info) != CKR_OK)
				info.flags = ~(CK_FLAGS)0;
			c->m[mechs[j].cap].present = 1;
			c->m[mechs[j].cap].flags = info.flags;
			c->m[mechs[j].cap].min_bits = info.ulMinKeySize;
			c->m[mechs[j].cap].max_bits = info.ulMaxKeySize;
		}
	}
	free(list);
	return 0;
}

int
cs_p11_token_caps(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_caps **out)
{
	struct cs_p11_caps **slot;
	struct cs_p11_caps *c = NULL;
	CK_SESSION_HANDLE h;
	int r = 0;

	*out = NULL;
	cs_p11_lock();
	slot = cs_p11_token_caps_slot(tok);
	if (*slot == NULL) {
		/* The session check also re-initialises after fork. */
		if ((r = cs_p11_token_session(ctx, tok, &h)) != 0)
			goto out;
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			r = cs_nomem(ctx);
			goto out;
		}
		if ((r = read_caps(ctx, tok, c)) != 0)
			goto out;
		*slot = c;
		c = NULL;
	}
	*out = *slot;
 out:
	cs_p11_unlock();
	free(c);
	return r;
}

int
cs_p11_caps_has(const struct cs_p11_caps *c, enum cs_p11_cap cap,
    CK_FLAGS need)
{
	if (c == NULL || !c->known)
		return -1;
	return c->m[cap].present && (c->m[cap].flags & need) == need;
}

int
cs_p11_require_key_use(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_KEY_TYPE type, int sign)
{
	const struct cs_p11_caps *c;
	const char *label;
	int r;

	if ((r = cs_p11_token_caps(ctx, tok, &c)) != 0)
		return r;
	label = cs_p11_token_label(tok);
	if (type == CKK_EC && !sign) {
		if (cs_p11_caps_has(c, CS_CAP_ECDH, CKF_DERIVE) == 0)
			return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' "
			    "cannot derive ECDH keys (CKM_ECDH1_DERIVE); use "
			    "an RSA pair for clients on this token", label);
		return 0;
	}
	if (type == CKK_EC) {
		if (cs_p11_caps_has(c, CS_CAP_ECDSA, CKF_SIGN) == 0)
			return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' "
			    "cannot sign with ECDSA (CKM_ECDSA); use an RSA "
			    "signing key on this token", label);
		return 0;
	}
	if (type != CKK_RSA)
		return 0;
	if (!sign && cs_p11_caps_has(c, CS_CAP_RSA_OAEP, CKF_DECRYPT) == 0 &&
	    cs_p11_caps_has(c, CS_CAP_RSA_X509, CKF_DECRYPT) == 0)
		return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' can "
		    "decrypt neither RSA-OAEP (CKM_RSA_PKCS_OAEP) nor raw RSA "
		    "(CKM_RSA_X_509); certseal files need one of them: keep "
		    "this client's key in a file: bundle or another token",
		    label);
	if (sign && cs_p11_caps_has(c, CS_CAP_RSA_PSS, CKF_SIGN) == 0 &&
	    cs_p11_caps_has(c, CS_CAP_RSA_PKCS, CKF_SIGN) == 0 &&
	    cs_p11_caps_has(c, CS_CAP_RSA_X509, CKF_SIGN) == 0)
		return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' cannot "
		    "sign with RSA (CKM_RSA_PKCS_PSS, CKM_RSA_PKCS or "
		    "CKM_RSA_X_509); use a signing key on another token",
		    label);
	return 0;
}

/* Key sizes in bits for an algorithm (EC: the field size). */
static CK_ULONG
alg_bits(enum cs_p11_alg alg, int *ec)
{
	*ec = alg == CS_P11_EC_P256 || alg == CS_P11_EC_P384;
	return alg == CS_P11_RSA3072 ? 3072 : alg == CS_P11_RSA4096 ? 4096 :
	    alg == CS_P11_EC_P256 ? 256 : 384;
}

int
cs_p11_require_keygen(certseal_ctx *ctx, struct cs_p11_token *tok,
    enum cs_p11_alg alg, int exportable)
{
	const struct cs_p11_caps *c;
	enum cs_p11_cap cap;
	CK_ULONG bits;
	const char *label;
	int r, ec;

	if ((r = cs_p11_token_caps(ctx, tok, &c)) != 0)
		return r;
	label = cs_p11_token_label(tok);
	bits = alg_bits(alg, &ec);
	cap = ec ? CS_CAP_EC_GEN : CS_CAP_RSA_GEN;
	if (cs_p11_caps_has(c, cap, CKF_GENERATE_KEY_PAIR) == 0)
		return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' cannot "
		    "generate %s key pairs (%s); choose --algorithm %s",
		    label, ec ? "EC" : "RSA", cs_p11_cap_mech_name(cap),
		    ec ? "rsa-3072" : "ec-p256");
	/*
	 * Some tokens report 0/0 for "no limit", and a few old ones RSA
	 * sizes in bytes: only a plausible bit range refuses.
	 */
	if (c->known && c->m[cap].max_bits >= (ec ? 160 : 1024) &&
	    (bits < c->m[cap].min_bits || bits > c->m[cap].max_bits))
		return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' generates "
		    "%s keys of %lu to %lu bits only (%s), not %lu: choose "
		    "another --algorithm", label, ec ? "EC" : "RSA",
		    (unsigned long)c->m[cap].min_bits,
		    (unsigned long)c->m[cap].max_bits,
		    cs_p11_cap_mech_name(cap), (unsigned long)bits);
	if (exportable &&
	    (cs_p11_caps_has(c, CS_CAP_AES_GEN, CKF_GENERATE) == 0 ||
	    cs_p11_caps_has(c, CS_CAP_AES_WRAP_PAD, CKF_WRAP) == 0))
		return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' cannot "
		    "export private keys (no %s wrapping), so it cannot hold "
		    "a pair whose encryption key is exported to clients: use "
		    "`certseal-admin pair generate --no-export` (keys that "
		    "never leave their tokens, for enrolled clients) or a "
		    "token that can wrap keys (SoftHSM2, NSS, most HSMs)",
		    label, cs_p11_caps_has(c, CS_CAP_AES_GEN, CKF_GENERATE) ==
		    0 ? "CKM_AES_KEY_GEN" : "CKM_AES_KEY_WRAP_PAD");
	return 0;
}
