/*
 * cmd-init.c - `certseal-admin init`: bind a new profile to a token.
 *
 * Without --token, init creates a SoftHSM2 token next to the profile (its
 * own softhsm2.conf and token directory, a random PIN in a 0600 file used
 * as pin-source), so a new admin has a working token with no setup.  The
 * token is initialised through PKCS#11 itself, so that no PIN ever appears
 * on a command line.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "admin.h"

#define INIT_SYNOPSIS "init [--token PKCS11-URI] [--config PATH] " \
	"[--name NAME] [--reports DIR]"
#define EMBEDDED_LABEL	"certseal-admin"

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Percent-encodes a path for a URI query value (RFC 3986 unreserved). */
static char *
uri_escape(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/";
	char *out, *o;

	if ((out = malloc(3 * strlen(s) + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		if (strchr(ok, *s) != NULL)
			*o++ = *s;
		else
			o += sprintf(o, "%%%02X", (unsigned char)*s);
	}
	*o = '\0';
	return out;
}

/* A random PIN: 32 hex digits from the CSPRNG, written 0600. */
static int
write_random_pin(certseal_ctx *ctx, const char *path, char *pin,
    size_t pinsize)
{
	unsigned char raw[16];
	int r;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "no randomness");
	cs_hex(raw, sizeof(raw), pin, pinsize);
	OPENSSL_cleanse(raw, sizeof(raw));
	r = cs_atomic_write(ctx, path, pin, strlen(pin), 0600);
	return r;
}

/* C_InitToken on a free slot, then the user PIN set by the SO. */
static int
init_softhsm_token(certseal_ctx *ctx, const char *so_pin,
    const char *user_pin)
{
	struct cs_p11_module *m = NULL;
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID slots[64], slot = 0;
	CK_ULONG nslots = 64, i;
	CK_TOKEN_INFO info;
	CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
	CK_UTF8CHAR label[32];
	CK_RV rv;
	int r, found = 0;

	if ((r = cs_p11_module_load_path(ctx, CS_SOFTHSM_MODULE, &m)) != 0)
		return r;
	fl = cs_p11_module_fl(m);
	cs_p11_lock();
	if ((rv = fl->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK) {
		r = cs_p11_error(ctx, rv, "SoftHSM2: listing slots");
		goto out;
	}
	for (i = 0; i < nslots && !found; i++) {
		if (fl->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    (info.flags & CKF_TOKEN_INITIALIZED) == 0) {
			slot = slots[i];
			found = 1;
		}
	}
	if (!found) {
		r = cs_error(ctx, CERTSEAL_E_TOKEN_ABSENT, "SoftHSM2: no free "
		    "slot to create the admin token in");
		goto out;
	}
	memset(label, ' ', sizeof(label));
	memcpy(label, EMBEDDED_LABEL, strlen(EMBEDDED_LABEL));
	if ((rv = fl->C_InitToken(slot, (CK_UTF8CHAR_PTR)so_pin,
	    strlen(so_pin), label)) != CKR_OK) {
		r = cs_p11_error(ctx, rv, "SoftHSM2: creating the token");
		goto out;
	}
	/* SoftHSM2 moves a new token to another slot: find it by label. */
	nslots = 64;
	found = 0;
	if ((rv = fl->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK) {
		r = cs_p11_error(ctx, rv, "SoftHSM2: listing slots");
		goto out;
	}
	for (i = 0; i < nslots && !found; i++) {
		if (fl->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    (info.flags & CKF_TOKEN_INITIALIZED) != 0 &&
		    memcmp(info.label, label, sizeof(label)) == 0) {
			slot = slots[i];
			found = 1;
		}
	}
	if (!found) {
		r = cs_error(ctx, CERTSEAL_E_TOKEN_ABSENT, "SoftHSM2: the new "
		    "token did not appear");
		goto out;
	}
	if ((rv = fl->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &session)) != CKR_OK ||
	    (rv = fl->C_Login(session, CKU_SO, (CK_UTF8CHAR_PTR)so_pin,
	    strlen(so_pin))) != CKR_OK ||
	    (rv = fl->C_InitPIN(session, (CK_UTF8CHAR_PTR)user_pin,
	    strlen(user_pin))) != CKR_OK) {
		r = cs_p11_error(ctx, rv, "SoftHSM2: setting the user PIN");
		goto out;
	}
	(void)fl->C_Logout(session);
	r = 0; /* success */
 out:
	if (session != CK_INVALID_HANDLE)
		(void)fl->C_CloseSession(session);
	cs_p11_unlock();
	cs_p11_module_unref(m);
	return r;
}

/*
 * Creates DIR/token/{softhsm2.conf,tokens/,user.pin,so.pin} and returns
 * the token URI and the configuration path.
 */
static int
create_embedded_token(certseal_ctx *ctx, const char *profile_dir,
    char **uri_out, char **conf_out, int *made_dir)
{
	struct stat st;
	char *dir = NULL, *tokens = NULL, *conf = NULL, *text = NULL;
	char *pinpath = NULL, *sopath = NULL, *esc = NULL;
	char pin[33], so_pin[33];
	int r;

	*uri_out = NULL;
	*conf_out = NULL;
	if (asprintf(&dir, "%s/token", profile_dir) < 0 ||
	    asprintf(&tokens, "%s/tokens", dir) < 0 ||
	    asprintf(&conf, "%s/softhsm2.conf", dir) < 0 ||
	    asprintf(&pinpath, "%s/user.pin", dir) < 0 ||
	    asprintf(&sopath, "%s/so.pin", dir) < 0 ||
	    asprintf(&text, "directories.tokendir = %s\n"
	    "objectstore.backend = file\nlog.level = ERROR\n"
	    "slots.removable = false\n", tokens) < 0) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	/* Never over (or into) a token someone may still need. */
	if (lstat(dir, &st) == 0) {
		r = cs_error(ctx, CERTSEAL_E_STATE, "%s already exists; move "
		    "it away (it may hold keys), or give --token", dir);
		goto out;
	}
	*made_dir = 1;
	if ((r = cs_mkdir_p(ctx, tokens, 0700)) != 0 ||
	    (r = cs_atomic_write(ctx, conf, text, strlen(text), 0600)) != 0 ||
	    (r = write_random_pin(ctx, pinpath, pin, sizeof(pin))) != 0 ||
	    (r = write_random_pin(ctx, sopath, so_pin, sizeof(so_pin))) != 0)
		goto out;
	/* The embedded token's configuration wins over an exported one. */
	admin_use_softhsm_conf(conf);
	if ((r = init_softhsm_token(ctx, so_pin, pin)) != 0)
		goto out;
	if ((esc = uri_escape(pinpath)) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	if (asprintf(uri_out, "pkcs11:token=" EMBEDDED_LABEL
	    "?module-path=%s&pin-source=%s", CS_SOFTHSM_MODULE, esc) < 0) {
		*uri_out = NULL;
		r = cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	*conf_out = conf;
	conf = NULL;
	r = 0; /* success */
 out:
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(so_pin, sizeof(so_pin));
	free(dir);
	free(tokens);
	free(conf);
	free(text);
	free(pinpath);
	free(sopath);
	free(esc);
	return r;
}

/* Opens the token the URI names and logs in: proof that the URI works. */
static int
check_token(certseal_ctx *ctx, const char *uri_text)
{
	struct cs_p11_uri *uri = NULL;
	struct cs_p11_token *tok = NULL;
	int r;

	if ((r = cs_p11_uri_parse(ctx, uri_text, &uri)) == 0 &&
	    (r = cs_p11_token_open(ctx, uri, &tok)) == 0)
		r = cs_p11_token_login(ctx, tok, cs_p11_uri_pin_source(uri),
		    cs_p11_uri_pin_value(uri));
	cs_p11_token_unref(tok);
	cs_p11_uri_free(uri);
	return r;
}

static char *
absolute(const char *path)
{
	char cwd[4096], *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

struct init_args {
	const char	*token;		/* NULL: an embedded SoftHSM2 token */
	const char	*config;
	const char	*name;
	const char	*reports;
};

/* -1 to go on, else the exit code (help, usage error). */
static int
parse_init(int argc, char **argv, struct init_args *ia)
{
	static const struct option longopts[] = {
		{ "token",	required_argument, NULL, 't' },
		{ "config",	required_argument, NULL, 'c' },
		{ "name",	required_argument, NULL, 'n' },
		{ "reports",	required_argument, NULL, 'r' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(ia, 0, sizeof(*ia));
	ia->name = "config";
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 't': ia->token = optarg; break;
		case 'c': ia->config = optarg; break;
		case 'n': ia->name = optarg; break;
		case 'r': ia->reports = optarg; break;
		case 'h':
			printf("usage: certseal-admin %s\n", INIT_SYNOPSIS);
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("init: bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("usage: certseal-admin %s",
		    INIT_SYNOPSIS);
	if (strlen(ia->name) == 0 || strlen(ia->name) > 256)
		return cli_usage_error("init: --name must be 1 to 256 bytes");
	return -1;
}

/*
 * What the new profile p (in dir) says: the token, the configuration's
 * name and path (default: dir/NAME.sealed), the reports directory.
 */
static int
fill_profile(certseal_ctx *ctx, struct profile *p, const char *dir,
    const struct init_args *ia, const char *token)
{
	if ((p->token_uri = strdup(token)) == NULL ||
	    (p->config_name = strdup(ia->name)) == NULL)
		return cs_nomem(ctx);
	if (ia->config != NULL)
		p->config_path = absolute(ia->config);
	else if (asprintf(&p->config_path, "%s/%s.sealed", dir,
	    ia->name) < 0)
		p->config_path = NULL;
	if (p->config_path == NULL || (ia->reports != NULL &&
	    (p->reports_dir = absolute(ia->reports)) == NULL))
		return cs_nomem(ctx);
	return 0;
}

/*
 * After the profile exists: the first verified copy of an embedded token
 * (token-backup.c; best effort, the next change takes one too), and what
 * the admin should know.
 */
static void
announce_profile(certseal_ctx *ctx, struct profile *p, const char *path,
    const char *dir)
{
	struct cs_p11_uri *puri = NULL;
	struct cs_p11_token *tok = NULL;

	if (p->softhsm_conf != NULL &&
	    cs_p11_uri_parse(ctx, p->token_uri, &puri) == 0 &&
	    cs_p11_token_open(ctx, puri, &tok) == 0 &&
	    cs_p11_token_login(ctx, tok, cs_p11_uri_pin_source(puri),
	    cs_p11_uri_pin_value(puri)) == 0)
		(void)token_backup_take(ctx, p, tok);
	cs_p11_token_unref(tok);
	cs_p11_uri_free(puri);
	cli_info("profile %s created for token %s", path, p->token_uri);
	/*
	 * SoftHSM2 rewrites its object files in place; a crash at the wrong
	 * moment can empty them (docs/SECURITY.md).  The signing keys cannot
	 * be exported, so a copy of the token directory is the only backup.
	 */
	if (p->softhsm_conf != NULL)
		cli_info("back up %s/token (the "
		    "SoftHSM2 token with the signing keys, and its PIN) "
		    "somewhere safe; it cannot be recreated (certseal-admin "
		    "keeps a copy in %s/token/backup against crashes, not "
		    "against losing the disk)", dir, dir);
}

int
cmd_init(int argc, char **argv)
{
	struct init_args ia;
	const char *token;
	certseal_ctx *ctx = NULL;
	struct profile *p = NULL;
	char *path = NULL, *dir = NULL, *uri = NULL, *conf = NULL;
	char *tokdir = NULL, *lock = NULL;
	struct stat st;
	int r, made_profile_dir = 0, made_token_dir = 0, locked = 0;
	int wrote_profile = 0;
	int code = CLI_EXIT_OTHER;

	if ((code = parse_init(argc, argv, &ia)) >= 0)
		return code;
	code = CLI_EXIT_OTHER;
	if ((r = cli_ctx_new(&ctx)) != 0)
		return cli_fail(NULL, r, "init");
	if ((path = profile_default_path(admin_profile_option)) == NULL ||
	    (dir = dir_of(path)) == NULL) {
		code = cli_fail(ctx, CERTSEAL_E_NOMEM, "init");
		goto out;
	}
	if (asprintf(&tokdir, "%s/token", dir) < 0 ||
	    asprintf(&lock, "%s.lock", path) < 0) {
		tokdir = lock = NULL;
		code = cli_fail(ctx, CERTSEAL_E_NOMEM, "init");
		goto out;
	}
	made_profile_dir = lstat(dir, &st) != 0;
	if ((r = cs_mkdir_p(ctx, dir, 0700)) != 0 ||
	    (r = profile_new(ctx, path, &p)) != 0) {
		code = cli_fail(ctx, r, "init");
		goto out;
	}
	/* A lock file that was there before is not ours to remove. */
	locked = lstat(lock, &st) != 0;
	if ((r = profile_lock(ctx, p)) != 0) {
		locked = 0;
		code = cli_fail(ctx, r, "init");
		goto out;
	}
	/* Checked under the lock: two inits cannot both create one. */
	if (stat(path, &st) == 0) {
		locked = 0;	/* the lock belongs to that profile */
		made_profile_dir = 0;
		code = cli_fail(ctx, CERTSEAL_E_STATE, "%s: a profile already "
		    "exists; use it, or choose another with --profile", path);
		goto out;
	}
	if ((token = ia.token) == NULL) {
		if ((r = create_embedded_token(ctx, dir, &uri, &conf,
		    &made_token_dir)) != 0) {
			code = cli_fail(ctx, r, "init: embedded SoftHSM2 "
			    "token");
			goto out;
		}
		token = uri;
	} else if ((r = check_token(ctx, token)) != 0) {
		code = cli_fail(ctx, r, "init: --token");
		goto out;
	}
	if ((r = fill_profile(ctx, p, dir, &ia, token)) != 0) {
		code = cli_fail(ctx, r, "init");
		goto out;
	}
	p->softhsm_conf = conf;
	conf = NULL;
	/* A save that fails after its rename leaves the file: ours too. */
	wrote_profile = 1;
	if ((r = profile_save(ctx, p)) != 0) {
		code = cli_fail(ctx, r, "init");
		goto out;
	}
	/* The profile exists: from here on nothing is undone. */
	made_profile_dir = made_token_dir = locked = wrote_profile = 0;
	announce_profile(ctx, p, path, dir);
	code = CLI_EXIT_OK;
 out:
	/*
	 * A failed init leaves nothing behind: no half-made token directory,
	 * no lock file, no directory it made.  (Unlinking the lock while it
	 * is held: profile_lock re-checks the inode it locked.)
	 */
	if (wrote_profile)
		(void)unlink(path);
	if (made_token_dir)
		admin_rm_tree(tokdir);
	if (locked)
		(void)unlink(lock);
	profile_free(p);
	if (made_profile_dir)
		(void)rmdir(dir);
	free(tokdir);
	free(lock);
	free(path);
	free(dir);
	free(uri);
	free(conf);
	certseal_ctx_free(ctx);
	return code;
}
