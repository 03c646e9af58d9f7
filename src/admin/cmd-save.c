/*
 * cmd-save.c - `certseal-admin save`, `show`, `edit` and `inspect`: the
 * configuration itself.
 *
 * Plaintext lives in memory, in the output the user asked for, or - for
 * `edit` only - in a private 0700 directory that is removed on every path,
 * signals included.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "envelope.h"

#define SAVE_SYNOPSIS "save [PLAINFILE|-] [-o SEALED] [--include-pending] " \
	"[--allow-rollback] [--migrate-plaintext] [--der|--pem]"
#define SHOW_SYNOPSIS "show [SEALED] [-o OUT] [--allow-rollback]"
#define EDIT_SYNOPSIS "edit [SEALED] [--include-pending] [--allow-rollback] " \
	"[--migrate-plaintext] [--der|--pem]"

static const struct option save_longopts[] = {
	{ "output",		required_argument, NULL, 'o' },
	{ "include-pending",	no_argument,	NULL, 'P' },
	{ "json",		no_argument,	NULL, 'j' },
	{ "allow-rollback",	no_argument,	NULL, 'R' },
	{ "migrate-plaintext",	no_argument,	NULL, 'M' },
	ADMIN_ARMOUR_LONGOPTS,
	{ "help",		no_argument,	NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct save_options {
	const char	*output;
	const char	*file;
	int		 include_pending;
	int		 json;
	int		 armour;	/* --der/--pem, else KEEP */
	unsigned int	 own_flags;	/* OWN_ALLOW_ROLLBACK, OWN_MIGRATE */
};

