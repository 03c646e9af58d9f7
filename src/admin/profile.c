/*
 * profile.c - reading, validating, locking and writing the admin profile.
 *
 * The profile is untrusted input like any other file: every member is
 * type-checked and bounded, and a damaged profile is a clear error naming
 * the member, never a crash.  Writes go through cs_atomic_write; the lock
 * is an flock on a separate PATH.lock file, because the atomic rename
 * replaces the profile's inode and a lock on it would be lost.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"
#include "profile.h"

static const char *const state_names[] = {
	[PAIR_PENDING] = "pending",
	[PAIR_ACTIVE] = "active",
	[PAIR_RETIRED] = "retired",
};

const char *
pair_state_name(enum pair_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "unknown";
	return state_names[s];
}

char *
profile_default_path(const char *option)
{
	const char *env, *home;
	char *path = NULL;

	if (option != NULL)
		return strdup(option);
	if ((env = getenv("CERTSEAL_PROFILE")) != NULL && *env != '\0')
		return strdup(env);
	if ((env = getenv("XDG_CONFIG_HOME")) != NULL && *env == '/') {
		if (asprintf(&path, "%s/certseal/profile.json", env) < 0)
			return NULL;
		return path;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		home = "/root";
	if (asprintf(&path, "%s/.config/certseal/profile.json", home) < 0)
		return NULL;
	return path;
}

void
pair_release(struct pair *pair)
{
	if (pair == NULL)
		return;
	free(pair->label);
	free(pair->algorithm);
	free(pair->oaep_hash);
	free(pair->enc_key_id);
	free(pair->sign_key_id);
	free(pair->enc_fingerprint);
	free(pair->sign_fingerprint);
	free(pair->cross_cert);
	free(pair->cross_from);
	memset(pair, 0, sizeof(*pair));
}

void
profile_free(struct profile *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->lock_fd >= 0) {
		(void)flock(p->lock_fd, LOCK_UN);
		close(p->lock_fd);
	}
	for (i = 0; i < p->npairs; i++)
		pair_release(&p->pairs[i]);
	free(p->pairs);
	profile_clients_free(p);
	free(p->path);
	free(p->token_uri);
	free(p->config_path);
	free(p->config_name);
	free(p->reports_dir);
	free(p->softhsm_conf);
	free(p);
}

int
profile_new(certseal_ctx *ctx, const char *path, struct profile **out)
{
	struct profile *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	p->lock_fd = -1;
	if ((p->path = strdup(path)) == NULL) {
		profile_free(p);
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	}
	*out = p;
	return 0;
}

const char *profile_lock_who;
int profile_lock_no_wait;
void (*profile_lock_waiting)(const char *path, const char *holder);

/* What the holder wrote into the lock file: "pid N, COMMAND, since T". */
static void
lock_holder(int fd, char *buf, size_t size)
{
	ssize_t n;
	size_t i;

	n = pread(fd, buf, size - 1, 0);
	if (n <= 0) {
		snprintf(buf, size, "another command (it did not say which)");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	/* Written by whoever can write the file: printed, never obeyed. */
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
}

/* Says who holds the lock now, for the next one who waits. */
static void
lock_announce(int fd)
{
	char line[512], since[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(since, sizeof(since), "?");
	n = snprintf(line, sizeof(line), "pid %ld, %s, since %s\n",
	    (long)getpid(), profile_lock_who != NULL ? profile_lock_who :
	    "certseal-admin", since);
	if (n > 0 && (size_t)n < sizeof(line) && ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, line, (size_t)n, 0);
}

int
profile_lock(certseal_ctx *ctx, struct profile *p)
{
	char holder[512];
	char *lockpath = NULL;
	struct stat fst, lst;
	int fd = -1, r;

	if (p->lock_fd >= 0)
		return 0;
	if (asprintf(&lockpath, "%s.lock", p->path) < 0)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	for (;;) {
		fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600);
		if (fd < 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: %s", lockpath,
			    strerror(errno));
			goto out;
		}
		/*
		 * Another admin holds it: say who, then wait (their change
		 * lands first), or fail at once under --no-wait.
		 */
		if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
			lock_holder(fd, holder, sizeof(holder));
			if (profile_lock_no_wait) {
				r = cs_error(ctx, CERTSEAL_E_STATE, "profile %s "
				    "is in use by %s; try again when it is "
				    "done, or leave out --no-wait to wait",
				    p->path, holder);
				goto out;
			}
			if (profile_lock_waiting != NULL)
				profile_lock_waiting(p->path, holder);
		}
		while (flock(fd, LOCK_EX) != 0) {
			if (errno != EINTR) {
				r = cs_error(ctx, CERTSEAL_E_IO, "%s: lock: "
				    "%s", lockpath, strerror(errno));
				goto out;
			}
		}
		/*
		 * A failed init removes the lock file it made while holding
		 * it: a lock on that unlinked file locks nothing.
		 */
		if (fstat(fd, &fst) == 0 && lstat(lockpath, &lst) == 0 &&
		    fst.st_dev == lst.st_dev && fst.st_ino == lst.st_ino)
			break;
		close(fd);
		fd = -1;
	}
	lock_announce(fd);
	p->lock_fd = fd;
	fd = -1;
	r = 0; /* success */
 out:
	if (fd >= 0)
		close(fd);
	free(lockpath);
	return r;
}

