/*
 * store-path.c - the local certificate store's names, roots and the
 * checked opening of its directories and files (see store.h).
 *
 * Store names become path components, so they are restricted to a small
 * charset here, once, and nothing else in the store code has to worry
 * about "..", "/" or control characters coming from a URI.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "store.h"

#ifndef CS_STORE_DIR
#define CS_STORE_DIR	"/etc/certseal/stores"
#endif

static const char *const locations[] = {
	CS_STORE_LOCAL_MACHINE,
	CS_STORE_CURRENT_USER,
};

static int
canon_location(certseal_ctx *ctx, const char *what, const char *s,
    size_t len, char out[CS_STORE_LOCATION_MAX + 1])
{
	size_t i;

	for (i = 0; i < sizeof(locations) / sizeof(locations[0]); i++) {
		if (strlen(locations[i]) == len &&
		    strncasecmp(locations[i], s, len) == 0) {
			snprintf(out, CS_STORE_LOCATION_MAX + 1, "%s",
			    locations[i]);
			return 0;
		}
	}
	return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: unknown store location "
	    "'%.*s': use LocalMachine or CurrentUser", what,
	    len > 64 ? 64 : (int)len, s);
}

static int
name_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int
check_name(certseal_ctx *ctx, const char *what, const char *s, size_t len,
    char out[CS_STORE_NAME_MAX + 1])
{
	size_t i;

	if (len == 0)
		return cs_error(ctx, CERTSEAL_E_BAD_URI,
		    "%s: empty store name: use e.g. LocalMachine/My", what);
	if (len > CS_STORE_NAME_MAX)
		return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: store name "
		    "longer than %d characters", what, CS_STORE_NAME_MAX);
	if (s[0] == '.')
		return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: store name "
		    "'%.*s' starts with a dot", what, (int)len, s);
	for (i = 0; i < len; i++) {
		if (s[i] == '/')
			return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: a store "
			    "name has no '/': use Location/Store", what);
		if (!name_char_ok(s[i]))
			return cs_error(ctx, CERTSEAL_E_BAD_URI, "%s: store "
			    "name has a character other than letters, "
			    "digits, '.', '_' and '-' at position %zu",
			    what, i + 1);
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* "Location" or "Location/Store" of length len; empty means defaults. */
static int
parse_path(certseal_ctx *ctx, const char *what, const char *p, size_t len,
    char location[CS_STORE_LOCATION_MAX + 1],
    char name[CS_STORE_NAME_MAX + 1])
{
	const char *slash;
	int r;

	if (len == 0) {
		snprintf(location, CS_STORE_LOCATION_MAX + 1, "%s",
		    CS_STORE_LOCAL_MACHINE);
		snprintf(name, CS_STORE_NAME_MAX + 1, "%s",
		    CS_STORE_DEFAULT_NAME);
		return 0;
	}
	if ((slash = memchr(p, '/', len)) == NULL) {
		if ((r = canon_location(ctx, what, p, len, location)) != 0)
			return r;
		snprintf(name, CS_STORE_NAME_MAX + 1, "%s",
		    CS_STORE_DEFAULT_NAME);
		return 0;
	}
	if ((r = canon_location(ctx, what, p, (size_t)(slash - p),
	    location)) != 0)
		return r;
	return check_name(ctx, what, slash + 1,
	    len - (size_t)(slash - p) - 1, name);
}

int
cs_store_uri_parse(certseal_ctx *ctx, const char *uri,
    char location[CS_STORE_LOCATION_MAX + 1],
    char name[CS_STORE_NAME_MAX + 1])
{
	const char *p, *q;
	size_t attrlen;

	if (strncasecmp(uri, "store:", 6) != 0)
		return cs_error(ctx, CERTSEAL_E_BAD_URI,
		    "'%.200s' is not a store: URI", uri);
	p = uri + 6;
	if ((q = strchr(p, '?')) != NULL && q[1] != '\0') {
		attrlen = strcspn(q + 1, "=&;");
		return cs_error(ctx, CERTSEAL_E_BAD_URI, "%.200s: unknown "
		    "attribute '%.*s': store: URIs take no attributes", uri,
		    attrlen > 64 ? 64 : (int)attrlen, q + 1);
	}
	return parse_path(ctx, uri, p, q != NULL ? (size_t)(q - p) :
	    strlen(p), location, name);
}

