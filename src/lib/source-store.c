/*
 * source-store.c - the store: CertificateSource (DESIGN.md section 4):
 * keys and trusted signers from the local certificate store (store.h).
 *
 * `new` only parses; the store directory is resolved and read on first
 * use.  Keys found are kept for the context's lifetime, so re-opening a
 * configuration does not touch the disk again.  What was not found is not
 * remembered: a bundle imported while an application runs is seen on its
 * next open.
 */
#include "config.h"

#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "source.h"
#include "store.h"
#include "store-int.h"

struct store_source {
	struct cs_source base;
	char		 location[CS_STORE_LOCATION_MAX + 1];
	char		 name[CS_STORE_NAME_MAX + 1];
	struct cs_store_path path;	/* dir NULL until first use */
	struct cs_key	**keys;		/* loaded keys, owned */
	size_t		 nkeys;
	STACK_OF(X509)	*signers;	/* NULL until read */
	/* signers/ as the last query with identifiers named it, under its
	 * digest (a client re-opening its file asks the same again). */
	STACK_OF(X509)	*signers_for;
	unsigned char	 signers_for_key[32];
	/*
	 * The store directory and its keys/, opened at the first lookup of
	 * an open (ctx->open_serial) and kept for its other recipients: a
	 * file sealed to 10 000 clients is looked up with one openat() a
	 * recipient instead of a walk of the whole path each.  The next open
	 * opens them again, so a store replaced meanwhile is seen.
	 */
	int		 storefd, keysfd;
	unsigned long	 fd_serial;
	int		 missing;	/* the store or keys/ is absent */
	int		 empty;		/* -1 unknown, else keys/ is empty */
};

static struct store_source *
store_source(struct cs_source *s)
{
	assert(s->ops == &cs_source_store_ops);
	return (struct store_source *)s;
}

static int
store_new(certseal_ctx *ctx, const char *uri, struct cs_source **out)
{
	struct store_source *ss = NULL;
	int r;

	*out = NULL;
	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return cs_nomem(ctx);
	ss->storefd = ss->keysfd = -1;
	if ((r = cs_source_init(&ss->base, &cs_source_store_ops, ctx,
	    uri)) != 0)
		goto out;
	if ((r = cs_store_uri_parse(ctx, uri, ss->location, ss->name)) != 0)
		goto out;
	*out = &ss->base;
	ss = NULL;
	r = 0; /* success */
 out:
	if (ss != NULL)
		cs_source_free(&ss->base);
	return r;
}

/* What signers/ was read as is stale (a key or signer was added). */
static void
forget_signers(struct store_source *ss)
{
	sk_X509_pop_free(ss->signers, X509_free);
	ss->signers = NULL;
	sk_X509_pop_free(ss->signers_for, X509_free);
	ss->signers_for = NULL;
}

static void
store_free(struct cs_source *src)
{
	struct store_source *ss = store_source(src);
	size_t i;

	for (i = 0; i < ss->nkeys; i++)
		cs_store_key_free(ss->keys[i]);
	free(ss->keys);
	forget_signers(ss);
	cs_store_close(&ss->keysfd);
	cs_store_close(&ss->storefd);
	cs_store_path_release(&ss->path);
	cs_source_release(src);
	free(ss);
}

/* Resolves the directory once: the environment is read at first use. */
static int
store_path(struct store_source *ss)
{
	if (ss->path.dir != NULL)
		return 0;
	return cs_store_path_init(ss->base.ctx, ss->location, ss->name,
	    &ss->path);
}

/* The store's directories for this open (see struct store_source). */
static int
open_dirs(struct store_source *ss)
{
	int r;

	if (ss->fd_serial == ss->base.ctx->open_serial &&
	    (ss->keysfd >= 0 || ss->missing))
		return 0;
	cs_store_close(&ss->keysfd);
	cs_store_close(&ss->storefd);
	ss->missing = 0;
	ss->empty = -1;
	ss->fd_serial = ss->base.ctx->open_serial;
	r = cs_store_open_sub(ss->base.ctx, &ss->path, KEYS_DIR,
	    &ss->storefd, &ss->keysfd);
	if (r == CERTSEAL_E_NOT_FOUND) {
		ss->missing = 1;
		r = 0;
	}
	return r;
}

static const struct cs_key *
cached_key(struct store_source *ss, const struct cs_recipient_id *id)
{
	char hex[CS_STORE_ID_MAX + 1] = "";
	size_t i;
	int len;

	if (id->keyid != NULL) {
		len = ASN1_STRING_length(id->keyid);
		if (len <= 0 || len > CS_STORE_ID_MAX / 2)
			return NULL;
		cs_hex(ASN1_STRING_get0_data(id->keyid), (size_t)len, hex,
		    sizeof(hex));
	}
	for (i = 0; i < ss->nkeys; i++) {
		if (hex[0] != '\0' ? strcmp(ss->keys[i]->keyid_hex, hex) == 0 :
		    cs_recipient_id_matches(id, ss->keys[i]->cert))
			return ss->keys[i];
	}
	return NULL;
}

