/*
 * mock-p11.c - a small PKCS#11 module for the unit tests: tokens whose
 * answers real tokens give rarely or only once (a locked PIN, the final
 * try, an expired PIN, a PIN pad), so that the branches of pkcs11/ that
 * handle them run on every `make check`.  SoftHSM2 covers everything a
 * sound token does; this module covers what it will not do on demand.
 *
 * Modelled on p11-kit's common/mock.c: static state reset by C_Initialize,
 * one fixed user PIN, fixed slots, one behaviour per slot.  Each token is
 * chosen by its label, as the suites choose SoftHSM2 tokens:
 *
 *	plain		PIN "1234", three tries
 *	locked		CKF_USER_PIN_LOCKED; C_Login answers CKR_PIN_LOCKED
 *	final try	two tries: after one wrong PIN, CKF_USER_PIN_FINAL_TRY
 *	silent lock	C_Login answers CKR_PIN_LOCKED, the flags never say so
 *	pin pad		CKF_PROTECTED_AUTHENTICATION_PATH: C_Login takes no PIN
 *	no login	no CKF_LOGIN_REQUIRED
 *	expired		the right PIN answers CKR_PIN_EXPIRED
 *	already in	C_Login answers CKR_USER_ALREADY_LOGGED_IN
 *	shared		already logged in by "someone else" in the process
 *	removed		C_Login answers CKR_DEVICE_REMOVED
 *
 * The tokens hold no objects: searches find nothing.  Cryptographic entry
 * points are left NULL on purpose; a suite that reaches one crashes
 * loudly instead of testing a pretend key.  mock_p11_logins() tells a
 * suite how many C_Login calls reached a token (dlsym it).
 */
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define MOCK_PIN	"1234"
#define MOCK_TRIES	3
#define MOCK_SESSIONS	64

/* What a token is, fixed... */
struct mock_behaviour {
	const char	*label;
	CK_FLAGS	 flags;		/* besides TOKEN/USER_PIN_INITIALIZED */
	int		 tries;		/* wrong PINs until it locks */
	CK_RV		 login_rv;	/* forced C_Login answer, or CKR_OK */
	int		 shared;	/* logged in before we start */
};

/* ...and what happened to it, reset by C_Initialize. */
struct mock_token {
	const struct mock_behaviour *b;
	int		 left;		/* tries left */
	int		 logged_in;
	int		 sessions;
	unsigned long	 logins;	/* C_Login calls, for the suites */
};

static const struct mock_behaviour behaviours[] = {
	{ "plain", CKF_LOGIN_REQUIRED, MOCK_TRIES, CKR_OK, 0 },
	{ "locked", CKF_LOGIN_REQUIRED, 0, CKR_OK, 0 },
	{ "final try", CKF_LOGIN_REQUIRED, 2, CKR_OK, 0 },
	{ "silent lock", CKF_LOGIN_REQUIRED, MOCK_TRIES, CKR_PIN_LOCKED, 0 },
	{ "pin pad", CKF_LOGIN_REQUIRED | CKF_PROTECTED_AUTHENTICATION_PATH,
	    MOCK_TRIES, CKR_OK, 0 },
	{ "no login", 0, MOCK_TRIES, CKR_OK, 0 },
	{ "expired", CKF_LOGIN_REQUIRED, MOCK_TRIES, CKR_PIN_EXPIRED, 0 },
	{ "already in", CKF_LOGIN_REQUIRED, MOCK_TRIES,
	    CKR_USER_ALREADY_LOGGED_IN, 0 },
	{ "shared", CKF_LOGIN_REQUIRED, MOCK_TRIES, CKR_OK, 1 },
	{ "removed", CKF_LOGIN_REQUIRED, MOCK_TRIES, CKR_DEVICE_REMOVED, 0 },
};
#define NTOKENS	(sizeof(behaviours) / sizeof(behaviours[0]))
static struct mock_token tokens[NTOKENS];
/* Slot IDs start at 10: nobody may assume slot 0 (SoftHSM2 does not). */
#define SLOT0	10

static struct {
	int		 used;
	CK_SLOT_ID	 slot;
	CK_FLAGS	 flags;
} sessions[MOCK_SESSIONS];

static int initialized;
static pid_t initialized_pid;

/* Exported for the suites (not a PKCS#11 function). */
unsigned long mock_p11_logins(const char *label);

unsigned long
mock_p11_logins(const char *label)
{
	size_t i;

	for (i = 0; i < NTOKENS; i++)
		if (strcmp(behaviours[i].label, label) == 0)
			return tokens[i].logins;
	return 0;
}

static struct mock_token *
token_of(CK_SLOT_ID slot)
{
	if (slot < SLOT0 || slot >= SLOT0 + NTOKENS)
		return NULL;
	return &tokens[slot - SLOT0];
}

