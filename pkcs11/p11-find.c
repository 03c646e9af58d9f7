/*
 * p11-find.c - finding objects on a token and reading their public
 * attributes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "p11.h"

/* A token with more objects than this is not one we search exhaustively. */
#define FIND_MAX	4096
#define FIND_BATCH	64

static unsigned long find_calls, cert_parses;

unsigned long
cs_p11_find_calls(void)
{
	return find_calls;
}

unsigned long
cs_p11_cert_parses(void)
{
	return cert_parses;
}

static void
object_attrs(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE h,
    struct cs_p11_object *o)
{
	CK_BBOOL always = CK_FALSE;
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &o->klass, sizeof(o->klass) },
		{ CKA_ID, o->id, sizeof(o->id) },
		{ CKA_LABEL, o->label, sizeof(o->label) - 1 },
		{ CKA_KEY_TYPE, &o->key_type, sizeof(o->key_type) },
		/* In the same call: knowing costs no extra round trip. */
		{ CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always) },
	};
	CK_ULONG i;

	/*
	 * Attributes that do not apply (CKA_KEY_TYPE of a certificate) or do
	 * not fit come back as CK_UNAVAILABLE_INFORMATION; treat them as
	 * absent.  Only public attributes are asked for.
	 */
	fl->C_GetAttributeValue(h, o->handle, a, 5);
	for (i = 0; i < 5; i++) {
		if (a[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			a[i].ulValueLen = 0;
	}
	if (a[0].ulValueLen == 0)
		o->klass = (CK_OBJECT_CLASS)-1;
	o->idlen = a[1].ulValueLen;
	o->label[a[2].ulValueLen] = '\0';
	if (a[3].ulValueLen == 0)
		o->key_type = (CK_KEY_TYPE)-1;
	o->always_auth = a[4].ulValueLen == sizeof(always) && always;
}

/*
 * cs_p11_find's work; with_attrs 0 leaves the objects' attributes to the
 * caller (cs_p11_certs reads them with the certificate, in one call).
 */
static int
find(certseal_ctx *ctx, struct cs_p11_token *tok, CK_OBJECT_CLASS klass,
    const uint8_t *id, size_t idlen, const char *label, int with_attrs,
    struct cs_p11_object **out, size_t *np)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_ATTRIBUTE tmpl[3];
	CK_OBJECT_HANDLE batch[FIND_BATCH];
	struct cs_p11_object *objs = NULL, *grown;
	CK_SESSION_HANDLE h;
	CK_ULONG nt = 0, got, i;
	size_t n = 0;
	CK_RV rv;
	int r = CERTSEAL_E_INTERNAL, active = 0;

	*out = NULL;
	*np = 0;
	if (klass != (CK_OBJECT_CLASS)-1) {
		tmpl[nt].type = CKA_CLASS;
		tmpl[nt].pValue = &klass;
		tmpl[nt++].ulValueLen = sizeof(klass);
	}
	if (id != NULL) {
		tmpl[nt].type = CKA_ID;
		tmpl[nt].pValue = (void *)id;
		tmpl[nt++].ulValueLen = idlen;
	}
	if (label != NULL) {
		tmpl[nt].type = CKA_LABEL;
		tmpl[nt].pValue = (void *)label;
		tmpl[nt++].ulValueLen = strlen(label);
	}
	cs_p11_lock();
	find_calls++;
	if ((r = cs_p11_token_session(ctx, tok, &h)) != 0)
		goto out;
	if ((rv = fl->C_FindObjectsInit(h, tmpl, nt)) != CKR_OK) {
		r = cs_p11_error(ctx, rv, "token '%s': C_FindObjectsInit",
		    cs_p11_token_label(tok));
		goto out;
	}
	active = 1;
	for (;;) {
		if ((rv = fl->C_FindObjects(h, batch, FIND_BATCH, &got)) !=
		    CKR_OK) {
			r = cs_p11_error(ctx, rv, "token '%s': C_FindObjects",
			    cs_p11_token_label(tok));
			goto out;
		}
		if (got == 0)
			break;
		if (n + got > FIND_MAX) {
			r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "token '%s': "
			    "more than %d matching objects",
			    cs_p11_token_label(tok), FIND_MAX);
			goto out;
		}
		if ((grown = reallocarray(objs, n + got, sizeof(*objs))) ==
		    NULL) {
			r = cs_nomem(ctx);
			goto out;
		}
		objs = grown;
		for (i = 0; i < got; i++) {
			memset(&objs[n], 0, sizeof(objs[n]));
			objs[n++].handle = batch[i];
		}
	}
	fl->C_FindObjectsFinal(h);
	active = 0;
	for (i = 0; with_attrs && i < n; i++)
		object_attrs(fl, h, &objs[i]);
	*out = objs;
	*np = n;
	objs = NULL;
	r = 0; /* success */
 out:
	if (active)
		fl->C_FindObjectsFinal(h);
	cs_p11_unlock();
	free(objs);
	return r;
}

