/*
 * envelope-key.c - the recipient's key for an open (envelope-open.c):
 * the identifiers of the file's recipients, accepted and refused apart,
 * asked of each certificate source in order; the first source with a key
 * for an accepted recipient wins, and a key only for refused ones, or a
 * source's hard error, is explained.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "envelope-internal.h"
#include "envelope-open.h"
#include "source.h"

/* The sources to use; the default store when none is configured. */
int
cs_open_ensure_sources(struct open_state *st)
{
	certseal_ctx *ctx = st->ctx;
	int r;

	if (ctx->nsources > 0)
		return 0;
	if ((r = certseal_ctx_add_source(ctx, CS_DEFAULT_SOURCE)) != 0) {
		/* A source that cannot start is one more source error. */
		cs_error_prefix(ctx, "%s", CS_DEFAULT_SOURCE);
		cs_error_save(ctx, r, &st->hard);
	}
	return 0;
}

/*
 * The identifiers of the recipients the sources may be asked about (key
 * transport and key agreement; a KARI has one a RecipientEncryptedKey),
 * accepted ones and refused ones apart, each in file order.
 */
int
cs_open_list_ids(struct open_state *st)
{
	const struct cs_raw_rid *rid;
	const struct cs_ri_info *info;
	size_t k, n = st->raw.nrids;

	if (n == 0)
		return 0;
	if ((st->acc = malloc(n * sizeof(*st->acc))) == NULL ||
	    (st->ref = malloc(n * sizeof(*st->ref))) == NULL ||
	    (st->acc_rid = malloc(n * sizeof(*st->acc_rid))) == NULL ||
	    (st->ref_rid = malloc(n * sizeof(*st->ref_rid))) == NULL)
		return cs_nomem(st->ctx);
	for (k = 0; k < n; k++) {
		rid = &st->raw.rids[k];
		info = &st->infos[rid->ri];
		if (info->type != CMS_RECIPINFO_TRANS &&
		    info->type != CMS_RECIPINFO_AGREE)
			continue;
		if (info->accepted) {
			st->acc_rid[st->nacc] = k;
			st->acc[st->nacc++] = &rid->id;
		} else {
			st->ref_rid[st->nref] = k;
			st->ref[st->nref++] = &rid->id;
		}
	}
	return 0;
}

/*
 * Looks through the whitelisted recipients of one source, then (only to
 * explain a refusal) the refused ones.  Returns 0 with st->key set,
 * CERTSEAL_E_NO_KEY, or a hard error.
 */
static int
search_source(struct open_state *st, struct cs_source *src)
{
	const struct cs_key *key = NULL;
	size_t which = 0;
	int r;

	if (st->nacc > 0) {
		r = cs_source_find_first_key(src, st->acc, st->nacc, &which,
		    &key);
		if (r == 0) {
			st->key = key;
			st->src = src;
			st->chosen = st->raw.rids[st->acc_rid[which]].ri;
			return 0;
		}
		if (r != CERTSEAL_E_NO_KEY)
			return r;
	}
	if (st->nref > 0) {
		r = cs_source_find_first_key(src, st->ref, st->nref, &which,
		    &key);
		if (r == 0) {
			st->refused_match =
			    (int)st->raw.rids[st->ref_rid[which]].ri + 1;
			return CERTSEAL_E_NO_KEY;
		}
		return r;
	}
	return CERTSEAL_E_NO_KEY;
}

/* 1 when a recipient the whitelist refuses names the chosen key. */
int
cs_open_refused_recipient_matches(struct open_state *st)
{
	size_t i;

	for (i = 0; i < st->nref; i++)
		if (cs_recipient_id_matches(st->ref[i], st->key->cert))
			return 1;
	return 0;
}

int
cs_open_find_key(struct open_state *st)
{
	certseal_ctx *ctx = st->ctx;
	char hints[CS_ERRMSG_MAX] = "";
	const char *hint;
	size_t s, n;
	int r;

	for (s = 0; s < ctx->nsources; s++) {
		r = search_source(st, ctx->sources[s]);
		if (r == 0) {
			/* A source that failed before this one is news. */
			if (st->hard.err != 0)
				cs_warn(ctx, "%s (another source opened %s)",
				    st->hard.msg, st->name);
			return 0;
		}
		if (r == CERTSEAL_E_NO_KEY)
			continue;
		/*
		 * A hard error: keep the first (the answer if no source
		 * opens the file), say the others now, try the next source.
		 */
		cs_error_prefix(ctx, "%s",
		    cs_source_display_uri(ctx->sources[s]));
		cs_error_keep_first(ctx, r, &st->hard);
	}
	if (st->hard.err != 0) {
		r = cs_error_restore(ctx, &st->hard);
		cs_error_prefix(ctx, "%s", st->name);
		return r;
	}
	if (st->refused_match != 0)
		return cs_error(ctx, CERTSEAL_E_ALGORITHM, "%s: the only "
		    "recipient with a key here is refused (%s); reseal the "
		    "file with certseal", st->name,
		    st->infos[st->refused_match - 1].reason);
	/* The misses were bare codes; what the sources know comes last. */
	for (s = 0; s < ctx->nsources; s++) {
		if ((hint = cs_source_hint(ctx->sources[s])) == NULL)
			continue;
		n = strlen(hints);
		snprintf(hints + n, sizeof(hints) - n, "; %s", hint);
	}
	return cs_error(ctx, CERTSEAL_E_NO_KEY, "%s: none of the %zu "
	    "certificate source(s) holds a key for any recipient; %s%s",
	    st->name, ctx->nsources, ctx->no_key_advice != NULL ?
	    ctx->no_key_advice : "import the client certificate or add a "
	    "--certificate-source", hints);
}
