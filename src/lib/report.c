/*
 * report.c - the readiness report: built on a client from its sources,
 * written atomically into a shared directory, read back (untrusted) on the
 * admin side.  The evaluation over a directory is in report-eval.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>

#include "internal.h"
#include "report.h"
#include "source.h"

/* Longest subject, URI, date or error text a report may carry. */
#define REPORT_MAX_TEXT		4096
#define REPORT_MAX_KEYID_HEX	128
#define REPORT_FP_HEX		64

/* ---- shared helpers ------------------------------------------------- */

json_t *
cs_report_jstr(const char *s)
{
	json_t *j;
	char *copy;
	size_t i;

	if (s == NULL)
		s = "";
	if ((j = json_string(s)) != NULL)
		return j;
	/* Not UTF-8 (a file or host name): keep ASCII, mark the rest. */
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (i = 0; copy[i] != '\0'; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

int
cs_report_parse_time(const char *s, time_t *out)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm tm;
	size_t i;

	*out = 0;
	if (strlen(s) != sizeof(pattern) - 1)
		return -1;
	for (i = 0; pattern[i] != '\0'; i++) {
		if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != pattern[i])
			return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* ---- building ------------------------------------------------------- */

/* Subject, fingerprint and source of x, the members keys and signers share. */
static json_t *
cert_entry(X509 *x, const char *source)
{
	json_t *o = NULL;
	char fp[CS_CERT_FP_HEX + 1], *subject = NULL;

	if (cs_cert_fingerprint(x, fp) != 0 ||
	    (subject = cs_name_text(X509_get_subject_name(x),
	    REPORT_MAX_TEXT)) == NULL)
		goto out;
	o = json_pack("{s:s, s:o, s:o}", "fingerprint", fp, "subject",
	    cs_report_jstr(subject), "source", cs_report_jstr(source));
 out:
	free(subject);
	return o;
}

static json_t *
key_entry(X509 *x, const char *source)
{
	const ASN1_OCTET_STRING *skid;
	char keyid[REPORT_MAX_KEYID_HEX + 1] = "", when[32] = "";
	json_t *o;

	if ((o = cert_entry(x, source)) == NULL)
		return NULL;
	if ((skid = X509_get0_subject_key_id(x)) != NULL)
		cs_hex(ASN1_STRING_get0_data(skid),
		    (size_t)ASN1_STRING_length(skid), keyid, sizeof(keyid));
	(void)cs_asn1_time_text(X509_get0_notAfter(x), when, sizeof(when));
	if (json_object_set_new(o, "key_id", json_string(keyid)) != 0 ||
	    json_object_set_new(o, "not_after", json_string(when)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
add_error(certseal_ctx *ctx, json_t *errors, const char *uri, int err)
{
	const char *msg = certseal_ctx_last_error(ctx);
	json_t *o;

	if (*msg == '\0')
		msg = certseal_strerror(err);
	o = json_pack("{s:o, s:o}", "source", cs_report_jstr(uri), "error",
	    cs_report_jstr(msg));
	cs_error_clear(ctx);
	if (o == NULL || json_array_append_new(errors, o) != 0)
		return CERTSEAL_E_NOMEM;
	return 0;
}

/* Appends one entry per certificate of certs, made by fn. */
static int
add_certs(json_t *into, STACK_OF(X509) *certs, const char *uri,
    json_t *(*fn)(X509 *, const char *))
{
	json_t *o;
	int i;

	for (i = 0; i < sk_X509_num(certs); i++) {
		if (json_array_size(into) >= CS_REPORT_MAX_KEYS)
			break;	/* the reader would refuse the report */
		if ((o = fn(sk_X509_value(certs, i), uri)) == NULL ||
		    json_array_append_new(into, o) != 0)
			return CERTSEAL_E_NOMEM;
	}
	return 0;
}

/* What one source contributes: keys, signers, or an error. */
static int
report_source(certseal_ctx *ctx, struct cs_source *src, json_t *keys,
    json_t *signers, json_t *errors)
{
	STACK_OF(X509) *certs = NULL;
	const char *uri = cs_source_display_uri(src);
	int r, lr;

	if ((certs = sk_X509_new_null()) == NULL)
		return CERTSEAL_E_NOMEM;
	lr = cs_source_list_keys(src, certs);
	if (lr == CERTSEAL_E_NOMEM) {
		r = lr;
		goto out;
	}
	if (lr != 0) {
		if ((r = add_error(ctx, errors, uri, lr)) != 0)
			goto out;
		/*
		 * A source that failed to load would fail the same way
		 * again; one that only cannot list keys may still know its
		 * signers.
		 */
		if (lr != CERTSEAL_E_UNSUPPORTED) {
			r = 0;
			goto out;
		}
	} else if ((r = add_certs(keys, certs, uri, key_entry)) != 0)
		goto out;
	sk_X509_pop_free(certs, X509_free);
	if ((certs = sk_X509_new_null()) == NULL)
		return CERTSEAL_E_NOMEM;
	if ((lr = cs_source_trusted_signers(src, certs)) != 0) {
		if (lr == CERTSEAL_E_NOMEM) {
			r = lr;
			goto out;
		}
		r = add_error(ctx, errors, uri, lr);
		goto out;
	}
	r = add_certs(signers, certs, uri, cert_entry);
 out:
	sk_X509_pop_free(certs, X509_free);
	return r;
}

int
cs_report_build(certseal_ctx *ctx, json_t **out)
{
	json_t *rep = NULL, *sources, *keys, *signers, *errors, *flags;
	char host[CS_REPORT_MAX_HOST + 1], when[32];
	time_t now;
	size_t i;
	int r, default_failed = 0;

	*out = NULL;
	if (ctx->nsources == 0 &&
	    (r = certseal_ctx_add_source(ctx, CS_DEFAULT_SOURCE)) != 0) {
		if (r == CERTSEAL_E_NOMEM)
			return r;
		default_failed = r;
	}
	memset(host, 0, sizeof(host));
	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "unknown");
	now = time(NULL);
	if (cs_time_text(now, when, sizeof(when)) != 0)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "report: cannot "
		    "format the current time");
	flags = json_pack("{s:b, s:b}", "accept_encrypted_data_only",
	    (ctx->flags & CERTSEAL_FLAG_ENCRYPTED_ONLY) != 0,
	    "allow_rollback", (ctx->flags & CERTSEAL_FLAG_ALLOW_ROLLBACK) != 0);
	rep = json_pack("{s:i, s:o, s:s, s:s, s:[], s:o, s:[], s:[], s:[]}",
	    "format", CS_REPORT_FORMAT, "host", cs_report_jstr(host),
	    "time", when, "certseal_version", certseal_version(),
	    "sources", "flags", flags, "keys", "signers", "errors");
	if (rep == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	sources = json_object_get(rep, "sources");
	keys = json_object_get(rep, "keys");
	signers = json_object_get(rep, "signers");
	errors = json_object_get(rep, "errors");
	if (default_failed != 0) {
		/* The client would use it; that it cannot is the finding. */
		if (json_array_append_new(sources,
		    json_string(CS_DEFAULT_SOURCE)) != 0 ||
		    (r = add_error(ctx, errors, CS_DEFAULT_SOURCE,
		    default_failed)) != 0) {
			r = cs_nomem(ctx);
			goto out;
		}
	}
	if (ctx->nsources > CS_REPORT_MAX_SOURCES) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "report: %zu sources, "
		    "more than a report may hold (%d)", ctx->nsources,
		    CS_REPORT_MAX_SOURCES);
		goto out;
	}
	for (i = 0; i < ctx->nsources; i++) {
		if (json_array_append_new(sources, cs_report_jstr(
		    cs_source_display_uri(ctx->sources[i]))) != 0 ||
		    (r = report_source(ctx, ctx->sources[i], keys, signers,
		    errors)) != 0) {
			r = cs_nomem(ctx);
			goto out;
		}
	}
	*out = rep;
	rep = NULL;
	r = 0; /* success */
 out:
	json_decref(rep);
	return r;
}

/* ---- writing -------------------------------------------------------- */

/*
 * The file name for a host: [A-Za-z0-9._-] as is, anything else (and a
 * leading dot, which would hide the file) as _XX.  '_' itself is escaped,
 * so the mapping is one to one.
 */
char *
cs_report_file_name(const char *host)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char c;
	char *name, *o;
	size_t i, n = strlen(host);

	if ((name = malloc(3 * n + sizeof(".json"))) == NULL)
		return NULL;
	for (i = 0, o = name; i < n; i++) {
		c = (unsigned char)host[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' ||
		    (c == '.' && i > 0)) {
			*o++ = (char)c;
			continue;
		}
		*o++ = '_';
		*o++ = digits[c >> 4];
		*o++ = digits[c & 0x0f];
	}
	memcpy(o, ".json", sizeof(".json"));
	return name;
}

/*
 * dir made (0755) when missing, in its parent opened as the write will
 * open dir (cs_dir_open_trusted): never a root-owned directory inside one
 * that another user could change, left behind by the refusal.
 */
static int
ensure_dir(certseal_ctx *ctx, const char *dir)
{
	const struct cs_dir_walk w = { (uid_t)-1, 0, "write" };
	char *pcopy = NULL, *bcopy = NULL;
	const char *base;
	struct stat st;
	int pfd = -1, r;

	if ((pcopy = strdup(dir)) == NULL || (bcopy = strdup(dir)) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	base = basename(bcopy);
	if ((r = cs_dir_open_trusted(ctx, dirname(pcopy), &w, &pfd,
	    NULL)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			r = cs_error(ctx, r, "%s: cannot create the reports "
			    "directory: its parent does not exist", dir);
		goto out;
	}
	if (mkdirat(pfd, base, 0755) != 0 && errno != EEXIST) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: cannot create the "
		    "reports directory: %s", dir, strerror(errno));
		goto out;
	}
	if (fstatat(pfd, base, &st, 0) != 0 || !S_ISDIR(st.st_mode)) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: exists and is not a "
		    "directory; choose another --out", dir);
		goto out;
	}
	r = 0; /* success */
 out:
	if (pfd >= 0)
		close(pfd);
	free(pcopy);
	free(bcopy);
	return r;
}