int
cs_p11_find(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_OBJECT_CLASS klass, const uint8_t *id, size_t idlen,
    const char *label, struct cs_p11_object **out, size_t *np)
{
	return find(ctx, tok, klass, id, idlen, label, 1, out, np);
}

/*
 * Most public values (a certificate, a modulus) fit this; one call reads
 * them.  Longer ones take a second call that asks for the length first.
 */
#define ATTR_GUESS	4096

int
cs_p11_get_attr(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, uint8_t **out,
    size_t *lenp)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_ATTRIBUTE a = { type, NULL, ATTR_GUESS };
	CK_SESSION_HANDLE h;
	uint8_t *buf = NULL;
	CK_RV rv;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	*lenp = 0;
	cs_p11_lock();
	if ((r = cs_p11_token_session(ctx, tok, &h)) != 0)
		goto out;
	if ((buf = malloc(ATTR_GUESS + 1)) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	a.pValue = buf;
	rv = fl->C_GetAttributeValue(h, obj, &a, 1);
	if (rv == CKR_BUFFER_TOO_SMALL) {
		free(buf);
		buf = NULL;
		a.pValue = NULL;
		a.ulValueLen = 0;
		rv = fl->C_GetAttributeValue(h, obj, &a, 1);
		if (rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION &&
		    a.ulValueLen <= CS_P11_VALUE_MAX) {
			if ((buf = malloc(a.ulValueLen + 1)) == NULL) {
				r = cs_nomem(ctx);
				goto out;
			}
			a.pValue = buf;
			rv = fl->C_GetAttributeValue(h, obj, &a, 1);
		}
	}
	if (rv != CKR_OK) {
		r = cs_p11_error(ctx, rv, "token '%s': reading attribute "
		    "0x%lx of object %lu", cs_p11_token_label(tok),
		    (unsigned long)type, (unsigned long)obj);
		goto out;
	}
	if (a.pValue == NULL || a.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	    a.ulValueLen > CS_P11_VALUE_MAX) {
		r = cs_error(ctx, CERTSEAL_E_TOKEN, "token '%s': attribute "
		    "0x%lx of object %lu unavailable or too large",
		    cs_p11_token_label(tok), (unsigned long)type,
		    (unsigned long)obj);
		goto out;
	}
	*out = buf;
	*lenp = a.ulValueLen;
	buf = NULL;
	r = 0; /* success */
 out:
	cs_p11_unlock();
	free(buf);
	return r;
}

int
cs_p11_get_bool(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, int *out)
{
	uint8_t *v = NULL;
	size_t len;
	int r;

	*out = 0;
	if ((r = cs_p11_get_attr(ctx, tok, obj, type, &v, &len)) != 0)
		return r;
	*out = len == sizeof(CK_BBOOL) && v[0] != CK_FALSE;
	free(v);
	return 0;
}