static int
store_find_key(struct cs_source *src, const struct cs_recipient_id *id,
    const struct cs_key **out)
{
	struct store_source *ss = store_source(src);
	struct cs_key *key = NULL, **grown;
	const struct cs_key *hit;
	int r;

	*out = NULL;
	if ((hit = cached_key(ss, id)) != NULL) {
		*out = hit;
		return 0;
	}
	if ((r = store_path(ss)) != 0 || (r = open_dirs(ss)) != 0)
		goto out;
	if (ss->missing)
		r = CERTSEAL_E_NOT_FOUND;
	else if ((r = cs_store_find_key_at(src->ctx, &ss->path, ss->storefd,
	    ss->keysfd, id, &key)) == CERTSEAL_E_NOT_FOUND) {
		/* Whether keys/ is empty at all: asked once an open. */
		if (ss->empty < 0)
			ss->empty = cs_store_keys_empty(ss->keysfd);
		r = ss->empty ? CERTSEAL_E_NOT_FOUND : CERTSEAL_E_NO_KEY;
	}
	if (r != 0) {
		if (r == CERTSEAL_E_NOT_FOUND) {
			cs_source_set_hint(src, "store %s/%s is empty or "
			    "missing (%s): import a bundle with `certseal store "
			    "import`", ss->location, ss->name, ss->path.dir);
			r = CERTSEAL_E_NO_KEY;
		}
		goto out;
	}
	grown = realloc(ss->keys, (ss->nkeys + 1) * sizeof(*grown));
	if (grown == NULL) {
		r = cs_nomem(src->ctx);
		goto out;
	}
	ss->keys = grown;
	ss->keys[ss->nkeys++] = key;
	*out = key;
	key = NULL;
	/*
	 * A key we had not seen was imported with its bundle's signers:
	 * read signers/ again next time rather than trust a stale list.
	 */
	forget_signers(ss);
	r = 0; /* success */
 out:
	cs_store_key_free(key);
	return r;
}

/*
 * Up to this many recipients are looked up one openat() each; above it,
 * keys/ is listed once and only the recipients it names are opened (a
 * file sealed to 10 000 clients, of which this store holds one).  Few
 * recipients keep the single openat(): a store may hold 10 000 entries
 * that a file sealed to one pair need not list.
 */
#define STORE_LIST_ABOVE	16

/* keys/ listed: the key IDs its entry names spell, sorted. */
struct listing {
	struct listed_id {
		size_t		 len;
		unsigned char	 id[CS_STORE_ID_MAX / 2];
	}		*ids;
	size_t		 n;
};

static int
cmp_listed(const void *a, const void *b)
{
	const struct listed_id *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->id, y->id, x->len);
}

/* Entry names "<hex>.pem" (cs_store_list_names checked them) as bytes. */
static int
list_keys_dir(struct store_source *ss, struct listing *l)
{
	char shown[PATH_MAX], **names = NULL;
	size_t i, n = 0;
	int len, r;

	memset(l, 0, sizeof(*l));
	cs_store_shown(shown, sizeof(shown), &ss->path, KEYS_DIR, NULL);
	if ((r = cs_store_list_names(ss->base.ctx, ss->keysfd, shown, 0,
	    SIZE_MAX, &names, &n)) != 0)
		return r;
	if (n > 0 && (l->ids = calloc(n, sizeof(*l->ids))) == NULL) {
		cs_store_free_names(names, n);
		return cs_nomem(ss->base.ctx);
	}
	for (i = 0; i < n; i++) {
		names[i][strcspn(names[i], ".")] = '\0';
		if ((len = cs_hex_decode(names[i], l->ids[l->n].id,
		    sizeof(l->ids[l->n].id))) > 0)
			l->ids[l->n++].len = (size_t)len;
	}
	cs_store_free_names(names, n);
	qsort(l->ids, l->n, sizeof(*l->ids), cmp_listed);
	return 0;
}

/* 1 when keys/ (as listed) may hold the key of id. */
static int
listed(const struct listing *l, const struct cs_recipient_id *id)
{
	struct listed_id want;
	int len;

	/* issuer and serial: only a pointer file tells; look it up. */
	if (id->keyid == NULL)
		return 1;
	len = ASN1_STRING_length(id->keyid);
	if (len <= 0 || len > CS_STORE_ID_MAX / 2)
		return 0;	/* cannot be in a store */
	want.len = (size_t)len;
	memcpy(want.id, ASN1_STRING_get0_data(id->keyid), want.len);
	return bsearch(&want, l->ids, l->n, sizeof(*l->ids),
	    cmp_listed) != NULL;
}