int
cs_report_write(certseal_ctx *ctx, const char *dir, json_t *report,
    char **path_out)
{
	const char *host;
	char *name = NULL, *path = NULL, *body = NULL, *text = NULL;
	int r;

	if (path_out != NULL)
		*path_out = NULL;
	host = json_string_value(json_object_get(report, "host"));
	if (host == NULL || *host == '\0' ||
	    strlen(host) > CS_REPORT_MAX_HOST) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "report: the host name is "
		    "missing or longer than %d bytes", CS_REPORT_MAX_HOST);
		goto out;
	}
	if ((name = cs_report_file_name(host)) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if (strlen(name) > NAME_MAX) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "report: the host name "
		    "'%.64s...' makes a file name that is too long", host);
		goto out;
	}
	if ((r = ensure_dir(ctx, dir)) != 0)
		goto out;
	if (asprintf(&path, "%s%s%s", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", name) < 0) {
		path = NULL;
		r = cs_nomem(ctx);
		goto out;
	}
	if ((body = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
	    NULL ||
	    asprintf(&text, "%s\n", body) < 0) {
		text = NULL;
		r = cs_nomem(ctx);
		goto out;
	}
	if ((r = cs_atomic_write(ctx, path, text, strlen(text), 0644)) != 0)
		goto out;
	if (path_out != NULL) {
		*path_out = path;
		path = NULL;
	}
	r = 0; /* success */
 out:
	free(text);
	free(body);
	free(path);
	free(name);
	return r;
}

/* ---- reading (untrusted) -------------------------------------------- */

struct reader {
	certseal_ctx	*ctx;
	const char	*path;
};

static int
damaged(struct reader *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
damaged(struct reader *rd, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cs_error(rd->ctx, CERTSEAL_E_INTEGRITY, "%s: damaged report: "
	    "%s; run 'certseal report' on that host again or remove the file",
	    rd->path, what);
}

/*
 * Reads at most max bytes from fd, which must be a regular file (a FIFO
 * or device would block or never end).  The caller opened it without
 * following symlinks: reports are plain files written by cs_report_write,
 * and a link planted in a shared directory must not make the admin read
 * something else.
 */
static int
read_fd(struct reader *rd, int fd, size_t max, char **out, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0;
	ssize_t n;
	int r;

	*out = NULL;
	*lenp = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = cs_error(rd->ctx, CERTSEAL_E_IO, "%s: not a regular file",
		    rd->path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = cs_error(rd->ctx, CERTSEAL_E_TOO_LARGE, "%s: report of "
		    "%llu bytes is over the limit of %zu bytes; remove it",
		    rd->path, (unsigned long long)st.st_size, max);
		goto out;
	}
	/* One spare byte shows a file that grew past the limit. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		r = cs_nomem(rd->ctx);
		goto out;
	}
	if ((n = cs_read_full(fd, buf, (size_t)st.st_size + 1)) < 0) {
		r = cs_error(rd->ctx, CERTSEAL_E_IO, "%s: read: %s",
		    rd->path, strerror(errno));
		goto out;
	}
	used = (size_t)n;
	if (used > (size_t)st.st_size) {
		r = cs_error(rd->ctx, CERTSEAL_E_IO, "%s: the report grew "
		    "while it was read; try again", rd->path);
		goto out;
	}
	*out = buf;
	*lenp = used;
	buf = NULL;
	r = 0; /* success */
 out:
	free(buf);
	return r;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'F')
			*s = (char)(*s - 'A' + 'a');
}

/*
 * A string member of o at most max bytes long, without NUL; a copy in
 * *out.  `where` names the object ("keys[3]") for the message.
 */
static int
get_string(struct reader *rd, json_t *o, const char *where, const char *key,
    size_t max, int required, char **out)
{
	json_t *v = json_object_get(o, key);
	const char *dot = *where != '\0' ? "." : "";

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		return damaged(rd, "'%s%s%s' is missing", where, dot, key);
	}
	if (!json_is_string(v))
		return damaged(rd, "'%s%s%s' is not a string", where, dot, key);
	if (json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return damaged(rd, "'%s%s%s' is longer than %zu bytes", where,
		    dot, key, max);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return cs_nomem(rd->ctx);
	return 0;
}

/* A hex member: minlen..maxlen digits, an even count, kept lowercase. */
static int
get_hex(struct reader *rd, json_t *o, const char *where, const char *key,
    size_t minlen, size_t maxlen, char **out)
{
	size_t n;
	int r;

	if ((r = get_string(rd, o, where, key, maxlen, 1, out)) != 0)
		return r;
	n = strlen(*out);
	if (n < minlen || n % 2 != 0 ||
	    !cs_is_hex(*out, CS_HEX_ANY)) {
		free(*out);
		*out = NULL;
		return damaged(rd, "'%s.%s' is not %s hex", where, key,
		    minlen == maxlen ? "SHA-256" : "even-length");
	}
	lower(*out);
	return 0;
}

/* An array member with at most max elements. */
static int
get_array(struct reader *rd, json_t *root, const char *key, size_t max,
    json_t **out)
{
	json_t *v = json_object_get(root, key);

	*out = NULL;
	if (v == NULL)
		return damaged(rd, "'%s' is missing", key);
	if (!json_is_array(v))
		return damaged(rd, "'%s' is not an array", key);
	if (json_array_size(v) > max)
		return damaged(rd, "'%s' has %zu entries, more than %zu", key,
		    json_array_size(v), max);
	*out = v;
	return 0;
}

static int
read_keys(struct reader *rd, json_t *root, struct cs_report *rep)
{
	struct cs_report_key *k;
	json_t *arr, *o;
	char where[48];
	size_t i;
	int r;

	if ((r = get_array(rd, root, "keys", CS_REPORT_MAX_KEYS, &arr)) != 0)
		return r;
	if (json_array_size(arr) > 0 && (rep->keys = calloc(
	    json_array_size(arr), sizeof(*rep->keys))) == NULL)
		return cs_nomem(rd->ctx);
	json_array_foreach(arr, i, o) {
		snprintf(where, sizeof(where), "keys[%zu]", i);
		if (!json_is_object(o))
			return damaged(rd, "'%s' is not an object", where);
		k = &rep->keys[rep->nkeys++];
		if ((r = get_hex(rd, o, where, "key_id", 0,
		    REPORT_MAX_KEYID_HEX, &k->key_id)) != 0 ||
		    (r = get_hex(rd, o, where, "fingerprint", REPORT_FP_HEX,
		    REPORT_FP_HEX, &k->fingerprint)) != 0 ||
		    (r = get_string(rd, o, where, "subject", REPORT_MAX_TEXT,
		    0, &k->subject)) != 0 ||
		    (r = get_string(rd, o, where, "not_after", 32, 0,
		    &k->not_after)) != 0 ||
		    (r = get_string(rd, o, where, "source", REPORT_MAX_TEXT,
		    0, &k->source)) != 0)
			return r;
	}
	return 0;
}

static int
read_signers(struct reader *rd, json_t *root, struct cs_report *rep)
{
	struct cs_report_signer *s;
	json_t *arr, *o;
	char where[48];
	size_t i;
	int r;

	if ((r = get_array(rd, root, "signers",
	    CS_REPORT_MAX_SIGNERS, &arr)) != 0)
		return r;
	if (json_array_size(arr) > 0 && (rep->signers = calloc(
	    json_array_size(arr), sizeof(*rep->signers))) == NULL)
		return cs_nomem(rd->ctx);
	json_array_foreach(arr, i, o) {
		snprintf(where, sizeof(where), "signers[%zu]", i);
		if (!json_is_object(o))
			return damaged(rd, "'%s' is not an object", where);
		s = &rep->signers[rep->nsigners++];
		if ((r = get_hex(rd, o, where, "fingerprint", REPORT_FP_HEX,
		    REPORT_FP_HEX, &s->fingerprint)) != 0 ||
		    (r = get_string(rd, o, where, "subject", REPORT_MAX_TEXT,
		    0, &s->subject)) != 0 ||
		    (r = get_string(rd, o, where, "source", REPORT_MAX_TEXT,
		    0, &s->source)) != 0)
			return r;
	}
	return 0;
}

static int
read_sources(struct reader *rd, json_t *root, struct cs_report *rep)
{
	json_t *arr, *v;
	size_t i;
	int r;

	if ((r = get_array(rd, root, "sources",
	    CS_REPORT_MAX_SOURCES, &arr)) != 0)
		return r;
	if (json_array_size(arr) > 0 && (rep->sources = calloc(
	    json_array_size(arr), sizeof(*rep->sources))) == NULL)
		return cs_nomem(rd->ctx);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) ||
		    json_string_length(v) > REPORT_MAX_TEXT ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return damaged(rd, "'sources[%zu]' is not a string of "
			    "at most %d bytes", i, REPORT_MAX_TEXT);
		if ((rep->sources[rep->nsources++] =
		    strdup(json_string_value(v))) == NULL)
			return cs_nomem(rd->ctx);
	}
	return 0;
}

