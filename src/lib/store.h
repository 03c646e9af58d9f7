/*
 * store.h - the local certificate store behind store: URIs and
 * `certseal store import | list | remove` (DESIGN.md section 4).
 *
 * Layout.  ROOT is CERTSEAL_STORE_ROOT, else CS_STORE_DIR (configure
 * --with-store-dir) for LocalMachine, and $XDG_DATA_HOME/certseal/stores
 * (default ~/.local/share/certseal/stores) for CurrentUser:
 *
 *   ROOT/<Location>/<Store>/                          0700
 *     keys/<skid-hex>.pem      private key (PKCS#8, unencrypted) followed
 *                              by its certificate                0600
 *     keys/<skid-hex>.json     metadata: label, imported_at, source bundle,
 *                              subject, not_after (for list)    0600
 *     by-issuer-serial/<sha256(issuer DER || serial DER) hex>
 *                              one line: the skid-hex of the key 0600
 *     signers/<sha256-fingerprint-hex>.pem   trusted signer cert 0600
 *     signers/<sha256-fingerprint-hex>.json  its metadata         0600
 *
 * The file name is the index: looking a key up by subjectKeyIdentifier is
 * one open() of keys/<skid-hex>.pem, by issuer and serial one open() of
 * the pointer file and one of the key; the open path never reads a
 * directory, so 10 000 entries cost what one does.  A pointer is only a
 * hint: the loaded certificate is always matched against the recipient.
 *
 * Protection.  Like a Windows machine store or ~/.ssh, the store's secrecy
 * is the file system's: keys are not encrypted at rest, directories are
 * 0700 and files 0600, owned by the user that runs the client (or root).
 * A store directory that group or others can reach, or that someone else
 * owns, is refused (CERTSEAL_E_PERMISSION, with a chmod hint); a single
 * entry in that state is skipped with a warning, as is any damaged entry.
 * So is a store whose path another user could redirect: cs_store_open
 * walks it by the rule of dir-safe.c, for reading as for writing.
 */
#ifndef CS_STORE_H
#define CS_STORE_H

#include <jansson.h>

#include "internal.h"

#define CS_STORE_NAME_MAX	64	/* store name, [A-Za-z0-9._-] */
#define CS_STORE_LOCATION_MAX	16	/* "LocalMachine", "CurrentUser" */
#define CS_STORE_ID_MAX		128	/* hex: SKID <= 64 bytes, SHA-256 */

#define CS_STORE_LOCAL_MACHINE	"LocalMachine"
#define CS_STORE_CURRENT_USER	"CurrentUser"
#define CS_STORE_DEFAULT_NAME	"My"

/* Sizes an entry may have; anything bigger is damaged. */
#define CS_STORE_ENTRY_MAX	(64 * 1024)
#define CS_STORE_META_MAX	(16 * 1024)
#define CS_STORE_P12_MAX	(1024 * 1024)

/* A store resolved to its directory. */
struct cs_store_path {
	char	 location[CS_STORE_LOCATION_MAX + 1];	/* canonical */
	char	 name[CS_STORE_NAME_MAX + 1];
	char	*dir;		/* ROOT/<Location>/<Store> */
};

/* --- names and paths (store-path.c) --- */

/*
 * Validates location (case-insensitive; NULL means LocalMachine) and name
 * (NULL means My) and resolves the store directory from the environment.
 * Touches no file.  CERTSEAL_E_BAD_URI names the offending part.
 */
int cs_store_path_init(certseal_ctx *ctx, const char *location,
    const char *name, struct cs_store_path *out);
void cs_store_path_release(struct cs_store_path *sp);

/*
 * Parses "store:", "store:Location", "store:Location/Store" into a
 * canonical location and store name.  A query (?attr=...) is refused: the
 * scheme has no attributes.
 */
int cs_store_uri_parse(certseal_ctx *ctx, const char *uri,
    char location[CS_STORE_LOCATION_MAX + 1],
    char name[CS_STORE_NAME_MAX + 1]);

/*
 * Parses the CLI's --store NAME: "Store" (in LocalMachine),
 * "Location/Store", a store: URI or "[Location]\Store".  NULL or "" means
 * LocalMachine/My.
 */
int cs_store_spec_parse(certseal_ctx *ctx, const char *spec,
    char location[CS_STORE_LOCATION_MAX + 1],
    char name[CS_STORE_NAME_MAX + 1]);