static int
store_find_first_key(struct cs_source *src,
    const struct cs_recipient_id *const *ids, size_t n, size_t *which,
    const struct cs_key **out)
{
	struct store_source *ss = store_source(src);
	struct listing l;
	size_t i;
	int r;

	*out = NULL;
	*which = 0;
	if (n <= STORE_LIST_ABOVE)
		return cs_source_find_each(src, ids, n, which, out);
	if ((r = store_path(ss)) != 0 || (r = open_dirs(ss)) != 0)
		return r;
	/* Missing: find_key's hint, without a listing. */
	if (ss->missing)
		return cs_source_find_each(src, ids, n, which, out);
	if ((r = list_keys_dir(ss, &l)) != 0)
		return r;
	r = CERTSEAL_E_NO_KEY;
	for (i = 0; i < n && r == CERTSEAL_E_NO_KEY; i++) {
		*which = i;
		/* A key loaded earlier is found whatever the listing. */
		if ((ss->nkeys > 0 && cached_key(ss, ids[i]) != NULL) ||
		    listed(&l, ids[i]))
			r = cs_source_find_key(src, ids[i], out);
	}
	free(l.ids);
	if (r != CERTSEAL_E_NO_KEY)
		return r;
	*which = 0;
	/* The hint a miss of find_key leaves (asked once an open). */
	if (ss->empty < 0)
		ss->empty = cs_store_keys_empty(ss->keysfd);
	if (ss->empty)
		cs_source_set_hint(src, "store %s/%s is empty or missing (%s): "
		    "import a bundle with `certseal store import`",
		    ss->location, ss->name, ss->path.dir);
	return CERTSEAL_E_NO_KEY;
}

/* 1 when cert is for one of the keys this source has loaded. */
static int
holds_key(const struct store_source *ss, X509 *cert)
{
	size_t i;

	for (i = 0; i < ss->nkeys; i++)
		if (cs_cert_has_key(cert, ss->keys[i]->pkey))
			return 1;
	return 0;
}

/*
 * signers/ read through the directories this open already holds, if it
 * opened them (a key was looked up); else, or if they could not be
 * opened, the store's path is walked as for any other reader.
 */
static int
load_signers(struct store_source *ss, const struct cs_signer_query *q,
    STACK_OF(X509) *into)
{
	certseal_ctx *ctx = ss->base.ctx;

	int fresh = ss->fd_serial == ctx->open_serial;

	return cs_store_load_signers_at(ctx, &ss->path, fresh ? ss->storefd :
	    -1, fresh ? ss->keysfd : -1, q, into);
}

/*
 * signers/ as q names it: the whole of it without identifiers (kept in
 * ss->signers, which also answers every query), else the entries q's
 * identifiers name, the others unparsed (kept for the next same query).
 */
static int
signers_for(struct store_source *ss, const struct cs_signer_query *q,
    STACK_OF(X509) **out)
{
	STACK_OF(X509) **slot = &ss->signers;
	unsigned char key[32];
	int whole = q == NULL || q->ids == NULL, r;

	*out = NULL;
	if (!whole && ss->signers == NULL) {
		if (cs_signer_query_digest(q, key) != 0)
			return cs_nomem(ss->base.ctx);
		if (ss->signers_for != NULL && memcmp(key,
		    ss->signers_for_key, sizeof(key)) != 0) {
			sk_X509_pop_free(ss->signers_for, X509_free);
			ss->signers_for = NULL;
		}
		slot = &ss->signers_for;
	}
	if (*slot == NULL) {
		if ((r = store_path(ss)) != 0)
			return r;
		if ((*slot = sk_X509_new_null()) == NULL)
			return cs_nomem(ss->base.ctx);
		if ((r = load_signers(ss, q, *slot)) != 0) {
			sk_X509_pop_free(*slot, X509_free);
			*slot = NULL;
			return r;
		}
		if (slot == &ss->signers_for)
			memcpy(ss->signers_for_key, key, sizeof(key));
	}
	*out = *slot;
	return 0;
}

