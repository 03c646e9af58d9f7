/*
 * cli.c - the parts of certseal and certseal-admin that are the same.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "internal.h"
#include "cli.h"

const char *cli_progname = "certseal";
const struct cli_help *cli_help_table;
size_t cli_help_count;

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23	/* Linux 5.14 */
#endif

/*
 * The heap an open of an n-byte file touches: 384 KiB, plus OpenSSL's
 * parsed structure, which for a file sealed to a thousand pairs is four
 * times the file.  384 KiB is what a store: open of a small file takes
 * fresh (page faults: none left beyond it; a token open, 30); a page
 * populated and never used costs about what its fault would have, so a
 * megabyte (the size before) made every small open 0.1 ms
 * slower (bench/ANALYSIS.md, "Seventh round").  Capped: what is populated
 * and not used still counts in the process's memory, and a large file's
 * big buffers are mmap()ed, not taken from here.
 */
#define HEAP_BASE	(384 * 1024)
#define HEAP_PER_BYTE	4
#define HEAP_MAX	(4 * 1024 * 1024)

/*
 * Warnings wait here until the command ends: printed on their own lines
 * when it succeeds (or before a prompt), folded into the one error line
 * when it fails, so that every failure is exactly one line on stderr.
 */
#define WARN_MAX	16
#define LINE_MAX_BYTES	4096	/* one error line */
#define WHAT_HEAD	256	/* compared when a long name was shortened */
static char	*warnings[WARN_MAX];
static size_t	 nwarnings, dropped;

/* Prints the pending warnings on their own lines, and forgets them. */
static void
flush_warnings(void)
{
	size_t i;

	for (i = 0; i < nwarnings; i++) {
		fprintf(stderr, "%s: warning: %s\n", cli_progname,
		    warnings[i]);
		free(warnings[i]);
		warnings[i] = NULL;
	}
	if (dropped > 0)
		fprintf(stderr, "%s: warning: %zu more warning(s)\n",
		    cli_progname, dropped);
	nwarnings = dropped = 0;
}

/* The pending warnings as "; warning: A; warning: B" (malloc'ed). */
static char *
take_warnings(void)
{
	char *all = NULL, *grown;
	size_t i;

	if (nwarnings == 0)
		return NULL;
	for (i = 0; i < nwarnings; i++) {
		if (asprintf(&grown, "%s; warning: %s", all != NULL ? all : "",
		    warnings[i]) < 0)
			grown = NULL;
		free(all);
		all = grown;
		free(warnings[i]);
		warnings[i] = NULL;
		if (all == NULL)
			break;
	}
	nwarnings = dropped = 0;
	return all;
}

static void
queue_warning(const char *text)
{
	char *clean;

	if (nwarnings == WARN_MAX) {
		dropped++;
		return;
	}
	if ((clean = cs_redact(text)) != NULL)
		warnings[nwarnings++] = clean;
}

/*
 * One line on stderr: "PROG: TEXT[; warning: ...]", redacted, at most
 * LINE_MAX bytes (a long one keeps its head and its tail).
 */
/*
 * Under --json a failure is also a document on stdout: scripts read the
 * exit code and the message from one place.  Only the first failure.
 */
static void
print_json_error(const char *message, int code)
{
	static int done;
	json_t *doc;
	char *text;

	if (!cli_json || done)
		return;
	done = 1;
	doc = json_pack("{s:i, s:{s:i, s:s}}", "version", CLI_JSON_VERSION,
	    "error", "code", code, "message", message);
	if (doc != NULL && (text = json_dumps(doc, JSON_INDENT(2) |
	    JSON_SORT_KEYS)) != NULL) {
		printf("%s\n", text);
		(void)fflush(stdout);
		free(text);
	}
	json_decref(doc);
}

static void
print_line(const char *text, int code)
{
	char *pending = take_warnings(), *clean = NULL, *all = NULL;
	char buf[LINE_MAX_BYTES];

	if (asprintf(&all, "%s%s", text, pending != NULL ? pending : "") < 0)
		all = NULL;
	clean = cs_redact(all != NULL ? all : text);
	cs_message_fit(buf, sizeof(buf), clean != NULL ? clean :
	    "(message withheld: out of memory)");
	fprintf(stderr, "%s: %s\n", cli_progname, buf);
	print_json_error(buf, code);
	free(clean);
	free(all);
	free(pending);
}

const char *
cli_redacted(const char *uri)
{
	static char buf[8192];
	char *clean;

	if ((clean = cs_redact(uri)) == NULL)
		return "(withheld: out of memory)";
	cs_message_fit(buf, sizeof(buf), clean);
	free(clean);
	return buf;
}

