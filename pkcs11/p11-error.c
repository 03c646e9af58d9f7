/*
 * p11-error.c - translating CK_RV into certseal errors at the boundary:
 * a code for the exit status and a one-line message with the CKR_* name
 * and what to do about it.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "p11.h"

static const struct {
	CK_RV		 rv;
	const char	*name;
	int		 code;
	const char	*hint;		/* or NULL */
} rvs[] = {
#define RV(x, c, h)	{ x, #x, c, h }
	RV(CKR_OK, 0, NULL),
	RV(CKR_CANCEL, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_HOST_MEMORY, CERTSEAL_E_NOMEM, NULL),
	RV(CKR_SLOT_ID_INVALID, CERTSEAL_E_TOKEN_ABSENT,
	    "token absent: insert it or check the label"),
	RV(CKR_GENERAL_ERROR, CERTSEAL_E_TOKEN,
	    "check the module's configuration (e.g. SOFTHSM2_CONF)"),
	RV(CKR_FUNCTION_FAILED, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_ARGUMENTS_BAD, CERTSEAL_E_UNSUPPORTED,
	    "parameters unsupported by this token"),
	RV(CKR_NO_EVENT, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_NEED_TO_CREATE_THREADS, CERTSEAL_E_MODULE, NULL),
	RV(CKR_CANT_LOCK, CERTSEAL_E_MODULE, NULL),
	RV(CKR_ATTRIBUTE_READ_ONLY, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_ATTRIBUTE_SENSITIVE, CERTSEAL_E_POLICY,
	    "the token keeps this attribute secret"),
	RV(CKR_ATTRIBUTE_TYPE_INVALID, CERTSEAL_E_UNSUPPORTED, NULL),
	RV(CKR_ATTRIBUTE_VALUE_INVALID, CERTSEAL_E_UNSUPPORTED, NULL),
	RV(CKR_DATA_INVALID, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_DATA_LEN_RANGE, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_DEVICE_ERROR, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_DEVICE_MEMORY, CERTSEAL_E_TOKEN, "the token is full"),
	RV(CKR_DEVICE_REMOVED, CERTSEAL_E_TOKEN_ABSENT,
	    "token absent: insert it or check the label"),
	RV(CKR_ENCRYPTED_DATA_INVALID, CERTSEAL_E_DECRYPT, NULL),
	RV(CKR_ENCRYPTED_DATA_LEN_RANGE, CERTSEAL_E_DECRYPT, NULL),
	RV(CKR_FUNCTION_CANCELED, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_FUNCTION_NOT_PARALLEL, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_FUNCTION_NOT_SUPPORTED, CERTSEAL_E_UNSUPPORTED,
	    "function unsupported by this token"),
	RV(CKR_KEY_HANDLE_INVALID, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_KEY_SIZE_RANGE, CERTSEAL_E_UNSUPPORTED,
	    "key size unsupported by this token"),
	RV(CKR_KEY_TYPE_INCONSISTENT, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED, CERTSEAL_E_POLICY,
	    "the key's attributes do not allow this operation"),
	RV(CKR_KEY_NOT_WRAPPABLE, CERTSEAL_E_POLICY, NULL),
	RV(CKR_KEY_UNEXTRACTABLE, CERTSEAL_E_POLICY,
	    "the key is not extractable (CKA_EXTRACTABLE=FALSE)"),
	RV(CKR_MECHANISM_INVALID, CERTSEAL_E_UNSUPPORTED,
	    "mechanism unsupported by this token"),
	RV(CKR_MECHANISM_PARAM_INVALID, CERTSEAL_E_UNSUPPORTED,
	    "mechanism parameters unsupported by this token"),
	RV(CKR_OBJECT_HANDLE_INVALID, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_OPERATION_ACTIVE, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_OPERATION_NOT_INITIALIZED, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_PIN_INCORRECT, CERTSEAL_E_PIN_INCORRECT,
	    "PIN incorrect: it was tried once and not retried; check "
	    "pin-source or CERTSEAL_PIN"),
	RV(CKR_PIN_INVALID, CERTSEAL_E_PIN_INCORRECT, NULL),
	RV(CKR_PIN_LEN_RANGE, CERTSEAL_E_PIN_INCORRECT,
	    "the PIN has the wrong length"),
	RV(CKR_PIN_EXPIRED, CERTSEAL_E_PIN_LOCKED,
	    "PIN expired: set a new one"),
	RV(CKR_PIN_LOCKED, CERTSEAL_E_PIN_LOCKED,
	    "PIN locked: unlock it with the SO PIN"),
	RV(CKR_SESSION_CLOSED, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_SESSION_COUNT, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_SESSION_HANDLE_INVALID, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_SESSION_READ_ONLY, CERTSEAL_E_TOKEN,
	    "the token is read-only"),
	RV(CKR_SESSION_EXISTS, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_SESSION_READ_ONLY_EXISTS, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_SESSION_READ_WRITE_SO_EXISTS, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_SIGNATURE_INVALID, CERTSEAL_E_BAD_SIGNATURE, NULL),
	RV(CKR_SIGNATURE_LEN_RANGE, CERTSEAL_E_BAD_SIGNATURE, NULL),
	RV(CKR_TEMPLATE_INCOMPLETE, CERTSEAL_E_UNSUPPORTED, NULL),
	RV(CKR_TEMPLATE_INCONSISTENT, CERTSEAL_E_UNSUPPORTED, NULL),
	RV(CKR_TOKEN_NOT_PRESENT, CERTSEAL_E_TOKEN_ABSENT,
	    "token absent: insert it or check the label"),
	RV(CKR_TOKEN_NOT_RECOGNIZED, CERTSEAL_E_TOKEN_ABSENT, NULL),
	RV(CKR_TOKEN_WRITE_PROTECTED, CERTSEAL_E_TOKEN,
	    "the token is write-protected"),
	RV(CKR_UNWRAPPING_KEY_HANDLE_INVALID, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, CERTSEAL_E_UNSUPPORTED, NULL),
	RV(CKR_USER_ALREADY_LOGGED_IN, 0, NULL),
	RV(CKR_USER_NOT_LOGGED_IN, CERTSEAL_E_TOKEN, "log in first"),
	RV(CKR_USER_PIN_NOT_INITIALIZED, CERTSEAL_E_TOKEN,
	    "the token has no user PIN: initialise it"),
	RV(CKR_USER_TYPE_INVALID, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, CERTSEAL_E_TOKEN,
	    "the SO is logged in: log out first"),
	RV(CKR_WRAPPED_KEY_INVALID, CERTSEAL_E_DECRYPT, NULL),
	RV(CKR_WRAPPED_KEY_LEN_RANGE, CERTSEAL_E_DECRYPT, NULL),
	RV(CKR_WRAPPING_KEY_HANDLE_INVALID, CERTSEAL_E_TOKEN, NULL),
	RV(CKR_WRAPPING_KEY_TYPE_INCONSISTENT, CERTSEAL_E_UNSUPPORTED, NULL),
	RV(CKR_RANDOM_NO_RNG, CERTSEAL_E_UNSUPPORTED, NULL),
	RV(CKR_DOMAIN_PARAMS_INVALID, CERTSEAL_E_UNSUPPORTED, NULL),
	RV(CKR_CURVE_NOT_SUPPORTED, CERTSEAL_E_UNSUPPORTED,
	    "curve unsupported by this token"),
	RV(CKR_BUFFER_TOO_SMALL, CERTSEAL_E_INTERNAL, NULL),
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, CERTSEAL_E_MODULE, NULL),
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED, 0, NULL),
#undef RV
};

