/*
 * cli-args.c - the command line both tools share: global options anywhere
 * on the line, --quiet/--verbose chatter, table-driven --help, where a
 * result may go (-o -, terminals, existing files), and confirmations.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "envelope.h"
#include "internal.h"
#include "cli.h"

int cli_json, cli_quiet, cli_verbose;

enum { G_JSON = -1, G_QUIET = -2, G_VERBOSE = -3 };

static const struct cli_global common_globals[] = {
	{ "json",	0,	0, G_JSON },
	{ "quiet",	'q',	0, G_QUIET },
	{ "verbose",	'v',	0, G_VERBOSE },
};
#define NCOMMON	(sizeof(common_globals) / sizeof(common_globals[0]))

static const struct cli_global *
find_long(const char *name, size_t len, const struct cli_global *own,
    size_t nown)
{
	size_t i;

	for (i = 0; i < NCOMMON; i++)
		if (strlen(common_globals[i].name) == len &&
		    strncmp(common_globals[i].name, name, len) == 0)
			return &common_globals[i];
	for (i = 0; i < nown; i++)
		if (strlen(own[i].name) == len &&
		    strncmp(own[i].name, name, len) == 0)
			return &own[i];
	return NULL;
}

static const struct cli_global *
find_short(int c, const struct cli_global *own, size_t nown)
{
	size_t i;

	for (i = 0; i < NCOMMON; i++)
		if (common_globals[i].shortopt == c)
			return &common_globals[i];
	for (i = 0; i < nown; i++)
		if (own[i].shortopt != 0 && own[i].shortopt == c)
			return &own[i];
	return NULL;
}

static int
apply(const struct cli_global *g, char *value, int (*set)(int, char *))
{
	switch (g->key) {
	case G_JSON:
		cli_json = 1;
		return 0;
	case G_QUIET:
		cli_quiet = 1;
		return 0;
	case G_VERBOSE:
		cli_verbose = 1;
		return 0;
	}
	return set(g->key, value);
}

int
cli_take_globals(int *argcp, char **argv, const struct cli_global *own,
    size_t nown, int (*set)(int key, char *arg))
{
	const struct cli_global *g;
	int argc = *argcp, i, k, r, words = 0, dashdash = -1;
	char *a, *eq, *value;
	size_t len;

	for (i = k = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			dashdash = k;
			while (i < argc)
				argv[k++] = argv[i++];
			break;
		}
		g = NULL;
		value = NULL;
		if (a[0] == '-' && a[1] == '-') {
			eq = strchr(a + 2, '=');
			len = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			if ((g = find_long(a + 2, len, own, nown)) != NULL) {
				if (!g->has_arg && eq != NULL)
					return cli_usage_error("--%s takes no "
					    "value", g->name);
				if (g->has_arg && eq != NULL)
					value = eq + 1;
			}
		} else if (a[0] == '-' && a[1] != '\0' &&
		    (g = find_short((unsigned char)a[1], own, nown)) != NULL) {
			if (g->has_arg && a[2] != '\0')
				value = a + 2;
			else if (!g->has_arg && a[2] != '\0')
				g = NULL;	/* a cluster: the command's */
		}
		if (g == NULL) {
			if (a[0] != '-' || a[1] == '\0')
				words++;
			argv[k++] = a;
			continue;
		}
		if (g->has_arg && value == NULL) {
			if (i + 1 >= argc)
				return cli_usage_error("--%s needs a value",
				    g->name);
			value = argv[++i];
		}
		if ((r = apply(g, value, set)) != 0)
			return r;
	}
	argv[k] = NULL;
	if (cli_quiet && cli_verbose)
		return cli_usage_error("-q/--quiet and -v/--verbose exclude "
		    "each other");
	/*
	 * The command's own parser sees --json once, after the command
	 * (room: at least the one taken out is free).
	 */
	if (cli_json && words > 0) {
		if (dashdash < 0)
			dashdash = k;
		memmove(&argv[dashdash + 1], &argv[dashdash],
		    (size_t)(k - dashdash) * sizeof(*argv));
		argv[dashdash] = (char *)"--json";
		argv[++k] = NULL;
	}
	*argcp = k;
	return 0;
}

