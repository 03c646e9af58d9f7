/*
 * own-config.c - the admin opens "what it wrote" (issue 11).
 *
 * save (without PLAINFILE), edit and show take the file at the profile's
 * configuration path as the current configuration and sign what they
 * make of it with the next sequence.  Anyone who can write that path (a
 * file share) could otherwise have the admin sign a planted file, so the
 * admin is stricter than a strict client: the file must be sealed, signed
 * by one of the profile's own pairs, carry the profile's configuration
 * name, and not be older than the sequence the profile last wrote there.
 * The client's open is used with the strict flag and its report of the
 * signers; the profile check is made here, on what that open verified.
 *
 * "The same file" is decided by device and inode, or by the resolved
 * directory and name when the file does not exist, never by the string.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "envelope.h"
#include "envelope-internal.h"
#include "source.h"

/*
 * path with its directory resolved (symlinks, "..", relative) and its
 * last component kept as given; NULL when the directory does not resolve.
 */
static char *
resolved_place(const char *path)
{
	char *d = NULL, *b = NULL, *dir, *out = NULL, real[PATH_MAX];

	if ((d = strdup(path)) == NULL || (b = strdup(path)) == NULL)
		goto out;
	dir = dirname(d);
	if (realpath(dir, real) == NULL)
		goto out;
	if (asprintf(&out, "%s/%s", strcmp(real, "/") == 0 ? "" : real,
	    basename(b)) < 0)
		out = NULL;
 out:
	free(d);
	free(b);
	return out;
}

int
admin_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ra, *rb;
	int same;

	if (a == NULL || b == NULL)
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ra = resolved_place(a);
	rb = resolved_place(b);
	same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
	free(ra);
	free(rb);
	return same;
}

/* 1 when path is dir or lies under it (resolved as above). */
static int
under_dir(const char *path, const char *dir)
{
	char real[PATH_MAX], *place;
	size_t n;
	int in;

	if (dir == NULL || realpath(dir, real) == NULL)
		return 0;
	if ((place = resolved_place(path)) == NULL)
		return 0;
	n = strlen(real);
	in = strcmp(place, real) == 0 ||
	    (strncmp(place, real, n) == 0 && place[n] == '/');
	free(place);
	return in;
}

int
admin_is_config_path(struct admin *a, const char *path)
{
	return path != NULL && strcmp(path, "-") != 0 &&
	    admin_same_file(path, a->profile->config_path);
}

int
admin_check_output(struct admin *a, const char *out)
{
	struct profile *p = a->profile;
	struct cs_p11_uri *uri = NULL;
	const char *pin = NULL;
	char *lock = NULL, *tokdir = NULL;
	int r = 0;

	if (out == NULL || strcmp(out, "-") == 0)
		return 0;
	if (asprintf(&lock, "%s.lock", p->path) < 0) {
		lock = NULL;
		return cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
	}
	if (cs_p11_uri_parse(NULL, p->token_uri, &uri) == 0)
		pin = cs_pin_source_path(cs_p11_uri_pin_source(uri));
	tokdir = admin_token_dir(p);
	if (admin_is_config_path(a, out))
		r = cs_error(a->ctx, CERTSEAL_E_USAGE, "-o %s: that is the "
		    "profile's configuration path, which only `save` writes "
		    "(without -o); write elsewhere", out);
	else if (admin_same_file(out, p->path) ||
	    admin_same_file(out, lock) ||
	    admin_same_file(out, p->softhsm_conf) ||
	    (pin != NULL && admin_same_file(out, pin)) ||
	    (tokdir != NULL && under_dir(out, tokdir)))
		r = cs_error(a->ctx, CERTSEAL_E_USAGE, "-o %s: that is one "
		    "of the profile's own files (profile, lock, PIN, token "
		    "or its backup); write elsewhere", out);
	cs_p11_uri_free(uri);
	free(lock);
	free(tokdir);
	return r;
}

/* The pair whose signing key ID is hex, or NULL. */
static const struct pair *
pair_by_sign_id(const struct profile *p, const char *hex)
{
	size_t i;

	for (i = 0; i < p->npairs; i++)
		if (p->pairs[i].sign_key_id != NULL &&
		    strcasecmp(p->pairs[i].sign_key_id, hex) == 0)
			return &p->pairs[i];
	return NULL;
}

/*
 * Why the verified file is not the profile's, or NULL when it is: every
 * signer the token trusted is one of the profile's pairs (the open has
 * made sure each of them verifies), and the name is the profile's.
 */
static const char *
not_own_reason(struct admin *a, json_t *signers, const certseal_config *cfg,
    char *buf, size_t size)
{
	struct profile *p = a->profile;
	const char *hex, *who = NULL;
	json_t *s;
	size_t i;
	int own = 0;

	json_array_foreach(signers, i, s) {
		if (!json_is_true(json_object_get(s, "trusted")))
			continue;
		hex = json_string_value(json_object_get(s, "key_id"));
		if (hex != NULL && pair_by_sign_id(p, hex) != NULL)
			own = 1;
		else if (who == NULL && (who = json_string_value(
		    json_object_get(s, "subject"))) == NULL)
			who = "a key the token trusts";
	}
	if (!own || who != NULL) {
		snprintf(buf, size, "signed by %.200s, which is not one of "
		    "this profile's pairs", who != NULL ? who :
		    (cfg->signer != NULL ? cfg->signer : "another key"));
		return buf;
	}
	if (p->config_name != NULL && (cfg->name == NULL ||
	    strcmp(cfg->name, p->config_name) != 0)) {
		snprintf(buf, size, "it carries the configuration name "
		    "'%.64s', the profile's is '%.64s'", cfg->name != NULL ?
		    cfg->name : "(none)", p->config_name);
		return buf;
	}
	if (!cfg->has_sequence) {
		snprintf(buf, size, "it carries no sequence number");
		return buf;
	}
	return NULL;
}

