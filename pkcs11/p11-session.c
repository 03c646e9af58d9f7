/*
 * p11-session.c - tokens: finding the one a URI names, and keeping one
 * session open on it.
 *
 * Tokens are cached in their module for the life of the process, each
 * with one session.  The session is what keeps the login: PKCS#11 logs a
 * token out when its application's last session closes, so a token that
 * was logged in once stays usable by every later context without a
 * second C_Login.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "p11.h"
#include "p11-int.h"

struct cs_p11_token {
	struct cs_p11_token *next;
	struct cs_p11_module *module;	/* owns the token; not ref'd */
	CK_SLOT_ID	 slot;
	char		 label[33];
	char		 serial[17];
	char		 model[17];
	char		 manufacturer[33];
	int		 refs;
	CK_SESSION_HANDLE session;
	int		 has_session;
	unsigned int	 module_gen;	/* module generation of session */
	unsigned int	 generation;	/* bumped when the session changes */
	int		 logged_in;
	/*
	 * CK_TOKEN_INFO.flags as read when the token was just found by
	 * cs_p11_token_open; the login that follows uses them instead of a
	 * second C_GetTokenInfo (on SoftHSM2 each one re-reads the token's
	 * files three times).  Taken once: a later login asks the token.
	 */
	CK_FLAGS	 found_flags;
	int		 has_found_flags;
	struct cs_p11_caps *caps;	/* p11-caps.c; NULL until asked */
	/*
	 * OAEP parameters (hash, MGF, label or not) the token refused as a
	 * mechanism (p11-keyops.c): a property of the token, not of one key,
	 * so a second context or key in this process goes raw at once.
	 */
	struct {
		CK_MECHANISM_TYPE hash;
		CK_RSA_PKCS_MGF_TYPE mgf;
		int	 label;
	} oaep_refused[CS_P11_OAEP_REFUSED_MAX];
	size_t		 noaep_refused;
	/*
	 * The pin-source / pin-value of the last successful login (the
	 * strings, not the PIN): keys with CKA_ALWAYS_AUTHENTICATE ask the
	 * same source again for each operation.
	 */
	char		*pin_source;
	char		*pin_value;
	/*
	 * The last PIN C_Login refused, as SHA-256(salt || PIN): another
	 * source or context naming this token with the same PIN gets the
	 * same answer without a second try against the token's counter.
	 */
	unsigned char	 refused_salt[16];
	unsigned char	 refused_pin[32];
	int		 has_refused;
};

