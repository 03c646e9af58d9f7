/*
 * source-registry.c - the one list of CertificateSource schemes, and the
 * wrappers through which everyone else calls a provider.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "source.h"

static const struct cs_source_ops *const registry[] = {
	&cs_source_pkcs11_ops,
	&cs_source_file_ops,
	&cs_source_store_ops,
};

/*
 * "[LocalMachine]\My" and "[CurrentUser]\My" are the Windows spellings of
 * store:LocalMachine/My; rewrite them so the store provider sees one form.
 */
static int
windows_store_spelling(const char *uri, char **out)
{
	const char *close_br, *name;
	size_t loclen;

	*out = NULL;
	if (uri[0] != '[' || (close_br = strchr(uri, ']')) == NULL)
		return 0;
	loclen = (size_t)(close_br - uri - 1);
	name = close_br + 1;
	if (*name == '\\' || *name == '/')
		name++;
	if (*name == '\0')
		name = "My";
	if (asprintf(out, "store:%.*s/%s", (int)loclen, uri + 1, name) < 0) {
		*out = NULL;
		return CERTSEAL_E_NOMEM;
	}
	return 0;
}

int
cs_source_new(certseal_ctx *ctx, const char *uri, struct cs_source **out)
{
	char *rewritten = NULL;
	const char *colon;
	size_t i, len;
	int r;

	*out = NULL;
	if ((r = windows_store_spelling(uri, &rewritten)) != 0)
		return cs_nomem(ctx);
	if (rewritten != NULL)
		uri = rewritten;
	colon = strchr(uri, ':');
	if (colon == NULL || colon == uri) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI, "'%s' is not a "
		    "CertificateSource URI: expected pkcs11:, file: or store:",
		    uri);
		goto out;
	}
	len = (size_t)(colon - uri);
	for (i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
		if (strlen(registry[i]->scheme) == len &&
		    strncasecmp(registry[i]->scheme, uri, len) == 0) {
			r = registry[i]->new(ctx, uri, out);
			goto out;
		}
	}
	r = cs_error(ctx, CERTSEAL_E_UNSUPPORTED, "'%.*s:' is not a "
	    "CertificateSource scheme: use pkcs11:, file: or store:",
	    (int)len, uri);
 out:
	/* Messages never hold a pin-value: cs_error redacts them. */
	free(rewritten);
	return r;
}

int
cs_source_init(struct cs_source *src, const struct cs_source_ops *ops,
    certseal_ctx *ctx, const char *uri)
{
	src->ops = ops;
	src->ctx = ctx;
	src->hint = NULL;
	if ((src->display_uri = cs_redact(uri)) == NULL)
		return cs_nomem(ctx);
	return 0;
}

void
cs_source_release(struct cs_source *src)
{
	if (src == NULL)
		return;
	free(src->display_uri);
	src->display_uri = NULL;
	free(src->hint);
	src->hint = NULL;
}

void
cs_source_set_hint(struct cs_source *src, const char *fmt, ...)
{
	va_list ap;

	free(src->hint);
	src->hint = NULL;
	va_start(ap, fmt);
	/* Out of memory: no hint, which only makes the message plainer. */
	if (vasprintf(&src->hint, fmt, ap) < 0)
		src->hint = NULL;
	va_end(ap);
}

const char *
cs_source_hint(const struct cs_source *src)
{
	return src->hint;
}

void
cs_source_free(struct cs_source *src)
{
	if (src == NULL)
		return;
	src->ops->free(src);
}

int
cs_source_find_key(struct cs_source *src, const struct cs_recipient_id *id,
    const struct cs_key **out)
{
	*out = NULL;
	free(src->hint);
	src->hint = NULL;
	return src->ops->find_key(src, id, out);
}

int
cs_source_find_each(struct cs_source *src,
    const struct cs_recipient_id *const *ids, size_t n, size_t *which,
    const struct cs_key **out)
{
	size_t i;
	int r;

	*out = NULL;
	*which = 0;
	for (i = 0; i < n; i++) {
		if ((r = cs_source_find_key(src, ids[i], out)) ==
		    CERTSEAL_E_NO_KEY)
			continue;
		*which = i;
		return r;
	}
	return CERTSEAL_E_NO_KEY;
}

