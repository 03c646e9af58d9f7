/*
 * source-file.c - the file: CertificateSource (DESIGN.md section 4): a
 * PKCS#12 bundle, or a PEM key with its certificate, given as
 *
 *	file:/abs/path.p12   file:///abs/path.p12   file:relative/path.pem
 *	...?pin-source=PATH|file:PATH&cert=PATH
 *
 * The file is read on first use and kept for the context's lifetime; a
 * failure (a wrong password above all) is kept too, so that it is never
 * retried behind the user's back.
 */
#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>

#include "file-uri.h"
#include "internal.h"
#include "keyfile.h"
#include "source.h"

struct file_source {
	struct cs_source base;
	char		*path;
	char		*cert_path;
	char		*pin_source;
	int		 loaded;
	struct cs_error_saved load;	/* the first load's outcome */
	struct cs_keyfile *kf;
	struct cs_key	 key;
};

static struct file_source *
file_source(struct cs_source *s)
{
	assert(s->ops == &cs_source_file_ops);
	return (struct file_source *)s;
}

/* Percent-decodes s[0..len) into a new string; NULL on a bad escape. */
static char *
pct_decode(const char *s, size_t len)
{
	char *out, *o;
	size_t i;
	int hi, lo;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < len; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= len) {
			free(out);
			return NULL;
		}
		if ((hi = cs_hex_digit((unsigned char)s[i + 1])) < 0 ||
		    (lo = cs_hex_digit((unsigned char)s[i + 2])) < 0 ||
		    (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

static int
parse_query(certseal_ctx *ctx, struct file_source *fs, const char *uri,
    const char *q)
{
	const char *end, *eq, *path;
	char *value = NULL, **slot;
	size_t klen;

	while (*q != '\0') {
		end = q + strcspn(q, "&;");
		if ((eq = memchr(q, '=', (size_t)(end - q))) == NULL) {
			return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: attribute "
			    "'%.*s' has no value", uri, (int)(end - q), q);
		}
		klen = (size_t)(eq - q);
		if ((value = pct_decode(eq + 1, (size_t)(end - eq - 1))) ==
		    NULL)
			return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: bad "
			    "percent-encoding in '%.*s'", uri, (int)klen, q);
		if (*value == '\0') {
			free(value);
			return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: '%.*s' "
			    "is empty", uri, (int)klen, q);
		}
		if (klen == 10 && strncmp(q, "pin-source", klen) == 0)
			slot = &fs->pin_source;
		else if (klen == 4 && strncmp(q, "cert", klen) == 0)
			slot = &fs->cert_path;
		else {
			free(value);
			return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: unknown "
			    "attribute '%.*s' (file: takes pin-source and "
			    "cert)", uri, (int)klen, q);
		}
		/* Both name local files, with or without file: (RFC 8089). */
		if ((path = cs_file_uri_path(value)) == NULL || *path == '\0') {
			free(value);
			return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: '%.*s' "
			    "is not a local file", uri, (int)klen, q);
		}
		/* Two of one: which the user meant is anybody's guess. */
		if (*slot != NULL) {
			free(value);
			return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: '%.*s' "
			    "given twice", uri, (int)klen, q);
		}
		/* cs_pin_get reads a pin-source as given; cert is a path. */
		if (slot == &fs->cert_path)
			memmove(value, path, strlen(path) + 1);
		*slot = value;
		q = *end != '\0' ? end + 1 : end;
	}
	return 0;
}

static void file_free(struct cs_source *src);

static int
file_new(certseal_ctx *ctx, const char *uri, struct cs_source **out)
{
	struct file_source *fs = NULL;
	const char *p, *qm, *shown;
	size_t plen;
	int r;

	*out = NULL;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return cs_nomem(ctx);
	if ((r = cs_source_init(&fs->base, &cs_source_file_ops, ctx,
	    uri)) != 0) {
		free(fs);
		return r;
	}
	/* Messages use the redacted form: a pin-value never shows. */
	shown = fs->base.display_uri;
	if (strncasecmp(uri, "file:", 5) != 0) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI, "'%s' is not a file: "
		    "URI", shown);
		goto out;
	}
	if ((p = cs_file_uri_path(uri)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: only local "
		    "files are supported (file:///path)", shown);
		goto out;
	}
	qm = strchr(p, '?');
	plen = qm != NULL ? (size_t)(qm - p) : strlen(p);
	if (plen == 0) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: no file name; use "
		    "file:/path/to/client.p12", shown);
		goto out;
	}
	if ((fs->path = pct_decode(p, plen)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: bad "
		    "percent-encoding in the path", shown);
		goto out;
	}
	if (qm != NULL && (r = parse_query(ctx, fs, shown, qm + 1)) != 0)
		goto out;
	*out = &fs->base;
	fs = NULL;
	r = 0; /* success */
 out:
	if (fs != NULL)
		file_free(&fs->base);
	return r;
}

