/*
 * p11-pin.c - logging a token in, once.
 *
 * Tokens lock after a few wrong PINs, so a PIN is sent exactly once per
 * attempt to log in: a wrong one is reported, never retried with the same
 * or another source, and the same wrong PIN reaching the token again
 * through another source or context of this process is answered without
 * being sent.  A token logged in by anyone in this process (login state
 * is per token and per process) is used as it is.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "p11.h"
#include "p11-int.h"

static unsigned long login_calls;

unsigned long
cs_p11_login_calls(void)
{
	return login_calls;
}

/* 1 when the session already sees a logged-in user. */
static int
session_logged_in(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;

	if (fl->C_GetSessionInfo(h, &si) != CKR_OK)
		return 0;
	return si.state == CKS_RO_USER_FUNCTIONS ||
	    si.state == CKS_RW_USER_FUNCTIONS;
}

int
cs_p11_token_login(certseal_ctx *ctx, struct cs_p11_token *tok,
    const char *pin_source, const char *pin_value)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	struct cs_secret *pin = NULL;
	CK_SESSION_HANDLE h;
	CK_TOKEN_INFO info;
	CK_FLAGS flags = 0;
	char what[128];
	CK_RV rv;
	int r = CERTSEAL_E_INTERNAL, fresh;

	cs_p11_lock();
	/* Taken here, logged in or not: never left for a later login. */
	fresh = cs_p11_token_take_found_flags(tok, &flags);
	if ((r = cs_p11_token_session(ctx, tok, &h)) != 0)
		goto out;
	if (cs_p11_token_logged_in(tok))
		goto done;
	/*
	 * The flags the token gave when it was found a moment ago serve;
	 * otherwise ask.  Either way C_Login's own answer is what counts (a
	 * PIN locked in between is CKR_PIN_LOCKED there).
	 */
	if (!fresh) {
		if ((rv = fl->C_GetTokenInfo(cs_p11_token_slot(tok), &info)) !=
		    CKR_OK) {
			r = cs_p11_error(ctx, rv, "token '%s': C_GetTokenInfo",
			    cs_p11_token_label(tok));
			goto out;
		}
		flags = info.flags;
	}
	if (!(flags & CKF_LOGIN_REQUIRED) || session_logged_in(fl, h))
		goto done;
	if (flags & CKF_USER_PIN_LOCKED) {
		r = cs_p11_error(ctx, CKR_PIN_LOCKED, "token '%s'",
		    cs_p11_token_label(tok));
		goto out;
	}
	if (flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		/* PIN pad or biometrics: the token asks, not us. */
		login_calls++;
		rv = fl->C_Login(h, CKU_USER, NULL, 0);
	} else {
		snprintf(what, sizeof(what), "PIN for token '%s'",
		    cs_p11_token_label(tok));
		if ((r = cs_pin_get(ctx, pin_source, pin_value, what,
		    &pin)) != 0)
			goto out;
		if (cs_p11_token_pin_refused(tok, pin->data, pin->len)) {
			r = cs_error(ctx, CERTSEAL_E_PIN_INCORRECT, "token "
			    "'%s': this PIN was refused already "
			    "(CKR_PIN_INCORRECT); not sent again, so that the "
			    "token does not lock", cs_p11_token_label(tok));
			goto out;
		}
		login_calls++;
		rv = fl->C_Login(h, CKU_USER, pin->data, pin->len);
		if (rv == CKR_PIN_INCORRECT)
			cs_p11_token_set_refused(tok, pin->data, pin->len);
	}
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		r = cs_p11_error(ctx, rv, "token '%s': C_Login",
		    cs_p11_token_label(tok));
		/* Say how close the token is to locking. */
		if (rv == CKR_PIN_INCORRECT && fl->C_GetTokenInfo(
		    cs_p11_token_slot(tok), &info) == CKR_OK &&
		    (info.flags & CKF_USER_PIN_FINAL_TRY))
			cs_error_prefix(ctx, "last attempt before the PIN "
			    "locks");
		goto out;
	}
 done:
	cs_p11_token_set_logged_in(tok);
	cs_p11_token_set_pin_source(tok, pin_source, pin_value);
	r = 0; /* success */
 out:
	cs_secret_free(pin);
	cs_p11_unlock();
	return r;
}

/*
 * Keys with CKA_ALWAYS_AUTHENTICATE (YubiKey PIV signing keys) want the
 * PIN again right after each C_SignInit/C_DecryptInit.  It comes from the
 * same source as the token's login: a PIN file is read again, a prompt
 * asks again (that is the point of such keys).  A refused PIN is not sent
 * twice (the same digest check as for the user login).
 */
CK_RV
cs_p11_context_login(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_SESSION_HANDLE h, const char *key_label)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	struct cs_secret *pin = NULL;
	CK_TOKEN_INFO info;
	char what[256];
	CK_RV rv;

	if (fl->C_GetTokenInfo(cs_p11_token_slot(tok), &info) == CKR_OK &&
	    (info.flags & CKF_PROTECTED_AUTHENTICATION_PATH)) {
		login_calls++;
		return fl->C_Login(h, CKU_CONTEXT_SPECIFIC, NULL, 0);
	}
	snprintf(what, sizeof(what), "PIN for key '%s' on token '%s' "
	    "(asked for each use)", key_label, cs_p11_token_label(tok));
	if (cs_pin_get(ctx, cs_p11_token_pin_source(tok),
	    cs_p11_token_pin_value(tok), what, &pin) != 0)
		return CKR_USER_NOT_LOGGED_IN;	/* no PIN to be had */
	if (cs_p11_token_pin_refused(tok, pin->data, pin->len)) {
		cs_secret_free(pin);
		return CKR_PIN_INCORRECT;
	}
	login_calls++;
	rv = fl->C_Login(h, CKU_CONTEXT_SPECIFIC, pin->data, pin->len);
	if (rv == CKR_PIN_INCORRECT)
		cs_p11_token_set_refused(tok, pin->data, pin->len);
	cs_secret_free(pin);
	return rv;
}
