/*
 * open-config.c - how an application reads its certseal-sealed
 * configuration with libcertseal.  Copy it; it uses only <certseal/certseal.h>.
 *
 *	cc -o open-config open-config.c $(pkg-config --cflags --libs certseal)
 *	open-config [-n COUNT] [-q] [-s URI]... CONFIG
 *
 * -s URI    a CertificateSource (pkcs11:, file:, store:); repeatable, tried
 *           in order.  Without -s, the URIs in CERTSEAL_CERTIFICATE_SOURCE
 *           (separated by white space); without either, the library's
 *           default, store:LocalMachine/My.
 * -n COUNT  open the file COUNT times in the same context (default 1), as
 *           an application does when it re-reads its configuration: the
 *           token login and the keys found are reused.
 * -q        print the size of the configuration instead of its bytes.
 *
 * The configuration must be sealed and signed by a trusted signer
 * (CERTSEAL_FLAG_ENCRYPTED_ONLY).  Secrets come from pin-source= in the
 * URI or CERTSEAL_PIN; this program installs no prompt.  CERTSEAL_STATE_DIR,
 * when set, turns on anti-rollback tracking.
 *
 * Exit codes are those of the certseal tool (certseal_exit_code()).
 *
 * Threads: a context, and the configurations opened through it, belong to
 * one thread at a time.  A multi-threaded program either guards its one
 * context with a mutex or gives each thread a context of its own (tokens
 * are shared per process inside the library, so that costs no extra
 * login).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <certseal/certseal.h>

/* Library warnings (a skipped store entry, pin-value in a URI) go here. */
static void
log_warning(const char *message, void *arg)
{
	(void)arg;
	fprintf(stderr, "open-config: warning: %s\n", message);
}

/* Adds the sources in CERTSEAL_CERTIFICATE_SOURCE, if any. */
static int
add_env_sources(certseal_ctx *ctx)
{
	const char *env = getenv("CERTSEAL_CERTIFICATE_SOURCE");
	char *copy, *uri, *save = NULL;
	int r = 0;

	if (env == NULL || *env == '\0')
		return 0;
	if ((copy = strdup(env)) == NULL)
		return CERTSEAL_E_NOMEM;
	for (uri = strtok_r(copy, " \t\n", &save); uri != NULL && r == 0;
	    uri = strtok_r(NULL, " \t\n", &save))
		r = certseal_ctx_add_source(ctx, uri);
	free(copy);
	return r;
}

static void
usage(void)
{
	fprintf(stderr, "usage: open-config [-n COUNT] [-q] [-s URI]... "
	    "CONFIG\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	certseal_config *cfg = NULL;
	const uint8_t *data;
	const char *state_dir;
	unsigned long count = 1, i;
	size_t len;
	char *end;
	int c, r, quiet = 0, nsources = 0;

	if ((r = certseal_ctx_new(&ctx)) != 0) {
		fprintf(stderr, "open-config: %s\n", certseal_strerror(r));
		return certseal_exit_code(r);
	}
	certseal_ctx_set_log(ctx, log_warning, NULL);
	while ((c = getopt(argc, argv, "n:qs:")) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			count = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || count == 0 ||
			    optarg[0] == '-')
				usage();
			break;
		case 'q':
			quiet = 1;
			break;
		case 's':
			/* Syntax only: tokens and files are opened later. */
			if ((r = certseal_ctx_add_source(ctx, optarg)) != 0)
				goto fail;
			nsources++;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (nsources == 0 && (r = add_env_sources(ctx)) != 0)
		goto fail;
	/* Only sealed, signed configurations; never ask on a terminal. */
	certseal_ctx_set_flags(ctx, CERTSEAL_FLAG_ENCRYPTED_ONLY |
	    CERTSEAL_FLAG_NO_PROMPT);
	if ((state_dir = getenv("CERTSEAL_STATE_DIR")) != NULL &&
	    *state_dir != '\0' &&
	    (r = certseal_ctx_set_state_dir(ctx, state_dir)) != 0)
		goto fail;

	for (i = 0; i < count; i++) {
		/* The previous copy is wiped before the next is made. */
		certseal_config_free(cfg);
		cfg = NULL;
		if ((r = certseal_open_file(ctx, argv[optind], &cfg)) != 0)
			goto fail;
	}
	data = certseal_config_data(cfg, &len);
	if (quiet)
		printf("%zu\n", len);
	else if (len > 0 && fwrite(data, 1, len, stdout) != len) {
		fprintf(stderr, "open-config: stdout: %s\n", strerror(errno));
		r = CERTSEAL_E_IO;
		goto out;
	}
	fprintf(stderr, "open-config: %s: opened %lu time(s) with key %s "
	    "from %s, signed by %s\n", argv[optind], count,
	    certseal_config_key_id(cfg) != NULL ?
	    certseal_config_key_id(cfg) : "-",
	    certseal_config_source(cfg) != NULL ?
	    certseal_config_source(cfg) : "-",
	    certseal_config_signer(cfg) != NULL ?
	    certseal_config_signer(cfg) : "nobody");
	r = 0;
	goto out;
 fail:
	/* The context's message names the file, the source and the fix. */
	fprintf(stderr, "open-config: %s\n", *certseal_ctx_last_error(ctx) ?
	    certseal_ctx_last_error(ctx) : certseal_strerror(r));
 out:
	certseal_config_free(cfg);	/* wipes the plaintext */
	certseal_ctx_free(ctx);		/* frees sources and cached keys */
	return certseal_exit_code(r);
}
