/*
 * cmd-enroll.c - `certseal enroll`: the client's own key pair and its
 * request, and `enroll --finish`: the admin's certificate installed beside
 * the key (DESIGN.md section 8).
 *
 * The key is made where the client runs - on its token (pkcs11:) or in its
 * store (store:) - and never leaves: the request carries the public half,
 * signed with the key as proof of possession; what comes back is a
 * certificate and the admin's signer certificates, nothing secret.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "client.h"
#include "enroll.h"
#include "internal.h"
#include "p11.h"
#include "source.h"
#include "store.h"

#define ENROLL_SYNOPSIS \
	"enroll --out DIR [-s URI] [--algorithm ALG] [--name NAME]\n" \
	"       certseal enroll --finish DIR/NAME.crt [-s URI] " \
	"[--trust-signer SHA256:FP]..."
#define BUNDLE_MAX	(256 * 1024)
#define SIGNER_LABEL	"certseal trusted signer"

struct enroll_opts {
	const char	*out;
	const char	*name;
	const char	*alg;
	const char	*finish;
	const char	*source;
	char		*env_source;	/* from the environment, owned */
	/* --trust-signer: fingerprints the user confirmed, lower-case hex */
	char		 confirmed[CS_ENROLL_CONFIRM_MAX][CS_CERT_FP_HEX + 1];
	size_t		 nconfirmed;
	char		 host[CS_CLIENT_NAME_MAX + 1];
};

/* The key wherever it lives, with what the messages need. */
struct client_key {
	EVP_PKEY		*pkey;
	int			 created;
	struct cs_p11_uri	*uri;	/* parsed from -s (owned), or NULL */
	struct cs_p11_token	*tok;
	char			 loc[CS_STORE_LOCATION_MAX + 1];	/* store: */
	char			 store[CS_STORE_NAME_MAX + 1];
};

static void
client_key_release(struct client_key *k)
{
	EVP_PKEY_free(k->pkey);
	cs_p11_token_unref(k->tok);
	cs_p11_uri_free(k->uri);
	memset(k, 0, sizeof(*k));
}

static void
enroll_help(void)
{
	printf("usage: certseal %s\n"
	    "\n"
	    "Makes this client's own key pair (or reuses it) in the source "
	    "and writes\nDIR/NAME.csr, a certificate request signed by the "
	    "key, for\n'certseal-admin client approve'.  The key never leaves "
	    "the source.\n"
	    "\n"
	    "  -s URI            store: (default store:LocalMachine/My) or "
	    "pkcs11:\n"
	    "  -o, --out DIR     where the request goes (made if missing)\n"
	    "  --name NAME       the client's name (default: the host name)\n"
	    "  --algorithm ALG   rsa-3072 (store default), rsa-4096, ec-p256, "
	    "ec-p384;\n"
	    "                    on a token: RSA-3072 if it can, else "
	    "EC P-256\n"
	    "  --finish FILE     install the certificate the admin issued "
	    "(NAME.crt)\n"
	    "  --trust-signer FP with --finish: trust the signer certificate "
	    "with this\n"
	    "                    SHA-256 fingerprint (the admin's `client "
	    "approve` prints\n"
	    "                    it); a signer the source does not trust yet "
	    "needs it\n"
	    "\n"
	    "Prints the key ID on stdout.\n", ENROLL_SYNOPSIS);
}

/* The host name as a client name: its first label, if that is one. */
static int
default_name(char *buf, size_t size)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		return -1;
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	if (!cs_client_name_ok(host) || strlen(host) >= size)
		return -1;
	memcpy(buf, host, strlen(host) + 1);
	return 0;
}

