/*
 * atomic-write.c - replace a file so that readers and crashes see either
 * the old or the new content, never a mix (DESIGN.md section 6).
 *
 * The new content goes into an unnamed O_TMPFILE in the target's directory,
 * so a crash before the rename leaves nothing behind; it is fsync'ed, given
 * a temporary name, renamed over the target, and the directory is fsync'ed.
 * Where O_TMPFILE is not supported a named O_EXCL file is used instead.
 *
 * The directory is opened once, walked from "/" with O_NOFOLLOW, and
 * every step - create, link, rename, fsync - is relative to that
 * descriptor: a symlink or directory swapped in by whoever can write a
 * parent changes nothing once it is open.  A directory that is a symlink,
 * or that belongs to a user other than root and this one, is refused
 * (issue 19.4): its owner could swap the file between our write and the
 * reader; so is a directory on the way that another user could change.
 * Owner and mode are set on the descriptor before the file has a name
 * (issue 19.1): a path-based chown afterwards could be pointed at any
 * file.
 *
 * The temporary name carries the writer's PID (.base.PID-RANDOM.tmp): a
 * writer killed between the link and the rename leaves that name behind,
 * and the next write of the same file removes it once that PID is gone
 * (found by the fault-injection tests, tests/integration/test-faults.sh).
 */
#include "config.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "internal.h"

int
cs_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Contents over this size are handed to writeback in pieces of it. */
#define WRITE_CHUNK	((size_t)8 * 1024 * 1024)

/*
 * A large content is handed to writeback piece by piece as soon as each
 * is in the page cache (sync_file_range with SYNC_FILE_RANGE_WRITE only
 * starts the writing): the device then works while the rest is copied,
 * and the fsync waits for the last pieces instead of the whole file
 * (88 MiB for a 64 MiB configuration, bench/ANALYSIS.md).  The fsync
 * stays what makes the file durable.
 */
