/*
 * p11-module.c - the process-wide registry of PKCS#11 modules.
 *
 * Why a registry: C_Initialize and C_Finalize act on the whole process.
 * Two owners of one module (two contexts, or certseal and libp11) would
 * finalise it under each other's feet and log each other out.  So each
 * module is loaded once, keyed by its resolved path, initialised once and
 * kept: later contexts reuse it, its open sessions and its login.  Only
 * cs_p11_shutdown() finalises, and only modules nobody references and that
 * we initialised ourselves (C_Initialize answering ALREADY_INITIALIZED
 * means another owner in the process, which keeps that duty).
 *
 * One recursive lock serialises every PKCS#11 call certseal makes: it
 * keeps a token's single session from being used by two threads at once
 * and is cheap next to a token operation.  Recursive, because OpenSSL
 * calls back into p11-keyops.c while a caller may hold it.
 */
#include "config.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "dir-safe.h"
#include "p11.h"
#include "p11-int.h"
#include "p11-kit-dl.h"

struct cs_p11_module {
	struct cs_p11_module *next;
	char		*path;		/* resolved; the registry key */
	CK_FUNCTION_LIST *fl;
	int		 refs;
	int		 owner;		/* our C_Initialize returned CKR_OK */
	pid_t		 pid;		/* process that initialised it */
	unsigned int	 generation;	/* bumped on re-initialisation */
	struct cs_p11_token *tokens;	/* p11-session.c's cache */
	char		*reserved;	/* C_Initialize's pReserved, or NULL */
};

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct cs_p11_module *modules;

void
cs_p11_lock(void)
{
	pthread_mutex_lock(&lock);
}

void
cs_p11_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

static CK_RV
initialize(CK_FUNCTION_LIST *fl, const char *reserved)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	/* The module may use OS locks; we never pass our own. */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	/*
	 * Some modules need arguments (NSS softokn: its database); p11-kit
	 * module configurations carry them as x-init-reserved, and so may
	 * the URI (see cs_p11_uri_init_reserved).
	 */
	args.pReserved = (void *)reserved;
	/*
	 * Modules built on OpenSSL (SoftHSM2) probe for engines while they
	 * initialise and leave the failures on our error queue; they are not
	 * ours to report.
	 */
	ERR_set_mark();
	rv = fl->C_Initialize(&args);
	ERR_pop_to_mark();
	return rv;
}

int
cs_p11_module_load_path(certseal_ctx *ctx, const char *path,
    struct cs_p11_module **out)
{
	return cs_p11_module_load(ctx, path, NULL, out);
}

