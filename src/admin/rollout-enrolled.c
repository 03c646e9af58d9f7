/*
 * rollout-enrolled.c - enrolled clients in the readiness count (DESIGN.md
 * section 8).
 *
 * An enrolled client never holds a pair's encryption key, so the turn-1
 * rule (cs_rollout_evaluate: "holds the pair's key and trusts its signer")
 * cannot judge it.  Here every approved client is a known host, whether it
 * reported or not; a report belongs to an enrolled client when it lists
 * that client's key; such a report counts only with a signature by that
 * key (REPORT.sig, enroll.h) - a key ID is public, anyone who can write the
 * reports directory could list it.  The client is ready when its newest
 * signed report trusts the pair's signer.  The hosts of those reports are
 * taken out of the turn-1 result and the client's verdict put in instead.
 * For a pending pair, trusting the active pair's signer is enough: at
 * activation the active signing key certifies the new one and clients
 * follow (succession.c).
 * A revoked client's reports are taken out too, with no verdict: the admin
 * has decided that host no longer matters.
 *
 * Reports are untrusted: read with the same bound as cs_report_read, each
 * member type-checked; anything odd makes the report not count.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

#include "admin.h"
#include "enroll.h"
#include "report.h"
#include "rollout.h"

struct verdict {
	const struct client *c;
	EVP_PKEY	*pub;		/* from its certificate, when needed */
	int		 pub_read;	/* ... and it was looked for */
	int		 reported;	/* some report lists its key */
	int		 signed_ok;	/* ... with a good signature */
	char		 time[32];	/* of the newest signed report */
	int		 trusts;	/* that report trusts the signer */
	char		*file;
};

static int
cmp_verdict(const void *a, const void *b)
{
	return strcmp(((const struct verdict *)a)->c->key_id,
	    ((const struct verdict *)b)->c->key_id);
}

static struct verdict *
find(struct verdict *v, size_t n, const char *key_id)
{
	struct client c;
	struct verdict key;

	memset(&c, 0, sizeof(c));
	c.key_id = (char *)key_id;
	key.c = &c;
	return bsearch(&key, v, n, sizeof(*v), cmp_verdict);
}

/*
 * The client's public key, read from its certificate the first time a
 * signed report of it is checked: parsing a certificate decodes its key
 * (about 1 M instructions in OpenSSL 3.0), and a fleet's clients mostly
 * have no signed report to check (10 000 clients: 2.5 s of 2.6).
 */
static EVP_PKEY *
verdict_key(struct verdict *v)
{
	X509 *x;

	if (!v->pub_read) {
		v->pub_read = 1;
		if ((x = client_cert(v->c)) != NULL) {
			v->pub = X509_get_pubkey(x);
			X509_free(x);
		}
	}
	return v->pub;
}

/* Adds the report's host to hosts (a JSON object used as a set). */
static void
note_host(json_t *root, json_t *hosts)
{
	const char *h = json_string_value(json_object_get(root, "host"));

	if (h != NULL)
		json_object_set_new(hosts, h, json_true());
}

static int
trusts(json_t *root, const char *fp, const char *alt)
{
	json_t *signers = json_object_get(root, "signers"), *s;
	const char *f;
	size_t i;

	if (fp == NULL)
		return 1;
	if (!json_is_array(signers))
		return 0;
	json_array_foreach(signers, i, s) {
		f = json_string_value(json_object_get(s, "fingerprint"));
		if (f != NULL && (strcasecmp(f, fp) == 0 ||
		    (alt != NULL && strcasecmp(f, alt) == 0)))
			return 1;
	}
	return 0;
}

