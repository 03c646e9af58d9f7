/*
 * admin.c - the admin session: context, profile, token and login, set up
 * once per command.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "admin.h"

const char *admin_profile_option;
int admin_no_wait;

/* The SOFTHSM2_CONF the shell exported, when the profile's replaced it. */
static char *user_softhsm_conf;

void
admin_use_softhsm_conf(const char *conf)
{
	const char *env = getenv("SOFTHSM2_CONF");

	/*
	 * SoftHSM2 reads its configuration from the environment when the
	 * module initialises, once per process.  The embedded token lives
	 * in the profile's configuration, so that one wins over whatever the
	 * admin's shell exports (their own SoftHSM tests); the exported one
	 * is remembered for a command that would need it as well.
	 */
	if (conf == NULL)
		return;
	if (env != NULL && strcmp(env, conf) != 0 && user_softhsm_conf == NULL)
		user_softhsm_conf = strdup(env);
	setenv("SOFTHSM2_CONF", conf, 1);
}

int
admin_softhsm_conflict(struct admin *a, const char *uri_text,
    const char *what)
{
	struct cs_p11_uri *uri = NULL;
	const char *mod;
	int soft = 0;

	if (a->profile->softhsm_conf == NULL || user_softhsm_conf == NULL)
		return 0;
	if (cs_p11_uri_parse(NULL, uri_text, &uri) == 0) {
		mod = cs_p11_uri_module_path(uri);
		if (mod == NULL)
			mod = cs_p11_uri_module_name(uri);
		/* No module named: p11-kit's, which may well be SoftHSM2. */
		soft = mod == NULL || strstr(mod, "softhsm") != NULL;
	}
	cs_p11_uri_free(uri);
	if (!soft)
		return 0;
	return cs_error(a->ctx, CERTSEAL_E_USAGE, "%s: that token would "
	    "need the SoftHSM2 configuration SOFTHSM2_CONF=%s while the admin "
	    "token needs the profile's %s, and SoftHSM2 reads one per "
	    "process: export to a PKCS#12 file (-o) and import that, or "
	    "unset SOFTHSM2_CONF if the token is in the profile's", what,
	    user_softhsm_conf, a->profile->softhsm_conf);
}


#define RM_TREE_DEPTH	8

/*
 * Removes what dirfd holds (closing it), depth levels down, with
 * system calls only, so that a signal handler may run it.
 */
static void
rm_tree_fd(int dirfd, int depth)
{
	char buf[2048];
	long n, off, removed;
	int fd;

	for (;;) {
		n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));
		if (n <= 0)
			break;
		removed = 0;
		for (off = 0; off < n;) {
			struct {
				uint64_t	 ino;
				int64_t		 off;
				unsigned short	 reclen;
				unsigned char	 type;
				char		 name[];
			} *e = (void *)(buf + off);

			off += e->reclen;
			if (e->name[0] == '.' && (e->name[1] == '\0' ||
			    (e->name[1] == '.' && e->name[2] == '\0')))
				continue;
			if (unlinkat(dirfd, e->name, 0) == 0) {
				removed++;
				continue;
			}
			if (depth <= 0)
				continue;
			/* A directory (or EISDIR): empty it, then remove. */
			if ((fd = openat(dirfd, e->name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
				rm_tree_fd(fd, depth - 1);
			if (unlinkat(dirfd, e->name, AT_REMOVEDIR) == 0)
				removed++;
		}
		/* Entries removed shift the listing: read it again. */
		if (removed == 0 || lseek(dirfd, 0, SEEK_SET) != 0)
			break;
	}
	close(dirfd);
}

/* Removes dir and everything in it (never following a symlink). */
void
admin_rm_tree(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) >= 0)
		rm_tree_fd(fd, RM_TREE_DEPTH);
	(void)rmdir(dir);
}

int
admin_token_changed(struct admin *a)
{
	if (a->profile == NULL || a->profile->softhsm_conf == NULL ||
	    a->tok == NULL)
		return 0;
	return token_backup_take(a->ctx, a->profile, a->tok);
}

int
admin_open(struct admin *a, unsigned int flags)
{
	char *path = NULL;
	int r, due = 0, code = CLI_EXIT_OTHER;

	memset(a, 0, sizeof(*a));
	if ((r = cli_ctx_new(&a->ctx)) != 0) {
		code = cli_fail(NULL, r, "creating a context");
		goto out;
	}
	if ((path = profile_default_path(admin_profile_option)) == NULL) {
		code = cli_fail(a->ctx, CERTSEAL_E_NOMEM, "profile");
		goto out;
	}
	cli_debug("profile %s", path);
	a->ctx->no_key_advice = "the admin token holds no key of this "
	    "file's recipients: it was sealed by another profile or to "
	    "pairs removed since (see `certseal-admin inspect` and `pair "
	    "list`)";
	if ((r = profile_load(a->ctx, path, (flags & ADMIN_LOCK) != 0,
	    &a->profile)) != 0) {
		code = cli_fail(a->ctx, r, "profile");
		goto out;
	}
	if ((flags & ADMIN_TOKEN) == 0) {
		code = 0;
		goto out;
	}
	admin_use_softhsm_conf(a->profile->softhsm_conf);
	cli_debug("admin token %s", a->profile->token_uri);
	/* Before SoftHSM2 reads the token: put back what a crash broke. */
	if ((r = token_backup_check(a->ctx, a->profile, &due)) != 0) {
		code = cli_fail(a->ctx, r, "embedded token");
		goto out;
	}
	if ((r = cs_p11_uri_parse(a->ctx, a->profile->token_uri,
	    &a->uri)) != 0 ||
	    (r = cs_p11_token_open(a->ctx, a->uri, &a->tok)) != 0 ||
	    (r = cs_p11_token_login(a->ctx, a->tok,
	    cs_p11_uri_pin_source(a->uri),
	    cs_p11_uri_pin_value(a->uri))) != 0) {
		code = cli_fail(a->ctx, r, "admin token");
		goto out;
	}
	/* Restored, new objects, or no copy yet: a fresh verified copy. */
	if (due)
		(void)admin_token_changed(a);
	code = 0; /* success */
 out:
	free(path);
	return code;
}

void
admin_close(struct admin *a)
{
	cs_p11_token_unref(a->tok);
	cs_p11_uri_free(a->uri);
	profile_free(a->profile);
	certseal_ctx_free(a->ctx);
	memset(a, 0, sizeof(*a));
}
