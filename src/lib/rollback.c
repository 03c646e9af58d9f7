/*
 * rollback.c - anti-rollback state: per configuration name, the highest
 * sequence number a client has accepted (docs/FORMAT.md "Anti-rollback").
 *
 * One small file per name in the state directory, "<encoded name>.seq",
 * holding the decimal sequence and a newline, written atomically 0600.
 * The name comes from a signed attribute, but is still encoded so that no
 * name can reach outside the directory: [A-Za-z0-9_-] and inner dots stay,
 * everything else becomes %XX.
 *
 * The state only ever goes up.  Two clients opening files of different
 * sequences at once must not leave the lower one recorded, so the update
 * takes an exclusive flock(2) on the state directory, reads the state
 * again under it and writes only a higher sequence.  Whoever can write
 * the state can undo anti-rollback, so, as OpenSSH's StrictModes, the
 * directory, its parents and the state file must belong to the effective
 * user or root and be writable by nobody else (a sticky parent such as
 * /tmp excepted).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "envelope-internal.h"

#define STATE_FILE_MAX	64

/* "<encoded name>.seq" (malloc'ed). */
static int
state_name(certseal_ctx *ctx, const char *name, char **out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i, n = strlen(name), o = 0;
	char *enc;
	unsigned char c;

	*out = NULL;
	if ((enc = malloc(3 * n + sizeof(".seq"))) == NULL)
		return cs_nomem(ctx);
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    (c == '.' && i > 0))
			enc[o++] = (char)c;
		else {
			enc[o++] = '%';
			enc[o++] = digits[c >> 4];
			enc[o++] = digits[c & 0x0f];
		}
	}
	memcpy(enc + o, ".seq", sizeof(".seq"));
	*out = enc;
	return 0;
}

/* Owned by us or root, and writable by nobody else. */
static int
check_strict(certseal_ctx *ctx, const struct stat *st, const char *what,
    const char *path)
{
	uid_t me = cs_euid();

	if (st->st_uid != me && st->st_uid != 0)
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "anti-rollback "
		    "state: %s %s belongs to uid %lu, not to uid %lu or root; "
		    "its owner could undo anti-rollback (keep the state where "
		    "only this user or root can write)", what, path,
		    (unsigned long)st->st_uid, (unsigned long)me);
	if ((st->st_mode & 022) != 0)
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "anti-rollback "
		    "state: %s %s is writable by %s (mode %03o); run chmod "
		    "go-w %s", what, path, (st->st_mode & 002) != 0 ?
		    "others" : "its group", (unsigned int)(st->st_mode & 0777),
		    path);
	return 0;
}

/*
 * Opens the state directory, checked; create makes it (0700) when it is
 * missing.  Without create, a missing directory is CERTSEAL_E_NOT_FOUND
 * with no message: there is no state yet.  The path is walked as every
 * directory certseal trusts (cs_dir_open_trusted): a resolved path would
 * say nothing of who can change the links on the way, and whoever can
 * swap one can point the state at an empty directory.
 */
static int
open_state_dir(certseal_ctx *ctx, int create, int *fdp)
{
	const struct cs_dir_walk w = { (uid_t)-1, create ? 0700 : 0,
	    "keep anti-rollback state" };
	struct stat st;
	int fd = -1, r = CERTSEAL_E_INTERNAL;

	*fdp = -1;
	if ((r = cs_dir_open_trusted(ctx, ctx->state_dir, &w, &fd,
	    &st)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND && !create)
			cs_error_clear(ctx);
		else
			cs_error_prefix(ctx, "anti-rollback state");
		goto out;
	}
	if ((r = check_strict(ctx, &st, "directory", ctx->state_dir)) != 0)
		goto out;
	*fdp = fd;
	fd = -1;
	r = 0; /* success */
 out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* Reads the stored sequence below dirfd; *have = 0 when there is none. */
static int
read_state_at(certseal_ctx *ctx, int dirfd, const char *file,
    uint64_t *seqp, int *have)
{
	struct cs_secret *buf = NULL;
	struct stat st;
	char shown[PATH_MAX];
	size_t len, i;
	uint64_t v = 0;
	int fd = -1, r;

	*have = 0;
	*seqp = 0;
	snprintf(shown, sizeof(shown), "%s/%s", ctx->state_dir, file);
	if ((r = cs_input_open(ctx, dirfd, file, shown, O_NOFOLLOW, &fd,
	    &st)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND) {
			cs_error_clear(ctx);
			return 0;
		}
		cs_error_prefix(ctx, "anti-rollback state");
		return r;
	}
	if ((r = check_strict(ctx, &st, "file", shown)) != 0 ||
	    (r = cs_read_secret_fd_st(ctx, fd, shown, STATE_FILE_MAX, &st,
	    &buf)) != 0)
		goto out;
	len = buf->len;
	while (len > 0 && (buf->data[len - 1] == '\n' ||
	    buf->data[len - 1] == '\r'))
		len--;
	for (i = 0; i < len; i++) {
		if (buf->data[i] < '0' || buf->data[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(buf->data[i] - '0')) / 10) {
			len = 0;
			break;
		}
		v = v * 10 + (uint64_t)(buf->data[i] - '0');
	}
	if (len == 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "anti-rollback state %s is "
		    "damaged; remove it to accept the current sequence",
		    shown);
		goto out;
	}
	*seqp = v;
	*have = 1;
	r = 0; /* success */
 out:
	cs_secret_free(buf);
	close(fd);
	return r;
}