static int
parse(int argc, char **argv, struct enroll_opts *o)
{
	static const struct option longopts[] = {
		{ "out",		required_argument, NULL, 'o' },
		{ "name",		required_argument, NULL, 'n' },
		{ "algorithm",		required_argument, NULL, 'a' },
		{ "finish",		required_argument, NULL, 'f' },
		{ "trust-signer",	required_argument, NULL, 't' },
		{ "certificate-source",	required_argument, NULL, 's' },
		{ "help",		no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	enum cs_p11_alg alg;
	const char *env;
	size_t len;
	int c;

	while ((c = cli_getopt(argc, argv, "o:s:h", longopts)) != -1) {
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'a':
			o->alg = optarg;
			break;
		case 'f':
			o->finish = optarg;
			break;
		case 't':
			if (o->nconfirmed == CS_ENROLL_CONFIRM_MAX)
				return cli_usage_error("enroll: at most %d "
				    "--trust-signer", CS_ENROLL_CONFIRM_MAX);
			if (cs_enroll_fingerprint_parse(optarg,
			    o->confirmed[o->nconfirmed]) != 0)
				return cli_usage_error("enroll: --trust-signer "
				    "'%s' is not a SHA-256 fingerprint (64 hex "
				    "digits, as `certseal-admin client "
				    "approve` prints it)", optarg);
			o->nconfirmed++;
			break;
		case 's':
			client_global_option(c, optarg);
			break;
		case 'h':
			enroll_help();
			exit(CLI_EXIT_OK);
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("enroll: bad option");
		}
	}
	if (argc != optind)
		return cli_usage_error("usage: certseal %s", ENROLL_SYNOPSIS);
	if (client_opts.nsources > 1)
		return cli_usage_error("enroll: one source only (-s URI): the "
		    "key is made in one place");
	o->source = client_opts.nsources == 1 ? client_opts.sources[0] :
	    CS_DEFAULT_SOURCE;
	/* As for every command: CERTSEAL_CERTIFICATE_SOURCE without -s. */
	if (client_opts.nsources == 0 && (env = getenv(
	    "CERTSEAL_CERTIFICATE_SOURCE")) != NULL) {
		env += strspn(env, " \t\n");
		len = strcspn(env, " \t\n");
		if (env[len + strspn(env + len, " \t\n")] != '\0')
			return cli_usage_error("enroll: "
			    "CERTSEAL_CERTIFICATE_SOURCE names several sources: "
			    "give the one to enrol with -s URI");
		if (len > 0) {
			if ((o->env_source = strndup(env, len)) == NULL)
				return cli_usage_error("enroll: out of memory");
			o->source = o->env_source;
		}
	}
	if (o->finish != NULL) {
		if (o->out != NULL || o->name != NULL || o->alg != NULL)
			return cli_usage_error("enroll --finish takes only the "
			    "certificate file, -s and --trust-signer");
		return 0;
	}
	if (o->nconfirmed > 0)
		return cli_usage_error("enroll: --trust-signer goes with "
		    "--finish");
	if (o->out == NULL || *o->out == '\0')
		return cli_usage_error("enroll: --out DIR is required");
	/* -o is standard output elsewhere: here it names a directory. */
	if (strcmp(o->out, "-") == 0)
		return cli_usage_error("enroll: --out takes the requests "
		    "directory, and '-' is none");
	if (o->alg != NULL && cs_p11_alg_parse(o->alg, &alg) != 0)
		return cli_usage_error("enroll: unknown algorithm '%s': use "
		    "rsa-3072, rsa-4096, ec-p256 or ec-p384", o->alg);
	if (o->name != NULL) {
		if (!cs_client_name_ok(o->name))
			return cli_usage_error("enroll: --name must be 1 to %d "
			    "of A-Z a-z 0-9 . _ - (not starting with . or -)",
			    CS_CLIENT_NAME_MAX);
		snprintf(o->host, sizeof(o->host), "%s", o->name);
	} else if (default_name(o->host, sizeof(o->host)) != 0)
		return cli_usage_error("enroll: the host name is not a client "
		    "name (A-Z a-z 0-9 . _ -): give --name");
	return 0;
}

static int
is_pkcs11(const char *uri)
{
	return strncmp(uri, "pkcs11:", 7) == 0;
}

/* ---- the key on a token ---- */

/* The token uri names, logged in with the PIN uri gives (or a prompt). */
static int
token_login(certseal_ctx *ctx, const struct cs_p11_uri *uri,
    struct client_key *k)
{
	int r;

	if ((r = cs_p11_token_open(ctx, uri, &k->tok)) != 0 ||
	    (r = cs_p11_token_login(ctx, k->tok, cs_p11_uri_pin_source(uri),
	    cs_p11_uri_pin_value(uri))) != 0)
		return r;
	return 0;
}

/* token_login for the URI text of -s (k keeps the parsed URI). */
static int
token_open(certseal_ctx *ctx, const char *uri, struct client_key *k)
{
	int r;

	if ((r = cs_p11_uri_parse(ctx, uri, &k->uri)) != 0)
		return r;
	return token_login(ctx, k->uri, k);
}

/*
 * The token's enrolled key (label CS_ENROLL_LABEL), checked: never
 * extractable, sensitive, CKA_ID = its key ID.  CERTSEAL_E_NOT_FOUND when
 * there is none.
 */
static int
token_find_key(certseal_ctx *ctx, struct client_key *k)
{
	struct cs_p11_object *objs = NULL;
	uint8_t id[CS_KEY_ID_LEN];
	size_t n = 0;
	int r, xtr = 1, sens = 0;

	if ((r = cs_p11_find(ctx, k->tok, CKO_PRIVATE_KEY, NULL, 0,
	    CS_ENROLL_LABEL, &objs, &n)) != 0)
		goto out;
	if (n == 0) {
		r = CERTSEAL_E_NOT_FOUND;
		goto out;
	}
	if (n > 1) {
		r = cs_error(ctx, CERTSEAL_E_STATE, "token '%s' holds %zu "
		    "keys labelled '%s': remove all but the enrolled one",
		    cs_p11_token_label(k->tok), n, CS_ENROLL_LABEL);
		goto out;
	}
	if ((r = cs_p11_get_bool(ctx, k->tok, objs[0].handle,
	    CKA_EXTRACTABLE, &xtr)) != 0 ||
	    (r = cs_p11_get_bool(ctx, k->tok, objs[0].handle,
	    CKA_SENSITIVE, &sens)) != 0)
		goto out;
	if (xtr || !sens) {
		r = cs_error(ctx, CERTSEAL_E_POLICY, "token '%s': the key "
		    "labelled '%s' is extractable or not sensitive, so it is "
		    "not an enrolled key; remove it", cs_p11_token_label(k->tok),
		    CS_ENROLL_LABEL);
		goto out;
	}
	if ((r = cs_p11_key_pkey(ctx, k->tok, &objs[0], NULL,
	    &k->pkey)) != 0)
		goto out;
	if (cs_key_id(k->pkey, id) != 0 || objs[0].idlen != sizeof(id) ||
	    memcmp(objs[0].id, id, sizeof(id)) != 0) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "token '%s': the key "
		    "labelled '%s' has a CKA_ID that is not its key ID",
		    cs_p11_token_label(k->tok), CS_ENROLL_LABEL);
		goto out;
	}
	r = 0; /* success */
 out:
	free(objs);
	return r;
}

