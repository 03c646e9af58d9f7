/*
 * token-backup.c - a verified copy of the embedded SoftHSM2 token.
 *
 * SoftHSM2's file back end rewrites its files in place (token.object at
 * every login), so a SIGKILL or a power loss at the wrong moment leaves a
 * file empty or cut short, and with token.object goes the token key that
 * wraps every object: the signing keys, which cannot be exported, are
 * lost for good.  certseal-admin therefore keeps DIR/token/backup/, a copy
 * of the token's files, taken after a command changed the token's objects
 * (init, pair generate, pair remove, or objects appeared that the copy
 * lacks), only when every pair of the profile was found on the token
 * through PKCS#11 just before, compared byte for byte with the token
 * after copying, fsync'ed, and swapped in with one rename.
 *
 * Before the module is loaded, each command compares the token with the
 * copy: a file missing, empty or shorter than the copy (token.object,
 * generation) or with other bytes (an object file: SoftHSM2 never
 * rewrites those) is put back from the copy, atomically, and the admin is
 * told.  Object files the copy does not have are left alone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"

#define TOKEN_FILE_MAX	(16 * 1024 * 1024)
#define BACKUP_NAME	"backup"

char *
admin_token_dir(const struct profile *p)
{
	const char *slash;

	if (p->softhsm_conf == NULL ||
	    (slash = strrchr(p->softhsm_conf, '/')) == NULL ||
	    slash == p->softhsm_conf)
		return NULL;
	return strndup(p->softhsm_conf, (size_t)(slash - p->softhsm_conf));
}

/* directories.tokendir from the embedded softhsm2.conf (malloc'ed). */
static char *
objects_dir(const struct profile *p)
{
	char line[4200], *v, *end, *out = NULL;
	FILE *fp;

	if (p->softhsm_conf == NULL ||
	    (fp = fopen(p->softhsm_conf, "re")) == NULL)
		return NULL;
	while (out == NULL && fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "directories.tokendir", 20) != 0 ||
		    (v = strchr(line, '=')) == NULL)
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		for (end = v + strlen(v); end > v && (end[-1] == '\n' ||
		    end[-1] == '\r' || end[-1] == ' '); end--)
			;
		if (end > v && *v == '/')
			out = strndup(v, (size_t)(end - v));
	}
	fclose(fp);
	return out;
}

