/*
 * report-eval.c - counting who is ready for a pair (DESIGN.md section 1,
 * steps 4 and 7): every report in a directory, one verdict per host.
 *
 * Reports are untrusted and many: a damaged one never stops the count, it
 * makes its host "not ready" with the reason, so that an admin is never
 * told everyone is ready while a report could not be read.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "report.h"

/* One report file: a valid report, or the reason it is damaged. */
struct entry {
	char		*host;		/* as reported; file stem if damaged */
	char		*file;		/* name in the directory */
	struct cs_report *rep;		/* NULL when damaged */
	char		*damage;
};

struct entries {
	struct entry	*v;
	size_t		 n, cap;
};

static void
entries_free(struct entries *es)
{
	size_t i;

	for (i = 0; i < es->n; i++) {
		free(es->v[i].host);
		free(es->v[i].file);
		free(es->v[i].damage);
		cs_report_free(es->v[i].rep);
	}
	free(es->v);
}

/*
 * Normalises a hex argument (colons allowed, any case) into out; 0 when it
 * is hex of an even length between minlen and maxlen.
 */
static int
norm_hex(const char *in, size_t minlen, size_t maxlen, char *out,
    size_t outlen)
{
	int n = cs_hex_normalize(in, out, outlen);

	return (n < 0 || (size_t)n < minlen || (size_t)n > maxlen ||
	    n % 2 != 0) ? -1 : 0;
}

static int
is_report_name(const char *name)
{
	size_t n = strlen(name);

	/* Dotfiles include cs_atomic_write's temp files (.NAME.XXXX.tmp). */
	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static int
add_entry(certseal_ctx *ctx, struct entries *es, const char *dir,
    const char *name)
{
	struct entry *e, *grown;
	char *path = NULL;
	int r;

	if (es->n == es->cap) {
		size_t cap = es->cap == 0 ? 64 : es->cap * 2;

		if ((grown = reallocarray(es->v, cap, sizeof(*grown))) ==
		    NULL)
			return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		es->v = grown;
		es->cap = cap;
	}
	e = &es->v[es->n];
	memset(e, 0, sizeof(*e));
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	if ((e->file = strdup(name)) == NULL) {
		free(path);
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	}
	es->n++;
	r = cs_report_read(ctx, path, &e->rep);
	free(path);
	if (r == CERTSEAL_E_NOMEM)
		return r;
	if (r != 0) {
		e->damage = strdup(certseal_ctx_last_error(ctx));
		e->host = strndup(name, strlen(name) - 5);
		cs_error_clear(ctx);
	} else
		e->host = strdup(e->rep->host);
	if (e->host == NULL || (r != 0 && e->damage == NULL))
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	return 0;
}

static int
read_dir(certseal_ctx *ctx, const char *dir, struct entries *es)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if ((d = opendir(dir)) == NULL)
		return cs_error(ctx, errno == ENOENT ? CERTSEAL_E_NOT_FOUND :
		    CERTSEAL_E_IO, "%s: cannot read the reports directory: "
		    "%s", dir, strerror(errno));
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
				    strerror(errno));
			break;
		}
		if (!is_report_name(de->d_name))
			continue;
		/* Regular files only: no symlinks out, no FIFOs to hang on. */
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (es->n >= CS_REPORT_MAX_FILES) {
			r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: more than "
			    "%d reports; clean the directory up", dir,
			    CS_REPORT_MAX_FILES);
			break;
		}
		if ((r = add_entry(ctx, es, dir, de->d_name)) != 0)
			break;
	}
	closedir(d);
	return r;
}

/*
 * By host; within a host damaged reports first (they decide), then the
 * newest, then by file name so that the outcome never depends on the
 * order of readdir.
 */
static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	if ((x->rep == NULL) != (y->rep == NULL))
		return x->rep == NULL ? -1 : 1;
	if (x->rep != NULL && x->rep->when != y->rep->when)
		return x->rep->when > y->rep->when ? -1 : 1;
	return strcmp(x->file, y->file);
}

static int
has_key(const struct cs_report *rep, const char *keyid)
{
	size_t i;

	for (i = 0; i < rep->nkeys; i++)
		if (strcmp(rep->keys[i].key_id, keyid) == 0)
			return 1;
	return 0;
}