int
cs_source_find_first_key(struct cs_source *src,
    const struct cs_recipient_id *const *ids, size_t n, size_t *which,
    const struct cs_key **out)
{
	*out = NULL;
	*which = 0;
	if (src->ops->find_first_key == NULL)
		return cs_source_find_each(src, ids, n, which, out);
	free(src->hint);
	src->hint = NULL;
	return src->ops->find_first_key(src, ids, n, which, out);
}

int
cs_source_trusted_signers(struct cs_source *src, STACK_OF(X509) *into)
{
	return src->ops->trusted_signers(src, into);
}

int
cs_source_trusted_signers_for(struct cs_source *src, STACK_OF(X509) *into,
    const struct cs_signer_query *q)
{
	if (src->ops->trusted_signers_for == NULL)
		return src->ops->trusted_signers(src, into);
	return src->ops->trusted_signers_for(src, into, q);
}

int
cs_source_signer_key(struct cs_source *src, const struct cs_key **out)
{
	*out = NULL;
	if (src->ops->signer_key == NULL)
		return cs_error(src->ctx, CERTSEAL_E_UNSUPPORTED,
		    "%s: this source cannot sign", src->display_uri);
	return src->ops->signer_key(src, out);
}

int
cs_source_describe(struct cs_source *src, json_t **out)
{
	json_t *o = NULL;
	int r, failed;

	*out = NULL;
	if (src->ops->describe == NULL)
		o = json_object();
	else if ((r = src->ops->describe(src, &o)) != 0) {
		/* A source that fails is described as failed, with why. */
		if (r == CERTSEAL_E_NOMEM)
			return r;
		json_decref(o);
		o = json_pack("{s:s}", "error",
		    certseal_ctx_last_error(src->ctx));
		cs_error_clear(src->ctx);
	}
	if (o == NULL)
		return cs_nomem(src->ctx);
	/*
	 * One shape for every scheme (README, certseal(1)): what the
	 * provider did not say is said here, so a consumer reads keys[] and
	 * trusted_signers[] whatever the scheme.
	 */
	failed = json_object_get(o, "error") != NULL;
	if (json_object_set_new(o, "uri",
	    json_string(src->display_uri)) != 0 ||
	    json_object_set_new(o, "scheme", json_string(src->ops->scheme))
	    != 0 || (json_object_get(o, "status") == NULL &&
	    json_object_set_new(o, "status", json_string(failed ? "error" :
	    "ok")) != 0) || (json_object_get(o, "keys") == NULL &&
	    json_object_set_new(o, "keys", json_array()) != 0) ||
	    (json_object_get(o, "trusted_signers") == NULL &&
	    json_object_set_new(o, "trusted_signers", json_array()) != 0)) {
		json_decref(o);
		return cs_nomem(src->ctx);
	}
	*out = o;
	return 0;
}

json_t *
cs_source_cert_json(X509 *x)
{
	char fp[CS_CERT_FP_HEX + 1], when[64], *subject;
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((subject = cs_name_text(X509_get_subject_name(x),
	    CS_NAME_TEXT_MAX)) != NULL) {
		json_object_set_new(o, "subject", json_string(subject));
		free(subject);
	}
	if (cs_asn1_time_text(X509_get0_notAfter(x), when, sizeof(when)) == 0)
		json_object_set_new(o, "not_after", json_string(when));
	if (cs_cert_fingerprint(x, fp) == 0)
		json_object_set_new(o, "sha256", json_string(fp));
	return o;
}

int
cs_source_list_keys(struct cs_source *src, STACK_OF(X509) *into)
{
	if (src->ops->list_keys == NULL)
		return cs_error(src->ctx, CERTSEAL_E_UNSUPPORTED,
		    "%s: this source cannot list its keys", src->display_uri);
	return src->ops->list_keys(src, into);
}

const char *
cs_source_display_uri(const struct cs_source *src)
{
	return src->display_uri;
}

int
cs_source_add_trusted_signer(struct cs_source *src, X509 *cert)
{
	if (src->ops->add_trusted_signer == NULL)
		return CERTSEAL_E_UNSUPPORTED;
	return src->ops->add_trusted_signer(src, cert);
}
