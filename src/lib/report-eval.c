/*
 * report-eval.c - counting who is ready for a pair (DESIGN.md section 1,
 * steps 4 and 7): every report in a directory, one verdict per host.
 *
 * Reports are untrusted and many: a damaged one never stops the count, it
 * makes its host "not ready" with the reason, so that an admin is never
 * told everyone is ready while a report could not be read.
 *
 * Any client can write the directory (issue 19.2, issue 11): a report
 * speaks only for the host its file name names, so one client cannot
 * answer for another or for many; each (device, inode) is parsed once
 * however many hard links it has; the total size is checked before any
 * report is parsed; and only a small verdict per file is kept.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "report.h"

/*
 * One report file, as a verdict: nothing of the parsed report is kept
 * (issue 19.2), so memory grows with the number of files, not with what
 * they hold.
 */
struct entry {
	char		*file;		/* name in the directory */
	char		*host;		/* the host the file name names */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	int		 has_key, has_signer;
	char		*damage;	/* refused or damaged: why; else NULL */
	char		*claims;	/* refused: the host it claims to be */
};

struct entries {
	struct entry	*v;
	size_t		 n, cap;
};

/* A reason kept per file: long enough to name the file and the member. */
#define DAMAGE_MAX	400

static void
entries_free(struct entries *es)
{
	size_t i;

	for (i = 0; i < es->n; i++) {
		free(es->v[i].host);
		free(es->v[i].file);
		free(es->v[i].damage);
		free(es->v[i].claims);
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
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The host a report file name names: the inverse of cs_report_file_name
 * when name is what it makes, else the stem as it is (a name certseal
 * would not write; no report can speak for it).
 */
static char *
host_of_file(const char *name)
{
	size_t i, n = strlen(name) - 5;
	char *host, *made, *o;
	int hi, lo;

	if ((host = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = host; i < n; i++) {
		if (name[i] == '_' && i + 2 < n &&
		    (hi = hexval(name[i + 1])) >= 0 &&
		    (lo = hexval(name[i + 2])) >= 0 && (hi | lo) != 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else
			*o++ = name[i];
	}
	*o = '\0';
	if ((made = cs_report_file_name(host)) == NULL) {
		free(host);
		return NULL;
	}
	if (strcmp(made, name) != 0) {
		free(host);
		host = strndup(name, n);
	}
	free(made);
	return host;
}

static int
add_entry(certseal_ctx *ctx, struct entries *es, const char *name,
    const struct stat *st)
{
	struct entry *e, *grown;

	if (es->n == es->cap) {
		size_t cap = es->cap == 0 ? 64 : es->cap * 2;

		if ((grown = reallocarray(es->v, cap, sizeof(*grown))) ==
		    NULL)
			return cs_nomem(ctx);
		es->v = grown;
		es->cap = cap;
	}
	e = &es->v[es->n];
	memset(e, 0, sizeof(*e));
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	if ((e->file = strdup(name)) == NULL ||
	    (e->host = host_of_file(name)) == NULL) {
		free(e->file);
		return cs_nomem(ctx);
	}
	es->n++;
	return 0;
}

/* The names of the regular *.json files in dirfd, with their inodes. */
static int
list_dir(certseal_ctx *ctx, const char *dir, int dfd, struct entries *es)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, r = 0;

	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
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
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (es->n >= CS_REPORT_MAX_FILES) {
			r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: more than "
			    "%d reports; clean the directory up", dir,
			    CS_REPORT_MAX_FILES);
			break;
		}
		if ((r = add_entry(ctx, es, de->d_name, &st)) != 0)
			break;
	}
	closedir(d);
	return r;
}

static int
inode_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->file, y->file);
}

static int
host_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	return strcmp(x->file, y->file);
}

/*
 * The bytes the distinct files hold, checked before any is parsed: a
 * directory of copies costs its size once per copy, hard links once.
 */