static int
parse(int argc, char **argv, const char *synopsis, struct save_options *o)
{
	int c, code;

	memset(o, 0, sizeof(*o));
	o->armour = ADMIN_ARMOUR_KEEP;
	while ((c = cli_getopt(argc, argv, "o:h", save_longopts)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'P': o->include_pending = 1; break;
		case 'j': o->json = 1; break;
		case 'R': o->own_flags |= OWN_ALLOW_ROLLBACK; break;
		case 'M': o->own_flags |= OWN_MIGRATE; break;
		case ADMIN_OPT_DER:
		case ADMIN_OPT_PEM:
			if ((code = admin_armour_option(c, argv[0],
			    &o->armour)) != 0)
				return code;
			break;
		case 'h':
			printf("usage: certseal-admin %s\n", synopsis);
			exit(CLI_EXIT_OK);
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("%s: bad option", argv[0]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("usage: certseal-admin %s", synopsis);
	if (argc - optind == 1)
		o->file = argv[optind];
	return 0;
}

/* show and inspect write no sealed file: --der/--pem would do nothing. */
static int
no_armour(const struct save_options *o, const char *cmd)
{
	if (o->armour == ADMIN_ARMOUR_KEEP)
		return 0;
	return cli_usage_error("%s: --der and --pem are for the commands "
	    "that write a sealed file (save, edit, seal)", cmd);
}

int
cmd_save(int argc, char **argv)
{
	struct save_options o;
	struct admin a;
	struct own_config oc;
	const char *in;
	int r, code;

	memset(&oc, 0, sizeof(oc));
	if ((code = parse(argc, argv, SAVE_SYNOPSIS, &o)) != 0)
		return code;
	if ((code = admin_open(&a, ADMIN_LOCK | ADMIN_TOKEN)) != 0)
		goto out;
	if ((r = admin_check_output(&a, o.output)) != 0 ||
	    (o.output != NULL && (r = cli_check_output(a.ctx, o.output,
	    CLI_OUT_NOTTY, ADMIN_SEALED_NOT_ON_TTY)) != 0)) {
		code = cli_fail(a.ctx, r, "save");
		goto out;
	}
	in = o.file != NULL ? o.file : a.profile->config_path;
	if (in == NULL) {
		code = cli_usage_error("save: the profile names no "
		    "configuration; give PLAINFILE");
		goto out;
	}
	if ((r = admin_open_own(&a, in, o.own_flags, &oc)) != 0) {
		code = cli_fail(a.ctx, r, "%s", strcmp(in, "-") == 0 ?
		    "standard input" : in);
		goto out;
	}
	if ((r = admin_seal_and_write(&a, oc.plain->data, oc.plain->len,
	    o.include_pending, o.armour, o.output)) != 0) {
		code = cli_fail(a.ctx, r, "save");
		goto out;
	}
	code = CLI_EXIT_OK;
 out:
	cs_secret_free(oc.plain);
	admin_close(&a);
	return code;
}

int
cmd_show(int argc, char **argv)
{
	struct save_options o;
	struct admin a;
	struct own_config oc;
	const char *path;
	int r, code;

	memset(&oc, 0, sizeof(oc));
	if ((code = parse(argc, argv, SHOW_SYNOPSIS, &o)) != 0 ||
	    (code = no_armour(&o, "show")) != 0)
		return code;
	if ((code = admin_open(&a, ADMIN_TOKEN)) != 0)
		goto out;
	if ((r = admin_check_output(&a, o.output)) != 0 ||
	    (r = cli_check_output(a.ctx, o.output, CLI_OUT_PLAIN,
	    NULL)) != 0) {
		code = cli_fail(a.ctx, r, "show");
		goto out;
	}
	path = o.file != NULL ? o.file : a.profile->config_path;
	if (path == NULL) {
		code = cli_usage_error("show: the profile names no "
		    "configuration; give SEALED");
		goto out;
	}
	if (o.output != NULL && strcmp(path, "-") != 0 &&
	    admin_same_file(path, o.output)) {
		code = cli_usage_error("show: the output %s is the input; "
		    "write the plaintext elsewhere", o.output);
		goto out;
	}
	/* A file named on purpose is shown whatever it is, and said so. */
	if ((r = admin_open_own(&a, path, (o.own_flags & OWN_ALLOW_ROLLBACK) |
	    (o.file != NULL ? OWN_ANY : 0), &oc)) != 0) {
		code = cli_fail(a.ctx, r, "%s", path);
		goto out;
	}
	if ((r = cli_write_output(a.ctx, o.output, oc.plain->data,
	    oc.plain->len, 0600)) != 0) {
		code = cli_fail(a.ctx, r, "show");
		goto out;
	}
	if (!oc.own)
		cli_info("note: %s was not signed by "
		    "this profile (%s)", path, oc.note);
	code = CLI_EXIT_OK;
 out:
	cs_secret_free(oc.plain);
	admin_close(&a);
	return code;
}

int
cmd_inspect(int argc, char **argv)
{
	struct save_options o;
	struct admin a;
	json_t *info = NULL;
	uint8_t *data = NULL;
	const char *path;
	size_t len = 0;
	int r, code, due;

	if ((code = parse(argc, argv, "inspect [SEALED] [--json]", &o)) != 0 ||
	    (code = no_armour(&o, "inspect")) != 0)
		return code;
	if ((code = admin_open(&a, 0)) != 0)
		goto out;
	path = o.file != NULL ? o.file : a.profile->config_path;
	admin_use_softhsm_conf(a.profile->softhsm_conf);
	if ((r = token_backup_check(a.ctx, a.profile, &due)) != 0) {
		code = cli_fail(a.ctx, r, "embedded token");
		goto out;
	}
	if ((r = certseal_ctx_add_source(a.ctx, a.profile->token_uri)) != 0 ||
	    (r = cs_read_file(a.ctx, path, CS_MAX_SEALED_SIZE, &data,
	    &len)) != 0 ||
	    (r = cs_envelope_inspect(a.ctx, data, len, &info)) != 0) {
		code = cli_fail(a.ctx, r, "%s", path);
		goto out;
	}
	code = cli_print_json(info) == 0 ? CLI_EXIT_OK : CLI_EXIT_OTHER;
 out:
	json_decref(info);
	free(data);
	admin_close(&a);
	return code;
}

/* ---- edit ------------------------------------------------------------- */

/*
 * The private directory holds the plaintext and whatever the editor puts
 * next to it (vim's .config.swp and 4913, backups config~, undo files);
 * it is removed with everything in it on every path, signals included,
 * and so are the directories of editors that died (SIGKILL) before.
 */
static char edit_dir[4000], edit_file[4096];
static volatile sig_atomic_t edit_armed;

static void
edit_cleanup(void)
{
	if (!edit_armed)
		return;
	edit_armed = 0;
	admin_rm_tree(edit_dir);
}

static void
edit_on_signal(int sig)
{
	/* open, getdents64, unlinkat, rmdir: async-signal-safe calls. */
	edit_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Runs $VISUAL / $EDITOR / vi on file; returns its exit status. */
static int
run_editor(const char *file)
{
	struct sigaction ign, old_int, old_quit;
	pid_t pid;
	int status;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	/* Like system(): ^C belongs to the editor while it runs. */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	if ((pid = fork()) < 0) {
		status = -1;
		goto out;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		/* The editor needs no secret of ours. */
		unsetenv("CERTSEAL_PIN");
		/*
		 * What can be set without knowing the editor: its temporary
		 * files go to the private directory too.  History and swap
		 * files an editor keeps elsewhere need its own settings
		 * (certseal-admin(8), EDIT).
		 */
		setenv("TMPDIR", edit_dir, 1);
		setenv("TMP", edit_dir, 1);
		setenv("TEMP", edit_dir, 1);
		setenv("CERTSEAL_EDIT_DIR", edit_dir, 1);
		execl("/bin/sh", "sh", "-c", "exec $CERTSEAL_EDITOR \"$1\"",
		    "sh", file, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			goto out;
		}
	}
	/* Killed by a signal (Ctrl-C): 128 + the signal, as shells say. */
	status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
 out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return status;
}

/*
 * SIGKILL cannot be caught: an edit killed that way leaves its directory.
 * The next edit removes the directories of editors that are gone (their
 * pid is in the name) with all they hold, so plaintext does not linger.
 */
static void
remove_stale_edit_dirs(const char *tmp)
{
	char path[4096];
	struct dirent *e;
	struct stat st;
	long pid;
	DIR *d;

	if ((d = opendir(tmp)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (sscanf(e->d_name, "certseal-edit-%ld-", &pid) != 1 ||
		    pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != ESRCH) ||
		    kill((pid_t)pid, 0) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
		if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		admin_rm_tree(path);
	}
	closedir(d);
}

static int
write_private_file(const char *path, const uint8_t *data, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		return -1;
	if (cs_write_all(fd, data, len) != 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/*
 * The temporary file's name: the configuration's own without ".sealed"
 * (app.conf.sealed -> app.conf), so that the editor sees the extension
 * it highlights by; "config" when the name has other characters.
 */
static void
edit_file_name(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t len, i;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > 7 && strcmp(base + len - 7, ".sealed") == 0)
		len -= 7;
	if (len == 0 || len >= size || base[0] == '.') {
		snprintf(buf, size, "config");
		return;
	}
	for (i = 0; i < len; i++)
		if (!(isalnum((unsigned char)base[i]) || base[i] == '.' ||
		    base[i] == '_' || base[i] == '-')) {
			snprintf(buf, size, "config");
			return;
		}
	memcpy(buf, base, len);
	buf[len] = '\0';
}

int
cmd_edit(int argc, char **argv)
{
	struct save_options o;
	struct admin a;
	struct own_config oc;
	struct cs_secret *after = NULL;
	struct sigaction sa;
	const char *path, *tmp, *editor;
	char name[80];
	int r, code, status, sigs[] = { SIGHUP, SIGTERM, SIGPIPE, SIGALRM };
	size_t i;

	memset(&oc, 0, sizeof(oc));
	if ((code = parse(argc, argv, EDIT_SYNOPSIS, &o)) != 0)
		return code;
	editor = getenv("VISUAL");
	if (editor == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	setenv("CERTSEAL_EDITOR", editor != NULL && *editor != '\0' ?
	    editor : "vi", 1);
	if ((code = admin_open(&a, ADMIN_LOCK | ADMIN_TOKEN)) != 0)
		goto out;
	path = o.file != NULL ? o.file : a.profile->config_path;
	if (path == NULL) {
		code = cli_usage_error("edit: the profile names no "
		    "configuration; give SEALED");
		goto out;
	}
	if ((r = admin_open_own(&a, path, o.own_flags | OWN_MISSING_OK,
	    &oc)) != 0) {
		code = cli_fail(a.ctx, r, "%s", path);
		goto out;
	}
	/* A private directory, on tmpfs when the session has one. */
	tmp = getenv("XDG_RUNTIME_DIR");
	if (tmp == NULL || *tmp != '/')
		tmp = getenv("TMPDIR");
	if (tmp == NULL || *tmp != '/')
		tmp = "/tmp";
	remove_stale_edit_dirs(tmp);
	snprintf(edit_dir, sizeof(edit_dir), "%s/certseal-edit-%ld-XXXXXX",
	    tmp, (long)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = edit_on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	if (mkdtemp(edit_dir) == NULL) {
		code = cli_fail(a.ctx, CERTSEAL_E_IO, "edit: %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	edit_file_name(path, name, sizeof(name));
	snprintf(edit_file, sizeof(edit_file), "%s/%s", edit_dir, name);
	edit_armed = 1;
	if (write_private_file(edit_file, oc.plain->data,
	    oc.plain->len) != 0) {
		code = cli_fail(a.ctx, CERTSEAL_E_IO, "edit: %s: %s",
		    edit_file, strerror(errno));
		goto out;
	}
	if ((status = run_editor(edit_file)) != 0) {
		if (status > 128) {
			(void)cli_fail(a.ctx, CERTSEAL_E_STATE, "edit: the "
			    "editor was interrupted (%s); nothing was saved",
			    strsignal(status - 128));
			code = status;	/* 130 for Ctrl-C */
		} else
			code = cli_fail(a.ctx, CERTSEAL_E_STATE, "edit: the "
			    "editor (%s) %s %d; nothing was saved, the "
			    "configuration is as it was",
			    getenv("CERTSEAL_EDITOR"), status < 0 ?
			    "could not be run:" : "exited with", status);
		goto out;
	}
	if ((r = cs_read_secret_file(a.ctx, edit_file,
	    CERTSEAL_MAX_CONFIG_SIZE, &after)) != 0) {
		code = cli_fail(a.ctx, r, "edit");
		goto out;
	}
	/* The plaintext on disk is not needed any more. */
	edit_cleanup();
	if (after->len == oc.plain->len && CRYPTO_memcmp(after->data,
	    oc.plain->data, after->len) == 0) {
		cli_info("no change; %s left as it was", path);
		code = CLI_EXIT_OK;
		goto out;
	}
	if ((r = admin_seal_and_write(&a, after->data, after->len,
	    o.include_pending, o.armour, path)) != 0) {
		code = cli_fail(a.ctx, r, "edit");
		goto out;
	}
	code = CLI_EXIT_OK;
 out:
	edit_cleanup();
	cs_secret_free(oc.plain);
	cs_secret_free(after);
	admin_close(&a);
	return code;
}
