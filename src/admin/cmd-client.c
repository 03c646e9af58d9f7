/*
 * cmd-client.c - `certseal-admin client list | approve | revoke`: the
 * enrolled clients (DESIGN.md section 8).
 *
 * Approval is a human decision: the requests directory may be shared with
 * the clients, so anyone who can write there can plant a request.  approve
 * therefore shows each key's fingerprint (to compare with what `certseal
 * enroll` printed on the host), refuses a request that is not signed by its
 * own key, one whose CN is not its file name, a second key under an
 * approved name, and any key that was revoked; --all-pending exists for
 * automation and says what it approved.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "admin.h"
#include "enroll.h"

#define CLIENT_SYNOPSIS \
	"client list [--requests DIR] [--json]\n" \
	"       certseal-admin client approve NAME... | --all-pending " \
	"[--requests DIR] [--days N]\n" \
	"       certseal-admin client revoke NAME"
#define DEFAULT_DAYS	3650
#define MAX_REQUESTS	200000

struct client_opts {
	const char	*requests;
	int		 json, all_pending;
	long		 days;
};

/* A request found in the directory. */
struct request {
	char		*name;
	char		 key_id[CS_KEY_ID_HEX + 1];
	char		 fp[CS_KEY_FP_HEX + 1];
	const char	*algorithm;
	char		*problem;	/* NULL when it verified */
	X509_REQ	*req;
};

static void
client_help(void)
{
	printf("usage: certseal-admin %s\n"
	    "\n"
	    "Clients enrol with `certseal enroll --out DIR`, which writes "
	    "DIR/NAME.csr.\n"
	    "  list      pending requests, approved and revoked clients\n"
	    "  approve   verify each request, show its key fingerprint, "
	    "issue a certificate\n"
	    "            signed by the active pair and write DIR/NAME.crt; "
	    "saves then seal\n"
	    "            to the client.  --all-pending approves every "
	    "pending request.\n"
	    "  revoke    the next save no longer seals to the client; final "
	    "for its key\n"
	    "\n"
	    "  --requests DIR  the requests directory (default: the "
	    "profile's reports_dir)\n"
	    "  --days N        certificate validity (default %d, at most "
	    "the signer's)\n", CLIENT_SYNOPSIS, DEFAULT_DAYS);
}

static void
request_release(struct request *q)
{
	free(q->name);
	free(q->problem);
	X509_REQ_free(q->req);
	memset(q, 0, sizeof(*q));
}

static void
requests_free(struct request *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		request_release(&v[i]);
	free(v);
}

static const char *
requests_dir(struct admin *a, const struct client_opts *o)
{
	if (o->requests != NULL)
		return o->requests;
	if (a->profile->reports_dir != NULL)
		return a->profile->reports_dir;
	cli_fail(a->ctx, CERTSEAL_E_USAGE, "client: give --requests DIR: the "
	    "profile %s has no reports_dir", a->profile->path);
	return NULL;
}

/*
 * Reads DIR/NAME.csr into q.  A request that does not parse, does not
 * verify or names another CN gets q->problem (and the error code in *errp);
 * only I/O and memory failures are returned.
 */
static int
request_load(certseal_ctx *ctx, const char *dir, const char *name,
    struct request *q, int *errp)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *path = NULL, *cn = NULL;
	struct stat st;
	EVP_PKEY *pk;
	int r;

	memset(q, 0, sizeof(*q));
	*errp = 0;
	if ((q->name = strdup(name)) == NULL ||
	    asprintf(&path, "%s/%s.csr", dir, name) < 0) {
		path = NULL;
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	/* Anyone may write here: a FIFO or a symlink is not a request. */
	if (lstat(path, &st) != 0) {
		r = cs_error(ctx, errno == ENOENT ? CERTSEAL_E_NOT_FOUND :
		    CERTSEAL_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*errp = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: not a "
		    "regular file", path);
		goto problem;
	}
	if ((r = cs_read_file(ctx, path, CS_REQUEST_MAX, &data, &len)) != 0)
		goto out;
	if ((*errp = cs_enroll_request_parse(ctx, data, len, path,
	    &q->req)) != 0)
		goto problem;
	pk = X509_REQ_get0_pubkey(q->req);
	q->algorithm = cs_key_algorithm(pk);
	if (cs_key_id_hex(pk, q->key_id) != 0 ||
	    cs_key_fingerprint(pk, q->fp) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "%s: cannot hash the "
		    "key", path);
		goto out;
	}
	if ((cn = cs_name_cn(X509_REQ_get_subject_name(q->req),
	    SIZE_MAX)) == NULL || strcmp(cn, name) != 0) {
		*errp = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: the request "
		    "names the client '%s', not '%s' (renamed or planted); "
		    "refused", path, cn != NULL ? cn : "", name);
		goto problem;
	}
	r = 0;
	goto out;
 problem:
	if ((q->problem = strdup(ctx->errmsg)) == NULL)
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	else
		r = 0;
 out:
	free(cn);
	free(data);
	free(path);
	return r;
}