/*
 * Normalises an entry id as a user may type it (upper case, colons) to
 * lower-case hex in out.  CERTSEAL_E_USAGE when it is not hex.
 */
int cs_store_id_normalize(certseal_ctx *ctx, const char *id,
    char out[CS_STORE_ID_MAX + 1]);

/*
 * Opens the store's directory sp->dir, walked from "/" by the rule of
 * cs_dir_open_trusted (no directory or link on the way that another user
 * could change; create: missing directories made 0700, only in checked
 * ones), and checks that it is owned by the caller or root and closed to
 * group and others.  Missing: CERTSEAL_E_NOT_FOUND (message set); unsafe:
 * CERTSEAL_E_PERMISSION.
 */
int cs_store_open(certseal_ctx *ctx, const struct cs_store_path *sp,
    int create, int *fdp);

/*
 * Opens the directory `sub` below dirfd, a store's directory (never
 * following a symlink), with the same owner and mode checks.  ENOENT
 * comes back as CERTSEAL_E_NOT_FOUND (message set), unsafe modes as
 * CERTSEAL_E_PERMISSION.  `shown` is the path for messages.
 */
int cs_store_open_dir(certseal_ctx *ctx, int dirfd, const char *sub,
    const char *shown, int *fdp);

/*
 * Reads the regular file `name` below dirfd (not following a symlink),
 * with the same owner and mode checks, into a wiped buffer of at most
 * max bytes.  ENOENT is CERTSEAL_E_NOT_FOUND.
 */
int cs_store_read_at(certseal_ctx *ctx, int dirfd, const char *name,
    const char *shown, size_t max, struct cs_secret **out);

/* --- entries (store.c) --- */

/*
 * Looks a key up in the store by recipient id (SKID or issuer+serial):
 * one open() of the named entry, never a directory scan.  Returns a new
 * key (free with cs_store_key_free); on a miss a bare code, no message:
 * CERTSEAL_E_NOT_FOUND when the store is missing or holds no key at all,
 * CERTSEAL_E_NO_KEY when the entry or a sound entry is missing (damaged
 * entries are reported with cs_warn and skipped).  CERTSEAL_E_PERMISSION
 * (with a message) for an unsafe store.
 */
int cs_store_find_key(certseal_ctx *ctx, const struct cs_store_path *sp,
    const struct cs_recipient_id *id, struct cs_key **out);

/*
 * The same below a store directory and its keys/ already open (storefd,
 * keysfd from cs_store_open_sub), for a caller that looks up many
 * recipients of one file: CERTSEAL_E_NOT_FOUND for a plain miss (the entry
 * or its issuer-serial pointer is absent), CERTSEAL_E_NO_KEY for an
 * identifier no store entry can have or a damaged entry skipped.
 */
int cs_store_find_key_at(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, int keysfd, const struct cs_recipient_id *id,
    struct cs_key **out);

/* 1 when keys/ (keysfd) holds no entry at all: a store to import into. */
int cs_store_keys_empty(int keysfd);

void cs_store_key_free(struct cs_key *key);

/*
 * Appends the trusted signer certificates of the store (signers/<fp>.pem)
 * to `into`, up-ref'd.  A missing store adds nothing; damaged entries are
 * warned about and skipped.
 */
int cs_store_load_signers(certseal_ctx *ctx, const struct cs_store_path *sp,
    STACK_OF(X509) *into);

/*
 * The same below the store directory storefd and its keys/ (keysfd, -1
 * when absent), both opened and checked by the caller: an open that has
 * looked up its key walks no path again (storefd -1: the path is walked
 * here, as cs_store_load_signers does).  q (may be NULL): for one
 * SignedData (struct cs_signer_query): an entry holding one of the
 * certificates it carries exactly is taken as that certificate instead of
 * being parsed again, and with identifiers, an entry none of them names
 * is left out unparsed (cert-ident.c).
 */
int cs_store_load_signers_at(certseal_ctx *ctx, const struct cs_store_path *sp,
    int storefd, int keysfd, const struct cs_signer_query *q,
    STACK_OF(X509) *into);

/*
 * Appends the certificates of the store's sound key entries to `into`
 * (a directory scan: for readiness reports, not for opening files).
 */
int cs_store_list_certs(certseal_ctx *ctx, const struct cs_store_path *sp,
    STACK_OF(X509) *into);