static int
read_errors(struct reader *rd, json_t *root, struct cs_report *rep)
{
	json_t *arr, *o;
	char where[48], *s = NULL;
	size_t i;
	int r;

	if ((r = get_array(rd, root, "errors",
	    CS_REPORT_MAX_ERRORS, &arr)) != 0)
		return r;
	json_array_foreach(arr, i, o) {
		snprintf(where, sizeof(where), "errors[%zu]", i);
		if (!json_is_object(o))
			return damaged(rd, "'%s' is not an object", where);
		if ((r = get_string(rd, o, where, "source", REPORT_MAX_TEXT,
		    0, &s)) != 0)
			return r;
		free(s);
		if ((r = get_string(rd, o, where, "error", REPORT_MAX_TEXT,
		    0, &s)) != 0)
			return r;
		free(s);
		s = NULL;
	}
	rep->nerrors = json_array_size(arr);
	return 0;
}

static int
read_flags(struct reader *rd, json_t *root, struct cs_report *rep)
{
	json_t *flags = json_object_get(root, "flags"), *v;

	if (flags == NULL)
		return damaged(rd, "'flags' is missing");
	if (!json_is_object(flags))
		return damaged(rd, "'flags' is not an object");
	v = json_object_get(flags, "accept_encrypted_data_only");
	if (v != NULL && !json_is_boolean(v))
		return damaged(rd, "'flags.accept_encrypted_data_only' is not "
		    "true or false");
	rep->encrypted_only = json_is_true(v);
	v = json_object_get(flags, "allow_rollback");
	if (v != NULL && !json_is_boolean(v))
		return damaged(rd, "'flags.allow_rollback' is not true or "
		    "false");
	rep->allow_rollback = json_is_true(v);
	return 0;
}