static int
cmp_request(const void *a, const void *b)
{
	return strcmp(((const struct request *)a)->name,
	    ((const struct request *)b)->name);
}

/* Every DIR/NAME.csr with a valid client name, sorted by name. */
static int
requests_scan(certseal_ctx *ctx, const char *dir, struct request **vp,
    size_t *np)
{
	struct request *v = NULL, *grown;
	struct dirent *de;
	DIR *d = NULL;
	size_t n = 0, cap = 0, len;
	char name[CS_CLIENT_NAME_MAX + 1];
	int r, err;

	*vp = NULL;
	*np = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return cs_error(ctx, CERTSEAL_E_IO, "%s: %s", dir,
		    strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || len - 4 > CS_CLIENT_NAME_MAX ||
		    strcmp(de->d_name + len - 4, ".csr") != 0)
			continue;
		memcpy(name, de->d_name, len - 4);
		name[len - 4] = '\0';
		if (!cs_client_name_ok(name))
			continue;
		if (n >= MAX_REQUESTS) {
			r = cs_error(ctx, CERTSEAL_E_TOO_LARGE, "%s: more than "
			    "%d requests", dir, MAX_REQUESTS);
			goto out;
		}
		if (n == cap) {
			cap = cap == 0 ? 64 : 2 * cap;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				r = cs_error(ctx, CERTSEAL_E_NOMEM,
				    "out of memory");
				goto out;
			}
			v = grown;
		}
		if ((r = request_load(ctx, dir, name, &v[n], &err)) != 0) {
			request_release(&v[n]);
			if (r == CERTSEAL_E_NOT_FOUND)
				continue;	/* removed while we looked */
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_request);
	*vp = v;
	*np = n;
	v = NULL;
	n = 0;
	r = 0; /* success */
 out:
	requests_free(v, n);
	closedir(d);
	return r;
}

/* ---- list ---- */

static int
cmp_client_key(const void *a, const void *b)
{
	return strcmp((*(const struct client *const *)a)->key_id,
	    (*(const struct client *const *)b)->key_id);
}

static void
time_text(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
client_json(const struct client *c)
{
	char ap[32], rv[32];

	time_text(c->approved, ap, sizeof(ap));
	time_text(c->revoked, rv, sizeof(rv));
	return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}",
	    "name", c->name, "state", client_state_name(c->state),
	    "key_id", c->key_id, "fingerprint", c->fingerprint,
	    "algorithm", c->algorithm, "pair", c->pair_id,
	    "approved", c->approved != 0 ? ap : NULL,
	    "revoked", c->revoked != 0 ? rv : NULL);
}

static json_t *
request_json(const struct request *q)
{
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?}",
	    "name", q->name, "state", q->problem != NULL ? "invalid" :
	    "pending", "key_id", q->key_id[0] != '\0' ? q->key_id : NULL,
	    "fingerprint", q->fp[0] != '\0' ? q->fp : NULL,
	    "algorithm", q->algorithm, "problem", q->problem);
}

/*
 * Whether q is listed (and offered to --all-pending): a key the profile
 * does not know (pending, or invalid), or a known key under another name
 * - a replayed or copied request, listed as invalid with why.  A client's
 * own request is its client row.  by_key: the clients sorted by key ID.
 * -1 when out of memory.
 */