/*
 * Redacted as the error line is (print_line): an info or debug line
 * names URIs as the user gave them (enroll's -s), pin-value included.
 */
static void
vsay(const char *fmt, va_list ap)
{
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		return;
	fprintf(stderr, "%s: %s\n", cli_progname, cli_redacted(text));
	free(text);
}

void
cli_info(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void
cli_debug(const char *fmt, ...)
{
	va_list ap;

	if (!cli_verbose)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/*
 * "-o, --output FILE<TAB>text" lines, aligned; the line of the option
 * `omit` ("--json"), if given, is left out.
 */
static void
print_options(const char *text, const char *omit)
{
	const char *line = text, *nl, *tab;

	for (; *line != '\0'; line = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		tab = memchr(line, '\t', (size_t)(nl - line));
		if (omit != NULL && tab != NULL &&
		    (size_t)(tab - line) == strlen(omit) &&
		    strncmp(line, omit, strlen(omit)) == 0)
			continue;
		if (tab == NULL)
			printf("      %.*s\n", (int)(nl - line), line);
		else
			printf("  %-30.*s %.*s\n", (int)(tab - line), line,
			    (int)(nl - tab - 1), tab + 1);
	}
}

static const struct cli_help *
find_help(const struct cli_help *help, size_t nhelp, const char *name)
{
	size_t i;

	for (i = 0; i < nhelp; i++)
		if (strcmp(help[i].name, name) == 0)
			return &help[i];
	return NULL;
}

const char *cli_global_options_help;

static void
print_help(const struct cli_help *h, const struct cli_help *help,
    size_t nhelp, unsigned int flags)
{
	size_t i, n = strlen(h->name);
	int subs = 0;

	printf("usage: %s %s\n", cli_progname, h->synopsis);
	/*
	 * A command with verbs lists them; the one verb of a command whose
	 * usage it already is (rollout status) is not said twice.
	 */
	for (i = 0; i < nhelp; i++) {
		if (strncmp(help[i].name, h->name, n) != 0 ||
		    help[i].name[n] != ' ' ||
		    strcmp(help[i].synopsis, h->synopsis) == 0)
			continue;
		subs++;
		printf("       %s %s\n", cli_progname, help[i].synopsis);
	}
	if (h->summary != NULL)
		printf("\n%s\n", h->summary);
	if (h->options != NULL && *h->options != '\0') {
		printf("\noptions:\n");
		print_options(h->options, NULL);
	}
	if (subs > 0)
		printf("\n'%s %s VERB --help' describes one verb.\n",
		    cli_progname, h->name);
	if (cli_global_options_help != NULL) {
		printf("\nglobal options (anywhere on the line):\n");
		print_options(cli_global_options_help,
		    flags & CLI_JSON ? NULL : "--json");
	}
	if (h->example != NULL)
		printf("\nexample:\n  %s\n", h->example);
	printf("\nexit codes: %s\n", h->codes != NULL ? h->codes :
	    "0 ok, 1 error, 2 usage");
}

int
cli_help_requested(const struct cli_help *help, size_t nhelp, int argc,
    char **argv, unsigned int flags)
{
	const struct cli_help *h = NULL;
	char name[128];
	int i, asked = 0;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			asked = 1;
	if (!asked || help == NULL)
		return 0;
	if (argc > 1 && argv[1][0] != '-' && snprintf(name, sizeof(name),
	    "%s %s", argv[0], argv[1]) < (int)sizeof(name))
		h = find_help(help, nhelp, name);
	if (h == NULL)
		h = find_help(help, nhelp, argv[0]);
	if (h == NULL)
		return 0;
	print_help(h, help, nhelp, flags);
	(void)fflush(stdout);
	return 1;
}

const char *
cli_output_name(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ? "standard output" :
	    path;
}

/*
 * Whether the regular file at path starts like a sealed file (DESIGN.md
 * section 3, decided on a prefix).  Not following a link, not waiting on
 * a FIFO: what cannot be read so is not judged here.
 */
static int
output_looks_sealed(const char *path)
{
	uint8_t head[4096];
	struct stat st;
	ssize_t n;
	int fd, sealed = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (n = read(fd, head, sizeof(head))) > 0)
		sealed = cs_envelope_looks_sealed(head, (size_t)n);
	close(fd);
	/* It may be the plaintext an earlier open wrote there. */
	OPENSSL_cleanse(head, sizeof(head));
	return sealed;
}

int
cli_check_output(certseal_ctx *ctx, const char *path, unsigned int flags,
    const char *why)
{
	struct stat st;

	if (path == NULL || strcmp(path, "-") == 0) {
		if ((flags & CLI_OUT_NOTTY) && isatty(STDOUT_FILENO))
			return cs_error(ctx, CERTSEAL_E_USAGE, "-o -: standard "
			    "output is a terminal, and %s; redirect it to a "
			    "file or a pipe", why != NULL ? why :
			    "this is not for a screen");
		return 0;
	}
	if ((flags & CLI_OUT_NOCLOBBER) && lstat(path, &st) == 0)
		return cs_error(ctx, CERTSEAL_E_USAGE, "%s exists; give "
		    "--force to replace it, or another -o", path);
	if ((flags & CLI_OUT_PLAIN) && output_looks_sealed(path))
		return cs_error(ctx, CERTSEAL_E_USAGE, "%s is a sealed file: "
		    "the plaintext would replace it and the sealed "
		    "configuration would be lost; give another -o (or remove "
		    "it first if that is what you want)", path);
	return 0;
}

int
cli_write_output_ex(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, unsigned int mode, unsigned int flags, const char *why)
{
	int r;

	if ((r = cli_check_output(ctx, path, flags, why)) != 0)
		return r;
	return cli_write_output(ctx, path, data, len, mode);
}

/* A question answered on the terminal, with echo. */
static int
ask(const char *question, char *buf, size_t size)
{
	FILE *tty;
	int r = -1;

	if ((tty = fopen("/dev/tty", "r+e")) == NULL)
		return -1;
	fprintf(tty, "%s: %s [y/N] ", cli_progname, question);
	(void)fflush(tty);
	if (fgets(buf, (int)size, tty) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		r = 0;
	}
	fclose(tty);
	return r;
}

int
cli_confirm(certseal_ctx *ctx, int yes, const char *question)
{
	char answer[16];

	if (yes)
		return 1;
	if (!isatty(STDIN_FILENO) || access("/dev/tty", R_OK | W_OK) != 0) {
		(void)cs_error(ctx, CERTSEAL_E_USAGE, "%s: not confirmed; no "
		    "terminal to ask on, give --yes", question);
		return 0;
	}
	if (ask(question, answer, sizeof(answer)) != 0 ||
	    (strcmp(answer, "y") != 0 && strcmp(answer, "yes") != 0)) {
		(void)cs_error(ctx, CERTSEAL_E_USAGE, "%s: not confirmed "
		    "(answer 'yes', or give --yes)", question);
		return 0;
	}
	return 1;
}

const char *
cli_printable(const char *s)
{
	static char buf[1024];
	size_t i;

	if (s == NULL)
		return "";
	for (i = 0; s[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

int
cli_one_line(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
cli_password_file_check(certseal_ctx *ctx, const char *path)
{
	struct stat st;

	/* stat, not open: a FIFO would block here. */
	if (path == NULL)
		return 0;
	if (stat(path, &st) != 0 || access(path, R_OK) != 0)
		return cs_error(ctx, CERTSEAL_E_IO, "--password-file %s: %s; "
		    "give a readable file holding the password on one line",
		    path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cs_error(ctx, CERTSEAL_E_IO, "--password-file %s: not "
		    "a regular file; give a file holding the password on one "
		    "line", path);
	return 0;
}
