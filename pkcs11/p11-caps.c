/*
 * p11-caps.c - what a token can do, asked once and remembered.
 *
 * Tokens differ (a TPM derives no ECDH and exports nothing, SoftHSM2 does
 * OAEP only with SHA-1, smartcards may do only raw RSA), so the token
 * layer does not assume: the first use of a token reads
 * C_GetMechanismList, each question about one of the mechanisms certseal
 * can use asks its C_GetMechanismInfo the first time (an open asks about
 * one or two, a report about all), and the answers are kept for the life
 * of the process
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

static unsigned long caps_reads, info_reads;

unsigned long
cs_p11_caps_reads(void)
{
	return caps_reads;
}

unsigned long
cs_p11_caps_info_reads(void)
{
	return info_reads;
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

/*
 * The token's mechanism list into *listp (malloc'ed).  Always the size
 * first, then the list: NSS's softokn writes its whole list (over 200
 * mechanisms) whatever the buffer's size says, so a first call into a
 * buffer of a guessed size would overflow it.  CKR_OK, or the token's
 * answer.
 */
static CK_RV
mech_list(CK_FUNCTION_LIST *fl, CK_SLOT_ID slot, CK_MECHANISM_TYPE **listp,
    CK_ULONG *np)
{
	CK_MECHANISM_TYPE *list = NULL;
	CK_ULONG n = 0;
	CK_RV rv;

	*listp = NULL;
	*np = 0;
	rv = fl->C_GetMechanismList(slot, NULL, &n);
	if (rv == CKR_OK && n > MECH_MAX)
		n = MECH_MAX;	/* the next call says CKR_BUFFER_TOO_SMALL */
	if (rv == CKR_OK && n > 0 &&
	    (list = calloc(n, sizeof(*list))) == NULL)
		return CKR_HOST_MEMORY;
	if (rv == CKR_OK && n > 0)
		rv = fl->C_GetMechanismList(slot, list, &n);
	if (rv != CKR_OK) {
		free(list);
		return rv;
	}
	*listp = list;
	*np = n;
	return CKR_OK;
}

/* Reads which of certseal's mechanisms the token lists into c (lock held). */
static int
read_list(certseal_ctx *ctx, struct cs_p11_token *tok, struct cs_p11_caps *c)
{
	CK_MECHANISM_TYPE *list = NULL;
	CK_ULONG n = 0, i;
	size_t j;
	CK_RV rv;

	memset(c, 0, sizeof(*c));
	caps_reads++;
	rv = mech_list(cs_p11_token_fl(tok), cs_p11_token_slot(tok), &list,
	    &n);
	if (rv == CKR_HOST_MEMORY)
		return cs_nomem(ctx);
	if (rv != CKR_OK)
		return 0;	/* unknown: operations are tried */
	c->known = 1;
	for (i = 0; i < n; i++)
		for (j = 0; j < sizeof(mechs) / sizeof(mechs[0]); j++)
			if (mechs[j].mech == list[i])
				c->m[mechs[j].cap].present = 1;
	free(list);
	return 0;
}

/* C_GetMechanismInfo of one listed mechanism, once (lock held). */
static void
read_info(struct cs_p11_token *tok, struct cs_p11_caps *c, size_t j)
{
	CK_MECHANISM_INFO info;
	enum cs_p11_cap cap = mechs[j].cap;

	if (!c->known || !c->m[cap].present || c->m[cap].info_read)
		return;
	c->m[cap].info_read = 1;
	info_reads++;
	memset(&info, 0, sizeof(info));
	/* Listed but no info: present, with every function. */
	if (cs_p11_token_fl(tok)->C_GetMechanismInfo(cs_p11_token_slot(tok),
	    mechs[j].mech, &info) != CKR_OK)
		info.flags = ~(CK_FLAGS)0;
	c->m[cap].flags = info.flags;
	c->m[cap].min_bits = info.ulMinKeySize;
	c->m[cap].max_bits = info.ulMaxKeySize;
}