static int
request_listed(struct request *q, const struct client **by_key, size_t n)
{
	struct client probe;
	const struct client *pp = &probe, *const *hit;

	if (q->key_id[0] == '\0')
		return 1;
	probe.key_id = q->key_id;
	if ((hit = bsearch(&pp, by_key, n, sizeof(*by_key),
	    cmp_client_key)) == NULL)
		return 1;
	if (strcmp((*hit)->name, q->name) == 0)
		return 0;
	if (q->problem == NULL && asprintf(&q->problem, "%s.csr: key %s is "
	    "client %s's (%s): one key enrols one client%s", q->name,
	    q->key_id, (*hit)->name, client_state_name((*hit)->state),
	    (*hit)->state == CLIENT_REVOKED ? ", and revocation is final" :
	    "") < 0) {
		q->problem = NULL;
		return -1;
	}
	return 1;
}

static int
sorted_clients(certseal_ctx *ctx, const struct profile *p,
    const struct client ***out)
{
	const struct client **v;
	size_t i;

	*out = NULL;
	if ((v = calloc(p->nclients + 1, sizeof(*v))) == NULL)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	for (i = 0; i < p->nclients; i++)
		v[i] = &p->clients[i];
	qsort(v, p->nclients, sizeof(*v), cmp_client_key);
	*out = v;
	return 0;
}