void
cli_harden(void)
{
	struct rlimit rl = { 0, 0 };

	/*
	 * OpenSSL's own exit handler frees every table it built (providers,
	 * decoders, names: 0.1 ms of a 4 ms open, bench/ANALYSIS.md) for a
	 * process that is about to give all of its memory back.  The keys and
	 * buffers certseal holds are wiped and freed by certseal before it
	 * exits; what OpenSSL keeps for itself holds no key of ours.  The flag
	 * only counts before OpenSSL's first use, so this comes first.
	 */
	(void)OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	/* Warnings of a command that succeeded are printed as it exits. */
	(void)atexit(flush_warnings);

	/* A core file would hold PINs, keys and plaintext. */
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
}

void
cli_heap_reserve(const char *path)
{
	struct stat st;
	size_t want = HEAP_BASE;
	uintptr_t start, end;
	char *p;

	if (path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0)
		want += (size_t)st.st_size < HEAP_MAX / HEAP_PER_BYTE ?
		    (size_t)st.st_size * HEAP_PER_BYTE : HEAP_MAX;
	/*
	 * Keep buffers up to 32 MiB, and freed memory, in the heap, so that
	 * what is populated here is what the parser and OpenSSL use.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	if ((p = malloc(want)) == NULL)
		return;
	start = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	end = ((uintptr_t)p + want) & ~(uintptr_t)4095;
	/* Older kernels say EINVAL: the pages then fault in one by one. */
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
	free(p);
}

int
cli_prompt(const char *what, char *buf, size_t buflen, void *arg)
{
	struct termios old, noecho;
	size_t len = 0;
	int fd, restore = 0, r = -1;
	char c;
	ssize_t n;

	(void)arg;
	/* What was said so far is what the user answers to. */
	flush_warnings();
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return -1;
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		noecho.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0)
			restore = 1;
	}
	if (dprintf(fd, "%s: ", what) < 0)
		goto out;
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		if (c == '\n' || c == '\r')
			break;
		if (len + 1 < buflen)
			buf[len++] = c;
	}
	buf[len] = '\0';
	r = 0; /* success */
 out:
	c = 0;
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)write(fd, "\n", 1);
	close(fd);
	if (r != 0)
		OPENSSL_cleanse(buf, buflen);
	return r;
}

void
cli_log(const char *message, void *arg)
{
	(void)arg;
	queue_warning(message);
}

int
cli_ctx_new(certseal_ctx **out)
{
	certseal_ctx *ctx = NULL;
	int r;

	*out = NULL;
	if ((r = certseal_ctx_new(&ctx)) != 0)
		return r;
	certseal_ctx_set_prompt(ctx, cli_prompt, NULL);
	certseal_ctx_set_log(ctx, cli_log, NULL);
	*out = ctx;
	return 0;
}

int
cli_fail(certseal_ctx *ctx, int err, const char *fmt, ...)
{
	const char *detail = certseal_ctx_last_error(ctx);
	char *what = NULL, *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (n < 0)
		what = NULL;
	/*
	 * The library often names the file already: say it once.  A long
	 * name may come back shortened ("head...tail"): its head will do.
	 */
	if (what == NULL)
		n = asprintf(&line, "%s", detail != NULL && *detail != '\0' ?
		    detail : certseal_strerror(err));
	else if (detail != NULL && *detail != '\0' &&
	    ((strncmp(detail, what, strlen(what)) == 0 &&
	    detail[strlen(what)] == ':') || (strlen(what) > WHAT_HEAD &&
	    strncmp(detail, what, WHAT_HEAD) == 0)))
		n = asprintf(&line, "%s", detail);
	else if (detail != NULL && *detail != '\0')
		n = asprintf(&line, "%s: %s", what, detail);
	else if (strstr(what, "; ") != NULL)
		/*
		 * "what; what to do" is a whole message: the generic text
		 * (": not possible in this state") would only end it badly.
		 */
		n = asprintf(&line, "%s", what);
	else
		n = asprintf(&line, "%s: %s", what, certseal_strerror(err));
	print_line(n >= 0 ? line : certseal_strerror(err),
	    certseal_exit_code(err));
	if (n < 0)
		line = NULL;
	free(line);
	free(what);
	return certseal_exit_code(err);
}

int
cli_usage_error(const char *fmt, ...)
{
	char *text = NULL, *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&line, "%s (try '%s --help')", text,
	    cli_progname) < 0)
		line = NULL;
	print_line(line != NULL ? line : "usage error", CLI_EXIT_USAGE);
	free(line);
	free(n < 0 ? NULL : text);
	return CLI_EXIT_USAGE;
}