/* ---- reading ---------------------------------------------------------- */

static int
bad(certseal_ctx *ctx, const char *path, const char *what)
{
	return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: damaged profile: %s; "
	    "restore it from a backup or fix it by hand", path, what);
}

/*
 * Copies an optional string member; a present member must be a string of
 * at most max bytes without NUL.
 */
static int
get_string(certseal_ctx *ctx, const char *path, json_t *obj, const char *key,
    size_t max, int required, char **out)
{
	json_t *v = json_object_get(obj, key);
	char what[128];

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(what, sizeof(what), "'%s' is missing", key);
		return bad(ctx, path, what);
	}
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(what, sizeof(what), "'%s' is not a string of at most "
		    "%zu bytes", key, max);
		return bad(ctx, path, what);
	}
	if ((*out = strdup(json_string_value(v))) == NULL)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	return 0;
}

static int
get_time(certseal_ctx *ctx, const char *path, json_t *obj, const char *key,
    time_t *out)
{
	json_t *v = json_object_get(obj, key);
	char what[128];

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(what, sizeof(what), "'%s' is not a time in seconds",
		    key);
		return bad(ctx, path, what);
	}
	*out = (time_t)json_integer_value(v);
	return 0;
}

static int
hex_of_length(const char *s, size_t minlen, size_t maxlen)
{
	size_t n = strlen(s);

	/* certseal wrote these ids: lower case only. */
	return n >= minlen && n <= maxlen && cs_is_hex(s, CS_HEX_LOWER);
}