/* Opens sealed data strictly with the admin token; see admin.h. */
static int
open_sealed(struct admin *a, const struct cs_secret *raw, const char *path,
    unsigned int flags, int is_config, struct own_config *oc)
{
	struct profile *p = a->profile;
	certseal_config *cfg = NULL;
	json_t *signers = NULL;
	const uint8_t *data;
	size_t len;
	unsigned int saved = a->ctx->flags;
	char why[512];
	const char *reason;
	int r;

	if (cs_ctx_source_count(a->ctx) == 0 &&
	    (r = certseal_ctx_add_source(a->ctx, p->token_uri)) != 0)
		return r;
	if ((signers = json_array()) == NULL)
		return cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
	a->ctx->flags = saved | CERTSEAL_FLAG_ENCRYPTED_ONLY;
	r = cs_envelope_open_ex(a->ctx, raw->data, raw->len, path, 0, signers,
	    &cfg);
	if (r == CERTSEAL_E_UNSIGNED && (flags & OWN_ANY) != 0) {
		/* A file named on purpose: shown, and said so. */
		snprintf(oc->note, sizeof(oc->note), "encrypted but not "
		    "signed");
		a->ctx->flags = saved & ~CERTSEAL_FLAG_ENCRYPTED_ONLY;
		r = cs_envelope_open_ex(a->ctx, raw->data, raw->len, path, 0,
		    NULL, &cfg);
	} else if (r == CERTSEAL_E_UNSIGNED) {
		r = cs_error(a->ctx, CERTSEAL_E_UNTRUSTED, "%s: encrypted but "
		    "not signed: not written by this profile, so it is not "
		    "sealed again (look at a copy with `show COPY`, then "
		    "`save PLAINFILE` if you trust it)", path);
	}
	a->ctx->flags = saved;
	if (r != 0)
		goto out;
	if (oc->note[0] == '\0' &&
	    (reason = not_own_reason(a, signers, cfg, why, sizeof(why))) !=
	    NULL) {
		if ((flags & OWN_ANY) == 0) {
			r = cs_error(a->ctx, CERTSEAL_E_UNTRUSTED, "%s: not "
			    "written by this profile: %s", path, reason);
			goto out;
		}
		snprintf(oc->note, sizeof(oc->note), "%s", reason);
	}
	if (oc->note[0] == '\0') {
		oc->own = 1;
		oc->sequence = cfg->sequence;
	}
	if (is_config && oc->own && cfg->sequence < p->config_sequence) {
		if ((flags & OWN_ALLOW_ROLLBACK) == 0) {
			r = cs_error(a->ctx, CERTSEAL_E_ROLLBACK, "%s: sequence "
			    "%llu, older than the %llu this profile last "
			    "wrote there: a rollback (--allow-rollback takes "
			    "it)", path, (unsigned long long)cfg->sequence,
			    (unsigned long long)p->config_sequence);
			goto out;
		}
		cli_warn("%s: sequence %llu is older than the %llu this "
		    "profile last wrote there; taken (--allow-rollback)", path,
		    (unsigned long long)cfg->sequence,
		    (unsigned long long)p->config_sequence);
	}
	if (is_config && oc->own && cfg->sequence > a->seen_sequence)
		a->seen_sequence = cfg->sequence;
	data = certseal_config_data(cfg, &len);
	if ((r = cs_secret_from(data, len, &oc->plain)) != 0)
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
 out:
	certseal_config_free(cfg);
	json_decref(signers);
	return r;
}

int
admin_open_own(struct admin *a, const char *path, unsigned int flags,
    struct own_config *oc)
{
	struct profile *p = a->profile;
	struct cs_secret *raw = NULL;
	int r, is_config;

	memset(oc, 0, sizeof(*oc));
	is_config = admin_is_config_path(a, path);
	/* The configuration path is never "named on purpose". */
	if (is_config)
		flags &= ~OWN_ANY;
	r = cs_read_secret_file(a->ctx, path, CS_MAX_SEALED_SIZE, &raw);
	if (r == CERTSEAL_E_NOT_FOUND && (flags & OWN_MISSING_OK) != 0) {
		cs_error_clear(a->ctx);
		oc->own = 1;
		return cs_secret_new(0, &oc->plain);
	}
	if (r != 0)
		return r;
	if (cs_envelope_looks_sealed(raw->data, raw->len)) {
		r = open_sealed(a, raw, path, flags, is_config, oc);
		goto out;
	}
	if (!is_config) {
		/* PLAINFILE (or standard input) named on purpose. */
		snprintf(oc->note, sizeof(oc->note), "not sealed");
		oc->plain = raw;
		raw = NULL;
		r = 0;
		goto out;
	}
	if ((flags & OWN_MIGRATE) == 0) {
		r = cs_error(a->ctx, CERTSEAL_E_UNTRUSTED, "%s: not sealed: "
		    "not written by this profile, so it is not sealed as the "
		    "configuration (if you wrote it, `save "
		    "--migrate-plaintext` seals it in place)", path);
		goto out;
	}
	if (p->config_sequence > 0) {
		r = cs_error(a->ctx, CERTSEAL_E_UNTRUSTED, "%s: not sealed, "
		    "but this profile sealed sequence %llu there: the "
		    "plaintext is not its own (check it, then `save` it from "
		    "another path)", path,
		    (unsigned long long)p->config_sequence);
		goto out;
	}
	oc->own = 1;
	oc->plain = raw;
	raw = NULL;
	r = 0; /* success: the first migration, asked for */
 out:
	cs_secret_free(raw);
	return r;
}
