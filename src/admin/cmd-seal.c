/*
 * cmd-seal.c - `certseal-admin seal`: seal a file offline to recipient
 * certificates, signed by a key from a CertificateSource, with no profile.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/pem.h>

#include "admin.h"
#include "envelope.h"
#include "source.h"

#define SEAL_SYNOPSIS "seal --recipient CERT... --signer URI " \
	"[--oaep-hash sha1|sha256|sha384|sha512] [--name NAME] " \
	"[--sequence N] [--der|--pem] [-o OUT] [IN|-]"

/* Certificates are small; a bigger file is not a certificate. */
#define CERT_FILE_MAX	(1024 * 1024)

/* Reads one certificate, PEM or DER. */
static int
load_cert(certseal_ctx *ctx, const char *path, X509 **out)
{
	const unsigned char *p;
	uint8_t *data = NULL;
	size_t len;
	BIO *bio = NULL;
	X509 *cert = NULL;
	int r;

	*out = NULL;
	if ((r = cs_read_file(ctx, path, CERT_FILE_MAX, &data, &len)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		p = data;
		cert = d2i_X509(NULL, &p, (long)len);
	}
	if (cert == NULL) {
		r = cs_error(ctx, CERTSEAL_E_USAGE, "%s: not a PEM or DER "
		    "certificate", path);
		goto out;
	}
	*out = cert;
	cert = NULL;
	r = 0; /* success */
 out:
	X509_free(cert);
	BIO_free(bio);
	free(data);
	return r;
}

static const EVP_MD *
oaep_md_by_name(const char *name)
{
	static const char *const allowed[] = {
		"sha1", "sha256", "sha384", "sha512"
	};
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcasecmp(name, allowed[i]) == 0)
			return EVP_get_digestbyname(allowed[i]);
	return NULL;
}