static int
read_pair(certseal_ctx *ctx, const char *path, json_t *o, struct pair *pair)
{
	static const char *const algorithms[] = {
		"rsa-3072", "rsa-4096", "ec-p256", "ec-p384"
	};
	char *id = NULL, *state = NULL;
	json_t *v;
	size_t i;
	int r, found;

	memset(pair, 0, sizeof(*pair));
	if (!json_is_object(o))
		return bad(ctx, path, "a pair is not an object");
	if ((r = get_string(ctx, path, o, "id", PAIR_ID_LEN, 1, &id)) != 0)
		goto out;
	if (!hex_of_length(id, PAIR_ID_LEN, PAIR_ID_LEN)) {
		r = bad(ctx, path, "a pair id is not 12 hex digits");
		goto out;
	}
	memcpy(pair->id, id, PAIR_ID_LEN + 1);
	if ((r = get_string(ctx, path, o, "state", 16, 1, &state)) != 0)
		goto out;
	for (i = 0, found = 0; i < sizeof(state_names) /
	    sizeof(state_names[0]); i++) {
		if (strcmp(state, state_names[i]) == 0) {
			pair->state = (enum pair_state)i;
			found = 1;
		}
	}
	if (!found) {
		r = bad(ctx, path, "a pair state is not pending, active or "
		    "retired");
		goto out;
	}
	if ((r = get_string(ctx, path, o, "label", 256, 0,
	    &pair->label)) != 0 ||
	    (r = get_string(ctx, path, o, "algorithm", 16, 1,
	    &pair->algorithm)) != 0 ||
	    (r = get_string(ctx, path, o, "oaep_hash", 16, 0,
	    &pair->oaep_hash)) != 0 ||
	    (r = get_string(ctx, path, o, "encryption_key_id", 128, 1,
	    &pair->enc_key_id)) != 0 ||
	    (r = get_string(ctx, path, o, "signing_key_id", 128, 1,
	    &pair->sign_key_id)) != 0 ||
	    (r = get_string(ctx, path, o, "encryption_fingerprint", 64, 0,
	    &pair->enc_fingerprint)) != 0 ||
	    (r = get_string(ctx, path, o, "signing_fingerprint", 64, 0,
	    &pair->sign_fingerprint)) != 0 ||
	    (r = get_time(ctx, path, o, "created", &pair->created)) != 0 ||
	    (r = get_time(ctx, path, o, "activated", &pair->activated)) != 0 ||
	    (r = get_time(ctx, path, o, "retired", &pair->retired)) != 0 ||
	    (r = get_time(ctx, path, o, "not_before",
	    &pair->not_before)) != 0 ||
	    (r = get_time(ctx, path, o, "not_after", &pair->not_after)) != 0 ||
	    (r = get_string(ctx, path, o, "cross_certificate", 16384, 0,
	    &pair->cross_cert)) != 0 ||
	    (r = get_string(ctx, path, o, "cross_from", PAIR_ID_LEN, 0,
	    &pair->cross_from)) != 0)
		goto out;
	v = json_object_get(o, "exportable");
	if (v != NULL && !json_is_boolean(v)) {
		r = bad(ctx, path, "a pair's 'exportable' is not true or false");
		goto out;
	}
	pair->no_export = v != NULL && json_is_false(v);
	for (i = 0, found = 0; i < sizeof(algorithms) / sizeof(algorithms[0]);
	    i++)
		if (strcmp(pair->algorithm, algorithms[i]) == 0)
			found = 1;
	if (!found) {
		r = bad(ctx, path, "a pair algorithm is unknown");
		goto out;
	}
	if (pair->oaep_hash != NULL && strcmp(pair->oaep_hash, "sha256") != 0 &&
	    strcmp(pair->oaep_hash, "sha1") != 0) {
		r = bad(ctx, path, "a pair oaep_hash is not sha256 or sha1");
		goto out;
	}
	if (!hex_of_length(pair->enc_key_id, 2, 128) ||
	    !hex_of_length(pair->sign_key_id, 2, 128)) {
		r = bad(ctx, path, "a pair key id is not hex");
		goto out;
	}
	r = 0; /* success */
 out:
	if (r != 0)
		pair_release(pair);
	free(id);
	free(state);
	return r;
}

