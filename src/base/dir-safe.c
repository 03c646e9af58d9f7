/*
 * dir-safe.c - the one rule for "this directory path is trusted"
 * (issue 19.4, audit B findings 1 and 2): OpenSSH's safe_path with the
 * rule of certseal(1) for symbolic links.  The path is walked from "/"
 * one component at a time, each looked up with O_NOFOLLOW in a directory
 * that belongs to root or this user and that group and others cannot
 * write - or that is sticky, as /tmp, and then only for entries of root
 * or this user.  A symbolic link on the way is followed only when it
 * belongs to root or this user too, and its target is walked by the same
 * rule from where the link points.  The final directory is never a link
 * and belongs to root, this user or the user a file is for (--owner).
 * A missing directory is made only once the directory it goes into has
 * passed, so nothing is created inside another user's directory before
 * the refusal.
 *
 * Everything certseal trusts for reading or writing security state opens
 * its directory here, by descriptor, once: the directory a file is
 * written into (atomic-write.c), the anti-rollback state (rollback.c),
 * the store (store-path.c), cs_mkdir_p and the reports directory.  A
 * realpath() and a check of what it resolved to would look at the path
 * the links pointed to when it was resolved, not at who can change the
 * links, and not at what is opened afterwards.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir-safe.h"

/* Symlinks followed in one directory path, as the kernel's MAXSYMLINKS. */
#define WALK_MAX_LINKS	40

/* One walk: where it is, and what is left of the path. */
struct walk {
	certseal_ctx			*ctx;
	const char			*dir;	/* as given, for messages */
	const struct cs_dir_walk	*w;
	int				 fd;	/* the directory reached */
	int				 readable; /* fd is open for reading */
	struct stat			 sd;	/* its fstat */
	char				 where[PATH_MAX]; /* its path, shown */
	char				*todo;	/* the path, links spliced in */
	const char			*p;	/* what is left of todo */
	int				 links;
};

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

static int
trusted_uid(uid_t uid, uid_t also)
{
	return uid == 0 || uid == cs_euid() || (also != (uid_t)-1 &&
	    uid == also);
}

/* A failed system call on the way: missing, not ours to enter, or I/O. */
static int
walk_errno(struct walk *wk, int err)
{
	if (err == EACCES)
		return cs_error(wk->ctx, CERTSEAL_E_PERMISSION, "%s: "
		    "permission denied in %s: run as the user it is for (or "
		    "root)", wk->dir, wk->where);
	return cs_error(wk->ctx, err == ENOENT ? CERTSEAL_E_NOT_FOUND :
	    CERTSEAL_E_IO, "%s: %s", wk->dir, strerror(err));
}

/*
 * Who can change the entries of the directory reached: its owner, and
 * anyone if group or others may write it - except in a sticky directory
 * (/tmp), where only an entry's owner can replace that entry (the entry
 * is checked by check_entry).  Checked before anything is looked up or
 * made in it.
 */
