/*
 * killtrunc.c - an LD_PRELOAD shim that SIGKILLs the process right after
 * its Nth ftruncate() has shortened a file (tests/integration/
 * test-token-kills.sh).
 *
 * SoftHSM2's file back end rewrites a file in place: ftruncate, then the
 * new bytes through stdio, flushed when the file is closed.  A kill in
 * between leaves the file empty - token.object with it, and the token is
 * gone.  Those microseconds are seldom hit by a kill after a random delay
 * (and stdio's writes do not pass through an interposed write()), so this
 * shim puts a kill exactly there, at a chosen one of the truncations.
 *
 *   KILLTRUNC_AT=N     SIGKILL after the Nth ftruncate; 0 or unset: never
 *   KILLTRUNC_LOG=FILE at exit, append "COUNT\n" (ftruncate calls seen)
 *
 * LD_PRELOAD is removed from the environment at load (no child inherits
 * it).  Build: cc -shared -fPIC -o killtrunc.so killtrunc.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long at, calls;
static char logpath[PATH_MAX];
static int (*real_ftruncate)(int, off_t);

static void
report(void)
{
	char buf[32];
	int fd, n;

	if (logpath[0] == '\0' ||
	    (fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", calls);
	if (n > 0)
		(void)write(fd, buf, (size_t)n);
	close(fd);
}

__attribute__((constructor)) static void
init(void)
{
	const char *v;

	real_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
	if ((v = getenv("KILLTRUNC_AT")) != NULL)
		at = strtol(v, NULL, 10);
	if ((v = getenv("KILLTRUNC_LOG")) != NULL &&
	    strlen(v) < sizeof(logpath)) {
		strcpy(logpath, v);
		atexit(report);
	}
	unsetenv("LD_PRELOAD");
}

int
ftruncate(int fd, off_t len)
{
	int r = real_ftruncate(fd, len);

	if (++calls == at && at > 0)
		raise(SIGKILL);
	return r;
}

int
ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}
