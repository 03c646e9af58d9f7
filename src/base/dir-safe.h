/*
 * dir-safe.h - directories certseal trusts: the one walk from "/" that
 * the state, the store, every output and the PKCS#11 modules go through
 * (dir-safe.c).  In the base, below the token layer, which loads modules.
 */
#ifndef CS_DIR_SAFE_H
#define CS_DIR_SAFE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "base.h"

/*
 * Opens a directory certseal trusts (dir-safe.c): walked from "/", each
 * component looked up without following it in a directory that belongs
 * to root or this user and that group and others cannot write (sticky,
 * as /tmp: then the entry must be root's or this user's).  A symbolic
 * link on the way is followed only when it belongs to root or this user;
 * its target is walked the same way.  Refused (CERTSEAL_E_PERMISSION, one
 * message naming the directory or link and its owner) when that fails,
 * when dir itself is a symlink, or when it belongs to neither root, this
 * user nor w->also.  Its mode is the caller's to check (*stp, optional,
 * is its fstat).  A missing component is CERTSEAL_E_NOT_FOUND, or, with
 * w->create, made with that mode once its parent has passed.  *fdp is the
 * descriptor, to work relative to.
 */
struct cs_dir_walk {
	uid_t		 also;	 /* may own dir too; (uid_t)-1: nobody */
	mode_t		 create; /* mode of missing directories; 0: none */
	const char	*use;	 /* for messages: "refusing to <use> there" */
};
int cs_dir_open_trusted(certseal_ctx *ctx, const char *dir,
    const struct cs_dir_walk *w, int *fdp, struct stat *stp);

/*
 * Opens dir for writing into (cs_dir_open_trusted): also may own it
 * ((uid_t)-1: nobody else), nothing is created, a missing directory is
 * CERTSEAL_E_IO, and one that anyone may write without the sticky bit is
 * refused (CERTSEAL_E_PERMISSION): the file written could be replaced.
 */
int cs_dir_open_safe(certseal_ctx *ctx, const char *dir, uid_t also,
    int *fdp);

/*
 * mkdir -p: creates path and its missing parents with mode (existing
 * directories are left as they are), by the walk of cs_dir_open_trusted:
 * nothing is made in, or through a link of, a directory another user
 * could change, and such a path is refused.
 */
int cs_mkdir_p(certseal_ctx *ctx, const char *path, mode_t mode);

#endif