/* dir/name into buf; -1 when it does not fit. */
static int
pjoin(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Reads a whole small file; -1 with errno on failure. */
static int
slurp(const char *path, uint8_t **out, size_t *lenp)
{
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t n;
	int fd;

	*out = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > TOKEN_FILE_MAX) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	n = cs_read_full(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*lenp = (size_t)n;
	return 0;
}

/* Writes data to path (created, 0600) and fsyncs it. */
static int
write_synced(const char *path, const uint8_t *data, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		return -1;
	if (cs_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void
fsync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* 1 for the names worth keeping: plain entries, no temp or dot files. */
static int
token_file_name(const char *name)
{
	return name[0] != '.' && strstr(name, ".certseal-") == NULL;
}

/*
 * Copies the token (objects directory: one directory per token) into
 * tmp and checks the copy against the token, byte for byte.  Returns 0,
 * 1 when the token changed meanwhile (try again), -1 on an error.
 */
static int
copy_tree(const char *objs, const char *tmp)
{
	char src[4200], dst[4200], sub[4200], dsub[4200];
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;
	struct dirent *e, *f;
	struct stat st;
	DIR *d = NULL, *dd = NULL;
	int r = -1, ntok = 0;

	if (mkdir(tmp, 0700) != 0 || (d = opendir(objs)) == NULL)
		goto out;
	while ((e = readdir(d)) != NULL) {
		if (!token_file_name(e->d_name))
			continue;
		if (pjoin(sub, sizeof(sub), objs, e->d_name) != 0 ||
		    lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (pjoin(dsub, sizeof(dsub), tmp, e->d_name) != 0 ||
		    mkdir(dsub, 0700) != 0 || (dd = opendir(sub)) == NULL)
			goto out;
		while ((f = readdir(dd)) != NULL) {
			if (!token_file_name(f->d_name))
				continue;
			if (pjoin(src, sizeof(src), sub, f->d_name) != 0 ||
			    pjoin(dst, sizeof(dst), dsub, f->d_name) != 0)
				goto out;
			if (lstat(src, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			if (slurp(src, &a, &alen) != 0 ||
			    write_synced(dst, a, alen) != 0 ||
			    slurp(src, &b, &blen) != 0)
				goto out;
			/* Changed under us, or caught half-written: again. */
			if (alen != blen || memcmp(a, b, alen) != 0 ||
			    (strcmp(f->d_name, "token.object") == 0 &&
			    alen == 0)) {
				r = 1;
				goto out;
			}
			/* The copy reads back as the token's bytes. */
			free(a);
			a = NULL;
			if (slurp(dst, &a, &alen) != 0 || alen != blen ||
			    memcmp(a, b, blen) != 0)
				goto out;
			free(a);
			free(b);
			a = b = NULL;
		}
		closedir(dd);
		dd = NULL;
		fsync_dir(dsub);
		ntok++;
	}
	fsync_dir(tmp);
	r = ntok > 0 ? 0 : -1;
 out:
	free(a);
	free(b);
	if (dd != NULL)
		closedir(dd);
	if (d != NULL)
		closedir(d);
	return r;
}

/* Every pair of the profile has its private keys on the token. */
static int
pairs_present(certseal_ctx *ctx, const struct profile *p,
    struct cs_p11_token *tok, const char **missing)
{
	struct cs_p11_object *objs = NULL;
	uint8_t id[CS_P11_ID_MAX];
	const char *hex[2];
	size_t i, k, n;
	int idlen;

	for (i = 0; i < p->npairs; i++) {
		hex[0] = p->pairs[i].sign_key_id;
		hex[1] = p->pairs[i].enc_key_id;
		for (k = 0; k < 2; k++) {
			if (hex[k] == NULL ||
			    (idlen = cs_hex_decode(hex[k], id, sizeof(id))) <= 0)
				continue;
			n = 0;
			if (cs_p11_find(ctx, tok, CKO_PRIVATE_KEY, id,
			    (size_t)idlen, NULL, &objs, &n) != 0 || n == 0) {
				free(objs);
				*missing = p->pairs[i].id;
				return 0;
			}
			free(objs);
			objs = NULL;
		}
	}
	return 1;
}

/* Removes the temp copies of backups that died (pid in the name). */
static void
remove_stale_tmp(const char *dir)
{
	char path[4200];
	struct dirent *e;
	long pid;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (sscanf(e->d_name, BACKUP_NAME ".tmp-%ld", &pid) != 1 ||
		    pid <= 0 || (kill((pid_t)pid, 0) == 0 && pid != getpid()))
			continue;
		if (pjoin(path, sizeof(path), dir, e->d_name) == 0)
			admin_rm_tree(path);
	}
	closedir(d);
}

int
token_backup_take(certseal_ctx *ctx, const struct profile *p,
    struct cs_p11_token *tok)
{
	char *dir = NULL, *objs = NULL, *tmp = NULL, *bak = NULL;
	const char *missing = NULL;
	struct stat st;
	int r = 0, tries, c = -1, lockfd = -1;

	if ((dir = admin_token_dir(p)) == NULL ||
	    (objs = objects_dir(p)) == NULL)
		goto out;	/* not an embedded token */
	/*
	 * Only under the profile lock: a pair generate of another admin
	 * writes object files, and a copy caught half-way would later be
	 * put back over the finished file.  A busy lock skips this copy;
	 * the next command takes it.
	 */
	if (p->lock_fd < 0) {
		if (asprintf(&tmp, "%s.lock", p->path) < 0) {
			tmp = NULL;
			goto out;
		}
		lockfd = open(tmp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		free(tmp);
		tmp = NULL;
		if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0)
			goto out;
	}
	if (!pairs_present(ctx, p, tok, &missing)) {
		cs_error_clear(ctx);
		cli_warn("the embedded token lacks the keys of pair %s; its "
		    "backup was left as it was", missing);
		r = CERTSEAL_E_TOKEN;
		goto out;
	}
	if (asprintf(&tmp, "%s/" BACKUP_NAME ".tmp-%ld", dir,
	    (long)getpid()) < 0 ||
	    asprintf(&bak, "%s/" BACKUP_NAME, dir) < 0) {
		tmp = bak = NULL;
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	remove_stale_tmp(dir);
	for (tries = 0; tries < 3; tries++) {
		admin_rm_tree(tmp);
		if ((c = copy_tree(objs, tmp)) != 1)
			break;
	}
	if (c != 0) {
		admin_rm_tree(tmp);
		cli_warn("%s: the token backup could not be taken%s", bak,
		    c == 1 ? " (the token kept changing)" : "");
		r = CERTSEAL_E_IO;
		goto out;
	}
	/* One rename: a crash leaves the old copy or the new one. */
	if (lstat(bak, &st) == 0) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, bak,
		    RENAME_EXCHANGE) != 0) {
			admin_rm_tree(tmp);
			cli_warn("%s: the token backup could not be "
			    "replaced: %s", bak, strerror(errno));
			r = CERTSEAL_E_IO;
			goto out;
		}
	} else if (rename(tmp, bak) != 0) {
		admin_rm_tree(tmp);
		cli_warn("%s: the token backup could not be made: %s", bak,
		    strerror(errno));
		r = CERTSEAL_E_IO;
		goto out;
	}
	fsync_dir(dir);
	admin_rm_tree(tmp);	/* the old copy, after the exchange */
 out:
	if (lockfd >= 0)
		close(lockfd);	/* and with it the lock */
	free(dir);
	free(objs);
	free(tmp);
	free(bak);
	return r;
}

/* What is wrong with the token's copy of name, or NULL. */
static const char *
damage(const char *live, const char *name, const uint8_t *want,
    size_t wantlen)
{
	uint8_t *got = NULL;
	size_t gotlen;
	const char *why = NULL;
	int fixed_bytes;

	/* token.object and generation change; object files never do. */
	fixed_bytes = strcmp(name, "token.object") != 0 &&
	    strcmp(name, "generation") != 0;
	/*
	 * token.object may legitimately change size (a PIN or label set with
	 * other tools); a kill leaves it empty, a power loss shorter.
	 */
	if (slurp(live, &got, &gotlen) != 0)
		why = errno == ENOENT ? "missing" : "unreadable";
	else if (gotlen == 0 && wantlen > 0)
		why = "empty";
	else if (gotlen < wantlen)
		why = "cut short";
	else if (fixed_bytes && (gotlen != wantlen ||
	    memcmp(got, want, wantlen) != 0))
		why = "altered";
	free(got);
	return why;
}

/* The number of token files under objs (one directory per token). */
static size_t
count_live(const char *objs)
{
	char sub[4200];
	struct dirent *e, *f;
	DIR *d, *dd;
	size_t n = 0;

	if ((d = opendir(objs)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!token_file_name(e->d_name) ||
		    pjoin(sub, sizeof(sub), objs, e->d_name) != 0 ||
		    (dd = opendir(sub)) == NULL)
			continue;
		while ((f = readdir(dd)) != NULL)
			if (token_file_name(f->d_name))
				n++;
		closedir(dd);
	}
	closedir(d);
	return n;
}

/*
 * Compares one token directory (live) with its copy (bak) and puts back
 * what is damaged.  Counts the copy's files in *nbak, those put back in
 * *nfixed (the first one described in first), those grown in *nstale.
 */
static int
check_one(certseal_ctx *ctx, const char *bak, const char *live,
    size_t *nbak, size_t *nfixed, size_t *nstale, char *first,
    size_t firstsize)
{
	char want_path[4200], live_path[4200], tmp[4300];
	uint8_t *want = NULL;
	size_t wantlen;
	struct dirent *f;
	struct stat st;
	const char *why;
	DIR *dd;
	int r = 0;

	if ((dd = opendir(bak)) == NULL)
		return 0;
	if (lstat(live, &st) != 0 && mkdir(live, 0700) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", live,
		    strerror(errno));
		goto out;
	}
	while ((f = readdir(dd)) != NULL) {
		if (!token_file_name(f->d_name) ||
		    pjoin(want_path, sizeof(want_path), bak, f->d_name) != 0 ||
		    pjoin(live_path, sizeof(live_path), live, f->d_name) != 0 ||
		    snprintf(tmp, sizeof(tmp), "%s/.%s.certseal-restore", live,
		    f->d_name) >= (int)sizeof(tmp) ||
		    slurp(want_path, &want, &wantlen) != 0)
			continue;
		(*nbak)++;
		if ((why = damage(live_path, f->d_name, want,
		    wantlen)) != NULL) {
			/* Put back atomically: temp, fsync, rename. */
			if (write_synced(tmp, want, wantlen) != 0 ||
			    rename(tmp, live_path) != 0) {
				r = cs_error(ctx, CERTSEAL_E_IO, "%s: restoring "
				    "from the backup: %s", live_path,
				    strerror(errno));
				(void)unlink(tmp);
				goto out;
			}
			if (*nfixed == 0)
				snprintf(first, firstsize, "%.200s %s",
				    f->d_name, why);
			(*nfixed)++;
		} else if (stat(live_path, &st) == 0 &&
		    (size_t)st.st_size != wantlen) {
			(*nstale)++;	/* grew legitimately: copy it again */
		}
		free(want);
		want = NULL;
	}
	fsync_dir(live);
 out:
	free(want);
	closedir(dd);
	return r;
}

int
token_backup_check(certseal_ctx *ctx, const struct profile *p,
    int *backup_due)
{
	char *dir = NULL, *objs = NULL, bak[4200], sub[4200], live[4200];
	char first[256] = "";
	size_t nfixed = 0, nbak = 0, nstale = 0;
	struct dirent *e;
	DIR *d = NULL;
	int r = 0;

	*backup_due = 0;
	if ((dir = admin_token_dir(p)) == NULL ||
	    (objs = objects_dir(p)) == NULL)
		goto out;
	if (pjoin(bak, sizeof(bak), dir, BACKUP_NAME) != 0 ||
	    (d = opendir(bak)) == NULL) {
		*backup_due = 1;	/* a profile from before backups */
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		if (!token_file_name(e->d_name) ||
		    pjoin(sub, sizeof(sub), bak, e->d_name) != 0 ||
		    pjoin(live, sizeof(live), objs, e->d_name) != 0)
			continue;
		if ((r = check_one(ctx, sub, live, &nbak, &nfixed, &nstale,
		    first, sizeof(first))) != 0)
			goto out;
	}
	if (nfixed > 0) {
		*backup_due = 1;
		fprintf(stderr, "certseal-admin: the embedded token was "
		    "damaged (%s%s); restored %zu file%s from its backup "
		    "%s\n", first, nfixed > 1 ? ", ..." : "", nfixed,
		    nfixed == 1 ? "" : "s", bak);
	} else if (nstale > 0 || count_live(objs) != nbak) {
		/* Objects the copy lacks (a pair generated since). */
		*backup_due = 1;
	}
 out:
	if (d != NULL)
		closedir(d);
	free(dir);
	free(objs);
	return r;
}