const char *
cs_p11_rv_name(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(rvs) / sizeof(rvs[0]); i++)
		if (rvs[i].rv == rv)
			return rvs[i].name;
	return "CKR_VENDOR_DEFINED";
}

int
cs_p11_rv_code(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(rvs) / sizeof(rvs[0]); i++)
		if (rvs[i].rv == rv)
			return rvs[i].code;
	return CERTSEAL_E_TOKEN;
}

int
cs_p11_error(certseal_ctx *ctx, CK_RV rv, const char *fmt, ...)
{
	char what[CS_ERRMSG_MAX / 2];
	const char *hint = NULL;
	va_list ap;
	size_t i;
	int code = CERTSEAL_E_TOKEN;

	for (i = 0; i < sizeof(rvs) / sizeof(rvs[0]); i++) {
		if (rvs[i].rv == rv) {
			hint = rvs[i].hint;
			code = rvs[i].code;
			break;
		}
	}
	/* Success codes reaching here are still failures of the caller. */
	if (code == 0)
		code = CERTSEAL_E_TOKEN;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (rv == CKR_OK)
		return cs_error(ctx, code, "%s", what);
	return cs_error(ctx, code, "%s: %s (0x%lx)%s%s%s", what,
	    cs_p11_rv_name(rv), (unsigned long)rv, hint ? " (" : "",
	    hint ? hint : "", hint ? ")" : "");
}

/*
 * Key operations run inside OpenSSL callbacks that have no certseal
 * context: they report the CKR_* name on OpenSSL's error queue, under an
 * error library of our own, and cs_error() appends it to the message.
 */
static int err_lib;
static ERR_STRING_DATA *err_strings;
static pthread_once_t err_once = PTHREAD_ONCE_INIT;

static void
err_init(void)
{
	size_t i, n = sizeof(rvs) / sizeof(rvs[0]);

	err_lib = ERR_get_next_error_library();
	if ((err_strings = calloc(n + 2, sizeof(*err_strings))) == NULL)
		return;
	err_strings[0].error = ERR_PACK(err_lib, 0, 0);
	err_strings[0].string = "PKCS#11 token";
	for (i = 0; i < n; i++) {
		err_strings[i + 1].error = ERR_PACK(err_lib, 0, (int)i + 1);
		err_strings[i + 1].string = rvs[i].name;
	}
	ERR_load_strings(err_lib, err_strings);
}

void
cs_p11_raise(CK_RV rv)
{
	size_t i, n = sizeof(rvs) / sizeof(rvs[0]);

	pthread_once(&err_once, err_init);
	for (i = 0; i < n; i++)
		if (rvs[i].rv == rv)
			break;
	ERR_raise_data(err_lib, i < n ? (int)i + 1 : 0,
	    "PKCS#11 %s (0x%lx)", cs_p11_rv_name(rv), (unsigned long)rv);
}