/* Copies s blank-padded, as PKCS#11 strings are. */
static void
pad(CK_UTF8CHAR *dst, size_t len, const char *s)
{
	size_t n = strlen(s) < len ? strlen(s) : len;

	memset(dst, ' ', len);
	memcpy(dst, s, n);
}

static CK_RV
mock_C_Initialize(CK_VOID_PTR args)
{
	CK_C_INITIALIZE_ARGS *a = args;
	size_t i;

	/* Like p11-kit's mock: OS locking or nothing. */
	if (a != NULL && a->CreateMutex != NULL &&
	    !(a->flags & CKF_OS_LOCKING_OK))
		return CKR_CANT_LOCK;
	if (initialized && initialized_pid == getpid())
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	for (i = 0; i < NTOKENS; i++) {
		tokens[i].b = &behaviours[i];
		tokens[i].left = behaviours[i].tries;
		tokens[i].logged_in = behaviours[i].shared;
		tokens[i].sessions = 0;
		tokens[i].logins = 0;
	}
	memset(sessions, 0, sizeof(sessions));
	initialized = 1;
	initialized_pid = getpid();
	return CKR_OK;
}

static CK_RV
mock_C_Finalize(CK_VOID_PTR reserved)
{
	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	initialized = 0;
	return CKR_OK;
}

static CK_RV
mock_C_GetInfo(CK_INFO_PTR info)
{
	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	pad(info->manufacturerID, sizeof(info->manufacturerID),
	    "certseal tests");
	pad(info->libraryDescription, sizeof(info->libraryDescription),
	    "certseal mock PKCS#11 module");
	return CKR_OK;
}

static CK_RV
mock_C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n)
{
	size_t i;

	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (list == NULL) {
		*n = NTOKENS;
		return CKR_OK;
	}
	if (*n < NTOKENS) {
		*n = NTOKENS;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (i = 0; i < NTOKENS; i++)
		list[i] = SLOT0 + i;
	*n = NTOKENS;
	return CKR_OK;
}

static CK_RV
mock_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (token_of(slot) == NULL)
		return CKR_SLOT_ID_INVALID;
	memset(info, 0, sizeof(*info));
	pad(info->slotDescription, sizeof(info->slotDescription), "mock slot");
	pad(info->manufacturerID, sizeof(info->manufacturerID),
	    "certseal tests");
	info->flags = CKF_TOKEN_PRESENT;
	return CKR_OK;
}

static CK_RV
mock_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	struct mock_token *t;
	char serial[17];

	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if ((t = token_of(slot)) == NULL)
		return CKR_SLOT_ID_INVALID;
	memset(info, 0, sizeof(*info));
	pad(info->label, sizeof(info->label), t->b->label);
	pad(info->manufacturerID, sizeof(info->manufacturerID),
	    "certseal tests");
	pad(info->model, sizeof(info->model), "mock-p11");
	memset(serial, 0, sizeof(serial));
	serial[0] = 'M';
	serial[1] = (char)('0' + (slot - SLOT0) / 10);
	serial[2] = (char)('0' + (slot - SLOT0) % 10);
	pad(info->serialNumber, sizeof(info->serialNumber), serial);
	info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED |
	    t->b->flags;
	/* The PIN counter flags of PKCS#11 2.40 section 5.5. */
	if (t->left == 0 && t->b->login_rv != CKR_PIN_LOCKED)
		info->flags |= CKF_USER_PIN_LOCKED;
	else if (t->left == 1)
		info->flags |= CKF_USER_PIN_FINAL_TRY;
	else if (t->left < t->b->tries)
		info->flags |= CKF_USER_PIN_COUNT_LOW;
	info->ulMaxSessionCount = MOCK_SESSIONS;
	info->ulMaxRwSessionCount = MOCK_SESSIONS;
	info->ulSessionCount = (CK_ULONG)t->sessions;
	info->ulRwSessionCount = (CK_ULONG)t->sessions;
	info->ulMaxPinLen = 64;
	info->ulMinPinLen = 4;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->hardwareVersion.major = 1;
	info->firmwareVersion.major = 1;
	return CKR_OK;
}

static CK_RV
mock_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app,
    CK_NOTIFY notify, CK_SESSION_HANDLE_PTR h)
{
	struct mock_token *t;
	size_t i;

	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if ((t = token_of(slot)) == NULL)
		return CKR_SLOT_ID_INVALID;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	for (i = 0; i < MOCK_SESSIONS; i++) {
		if (sessions[i].used)
			continue;
		sessions[i].used = 1;
		sessions[i].slot = slot;
		sessions[i].flags = flags;
		t->sessions++;
		*h = (CK_SESSION_HANDLE)(i + 1);
		return CKR_OK;
	}
	return CKR_SESSION_COUNT;
}