static int
read_profile(certseal_ctx *ctx, struct profile *p, json_t *root)
{
	json_t *pairs, *v, *item;
	size_t i, nactive = 0, j;
	int r;

	if (!json_is_object(root))
		return bad(ctx, p->path, "not a JSON object");
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != PROFILE_VERSION)
		return bad(ctx, p->path, "'version' is not 1");
	if ((r = get_string(ctx, p->path, root, "token", 4096, 1,
	    &p->token_uri)) != 0 ||
	    (r = get_string(ctx, p->path, root, "config_path", 4096, 0,
	    &p->config_path)) != 0 ||
	    (r = get_string(ctx, p->path, root, "config_name", 256, 0,
	    &p->config_name)) != 0 ||
	    (r = get_string(ctx, p->path, root, "reports_dir", 4096, 0,
	    &p->reports_dir)) != 0 ||
	    (r = get_string(ctx, p->path, root, "softhsm2_conf", 4096, 0,
	    &p->softhsm_conf)) != 0)
		return r;
	v = json_object_get(root, "sequence");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
		return bad(ctx, p->path, "'sequence' is not a count");
	p->sequence = v == NULL ? 0 : (uint64_t)json_integer_value(v);
	/*
	 * A profile from before config_sequence: its last save most likely
	 * went to the configuration path (an older file there is then seen
	 * as a rollback, which --allow-rollback takes once).
	 */
	v = json_object_get(root, "config_sequence");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > p->sequence))
		return bad(ctx, p->path, "'config_sequence' is not a count up "
		    "to 'sequence'");
	p->config_sequence = v == NULL ? p->sequence :
	    (uint64_t)json_integer_value(v);
	pairs = json_object_get(root, "pairs");
	if (pairs == NULL)
		return profile_read_clients(ctx, p, root);
	if (!json_is_array(pairs) ||
	    json_array_size(pairs) > PROFILE_MAX_PAIRS)
		return bad(ctx, p->path, "'pairs' is not a list of at most "
		    "1024 pairs");
	if (json_array_size(pairs) > 0 && (p->pairs = calloc(
	    json_array_size(pairs), sizeof(*p->pairs))) == NULL)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	json_array_foreach(pairs, i, item) {
		if ((r = read_pair(ctx, p->path, item, &p->pairs[i])) != 0)
			return r;
		p->npairs++;
		if (p->pairs[i].state == PAIR_ACTIVE)
			nactive++;
		for (j = 0; j < i; j++)
			if (strcmp(p->pairs[j].id, p->pairs[i].id) == 0)
				return bad(ctx, p->path, "a pair id appears "
				    "twice");
	}
	if (nactive > 1)
		return bad(ctx, p->path, "more than one pair is active");
	return profile_read_clients(ctx, p, root);
}