/* --- management: certseal store import | list | remove (store.c) --- */

enum cs_store_outcome {
	CS_STORE_ADDED = 0,	/* a new entry */
	CS_STORE_PRESENT,	/* the same entry was already there */
	CS_STORE_REPLACED,	/* a different or damaged entry was replaced */
};

/* "added", "already present", "replaced". */
const char *cs_store_outcome_name(enum cs_store_outcome o);

struct cs_store_import_item {
	char	 id[CS_STORE_ID_MAX + 1];	/* skid-hex or fingerprint */
	char	*subject;			/* RFC 2253, one line */
	enum cs_store_outcome outcome;
};

struct cs_store_import_info {
	char	 location[CS_STORE_LOCATION_MAX + 1];
	char	 name[CS_STORE_NAME_MAX + 1];
	struct cs_store_import_item key;	/* the decryption key */
	struct cs_store_import_item *signers;	/* trusted signer certs */
	size_t	 nsigners;
};

/*
 * Imports a PKCS#12 bundle into the store location/name (NULL: the
 * defaults LocalMachine and My): its key and certificate as one entry,
 * its other certificates as trusted signers.  The password comes from
 * pin_source (--password-file), CERTSEAL_PIN or the prompt.  Creates
 * missing directories 0700, writes files 0600 atomically.  Importing the
 * same bundle again changes nothing and says "already present".  A
 * certificate without subjectKeyIdentifier is CERTSEAL_E_USAGE.  *out
 * tells what was added; free it with cs_store_import_info_free.
 */
int cs_store_import(certseal_ctx *ctx, const char *location,
    const char *name, const char *p12_path, const char *pin_source,
    struct cs_store_import_info **out);
void cs_store_import_info_free(struct cs_store_import_info *info);

/* The import result as JSON ({"store", "key": {...}, "signers": [...]}). */
json_t *cs_store_import_info_json(const struct cs_store_import_info *info);

/*
 * Lists the store's entries as a JSON array sorted by kind and id; each
 * object has "id", "kind" ("key" or "signer"), "status" ("ok" or
 * "damaged" plus "problem"), and when readable "subject", "issuer",
 * "serial", "not_after", "label", "imported_at", "source".  A missing
 * store is an empty array.
 */
int cs_store_list(certseal_ctx *ctx, const char *location, const char *name,
    json_t **out);

/*
 * Removes the entry `id` (a key's skid-hex or a signer's fingerprint, as
 * list prints it; case and colons do not matter), damaged or not.
 * CERTSEAL_E_NOT_FOUND when neither exists.  *kindp (optional) receives
 * "key" or "signer".
 */
int cs_store_remove(certseal_ctx *ctx, const char *location,
    const char *name, const char *id, const char **kindp);

/* --- enrolled clients (store-enroll.c, DESIGN.md section 8) --- */

struct cs_keyfile;

/*
 * Writes kf's key and certificate as a key entry and kf->extra as trusted
 * signers, as an import of a bundle named `source` would (store-admin.c).
 */
int cs_store_install(certseal_ctx *ctx, const char *location,
    const char *name, struct cs_keyfile *kf, const char *source,
    struct cs_store_import_info **out);

/*
 * The store's enrolled key (enrolled/key.pem, 0600): read when present
 * (alg, when not NULL, must then be its algorithm), else generated (alg,
 * default rsa-3072) and written.  *created says which.
 */
int cs_store_enroll_key(certseal_ctx *ctx, const char *location,
    const char *name, const char *alg, EVP_PKEY **out, int *created);

/* Writes cert as a trusted signer of the store (signers/<fp>.pem). */
int cs_store_add_signer(certseal_ctx *ctx, const struct cs_store_path *sp,
    X509 *cert, const char *source);

/* The store's enrolled key, never made: CERTSEAL_E_NOT_FOUND without. */
int cs_store_enrolled_key(certseal_ctx *ctx, const char *location,
    const char *name, EVP_PKEY **out);

/*
 * Installs the admin's certificate for the enrolled key (checked with
 * cs_enroll_check_bundle) and its signers, through cs_store_install.
 */
int cs_store_enroll_finish(certseal_ctx *ctx, const char *location,
    const char *name, X509 *cert, STACK_OF(X509) *signers,
    const char *source, struct cs_store_import_info **out);

#endif /* CS_STORE_H */