static int
parse_sequence(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * seal needs no profile, but when there is one its files are not an
 * output either (as for every -o of certseal-admin).
 */
static int
check_profile_output(certseal_ctx *ctx, const char *out)
{
	struct admin a;
	char *path;
	int r, code = 0;

	if (out == NULL || strcmp(out, "-") == 0 ||
	    (path = profile_default_path(admin_profile_option)) == NULL)
		return 0;
	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	if (profile_load(ctx, path, 0, &a.profile) == 0 &&
	    (r = admin_check_output(&a, out)) != 0)
		code = cli_fail(ctx, r, "seal");
	cs_error_clear(ctx);
	profile_free(a.profile);
	free(path);
	return code;
}

/* What `seal` was asked to do (the strings are argv's). */
struct seal_args {
	char		**recip_paths;	/* nrecip of them */
	char		**signer_uris;	/* nsign of them */
	size_t		  nrecip, nsign;
	const EVP_MD	 *md;		/* --oaep-hash, or NULL */
	const char	 *in, *out, *name;
	uint64_t	  sequence;
	int		  armour;	/* --der/--pem, else KEEP */
};

/* Parses seal's command line into sa: -1 to go on, else the exit code. */
static int
seal_parse(int argc, char **argv, struct seal_args *sa)
{
	static const struct option longopts[] = {
		{ "recipient",	required_argument, NULL, 'r' },
		{ "signer",	required_argument, NULL, 'S' },
		{ "oaep-hash",	required_argument, NULL, 'H' },
		{ "name",	required_argument, NULL, 'n' },
		{ "sequence",	required_argument, NULL, 'q' },
		{ "output",	required_argument, NULL, 'o' },
		ADMIN_ARMOUR_LONGOPTS,
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, code;

	while ((c = cli_getopt(argc, argv, "r:o:h", longopts)) != -1) {
		switch (c) {
		case 'r':
			sa->recip_paths[sa->nrecip++] = optarg;
			break;
		case 'S':
			sa->signer_uris[sa->nsign++] = optarg;
			break;
		case 'H':
			if ((sa->md = oaep_md_by_name(optarg)) == NULL)
				return cli_usage_error("seal: --oaep-hash "
				    "must be sha1, sha256, sha384 or sha512");
			break;
		case 'n':
			sa->name = optarg;
			break;
		case 'q':
			if (parse_sequence(optarg, &sa->sequence) != 0)
				return cli_usage_error("seal: --sequence "
				    "must be a non-negative integer");
			break;
		case 'o':
			sa->out = optarg;
			break;
		case ADMIN_OPT_DER:
		case ADMIN_OPT_PEM:
			if ((code = admin_armour_option(c, "seal",
			    &sa->armour)) != 0)
				return code;
			break;
		case 'h':
			printf("usage: certseal-admin %s\n", SEAL_SYNOPSIS);
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("seal: bad option");
		}
	}
	if (argc - optind > 1 || sa->nrecip == 0 || sa->nsign == 0)
		return cli_usage_error("usage: certseal-admin %s",
		    SEAL_SYNOPSIS);
	if (argc - optind == 1)
		sa->in = argv[optind];
	if (sa->out != NULL && strcmp(sa->in, "-") != 0 &&
	    cli_same_file(sa->in, sa->out))
		return cli_usage_error("seal: the output %s is the input; "
		    "seal into another file", sa->out);
	if (sa->name != NULL && strlen(sa->name) > CS_CONFIG_NAME_MAX)
		return cli_usage_error("seal: --name is longer than %d bytes",
		    CS_CONFIG_NAME_MAX);
	return -1;
}

/*
 * The offline seal: the recipients' certificates from files, the signers'
 * keys from their sources, the plaintext from sa->in.
 */
static int
seal_offline(const struct seal_args *sa)
{
	struct cs_seal_recipient *recips = NULL;
	const struct cs_key **signers = NULL;
	struct cs_seal_params params;
	struct cs_secret *plain = NULL;
	struct cs_sealing *sealing = NULL;
	certseal_ctx *ctx = NULL;
	size_t i;
	const char *shown = strcmp(sa->in, "-") == 0 ? "standard input" :
	    sa->in;
	enum cs_armour armour;
	unsigned int tty;
	int r, code = CLI_EXIT_OTHER;

	if ((r = cli_ctx_new(&ctx)) != 0) {
		code = cli_fail(NULL, r, "seal");
		goto out;
	}
	if ((code = check_profile_output(ctx, sa->out)) != 0)
		goto out;
	code = CLI_EXIT_OTHER;
	/* DER is binary: never onto a terminal (PEM text may go there). */
	armour = admin_output_armour(sa->out, sa->armour);
	tty = armour == CS_ARMOUR_DER ? CLI_OUT_NOTTY : 0;
	if ((r = cli_check_output(ctx, sa->out != NULL ? sa->out : "-", tty,
	    ADMIN_SEALED_NOT_ON_TTY)) != 0) {
		code = cli_fail(ctx, r, "seal");
		goto out;
	}
	recips = calloc(sa->nrecip, sizeof(*recips));
	signers = calloc(sa->nsign, sizeof(*signers));
	if (recips == NULL || signers == NULL) {
		code = cli_fail(ctx, CERTSEAL_E_NOMEM, "seal");
		goto out;
	}
	for (i = 0; i < sa->nrecip; i++) {
		if ((r = load_cert(ctx, sa->recip_paths[i],
		    &recips[i].cert)) != 0) {
			code = cli_fail(ctx, r, "--recipient");
			goto out;
		}
		recips[i].oaep_md = sa->md;
	}
	for (i = 0; i < sa->nsign; i++) {
		if ((r = certseal_ctx_add_source(ctx,
		    sa->signer_uris[i])) != 0 ||
		    (r = cs_source_signer_key(cs_ctx_source(ctx, i),
		    &signers[i])) != 0) {
			code = cli_fail(ctx, r, "--signer");
			goto out;
		}
	}
	if ((r = cs_read_secret_file(ctx, sa->in, CERTSEAL_MAX_CONFIG_SIZE,
	    &plain)) != 0) {
		code = cli_fail(ctx, r, "%s", shown);
		goto out;
	}
	memset(&params, 0, sizeof(params));
	params.name = sa->name;
	params.sequence = sa->sequence;
	params.recipients = recips;
	params.nrecipients = sa->nrecip;
	params.signers = signers;
	params.nsigners = sa->nsign;
	params.armour = armour;
	if ((r = cs_sealing_new(ctx, plain->data, plain->len, &params,
	    &sealing)) != 0) {
		code = cli_fail(ctx, r, "%s", shown);
		goto out;
	}
	if ((r = admin_write_sealing(ctx, sa->out != NULL ? sa->out : "-",
	    sealing, tty, ADMIN_SEALED_NOT_ON_TTY)) != 0) {
		code = cli_fail(ctx, r, "%s", sa->out == NULL ? "stdout" :
		    sa->out);
		goto out;
	}
	code = CLI_EXIT_OK;
 out:
	cs_sealing_free(sealing);
	cs_secret_free(plain);
	if (recips != NULL)
		for (i = 0; i < sa->nrecip; i++)
			X509_free(recips[i].cert);
	free(recips);
	free(signers);
	certseal_ctx_free(ctx);
	return code;
}

int
cmd_seal(int argc, char **argv)
{
	struct seal_args sa;
	int code;

	memset(&sa, 0, sizeof(sa));
	sa.in = "-";
	sa.armour = ADMIN_ARMOUR_KEEP;
	sa.sequence = (uint64_t)time(NULL);
	sa.recip_paths = calloc((size_t)argc + 1, sizeof(*sa.recip_paths));
	sa.signer_uris = calloc((size_t)argc + 1, sizeof(*sa.signer_uris));
	if (sa.recip_paths == NULL || sa.signer_uris == NULL)
		code = cli_fail(NULL, CERTSEAL_E_NOMEM, "seal");
	else if ((code = seal_parse(argc, argv, &sa)) < 0)
		code = seal_offline(&sa);
	free(sa.recip_paths);
	free(sa.signer_uris);
	return code;
}