static void
file_free(struct cs_source *src)
{
	struct file_source *fs;

	if (src == NULL)
		return;
	fs = file_source(src);
	cs_keyfile_free(fs->kf);
	free(fs->path);
	free(fs->cert_path);
	free(fs->pin_source);
	cs_source_release(src);
	free(fs);
}

/* Loads the key file once; later calls repeat the first outcome. */
static int
file_load(struct file_source *fs)
{
	certseal_ctx *ctx = fs->base.ctx;
	int r;

	if (fs->loaded)
		return cs_error_restore(ctx, &fs->load);
	fs->loaded = 1;
	if ((r = cs_keyfile_load(ctx, fs->path, fs->cert_path,
	    fs->pin_source, &fs->kf)) != 0) {
		cs_error_save(ctx, r, &fs->load);
		return r;
	}
	fs->key.pkey = fs->kf->pkey;
	fs->key.cert = fs->kf->cert;
	fs->key.label = fs->path;
	cs_key_set_keyid(&fs->key);
	return 0;
}

static int
file_find_key(struct cs_source *src, const struct cs_recipient_id *id,
    const struct cs_key **out)
{
	struct file_source *fs = file_source(src);
	int r;

	*out = NULL;
	if ((r = file_load(fs)) != 0)
		return r;
	if (!cs_recipient_id_matches(id, fs->kf->cert))
		return CERTSEAL_E_NO_KEY;
	*out = &fs->key;
	return 0;
}

static int
file_trusted_signers(struct cs_source *src, STACK_OF(X509) *into)
{
	struct file_source *fs = file_source(src);
	X509 *x;
	int i, r;

	if ((r = file_load(fs)) != 0)
		return r;
	for (i = 0; i < sk_X509_num(fs->kf->extra); i++) {
		x = sk_X509_value(fs->kf->extra, i);
		/* Never the bundle's own key (keyfile.c drops it already). */
		if (cs_cert_has_key(x, fs->kf->pkey))
			continue;
		if (cs_x509_push_ref(into, x) != 0)
			return cs_nomem(src->ctx);
	}
	return 0;
}

static int
file_signer_key(struct cs_source *src, const struct cs_key **out)
{
	struct file_source *fs = file_source(src);
	int r;

	*out = NULL;
	if ((r = file_load(fs)) != 0)
		return r;
	*out = &fs->key;
	return 0;
}

/* The one decryption key a file holds: its certificate. */
static int
file_list_keys(struct cs_source *src, STACK_OF(X509) *into)
{
	struct file_source *fs = file_source(src);
	int r;

	if ((r = file_load(fs)) != 0)
		return r;
	if (!X509_up_ref(fs->kf->cert))
		return CERTSEAL_E_INTERNAL;
	if (!sk_X509_push(into, fs->kf->cert)) {
		X509_free(fs->kf->cert);
		return cs_nomem(src->ctx);
	}
	return 0;
}

static int
file_describe(struct cs_source *src, json_t **out)
{
	struct file_source *fs = file_source(src);
	json_t *o = NULL, *signers, *keys, *c;
	int i, r;

	*out = NULL;
	if ((o = json_pack("{s:s}", "path", fs->path)) == NULL)
		return CERTSEAL_E_NOMEM;
	if ((r = file_load(fs)) != 0) {
		json_object_set_new(o, "error",
		    json_string(certseal_ctx_last_error(src->ctx)));
		*out = o;
		return 0;
	}
	if ((keys = json_array()) == NULL ||
	    json_object_set_new(o, "keys", keys) != 0 ||
	    (c = cs_source_cert_json(fs->kf->cert)) == NULL ||
	    json_array_append_new(keys, c) != 0)
		goto nomem;
	json_object_set_new(c, "key_id", json_string(fs->key.keyid_hex));
	json_object_set_new(c, "key_type",
	    json_string(EVP_PKEY_get0_type_name(fs->key.pkey) != NULL ?
	    EVP_PKEY_get0_type_name(fs->key.pkey) : "unknown"));
	if ((signers = json_array()) == NULL ||
	    json_object_set_new(o, "trusted_signers", signers) != 0)
		goto nomem;
	for (i = 0; i < sk_X509_num(fs->kf->extra); i++) {
		if ((c = cs_source_cert_json(sk_X509_value(fs->kf->extra,
		    i))) == NULL || json_array_append_new(signers, c) != 0)
			goto nomem;
	}
	*out = o;
	return 0;
 nomem:
	json_decref(o);
	return cs_nomem(src->ctx);
}

const struct cs_source_ops cs_source_file_ops = {
	.scheme = "file",
	.new = file_new,
	.free = file_free,
	.find_key = file_find_key,
	.trusted_signers = file_trusted_signers,
	.signer_key = file_signer_key,
	.list_keys = file_list_keys,
	.describe = file_describe,
};