static int
store_trusted_signers_for(struct cs_source *src, STACK_OF(X509) *into,
    const struct cs_signer_query *q)
{
	struct store_source *ss = store_source(src);
	STACK_OF(X509) *signers;	/* borrowed from ss */
	X509 *cert;
	int i, r;

	if ((r = signers_for(ss, q, &signers)) != 0)
		return r;
	for (i = 0; i < sk_X509_num(signers); i++) {
		cert = sk_X509_value(signers, i);
		/*
		 * A key this store gave out (the one that decrypted the file
		 * among them) is every client's: its certificate, whatever its
		 * bytes, never vouches for a file.
		 */
		if (holds_key(ss, cert))
			continue;
		if (cs_x509_push_ref(into, cert) != 0)
			return cs_nomem(src->ctx);
	}
	return 0;
}

static int
store_trusted_signers(struct cs_source *src, STACK_OF(X509) *into)
{
	return store_trusted_signers_for(src, into, NULL);
}

static int
store_add_trusted_signer(struct cs_source *src, X509 *cert)
{
	struct store_source *ss = store_source(src);
	int r;

	if ((r = store_path(ss)) != 0 ||
	    (r = cs_store_add_signer(src->ctx, &ss->path, cert,
	    "succession")) != 0)
		return r;
	forget_signers(ss);
	return 0;
}

static int
store_list_keys(struct cs_source *src, STACK_OF(X509) *into)
{
	struct store_source *ss = store_source(src);
	int r;

	if ((r = store_path(ss)) != 0)
		return r;
	return cs_store_list_certs(src->ctx, &ss->path, into);
}

/*
 * {"uri", "scheme", "location", "store", "path", "status", "keys",
 * "trusted_signers"}: what `certseal sources` shows.  An unreadable store is
 * described (status "error" and the problem), not an error.
 */
static int
store_describe(struct cs_source *src, json_t **out)
{
	struct store_source *ss = store_source(src);
	json_t *obj = NULL, *list = NULL, *keys = NULL, *signers = NULL, *e;
	json_t *id;
	const char *kind;
	size_t i;
	int r, is_signer;

	*out = NULL;
	if ((obj = json_pack("{s:s, s:s, s:s, s:s}", "uri",
	    src->display_uri, "scheme", "store", "location", ss->location,
	    "store", ss->name)) == NULL || (keys = json_array()) == NULL ||
	    (signers = json_array()) == NULL)
		goto nomem;
	if ((r = store_path(ss)) != 0 ||
	    (r = cs_store_list(src->ctx, ss->location, ss->name,
	    &list)) != 0) {
		if (json_object_set_new(obj, "status", json_string("error")) ||
		    json_object_set_new(obj, "problem",
		    json_string(certseal_ctx_last_error(src->ctx))))
			goto nomem;
	} else {
		/*
		 * The shape of every scheme (certseal(1)): keys by key_id,
		 * trusted signers by their SHA-256 fingerprint.
		 */
		json_array_foreach(list, i, e) {
			kind = json_string_value(json_object_get(e, "kind"));
			is_signer = kind != NULL && strcmp(kind, "signer") == 0;
			if ((id = json_object_get(e, "id")) == NULL ||
			    json_object_set(e, is_signer ? "sha256" :
			    "key_id", id) != 0 ||
			    json_object_del(e, "id") != 0 ||
			    json_array_append(is_signer ? signers : keys,
			    e) != 0)
				goto nomem;
		}
		if (json_object_set_new(obj, "status", json_string(
		    json_array_size(list) > 0 ? "ok" : "empty")) != 0)
			goto nomem;
	}
	if (ss->path.dir != NULL && json_object_set_new(obj, "path",
	    json_string(ss->path.dir)) != 0)
		goto nomem;
	if (json_object_set(obj, "keys", keys) != 0 ||
	    json_object_set(obj, "trusted_signers", signers) != 0)
		goto nomem;
	*out = obj;
	obj = NULL;
	r = 0; /* success */
	goto out;
 nomem:
	r = cs_nomem(src->ctx);
 out:
	json_decref(list);
	json_decref(keys);
	json_decref(signers);
	json_decref(obj);
	return r;
}

int
cs_source_store_name(const struct cs_source *src, const char **location,
    const char **name)
{
	const struct store_source *ss;

	*location = *name = NULL;
	/* The scheme check is the downcast's. */
	if (src->ops != &cs_source_store_ops)
		return CERTSEAL_E_UNSUPPORTED;
	ss = (const struct store_source *)src;
	*location = ss->location;
	*name = ss->name;
	return 0;
}

const struct cs_source_ops cs_source_store_ops = {
	.scheme = "store",
	.new = store_new,
	.free = store_free,
	.find_key = store_find_key,
	.find_first_key = store_find_first_key,
	.trusted_signers = store_trusted_signers,
	.trusted_signers_for = store_trusted_signers_for,
	.list_keys = store_list_keys,
	.describe = store_describe,
	.add_trusted_signer = store_add_trusted_signer,
};
