/*
 * dir-safe.c - opening the directory a file is written into without
 * following what another user could change (issue 19.4): walked from "/"
 * one component at a time, each looked up with O_NOFOLLOW in a directory
 * only root or this user can change (or sticky, and the entry theirs).
 * A final directory that is a symlink, or that belongs to a user other
 * than root, this one, or the user the file is for, is refused: its owner
 * could swap the file between the write and the reader.  The descriptor
 * is what atomic-write.c and the store write relative to.
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

#include "internal.h"

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

/* fd becomes "/" (the walk's start, and where an absolute link goes). */
static int
walk_from_root(certseal_ctx *ctx, int *fdp, struct stat *sd, char *where,
    size_t wsize)
{
	if (*fdp >= 0)
		close(*fdp);
	if ((*fdp = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(*fdp, sd) != 0)
		return cs_error(ctx, CERTSEAL_E_IO, "/: %s", strerror(errno));
	snprintf(where, wsize, "/");
	return 0;
}

/*
 * comp, a symbolic link in *fdp: what is left to walk becomes its target
 * and the rest (*todo, *pp), from "/" when the target is absolute.
 */
static int
follow_link(certseal_ctx *ctx, const char *dir, int *fdp, struct stat *sd,
    const char *comp, char **todo, const char **pp, int *links,
    char *where, size_t wsize)
{
	char target[PATH_MAX];
	ssize_t n;

	if (++*links > WALK_MAX_LINKS ||
	    (n = readlinkat(*fdp, comp, target, sizeof(target) - 1)) < 0)
		return cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
		    strerror(*links > WALK_MAX_LINKS ? ELOOP : errno));
	target[n] = '\0';
	if (splice_link(todo, target, pp) != 0)
		return cs_nomem(ctx);
	if (target[0] == '/')
		return walk_from_root(ctx, fdp, sd, where, wsize);
	return 0;
}

/* *fdp becomes its subdirectory comp (O_NOFOLLOW), *sd that one's stat. */
static int
enter_dir(certseal_ctx *ctx, const char *dir, int *fdp, struct stat *sd,
    const char *comp)
{
	int nfd;

	if ((nfd = openat(*fdp, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
		    strerror(errno));
	close(*fdp);
	*fdp = nfd;
	if (fstat(nfd, sd) != 0)
		return cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
		    strerror(errno));
	return 0;
}

int
cs_dir_open_safe(certseal_ctx *ctx, const char *dir, uid_t also, int *fdp)
{
	char *todo = NULL, *cwd = NULL, comp[NAME_MAX + 1];
	char where[PATH_MAX] = "/", who[300];
	const char *p;
	struct stat sd, se;
	int fd = -1, last = 1, links = 0, r;

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
	if ((r = walk_from_root(ctx, &fd, &sd, where, sizeof(where))) != 0)
		goto out;
	for (p = todo; ; ) {
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
		if (S_ISLNK(se.st_mode) && last) {
			r = cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: the "
			    "directory is a symbolic link; refusing to write "
			    "through it (give the real directory)", dir);
			goto out;
		}
		if (S_ISLNK(se.st_mode)) {
			if ((r = follow_link(ctx, dir, &fd, &sd, comp, &todo,
			    &p, &links, where, sizeof(where))) != 0)
				goto out;
			continue;
		}
		if (!S_ISDIR(se.st_mode)) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
			    strerror(ENOTDIR));
			goto out;
		}
		if ((r = enter_dir(ctx, dir, &fd, &sd, comp)) != 0)
			goto out;
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