/* Same string, NULL and "" being the same (no arguments). */
static int
same_reserved(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/*
 * A module runs as this process: the file and every directory above it
 * must be root's or this user's and closed to others (the walk of
 * dir-safe.c), or another user who can change it runs code here - as
 * root, when root opens a file.  resolved has no links left.
 */
static int
module_trusted(certseal_ctx *ctx, const char *resolved)
{
	static const struct cs_dir_walk walk = { (uid_t)-1, 0,
	    "load a PKCS#11 module from" };
	char dir[PATH_MAX], base[PATH_MAX];
	struct stat st, dst;
	int fd = -1, r;

	snprintf(dir, sizeof(dir), "%s", resolved);
	snprintf(base, sizeof(base), "%s", resolved);
	if ((r = cs_dir_open_trusted(ctx, dirname(dir), &walk, &fd,
	    &dst)) != 0) {
		cs_error_prefix(ctx, "PKCS#11 module '%s'", resolved);
		return r == CERTSEAL_E_NOT_FOUND ? CERTSEAL_E_MODULE : r;
	}
	r = 0; /* success, unless the directory or the file says otherwise */
	/* In a directory others may write, the file can be replaced. */
	if ((dst.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (dst.st_mode & S_ISVTX) == 0)
		r = cs_error(ctx, CERTSEAL_E_PERMISSION, "PKCS#11 module '%s': "
		    "group or others may write its directory (mode %04o): "
		    "refused, its code would run as this user; install it "
		    "where only root writes", resolved,
		    (unsigned)(dst.st_mode & 07777));
	else if (fstatat(fd, basename(base), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode))
		r = cs_error(ctx, CERTSEAL_E_MODULE, "PKCS#11 module '%s': not "
		    "a regular file", resolved);
	else if ((st.st_uid != 0 && st.st_uid != cs_euid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		r = cs_error(ctx, CERTSEAL_E_PERMISSION, "PKCS#11 module '%s' "
		    "belongs to uid %lu or others may write it (mode %04o): "
		    "refused, its code would run as this user; install it "
		    "where only root writes", resolved,
		    (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777));
	close(fd);
	return r;
}

int
cs_p11_module_load(certseal_ctx *ctx, const char *path, const char *reserved,
    struct cs_p11_module **out)
{
	struct cs_p11_module *m = NULL;
	char resolved[PATH_MAX];
	CK_RV rv;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if ((r = cs_p11kit_load(ctx)) != 0)
		return r;
	if (realpath(path, resolved) == NULL) {
		return cs_error(ctx, CERTSEAL_E_MODULE, "PKCS#11 module '%s' "
		    "not found: check module-path", path);
	}
	if ((r = module_trusted(ctx, resolved)) != 0)
		return r;
	cs_p11_lock();
	for (m = modules; m != NULL; m = m->next) {
		if (strcmp(m->path, resolved) == 0) {
			/* One C_Initialize per library and process. */
			if (!same_reserved(m->reserved, reserved)) {
				r = cs_error(ctx, CERTSEAL_E_MODULE, "PKCS#11 "
				    "module '%s' is already initialised with "
				    "other initialisation arguments in this "
				    "process: use one set (one NSS database) "
				    "per process", resolved);
				m = NULL;
				goto out;
			}
			if ((r = cs_p11_module_check_fork(ctx, m)) != 0)
				goto out;
			m->refs++;
			*out = m;
			m = NULL;
			r = 0;
			goto out;
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(resolved)) == NULL ||
	    (reserved != NULL && *reserved != '\0' &&
	    (m->reserved = strdup(reserved)) == NULL)) {
		r = cs_nomem(ctx);
		goto out;
	}
	/* Unmanaged: the module's own function list, no p11-kit proxying. */
	m->fl = cs_p11kit.module_load(resolved, P11_KIT_MODULE_UNMANAGED);
	if (m->fl == NULL) {
		r = cs_error(ctx, CERTSEAL_E_MODULE, "PKCS#11 module '%s' "
		    "cannot be loaded: %s", resolved, cs_p11kit.message() ?
		    cs_p11kit.message() : "unknown reason");
		goto out;
	}
	rv = initialize(m->fl, m->reserved);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		r = cs_p11_error(ctx, rv, "PKCS#11 module '%s': C_Initialize%s",
		    resolved, rv == CKR_ARGUMENTS_BAD ? " (this module may "
		    "need initialisation arguments: x-init-reserved in its "
		    "p11-kit module configuration or in the URI)" : "");
		if (r != CERTSEAL_E_NOMEM)
			r = CERTSEAL_E_MODULE;
		cs_p11kit.module_release(m->fl);
		m->fl = NULL;
		goto out;
	}
	m->owner = rv == CKR_OK;
	m->pid = getpid();
	m->refs = 1;
	m->next = modules;
	modules = m;
	*out = m;
	m = NULL;
	r = 0; /* success */
 out:
	cs_p11_unlock();
	if (m != NULL) {
		free(m->path);
		free(m->reserved);
		free(m);
	}
	return r;
}

void
cs_p11_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * Lists registered modules (optionally only the one called `name`).  The
 * modules are dlopen'ed by p11-kit but not initialised: we only want their
 * file names, and initialise just the ones we end up using.
 */
static int
registered(certseal_ctx *ctx, const char *name, char ***out, char ***resv)
{
	CK_FUNCTION_LIST **mods = NULL;
	char **v = NULL, **rv = NULL, *opt, *mname;
	size_t i, n = 0, count;
	int r = CERTSEAL_E_INTERNAL, skip;

	*out = NULL;
	*resv = NULL;
	if ((r = cs_p11kit_load(ctx)) != 0)
		return r;
	mods = cs_p11kit.modules_load(NULL, P11_KIT_MODULE_UNMANAGED);
	if (mods == NULL) {
		r = cs_error(ctx, CERTSEAL_E_MODULE, "cannot list p11-kit's "
		    "registered modules: %s", cs_p11kit.message() ?
		    cs_p11kit.message() : "unknown reason");
		goto out;
	}
	for (count = 0; mods[count] != NULL; count++)
		;
	if ((v = calloc(count + 1, sizeof(*v))) == NULL ||
	    (rv = calloc(count + 1, sizeof(*rv))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	for (i = 0; i < count; i++) {
		mname = cs_p11kit.module_get_name(mods[i]);
		if (name != NULL)
			skip = mname == NULL || strcmp(mname, name) != 0;
		else {
			/* Trust modules hold CA anchors, never keys. */
			opt = cs_p11kit.config_option(mods[i], "trust-policy");
			skip = opt != NULL && strcmp(opt, "yes") == 0;
			free(opt);
		}
		free(mname);
		if (skip)
			continue;
		/* p11-kit's own option for C_Initialize's pReserved. */
		opt = cs_p11kit.config_option(mods[i], "x-init-reserved");
		rv[n] = strdup(opt != NULL ? opt : "");
		free(opt);
		if (rv[n] == NULL ||
		    (v[n] = cs_p11kit.module_get_filename(mods[i])) == NULL) {
			r = cs_nomem(ctx);
			n++;
			goto out;
		}
		n++;
	}
	*out = v;
	*resv = rv;
	v = NULL;
	rv = NULL;
	r = 0; /* success */
 out:
	if (mods != NULL)
		cs_p11kit.modules_release(mods);
	cs_p11_strv_free(v);
	if (rv != NULL) {
		/* v may hold fewer entries than rv after a failure */
		for (i = 0; i < n; i++)
			free(rv[i]);
		free(rv);
	}
	return r;
}

int
cs_p11_registered_modules(certseal_ctx *ctx, char ***out, char ***reserved)
{
	char **resv = NULL;
	int r;

	r = registered(ctx, NULL, out, &resv);
	if (reserved != NULL)
		*reserved = resv;
	else
		cs_p11_strv_free(resv);
	return r;
}

int
cs_p11_module_load_name(certseal_ctx *ctx, const char *name,
    struct cs_p11_module **out)
{
	char **v = NULL, **resv = NULL;
	int r;

	*out = NULL;
	if ((r = registered(ctx, name, &v, &resv)) != 0)
		return r;
	if (v[0] == NULL)
		r = cs_error(ctx, CERTSEAL_E_MODULE, "no PKCS#11 module "
		    "registered with p11-kit as '%s': check module-name or "
		    "/usr/share/p11-kit/modules", name);
	else
		r = cs_p11_module_load(ctx, v[0], resv[0], out);
	cs_p11_strv_free(v);
	cs_p11_strv_free(resv);
	return r;
}

struct cs_p11_module *
cs_p11_module_ref(struct cs_p11_module *m)
{
	cs_p11_lock();
	m->refs++;
	cs_p11_unlock();
	return m;
}

/*
 * Dropping the last reference keeps the module loaded and initialised:
 * the next context reuses it (and its login).  See cs_p11_shutdown().
 */
void
cs_p11_module_unref(struct cs_p11_module *m)
{
	if (m == NULL)
		return;
	cs_p11_lock();
	if (m->refs > 0)
		m->refs--;
	cs_p11_unlock();
}

CK_FUNCTION_LIST *
cs_p11_module_fl(const struct cs_p11_module *m)
{
	return m->fl;
}

const char *
cs_p11_module_path(const struct cs_p11_module *m)
{
	return m->path;
}

unsigned int
cs_p11_module_generation(const struct cs_p11_module *m)
{
	return m->generation;
}

struct cs_p11_token **
cs_p11_module_tokens(struct cs_p11_module *m)
{
	return &m->tokens;
}

int
cs_p11_module_check_fork(certseal_ctx *ctx, struct cs_p11_module *m)
{
	CK_RV rv;

	if (m->pid == getpid())
		return 0;
	/*
	 * A child inherits the parent's module state but none of its
	 * sessions; PKCS#11 wants C_Initialize again.  Tokens notice the new
	 * generation, reopen their sessions and need a new login.
	 */
	rv = initialize(m->fl, m->reserved);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return cs_p11_error(ctx, rv, "PKCS#11 module '%s': "
		    "C_Initialize after fork", m->path);
	if (rv == CKR_OK)
		m->owner = 1;
	m->pid = getpid();
	m->generation++;
	cs_p11_tokens_forget(m->tokens);
	return 0;
}

void
cs_p11_shutdown(void)
{
	struct cs_p11_module **mp, *m;

	cs_p11_lock();
	for (mp = &modules; (m = *mp) != NULL;) {
		if (m->refs > 0 || cs_p11_tokens_busy(m->tokens)) {
			mp = &m->next;
			continue;
		}
		*mp = m->next;
		/* Closing the sessions logs the tokens out. */
		cs_p11_tokens_free(m->tokens, m->pid == getpid());
		if (m->owner && m->pid == getpid())
			m->fl->C_Finalize(NULL);
		cs_p11kit.module_release(m->fl);
		free(m->path);
		free(m->reserved);
		free(m);
	}
	cs_p11_unlock();
}
