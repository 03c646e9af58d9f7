/*
 * profile.h - the admin's profile ("save options"): which token, which
 * configuration, the certificate pairs and their states, the sequence
 * counter.  A JSON file, validated on read, written atomically, locked
 * against concurrent admins.
 */
#ifndef CS_PROFILE_H
#define CS_PROFILE_H

#include <stdint.h>
#include <time.h>

#include "certseal/certseal.h"

#define PROFILE_VERSION		1
/* 64 MiB: room for 20 000 enrolled clients with their certificates. */
#define PROFILE_MAX_SIZE	(64 * 1024 * 1024)
#define PROFILE_MAX_PAIRS	1024
#define PAIR_ID_LEN		12	/* hex digits of the pair fingerprint */

enum pair_state {
	PAIR_PENDING = 0,	/* generated, being distributed */
	PAIR_ACTIVE,		/* the configuration is sealed to it */
	PAIR_RETIRED,		/* kept to open and inspect old files */
};

struct pair {
	char		 id[PAIR_ID_LEN + 1];
	char		*label;
	char		*algorithm;	/* rsa-3072, rsa-4096, ec-p256, ec-p384 */
	char		*oaep_hash;	/* RSA: sha256 (default) or sha1 */
	enum pair_state	 state;
	time_t		 created, activated, retired;	/* 0 = never */
	time_t		 not_before, not_after;
	char		*enc_key_id;	/* hex CKA_ID = SKID, encryption */
	char		*sign_key_id;	/* hex CKA_ID = SKID, signing */
	char		*enc_fingerprint;	/* SHA-256 of the certificate */
	char		*sign_fingerprint;
	int		 no_export;	/* encryption key never extractable */
	/*
	 * Succession (DESIGN.md section 8): this pair's signing certificate
	 * certified by the signing key of the pair that was active before
	 * it (base64 DER), and that pair's id.  NULL for the first pair.
	 */
	char		*cross_cert;
	char		*cross_from;
};

/* An enrolled client (DESIGN.md section 8), profile-clients.c. */
#define PROFILE_MAX_CLIENTS	100000
#define CLIENT_CERT_MAX		(16 * 1024)	/* base64 DER */

enum client_state {
	CLIENT_APPROVED = 0,	/* saves seal to it */
	CLIENT_REVOKED,		/* final for its key */
};

struct client {
	char		*name;		/* cs_client_name_ok */
	char		*key_id;	/* hex key ID = the certificate's SKID */
	char		*fingerprint;	/* hex SHA-256 of the SPKI */
	char		*algorithm;
	char		*pair_id;	/* the pair whose signing key issued it */
	char		*cert;		/* base64 DER of its certificate */
	enum client_state state;
	time_t		 approved, revoked;
};

struct profile {
	char		*path;		/* where it lives */
	char		*token_uri;	/* pkcs11: URI of the admin token */
	char		*config_path;	/* the sealed configuration */
	char		*config_name;	/* carried in the signed attributes */
	char		*reports_dir;	/* readiness reports, or NULL */
	char		*softhsm_conf;	/* SOFTHSM2_CONF of an embedded token */
	uint64_t	 sequence;	/* last sequence sealed */
	uint64_t	 config_sequence; /* last one written to config_path */
	struct pair	*pairs;
	size_t		 npairs;
	struct client	*clients;	/* enrolled clients, in approval order */
	size_t		 nclients;
	size_t		 clients_cap;	/* allocated entries */
	int		 lock_fd;	/* flock'ed PATH.lock, or -1 */
};

/*
 * The profile path: --profile, else CERTSEAL_PROFILE, else
 * $XDG_CONFIG_HOME/certseal/profile.json (~/.config/certseal/...).
 * Returns a new string or NULL.
 */
char *profile_default_path(const char *option);

/* A new, empty profile bound to path (not yet written). */
int profile_new(certseal_ctx *ctx, const char *path, struct profile **out);

/*
 * Reads and validates the profile at path.  With lock set, first takes an
 * exclusive lock on PATH.lock that is held until profile_free, so that a
 * read-modify-write by one admin cannot interleave with another's.  A
 * damaged profile is CERTSEAL_E_INTEGRITY with the member that is wrong.
 */
int profile_load(certseal_ctx *ctx, const char *path, int lock,
    struct profile **out);

/* Takes the lock for a profile made by profile_new. */
int profile_lock(certseal_ctx *ctx, struct profile *p);
/*
 * The lock file says who holds it ("pid N, WHO, since T"); a second
 * command calls profile_lock_waiting (when set) before it waits, or fails
 * at once with profile_lock_no_wait.
 */
extern const char *profile_lock_who;
extern int profile_lock_no_wait;
extern void (*profile_lock_waiting)(const char *path, const char *holder);

/* Writes the profile atomically (0600).  The lock should be held. */
int profile_save(certseal_ctx *ctx, const struct profile *p);

/* Releases the lock and frees.  NULL is ok. */
void profile_free(struct profile *p);

/* The pair with this ID (or a unique prefix of at least 4), or NULL. */
struct pair *profile_find_pair(struct profile *p, const char *id);

/* The active pair, or NULL. */
struct pair *profile_active_pair(struct profile *p);

/* Appends a pair (ownership of its strings moves to the profile). */
int profile_add_pair(certseal_ctx *ctx, struct profile *p,
    const struct pair *pair);

/* Removes a pair from the list (frees its strings). */
void profile_remove_pair(struct profile *p, struct pair *pair);

const char *pair_state_name(enum pair_state s);

/* Frees a pair's strings (not the pair itself). */
void pair_release(struct pair *pair);

/* ---- profile-clients.c: enrolled clients ---- */

struct json_t;

/* Reads "clients" of root into p (validated like the rest). */
int profile_read_clients(certseal_ctx *ctx, struct profile *p,
    struct json_t *root);

/* Sets "clients" in root; -1 when out of memory. */
int profile_write_clients(const struct profile *p, struct json_t *root);

void profile_clients_free(struct profile *p);

/* The approved client called name, or NULL. */
struct client *profile_find_client(struct profile *p, const char *name);

/* The client (any state) with this key ID, or NULL. */
struct client *profile_find_client_key(struct profile *p,
    const char *key_id);

/* Appends a client (its strings move to the profile). */
int profile_add_client(certseal_ctx *ctx, struct profile *p,
    const struct client *c);

void client_release(struct client *c);

/* "approved", "revoked". */
const char *client_state_name(enum client_state s);

/* The client's certificate, decoded (new), or NULL. */
X509 *client_cert(const struct client *c);

/* A certificate as the profile keeps it (base64 DER), decoded, or NULL. */
X509 *profile_cert_decode(const char *b64);

#endif /* CS_PROFILE_H */
