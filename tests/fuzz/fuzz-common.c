/*
 * fuzz-common.c - set-up shared by the fuzz targets (see fuzz-common.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-common.h"

#ifndef FUZZ_KEYDIR
#define FUZZ_KEYDIR "tests/fuzz/keys"
#endif

static char workdir[PATH_MAX];
static pid_t owner;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz set-up: %s: %s\n", what, strerror(errno));
	abort();
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

void
fuzz_remove_tree(const char *sub)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fuzz_workdir(), sub);
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
cleanup(void)
{
	if (workdir[0] != '\0' && getpid() == owner)
		(void)nftw(workdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
copy_key(const char *name)
{
	char src[PATH_MAX], dst[PATH_MAX], buf[8192];
	const char *keydir = getenv("CS_FUZZ_KEYDIR");
	ssize_t n;
	int in, out;

	if (keydir == NULL || *keydir == '\0')
		keydir = FUZZ_KEYDIR;
	snprintf(src, sizeof(src), "%s/%s", keydir, name);
	snprintf(dst, sizeof(dst), "%s/keys/%s", workdir, name);
	if ((in = open(src, O_RDONLY)) < 0)
		die(src);
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		die(dst);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die(dst);
	close(in);
	close(out);
}

const char *
fuzz_workdir(void)
{
	const char *base;
	char keys[PATH_MAX];

	if (workdir[0] != '\0')
		return workdir;
	/* Prefer memory: several targets write a file per input. */
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(workdir, sizeof(workdir), "%s/cs-fuzz-XXXXXX", base);
	if (mkdtemp(workdir) == NULL)
		die("mkdtemp");
	owner = getpid();
	atexit(cleanup);
	snprintf(keys, sizeof(keys), "%s/keys", workdir);
	if (mkdir(keys, 0700) != 0)
		die(keys);
	copy_key("rsa.p12");
	copy_key("ec.p12");
	/* Nothing may reach the machine's stores, state or a real PIN. */
	snprintf(keys, sizeof(keys), "%s/stores", workdir);
	setenv("CERTSEAL_STORE_ROOT", keys, 1);
	setenv("XDG_DATA_HOME", workdir, 1);
	unsetenv("CERTSEAL_STATE_DIR");
	unsetenv("CERTSEAL_CERTIFICATE_SOURCE");
	setenv("CERTSEAL_PIN", "fuzz", 1);
	return workdir;
}

certseal_ctx *
fuzz_ctx(void)
{
	certseal_ctx *ctx = NULL;

	(void)fuzz_workdir();
	if (certseal_ctx_new(&ctx) != 0)
		die("certseal_ctx_new");
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	return ctx;
}

certseal_ctx *
fuzz_ctx_with_keys(void)
{
	certseal_ctx *ctx = fuzz_ctx();
	char uri[PATH_MAX + 16];

	snprintf(uri, sizeof(uri), "file:%s/keys/rsa.p12", workdir);
	if (certseal_ctx_add_source(ctx, uri) != 0)
		die(certseal_ctx_last_error(ctx));
	snprintf(uri, sizeof(uri), "file:%s/keys/ec.p12", workdir);
	if (certseal_ctx_add_source(ctx, uri) != 0)
		die(certseal_ctx_last_error(ctx));
	return ctx;
}

const char *
fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_workdir(), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd < 0)
		die(path);
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		die(path);
	close(fd);
	return path;
}