int
cs_store_spec_parse(certseal_ctx *ctx, const char *spec,
    char location[CS_STORE_LOCATION_MAX + 1],
    char name[CS_STORE_NAME_MAX + 1])
{
	const char *close_br, *n;
	int r;

	if (spec == NULL || *spec == '\0')
		return parse_path(ctx, "store", "", 0, location, name);
	if (strncasecmp(spec, "store:", 6) == 0)
		return cs_store_uri_parse(ctx, spec, location, name);
	if (spec[0] == '[' && (close_br = strchr(spec, ']')) != NULL) {
		/* The Windows spelling [LocalMachine]\My. */
		if ((r = canon_location(ctx, spec, spec + 1,
		    (size_t)(close_br - spec - 1), location)) != 0)
			return r;
		n = close_br + 1;
		if (*n == '\\' || *n == '/')
			n++;
		if (*n == '\0')
			n = CS_STORE_DEFAULT_NAME;
		return check_name(ctx, spec, n, strlen(n), name);
	}
	if (strchr(spec, '/') != NULL)
		return parse_path(ctx, spec, spec, strlen(spec), location,
		    name);
	/* A bare word: a location (its store My) or a LocalMachine store. */
	if (canon_location(NULL, spec, spec, strlen(spec), location) == 0) {
		snprintf(name, CS_STORE_NAME_MAX + 1, "%s",
		    CS_STORE_DEFAULT_NAME);
		return 0;
	}
	snprintf(location, CS_STORE_LOCATION_MAX + 1, "%s",
	    CS_STORE_LOCAL_MACHINE);
	return check_name(ctx, spec, spec, strlen(spec), name);
}

/* The root for CurrentUser: $XDG_DATA_HOME/certseal/stores or ~/.local. */
static int
user_root(certseal_ctx *ctx, char **out)
{
	struct passwd pw, *pwp = NULL;
	const char *xdg, *home;
	char buf[4096];

	*out = NULL;
	/* XDG: a relative XDG_DATA_HOME is invalid and must be ignored. */
	if ((xdg = getenv("XDG_DATA_HOME")) != NULL && xdg[0] == '/') {
		if (asprintf(out, "%s/certseal/stores", xdg) < 0)
			goto nomem;
		return 0;
	}
	if ((home = getenv("HOME")) == NULL || home[0] != '/') {
		if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &pwp) != 0 ||
		    pwp == NULL || pw.pw_dir == NULL || pw.pw_dir[0] != '/')
			return cs_error(ctx, CERTSEAL_E_NOT_FOUND, "no home "
			    "directory for the CurrentUser store: set "
			    "XDG_DATA_HOME or HOME");
		home = pw.pw_dir;
	}
	if (asprintf(out, "%s/.local/share/certseal/stores", home) < 0)
		goto nomem;
	return 0;
 nomem:
	*out = NULL;
	return cs_nomem(ctx);
}

static int
machine_root(certseal_ctx *ctx, char **out)
{
	const char *env;

	*out = NULL;
	if ((env = getenv("CERTSEAL_STORE_ROOT")) != NULL && *env != '\0') {
		if (env[0] != '/')
			return cs_error(ctx, CERTSEAL_E_USAGE,
			    "CERTSEAL_STORE_ROOT '%.200s' is not an absolute "
			    "path", env);
	} else
		env = CS_STORE_DIR;
	if ((*out = strdup(env)) == NULL)
		return cs_nomem(ctx);
	return 0;
}

int
cs_store_path_init(certseal_ctx *ctx, const char *location,
    const char *name, struct cs_store_path *out)
{
	char *root = NULL;
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	if (location == NULL)
		location = CS_STORE_LOCAL_MACHINE;
	if (name == NULL)
		name = CS_STORE_DEFAULT_NAME;
	if ((r = canon_location(ctx, "store", location, strlen(location),
	    out->location)) != 0 ||
	    (r = check_name(ctx, "store", name, strlen(name), out->name)) != 0)
		goto out;
	if (strcmp(out->location, CS_STORE_CURRENT_USER) == 0)
		r = user_root(ctx, &root);
	else
		r = machine_root(ctx, &root);
	if (r != 0)
		goto out;
	/* Strip trailing slashes so that messages show clean paths. */
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		root[--len] = '\0';
	if (asprintf(&out->dir, "%s/%s/%s", root, out->location,
	    out->name) < 0) {
		out->dir = NULL;
		r = cs_nomem(ctx);
		goto out;
	}
	/* Entry names add at most ~150 bytes below the store directory. */
	if (strlen(out->dir) > PATH_MAX - 256) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "store directory path too "
		    "long: %.100s...", out->dir);
		goto out;
	}
	r = 0; /* success */
 out:
	free(root);
	if (r != 0)
		cs_store_path_release(out);
	return r;
}

void
cs_store_path_release(struct cs_store_path *sp)
{
	if (sp == NULL)
		return;
	free(sp->dir);
	sp->dir = NULL;
}