/* Copies a blank-padded PKCS#11 string without its padding. */
static void
unpad(char *dst, size_t dstlen, const unsigned char *src, size_t srclen)
{
	size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;

	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

static int
open_session(certseal_ctx *ctx, struct cs_p11_token *tok)
{
	CK_FUNCTION_LIST *fl = cs_p11_module_fl(tok->module);
	CK_SESSION_HANDLE h;
	CK_RV rv;

	rv = fl->C_OpenSession(tok->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h);
	/* Write-protected tokens still serve reads and key operations. */
	if (rv == CKR_TOKEN_WRITE_PROTECTED)
		rv = fl->C_OpenSession(tok->slot, CKF_SERIAL_SESSION, NULL,
		    NULL, &h);
	if (rv != CKR_OK)
		return cs_p11_error(ctx, rv, "token '%s': C_OpenSession",
		    tok->label);
	tok->session = h;
	tok->has_session = 1;
	tok->module_gen = cs_p11_module_generation(tok->module);
	tok->generation++;
	return 0;
}

int
cs_p11_token_session(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_SESSION_HANDLE *out)
{
	int r;

	*out = CK_INVALID_HANDLE;
	if ((r = cs_p11_module_check_fork(ctx, tok->module)) != 0)
		return r;
	if (!tok->has_session ||
	    tok->module_gen != cs_p11_module_generation(tok->module)) {
		tok->has_session = 0;
		tok->logged_in = 0;
		if ((r = open_session(ctx, tok)) != 0)
			return r;
	}
	*out = tok->session;
	return 0;
}

/* Returns the cached token for slot/info in m, creating it (lock held). */
static int
cached_token(certseal_ctx *ctx, struct cs_p11_module *m, CK_SLOT_ID slot,
    const CK_TOKEN_INFO *info, struct cs_p11_token **out)
{
	struct cs_p11_token **head = cs_p11_module_tokens(m), *t;
	char label[33], serial[17];

	*out = NULL;
	unpad(label, sizeof(label), info->label, sizeof(info->label));
	unpad(serial, sizeof(serial), info->serialNumber,
	    sizeof(info->serialNumber));
	for (t = *head; t != NULL; t = t->next) {
		if (t->slot == slot && strcmp(t->serial, serial) == 0 &&
		    strcmp(t->label, label) == 0) {
			t->refs++;
			t->found_flags = info->flags;
			t->has_found_flags = 1;
			*out = t;
			return 0;
		}
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return cs_nomem(ctx);
	t->module = m;
	t->slot = slot;
	memcpy(t->label, label, sizeof(label));
	memcpy(t->serial, serial, sizeof(serial));
	unpad(t->model, sizeof(t->model), info->model, sizeof(info->model));
	unpad(t->manufacturer, sizeof(t->manufacturer), info->manufacturerID,
	    sizeof(info->manufacturerID));
	t->refs = 1;
	t->found_flags = info->flags;
	t->has_found_flags = 1;
	t->next = *head;
	*head = t;
	*out = t;
	return 0;
}

/*
 * Looks for the URI's token in one module (lock held).  1: found.  The
 * slot count is asked first, then the list: a first call into a buffer of
 * a guessed size would save a call that costs no file access even on
 * SoftHSM2, and a module that ignores the size given (NSS's softokn does
 * so for its mechanism list) would write past such a buffer.
 */
static int
find_in_module(certseal_ctx *ctx, struct cs_p11_module *m,
    const struct cs_p11_uri *uri, struct cs_p11_token **out)
{
	CK_FUNCTION_LIST *fl = cs_p11_module_fl(m);
	CK_SLOT_ID *slots = NULL;
	CK_TOKEN_INFO info;
	CK_ULONG n = 0, i;
	CK_RV rv;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if ((rv = fl->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK) {
		r = cs_p11_error(ctx, rv, "module '%s': C_GetSlotList",
		    cs_p11_module_path(m));
		goto out;
	}
	if (n == 0) {
		r = 0;
		goto out;
	}
	if ((slots = calloc(n, sizeof(*slots))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if ((rv = fl->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		r = cs_p11_error(ctx, rv, "module '%s': C_GetSlotList",
		    cs_p11_module_path(m));
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* A slot emptied since the list was taken is just skipped. */
		if (fl->C_GetTokenInfo(slots[i], &info) != CKR_OK)
			continue;
		if (!(info.flags & CKF_TOKEN_INITIALIZED) ||
		    !cs_p11_uri_match_token(uri, &info))
			continue;
		if ((r = cached_token(ctx, m, slots[i], &info, out)) != 0)
			goto out;
		r = 1;
		goto out;
	}
	r = 0; /* not here */
 out:
	free(slots);
	return r;
}

static int
try_module(certseal_ctx *ctx, const char *path, const char *reserved,
    const char *name, const struct cs_p11_uri *uri,
    struct cs_p11_token **out)
{
	struct cs_p11_module *m = NULL;
	int r;

	*out = NULL;
	r = path != NULL ? cs_p11_module_load(ctx, path, reserved, &m) :
	    cs_p11_module_load_name(ctx, name, &m);
	if (r != 0)
		return r;
	r = find_in_module(ctx, m, uri, out);
	/* The token keeps the module alive through the module's cache. */
	cs_p11_module_unref(m);
	return r;
}

int
cs_p11_token_open(certseal_ctx *ctx, const struct cs_p11_uri *uri,
    struct cs_p11_token **out)
{
	struct cs_p11_token *tok = NULL;
	const char *path, *name;
	char **mods = NULL, **resv = NULL;
	size_t i;
	int r = CERTSEAL_E_INTERNAL, hard = 0;

	*out = NULL;
	path = cs_p11_uri_module_path(uri);
	name = cs_p11_uri_module_name(uri);
	cs_p11_lock();
	if (path != NULL || name != NULL) {
		if ((r = try_module(ctx, path,
		    cs_p11_uri_init_reserved(uri), name, uri, &tok)) < 0)
			goto out;
		if (r == 0) {
			r = cs_error(ctx, CERTSEAL_E_TOKEN_ABSENT, "no token "
			    "matching the URI in module '%s' (token absent: "
			    "insert it or check the label)",
			    path != NULL ? path : name);
			goto out;
		}
	} else {
		if ((r = cs_p11_registered_modules(ctx, &mods, &resv)) != 0)
			goto out;
		/*
		 * Modules are initialised one at a time and the search stops
		 * at the first match, so unrelated modules are touched only
		 * when the token was not found before them.  A module that
		 * fails to load is skipped, but remembered for the message.
		 */
		for (i = 0, r = 0; mods[i] != NULL && r != 1; i++) {
			r = try_module(ctx, mods[i], resv[i], NULL, uri,
			    &tok);
			if (r < 0) {
				hard = r;
				r = 0;
			}
		}
		if (r != 1) {
			r = cs_error(ctx, CERTSEAL_E_TOKEN_ABSENT, "no token "
			    "matching the URI in p11-kit's registered modules"
			    "%s (token absent: insert it or check the label, "
			    "or give module-path)", hard ? ", some of which "
			    "failed to load" : "");
			goto out;
		}
	}
	{
		CK_SESSION_HANDLE h;

		if ((r = cs_p11_token_session(ctx, tok, &h)) != 0)
			goto out;
	}
	*out = tok;
	tok = NULL;
	r = 0; /* success */
 out:
	if (tok != NULL)
		tok->refs--;
	cs_p11_unlock();
	cs_p11_strv_free(mods);
	cs_p11_strv_free(resv);
	return r;
}

struct cs_p11_token *
cs_p11_token_ref(struct cs_p11_token *tok)
{
	cs_p11_lock();
	tok->refs++;
	cs_p11_unlock();
	return tok;
}

/*
 * The last reference keeps the token, its session and its login cached in
 * the module: the next context gets them back for free.
 */
void
cs_p11_token_unref(struct cs_p11_token *tok)
{
	if (tok == NULL)
		return;
	cs_p11_lock();
	if (tok->refs > 0)
		tok->refs--;
	cs_p11_unlock();
}

void
cs_p11_tokens_forget(struct cs_p11_token *list)
{
	for (; list != NULL; list = list->next) {
		list->has_session = 0;
		list->logged_in = 0;
	}
}

int
cs_p11_tokens_busy(const struct cs_p11_token *list)
{
	for (; list != NULL; list = list->next)
		if (list->refs > 0)
			return 1;
	return 0;
}

void
cs_p11_tokens_free(struct cs_p11_token *list, int close_sessions)
{
	struct cs_p11_token *next;

	for (; list != NULL; list = next) {
		next = list->next;
		if (close_sessions && list->has_session)
			cs_p11_module_fl(list->module)->C_CloseSession(
			    list->session);
		free(list->caps);
		free(list->pin_source);
		if (list->pin_value != NULL)
			OPENSSL_clear_free(list->pin_value,
			    strlen(list->pin_value));
		OPENSSL_cleanse(list, sizeof(*list));
		free(list);
	}
}

int
cs_p11_token_take_found_flags(struct cs_p11_token *tok, CK_FLAGS *flags)
{
	int had = tok->has_found_flags;

	*flags = tok->found_flags;
	tok->has_found_flags = 0;
	return had;
}

int
cs_p11_token_oaep_refused(const struct cs_p11_token *tok,
    CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, int label)
{
	size_t i;

	for (i = 0; i < tok->noaep_refused; i++)
		if (tok->oaep_refused[i].hash == hash &&
		    tok->oaep_refused[i].mgf == mgf &&
		    tok->oaep_refused[i].label == label)
			return 1;
	return 0;
}

void
cs_p11_token_set_oaep_refused(struct cs_p11_token *tok,
    CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, int label)
{
	size_t i = tok->noaep_refused;

	if (cs_p11_token_oaep_refused(tok, hash, mgf, label))
		return;
	/* Full: the oldest goes (it will be refused, and noted, again). */
	if (i == CS_P11_OAEP_REFUSED_MAX) {
		memmove(tok->oaep_refused, tok->oaep_refused + 1,
		    (i - 1) * sizeof(tok->oaep_refused[0]));
		i--;
	}
	tok->oaep_refused[i].hash = hash;
	tok->oaep_refused[i].mgf = mgf;
	tok->oaep_refused[i].label = label;
	tok->noaep_refused = i + 1;
}

struct cs_p11_caps **
cs_p11_token_caps_slot(struct cs_p11_token *tok)
{
	return &tok->caps;
}

void
cs_p11_token_set_pin_source(struct cs_p11_token *tok, const char *source,
    const char *value)
{
	free(tok->pin_source);
	if (tok->pin_value != NULL)
		OPENSSL_clear_free(tok->pin_value, strlen(tok->pin_value));
	/* Out of memory: the context-specific login will find no PIN. */
	tok->pin_source = source != NULL ? strdup(source) : NULL;
	tok->pin_value = value != NULL ? OPENSSL_strdup(value) : NULL;
}

const char *
cs_p11_token_pin_source(const struct cs_p11_token *tok)
{
	return tok->pin_source;
}

const char *
cs_p11_token_pin_value(const struct cs_p11_token *tok)
{
	return tok->pin_value;
}

void
cs_p11_token_set_logged_in(struct cs_p11_token *tok)
{
	tok->logged_in = 1;
	tok->has_refused = 0;
	OPENSSL_cleanse(tok->refused_pin, sizeof(tok->refused_pin));
}

static int
pin_digest(const unsigned char *salt, size_t saltlen, const uint8_t *pin,
    size_t pinlen, unsigned char out[32])
{
	EVP_MD_CTX *md;
	int ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, salt, saltlen) &&
	    EVP_DigestUpdate(md, pin, pinlen) &&
	    EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	return ok;
}

void
cs_p11_token_set_refused(struct cs_p11_token *tok, const uint8_t *pin,
    size_t pinlen)
{
	tok->has_refused = RAND_bytes(tok->refused_salt,
	    sizeof(tok->refused_salt)) == 1 &&
	    pin_digest(tok->refused_salt, sizeof(tok->refused_salt), pin,
	    pinlen, tok->refused_pin);
	ERR_clear_error();
}

int
cs_p11_token_pin_refused(const struct cs_p11_token *tok, const uint8_t *pin,
    size_t pinlen)
{
	unsigned char d[32];
	int same;

	if (!tok->has_refused)
		return 0;
	same = pin_digest(tok->refused_salt, sizeof(tok->refused_salt), pin,
	    pinlen, d) && CRYPTO_memcmp(d, tok->refused_pin, sizeof(d)) == 0;
	OPENSSL_cleanse(d, sizeof(d));
	ERR_clear_error();
	return same;
}

int
cs_p11_token_logged_in(const struct cs_p11_token *tok)
{
	return tok->logged_in && tok->has_session &&
	    tok->module_gen == cs_p11_module_generation(tok->module);
}

struct cs_p11_module *
cs_p11_token_module(const struct cs_p11_token *tok)
{
	return tok->module;
}

CK_FUNCTION_LIST *
cs_p11_token_fl(const struct cs_p11_token *tok)
{
	return cs_p11_module_fl(tok->module);
}

const char *
cs_p11_token_label(const struct cs_p11_token *tok)
{
	return tok->label;
}

const char *
cs_p11_token_serial(const struct cs_p11_token *tok)
{
	return tok->serial;
}

const char *
cs_p11_token_model(const struct cs_p11_token *tok)
{
	return tok->model;
}

const char *
cs_p11_token_manufacturer(const struct cs_p11_token *tok)
{
	return tok->manufacturer;
}

CK_SLOT_ID
cs_p11_token_slot(const struct cs_p11_token *tok)
{
	return tok->slot;
}

unsigned int
cs_p11_token_generation(const struct cs_p11_token *tok)
{
	return tok->generation;
}
