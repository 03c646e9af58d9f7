/*
 * atomic-write.c - replace a file so that readers and crashes see either
 * the old or the new content, never a mix (DESIGN.md section 6).
 *
 * The new content goes into an unnamed O_TMPFILE in the target's directory,
 * so a crash before the rename leaves nothing behind; it is fsync'ed, given
 * a temporary name, renamed over the target, and the directory is fsync'ed.
 * Where O_TMPFILE is not supported a named mkstemp file is used instead.
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

/* Gives the unnamed file fd the name dir/.base.PID-XXXXXXXX.tmp. */
static int
link_tmpfile(int fd, int dirfd, const char *base, char *tmpname,
    size_t tmpsize)
{
	unsigned char rnd[8];
	char procpath[64];
	int tries;

	for (tries = 0; tries < 16; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -1;
		snprintf(tmpname, tmpsize, ".%s.%ld-%02x%02x%02x%02x%02x%02x"
		    ".tmp", base, (long)getpid(), rnd[0], rnd[1], rnd[2],
		    rnd[3], rnd[4], rnd[5]);
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

int
cs_atomic_write(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, mode_t mode)
{
	char *dir = NULL, tmpname[4096] = "";
	const char *base;
	int dirfd = -1, fd = -1, named = 0, r = CERTSEAL_E_INTERNAL;
	struct stat st;

	if (split_path(path, &dir, &base) != 0)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	if (*base == '\0') {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "%s: not a file name",
		    path);
		goto out;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: not a regular file",
		    path);
		goto out;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
		    strerror(errno));
		goto out;
	}
	remove_stale_tmp(dirfd, base);
	fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0) {
		/* Filesystem without O_TMPFILE: fall back to a named file. */
		snprintf(tmpname, sizeof(tmpname), "%s/.%s.%ld-XXXXXX.tmp",
		    dir, base, (long)getpid());
		if ((fd = mkstemps(tmpname, 4)) < 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
			    strerror(errno));
			tmpname[0] = '\0';
			goto out;
		}
		named = 1;
	}
	if (fchmod(fd, mode) != 0 || cs_write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
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
		if (renameat(dirfd, tmpname, dirfd, base) != 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: rename: %s; the "
			    "old file is unchanged", path, strerror(errno));
			unlinkat(dirfd, tmpname, 0);
			tmpname[0] = '\0';
			goto out;
		}
	} else if (rename(tmpname, path) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: rename: %s; the old "
		    "file is unchanged", path, strerror(errno));
		unlink(tmpname);
		tmpname[0] = '\0';
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
		unlink(tmpname);
	if (dirfd >= 0)
		close(dirfd);
	free(dir);
	return r;
}

int
cs_mkdir_p(certseal_ctx *ctx, const char *path, mode_t mode)
{
	char *copy, *p, saved;
	struct stat st;
	int r = 0;

	if ((copy = strdup(path)) == NULL)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
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