static int
check_container(struct walk *wk)
{
	char who[300];

	if (!trusted_uid(wk->sd.st_uid, (uid_t)-1)) {
		owner_text(wk->sd.st_uid, who, sizeof(who));
		return cs_error(wk->ctx, CERTSEAL_E_PERMISSION, "%s: the "
		    "directory %s belongs to %s, not to root or to this user, "
		    "who could swap what is in it; refusing to %s below it "
		    "(give a directory of your own)", wk->dir, wk->where, who,
		    wk->w->use);
	}
	if ((wk->sd.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (wk->sd.st_mode & S_ISVTX) == 0)
		return cs_error(wk->ctx, CERTSEAL_E_PERMISSION, "%s: the "
		    "directory %s is writable by %s, who could swap what is "
		    "in it; refusing to %s below it", wk->dir, wk->where,
		    (wk->sd.st_mode & S_IWOTH) ? "everyone" : "its group",
		    wk->w->use);
	return 0;
}

/*
 * The entry name (lstat e) of the directory reached.  A link is followed
 * only when root or this user made it: whoever owns a link in a shared
 * directory can point it anywhere at any time, and a link of another
 * user's elsewhere says that user chose where it goes.  In a sticky
 * directory any other entry must be root's or this user's too (or, for
 * the last one, the --owner user's).
 */
static int
check_entry(struct walk *wk, const char *name, const struct stat *e,
    int last)
{
	char who[300], path[PATH_MAX + NAME_MAX + 2];
	int shared = (wk->sd.st_mode & (S_IWGRP | S_IWOTH)) != 0;

	snprintf(path, sizeof(path), "%s%s%s", wk->where,
	    strcmp(wk->where, "/") == 0 ? "" : "/", name);
	if (S_ISLNK(e->st_mode) && !trusted_uid(e->st_uid, (uid_t)-1)) {
		owner_text(e->st_uid, who, sizeof(who));
		return cs_error(wk->ctx, CERTSEAL_E_PERMISSION, "%s: %s is a "
		    "symbolic link owned by %s%s: refused; only links of root "
		    "or this user are followed (give the real path)", wk->dir,
		    path, who, shared ? " in a directory others can write" :
		    "");
	}
	if (!shared || trusted_uid(e->st_uid, last ? wk->w->also :
	    (uid_t)-1))
		return 0;
	owner_text(e->st_uid, who, sizeof(who));
	return cs_error(wk->ctx, CERTSEAL_E_PERMISSION, "%s: %s in the shared "
	    "directory %s belongs to %s, not to root or to this user; "
	    "refusing to %s there", wk->dir, name, wk->where, who,
	    wk->w->use);
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
 * The next component of wk->p into comp; *lastp when nothing follows it.
 * 0, or -1 when it is longer than NAME_MAX.
 */
static int
next_component(struct walk *wk, char *comp, int *lastp)
{
	const char *p = wk->p, *q;
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
	wk->p = q;
	return 0;
}

/* The walk goes on at "/" (its start, and where an absolute link goes). */
static int
walk_from_root(struct walk *wk)
{
	if (wk->fd >= 0)
		close(wk->fd);
	wk->readable = 0;
	if ((wk->fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(wk->fd, &wk->sd) != 0)
		return cs_error(wk->ctx, CERTSEAL_E_IO, "/: %s",
		    strerror(errno));
	snprintf(wk->where, sizeof(wk->where), "/");
	return 0;
}

/*
 * comp, a checked symbolic link in the directory reached, open as linkfd
 * (O_PATH): what is left to walk becomes its target and the rest, from
 * "/" when the target is absolute.
 */
static int
follow_link(struct walk *wk, int linkfd)
{
	char target[PATH_MAX], *n;
	ssize_t len;

	if (++wk->links > WALK_MAX_LINKS)
		return walk_errno(wk, ELOOP);
	if ((len = readlinkat(linkfd, "", target, sizeof(target) - 1)) < 0)
		return walk_errno(wk, errno);
	target[len] = '\0';
	if (asprintf(&n, "%s/%s", target, wk->p) < 0)
		return cs_nomem(wk->ctx);
	free(wk->todo);
	wk->todo = n;
	wk->p = n;
	if (target[0] == '/')
		return walk_from_root(wk);
	return 0;
}

/*
 * comp in the directory reached, opened without following it (*fdp) and
 * fstat'ed (*se: what lstat would say, of what was opened).  On the way
 * it is opened O_PATH: nothing that is not a directory is opened (a FIFO,
 * a device), and search permission is enough, as for open(2) of the
 * whole path.  The last component is opened for reading at once
 * (O_DIRECTORY: only a directory is), as the caller wants it
 * (*readablep); when that fails, through O_PATH, so that a link, a file or
 * another user's entry is named as such.  A missing one is made first
 * when the walk creates (the directory was checked: only trusted users
 * can have put something there meanwhile, or, sticky, it is checked as
 * their entry).
 */
static int
open_entry(struct walk *wk, const char *comp, int last, int *fdp,
    struct stat *se, int *readablep)
{
	const int look = O_PATH | O_NOFOLLOW | O_CLOEXEC;
	const int reading = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd, err, tries;

	*readablep = 0;
	for (tries = 0;; tries++) {
		if (last && (fd = openat(wk->fd, comp, reading)) >= 0) {
			*readablep = 1;
			break;
		}
		if ((fd = openat(wk->fd, comp, look)) >= 0)
			break;
		if (errno != ENOENT || wk->w->create == 0 || tries > 0)
			return walk_errno(wk, errno);
		if (mkdirat(wk->fd, comp, wk->w->create) != 0 &&
		    errno != EEXIST)
			return cs_error(wk->ctx, errno == EACCES ?
			    CERTSEAL_E_PERMISSION : CERTSEAL_E_IO, "%s: cannot "
			    "create %s in %s: %s", wk->dir, comp, wk->where,
			    strerror(errno));
	}
	if (fstat(fd, se) != 0) {
		err = errno;
		close(fd);
		return walk_errno(wk, err);
	}
	*fdp = fd;
	return 0;
}

/*
 * What the entry se of comp is to the walk: 0 for a directory to enter,
 * 1 for a link to follow, else the refusal.
 */
static int
judge_entry(struct walk *wk, const char *comp, const struct stat *se,
    int last)
{
	int r;

	if ((r = check_entry(wk, comp, se, last)) != 0)
		return r;
	if (S_ISLNK(se->st_mode) && last)
		return cs_error(wk->ctx, CERTSEAL_E_PERMISSION, "%s: the "
		    "directory is a symbolic link; refusing to follow it "
		    "(give the real directory)", wk->dir);
	if (S_ISLNK(se->st_mode))
		return 1;
	if (!S_ISDIR(se->st_mode))
		return walk_errno(wk, ENOTDIR);
	return 0;
}

/* One component: checked, then entered, followed or skipped. */
static int
walk_step(struct walk *wk, const char *comp, int last)
{
	struct stat se;
	int nfd = -1, readable, r;

	if (strcmp(comp, ".") == 0)
		return 0;
	if ((r = check_container(wk)) != 0 ||
	    (r = open_entry(wk, comp, last, &nfd, &se, &readable)) != 0)
		return r;
	if ((r = judge_entry(wk, comp, &se, last)) == 1)
		r = follow_link(wk, nfd);
	if (r != 0) {
		close(nfd);
		return r;
	}
	if (S_ISLNK(se.st_mode)) {
		close(nfd);	/* followed */
		return 0;
	}
	close(wk->fd);
	wk->fd = nfd;
	wk->sd = se;
	wk->readable = readable;
	walked_add(wk->where, sizeof(wk->where), comp);
	return 0;
}

/* wk->todo: dir, made absolute against the working directory. */
static int
walk_start(struct walk *wk)
{
	char *cwd = NULL;
	int r;

	if (wk->dir[0] == '/')
		wk->todo = strdup(wk->dir);
	else if ((cwd = getcwd(NULL, 0)) == NULL) {
		r = walk_errno(wk, errno);
		goto out;
	} else if (asprintf(&wk->todo, "%s/%s", cwd, wk->dir) < 0)
		wk->todo = NULL;
	if (wk->todo == NULL) {
		r = cs_nomem(wk->ctx);
		goto out;
	}
	wk->p = wk->todo;
	r = walk_from_root(wk);
 out:
	free(cwd);
	return r;
}

int
cs_dir_open_trusted(certseal_ctx *ctx, const char *dir,
    const struct cs_dir_walk *w, int *fdp, struct stat *stp)
{
	struct walk wk;
	char comp[NAME_MAX + 1], who[300];
	int fd, last = 1, r;

	*fdp = -1;
	memset(&wk, 0, sizeof(wk));
	wk.ctx = ctx;
	wk.dir = dir;
	wk.w = w;
	wk.fd = -1;
	if ((r = walk_start(&wk)) != 0)
		goto out;
	for (;;) {
		while (*wk.p == '/')
			wk.p++;
		if (*wk.p == '\0')
			break;
		if (next_component(&wk, comp, &last) != 0) {
			r = walk_errno(&wk, ENAMETOOLONG);
			goto out;
		}
		if ((r = walk_step(&wk, comp, last)) != 0)
			goto out;
	}
	/*
	 * Whoever owns the directory can swap what is in it; only root,
	 * this user, or the user a file is for (--owner) may.
	 */
	if (!trusted_uid(wk.sd.st_uid, w->also)) {
		owner_text(wk.sd.st_uid, who, sizeof(who));
		r = cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: the directory "
		    "belongs to %s, not to root or to this user; refusing "
		    "to %s there (give a directory of your own)", dir, who,
		    w->use);
		goto out;
	}
	/*
	 * The caller gets a descriptor it can read, lock and fsync: the last
	 * component's, or one opened through the O_PATH one.
	 */
	if (wk.readable) {
		fd = wk.fd;
		wk.fd = -1;
	} else if ((fd = openat(wk.fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		r = walk_errno(&wk, errno);
		goto out;
	}
	if (stp != NULL)
		*stp = wk.sd;
	*fdp = fd;
	r = 0; /* success */
 out:
	if (wk.fd >= 0)
		close(wk.fd);
	free(wk.todo);
	return r;
}

int
cs_dir_open_safe(certseal_ctx *ctx, const char *dir, uid_t also, int *fdp)
{
	const struct cs_dir_walk w = { also, 0, "write" };
	struct stat st;
	int r;

	/* A write has no "nothing there yet": a missing directory is I/O. */
	if ((r = cs_dir_open_trusted(ctx, dir, &w, fdp, &st)) ==
	    CERTSEAL_E_NOT_FOUND)
		r = CERTSEAL_E_IO;
	if (r != 0)
		return r;
	/*
	 * Where anyone may write and the directory is not sticky, anyone
	 * may replace the file once it is written: the reader would get
	 * theirs.  (A group that may write is the owner's choice: a
	 * service's own directory.)
	 */
	if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
		close(*fdp);
		*fdp = -1;
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: anyone may "
		    "write this directory (mode %04o), so anyone could replace "
		    "what is written there; refusing to write there (use a "
		    "directory others cannot write, or make it sticky: chmod "
		    "+t)", dir, (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

int
cs_mkdir_p(certseal_ctx *ctx, const char *path, mode_t mode)
{
	const struct cs_dir_walk w = { (uid_t)-1, mode, "write" };
	int fd = -1, r;

	if ((r = cs_dir_open_trusted(ctx, path, &w, &fd, NULL)) == 0)
		close(fd);
	return r;
}