static int
check_total(certseal_ctx *ctx, const char *dir, const struct entries *es)
{
	unsigned long long total = 0;
	const struct entry *big = NULL;
	size_t i;

	for (i = 0; i < es->n; i++) {
		if (i > 0 && es->v[i].dev == es->v[i - 1].dev &&
		    es->v[i].ino == es->v[i - 1].ino)
			continue;
		total += (unsigned long long)es->v[i].size;
		if (big == NULL || es->v[i].size > big->size)
			big = &es->v[i];
	}
	if (total <= CS_REPORT_MAX_TOTAL)
		return 0;
	return cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: the reports hold %llu "
	    "bytes, more than the %llu MiB one count reads; remove old or "
	    "oversized reports (the largest is %s, %lld bytes)", dir, total,
	    CS_REPORT_MAX_TOTAL >> 20, big->file, (long long)big->size);
}

static int
set_damage(struct entry *e, const char *why)
{
	free(e->damage);
	e->damage = strndup(why, DAMAGE_MAX);
	return e->damage == NULL ? CERTSEAL_E_NOMEM : 0;
}

static int has_key(const struct cs_report *, const char *);
static int trusts_signer(const struct cs_report *, const char *);

/*
 * Judges the names v[0..n-1], all one (device, inode): the file is read
 * once.  Only the name cs_report_write gives the host the report claims
 * may speak for it; every other name is refused, naming that host.
 */
static int
judge_inode(certseal_ctx *ctx, const char *dir, int dfd, struct entry *v,
    size_t n, const char *keyid, const char *fp, unsigned long long *read)
{
	struct cs_report *rep = NULL;
	struct stat st;
	char *path = NULL, *made = NULL, *why = NULL;
	size_t i;
	int fd = -1, r;

	if (asprintf(&path, "%s/%s", dir, v[0].file) < 0) {
		path = NULL;
		r = CERTSEAL_E_NOMEM;
		goto out;
	}
	fd = openat(dfd, v[0].file, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_dev != v[0].dev ||
	    st.st_ino != v[0].ino) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", path, fd < 0 ?
		    strerror(errno) : "replaced while the directory was read");
	} else if ((*read += (unsigned long long)st.st_size) >
	    CS_REPORT_MAX_TOTAL) {
		/* Grown since it was listed: the total still holds. */
		r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: the reports grew "
		    "past %llu MiB while they were read", dir,
		    CS_REPORT_MAX_TOTAL >> 20);
		goto out;
	} else
		r = cs_report_read_fd(ctx, fd, path, &rep);
	if (r == CERTSEAL_E_NOMEM)
		goto out;
	if (r != 0) {
		for (i = 0; i < n; i++)
			if ((r = set_damage(&v[i],
			    certseal_ctx_last_error(ctx))) != 0)
				goto out;
		cs_error_clear(ctx);
		r = 0;
		goto out;
	}
	if ((made = cs_report_file_name(rep->host)) == NULL) {
		r = CERTSEAL_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(made, v[i].file) == 0) {
			v[i].has_key = has_key(rep, keyid);
			v[i].has_signer = fp == NULL || trusts_signer(rep, fp);
			continue;
		}
		free(why);
		if (asprintf(&why, "%s/%s: the report claims to be host "
		    "'%.64s' (whose report is %.80s); a report speaks only "
		    "for the host its file name names", dir, v[i].file,
		    rep->host, made) < 0) {
			why = NULL;
			r = CERTSEAL_E_NOMEM;
			goto out;
		}
		if ((r = set_damage(&v[i], why)) != 0)
			goto out;
		if ((v[i].claims = strdup(rep->host)) == NULL) {
			r = CERTSEAL_E_NOMEM;
			goto out;
		}
	}
	r = 0; /* success */
 out:
	if (fd >= 0)
		close(fd);
	cs_report_free(rep);
	free(why);
	free(made);
	free(path);
	return r;
}