static int
token_key(certseal_ctx *ctx, const struct enroll_opts *o,
    struct client_key *k)
{
	enum cs_p11_alg alg;
	const char *have;
	int r;

	if ((r = token_open(ctx, o->source, k)) != 0)
		return r;
	r = token_find_key(ctx, k);
	if (r == 0) {
		have = cs_key_algorithm(k->pkey);
		if (o->alg != NULL && (have == NULL ||
		    strcmp(o->alg, have) != 0))
			return cs_error(ctx, CERTSEAL_E_USAGE, "token '%s' is "
			    "enrolled with a %s key, not %s; it is kept",
			    cs_p11_token_label(k->tok), have ? have : "?",
			    o->alg);
		return 0;
	}
	if (r != CERTSEAL_E_NOT_FOUND)
		return r;
	cs_error_clear(ctx);
	if (o->alg != NULL)
		(void)cs_p11_alg_parse(o->alg, &alg);
	else if (cs_p11_can_generate(k->tok, CS_P11_RSA3072))
		alg = CS_P11_RSA3072;
	else if (cs_p11_can_generate(k->tok, CS_P11_EC_P256))
		alg = CS_P11_EC_P256;
	else
		return cs_error(ctx, CERTSEAL_E_UNSUPPORTED, "token '%s' can "
		    "generate neither RSA-3072 nor EC P-256 key pairs",
		    cs_p11_token_label(k->tok));
	if ((r = cs_p11_keygen_client(ctx, k->tok, alg, CS_ENROLL_LABEL,
	    &k->pkey)) != 0)
		return r;
	k->created = 1;
	return 0;
}