int
cs_store_id_normalize(certseal_ctx *ctx, const char *id,
    char out[CS_STORE_ID_MAX + 1])
{
	int n = cs_hex_normalize(id, out, CS_STORE_ID_MAX + 1);

	if (n <= 0 || n % 2 != 0) {
		out[0] = '\0';
		return cs_error(ctx, CERTSEAL_E_USAGE, "'%.140s' is not a "
		    "store entry id: use an id printed by `certseal store "
		    "list`", id);
	}
	return 0;
}

/*
 * The store's protection is the file system's, so its directories and
 * files must belong to the caller (or root) and be closed to everyone
 * else.
 */
static int
check_owner_mode(certseal_ctx *ctx, const struct stat *st, const char *shown)
{
	int dir = S_ISDIR(st->st_mode);

	if (st->st_uid != cs_euid() && st->st_uid != 0)
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: owned by uid "
		    "%lu, neither you (uid %lu) nor root: run as its owner or "
		    "`chown %lu %s`", shown, (unsigned long)st->st_uid,
		    (unsigned long)cs_euid(), (unsigned long)cs_euid(), shown);
	if ((st->st_mode & 077) != 0)
		return cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: group or "
		    "others can access it (mode %04o): run `chmod %s %s`",
		    shown, (unsigned int)(st->st_mode & 07777),
		    dir ? "700" : "600", shown);
	return 0;
}

int
cs_store_open(certseal_ctx *ctx, const struct cs_store_path *sp,
    int create, int *fdp)
{
	const struct cs_dir_walk w = { (uid_t)-1, create ? 0700 : 0,
	    "use a store" };
	struct stat st;
	int fd = -1, r;

	*fdp = -1;
	/*
	 * Walked from "/" as every directory certseal trusts: whoever can
	 * change a directory or link above the store could point it at
	 * another store, with other keys and other trusted signers.
	 */
	if ((r = cs_dir_open_trusted(ctx, sp->dir, &w, &fd, &st)) != 0)
		goto out;
	if ((r = check_owner_mode(ctx, &st, sp->dir)) != 0)
		goto out;
	*fdp = fd;
	fd = -1;
	r = 0; /* success */
 out:
	if (fd >= 0)
		close(fd);
	return r;
}

int
cs_store_open_dir(certseal_ctx *ctx, int dirfd, const char *sub,
    const char *shown, int *fdp)
{
	struct stat st;
	int fd = -1, r = CERTSEAL_E_INTERNAL;

	*fdp = -1;
	/* Inside a store nothing is a symlink. */
	if ((fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			r = cs_error(ctx, CERTSEAL_E_NOT_FOUND,
			    "%s: no such directory", shown);
		else if (errno == EACCES)
			r = cs_error(ctx, CERTSEAL_E_PERMISSION, "%s: "
			    "permission denied: run as the store's owner",
			    shown);
		else
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", shown,
			    errno == ELOOP ? "a symbolic link, not a "
			    "directory" : strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", shown,
		    strerror(errno));
		goto out;
	}
	if ((r = check_owner_mode(ctx, &st, shown)) != 0)
		goto out;
	*fdp = fd;
	fd = -1;
	r = 0; /* success */
 out:
	if (fd >= 0)
		close(fd);
	return r;
}

int
cs_store_read_at(certseal_ctx *ctx, int dirfd, const char *name,
    const char *shown, size_t max, struct cs_secret **out)
{
	struct cs_secret *buf = NULL;
	struct stat st;
	size_t used = 0, size;
	ssize_t n;
	int fd = -1, r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	/* Inside a store nothing is a symlink, FIFO or device. */
	if ((r = cs_input_open(ctx, dirfd, name, shown, O_NOFOLLOW, &fd,
	    &st)) != 0)
		goto out;
	if ((r = check_owner_mode(ctx, &st, shown)) != 0)
		goto out;
	if ((uint64_t)st.st_size > max) {
		r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: %llu bytes, over "
		    "the limit of %zu for a store entry", shown,
		    (unsigned long long)st.st_size, max);
		goto out;
	}
	size = (size_t)st.st_size;
	if ((r = cs_secret_new(size, &buf)) != 0) {
		r = cs_nomem(ctx);
		goto out;
	}
	/* A file that shrank while it was read keeps what is there. */
	if ((n = cs_read_full(fd, buf->data, size)) < 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: read: %s", shown,
		    strerror(errno));
		goto out;
	}
	used = (size_t)n;
	buf->data[used] = '\0';
	/* len may shrink: the wipe on free then misses nothing we read. */
	buf->len = used;
	*out = buf;
	buf = NULL;
	r = 0; /* success */
 out:
	cs_secret_free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}
