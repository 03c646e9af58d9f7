/*
 * p11-uri.c - RFC 7512 pkcs11: URIs through p11-kit, plus the checks
 * p11-kit does not make: p11-kit silently keeps unknown query attributes
 * and marks URIs with unknown path attributes "unrecognized" (after which
 * nothing matches), so every attribute name is checked here and an unknown
 * one is a usage error that names it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <p11-kit/uri.h>

#include "p11.h"
#include "p11-kit-dl.h"

struct cs_p11_uri {
	P11KitUri	*kit;
	char		*object;	/* CKA_LABEL as a C string, or NULL */
};

static const char *const path_attrs[] = {
	"token", "manufacturer", "serial", "model", "library-manufacturer",
	"library-description", "library-version", "object", "type", "id",
	"slot-description", "slot-manufacturer", "slot-id", NULL,
};

static const char *const query_attrs[] = {
	"pin-source", "pin-value", "module-name", "module-path",
	"x-init-reserved", NULL,
};

static int
known(const char *const *list, const char *name, size_t len)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && strncmp(*list, name, len) == 0)
			return 1;
	return 0;
}

/* Whether the attribute name (p, len) occurs in "a=b;c=d" before p. */
static int
seen_before(const char *start, const char *p, size_t len, char sep)
{
	const char *a = start;

	while (a < p) {
		if (strncmp(a, p, len) == 0 && a[len] == '=')
			return 1;
		if ((a = memchr(a, sep, (size_t)(p - a))) == NULL)
			return 0;
		a++;
	}
	return 0;
}

/*
 * Checks the names in "a=b;c=d" (sep ';') or "a=b&c=d" (sep '&') between
 * p and end: each known, and none twice - RFC 7512 forbids it in the path,
 * p11-kit keeps the last one (so a message showing the URI would name the
 * other), and a query with two PINs or modules means two things.
 */
static int
check_names(certseal_ctx *ctx, const char *uri, const char *p,
    const char *end, char sep, const char *const *list, const char *where)
{
	const char *start = p, *q, *eq;
	size_t len;

	while (p < end) {
		q = memchr(p, sep, (size_t)(end - p));
		if (q == NULL)
			q = end;
		if (q > p) {
			eq = memchr(p, '=', (size_t)(q - p));
			len = (size_t)((eq != NULL ? eq : q) - p);
			if (eq == NULL || !known(list, p, len)) {
				return cs_error(ctx, CERTSEAL_E_BAD_URI,
				    "%s: unknown %s attribute '%.*s' (RFC 7512 "
				    "and certseal know %s)", uri, where,
				    (int)(len > 64 ? 64 : len), p,
				    list == path_attrs ? "token, serial, "
				    "manufacturer, model, object, type, id, ..."
				    : "module-path, module-name, pin-source, "
				    "pin-value, x-init-reserved");
			}
			if (seen_before(start, p, len, sep))
				return cs_error(ctx, CERTSEAL_E_BAD_URI,
				    "%s: %s attribute '%.*s' given twice: give "
				    "it once", uri, where, (int)len, p);
		}
		p = q + 1;
	}
	return 0;
}

/* The label attribute is not NUL-terminated; keep a C string copy. */
static int
copy_object(certseal_ctx *ctx, const char *uri, struct cs_p11_uri *u)
{
	CK_ATTRIBUTE *a;

	a = cs_p11kit.uri_get_attribute(u->kit, CKA_LABEL);
	if (a == NULL || a->pValue == NULL)
		return 0;
	if (a->ulValueLen > 128 || memchr(a->pValue, '\0', a->ulValueLen))
		return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: object label "
		    "too long or containing NUL", uri);
	if ((u->object = strndup(a->pValue, a->ulValueLen)) == NULL)
		return cs_nomem(ctx);
	return 0;
}