static int
read_report(struct reader *rd, json_t *root, struct cs_report *rep)
{
	json_t *v;
	size_t i;
	int r;

	if (!json_is_object(root))
		return damaged(rd, "not a JSON object");
	v = json_object_get(root, "format");
	if (v == NULL)
		return damaged(rd, "'format' is missing");
	if (!json_is_integer(v) || json_integer_value(v) != CS_REPORT_FORMAT)
		return damaged(rd, "'format' is not %d (a newer certseal "
		    "wrote it?)", CS_REPORT_FORMAT);
	if ((r = get_string(rd, root, "", "host", CS_REPORT_MAX_HOST, 1,
	    &rep->host)) != 0)
		return r;
	if (rep->host[0] == '\0')
		return damaged(rd, "'host' is empty");
	/* Host names are printed on the admin's terminal. */
	for (i = 0; rep->host[i] != '\0'; i++)
		if ((unsigned char)rep->host[i] < 0x20 ||
		    rep->host[i] == 0x7f)
			return damaged(rd, "'host' holds control characters");
	if ((r = get_string(rd, root, "", "time", 32, 1, &rep->time)) != 0)
		return r;
	if (cs_report_parse_time(rep->time, &rep->when) != 0)
		return damaged(rd, "'time' is not YYYY-MM-DDTHH:MM:SSZ");
	if ((r = get_string(rd, root, "", "certseal_version", 64, 0,
	    &rep->version)) != 0 ||
	    (r = read_sources(rd, root, rep)) != 0 ||
	    (r = read_flags(rd, root, rep)) != 0 ||
	    (r = read_keys(rd, root, rep)) != 0 ||
	    (r = read_signers(rd, root, rep)) != 0 ||
	    (r = read_errors(rd, root, rep)) != 0)
		return r;
	return 0;
}

