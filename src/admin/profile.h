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
#define PROFILE_MAX_SIZE	(4 * 1024 * 1024)
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

#endif /* CS_PROFILE_H */