/* ---- the request ---- */

/* 1 when path already holds a valid request for this key and name. */
static int
request_present(certseal_ctx *ctx, const char *path, EVP_PKEY *pkey,
    const char *name)
{
	X509_REQ *req = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	char *cn = NULL;
	int same = 0;

	if (cs_read_file(NULL, path, CS_REQUEST_MAX, &data, &len) == 0 &&
	    cs_enroll_request_parse(NULL, data, len, path, &req) == 0 &&
	    EVP_PKEY_eq(X509_REQ_get0_pubkey(req), pkey) != 0 &&
	    (cn = cs_name_cn(X509_REQ_get_subject_name(req),
	    SIZE_MAX)) != NULL && strcmp(cn, name) == 0)
		same = 1;
	(void)ctx;
	free(cn);
	X509_REQ_free(req);
	free(data);
	return same;
}

static int
enroll(certseal_ctx *ctx, const struct enroll_opts *o)
{
	struct client_key k;
	char keyid[CS_KEY_ID_HEX + 1], fp[CS_KEY_FP_HEX + 1];
	char *path = NULL, *csr = NULL;
	size_t len = 0;
	int r, present, code;

	memset(&k, 0, sizeof(k));
	if (is_pkcs11(o->source))
		r = token_key(ctx, o, &k);
	else if ((r = cs_store_spec_parse(ctx, o->source, k.loc,
	    k.store)) == 0)
		r = cs_store_enroll_key(ctx, k.loc, k.store, o->alg, &k.pkey,
		    &k.created);
	if (r != 0) {
		code = cli_fail(ctx, r, "enroll: %s", o->source);
		goto out;
	}
	if (cs_key_id_hex(k.pkey, keyid) != 0 ||
	    cs_key_fingerprint(k.pkey, fp) != 0) {
		code = cli_fail(ctx, CERTSEAL_E_INTERNAL, "enroll: cannot "
		    "compute the key ID");
		goto out;
	}
	if (asprintf(&path, "%s/%s.csr", o->out, o->host) < 0) {
		path = NULL;
		code = cli_fail(ctx, CERTSEAL_E_NOMEM, "enroll");
		goto out;
	}
	present = request_present(ctx, path, k.pkey, o->host);
	if (!present) {
		if ((r = cs_enroll_request(ctx, k.pkey, o->host, &csr,
		    &len)) != 0 || (r = cs_mkdir_p(ctx, o->out, 0755)) != 0 ||
		    (r = cs_atomic_write(ctx, path, csr, len, 0644)) != 0) {
			code = cli_fail(ctx, r, "enroll: %s", path);
			goto out;
		}
	}
	printf("%s\n", keyid);
	cli_info("%s %s key %s in %s", k.created ? "new" : "existing",
	    cs_key_algorithm(k.pkey), keyid, o->source);
	cli_info("key fingerprint SHA256:%s (the admin sees it at approval)",
	    fp);
	cli_info("request %s %s", path, present ? "already present" :
	    "written");
	code = CLI_EXIT_OK;
 out:
	free(csr);
	free(path);
	client_key_release(&k);
	return code;
}

/* ---- finish ---- */

/* Stores cert on the token unless an identical one is there already. */
static int
token_store_cert(certseal_ctx *ctx, struct cs_p11_token *tok, X509 *cert,
    const char *label, const char **what)
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);
	STACK_OF(X509) *have = NULL;
	int i, r;

	*what = "added";
	if (skid == NULL)
		return cs_error(ctx, CERTSEAL_E_INTEGRITY, "a signer "
		    "certificate without subjectKeyIdentifier");
	if ((r = cs_p11_certs(ctx, tok, skid->data, (size_t)skid->length,
	    NULL, &have, NULL)) != 0)
		return r;
	for (i = 0; have != NULL && i < sk_X509_num(have); i++) {
		if (X509_cmp(sk_X509_value(have, i), cert) == 0) {
			*what = "already present";
			sk_X509_pop_free(have, X509_free);
			return 0;
		}
	}
	sk_X509_pop_free(have, X509_free);
	return cs_p11_cert_store(ctx, tok, cert, skid->data,
	    (size_t)skid->length, label);
}