/* The session behind h and its token, or NULL. */
static struct mock_token *
session_token(CK_SESSION_HANDLE h)
{
	if (!initialized || h < 1 || h > MOCK_SESSIONS || !sessions[h - 1].used)
		return NULL;
	return token_of(sessions[h - 1].slot);
}

static CK_RV
mock_C_CloseSession(CK_SESSION_HANDLE h)
{
	struct mock_token *t;

	if ((t = session_token(h)) == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	sessions[h - 1].used = 0;
	/* The application's last session gone: logged out (PKCS#11 5.6). */
	if (--t->sessions == 0 && !t->b->shared)
		t->logged_in = 0;
	return CKR_OK;
}

static CK_RV
mock_C_CloseAllSessions(CK_SLOT_ID slot)
{
	size_t i;

	if (token_of(slot) == NULL)
		return CKR_SLOT_ID_INVALID;
	for (i = 0; i < MOCK_SESSIONS; i++)
		if (sessions[i].used && sessions[i].slot == slot)
			(void)mock_C_CloseSession((CK_SESSION_HANDLE)(i + 1));
	return CKR_OK;
}

static CK_RV
mock_C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	struct mock_token *t;
	int rw;

	if ((t = session_token(h)) == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	rw = (sessions[h - 1].flags & CKF_RW_SESSION) != 0;
	memset(info, 0, sizeof(*info));
	info->slotID = sessions[h - 1].slot;
	info->flags = sessions[h - 1].flags;
	if (t->logged_in)
		info->state = rw ? CKS_RW_USER_FUNCTIONS :
		    CKS_RO_USER_FUNCTIONS;
	else
		info->state = rw ? CKS_RW_PUBLIC_SESSION :
		    CKS_RO_PUBLIC_SESSION;
	return CKR_OK;
}

static CK_RV
mock_C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
    CK_ULONG len)
{
	struct mock_token *t;

	if ((t = session_token(h)) == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	t->logins++;
	if (user != CKU_USER)
		return CKR_USER_TYPE_INVALID;
	if (t->logged_in)
		return CKR_USER_ALREADY_LOGGED_IN;
	if (t->b->login_rv != CKR_OK)
		return t->b->login_rv;
	if (t->b->flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		/* The PIN goes to the pad, never through the API. */
		if (pin != NULL)
			return CKR_ARGUMENTS_BAD;
		t->logged_in = 1;
		return CKR_OK;
	}
	if (t->left == 0)
		return CKR_PIN_LOCKED;
	if (pin == NULL || len != strlen(MOCK_PIN) ||
	    memcmp(pin, MOCK_PIN, len) != 0) {
		t->left--;
		return CKR_PIN_INCORRECT;
	}
	t->left = t->b->tries;
	t->logged_in = 1;
	return CKR_OK;
}

static CK_RV
mock_C_Logout(CK_SESSION_HANDLE h)
{
	struct mock_token *t;

	if ((t = session_token(h)) == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	if (!t->logged_in)
		return CKR_USER_NOT_LOGGED_IN;
	t->logged_in = 0;
	return CKR_OK;
}

/* Empty tokens: every search finds nothing, every handle is unknown. */
static CK_RV
mock_C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl,
    CK_ULONG n)
{
	return session_token(h) != NULL ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

static CK_RV
mock_C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR objs,
    CK_ULONG max, CK_ULONG_PTR n)
{
	if (session_token(h) == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	*n = 0;
	return CKR_OK;
}

static CK_RV
mock_C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	return session_token(h) != NULL ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

static CK_RV
mock_C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
    CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
	if (session_token(h) == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	return CKR_OBJECT_HANDLE_INVALID;
}

static CK_RV mock_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static CK_FUNCTION_LIST function_list = {
	.version = { 2, 40 },
	.C_Initialize = mock_C_Initialize,
	.C_Finalize = mock_C_Finalize,
	.C_GetInfo = mock_C_GetInfo,
	.C_GetFunctionList = mock_C_GetFunctionList,
	.C_GetSlotList = mock_C_GetSlotList,
	.C_GetSlotInfo = mock_C_GetSlotInfo,
	.C_GetTokenInfo = mock_C_GetTokenInfo,
	.C_OpenSession = mock_C_OpenSession,
	.C_CloseSession = mock_C_CloseSession,
	.C_CloseAllSessions = mock_C_CloseAllSessions,
	.C_GetSessionInfo = mock_C_GetSessionInfo,
	.C_Login = mock_C_Login,
	.C_Logout = mock_C_Logout,
	.C_FindObjectsInit = mock_C_FindObjectsInit,
	.C_FindObjects = mock_C_FindObjects,
	.C_FindObjectsFinal = mock_C_FindObjectsFinal,
	.C_GetAttributeValue = mock_C_GetAttributeValue,
};

static CK_RV
mock_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	*list = &function_list;
	return CKR_OK;
}

/* The module's one exported PKCS#11 symbol. */
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	return mock_C_GetFunctionList(list);
}