/* How much of an abbreviated option's name a message repeats. */
#define OPT_NAME_MAX	64

/* The option name typed in elem ("--name=value"), up to '=', printable. */
static void
typed_name(const char *elem, char name[OPT_NAME_MAX + 4])
{
	size_t len = strcspn(elem, "="), i;

	for (i = 0; i < len && i < OPT_NAME_MAX; i++)
		name[i] = (unsigned char)elem[i] < 0x20 || elem[i] == 0x7f ?
		    '?' : elem[i];
	snprintf(name + i, 4, "%s", len > OPT_NAME_MAX ? "..." : "");
}

/*
 * getopt's '?': an option this command does not have, or one without its
 * value.  One usage line that names it (glibc's own message and the
 * caller's "bad option" made two, and the JSON one named nothing).
 */
static int
refuse_option(char *const argv[], const char *optstring,
    const struct option *longopts)
{
	const struct option *o;
	char name[OPT_NAME_MAX + 4];

	if (optopt != 0) {
		for (o = longopts; o != NULL && o->name != NULL; o++)
			if (o->val == optopt && o->has_arg == required_argument
			    && optind >= 1 && strncmp(argv[optind - 1], "--",
			    2) == 0) {
				(void)cli_usage_error("option '--%s' needs a "
				    "value", o->name);
				return CLI_OPT_REFUSED;
			}
		if (strchr(optstring, optopt) != NULL)
			(void)cli_usage_error("option '-%c' needs a value",
			    optopt);
		else if (optopt > 0x20 && optopt < 0x7f)
			(void)cli_usage_error("option '-%c' is not one of this "
			    "command's options", optopt);
		else
			(void)cli_usage_error("an option this command does not "
			    "have");
		return CLI_OPT_REFUSED;
	}
	typed_name(optind >= 1 ? argv[optind - 1] : "?", name);
	(void)cli_usage_error("option '%s' is not one of this command's "
	    "options", name);
	return CLI_OPT_REFUSED;
}

int
cli_getopt(int argc, char *const argv[], const char *optstring,
    const struct option *longopts)
{
	const char *elem, *typed;
	char name[OPT_NAME_MAX + 1];
	size_t len, i;
	int c, idx = -1;

	opterr = 0;	/* refuse_option says it, once */
	c = getopt_long(argc, argv, optstring, longopts, &idx);
	if (c == '?')
		return refuse_option(argv, optstring, longopts);
	if (c == -1 || idx < 0)
		return c;
	/*
	 * A long option was taken from argv[optind - 1], or from the
	 * element before when its value was the next one ("--x VALUE").
	 */
	elem = argv[optind - 1];
	if (optarg != NULL && optarg == argv[optind - 1] && optind >= 2)
		elem = argv[optind - 2];
	if (elem == NULL || strncmp(elem, "--", 2) != 0)
		return c;
	typed = elem + 2;
	len = strcspn(typed, "=");
	if (len >= strlen(longopts[idx].name))
		return c;
	/* Up to '=' only: what follows may be the secret itself. */
	for (i = 0; i < len && i < OPT_NAME_MAX; i++)
		name[i] = (unsigned char)typed[i] < 0x20 ||
		    typed[i] == 0x7f ? '?' : typed[i];
	name[i] = '\0';
	(void)cli_usage_error("option '--%s%s' is not one of this command's "
	    "options (options are spelled out in full; did you mean --%s?)",
	    name, len > OPT_NAME_MAX ? "..." : "", longopts[idx].name);
	return CLI_OPT_REFUSED;
}

void
cli_warn(const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	queue_warning(text);
	free(text);
}

int
cli_write_output_with(certseal_ctx *ctx, const char *path, unsigned int mode,
    int (*fill)(certseal_ctx *ctx, int fd, void *arg), void *arg)
{
	struct cs_write_opts o = { (mode_t)mode, (uid_t)-1, (gid_t)-1 };
	int r;

	if (path == NULL || strcmp(path, "-") == 0) {
		if ((r = fill(ctx, STDOUT_FILENO, arg)) != 0)
			cs_error_prefix(ctx, "standard output");
		return r;
	}
	return cs_atomic_write_with(ctx, path, &o, fill, arg);
}

int
cli_write_output(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, unsigned int mode)
{
	struct cs_buffer_fill b = { data, len };

	return cli_write_output_with(ctx, path, mode, cs_fill_buffer, &b);
}