void
cs_writeback_hint(int fd, size_t total, size_t *hinted, size_t done)
{
	if (total <= WRITE_CHUNK || done < *hinted ||
	    (done - *hinted < WRITE_CHUNK && done != total))
		return;
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(fd, (off_t)*hinted, (off_t)(done - *hinted),
	    SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
#endif
	*hinted = done;
}

struct buffer_fill {
	const uint8_t	*data;
	size_t		 len;
};

/* The cs_fill_fn of a content held in memory. */
static int
write_buffer(certseal_ctx *ctx, int fd, void *arg)
{
	const struct buffer_fill *b = arg;
	size_t off, n, hinted = 0;

	for (off = 0; off < b->len; off += n) {
		n = b->len - off > WRITE_CHUNK ? WRITE_CHUNK : b->len - off;
		if (cs_write_all(fd, b->data + off, n) != 0)
			return cs_error(ctx, CERTSEAL_E_IO, "writing: %s",
			    strerror(errno));
		cs_writeback_hint(fd, b->len, &hinted, off + n);
	}
	return 0;
}

/* Splits path into a directory (malloc'ed) and a base name (into path). */
static int
split_path(const char *path, char **dirp, const char **basep)
{
	const char *slash = strrchr(path, '/');

	*dirp = NULL;
	if (slash == NULL) {
		*dirp = strdup(".");
		*basep = path;
	} else if (slash == path) {
		*dirp = strdup("/");
		*basep = slash + 1;
	} else {
		*dirp = strndup(path, (size_t)(slash - path));
		*basep = slash + 1;
	}
	return *dirp == NULL ? -1 : 0;
}

/*
 * 1 when name is ".base.PID-XXXX.tmp" left by a writer that is gone (a
 * PID in another namespace looks gone too: its rename then fails cleanly).
 */
static int
stale_tmp_name(const char *name, const char *base)
{
	size_t blen = strlen(base), nlen = strlen(name);
	const char *p;
	char *end;
	long pid;

	if (nlen < blen + 8 || name[0] != '.' ||
	    strncmp(name + 1, base, blen) != 0 || name[blen + 1] != '.' ||
	    strcmp(name + nlen - 4, ".tmp") != 0)
		return 0;
	p = name + blen + 2;
	if (*p < '1' || *p > '9')
		return 0;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno != 0 || *end != '-' || pid <= 0 || pid != (pid_t)pid)
		return 0;
	for (p = end + 1; p < name + nlen - 4; p++)
		if (strchr("0123456789abcdefABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "ghijklmnopqrstuvwxyz", *p) == NULL)
			return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes the temporary files of killed writers of base in dirfd. */
static void
remove_stale_tmp(int dirfd, const char *base)
{
	struct dirent *e;
	DIR *d;
	int fd;

	if ((fd = dup(dirfd)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (stale_tmp_name(e->d_name, base))
			(void)unlinkat(dirfd, e->d_name, 0);
	closedir(d);
}

/* A fresh temp name, .base.PID-XXXXXXXXXXXX.tmp (as stale_tmp_name knows). */
static int
tmp_name(const char *base, char *tmpname, size_t tmpsize)
{
	unsigned char rnd[6];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	snprintf(tmpname, tmpsize, ".%s.%ld-%02x%02x%02x%02x%02x%02x.tmp",
	    base, (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
	    rnd[5]);
	return 0;
}

/* Gives the unnamed file fd the name dir/.base.PID-XXXXXXXX.tmp. */
static int
link_tmpfile(int fd, int dirfd, const char *base, char *tmpname,
    size_t tmpsize)
{
	char procpath[64];
	int tries;

	for (tries = 0; tries < 16; tries++) {
		if (tmp_name(base, tmpname, tmpsize) != 0)
			return -1;
		snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, procpath, dirfd, tmpname,
		    AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno == EEXIST)
			continue;
		/* Without /proc, AT_EMPTY_PATH needs privilege but may work. */
		if (linkat(fd, "", dirfd, tmpname, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/*
 * The name, for messages, of the user that owns a file: "uid 1000 (app)".
 */
static void
owner_text(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char pwbuf[1024];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 &&
	    res != NULL)
		snprintf(buf, size, "uid %lu (%s)", (unsigned long)uid,
		    res->pw_name);
	else
		snprintf(buf, size, "uid %lu", (unsigned long)uid);
}

/* Symlinks followed in one directory path, as the kernel's MAXSYMLINKS. */
#define WALK_MAX_LINKS	40

static int
trusted_uid(uid_t uid, uid_t also)
{
	return uid == 0 || uid == cs_euid() || (also != (uid_t)-1 &&
	    uid == also);
}

/*
 * A lookup of name (stat e) in the directory d (at `where`) is only as
 * safe as the users who can change d's entries: its owner, and anyone
 * if group or others may write it - except in a sticky directory (/tmp),
 * where only an entry's owner can replace that entry.  also is the user
 * the final directory may belong to (--owner), or (uid_t)-1.
 */
static int
check_lookup(certseal_ctx *ctx, const char *dir, const char *where,
    const struct stat *d, const char *name, const struct stat *e,
    uid_t also)
{
	char who[300];

	if (!trusted_uid(d->st_uid, (uid_t)-1)) {
		owner_text(d->st_uid, who, sizeof(who));
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: the directory "
		    "%s belongs to %s, not to root or to this user, who could "
		    "swap what is in it; refusing to write there (give a "
		    "directory of your own)", dir, where, who);
	}
	if ((d->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if ((d->st_mode & S_ISVTX) == 0)
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: the directory "
		    "%s is writable by %s, who could swap what is in it; "
		    "refusing to write below it", dir, where,
		    (d->st_mode & S_IWOTH) ? "everyone" : "its group");
	if (trusted_uid(e->st_uid, also))
		return 0;
	owner_text(e->st_uid, who, sizeof(who));
	return cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: %s in the shared "
	    "directory %s belongs to %s, not to root or to this user; "
	    "refusing to write there", dir, name, where, who);
}

/* where += "/" name, for messages (truncated, never overflowed). */
static void
walked_add(char *where, size_t size, const char *name)
{
	size_t n = strlen(where);

	if (n > 0 && where[n - 1] != '/' && n + 1 < size)
		where[n++] = '/';
	snprintf(where + n, size - n, "%s", name);
}

/*
 * The next component of *pp into comp; *lastp when nothing follows it.
 * 0, or -1 when it is longer than NAME_MAX.
 */
static int
next_component(const char **pp, char *comp, int *lastp)
{
	const char *p = *pp, *q;
	size_t len;

	while (*p == '/')
		p++;
	for (q = p; *q != '\0' && *q != '/'; q++)
		;
	len = (size_t)(q - p);
	if (len > NAME_MAX)
		return -1;
	memcpy(comp, p, len);
	comp[len] = '\0';
	while (*q == '/')
		q++;
	*lastp = *q == '\0';
	*pp = q;
	return 0;
}

/* *todo becomes target + "/" + rest (rest points into the old *todo). */
static int
splice_link(char **todo, const char *target, const char **rest)
{
	char *n;

	if (asprintf(&n, "%s/%s", target, *rest) < 0)
		return -1;
	free(*todo);
	*todo = n;
	*rest = n;
	return 0;
}

int
cs_dir_open_safe(certseal_ctx *ctx, const char *dir, uid_t also, int *fdp)
{
	char *todo = NULL, *cwd = NULL, comp[NAME_MAX + 1];
	char where[PATH_MAX] = "/", target[PATH_MAX], who[300];
	const char *p;
	struct stat sd, se;
	ssize_t n;
	int fd = -1, nfd, last = 1, links = 0, r;

	*fdp = -1;
	/*
	 * Walked from "/" one component at a time, each looked up in a
	 * directory only trusted users can change: a symlink or directory
	 * swapped in anywhere along the path by another user cannot
	 * redirect the write (the same mistake as a planted final
	 * directory, one level up).
	 */
	if (dir[0] != '/') {
		if ((cwd = getcwd(NULL, 0)) == NULL ||
		    asprintf(&todo, "%s/%s", cwd, dir) < 0) {
			todo = NULL;
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
			    strerror(errno));
			goto out;
		}
	} else if ((todo = strdup(dir)) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sd) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "/: %s", strerror(errno));
		goto out;
	}
	p = todo;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		if (next_component(&p, comp, &last) != 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
			    strerror(ENAMETOOLONG));
			goto out;
		}
		if (strcmp(comp, ".") == 0)
			continue;
		if (fstatat(fd, comp, &se, AT_SYMLINK_NOFOLLOW) != 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
			    strerror(errno));
			goto out;
		}
		if ((r = check_lookup(ctx, dir, where, &sd, comp, &se,
		    last ? also : (uid_t)-1)) != 0)
			goto out;
		if (S_ISLNK(se.st_mode)) {
			if (last) {
				r = cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: "
				    "the directory is a symbolic link; "
				    "refusing to write through it (give the "
				    "real directory)", dir);
				goto out;
			}
			if (++links > WALK_MAX_LINKS ||
			    (n = readlinkat(fd, comp, target,
			    sizeof(target) - 1)) < 0) {
				r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
				    strerror(links > WALK_MAX_LINKS ? ELOOP :
				    errno));
				goto out;
			}
			target[n] = '\0';
			if (splice_link(&todo, target, &p) != 0) {
				r = cs_nomem(ctx);
				goto out;
			}
			if (target[0] == '/') {
				close(fd);
				if ((fd = open("/", O_RDONLY | O_DIRECTORY |
				    O_CLOEXEC)) < 0 || fstat(fd, &sd) != 0) {
					r = cs_error(ctx, CERTSEAL_E_IO,
					    "/: %s", strerror(errno));
					goto out;
				}
				snprintf(where, sizeof(where), "/");
			}
			continue;
		}
		if (!S_ISDIR(se.st_mode)) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
			    strerror(ENOTDIR));
			goto out;
		}
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd < 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
			    strerror(errno));
			goto out;
		}
		close(fd);
		fd = nfd;
		if (fstat(fd, &sd) != 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
			    strerror(errno));
			goto out;
		}
		walked_add(where, sizeof(where), comp);
	}
	/*
	 * Whoever owns the directory can swap what is in it; only root,
	 * this user, or the user the file is for (--owner) may.
	 */
	if (!trusted_uid(sd.st_uid, also)) {
		owner_text(sd.st_uid, who, sizeof(who));
		r = cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: the directory "
		    "belongs to %s, not to root or to this user; refusing "
		    "to write there (give a directory of your own)", dir,
		    who);
		goto out;
	}
	*fdp = fd;
	fd = -1;
	r = 0; /* success */
 out:
	if (fd >= 0)
		close(fd);
	free(todo);
	free(cwd);
	return r;
}

