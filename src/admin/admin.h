/*
 * admin.h - certseal-admin: the shared admin session and the command
 * groups, one file each.
 */
#ifndef CS_ADMIN_H
#define CS_ADMIN_H

#include "cli.h"
#include "envelope.h"
#include "internal.h"
#include "p11.h"
#include "profile.h"

/* --profile, or NULL for the default (profile_default_path). */
extern const char *admin_profile_option;
/* --no-wait: a held profile lock fails at once. */
extern int admin_no_wait;

/* save -o -: the sealed file is binary (DER). */
#define ADMIN_SEALED_NOT_ON_TTY	"the sealed file is binary"

/* --help of every command and verb (help.c). */
extern const struct cli_help admin_help[];
extern const size_t admin_help_count;
#define ADMIN_GLOBAL_HELP \
	"--profile FILE\tthe profile (else CERTSEAL_PROFILE, "\
	"~/.config/certseal/profile.json)\n" \
	"--no-wait\tfail at once when another command holds the profile\n" \
	"--json\tJSON on stdout, also for errors\n" \
	"-q, --quiet\tno success messages on stderr\n" \
	"-v, --verbose\tsay which profile, token and files are used"

/*
 * What most admin commands work with: a context (prompt and warnings on
 * the terminal), the profile, and the admin token, logged in once.
 */
struct admin {
	certseal_ctx		*ctx;
	struct profile		*profile;
	struct cs_p11_uri	*uri;
	struct cs_p11_token	*tok;
	/* highest sequence seen in an own file at the configuration path */
	uint64_t		 seen_sequence;
};

#define ADMIN_LOCK	0x01	/* hold the profile lock until close */
#define ADMIN_TOKEN	0x02	/* open the token and log in */

/*
 * Opens the session; on failure prints the one-line error and returns the
 * exit code (the caller still calls admin_close).
 */
int admin_open(struct admin *a, unsigned int flags);
void admin_close(struct admin *a);

/*
 * Points the SoftHSM2 module at an embedded token's configuration; it
 * wins over an exported SOFTHSM2_CONF, which is remembered.
 */
void admin_use_softhsm_conf(const char *conf);

/*
 * CERTSEAL_E_USAGE when the token uri_text may be a SoftHSM2 token of
 * the exported configuration while the admin token needs the profile's:
 * one process cannot use both.  `what` begins the message.
 */
int admin_softhsm_conflict(struct admin *a, const char *uri_text,
    const char *what);

/*
 * Takes a verified copy of the embedded token (token-backup.c) after the
 * command changed its objects; a failure is a warning already printed.
 */
int admin_token_changed(struct admin *a);

/* rm -r without following symlinks; system calls only (signal-safe). */
void admin_rm_tree(const char *dir);

/* ---- token-backup.c ---- */

int token_backup_take(certseal_ctx *ctx, const struct profile *p,
    struct cs_p11_token *tok);

/*
 * Before the module loads: restores from the copy what a crash left
 * missing, empty or altered (and says so); *backup_due is set when a new
 * copy should be taken (none yet, restored, or objects it lacks).
 */
int token_backup_check(certseal_ctx *ctx, const struct profile *p,
    int *backup_due);

/* ---- pairs.c: certificate pairs on the token ---- */

/*
 * Generates both key pairs of a pair inside the token (encryption key
 * extractable, signing key never), with certificates valid for `days`,
 * and fills *out (strings owned by *out).
 */
int pair_generate(struct admin *a, const char *algorithm, const char *label,
    int days, int no_export, struct pair *out);

/* The pair's certificates from the token. */
int pair_certs(struct admin *a, const struct pair *pair, X509 **enc,
    X509 **sign);

/* The pair's signing key (token-backed) with its certificate. */
int pair_signing_key(struct admin *a, const struct pair *pair,
    EVP_PKEY **pkey, X509 **cert);

/* Deletes the pair's keys and certificates from the token. */
int pair_delete(struct admin *a, const struct pair *pair);

/* ---- seal-profile.c: sealing with the profile's pairs ---- */

/* Neither --der nor --pem: the armour of the file being replaced. */
#define ADMIN_ARMOUR_KEEP	(-1)

/*
 * The armour to write target in: `asked` when --der or --pem was given;
 * else (ADMIN_ARMOUR_KEEP) the armour of the sealed file that target
 * replaces, so that a fleet's DER file stays DER through every save and
 * edit, and PEM for a new file, standard output ("-" or NULL) or a file
 * that is not sealed.
 */
enum cs_armour admin_output_armour(const char *target, int asked);

/*
 * Writes the sealing to target (a path, or "-" / NULL for stdout) as
 * cli_write_output_ex does a buffer: checked first (flags, why), then
 * written as it is encrypted, atomically into a file (mode 0644).
 */