/* 1 for a regular file (a symlink planted in the directory is not). */
static int
regular(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* One report file: which enrolled client it speaks for, if any. */
static void
judge_report(certseal_ctx *ctx, const char *dir, const char *name,
    struct verdict *v, size_t n, const char *fp, const char *alt,
    json_t *hosts)
{
	uint8_t *data = NULL, *sig = NULL;
	size_t len = 0, siglen = 0, i;
	json_t *root = NULL, *keys, *k;
	struct verdict *who = NULL;
	const char *id, *t;
	char *path = NULL, *sigpath = NULL;

	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		path = NULL;
		goto out;
	}
	if (!regular(path) ||
	    cs_read_file(NULL, path, CS_REPORT_MAX_SIZE, &data, &len) != 0 ||
	    (root = json_loadb((const char *)data, len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(root) ||
	    !json_is_array(keys = json_object_get(root, "keys")) ||
	    json_array_size(keys) > CS_REPORT_MAX_KEYS)
		goto out;
	json_array_foreach(keys, i, k) {
		id = json_string_value(json_object_get(k, "key_id"));
		if (id != NULL && strlen(id) == CS_KEY_ID_HEX &&
		    (who = find(v, n, id)) != NULL)
			break;
	}
	if (who == NULL)
		goto out;
	who->reported = 1;
	note_host(root, hosts);
	t = json_string_value(json_object_get(root, "time"));
	if (t == NULL || strlen(t) >= sizeof(who->time))
		goto out;
	if (asprintf(&sigpath, "%s.sig", path) < 0) {
		sigpath = NULL;
		goto out;
	}
	/* The bytes verified are the bytes judged: data is read once. */
	if (!regular(sigpath) ||
	    cs_read_file(NULL, sigpath, 4096, &sig, &siglen) != 0 ||
	    memchr(sig, '\0', siglen) != NULL ||
	    cs_report_verify(NULL, verdict_key(who), data, len,
	    (const char *)sig, siglen) != 0)
		goto out;
	if (who->signed_ok && strcmp(t, who->time) <= 0)
		goto out;	/* an older signed report */
	who->signed_ok = 1;
	snprintf(who->time, sizeof(who->time), "%s", t);
	who->trusts = trusts(root, fp, alt);
	free(who->file);
	who->file = strdup(name);
 out:
	(void)ctx;
	free(sig);
	free(sigpath);
	json_decref(root);
	free(data);
	free(path);
}

/* Removes from res the hosts whose reports spoke for enrolled clients. */
static void
drop_hosts(json_t *res, json_t *hosts)
{
	json_t *ready = json_object_get(res, "ready_hosts");
	json_t *nr = json_object_get(res, "not_ready_hosts");
	size_t i;

	for (i = json_array_size(ready); i-- > 0;)
		if (json_object_get(hosts, json_string_value(
		    json_array_get(ready, i))) != NULL)
			json_array_remove(ready, i);
	for (i = json_array_size(nr); i-- > 0;)
		if (json_object_get(hosts, json_string_value(json_object_get(
		    json_array_get(nr, i), "host"))) != NULL)
			json_array_remove(nr, i);
}

static int
add_verdicts(json_t *res, struct verdict *v, size_t n)
{
	json_t *ready = json_object_get(res, "ready_hosts");
	json_t *nr = json_object_get(res, "not_ready_hosts");
	const char *missing;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].c->state != CLIENT_APPROVED)
			continue;
		if (v[i].signed_ok && v[i].trusts) {
			if (json_array_append_new(ready,
			    json_string(v[i].c->name)) != 0)
				return -1;
			continue;
		}
		missing = !v[i].reported ? "report" : !v[i].signed_ok ?
		    "signed report" : "signer";
		if (json_array_append_new(nr, json_pack("{s:s, s:s, s:[s], "
		    "s:b}", "host", v[i].c->name, "file", v[i].file != NULL ?
		    v[i].file : "", "missing", missing, "enrolled", 1)) != 0)
			return -1;
	}
	return 0;
}

int
rollout_enrolled(struct admin *a, const char *dir, const struct pair *pair,
    json_t *res)
{
	struct profile *p = a->profile;
	const struct pair *active = profile_active_pair(p);
	const char *alt = NULL;
	struct verdict *v = NULL;
	json_t *hosts = NULL;
	struct dirent *de;
	DIR *d = NULL;
	size_t i, n = 0, len;
	int r = CERTSEAL_E_NOMEM;

	if ((n = p->nclients) == 0)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL ||
	    (hosts = json_object()) == NULL)
		goto nomem;
	for (i = 0; i < p->nclients; i++)
		v[i].c = &p->clients[i];
	qsort(v, n, sizeof(*v), cmp_verdict);
	if (pair->state == PAIR_PENDING && active != NULL)
		alt = active->sign_fingerprint;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (de->d_name[0] == '.' || len <= 5 ||
			    strcmp(de->d_name + len - 5, ".json") != 0)
				continue;
			judge_report(a->ctx, dir, de->d_name, v, n,
			    pair->sign_fingerprint, alt, hosts);
		}
		closedir(d);
	}
	drop_hosts(res, hosts);
	if (add_verdicts(res, v, n) != 0)
		goto nomem;
	if (json_object_set_new(res, "ready", json_integer((json_int_t)
	    json_array_size(json_object_get(res, "ready_hosts")))) != 0 ||
	    json_object_set_new(res, "not_ready", json_integer((json_int_t)
	    json_array_size(json_object_get(res, "not_ready_hosts")))) != 0 ||
	    json_object_set_new(res, "hosts", json_integer((json_int_t)
	    (json_array_size(json_object_get(res, "ready_hosts")) +
	    json_array_size(json_object_get(res, "not_ready_hosts"))))) != 0)
		goto nomem;
	r = 0; /* success */
	goto out;
 nomem:
	r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
 out:
	for (i = 0; v != NULL && i < n; i++) {
		EVP_PKEY_free(v[i].pub);
		free(v[i].file);
	}
	free(v);
	json_decref(hosts);
	return r;
}