/*
 * A certificate object's CKA_CLASS, CKA_ID and CKA_LABEL and its
 * CKA_VALUE in one C_GetAttributeValue: on SoftHSM2's file back end every
 * call re-reads and decrypts the object's file under a lock, and a listing
 * asked twice per certificate.  Only when that call does not answer all
 * four (a value over ATTR_GUESS bytes, a module refusing one of them) are
 * they read as before: object_attrs, then cs_p11_get_attr, whose errors
 * say what failed.  *der: malloc'ed value.
 */
static int
cert_attrs(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_object *o, uint8_t **der, size_t *lenp)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	CK_SESSION_HANDLE h;
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &o->klass, sizeof(o->klass) },
		{ CKA_ID, o->id, sizeof(o->id) },
		{ CKA_LABEL, o->label, sizeof(o->label) - 1 },
		{ CKA_VALUE, NULL, ATTR_GUESS },
	};
	uint8_t *buf;
	CK_ULONG i;
	CK_RV rv;
	int r;

	*der = NULL;
	*lenp = 0;
	if ((buf = malloc(ATTR_GUESS + 1)) == NULL)
		return cs_nomem(ctx);
	a[3].pValue = buf;
	cs_p11_lock();
	if ((r = cs_p11_token_session(ctx, tok, &h)) != 0) {
		cs_p11_unlock();
		free(buf);
		return r;
	}
	rv = fl->C_GetAttributeValue(h, o->handle, a, 4);
	if (rv == CKR_OK) {
		for (i = 0; i < 4; i++)
			if (a[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
				rv = CKR_GENERAL_ERROR;
	}
	if (rv != CKR_OK) {
		/* The path of old, one attribute set at a time. */
		object_attrs(fl, h, o);
		cs_p11_unlock();
		free(buf);
		return cs_p11_get_attr(ctx, tok, o->handle, CKA_VALUE, der,
		    lenp);
	}
	cs_p11_unlock();
	o->key_type = (CK_KEY_TYPE)-1;
	o->idlen = a[1].ulValueLen;
	o->label[a[2].ulValueLen] = '\0';
	o->always_auth = 0;
	*der = buf;
	*lenp = a[3].ulValueLen;
	return 0;
}

int
cs_p11_cert_values(certseal_ctx *ctx, struct cs_p11_token *tok,
    const uint8_t *id, size_t idlen, const char *label,
    struct cs_p11_cert **out, size_t *np)
{
	struct cs_p11_object *objs = NULL;
	struct cs_p11_cert *certs = NULL;
	size_t n = 0, i;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	*np = 0;
	if ((r = find(ctx, tok, CKO_CERTIFICATE, id, idlen, label, 0, &objs,
	    &n)) != 0)
		goto out;
	if (n > 0 && (certs = calloc(n, sizeof(*certs))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	for (i = 0; i < n; i++) {
		certs[i].obj = objs[i];
		if ((r = cert_attrs(ctx, tok, &certs[i].obj, &certs[i].der,
		    &certs[i].len)) != 0)
			goto out;
	}
	*out = certs;
	*np = n;
	certs = NULL;
	r = 0; /* success */
 out:
	cs_p11_cert_values_free(certs, n);
	free(objs);
	return r;
}

void
cs_p11_cert_values_free(struct cs_p11_cert *certs, size_t n)
{
	size_t i;

	for (i = 0; certs != NULL && i < n; i++) {
		free(certs[i].der);
		X509_free(certs[i].x);
	}
	free(certs);
}

/* The certificate of known encoded as der (len bytes), or NULL. */
static X509 *
known_copy(STACK_OF(X509) *known, const uint8_t *der, size_t len)
{
	unsigned char *enc = NULL;
	X509 *x;
	int i, n;

	for (i = 0; i < sk_X509_num(known); i++) {
		x = sk_X509_value(known, i);
		enc = NULL;
		if ((n = i2d_X509(x, &enc)) > 0 && (size_t)n == len &&
		    memcmp(enc, der, len) == 0) {
			OPENSSL_free(enc);
			return x;
		}
		OPENSSL_free(enc);
	}
	return NULL;
}

X509 *
cs_p11_cert_x509(struct cs_p11_cert *c, STACK_OF(X509) *known)
{
	const unsigned char *p = c->der;
	X509 *x;

	if (c->x != NULL || c->unusable)
		return c->x;
	if ((x = known_copy(known, c->der, c->len)) != NULL &&
	    X509_up_ref(x)) {
		c->x = x;
		return x;
	}
	/* Attribute certificates and garbage are not ours to use. */
	cert_parses++;
	if ((x = d2i_X509(NULL, &p, (long)c->len)) == NULL ||
	    p != c->der + c->len) {
		X509_free(x);
		ERR_clear_error();
		c->unusable = 1;
		return NULL;
	}
	c->x = x;
	return x;
}

int
cs_p11_certs(certseal_ctx *ctx, struct cs_p11_token *tok, const uint8_t *id,
    size_t idlen, const char *label, STACK_OF(X509) **out,
    struct cs_p11_object **objsp)
{
	STACK_OF(X509) *certs = NULL;
	struct cs_p11_object *kept = NULL;
	struct cs_p11_cert *values = NULL;
	const unsigned char *p;
	X509 *x = NULL;
	size_t n = 0, i, nkept = 0;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if (objsp != NULL)
		*objsp = NULL;
	if ((r = cs_p11_cert_values(ctx, tok, id, idlen, label, &values,
	    &n)) != 0)
		goto out;
	if ((certs = sk_X509_new_null()) == NULL ||
	    (n > 0 && (kept = calloc(n, sizeof(*kept))) == NULL)) {
		r = cs_nomem(ctx);
		goto out;
	}
	for (i = 0; i < n; i++) {
		p = values[i].der;
		/* Attribute certificates and garbage are not ours to use. */
		if ((x = d2i_X509(NULL, &p, (long)values[i].len)) == NULL ||
		    p != values[i].der + values[i].len) {
			X509_free(x);
			x = NULL;
			ERR_clear_error();
			continue;
		}
		if (!sk_X509_push(certs, x)) {
			r = cs_nomem(ctx);
			goto out;
		}
		x = NULL;
		kept[nkept++] = values[i].obj;
	}
	*out = certs;
	certs = NULL;
	if (objsp != NULL) {
		*objsp = kept;
		kept = NULL;
	}
	r = 0; /* success */
 out:
	X509_free(x);
	cs_p11_cert_values_free(values, n);
	free(kept);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

int
cs_p11_delete_id(certseal_ctx *ctx, struct cs_p11_token *tok,
    const uint8_t *id, size_t idlen, size_t *ndestroyed)
{
	CK_FUNCTION_LIST *fl = cs_p11_token_fl(tok);
	struct cs_p11_object *objs = NULL;
	CK_SESSION_HANDLE h;
	size_t n = 0, i;
	CK_RV rv;
	int r = CERTSEAL_E_INTERNAL;

	*ndestroyed = 0;
	if (id == NULL || idlen == 0)
		return cs_error(ctx, CERTSEAL_E_USAGE, "refusing to delete "
		    "objects without a CKA_ID");
	if ((r = cs_p11_find(ctx, tok, (CK_OBJECT_CLASS)-1, id, idlen, NULL,
	    &objs, &n)) != 0)
		return r;
	cs_p11_lock();
	if ((r = cs_p11_token_session(ctx, tok, &h)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rv = fl->C_DestroyObject(h, objs[i].handle)) != CKR_OK) {
			r = cs_p11_error(ctx, rv, "token '%s': C_DestroyObject "
			    "of '%s'", cs_p11_token_label(tok),
			    objs[i].label);
			goto out;
		}
		(*ndestroyed)++;
	}
	r = 0; /* success */
 out:
	cs_p11_unlock();
	free(objs);
	return r;
}