int admin_write_sealing(certseal_ctx *ctx, const char *target,
    struct cs_sealing *s, unsigned int flags, const char *why);

/* --der and --pem, for the getopt tables of the commands that seal. */
#define ADMIN_OPT_DER		0x100
#define ADMIN_OPT_PEM		0x101
#define ADMIN_ARMOUR_LONGOPTS \
	{ "der",	no_argument,	NULL, ADMIN_OPT_DER }, \
	{ "pem",	no_argument,	NULL, ADMIN_OPT_PEM }

/*
 * Takes the getopt value c (ADMIN_OPT_DER or _PEM) into *armour, which
 * starts as ADMIN_ARMOUR_KEEP: the other one given before is a usage
 * error (printed; its exit code returned), else 0.
 */
int admin_armour_option(int c, const char *cmd, int *armour);

/*
 * Seals plaintext to the active pair (and the pending ones when
 * include_pending), signed by each included pair's token key, with the
 * next sequence number; writes `out` (or the profile's configuration path)
 * atomically, in `armour` (CS_ARMOUR_* or ADMIN_ARMOUR_KEEP, see
 * admin_output_armour), and records the sequence in the profile (lock
 * held).
 */
int admin_seal_and_write(struct admin *a, const uint8_t *plain, size_t len,
    int include_pending, int armour, const char *out);

/* ---- own-config.c: the admin opens what it wrote ---- */

#define OWN_ALLOW_ROLLBACK	0x01	/* --allow-rollback */
#define OWN_MIGRATE		0x02	/* --migrate-plaintext */
#define OWN_MISSING_OK		0x04	/* a missing file is empty (edit) */
#define OWN_ANY			0x08	/* show FILE: anything, with a note */

struct own_config {
	struct cs_secret *plain;
	int		 own;		/* sealed and signed by the profile */
	uint64_t	 sequence;	/* when own */
	char		 note[512];	/* why not own, for show */
};

/*
 * The plaintext of path as the admin may take it.  At the profile's
 * configuration path (whatever the spelling): sealed, signed only by the
 * profile's pairs, with the profile's name (else CERTSEAL_E_UNTRUSTED,
 * exit 4), and not older than the sequence the profile last wrote there
 * (else CERTSEAL_E_ROLLBACK, exit 5, unless OWN_ALLOW_ROLLBACK); plaintext
 * there only with OWN_MIGRATE and before the profile ever sealed there.
 * Another path: plaintext is taken (named on purpose); a sealed file must
 * be the profile's unless OWN_ANY, which opens whatever the token can and
 * says why it is not the profile's in oc->note.  oc->plain is the caller's.
 */
int admin_open_own(struct admin *a, const char *path, unsigned int flags,
    struct own_config *oc);

/* 1 when path is the profile's configuration path (device and inode). */
int admin_is_config_path(struct admin *a, const char *path);

/* 1 when a and b name one file (inode, or resolved place if missing). */
int admin_same_file(const char *a, const char *b);

/*
 * Refuses (CERTSEAL_E_USAGE) an output onto the configuration path or
 * onto the profile's own files: the profile, its lock, the PIN file, the
 * embedded token directory and its backup.
 */
int admin_check_output(struct admin *a, const char *out);

/* The embedded token's directory (softhsm2.conf's), or NULL. */
char *admin_token_dir(const struct profile *p);

/* ---- clients.c: certificates for enrolled clients ---- */

/*
 * Issues the certificate of client `name` for the (verified) request,
 * signed on the token by pair's signing key, valid `days` (at most as
 * long as the signer), SKID = the key ID.
 */
int client_issue(struct admin *a, const struct pair *pair, X509_REQ *req,
    const char *name, int days, X509 **out);

/* PEM of cert followed by the signing certificates of the live pairs. */
int client_bundle(struct admin *a, X509 *cert, char **pem, size_t *len);
/*
 * The --trust-signer options of the client's `enroll --finish`: one per
 * signing certificate client_bundle writes (malloc'ed, NULL when out of
 * memory).  The client does not take NAME.crt's word for its signers.
 */
char *client_bundle_trust_args(const struct profile *p);

/* The certificate as the profile keeps it (base64 DER, malloc'ed). */
int client_cert_base64(X509 *cert, char **out);

/*
 * Certifies next's signing certificate with prev's signing key (on the
 * token): the cross-certificate every save carries, through which enrolled
 * clients that trust prev come to trust next.  Sets next->cross_cert and
 * next->cross_from.
 */
int pair_cross_certify(struct admin *a, const struct pair *prev,
    struct pair *next);

int cmd_client(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_pair(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_token(int argc, char **argv);	/* cmd-token.c */

#endif /* CS_ADMIN_H */