/*
 * Replaces dirfd/file with sequence: a temp file written, fsync'ed and
 * renamed over it, then the directory fsync'ed.  Called with the
 * directory's lock held, so one temp name per file is enough.
 */
static int
write_state_locked(certseal_ctx *ctx, int dirfd, const char *file,
    uint64_t sequence)
{
	char tmp[PATH_MAX], buf[32];
	int fd = -1, n, r = CERTSEAL_E_INTERNAL;

	n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)sequence);
	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", file) >= (int)sizeof(tmp))
		return cs_error(ctx, CERTSEAL_E_IO, "anti-rollback state: "
		    "name too long");
	(void)unlinkat(dirfd, tmp, 0);	/* left by a crash */
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0 ||
	    cs_write_all(fd, buf, (size_t)n) != 0 || fsync(fd) != 0 ||
	    close(fd) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "anti-rollback state %s/%s: "
		    "%s", ctx->state_dir, file, strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	if (renameat(dirfd, tmp, dirfd, file) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "anti-rollback state %s/%s: "
		    "%s", ctx->state_dir, file, strerror(errno));
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	if (fsync(dirfd) != 0)
		return cs_error(ctx, CERTSEAL_E_IO, "anti-rollback state %s: "
		    "%s", ctx->state_dir, strerror(errno));
	return 0;
}

int
cs_rollback_check(certseal_ctx *ctx, const char *name, uint64_t sequence,
    int *newerp)
{
	char *file = NULL;
	uint64_t stored = 0;
	int dirfd = -1, have = 0, r;

	*newerp = 0;
	if (ctx->state_dir == NULL)
		return 0;
	if ((r = state_name(ctx, name, &file)) != 0)
		goto out;
	if ((r = open_state_dir(ctx, 0, &dirfd)) == CERTSEAL_E_NOT_FOUND)
		r = 0;	/* no state yet */
	else if (r != 0 ||
	    (r = read_state_at(ctx, dirfd, file, &stored, &have)) != 0)
		goto out;
	if (have && sequence < stored &&
	    (ctx->flags & CERTSEAL_FLAG_ALLOW_ROLLBACK) == 0) {
		r = cs_error(ctx, CERTSEAL_E_ROLLBACK, "sequence %llu of '%s' "
		    "is older than %llu, already seen; this is an old file "
		    "(use --allow-rollback to accept it)",
		    (unsigned long long)sequence, name,
		    (unsigned long long)stored);
		goto out;
	}
	*newerp = !have || sequence > stored;
	r = 0; /* success */
 out:
	if (dirfd >= 0)
		close(dirfd);
	free(file);
	return r;
}

int
cs_rollback_store(certseal_ctx *ctx, const char *name, uint64_t sequence)
{
	char *file = NULL;
	uint64_t stored = 0;
	int dirfd = -1, have = 0, r;

	/* check and inspect look; only an open remembers. */
	if (ctx->state_dir == NULL ||
	    (ctx->flags & CERTSEAL_FLAG_STATE_READ_ONLY) != 0)
		return 0;
	if ((r = state_name(ctx, name, &file)) != 0 ||
	    (r = open_state_dir(ctx, 1, &dirfd)) != 0)
		goto out;
	while ((r = flock(dirfd, LOCK_EX)) != 0 && errno == EINTR)
		;
	if (r != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "anti-rollback state %s: "
		    "cannot lock: %s", ctx->state_dir, strerror(errno));
		goto out;
	}
	/* Another client may have recorded a higher one meanwhile. */
	if ((r = read_state_at(ctx, dirfd, file, &stored, &have)) != 0)
		goto out;
	if (have && stored >= sequence) {
		r = 0;
		goto out;
	}
	r = write_state_locked(ctx, dirfd, file, sequence);
 out:
	if (dirfd >= 0)
		close(dirfd);	/* and the lock with it */
	free(file);
	return r;
}