/* A new temp file in dirfd: unnamed (O_TMPFILE) when the fs allows it. */
static int
open_tmp(int dirfd, const char *base, mode_t mode, char *tmpname,
    size_t tmpsize, int *namedp)
{
	int fd, tries;

	*namedp = 0;
	tmpname[0] = '\0';
	fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode & 0700);
	if (fd >= 0)
		return fd;
	/* Filesystem without O_TMPFILE: a named file, never a link. */
	for (tries = 0; tries < 16; tries++) {
		if (tmp_name(base, tmpname, tmpsize) != 0)
			return -1;
		fd = openat(dirfd, tmpname, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*namedp = 1;
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	tmpname[0] = '\0';
	return -1;
}

/* Owner first: fchown clears set-id bits, and the mode is then exact. */
static int
set_owner_mode(certseal_ctx *ctx, int fd, const char *path,
    const struct cs_write_opts *o)
{
	if ((o->uid != (uid_t)-1 || o->gid != (gid_t)-1) &&
	    fchown(fd, o->uid, o->gid) != 0)
		return cs_error(ctx, errno == EPERM ? CERTSEAL_E_PERMISSION :
		    CERTSEAL_E_IO, "%s: cannot give the file to uid %ld, gid "
		    "%ld: %s; the old file is unchanged", path,
		    o->uid == (uid_t)-1 ? -1L : (long)o->uid,
		    o->gid == (gid_t)-1 ? -1L : (long)o->gid,
		    strerror(errno));
	if (fchmod(fd, o->mode) != 0)
		return cs_error(ctx, CERTSEAL_E_IO, "%s: chmod: %s; the old "
		    "file is unchanged", path, strerror(errno));
	return 0;
}

int
cs_atomic_write_with(certseal_ctx *ctx, const char *path,
    const struct cs_write_opts *o, cs_fill_fn fill, void *arg)
{
	char *dir = NULL, tmpname[4096] = "";
	const char *base;
	int dirfd = -1, fd = -1, named = 0, r = CERTSEAL_E_INTERNAL;
	struct cs_error_saved why;
	struct stat st;

	if (split_path(path, &dir, &base) != 0)
		return cs_nomem(ctx);
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "%s: not a file name",
		    path);
		goto out;
	}
	if (o->mode & ~(mode_t)0777) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "%s: mode %04o has more "
		    "than permission bits", path, (unsigned int)o->mode);
		goto out;
	}
	/* Opened once; every later step is relative to this descriptor. */
	if ((r = cs_dir_open_safe(ctx, dir, o->uid, &dirfd)) != 0)
		goto out;
	/*
	 * Only a regular file is replaced.  A symlink is neither written
	 * through nor replaced: -o /dev/stdout would otherwise turn root's
	 * /dev/stdout into a file.
	 */
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		r = cs_error(ctx, S_ISLNK(st.st_mode) ? CERTSEAL_E_PERMISSION :
		    CERTSEAL_E_IO, "%s: %s", path, S_ISLNK(st.st_mode) ?
		    "a symbolic link; refusing to write through or replace "
		    "it (give the real path, or remove the link)" :
		    "not a regular file");
		goto out;
	}
	remove_stale_tmp(dirfd, base);
	if ((fd = open_tmp(dirfd, base, o->mode, tmpname, sizeof(tmpname),
	    &named)) < 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
		    strerror(errno));
		goto out;
	}
	/* Owner and mode are set before the file has a name anyone sees. */
	if ((r = set_owner_mode(ctx, fd, path, o)) != 0)
		goto out;
	if ((r = fill(ctx, fd, arg)) != 0) {
		cs_error_save(ctx, r, &why);
		r = cs_error(ctx, r, "%s: %s; the old file is unchanged",
		    path, why.msg);
		goto out;
	}
	if (fsync(fd) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: writing: %s; the old "
		    "file is unchanged", path, strerror(errno));
		goto out;
	}
	if (!named) {
		if (link_tmpfile(fd, dirfd, base, tmpname,
		    sizeof(tmpname)) != 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s; the old "
			    "file is unchanged", path, strerror(errno));
			tmpname[0] = '\0';
			goto out;
		}
		named = 1;
	}
	if (renameat(dirfd, tmpname, dirfd, base) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: rename: %s; the old "
		    "file is unchanged", path, strerror(errno));
		goto out;
	}
	tmpname[0] = '\0';
	if (fsync(dirfd) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: fsync: %s", dir,
		    strerror(errno));
		goto out;
	}
	r = 0; /* success */
 out:
	if (fd >= 0)
		close(fd);
	if (tmpname[0] != '\0' && named)
		(void)unlinkat(dirfd, tmpname, 0);
	if (dirfd >= 0)
		close(dirfd);
	free(dir);
	return r;
}

int
cs_atomic_write_opts(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, const struct cs_write_opts *o)
{
	struct buffer_fill b = { data, len };

	return cs_atomic_write_with(ctx, path, o, write_buffer, &b);
}

int
cs_atomic_write(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, mode_t mode)
{
	struct cs_write_opts o = { mode, (uid_t)-1, (gid_t)-1 };

	return cs_atomic_write_opts(ctx, path, data, len, &o);
}

int
cs_mkdir_p(certseal_ctx *ctx, const char *path, mode_t mode)
{
	char *copy, *p, saved;
	struct stat st;
	int r = 0;

	if ((copy = strdup(path)) == NULL)
		return cs_nomem(ctx);
	for (p = copy + 1; r == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) != 0 && errno != EEXIST)
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", copy,
			    strerror(errno));
		else if (stat(copy, &st) != 0 || !S_ISDIR(st.st_mode))
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: not a directory",
			    copy);
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return r;
}