static int
token_finish(certseal_ctx *ctx, const struct enroll_opts *o, X509 *cert,
    STACK_OF(X509) *signers)
{
	struct client_key k;
	const char *what;
	char *subj;
	int i, r;

	memset(&k, 0, sizeof(k));
	if ((r = token_open(ctx, o->source, &k)) != 0)
		goto out;
	if ((r = token_find_key(ctx, &k)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			r = cs_error(ctx, CERTSEAL_E_NOT_FOUND, "token '%s' "
			    "has no enrolled key: run `certseal enroll` "
			    "first", cs_p11_token_label(k.tok));
		goto out;
	}
	if ((r = cs_enroll_check_bundle(ctx, k.pkey, cert, signers,
	    o->finish)) != 0)
		goto out;
	/*
	 * The certificate lands beside the key (same CKA_ID); the signers
	 * under their own SKID, where the token holds no private key: that
	 * is what makes a token certificate a trusted signer.
	 */
	if ((r = token_store_cert(ctx, k.tok, cert, CS_ENROLL_LABEL,
	    &what)) != 0)
		goto out;
	subj = cs_name_text(X509_get_subject_name(cert), 256);
	printf("token '%s': certificate %s (%s)\n", cs_p11_token_label(k.tok),
	    what, subj != NULL ? subj : "");
	free(subj);
	for (i = 0; i < sk_X509_num(signers); i++) {
		X509 *s = sk_X509_value(signers, i);

		if ((r = token_store_cert(ctx, k.tok, s, SIGNER_LABEL,
		    &what)) != 0)
			goto out;
		char fp[CS_CERT_FP_HEX + 1];

		(void)cs_cert_fingerprint(s, fp);	/* "" on failure */
		subj = cs_name_text(X509_get_subject_name(s), 256);
		printf("token '%s': trusted signer %s %s (%s)\n",
		    cs_p11_token_label(k.tok), fp, what,
		    subj != NULL ? subj : "");
		free(subj);
	}
	r = 0; /* success */
 out:
	client_key_release(&k);
	return r;
}

static int
store_finish(certseal_ctx *ctx, const struct enroll_opts *o, X509 *cert,
    STACK_OF(X509) *signers)
{
	struct cs_store_import_info *info = NULL;
	char loc[CS_STORE_LOCATION_MAX + 1], name[CS_STORE_NAME_MAX + 1];
	const char *base = strrchr(o->finish, '/');
	size_t i;
	int r;

	base = base != NULL ? base + 1 : o->finish;
	if ((r = cs_store_spec_parse(ctx, o->source, loc, name)) != 0 ||
	    (r = cs_store_enroll_finish(ctx, loc, name, cert, signers, base,
	    &info)) != 0)
		return r;
	printf("%s/%s: key %s %s (%s)\n", info->location, info->name,
	    info->key.id, cs_store_outcome_name(info->key.outcome),
	    info->key.subject != NULL ? info->key.subject : "");
	for (i = 0; i < info->nsigners; i++)
		printf("%s/%s: trusted signer %s %s (%s)\n", info->location,
		    info->name, info->signers[i].id,
		    cs_store_outcome_name(info->signers[i].outcome),
		    info->signers[i].subject != NULL ?
		    info->signers[i].subject : "");
	cs_store_import_info_free(info);
	return 0;
}

/*
 * The signers become trusted here, but never on the bundle's word alone:
 * NAME.crt comes from a directory others may write to, so each signer is
 * one the source trusts already or one the user confirmed with
 * --trust-signer (enroll-trust.c).  Nothing is written before that.
 */
static int
finish(certseal_ctx *ctx, const struct enroll_opts *o)
{
	STACK_OF(X509) *signers = NULL;
	X509 *cert = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if ((r = cs_read_file(ctx, o->finish, BUNDLE_MAX, &data,
	    &len)) != 0 ||
	    (r = cs_enroll_parse_bundle(ctx, data, len, o->finish, &cert,
	    &signers)) != 0 ||
	    (r = cs_enroll_confirm_signers(ctx, o->source, signers,
	    (const char (*)[CS_CERT_FP_HEX + 1])o->confirmed, o->nconfirmed,
	    o->finish)) != 0)
		goto out;
	if (is_pkcs11(o->source))
		r = token_finish(ctx, o, cert, signers);
	else
		r = store_finish(ctx, o, cert, signers);
 out:
	free(data);
	X509_free(cert);
	sk_X509_pop_free(signers, X509_free);
	return r == 0 ? CLI_EXIT_OK : cli_fail(ctx, r, "enroll --finish %s",
	    o->finish);
}

int
cmd_enroll(int argc, char **argv)
{
	struct enroll_opts o;
	certseal_ctx *ctx = NULL;
	int code;

	memset(&o, 0, sizeof(o));
	if ((code = parse(argc, argv, &o)) != 0) {
		free(o.env_source);
		return code;
	}
	if ((code = cli_ctx_new(&ctx)) != 0) {
		free(o.env_source);
		return cli_fail(NULL, code, "creating a context");
	}
	if (!isatty(STDIN_FILENO) && access("/dev/tty", R_OK | W_OK) != 0)
		certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_NO_PROMPT);
	code = o.finish != NULL ? finish(ctx, &o) : enroll(ctx, &o);
	certseal_ctx_free(ctx);
	free(o.env_source);
	return code;
}

