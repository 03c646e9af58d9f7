/*
 * atomic-write.c - replace a file so that readers and crashes see either
 * the old or the new content, never a mix (DESIGN.md section 6).
 *
 * The new content goes into an unnamed O_TMPFILE in the target's directory,
 * so a crash before the rename leaves nothing behind; it is fsync'ed, given
 * a temporary name, renamed over the target, and the directory is fsync'ed.
 * Where O_TMPFILE is not supported a named O_EXCL file is used instead.
 *
 * The directory is opened once (cs_dir_open_safe, dir-safe.c), and every
 * step - create, link, rename, fsync - is relative to that descriptor: a
 * symlink or directory swapped in by whoever can write a parent changes
 * nothing once it is open.  Owner and mode are set on the descriptor before the file has a name
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

int
cs_fill_buffer(certseal_ctx *ctx, int fd, void *arg)
{
	const struct cs_buffer_fill *b = arg;
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
	struct cs_buffer_fill b = { data, len };

	return cs_atomic_write_with(ctx, path, o, cs_fill_buffer, &b);
}

int
cs_atomic_write(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, mode_t mode)
{
	struct cs_write_opts o = { mode, (uid_t)-1, (gid_t)-1 };

	return cs_atomic_write_opts(ctx, path, data, len, &o);
}
