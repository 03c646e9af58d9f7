/*
 * input-file.c - the one way certseal opens a file it reads: a sealed
 * configuration, a key file, a pin-source or password file, a report, a
 * store entry, a profile.
 *
 * Why one helper: open(2) of a FIFO waits for a writer (forever, when
 * nobody writes), a device may block or act on open, and a directory or
 * socket only fails later with a confusing message.  Here every input is
 * opened with O_NONBLOCK (so that opening never waits) and O_NOCTTY (so
 * that a terminal never becomes ours), checked with fstat(2) to be a
 * regular file, and only then made blocking again.  A special file is
 * refused at once, by name, before a single byte is read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

const char *
cs_file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO (named pipe)";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "a special file";
}

/* The message for a failed open; a socket fails with ENXIO, say so. */
static int
open_error(certseal_ctx *ctx, int dirfd, const char *path, const char *shown,
    int flags, int err)
{
	struct stat st;

	if (err == ENXIO && fstatat(dirfd, path, &st,
	    (flags & O_NOFOLLOW) != 0 ? AT_SYMLINK_NOFOLLOW : 0) == 0 &&
	    !S_ISREG(st.st_mode))
		return cs_error(ctx, CERTSEAL_E_IO, "%s: %s, not a regular "
		    "file", shown, cs_file_kind(st.st_mode));
	if (err == ELOOP && (flags & O_NOFOLLOW) != 0)
		return cs_error(ctx, CERTSEAL_E_IO, "%s: a symbolic link, not "
		    "a regular file", shown);
	if (err == ENOENT)
		return cs_error(ctx, CERTSEAL_E_NOT_FOUND, "%s: %s", shown,
		    strerror(err));
	if (err == EACCES)
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: %s", shown,
		    strerror(err));
	return cs_error(ctx, CERTSEAL_E_IO, "%s: %s", shown, strerror(err));
}

int
cs_input_open(certseal_ctx *ctx, int dirfd, const char *path,
    const char *shown, int flags, int *fdp, struct stat *stp)
{
	struct stat st;
	int fd = -1, r = CERTSEAL_E_INTERNAL;

	*fdp = -1;
	if (shown == NULL)
		shown = path;
	flags &= O_NOFOLLOW;	/* the only flag a caller may add */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    flags);
	if (fd < 0) {
		r = open_error(ctx, dirfd, path, shown, flags, errno);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", shown,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s, not a regular file",
		    shown, cs_file_kind(st.st_mode));
		goto out;
	}
	/*
	 * O_NONBLOCK stays set: it only kept open(2) from waiting on a FIFO,
	 * and reads of a regular file ignore it (no EAGAIN; Linux has had no
	 * mandatory locks since 5.15), so clearing it would cost two calls
	 * for nothing on every file read.
	 */
	if (stp != NULL)
		*stp = st;
	*fdp = fd;
	fd = -1;
	r = 0; /* success */
 out:
	if (fd >= 0)
		close(fd);
	return r;
}

uid_t
cs_euid(void)
{
	static uid_t euid;
	static int known;

	if (!known) {
		euid = geteuid();
		known = 1;
	}
	return euid;
}

ssize_t
cs_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}