/* The token's caps with its list read, info still to ask (lock held). */
static int
token_list(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_caps **out)
{
	struct cs_p11_caps **slot = cs_p11_token_caps_slot(tok);
	struct cs_p11_caps *c;
	CK_SESSION_HANDLE h;
	int r;

	*out = NULL;
	if (*slot == NULL) {
		/* The session check also re-initialises after fork. */
		if ((r = cs_p11_token_session(ctx, tok, &h)) != 0)
			return r;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return cs_nomem(ctx);
		if ((r = read_list(ctx, tok, c)) != 0) {
			free(c);
			return r;
		}
		*slot = c;
	}
	*out = *slot;
	return 0;
}

int
cs_p11_token_caps(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_caps **out)
{
	struct cs_p11_caps *c;
	size_t j;
	int r;

	*out = NULL;
	cs_p11_lock();
	if ((r = token_list(ctx, tok, &c)) == 0) {
		for (j = 0; j < sizeof(mechs) / sizeof(mechs[0]); j++)
			read_info(tok, c, j);
		*out = c;
	}
	cs_p11_unlock();
	return r;
}

/* The list read, or the error that stopped it. */
static int
ensure_list(certseal_ctx *ctx, struct cs_p11_token *tok)
{
	struct cs_p11_caps *c;
	int r;

	cs_p11_lock();
	r = token_list(ctx, tok, &c);
	cs_p11_unlock();
	return r;
}

int
cs_p11_token_has(certseal_ctx *ctx, struct cs_p11_token *tok,
    enum cs_p11_cap cap, CK_FLAGS need)
{
	struct cs_p11_caps *c;
	size_t j;
	int has = -1;

	cs_p11_lock();
	if (token_list(ctx, tok, &c) == 0) {
		for (j = 0; j < sizeof(mechs) / sizeof(mechs[0]); j++)
			if (mechs[j].cap == cap)
				read_info(tok, c, j);
		has = cs_p11_caps_has(c, cap, need);
	}
	cs_p11_unlock();
	return has;
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
	const char *label;
	int r;

	if ((r = ensure_list(ctx, tok)) != 0)
		return r;
	label = cs_p11_token_label(tok);
	if (type == CKK_EC && !sign) {
		if (cs_p11_token_has(ctx, tok, CS_CAP_ECDH, CKF_DERIVE) == 0)
			return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' "
			    "cannot derive ECDH keys (CKM_ECDH1_DERIVE); use "
			    "an RSA pair for clients on this token", label);
		return 0;
	}
	if (type == CKK_EC) {
		if (cs_p11_token_has(ctx, tok, CS_CAP_ECDSA, CKF_SIGN) == 0)
			return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' "
			    "cannot sign with ECDSA (CKM_ECDSA); use an RSA "
			    "signing key on this token", label);
		return 0;
	}
	if (type != CKK_RSA)
		return 0;
	/* Asked in order, and only as far as needed. */
	if (!sign &&
	    cs_p11_token_has(ctx, tok, CS_CAP_RSA_OAEP, CKF_DECRYPT) == 0 &&
	    cs_p11_token_has(ctx, tok, CS_CAP_RSA_X509, CKF_DECRYPT) == 0)
		return cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s' can "
		    "decrypt neither RSA-OAEP (CKM_RSA_PKCS_OAEP) nor raw RSA "
		    "(CKM_RSA_X_509); certseal files need one of them: keep "
		    "this client's key in a file: bundle or another token",
		    label);
	if (sign && cs_p11_token_has(ctx, tok, CS_CAP_RSA_PSS, CKF_SIGN) ==
	    0 &&
	    cs_p11_token_has(ctx, tok, CS_CAP_RSA_PKCS, CKF_SIGN) == 0 &&
	    cs_p11_token_has(ctx, tok, CS_CAP_RSA_X509, CKF_SIGN) == 0)
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