static int
trusts_signer(const struct cs_report *rep, const char *fp)
{
	size_t i;

	for (i = 0; i < rep->nsigners; i++)
		if (strcmp(rep->signers[i].fingerprint, fp) == 0)
			return 1;
	return 0;
}

/* The verdict for one host, from the entry that decides it. */
static int
judge(const struct entry *e, const char *keyid, const char *fp,
    json_t *ready, json_t *not_ready)
{
	json_t *missing = NULL, *o;
	char *why = NULL;

	if ((missing = json_array()) == NULL)
		return CERTSEAL_E_NOMEM;
	if (e->rep == NULL) {
		if (asprintf(&why, "damaged: %s", e->damage) < 0) {
			json_decref(missing);
			return CERTSEAL_E_NOMEM;
		}
		json_array_append_new(missing, cs_report_jstr(why));
		free(why);
	} else {
		if (!has_key(e->rep, keyid))
			json_array_append_new(missing, json_string("key"));
		if (fp != NULL && !trusts_signer(e->rep, fp))
			json_array_append_new(missing, json_string("signer"));
	}
	if (json_array_size(missing) == 0) {
		json_decref(missing);
		return json_array_append_new(ready,
		    cs_report_jstr(e->host)) == 0 ? 0 : CERTSEAL_E_NOMEM;
	}
	o = json_pack("{s:o, s:o, s:o}", "host", cs_report_jstr(e->host),
	    "file", cs_report_jstr(e->file), "missing", missing);
	if (o == NULL || json_array_append_new(not_ready, o) != 0)
		return CERTSEAL_E_NOMEM;
	return 0;
}

int
cs_rollout_evaluate(certseal_ctx *ctx, const char *dir,
    const char *enc_key_id_hex, const char *sign_fingerprint_hex,
    json_t **out)
{
	struct entries es = { NULL, 0, 0 };
	json_t *res = NULL, *ready, *not_ready;
	char keyid[128 + 1], fp[64 + 1];
	size_t i, hosts = 0;
	int r;

	*out = NULL;
	if (enc_key_id_hex == NULL || norm_hex(enc_key_id_hex, 2, 128, keyid,
	    sizeof(keyid)) != 0) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "rollout: the pair's key "
		    "ID '%s' is not hex", enc_key_id_hex != NULL ?
		    enc_key_id_hex : "");
		goto out;
	}
	if (sign_fingerprint_hex != NULL && norm_hex(sign_fingerprint_hex,
	    64, 64, fp, sizeof(fp)) != 0) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "rollout: the signer "
		    "fingerprint '%s' is not 64 hex digits (SHA-256)",
		    sign_fingerprint_hex);
		goto out;
	}
	if ((r = read_dir(ctx, dir, &es)) != 0)
		goto out;
	if (es.n > 1)
		qsort(es.v, es.n, sizeof(*es.v), entry_cmp);
	res = json_pack("{s:s, s:s?, s:[], s:[]}", "pair_key_id", keyid,
	    "signer_fingerprint", sign_fingerprint_hex != NULL ? fp : NULL,
	    "ready_hosts", "not_ready_hosts");
	if (res == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	ready = json_object_get(res, "ready_hosts");
	not_ready = json_object_get(res, "not_ready_hosts");
	for (i = 0; i < es.n; i++) {
		/* The first entry of each host decides (see entry_cmp). */
		if (i > 0 && strcmp(es.v[i].host, es.v[i - 1].host) == 0)
			continue;
		hosts++;
		if ((r = judge(&es.v[i], keyid,
		    sign_fingerprint_hex != NULL ? fp : NULL, ready,
		    not_ready)) != 0) {
			r = cs_error(ctx, r, "out of memory");
			goto out;
		}
	}
	if (json_object_set_new(res, "hosts", json_integer((json_int_t)hosts))
	    != 0 || json_object_set_new(res, "ready", json_integer(
	    (json_int_t)json_array_size(ready))) != 0 ||
	    json_object_set_new(res, "not_ready", json_integer(
	    (json_int_t)json_array_size(not_ready))) != 0) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	*out = res;
	res = NULL;
	r = 0; /* success */
 out:
	json_decref(res);
	entries_free(&es);
	return r;
}
