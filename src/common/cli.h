/*
 * cli.h - what both command-line tools share: secrets hygiene at start,
 * the terminal prompt, the one-line error, option helpers, and writing
 * results only after success.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "certseal/certseal.h"

/* Exit codes (DESIGN.md section 5). */
#define CLI_EXIT_OK		0
#define CLI_EXIT_OTHER		1
#define CLI_EXIT_USAGE		2

/*
 * getopt_long for every parser of both tools, without its abbreviations:
 * glibc takes "--password SECRET" for "--password-file SECRET" and the
 * message about that file then shows the secret.  A long option must be
 * spelled out in full; an abbreviation is the one usage error line
 * (naming it up to any '=', never its value) and CLI_OPT_REFUSED, which
 * the caller returns as CLI_EXIT_USAGE; so are an unknown option and one
 * without its value (getopt's '?'), in one line that names them.  Else
 * as getopt_long.
 */
#define CLI_OPT_REFUSED		(-2)
int cli_getopt(int argc, char *const argv[], const char *optstring,
    const struct option *longopts);

/*
 * A subcommand: argv[0] is the command name; getopt_long starts over for
 * each command.  Returns an exit code.
 */
struct cli_help {
	const char	*name;		/* "open", or "pair export" */
	const char	*synopsis;	/* "open CONFIG [-o OUT]" (no prog) */
	const char	*summary;	/* a sentence or two */
	const char	*options;	/* "-o, --output FILE\twhere...\n" */
	const char	*example;	/* one command line */
	const char	*codes;		/* the exit codes that matter here */
};

/*
 * CLI_JSON: the command (or verb) prints its result as one JSON document
 * under --json.  The others have no JSON result: the dispatcher refuses
 * --json for them (exit 2) before they run, and their --help leaves it
 * out, so that a script never reads a bare ID or a plaintext as JSON.
 */
#define CLI_JSON		0x1

/* A verb of a command: "list" of "pair list". */
struct cli_verb {
	const char	*name;
	unsigned int	 flags;		/* CLI_JSON */
};

struct cli_command {
	const char	*name;
	int		(*run)(int argc, char **argv);
	const char	*synopsis;	/* "open CONFIG [-o OUT]" */
	const char	*summary;	/* one line for --help */
	unsigned int	 flags;		/* CLI_JSON; a command with verbs: 0 */
	/* NULL-terminated; each verb's flags say for it.  NULL: no verbs. */
	const struct cli_verb *verbs;
};

/*
 * The options both tools accept anywhere on the line, before or after
 * the command (until "--"): --json, -q/--quiet, -v/--verbose, and each
 * tool's own (struct cli_global).
 */
extern int cli_json, cli_quiet, cli_verbose;

struct cli_global {
	const char	*name;		/* long name, without "--" */
	int		 shortopt;	/* 0: none */
	int		 has_arg;
	int		 key;		/* handed to set() */
};

/*
 * Takes the global options out of argv[1..] wherever they are, calling
 * set(key, arg) for the tool's own; --json stays on the line (after the
 * command) for the commands that print JSON.  Returns 0 or an exit code.
 */
int cli_take_globals(int *argcp, char **argv, const struct cli_global *own,
    size_t nown, int (*set)(int key, char *arg));

/*
 * Success chatter on stderr ("PROG: ..."): nothing under --quiet.  Like
 * every line the tools print on stderr, redacted (cli_redacted): a URI
 * may be passed as the user gave it.
 */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Details only under --verbose; redacted as cli_info. */
void cli_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * --help of a command or subcommand from the help table: prints and
 * returns 1 when argv asks for it (-h/--help before "--"), else 0.
 * flags: the command's (CLI_JSON: --json is among its global options).
 */
extern const char *cli_global_options_help;	/* the tool's, as options */
int cli_help_requested(const struct cli_help *help, size_t nhelp,
    int argc, char **argv, unsigned int flags);

/*
 * Where a result goes.  "-" is standard output.  CLI_OUT_NOTTY: the
 * result is a secret or binary and is refused on a terminal;
 * CLI_OUT_NOCLOBBER: an existing file is refused (the caller drops the
 * flag for --force); CLI_OUT_PLAIN: the result is plaintext, and an
 * existing file that looks sealed is refused - writing over it would lose
 * a sealed configuration.  cli_check_output says so before any work is
 * done.
 */
#define CLI_OUT_NOTTY		0x1
#define CLI_OUT_NOCLOBBER	0x2
#define CLI_OUT_PLAIN		0x4
int cli_check_output(certseal_ctx *ctx, const char *path, unsigned int flags,
    const char *why);
int cli_write_output_ex(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, unsigned int mode, unsigned int flags, const char *why);

/* "standard output" for "-" or NULL, else path: for messages. */
const char *cli_output_name(const char *path);