int
cs_p11_uri_parse(certseal_ctx *ctx, const char *uri, struct cs_p11_uri **out)
{
	struct cs_p11_uri *u = NULL;
	const char *body, *query, *end;
	int r = CERTSEAL_E_INTERNAL, kr;

	*out = NULL;
	if (strncasecmp(uri, "pkcs11:", 7) != 0) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI,
		    "%s: not a pkcs11: URI", uri);
		goto out;
	}
	if (strlen(uri) > 8192) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI,
		    "pkcs11: URI longer than 8192 characters");
		goto out;
	}
	body = uri + 7;
	end = body + strlen(body);
	query = strchr(body, '?');
	if ((r = check_names(ctx, uri, body, query ? query : end, ';',
	    path_attrs, "path")) != 0)
		goto out;
	if (query != NULL && (r = check_names(ctx, uri, query + 1, end, '&',
	    query_attrs, "query")) != 0)
		goto out;
	if ((r = cs_p11kit_load(ctx)) != 0)
		goto out;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->kit = cs_p11kit.uri_new()) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	/* Narrower flags drop the token part and then nothing matches. */
	kr = cs_p11kit.uri_parse(uri, P11_KIT_URI_FOR_ANY, u->kit);
	if (kr != P11_KIT_URI_OK) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: %s", uri,
		    cs_p11kit.uri_message(kr) ? cs_p11kit.uri_message(kr) :
		    "invalid pkcs11: URI");
		goto out;
	}
	if (cs_p11kit.uri_any_unrecognized(u->kit)) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI,
		    "%s: attribute values p11-kit does not recognize", uri);
		goto out;
	}
	if ((r = copy_object(ctx, uri, u)) != 0)
		goto out;
	if (cs_p11_uri_init_reserved(u) != NULL &&
	    cs_p11_uri_module_path(u) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: x-init-reserved "
		    "needs module-path (with module-name, the module's p11-kit "
		    "configuration gives it)", uri);
		goto out;
	}
	if (cs_p11_uri_module_path(u) != NULL &&
	    cs_p11_uri_module_name(u) != NULL) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: give module-path "
		    "or module-name, not both", uri);
		goto out;
	}
	*out = u;
	u = NULL;
	r = 0; /* success */
 out:
	cs_p11_uri_free(u);
	return r;
}

void
cs_p11_uri_free(struct cs_p11_uri *u)
{
	if (u == NULL)
		return;
	if (u->kit != NULL)
		cs_p11kit.uri_free(u->kit);
	free(u->object);
	free(u);
}

int
cs_p11_uri_match_token(const struct cs_p11_uri *u, const CK_TOKEN_INFO *info)
{
	return cs_p11kit.uri_match_token_info(u->kit, (CK_TOKEN_INFO *)info);
}

/* p11-kit returns "" for some absent values; absent means NULL here. */
static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

const char *
cs_p11_uri_module_path(const struct cs_p11_uri *u)
{
	return nonempty(cs_p11kit.uri_get_module_path(u->kit));
}

const char *
cs_p11_uri_module_name(const struct cs_p11_uri *u)
{
	return nonempty(cs_p11kit.uri_get_module_name(u->kit));
}

const char *
cs_p11_uri_pin_source(const struct cs_p11_uri *u)
{
	return nonempty(cs_p11kit.uri_get_pin_source(u->kit));
}

const char *
cs_p11_uri_pin_value(const struct cs_p11_uri *u)
{
	return cs_p11kit.uri_get_pin_value(u->kit);
}

const char *
cs_p11_uri_init_reserved(const struct cs_p11_uri *u)
{
	return nonempty(cs_p11kit.uri_get_vendor_query(u->kit,
	    "x-init-reserved"));
}

const uint8_t *
cs_p11_uri_id(const struct cs_p11_uri *u, size_t *lenp)
{
	CK_ATTRIBUTE *a;

	*lenp = 0;
	a = cs_p11kit.uri_get_attribute(u->kit, CKA_ID);
	if (a == NULL || a->pValue == NULL)
		return NULL;
	*lenp = a->ulValueLen;
	return a->pValue;
}

const char *
cs_p11_uri_object(const struct cs_p11_uri *u)
{
	return u->object;
}

CK_OBJECT_CLASS
cs_p11_uri_class(const struct cs_p11_uri *u)
{
	CK_ATTRIBUTE *a;
	CK_OBJECT_CLASS c;

	a = cs_p11kit.uri_get_attribute(u->kit, CKA_CLASS);
	if (a == NULL || a->pValue == NULL || a->ulValueLen != sizeof(c))
		return (CK_OBJECT_CLASS)-1;
	memcpy(&c, a->pValue, sizeof(c));
	return c;
}
