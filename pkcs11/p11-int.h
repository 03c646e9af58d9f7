/*
 * p11-int.h - glue between the files of pkcs11/ that nobody else needs:
 * the module keeps the token cache that p11-session.c manages.
 */
#ifndef CS_P11_INT_H
#define CS_P11_INT_H

#include "p11.h"

/* Head of the module's token cache (lock held). */
struct cs_p11_token **cs_p11_module_tokens(struct cs_p11_module *m);

/* After fork: sessions and logins of the parent are gone (lock held). */
void cs_p11_tokens_forget(struct cs_p11_token *list);

/* 1 when a token in the list is still referenced. */
int cs_p11_tokens_busy(const struct cs_p11_token *list);

/* Frees the list; close_sessions: 0 after fork (the handles are not ours). */
void cs_p11_tokens_free(struct cs_p11_token *list, int close_sessions);

/*
 * The token's CK_TOKEN_INFO flags as cs_p11_token_open just read them, for
 * the login that follows it (lock held).  0 when there are none: then ask
 * C_GetTokenInfo.  Each reading is handed out once.
 */
int cs_p11_token_take_found_flags(struct cs_p11_token *tok, CK_FLAGS *flags);

/*
 * OAEP parameters the token refused as a mechanism (CKR_MECHANISM_INVALID,
 * CKR_MECHANISM_PARAM_INVALID, CKR_ARGUMENTS_BAD...), remembered for the
 * process (lock held).  label: 1 when a label was given.
 */
#define CS_P11_OAEP_REFUSED_MAX	8
int cs_p11_token_oaep_refused(const struct cs_p11_token *tok,
    CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, int label);
void cs_p11_token_set_oaep_refused(struct cs_p11_token *tok,
    CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, int label);

/* Where the token keeps its capabilities (lock held; NULL until read). */
struct cs_p11_caps **cs_p11_token_caps_slot(struct cs_p11_token *tok);

/* Remembers the PIN source of a successful login (lock held). */
void cs_p11_token_set_pin_source(struct cs_p11_token *tok,
    const char *source, const char *value);
const char *cs_p11_token_pin_source(const struct cs_p11_token *tok);
const char *cs_p11_token_pin_value(const struct cs_p11_token *tok);

/* C_Login(CKU_CONTEXT_SPECIFIC) right after an operation's Init (lock held). */
CK_RV cs_p11_context_login(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_SESSION_HANDLE h, const char *key_label);

/* Records a successful C_Login (lock held). */
void cs_p11_token_set_logged_in(struct cs_p11_token *tok);

/* Remembers a PIN the token refused (a salted digest, not the PIN). */
void cs_p11_token_set_refused(struct cs_p11_token *tok, const uint8_t *pin,
    size_t pinlen);

/* 1 when pin is the one the token last refused in this process. */
int cs_p11_token_pin_refused(const struct cs_p11_token *tok,
    const uint8_t *pin, size_t pinlen);

#endif /* CS_P11_INT_H */