int
profile_load(certseal_ctx *ctx, const char *path, int lock,
    struct profile **out)
{
	struct profile *p = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = profile_new(ctx, path, &p)) != 0)
		goto out;
	if (lock && (r = profile_lock(ctx, p)) != 0)
		goto out;
	if ((r = cs_read_file(ctx, path, PROFILE_MAX_SIZE, &data,
	    &len)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			cs_error(ctx, r, "%s: no profile: run `certseal-admin "
			    "init` first, or give --profile", path);
		goto out;
	}
	root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (root == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: damaged profile: "
		    "line %d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	if ((r = read_profile(ctx, p, root)) != 0)
		goto out;
	*out = p;
	p = NULL;
	r = 0; /* success */
 out:
	json_decref(root);
	free(data);
	profile_free(p);
	return r;
}

/* ---- writing ---------------------------------------------------------- */

static int
set_opt_string(json_t *o, const char *key, const char *value)
{
	if (value == NULL)
		return 0;
	return json_object_set_new(o, key, json_string(value));
}

static int
set_opt_time(json_t *o, const char *key, time_t t)
{
	if (t == 0)
		return 0;
	return json_object_set_new(o, key, json_integer((json_int_t)t));
}

static json_t *
write_pair(const struct pair *pair)
{
	json_t *o = json_object();

	if (o == NULL ||
	    json_object_set_new(o, "id", json_string(pair->id)) != 0 ||
	    json_object_set_new(o, "state",
	    json_string(pair_state_name(pair->state))) != 0 ||
	    set_opt_string(o, "label", pair->label) != 0 ||
	    set_opt_string(o, "algorithm", pair->algorithm) != 0 ||
	    set_opt_string(o, "oaep_hash", pair->oaep_hash) != 0 ||
	    set_opt_string(o, "encryption_key_id", pair->enc_key_id) != 0 ||
	    set_opt_string(o, "signing_key_id", pair->sign_key_id) != 0 ||
	    set_opt_string(o, "encryption_fingerprint",
	    pair->enc_fingerprint) != 0 ||
	    set_opt_string(o, "signing_fingerprint",
	    pair->sign_fingerprint) != 0 ||
	    set_opt_time(o, "created", pair->created) != 0 ||
	    set_opt_time(o, "activated", pair->activated) != 0 ||
	    set_opt_time(o, "retired", pair->retired) != 0 ||
	    set_opt_time(o, "not_before", pair->not_before) != 0 ||
	    set_opt_time(o, "not_after", pair->not_after) != 0 ||
	    (pair->no_export && json_object_set_new(o, "exportable",
	    json_false()) != 0) ||
	    set_opt_string(o, "cross_certificate", pair->cross_cert) != 0 ||
	    set_opt_string(o, "cross_from", pair->cross_from) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
profile_save(certseal_ctx *ctx, const struct profile *p)
{
	json_t *root = NULL, *pairs = NULL, *item;
	char *text = NULL;
	size_t i;
	int r = CERTSEAL_E_NOMEM;

	if ((root = json_object()) == NULL || (pairs = json_array()) == NULL)
		goto nomem;
	if (json_object_set_new(root, "version",
	    json_integer(PROFILE_VERSION)) != 0 ||
	    set_opt_string(root, "token", p->token_uri) != 0 ||
	    set_opt_string(root, "config_path", p->config_path) != 0 ||
	    set_opt_string(root, "config_name", p->config_name) != 0 ||
	    set_opt_string(root, "reports_dir", p->reports_dir) != 0 ||
	    set_opt_string(root, "softhsm2_conf", p->softhsm_conf) != 0 ||
	    json_object_set_new(root, "sequence",
	    json_integer((json_int_t)p->sequence)) != 0 ||
	    json_object_set_new(root, "config_sequence",
	    json_integer((json_int_t)p->config_sequence)) != 0)
		goto nomem;
	for (i = 0; i < p->npairs; i++) {
		if ((item = write_pair(&p->pairs[i])) == NULL ||
		    json_array_append_new(pairs, item) != 0)
			goto nomem;
	}
	if (json_object_set(root, "pairs", pairs) != 0 ||
	    profile_write_clients(p, root) != 0)
		goto nomem;
	if ((text = json_dumps(root, JSON_INDENT(2))) == NULL)
		goto nomem;
	r = cs_atomic_write(ctx, p->path, text, strlen(text), 0600);
	goto out;
 nomem:
	r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
 out:
	free(text);
	json_decref(pairs);
	json_decref(root);
	return r;
}

/* ---- pairs ------------------------------------------------------------ */

struct pair *
profile_find_pair(struct profile *p, const char *id)
{
	struct pair *found = NULL;
	size_t i, len = strlen(id);

	if (len < 4 || len > PAIR_ID_LEN)
		return NULL;
	for (i = 0; i < p->npairs; i++) {
		if (strncasecmp(p->pairs[i].id, id, len) == 0) {
			if (found != NULL)
				return NULL;	/* ambiguous prefix */
			found = &p->pairs[i];
		}
	}
	return found;
}

struct pair *
profile_active_pair(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->npairs; i++)
		if (p->pairs[i].state == PAIR_ACTIVE)
			return &p->pairs[i];
	return NULL;
}

int
profile_add_pair(certseal_ctx *ctx, struct profile *p,
    const struct pair *pair)
{
	struct pair *grown;

	if (p->npairs >= PROFILE_MAX_PAIRS)
		return cs_error(ctx, CERTSEAL_E_USAGE, "%s: already %d pairs; "
		    "remove retired ones first", p->path, PROFILE_MAX_PAIRS);
	grown = realloc(p->pairs, (p->npairs + 1) * sizeof(*grown));
	if (grown == NULL)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	p->pairs = grown;
	p->pairs[p->npairs++] = *pair;
	return 0;
}

void
profile_remove_pair(struct profile *p, struct pair *pair)
{
	size_t i = (size_t)(pair - p->pairs);

	if (i >= p->npairs)
		return;
	pair_release(pair);
	memmove(&p->pairs[i], &p->pairs[i + 1],
	    (p->npairs - i - 1) * sizeof(*p->pairs));
	p->npairs--;
}