/* ---- signed readiness reports ---- */

/*
 * The enrolled key of one configured source, if it has one: never made
 * here.  CERTSEAL_E_NOT_FOUND when the source is not enrolled.  The
 * source is opened as it parsed its URI, never from the URI it shows,
 * whose pin-value reads REDACTED: a token would be sent that as its PIN.
 */
static int
enrolled_key(certseal_ctx *ctx, const struct cs_source *src,
    struct client_key *k)
{
	const struct cs_p11_uri *uri;
	const char *loc, *name;
	int r;

	if ((uri = cs_source_p11_uri(src)) != NULL) {
		if ((r = token_login(ctx, uri, k)) != 0)
			return r;
		return token_find_key(ctx, k);
	}
	if (cs_source_store_name(src, &loc, &name) != 0)
		return CERTSEAL_E_NOT_FOUND;	/* file: is never enrolled */
	snprintf(k->loc, sizeof(k->loc), "%s", loc);
	snprintf(k->store, sizeof(k->store), "%s", name);
	return cs_store_enrolled_key(ctx, k->loc, k->store, &k->pkey);
}

int
enroll_sign_report(certseal_ctx *ctx, const char *path)
{
	struct client_key k;
	const struct cs_source *src = NULL;
	uint8_t *data = NULL;
	char *sig = NULL, *sigpath = NULL;
	struct cs_error_saved token_err;
	size_t i, len = 0, siglen = 0;
	int r = CERTSEAL_E_NOT_FOUND;

	memset(&k, 0, sizeof(k));
	memset(&token_err, 0, sizeof(token_err));
	for (i = 0; i < cs_ctx_source_count(ctx); i++) {
		client_key_release(&k);
		src = cs_ctx_source(ctx, i);
		if ((r = enrolled_key(ctx, src, &k)) == 0)
			break;
		/* A token that would not log in may hold the key. */
		if (token_err.err == 0 && certseal_exit_code(r) == 6) {
			cs_error_prefix(ctx, "%s", cs_source_display_uri(src));
			cs_error_save(ctx, r, &token_err);
		}
	}
	if (r != 0 && token_err.err != 0) {
		r = cs_error_restore(ctx, &token_err);
		cs_error_prefix(ctx, "the report is written but not signed");
		goto out;
	}
	if (r != 0) {
		/* Not enrolled anywhere: an unsigned report, as before. */
		cs_error_clear(ctx);
		r = CERTSEAL_E_NOT_FOUND;
		goto out;
	}
	if ((r = cs_read_file(ctx, path, CS_REQUEST_MAX * 16, &data,
	    &len)) != 0 ||
	    (r = cs_report_sign(ctx, k.pkey, data, len, &sig, &siglen)) != 0)
		goto out;
	if (asprintf(&sigpath, "%s.sig", path) < 0) {
		sigpath = NULL;
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = cs_atomic_write(ctx, sigpath, sig, siglen, 0644)) != 0)
		goto out;
	cli_info("report signed with the enrolled key of %s",
	    cs_source_display_uri(src));
	r = 0; /* success */
 out:
	free(sigpath);
	free(sig);
	free(data);
	client_key_release(&k);
	return r;
}
