/*
 * cmd-pair.c - `certseal-admin pair generate | list | export | activate |
 * retire | remove`: the life of a certificate pair (DESIGN.md section 2).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pkcs12.h>

#include "admin.h"
#include "rollout.h" /* readiness: cmd-rollout.c */

#define PAIR_SYNOPSIS \
	"pair generate [--algorithm ALG] [--label TEXT] [--days N] " \
	"[--no-export]\n" \
	"       certseal-admin pair list [--json]\n" \
	"       certseal-admin pair export ID (-o FILE.p12 [--password-file F]" \
	" [--iterations N] [--legacy] [--force] | --to PKCS11-URI)\n" \
	"       certseal-admin pair activate ID [--expect N] [--hosts FILE] " \
	"[--force]\n" \
	"       certseal-admin pair retire ID [--force] | pair remove ID [--yes]"

/* Where a PKCS#12 may go: never a terminal, never over a file silently. */
#define P12_NOT_ON_TTY	"the PKCS#12 file holds the client's private key"

/*
 * PBKDF2 iterations of an export (key bag, certificate bag, MAC).  The
 * bundle holds the fleet's decryption key and may be copied anywhere, so
 * its password is guessed offline: OpenSSL's default of 2048 is far too
 * cheap.  A client opening a file: bundle pays it at each start (about
 * 0.05 s here; an imported store entry pays nothing); the admin chooses
 * with --iterations, within what every certseal reader accepts.
 */
#define P12_ITER_DEFAULT	100000L
#define P12_ITER_MIN		10000L
#define P12_ITER_MAX		1000000L