/* Every file judged, each (device, inode) once. */
static int
judge_all(certseal_ctx *ctx, const char *dir, int dfd, struct entries *es,
    const char *keyid, const char *fp)
{
	unsigned long long read = 0;
	size_t i, j;
	int r;

	if (es->n > 1)
		qsort(es->v, es->n, sizeof(*es->v), inode_cmp);
	if ((r = check_total(ctx, dir, es)) != 0)
		return r;
	for (i = 0; i < es->n; i = j) {
		for (j = i + 1; j < es->n && es->v[j].dev == es->v[i].dev &&
		    es->v[j].ino == es->v[i].ino; j++)
			;
		if ((r = judge_inode(ctx, dir, dfd, &es->v[i], j - i, keyid,
		    fp, &read)) != 0)
			return r == CERTSEAL_E_NOMEM ? cs_nomem(ctx) : r;
	}
	if (es->n > 1)
		qsort(es->v, es->n, sizeof(*es->v), host_cmp);
	return 0;
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

/* The verdict for one host. */
static int
judge(const struct entry *e, const char *fp, json_t *ready,
    json_t *not_ready)
{
	json_t *missing = NULL, *o;
	char *why = NULL;

	if ((missing = json_array()) == NULL)
		return CERTSEAL_E_NOMEM;
	if (e->damage != NULL) {
		if (asprintf(&why, "%s: %s", e->claims != NULL ? "refused" :
		    "damaged", e->damage) < 0) {
			json_decref(missing);
			return CERTSEAL_E_NOMEM;
		}
		json_array_append_new(missing, cs_report_jstr(why));
		free(why);
	} else {
		if (!e->has_key)
			json_array_append_new(missing, json_string("key"));
		if (fp != NULL && !e->has_signer)
			json_array_append_new(missing, json_string("signer"));
	}
	if (json_array_size(missing) == 0) {
		json_decref(missing);
		return json_array_append_new(ready,
		    cs_report_jstr(e->host)) == 0 ? 0 : CERTSEAL_E_NOMEM;
	}
	o = json_pack("{s:o, s:o, s:o}", "host", cs_report_jstr(e->host),
	    "file", cs_report_jstr(e->file), "missing", missing);
	if (o == NULL)
		return CERTSEAL_E_NOMEM;
	if (e->claims != NULL && json_object_set_new(o, "claims",
	    cs_report_jstr(e->claims)) != 0) {
		json_decref(o);
		return CERTSEAL_E_NOMEM;
	}
	return json_array_append_new(not_ready, o) == 0 ? 0 : CERTSEAL_E_NOMEM;
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
	int dfd = -1, r;

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
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = cs_error(ctx, errno == ENOENT ? CERTSEAL_E_NOT_FOUND :
		    CERTSEAL_E_IO, "%s: cannot read the reports directory: "
		    "%s", dir, strerror(errno));
		goto out;
	}
	if ((r = list_dir(ctx, dir, dfd, &es)) != 0 ||
	    (r = judge_all(ctx, dir, dfd, &es, keyid,
	    sign_fingerprint_hex != NULL ? fp : NULL)) != 0)
		goto out;
	res = json_pack("{s:s, s:s?, s:[], s:[]}", "pair_key_id", keyid,
	    "signer_fingerprint", sign_fingerprint_hex != NULL ? fp : NULL,
	    "ready_hosts", "not_ready_hosts");
	if (res == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	ready = json_object_get(res, "ready_hosts");
	not_ready = json_object_get(res, "not_ready_hosts");
	/* One file per host: the file name says which (see judge_inode). */
	for (i = 0; i < es.n; i++) {
		hosts++;
		if ((r = judge(&es.v[i],
		    sign_fingerprint_hex != NULL ? fp : NULL, ready,
		    not_ready)) != 0) {
			r = cs_nomem(ctx);
			goto out;
		}
	}
	if (json_object_set_new(res, "hosts", json_integer((json_int_t)hosts))
	    != 0 || json_object_set_new(res, "ready", json_integer(
	    (json_int_t)json_array_size(ready))) != 0 ||
	    json_object_set_new(res, "not_ready", json_integer(
	    (json_int_t)json_array_size(not_ready))) != 0) {
		r = cs_nomem(ctx);
		goto out;
	}
	*out = res;
	res = NULL;
	r = 0; /* success */
 out:
	if (dfd >= 0)
		close(dfd);
	json_decref(res);
	entries_free(&es);
	return r;
}