int
cli_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return 1;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
cli_print_json(json_t *value)
{
	char *text;
	int r;

	if (json_is_object(value) && json_object_get(value, "version") ==
	    NULL && json_object_set_new(value, "version",
	    json_integer(CLI_JSON_VERSION)) != 0)
		return CERTSEAL_E_NOMEM;
	if ((text = json_dumps(value, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
	    NULL)
		return CERTSEAL_E_NOMEM;
	r = printf("%s\n", text) < 0 || fflush(stdout) != 0 ?
	    CERTSEAL_E_IO : 0;
	free(text);
	return r;
}

int
cli_print_json_list(const char *key, json_t *array)
{
	json_t *doc;
	int r;

	if ((doc = json_pack("{s:i, s:O}", "version", CLI_JSON_VERSION, key,
	    array)) == NULL)
		return CERTSEAL_E_NOMEM;
	r = cli_print_json(doc);
	json_decref(doc);
	return r;
}

int
cli_env_bool(const char *name, int *valuep)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	const char *v = getenv(name);
	size_t i;

	*valuep = 0;
	if (v == NULL)
		return 0;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*valuep = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

int
cli_env_true(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && (strcmp(v, "1") == 0 ||
	    strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcasecmp(v, "on") == 0);
}

void
cli_print_commands(FILE *fp, const struct cli_command *cmds, size_t ncmds)
{
	size_t i;

	for (i = 0; i < ncmds; i++)
		fprintf(fp, "  %-44s %s\n", cmds[i].synopsis,
		    cmds[i].summary);
}

int
cli_no_command(void (*usage)(FILE *))
{
	/*
	 * Under --json a script reads the failure from stdout like every
	 * other one: the one line and the document, not the usage text.
	 */
	if (cli_json)
		return cli_usage_error("no command given");
	usage(stderr);
	return CLI_EXIT_USAGE;
}

/*
 * The verb on the line: the first word (before "--") that names one of
 * cmd's, so that options before it ("client --requests DIR list") are
 * passed over.  NULL: none.
 */
static const struct cli_verb *
find_verb(const struct cli_command *cmd, int argc, char **argv)
{
	const struct cli_verb *v;
	int i;

	if (cmd->verbs == NULL)
		return NULL;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (argv[i][0] == '-')
			continue;
		for (v = cmd->verbs; v->name != NULL; v++)
			if (strcmp(v->name, argv[i]) == 0)
				return v;
	}
	return NULL;
}

/* 1 when argv[1..] has a word that is not an option (before "--"). */
static int
has_word(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return 1;
	return i + 1 < argc;
}

/* "pair: no verb given (generate|list|...)": one line, on stderr. */
static int
no_verb(const struct cli_command *cmd)
{
	char verbs[256];
	size_t i, len = 0;
	int n;

	verbs[0] = '\0';
	for (i = 0; cmd->verbs[i].name != NULL; i++) {
		n = snprintf(verbs + len, sizeof(verbs) - len, "%s%s",
		    i > 0 ? "|" : "", cmd->verbs[i].name);
		if (n < 0 || (size_t)n >= sizeof(verbs) - len)
			break;
		len += (size_t)n;
	}
	return cli_usage_error("%s: no verb given (%s %s)", cmd->name,
	    cmd->name, verbs);
}

int
cli_dispatch(const struct cli_command *cmds, size_t ncmds, int argc,
    char **argv, void (*usage)(FILE *))
{
	const struct cli_command *cmd = NULL;
	const struct cli_verb *v;
	unsigned int flags;
	size_t i;

	if (argc < 1)
		return cli_no_command(usage);
	for (i = 0; i < ncmds && cmd == NULL; i++)
		if (strcmp(cmds[i].name, argv[0]) == 0)
			cmd = &cmds[i];
	if (cmd == NULL)
		return cli_usage_error("unknown command '%s'", argv[0]);
	/*
	 * No verb (or an unknown one, the command's to say): what any of
	 * them does, for the command's --help.
	 */
	flags = cmd->flags;
	if ((v = find_verb(cmd, argc, argv)) != NULL)
		flags = v->flags;
	else
		for (i = 0; cmd->verbs != NULL && cmd->verbs[i].name != NULL;
		    i++)
			flags |= cmd->verbs[i].flags;
	if (cli_help_requested(cli_help_table, cli_help_count, argc, argv,
	    flags))
		return CLI_EXIT_OK;
	if (cmd->verbs != NULL && !has_word(argc, argv))
		return no_verb(cmd);
	if (cli_json && !(flags & CLI_JSON))
		return cli_usage_error("%s%s%s: no --json here: it has no JSON "
		    "result", cmd->name, v != NULL ? " " : "",
		    v != NULL ? v->name : "");
	return cmd->run(argc, argv);
}