static int
client_list(const struct client_opts *o)
{
	struct admin a;
	struct request *reqs = NULL;
	const struct client **by_key = NULL;
	const char *dir;
	json_t *list = NULL, *e;
	size_t i, nreqs = 0;
	int r, code, listed;

	if ((code = admin_open(&a, 0)) != 0)
		goto out;
	code = CLI_EXIT_OTHER;
	if ((dir = requests_dir(&a, o)) == NULL) {
		code = CLI_EXIT_USAGE;
		goto out;
	}
	if ((r = requests_scan(a.ctx, dir, &reqs, &nreqs)) != 0 ||
	    (r = sorted_clients(a.ctx, a.profile, &by_key)) != 0) {
		code = cli_fail(a.ctx, r, "client list");
		goto out;
	}
	if ((list = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < nreqs; i++) {
		if ((listed = request_listed(&reqs[i], by_key,
		    a.profile->nclients)) < 0)
			goto nomem;
		if (!listed)
			continue;
		if ((e = request_json(&reqs[i])) == NULL ||
		    json_array_append_new(list, e) != 0)
			goto nomem;
	}
	for (i = 0; i < a.profile->nclients; i++) {
		if ((e = client_json(&a.profile->clients[i])) == NULL ||
		    json_array_append_new(list, e) != 0)
			goto nomem;
	}
	if (o->json) {
		code = cli_print_json_list("clients", list) == 0 ? CLI_EXIT_OK :
		    CLI_EXIT_OTHER;
		goto out;
	}
	printf("%-24s  %-8s  %-40s  %-8s  %s\n", "NAME", "STATE", "KEY ID",
	    "ALG", "PAIR / PROBLEM");
	json_array_foreach(list, i, e) {
		const char *k = json_string_value(json_object_get(e, "key_id"));
		const char *al = json_string_value(json_object_get(e,
		    "algorithm"));
		const char *pr = json_string_value(json_object_get(e,
		    "problem"));
		const char *pa = json_string_value(json_object_get(e, "pair"));

		printf("%-24s  %-8s  %-40s  %-8s  %s\n",
		    json_string_value(json_object_get(e, "name")),
		    json_string_value(json_object_get(e, "state")),
		    k != NULL ? k : "-", al != NULL ? al : "-",
		    pr != NULL ? pr : pa != NULL ? pa : "");
	}
	code = CLI_EXIT_OK;
	goto out;
 nomem:
	code = cli_fail(a.ctx, CERTSEAL_E_NOMEM, "client list");
 out:
	json_decref(list);
	free(by_key);
	requests_free(reqs, nreqs);
	admin_close(&a);
	return code;
}

/* ---- approve ---- */

/* What one approval leaves to do once the profile is saved. */
struct issued {
	char	*path;	/* DIR/NAME.crt */
	char	*pem;
	size_t	 len;
};

/*
 * Approves one verified request: checks it against the profile, issues
 * the certificate and records the client.  Returns a certseal code.
 */
static int
approve_one(struct admin *a, const struct pair *pair, const char *dir,
    const struct request *q, long days, struct issued *out)
{
	struct profile *p = a->profile;
	struct client *byname, *bykey, c;
	X509 *cert = NULL;
	char *b64 = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	bykey = profile_find_client_key(p, q->key_id);
	byname = profile_find_client(p, q->name);
	if (bykey != NULL && bykey->state == CLIENT_REVOKED)
		return cs_error(a->ctx, CERTSEAL_E_POLICY, "client %s: key %s "
		    "was revoked (as client %s); revocation is final for a "
		    "key: the host must enrol with a new one", q->name,
		    q->key_id, bykey->name);
	if (bykey != NULL && strcmp(bykey->name, q->name) != 0)
		return cs_error(a->ctx, CERTSEAL_E_STATE, "client %s: key %s "
		    "is already approved as client %s", q->name, q->key_id,
		    bykey->name);
	if (byname != NULL && byname != bykey)
		return cs_error(a->ctx, CERTSEAL_E_STATE, "client %s is "
		    "approved with key %s, and this request has key %s: if "
		    "the host really has a new key, `client revoke %s` "
		    "first (a request in a shared directory may be planted)",
		    q->name, byname->key_id, q->key_id, q->name);
	if ((r = client_issue(a, pair, q->req, q->name, (int)days,
	    &cert)) != 0 ||
	    (r = client_bundle(a, cert, &out->pem, &out->len)) != 0)
		goto out;
	if (client_cert_base64(cert, &b64) != 0 ||
	    asprintf(&out->path, "%s/%s.crt", dir, q->name) < 0) {
		out->path = NULL;
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if (bykey != NULL) {
		/* The same key again: a new certificate (e.g. a new pair). */
		free(bykey->cert);
		free(bykey->pair_id);
		bykey->cert = b64;
		b64 = NULL;
		bykey->pair_id = strdup(pair->id);
		bykey->approved = time(NULL);
	} else {
		if ((c.name = strdup(q->name)) == NULL ||
		    (c.key_id = strdup(q->key_id)) == NULL ||
		    (c.fingerprint = strdup(q->fp)) == NULL ||
		    (c.algorithm = strdup(q->algorithm)) == NULL ||
		    (c.pair_id = strdup(pair->id)) == NULL) {
			r = cs_error(a->ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
			goto out;
		}
		c.cert = b64;
		b64 = NULL;
		c.state = CLIENT_APPROVED;
		c.approved = time(NULL);
		if ((r = profile_add_client(a->ctx, p, &c)) != 0)
			goto out;
		memset(&c, 0, sizeof(c));
	}
	printf("approved %s: key %s (%s), fingerprint SHA256:%s%s\n",
	    q->name, q->key_id, q->algorithm, q->fp,
	    bykey != NULL ? ", certificate re-issued" : "");
	r = 0; /* success */
 out:
	if (r != 0) {
		free(out->path);
		free(out->pem);
		memset(out, 0, sizeof(*out));
	}
	client_release(&c);
	free(b64);
	X509_free(cert);
	return r;
}

/*
 * The pending requests in dir, and which of them are listed (a key no
 * client of the profile has, or a known key under another name, which
 * request_listed gives its problem): chosen before any approval, since each
 * one adds a client to the profile, which moves the key IDs the choice
 * is made from.  fresh[i] for reqs[i].
 */
static int
choose_pending(struct admin *a, const char *dir, struct request **reqsp,
    size_t *nreqsp, unsigned char **freshp)
{
	const struct client **by_key = NULL;
	size_t i;
	int r, listed;

	*freshp = NULL;
	if ((r = requests_scan(a->ctx, dir, reqsp, nreqsp)) != 0 ||
	    (r = sorted_clients(a->ctx, a->profile, &by_key)) != 0)
		return r;
	if ((*freshp = calloc(*nreqsp + 1, 1)) == NULL) {
		free(by_key);
		return cs_nomem(a->ctx);
	}
	for (i = 0; i < *nreqsp; i++) {
		if ((listed = request_listed(&(*reqsp)[i], by_key,
		    a->profile->nclients)) < 0) {
			free(by_key);
			return cs_nomem(a->ctx);
		}
		(*freshp)[i] = (unsigned char)listed;
	}
	free(by_key);
	return 0;
}

/*
 * The certificates issued, each into its file; the first failure's exit
 * code (the others are reported too), or 0.
 */
static int
write_issued(struct admin *a, const struct issued *iss, size_t n)
{
	size_t i;
	int r, code, first = 0;

	for (i = 0; i < n; i++) {
		if ((r = cs_atomic_write(a->ctx, iss[i].path, iss[i].pem,
		    iss[i].len, 0644)) != 0) {
			code = cli_fail(a->ctx, r, "client approve: run it "
			    "again to rewrite the certificate");
			if (first == 0)
				first = code;
		}
	}
	return first;
}

static int
client_approve(const struct client_opts *o, int argc, char **argv)
{
	struct admin a;
	struct request *reqs = NULL, one;
	struct issued *iss = NULL;
	const struct pair *pair;
	const char *dir;
	unsigned char *fresh = NULL;
	char *trust = NULL;
	size_t i, nreqs = 0, nissued = 0, nwant;
	int r = 0, err, code, first = 0, wrote;

	memset(&one, 0, sizeof(one));
	if (o->all_pending == (argc > 0))
		return cli_usage_error("client approve: give NAME... or "
		    "--all-pending");
	if (o->days < 1 || o->days > 36500)
		return cli_usage_error("client approve: --days must be 1 to "
		    "36500");
	for (i = 0; i < (size_t)argc; i++)
		if (!cs_client_name_ok(argv[i]))
			return cli_usage_error("client approve: '%s' is not a "
			    "client name", argv[i]);
	if ((code = admin_open(&a, ADMIN_LOCK | ADMIN_TOKEN)) != 0)
		goto out;
	if ((dir = requests_dir(&a, o)) == NULL) {
		code = CLI_EXIT_USAGE;
		goto out;
	}
	if ((pair = profile_active_pair(a.profile)) == NULL) {
		code = cli_fail(a.ctx, CERTSEAL_E_STATE, "client approve: no "
		    "active pair signs client certificates: `pair activate "
		    "ID` first");
		goto out;
	}
	if (o->all_pending &&
	    (r = choose_pending(&a, dir, &reqs, &nreqs, &fresh)) != 0) {
		code = cli_fail(a.ctx, r, "client approve");
		goto out;
	}
	nwant = o->all_pending ? nreqs : (size_t)argc;
	if ((iss = calloc(nwant + 1, sizeof(*iss))) == NULL) {
		code = cli_fail(a.ctx, CERTSEAL_E_NOMEM, "client approve");
		goto out;
	}
	for (i = 0; i < nwant; i++) {
		struct request *q;

		if (o->all_pending) {
			q = &reqs[i];
			if (!fresh[i])
				continue;
			if (q->problem != NULL) {
				/* Loud, but not a failure: automation
				 * must not stall on one bad file. */
				cli_warn("not approved: %s", q->problem);
				continue;
			}
		} else {
			request_release(&one);
			q = &one;
			if ((r = request_load(a.ctx, dir, argv[i], q,
			    &err)) != 0 || (r = err) != 0) {
				code = cli_fail(a.ctx, r, "client approve %s",
				    argv[i]);
				if (first == 0)
					first = code;
				continue;
			}
		}
		if ((r = approve_one(&a, pair, dir, q, o->days,
		    &iss[nissued])) != 0) {
			code = cli_fail(a.ctx, r, "client approve %s",
			    q->name);
			if (first == 0)
				first = code;
			continue;
		}
		nissued++;
	}
	/* The profile first: a certificate is only out once it is recorded. */
	if (nissued > 0 && (r = profile_save(a.ctx, a.profile)) != 0) {
		code = cli_fail(a.ctx, r, "client approve");
		goto out;
	}
	if ((wrote = write_issued(&a, iss, nissued)) != 0 && first == 0)
		first = wrote;
	if (nissued > 0 && (trust = client_bundle_trust_args(a.profile)) == NULL) {
		code = cli_fail(a.ctx, CERTSEAL_E_NOMEM, "client approve");
		goto out;
	}
	if (nissued > 0)
		printf("clients finish with: certseal enroll --finish "
		    "%s/NAME.crt%s\n", dir, trust);
	if (o->all_pending)
		cli_info("approved %zu pending "
		    "request%s in %s (signed by pair %s)", nissued,
		    nissued == 1 ? "" : "s", dir, pair->id);
	else if (nissued > 0)
		cli_info("%zu certificate%s written "
		    "to %s: give each client the `enroll --finish` line "
		    "above (the fingerprints over a channel nobody else "
		    "writes to), then `certseal-admin save`", nissued,
		    nissued == 1 ? "" : "s", dir);
	code = first;
 out:
	free(trust);
	for (i = 0; iss != NULL && i < nissued; i++) {
		free(iss[i].path);
		free(iss[i].pem);
	}
	free(iss);
	free(fresh);
	request_release(&one);
	requests_free(reqs, nreqs);
	admin_close(&a);
	return code;
}

/* ---- revoke ---- */

static int
client_revoke(const char *name)
{
	struct admin a;
	struct client *c;
	size_t i;
	int r, code;

	if (!cs_client_name_ok(name))
		return cli_usage_error("client revoke: '%s' is not a client "
		    "name", name);
	if ((code = admin_open(&a, ADMIN_LOCK)) != 0)
		goto out;
	if ((c = profile_find_client(a.profile, name)) == NULL) {
		for (i = 0; i < a.profile->nclients; i++)
			if (strcmp(a.profile->clients[i].name, name) == 0)
				break;
		code = cli_fail(a.ctx, i < a.profile->nclients ?
		    CERTSEAL_E_STATE : CERTSEAL_E_NOT_FOUND, "client revoke "
		    "%s: %s", name, i < a.profile->nclients ?
		    "already revoked" : "no approved client of that name "
		    "(see `certseal-admin client list`)");
		goto out;
	}
	c->state = CLIENT_REVOKED;
	c->revoked = time(NULL);
	if ((r = profile_save(a.ctx, a.profile)) != 0) {
		code = cli_fail(a.ctx, r, "client revoke");
		goto out;
	}
	printf("revoked %s: key %s\n", c->name, c->key_id);
	cli_info("the next save no longer seals to %s; files it already "
	    "has stay readable to it; its key can never be approved again",
	    name);
	code = CLI_EXIT_OK;
 out:
	admin_close(&a);
	return code;
}

int
cmd_client(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "requests",		required_argument, NULL, 'r' },
		{ "json",		no_argument,	NULL, 'j' },
		{ "all-pending",	no_argument,	NULL, 'A' },
		{ "days",		required_argument, NULL, 'd' },
		{ "help",		no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct client_opts o;
	const char *verb;
	char *end;
	int c;

	memset(&o, 0, sizeof(o));
	o.days = DEFAULT_DAYS;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'r':
			o.requests = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'A':
			o.all_pending = 1;
			break;
		case 'd':
			errno = 0;
			o.days = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg)
				return cli_usage_error("client: --days takes "
				    "a number");
			break;
		case 'h':
			client_help();
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("client: bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("usage: certseal-admin %s",
		    CLIENT_SYNOPSIS);
	verb = argv[optind++];
	if (strcmp(verb, "list") == 0 && optind == argc)
		return client_list(&o);
	if (strcmp(verb, "approve") == 0)
		return client_approve(&o, argc - optind, argv + optind);
	if (strcmp(verb, "revoke") == 0 && argc - optind == 1)
		return client_revoke(argv[optind]);
	return cli_usage_error("usage: certseal-admin %s", CLIENT_SYNOPSIS);
}