static const struct option pair_longopts[] = {
	{ "algorithm",		required_argument, NULL, 'a' },
	{ "label",		required_argument, NULL, 'l' },
	{ "days",		required_argument, NULL, 'd' },
	{ "json",		no_argument,	NULL, 'j' },
	{ "output",		required_argument, NULL, 'o' },
	{ "password-file",	required_argument, NULL, 'p' },
	{ "legacy",		no_argument,	NULL, 'L' },
	{ "iterations",		required_argument, NULL, 'i' },
	{ "to",			required_argument, NULL, 't' },
	{ "force",		no_argument,	NULL, 'f' },
	{ "no-export",		no_argument,	NULL, 'N' },
	{ "yes",		no_argument,	NULL, 'y' },
	{ "expect",		required_argument, NULL, 'e' },
	{ "hosts",		required_argument, NULL, 'H' },
	{ "help",		no_argument,	NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct pair_options {
	const char	*algorithm, *label, *output, *password_file, *to;
	long		 days, iterations;
	int		 json, legacy, force, no_export, yes;
};

/* A pair's time, or "-" for none. */
static void
time_text(time_t t, char *buf, size_t size)
{
	if (t == 0 || cs_time_text(t, buf, size) != 0)
		snprintf(buf, size, "-");
}

/* The pair named by argv[optind], or an error printed. */
static int
find_pair(struct admin *a, const char *id, struct pair **out)
{
	*out = profile_find_pair(a->profile, id);
	if (*out == NULL)
		return cli_fail(a->ctx, CERTSEAL_E_NOT_FOUND, "pair %s: no "
		    "such pair in %s (or the prefix is ambiguous); see "
		    "`certseal-admin pair list`", id, a->profile->path);
	return 0;
}

static int
pair_generate_cmd(const struct pair_options *o)
{
	struct admin a;
	struct pair pair;
	enum cs_p11_alg alg;
	char id[PAIR_ID_LEN + 1];
	int r, code;

	memset(&pair, 0, sizeof(pair));
	if (o->days < 1 || o->days > 36500)
		return cli_usage_error("pair generate: --days must be 1 to "
		    "36500");
	/* It is a column of `pair list` and the keys' CKA_LABEL. */
	if (!cli_one_line(o->label))
		return cli_usage_error("pair generate: --label must be one "
		    "line, without control characters");
	if ((code = admin_open(&a, ADMIN_LOCK | ADMIN_TOKEN)) != 0)
		goto out;
	/*
	 * Up front, from the token's mechanisms: a token that cannot make
	 * this key or export it (a TPM) is said so before anything is made.
	 */
	if (cs_p11_alg_parse(o->algorithm, &alg) == 0 &&
	    (r = cs_p11_require_keygen(a.ctx, a.tok, alg, 1)) != 0) {
		code = cli_fail(a.ctx, r, "pair generate");
		goto out;
	}
	/* RSA-4096 on a smartcard takes a minute: say what is going on. */
	if (isatty(STDERR_FILENO))
		cli_info("generating two %s key pairs on token '%s'; this "
		    "can take a while...",
		    o->algorithm, cs_p11_token_label(a.tok));
	if ((r = pair_generate(&a, o->algorithm, o->label, (int)o->days,
	    o->no_export, &pair)) != 0) {
		code = cli_fail(a.ctx, r, "pair generate");
		goto out;
	}
	if ((r = profile_add_pair(a.ctx, a.profile, &pair)) != 0) {
		code = cli_fail(a.ctx, r, "pair generate");
		goto out;
	}
	snprintf(id, sizeof(id), "%s", pair.id);
	memset(&pair, 0, sizeof(pair));	/* owned by the profile now */
	if ((r = profile_save(a.ctx, a.profile)) != 0) {
		code = cli_fail(a.ctx, r, "pair generate");
		goto out;
	}
	/* The signing key exists nowhere else: copy the token now. */
	(void)admin_token_changed(&a);
	/* Only once the profile holds it: a failure prints nothing. */
	printf("%s\n", id);
	code = CLI_EXIT_OK;
 out:
	pair_release(&pair);
	admin_close(&a);
	return code;
}

static json_t *
pair_json(const struct pair *p)
{
	char nb[32], na[32];

	time_text(p->not_before, nb, sizeof(nb));
	time_text(p->not_after, na, sizeof(na));
	return json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:s, s:s, s:s?, s:s?, "
	    "s:s, s:s, s:b}", "id", p->id, "label", p->label, "algorithm",
	    p->algorithm, "state", pair_state_name(p->state), "oaep_hash",
	    p->oaep_hash, "encryption_key_id", p->enc_key_id,
	    "signing_key_id", p->sign_key_id, "encryption_fingerprint",
	    p->enc_fingerprint, "signing_fingerprint", p->sign_fingerprint,
	    "not_before", nb, "not_after", na, "exportable", !p->no_export);
}

static int
pair_list_cmd(const struct pair_options *o)
{
	struct admin a;
	json_t *list = NULL, *item;
	char na[32];
	size_t i;
	int code;

	if ((code = admin_open(&a, 0)) != 0)
		goto out;
	if (o->json) {
		if ((list = json_array()) == NULL) {
			code = cli_fail(a.ctx, CERTSEAL_E_NOMEM, "pair list");
			goto out;
		}
		for (i = 0; i < a.profile->npairs; i++) {
			if ((item = pair_json(&a.profile->pairs[i])) == NULL ||
			    json_array_append_new(list, item) != 0) {
				code = cli_fail(a.ctx, CERTSEAL_E_NOMEM,
				    "pair list");
				goto out;
			}
		}
		code = cli_print_json_list("pairs", list) == 0 ? CLI_EXIT_OK :
		    CLI_EXIT_OTHER;
		goto out;
	}
	printf("%-12s  %-8s  %-9s  %-20s  %s\n", "ID", "STATE", "ALGORITHM",
	    "NOT AFTER", "LABEL");
	for (i = 0; i < a.profile->npairs; i++) {
		const struct pair *p = &a.profile->pairs[i];

		time_text(p->not_after, na, sizeof(na));
		printf("%-12s  %-8s  %-9s  %-20s  %s\n", p->id,
		    pair_state_name(p->state), p->algorithm, na,
		    cli_printable(p->label));
	}
	code = CLI_EXIT_OK;
 out:
	json_decref(list);
	admin_close(&a);
	return code;
}

/*
 * The export password: --password-file, CERTSEAL_PIN, or asked twice on
 * the terminal.  Never empty.
 */
static int
export_password(struct admin *a, const char *file, const char *target,
    struct cs_secret **out)
{
	struct cs_secret *first = NULL, *again = NULL;
	char what[512];
	int r;

	*out = NULL;
	snprintf(what, sizeof(what), "Password for %s", target);
	if ((r = cs_pin_get(a->ctx, file, NULL, what, &first)) != 0)
		goto out;
	if (file == NULL && getenv("CERTSEAL_PIN") == NULL) {
		snprintf(what, sizeof(what), "Password for %s (again)",
		    target);
		if ((r = cs_pin_get(a->ctx, NULL, NULL, what, &again)) != 0)
			goto out;
		if (again->len != first->len || CRYPTO_memcmp(again->data,
		    first->data, first->len) != 0) {
			r = cs_error(a->ctx, CERTSEAL_E_USAGE, "the two "
			    "passwords differ; nothing was written");
			goto out;
		}
	}
	if (first->len == 0) {
		r = cs_error(a->ctx, CERTSEAL_E_USAGE, "an empty password "
		    "would leave the client key unprotected; choose one");
		goto out;
	}
	*out = first;
	first = NULL;
	r = 0; /* success */
 out:
	cs_secret_free(first);
	cs_secret_free(again);
	return r;
}

/* Writes key, its certificate and the signer certificate as PKCS#12. */
static int
write_p12(struct admin *a, const struct pair *pair, EVP_PKEY *key,
    X509 *enc, X509 *sign, const struct pair_options *o)
{
	STACK_OF(X509) *ca = NULL;
	struct cs_secret *pass = NULL;
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL, *p;
	char name[64];
	int r, len, nid = 0;

	if ((r = export_password(a, o->password_file, o->output,
	    &pass)) != 0)
		goto out;
	if ((ca = sk_X509_new_null()) == NULL || !sk_X509_push(ca, sign)) {
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "certseal pair %s", pair->id);
	/*
	 * Default: PBES2/PBKDF2/AES-256-CBC with a SHA-256 MAC.  --legacy:
	 * 3DES and a SHA-1 MAC, for old Windows clients.
	 */
	if (o->legacy)
		nid = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
	p12 = PKCS12_create((const char *)pass->data, name, key, enc, ca,
	    nid, nid, (int)o->iterations, o->legacy ? -1 : (int)o->iterations,
	    0);
	if (p12 != NULL && o->legacy && PKCS12_set_mac(p12,
	    (const char *)pass->data, -1, NULL, 0, (int)o->iterations,
	    EVP_sha1()) != 1) {
		PKCS12_free(p12);
		p12 = NULL;
	}
	if (p12 == NULL || (len = i2d_PKCS12(p12, NULL)) <= 0 ||
	    (der = malloc((size_t)len)) == NULL) {
		r = cs_error(a->ctx, CERTSEAL_E_INTERNAL, "building the "
		    "PKCS#12 bundle");
		goto out;
	}
	p = der;
	i2d_PKCS12(p12, &p);
	r = cli_write_output_ex(a->ctx, o->output, der, (size_t)len, 0600,
	    CLI_OUT_NOTTY | (o->force ? 0 : CLI_OUT_NOCLOBBER), P12_NOT_ON_TTY);
	if (der != NULL)
		OPENSSL_cleanse(der, (size_t)len);
 out:
	free(der);
	PKCS12_free(p12);
	sk_X509_free(ca);
	cs_secret_free(pass);
	return r;
}

/* Unwraps the key inside the client token, with both certificates. */
static int
export_to_token(struct admin *a, const struct pair *pair, EVP_PKEY *key,
    X509 *enc, X509 *sign, const char *uri_text, int *present)
{
	struct cs_p11_uri *uri = NULL;
	struct cs_p11_token *tok = NULL;
	STACK_OF(X509) *signers = NULL;
	char label[128];
	int r;

	snprintf(label, sizeof(label), "certseal %s", pair->id);
	if ((signers = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(signers, sign)) {
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = cs_p11_uri_parse(a->ctx, uri_text, &uri)) != 0 ||
	    (r = cs_p11_token_open(a->ctx, uri, &tok)) != 0 ||
	    (r = cs_p11_token_login(a->ctx, tok, cs_p11_uri_pin_source(uri),
	    cs_p11_uri_pin_value(uri))) != 0)
		goto out;
	/* The signer certificate travels along: it is whom the client trusts. */
	r = cs_p11_import_key(a->ctx, tok, key, enc, signers, label, 0,
	    present);
 out:
	sk_X509_free(signers);
	cs_p11_token_unref(tok);
	cs_p11_uri_free(uri);
	return r;
}

static int
pair_export_cmd(const struct pair_options *o, const char *id)
{
	struct admin a;
	struct pair *pair;
	EVP_PKEY *key = NULL;
	X509 *enc = NULL, *sign = NULL;
	uint8_t kid[CS_P11_ID_MAX];
	int r, code, kidlen, present = 0;

	if ((o->output == NULL) == (o->to == NULL))
		return cli_usage_error("pair export: give either -o FILE.p12 "
		    "or --to PKCS11-URI");
	if ((code = admin_open(&a, ADMIN_TOKEN)) != 0)
		goto out;
	if ((code = find_pair(&a, id, &pair)) != 0)
		goto out;
	if (pair->state == PAIR_RETIRED) {
		code = cli_fail(a.ctx, CERTSEAL_E_STATE, "pair %s is retired; "
		    "export the active or a pending pair", pair->id);
		goto out;
	}
	if (pair->no_export) {
		code = cli_fail(a.ctx, CERTSEAL_E_POLICY, "pair %s was "
		    "generated with --no-export: its decryption key never "
		    "leaves the token; give clients their own keys with "
		    "`certseal enroll` and `certseal-admin client approve`",
		    pair->id);
		goto out;
	}
	if ((r = admin_check_output(&a, o->output)) != 0 ||
	    (r = cli_password_file_check(a.ctx, o->password_file)) != 0 ||
	    (o->output != NULL && (r = cli_check_output(a.ctx, o->output,
	    CLI_OUT_NOTTY | (o->force ? 0 : CLI_OUT_NOCLOBBER),
	    P12_NOT_ON_TTY)) != 0) ||
	    (o->to != NULL && (r = admin_softhsm_conflict(&a, o->to,
	    "pair export --to")) != 0)) {
		code = cli_fail(a.ctx, r, "pair export");
		goto out;
	}
	kidlen = cs_hex_decode(pair->enc_key_id, kid, sizeof(kid));
	if ((r = pair_certs(&a, pair, &enc, &sign)) != 0 ||
	    (r = cs_p11_export_key(a.ctx, a.tok, kid, (size_t)kidlen,
	    &key)) != 0) {
		code = cli_fail(a.ctx, r, "pair export %s", pair->id);
		goto out;
	}
	if (o->output != NULL)
		r = write_p12(&a, pair, key, enc, sign, o);
	else
		r = export_to_token(&a, pair, key, enc, sign, o->to, &present);
	if (r != 0) {
		code = cli_fail(a.ctx, r, "pair export %s", pair->id);
		goto out;
	}
	if (present)
		cli_info("pair %s: the client token holds its key already; "
		    "nothing written", pair->id);
	else
		cli_info("pair %s exported to %s", pair->id,
		    o->output != NULL ? cli_output_name(o->output) :
		    "the client token");
	code = CLI_EXIT_OK;
 out:
	EVP_PKEY_free(key);
	X509_free(enc);
	X509_free(sign);
	admin_close(&a);
	return code;
}

/*
 * The pair's keys and certificates are on the admin token (a retired
 * pair's may have been deleted outside certseal-admin).  Opens a session
 * of its own: activate does not otherwise need the token.
 */
static int
keys_on_token(struct admin *a, const struct pair *pair)
{
	EVP_PKEY *pkey = NULL;
	X509 *enc = NULL, *sign = NULL, *scert = NULL;
	int r, code, due;

	if (a->tok == NULL) {
		admin_use_softhsm_conf(a->profile->softhsm_conf);
		if ((r = token_backup_check(a->ctx, a->profile, &due)) != 0)
			return cli_fail(a->ctx, r, "embedded token");
		if ((r = cs_p11_uri_parse(a->ctx, a->profile->token_uri,
		    &a->uri)) != 0 ||
		    (r = cs_p11_token_open(a->ctx, a->uri, &a->tok)) != 0 ||
		    (r = cs_p11_token_login(a->ctx, a->tok,
		    cs_p11_uri_pin_source(a->uri),
		    cs_p11_uri_pin_value(a->uri))) != 0)
			return cli_fail(a->ctx, r, "admin token");
	}
	if ((r = pair_certs(a, pair, &enc, &sign)) != 0 ||
	    (r = pair_signing_key(a, pair, &pkey, &scert)) != 0)
		code = cli_fail(a->ctx, r, "pair %s is retired and its keys "
		    "are not all on the token any more; generate a new pair",
		    pair->id);
	else
		code = 0;
	EVP_PKEY_free(pkey);
	X509_free(enc);
	X509_free(sign);
	X509_free(scert);
	return code;
}

static int
pair_activate_cmd(const struct pair_options *o, const char *id)
{
	struct admin a;
	struct pair *pair, *old;
	char *summary = NULL;
	int r, code, ready = 0;

	/* The token: the previous signing key certifies the next one. */
	if ((code = admin_open(&a, ADMIN_LOCK | ADMIN_TOKEN)) != 0)
		goto out;
	if ((code = find_pair(&a, id, &pair)) != 0)
		goto out;
	if (pair->state == PAIR_ACTIVE) {
		cli_info("pair %s is already active",
		    pair->id);
		code = CLI_EXIT_OK;
		goto out;
	}
	/*
	 * The way back from a retirement: a retired pair whose keys are
	 * still on the token becomes active again (clients that removed its
	 * key are not ready, as for a pending pair).
	 */
	if (pair->state == PAIR_RETIRED &&
	    (code = keys_on_token(&a, pair)) != 0)
		goto out;
	if (pair->not_after != 0 && pair->not_after < time(NULL)) {
		code = cli_fail(a.ctx, CERTSEAL_E_EXPIRED, "pair %s expired; "
		    "generate a new pair", pair->id);
		goto out;
	}
	if ((r = rollout_check_ready(&a, pair, &ready, &summary)) != 0) {
		code = cli_fail(a.ctx, r, "pair activate %s", pair->id);
		goto out;
	}
	if (!ready && !o->force) {
		code = cli_fail(a.ctx, CERTSEAL_E_POLICY, "pair %s: clients "
		    "are not ready (%s); wait for them, or use --force",
		    pair->id, summary != NULL ? summary : "see rollout status");
		goto out;
	}
	if (!ready)
		cli_warn("activating pair %s although clients are not ready "
		    "(%s)", pair->id, summary != NULL ? summary : "");
	/*
	 * Enrolled clients never get a pair export: they follow the exchange
	 * through this cross-certificate (DESIGN.md section 8).
	 */
	if ((old = profile_active_pair(a.profile)) != NULL &&
	    (r = pair_cross_certify(&a, old, pair)) != 0) {
		code = cli_fail(a.ctx, r, "pair activate %s", pair->id);
		goto out;
	}
	if (old != NULL) {
		old->state = PAIR_RETIRED;
		old->retired = time(NULL);
	}
	pair->state = PAIR_ACTIVE;
	pair->activated = time(NULL);
	pair->retired = 0;
	if ((r = profile_save(a.ctx, a.profile)) != 0) {
		code = cli_fail(a.ctx, r, "pair activate");
		goto out;
	}
	cli_info("pair %s is active%s%s; run `certseal-admin save` to seal "
	    "the configuration to it", pair->id, old != NULL ?
	    ", retired " : "", old != NULL ? old->id : "");
	code = CLI_EXIT_OK;
 out:
	free(summary);
	admin_close(&a);
	return code;
}

static int
pair_retire_cmd(const struct pair_options *o, const char *id)
{
	struct admin a;
	struct pair *pair;
	int r, code;

	if ((code = admin_open(&a, ADMIN_LOCK)) != 0)
		goto out;
	if ((code = find_pair(&a, id, &pair)) != 0)
		goto out;
	if (pair->state == PAIR_RETIRED) {
		code = CLI_EXIT_OK;
		goto out;
	}
	/* Without an active pair nothing can be saved: not by accident. */
	if (pair->state == PAIR_ACTIVE && !o->force) {
		code = cli_fail(a.ctx, CERTSEAL_E_STATE, "pair %s is the "
		    "active pair, and `save` needs one: activate another "
		    "pair (which retires this one), or use --force (`pair "
		    "activate %s` brings it back while its keys are on the "
		    "token)", pair->id, pair->id);
		goto out;
	}
	if (pair->state == PAIR_ACTIVE)
		cli_warn("pair %s was active; nothing can be saved until a "
		    "pair is activated (`pair activate %s` brings it back)",
		    pair->id, pair->id);
	pair->state = PAIR_RETIRED;
	pair->retired = time(NULL);
	if ((r = profile_save(a.ctx, a.profile)) != 0) {
		code = cli_fail(a.ctx, r, "pair retire");
		goto out;
	}
	code = CLI_EXIT_OK;
 out:
	admin_close(&a);
	return code;
}

static int
pair_remove_cmd(const struct pair_options *o, const char *id)
{
	char question[256];
	struct admin a;
	struct pair *pair;
	int r, code;

	if ((code = admin_open(&a, ADMIN_LOCK | ADMIN_TOKEN)) != 0)
		goto out;
	if ((code = find_pair(&a, id, &pair)) != 0)
		goto out;
	if (pair->state != PAIR_RETIRED) {
		code = cli_fail(a.ctx, CERTSEAL_E_STATE, "pair %s is %s; "
		    "retire it first (files sealed to it can no longer be "
		    "opened by the admin afterwards)", pair->id,
		    pair_state_name(pair->state));
		goto out;
	}
	snprintf(question, sizeof(question), "delete pair %s's keys from "
	    "the token for good", pair->id);
	if (!cli_confirm(a.ctx, o->yes, question)) {
		code = cli_fail(a.ctx, CERTSEAL_E_USAGE, "pair remove %s",
		    pair->id);
		goto out;
	}
	if ((r = pair_delete(&a, pair)) != 0) {
		code = cli_fail(a.ctx, r, "pair remove %s", pair->id);
		goto out;
	}
	profile_remove_pair(a.profile, pair);
	if ((r = profile_save(a.ctx, a.profile)) != 0) {
		code = cli_fail(a.ctx, r, "pair remove");
		goto out;
	}
	/* Else a restore from the old copy would bring the keys back. */
	(void)admin_token_changed(&a);
	code = CLI_EXIT_OK;
 out:
	admin_close(&a);
	return code;
}

int
cmd_pair(int argc, char **argv)
{
	struct pair_options o;
	const char *verb;
	char *end;
	int c;

	memset(&o, 0, sizeof(o));
	o.algorithm = "rsa-3072";
	o.label = "certseal";
	o.days = 730;
	o.iterations = P12_ITER_DEFAULT;
	/* A missing verb is a usage error: on stderr, like any other. */
	if (argc < 2)
		return cli_usage_error("usage: certseal-admin %s",
		    PAIR_SYNOPSIS);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: certseal-admin %s\n", PAIR_SYNOPSIS);
		return CLI_EXIT_OK;
	}
	verb = argv[1];
	argc--;
	argv++;
	while ((c = cli_getopt(argc, argv, "o:yh", pair_longopts)) != -1) {
		switch (c) {
		case 'a': o.algorithm = optarg; break;
		case 'l': o.label = optarg; break;
		case 'd':
			o.days = strtol(optarg, &end, 10);
			if (*end != '\0')
				o.days = -1;
			break;
		case 'j': o.json = 1; break;
		case 'o': o.output = optarg; break;
		case 'p': o.password_file = optarg; break;
		case 'L': o.legacy = 1; break;
		case 'i':
			o.iterations = strtol(optarg, &end, 10);
			if (*end != '\0' || o.iterations < P12_ITER_MIN ||
			    o.iterations > P12_ITER_MAX)
				return cli_usage_error("pair export: "
				    "--iterations must be %ld to %ld",
				    P12_ITER_MIN, P12_ITER_MAX);
			break;
		case 't': o.to = optarg; break;
		case 'f': o.force = 1; break;
		case 'N': o.no_export = 1; break;
		case 'y': o.yes = 1; break;
		case 'e':
		case 'H':
			/* The fleet inventory, as for rollout status. */
			if ((c = rollout_fleet_option(c == 'e' ? "expect" :
			    "hosts", optarg)) != 0)
				return c;
			break;
		case 'h':
			printf("usage: certseal-admin %s\n", PAIR_SYNOPSIS);
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("pair %s: bad option", verb);
		}
	}
	if (strcmp(verb, "generate") == 0 && optind == argc)
		return pair_generate_cmd(&o);
	if (strcmp(verb, "list") == 0 && optind == argc)
		return pair_list_cmd(&o);
	if (optind != argc - 1)
		return cli_usage_error("usage: certseal-admin %s",
		    PAIR_SYNOPSIS);
	if (strcmp(verb, "export") == 0)
		return pair_export_cmd(&o, argv[optind]);
	if (strcmp(verb, "activate") == 0)
		return pair_activate_cmd(&o, argv[optind]);
	if (strcmp(verb, "retire") == 0)
		return pair_retire_cmd(&o, argv[optind]);
	if (strcmp(verb, "remove") == 0)
		return pair_remove_cmd(&o, argv[optind]);
	return cli_usage_error("pair: unknown verb '%s'", verb);
}
