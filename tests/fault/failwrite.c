/*
 * failwrite.c - an LD_PRELOAD shim that makes the Nth file-system call of
 * a process fail, or kills the process there, to prove that certseal's
 * writes are atomic (tests/integration/test-faults.sh).
 *
 * Counted calls: write/pwrite to a regular file, fsync, fdatasync,
 * rename/renameat/renameat2, link/linkat, and open/openat with O_TMPFILE
 * or O_CREAT - each only when the path (or the file behind the fd) is not
 * under one of the FAILWRITE_SKIP prefixes (e.g. a SoftHSM2 token
 * directory, whose own writes are not what is tested).
 *
 *   FAILWRITE_AFTER=N     the Nth counted call and every later one fail
 *                         (a disk that stays full); 0 or unset: none
 *   FAILWRITE_ONCE=1      only the Nth call fails
 *   FAILWRITE_ERRNO=EIO   the error (ENOSPC by default; EIO, EDQUOT)
 *   FAILWRITE_KILL=1      SIGKILL the process at the Nth call instead
 *   FAILWRITE_SKIP=P:Q    path prefixes that are not counted
 *   FAILWRITE_LOG=FILE    at exit, append "COUNT\n" (calls counted)
 *
 * The shim removes LD_PRELOAD from the environment at load, so that an
 * editor or other child does not inherit it.
 *
 * Build: cc -shared -fPIC -o failwrite.so failwrite.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

static long after;		/* 0: never fail */
static long calls;
static int once, do_kill, fail_errno = ENOSPC;
static char skip[4096];
static char logpath[PATH_MAX];

static void
report(void)
{
	char buf[32];
	int fd, n;

	if (logpath[0] == '\0')
		return;
	if ((fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", calls);
	/* The real syscall: this write must not count itself. */
	(void)syscall(SYS_write, fd, buf, (size_t)n);
	close(fd);
}

__attribute__((constructor)) static void
init(void)
{
	const char *v;

	if ((v = getenv("FAILWRITE_AFTER")) != NULL)
		after = strtol(v, NULL, 10);
	once = (v = getenv("FAILWRITE_ONCE")) != NULL && *v == '1';
	do_kill = (v = getenv("FAILWRITE_KILL")) != NULL && *v == '1';
	if ((v = getenv("FAILWRITE_ERRNO")) != NULL) {
		if (strcmp(v, "EIO") == 0)
			fail_errno = EIO;
		else if (strcmp(v, "EDQUOT") == 0)
			fail_errno = EDQUOT;
	}
	if ((v = getenv("FAILWRITE_SKIP")) != NULL)
		snprintf(skip, sizeof(skip), "%s", v);
	if ((v = getenv("FAILWRITE_LOG")) != NULL)
		snprintf(logpath, sizeof(logpath), "%s", v);
	unsetenv("LD_PRELOAD");
	atexit(report);
}

static int
skipped(const char *path)
{
	const char *p = skip, *end;
	size_t n;

	if (path == NULL || strncmp(path, "/proc/", 6) == 0 ||
	    (strncmp(path, "/dev/", 5) == 0 &&
	    strncmp(path, "/dev/shm/", 9) != 0))
		return 1;
	while (*p != '\0') {
		end = strchr(p, ':');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n > 0 && strncmp(path, p, n) == 0)
			return 1;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

static int
skipped_at(int dirfd, const char *path)
{
	char link[64], full[PATH_MAX * 2];
	ssize_t n;

	if (path != NULL && path[0] == '/')
		return skipped(path);
	if (dirfd == AT_FDCWD) {
		if (getcwd(full, PATH_MAX) == NULL)
			return 0;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		if ((n = readlink(link, full, PATH_MAX - 1)) < 0)
			return 0;
		full[n] = '\0';
	}
	if (path != NULL) {
		strcat(full, "/");
		strncat(full, path, PATH_MAX - 1);
	}
	return skipped(full);
}

/* Counts only regular files and directories (not pipes, ttys). */
static int
skipped_fd(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0 ||
	    (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
		return 1;
	return skipped_at(fd, NULL);
}

/* 1 when this call must fail (errno set); may not return (kill). */
static int
hit(void)
{
	calls++;
	if (after <= 0 || calls < after || (once && calls != after))
		return 0;
	if (do_kill)
		raise(SIGKILL);
	errno = fail_errno;
	return 1;
}

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (real_##name == NULL) \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(write);
	if (!skipped_fd(fd) && hit())
		return -1;
	return real_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite);
	if (!skipped_fd(fd) && hit())
		return -1;
	return real_pwrite(fd, buf, n, off);
}

int
fsync(int fd)
{
	REAL(fsync);
	if (!skipped_fd(fd) && hit())
		return -1;
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);
	if (!skipped_fd(fd) && hit())
		return -1;
	return real_fdatasync(fd);
}

int
rename(const char *from, const char *to)
{
	REAL(rename);
	if (!skipped_at(AT_FDCWD, to) && hit())
		return -1;
	return real_rename(from, to);
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	REAL(renameat);
	if (!skipped_at(fd2, to) && hit())
		return -1;
	return real_renameat(fd1, from, fd2, to);
}

int
renameat2(int fd1, const char *from, int fd2, const char *to,
    unsigned int flags)
{
	REAL(renameat2);
	if (!skipped_at(fd2, to) && hit())
		return -1;
	return real_renameat2(fd1, from, fd2, to, flags);
}

int
link(const char *from, const char *to)
{
	REAL(link);
	if (!skipped_at(AT_FDCWD, to) && hit())
		return -1;
	return real_link(from, to);
}

int
linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
	REAL(linkat);
	if (!skipped_at(fd2, to) && hit())
		return -1;
	return real_linkat(fd1, from, fd2, to, flags);
}

static int
counted_open(int dirfd, const char *path, int flags)
{
	if ((flags & O_TMPFILE) != O_TMPFILE && (flags & O_CREAT) == 0)
		return 0;
	return !skipped_at(dirfd, path) && hit();
}

#define OPEN_MODE(flags, mode) do { \
	va_list ap; \
	mode = 0; \
	if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) { \
		va_start(ap, flags); \
		mode = va_arg(ap, mode_t); \
		va_end(ap); \
	} \
} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode;

	REAL(open);
	OPEN_MODE(flags, mode);
	if (counted_open(AT_FDCWD, path, flags))
		return -1;
	return real_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode;

	REAL(open64);
	OPEN_MODE(flags, mode);
	if (counted_open(AT_FDCWD, path, flags))
		return -1;
	return real_open64(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	REAL(openat);
	OPEN_MODE(flags, mode);
	if (counted_open(dirfd, path, flags))
		return -1;
	return real_openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	REAL(openat64);
	OPEN_MODE(flags, mode);
	if (counted_open(dirfd, path, flags))
		return -1;
	return real_openat64(dirfd, path, flags, mode);
}