int
cs_report_read_fd(certseal_ctx *ctx, int fd, const char *path,
    struct cs_report **out)
{
	struct reader rd = { ctx, path };
	struct cs_report *rep = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	char *data = NULL;
	size_t len, i;
	int r;

	*out = NULL;
	if ((r = read_fd(&rd, fd, CS_REPORT_MAX_SIZE, &data, &len)) != 0)
		goto out;
	if ((root = json_loadb(data, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		/* jansson quotes the input; keep the terminal safe. */
		for (i = 0; jerr.text[i] != '\0'; i++)
			if ((unsigned char)jerr.text[i] < 0x20 ||
			    (unsigned char)jerr.text[i] >= 0x7f)
				jerr.text[i] = '?';
		r = damaged(&rd, "line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	/* The text is parsed; only the tree is needed from here. */
	free(data);
	data = NULL;
	if ((rep = calloc(1, sizeof(*rep))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	if ((r = read_report(&rd, root, rep)) != 0)
		goto out;
	*out = rep;
	rep = NULL;
	r = 0; /* success */
 out:
	cs_report_free(rep);
	json_decref(root);
	free(data);
	return r;
}

int
cs_report_read(certseal_ctx *ctx, const char *path, struct cs_report **out)
{
	int fd, r;

	*out = NULL;
	if ((r = cs_input_open(ctx, AT_FDCWD, path, NULL, O_NOFOLLOW, &fd,
	    NULL)) != 0)
		return r;
	r = cs_report_read_fd(ctx, fd, path, out);
	close(fd);
	return r;
}

void
cs_report_free(struct cs_report *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nkeys; i++) {
		free(rep->keys[i].key_id);
		free(rep->keys[i].fingerprint);
		free(rep->keys[i].subject);
		free(rep->keys[i].not_after);
		free(rep->keys[i].source);
	}
	for (i = 0; i < rep->nsigners; i++) {
		free(rep->signers[i].fingerprint);
		free(rep->signers[i].subject);
		free(rep->signers[i].source);
	}
	for (i = 0; i < rep->nsources; i++)
		free(rep->sources[i]);
	free(rep->keys);
	free(rep->signers);
	free(rep->sources);
	free(rep->host);
	free(rep->time);
	free(rep->version);
	free(rep);
}