/*
 * A destructive action: 1 when --yes was given or the user answered yes
 * on the terminal; else an error is set on ctx (no terminal: give --yes)
 * and 0 is returned.
 */
int cli_confirm(certseal_ctx *ctx, int yes, const char *question);

/* Program name for messages ("certseal", "certseal-admin"). */
extern const char *cli_progname;

/*
 * Turns core dumps off and makes the process undumpable before any secret
 * is read (STYLE.md), and ignores SIGPIPE so a closed pipe is an error,
 * not a silent death after partial output.
 */
void cli_harden(void);

/*
 * Opening a sealed file touches about 384 KiB of fresh heap (more for
 * a file sealed to many recipients: OpenSSL's parsed structure is several
 * times the file).  The kernel gives fresh memory one page fault per
 * 4 KiB page, and on virtual machines a fault is expensive (12 us against
 * under 1 us per page populated in one madvise, measured on the benchmark
 * machine; see bench/ANALYSIS.md).  This grows the heap once, populated,
 * by a size estimated from the file at path (NULL: a small file), and
 * hands it back to malloc for the open to use.  Nothing secret is in it.
 */
void cli_heap_reserve(const char *path);

/* The terminal prompt: reads from /dev/tty with echo off. */
int cli_prompt(const char *what, char *buf, size_t buflen, void *arg);

/* Library warnings: as cli_warn. */
void cli_log(const char *message, void *arg);

/* A context with the prompt and warnings wired to the terminal. */
int cli_ctx_new(certseal_ctx **out);

/*
 * Prints "PROG: MESSAGE" for err, using the context's last error when it
 * has one, and returns the exit code for err.
 */
int cli_fail(certseal_ctx *ctx, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints "PROG: MESSAGE" and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * A warning: printed when the command ends (or before a prompt); when the
 * command fails, folded into its one error line instead.
 */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Writes a finished result: to stdout when path is NULL or "-", else
 * atomically into path with mode.  Nothing is written on failure.
 */
int cli_write_output(certseal_ctx *ctx, const char *path, const void *data,
    size_t len, unsigned int mode);
/*
 * The same with a content that fill writes to the descriptor it is given
 * (a cs_fill_fn): on stdout as it comes, so that a failure of fill may
 * leave part of it there; into path atomically, as above.
 */
int cli_write_output_with(certseal_ctx *ctx, const char *path,
    unsigned int mode, int (*fill)(certseal_ctx *ctx, int fd, void *arg),
    void *arg);

/* 1 when a and b name the same file (same path, or same inode). */
int cli_same_file(const char *a, const char *b);

/*
 * Prints a JSON document on stdout, indented, with a newline: an object
 * gets "version": CLI_JSON_VERSION; cli_print_json_list wraps an array
 * as { "version": 1, key: [...] }.  Both consume nothing.
 */
#define CLI_JSON_VERSION	1
int cli_print_json(json_t *value);
int cli_print_json_list(const char *key, json_t *array);

/*
 * A yes/no environment variable: *valuep is 1 for 1/true/yes/on, 0 for
 * 0/false/no/off or when unset (any case).  -1 for anything else, which
 * the caller reports as a usage error: never guessed.
 */
int cli_env_bool(const char *name, int *valuep);

/*
 * uri with every pin-value redacted, for printing (a static buffer,
 * valid until the next call): every URI either tool prints, on stdout
 * (token check's JSON) or stderr (cli_info, cli_debug, the error line),
 * goes through it or through cs_redact, which it wraps.
 */
const char *cli_redacted(const char *uri);

/* 1 when an environment variable is set to 1/true/yes/on. */
int cli_env_true(const char *name);

/*
 * Dispatches argv[1] through the table; COMMAND [VERB] --help is answered
 * from cli_help_table when it has an entry.  A missing verb is the one
 * usage line that names the verbs; an unknown one is the command's to
 * say.  --json is refused for a command or verb without CLI_JSON.
 */
extern const struct cli_help *cli_help_table;
extern size_t cli_help_count;
int cli_dispatch(const struct cli_command *cmds, size_t ncmds, int argc,
    char **argv, void (*usage)(FILE *));

/*
 * No command on the line: the usage on stderr, or under --json the one
 * error line and the JSON error document; returns CLI_EXIT_USAGE.
 */
int cli_no_command(void (*usage)(FILE *));

/* Prints the command table as usage lines. */
void cli_print_commands(FILE *fp, const struct cli_command *cmds,
    size_t ncmds);

/*
 * s with control characters as '?', for one row of a table (a static
 * buffer, valid until the next call); cli_one_line: 1 when s has none.
 */
const char *cli_printable(const char *s);
int cli_one_line(const char *s);

/*
 * --password-file F: an unreadable F is said as such ("--password-file F:
 * No such file or directory"), exit 1 (certseal(1)), before anything is
 * asked or done.
 */
int cli_password_file_check(certseal_ctx *ctx, const char *path);

#endif /* CS_CLI_H */
