/*
 * admin.h - certseal-admin: the shared admin session and the command
 * groups, one file each.
 */
#ifndef CS_ADMIN_H
#define CS_ADMIN_H

#include "cli.h"
#include "internal.h"
#include "p11.h"
#include "profile.h"

/* --profile, or NULL for the default (profile_default_path). */
extern const char *admin_profile_option;

/*
 * What most admin commands work with: a context (prompt and warnings on
 * the terminal), the profile, and the admin token, logged in once.
 */
struct admin {
	certseal_ctx		*ctx;
	struct profile		*profile;
	struct cs_p11_uri	*uri;
	struct cs_p11_token	*tok;
};

#define ADMIN_LOCK	0x01	/* hold the profile lock until close */
#define ADMIN_TOKEN	0x02	/* open the token and log in */

/*
 * Opens the session; on failure prints the one-line error and returns the
 * exit code (the caller still calls admin_close).
 */
int admin_open(struct admin *a, unsigned int flags);
void admin_close(struct admin *a);

/* Points the SoftHSM2 module at an embedded token's configuration. */
void admin_use_softhsm_conf(const char *conf);

/* ---- pairs.c: certificate pairs on the token ---- */

/*
 * Generates both key pairs of a pair inside the token (encryption key
 * extractable, signing key never), with certificates valid for `days`,
 * and fills *out (strings owned by *out).
 */
int pair_generate(struct admin *a, const char *algorithm, const char *label,
    int days, struct pair *out);

/* The pair's certificates from the token. */
int pair_certs(struct admin *a, const struct pair *pair, X509 **enc,
    X509 **sign);

/* The pair's signing key (token-backed) with its certificate. */
int pair_signing_key(struct admin *a, const struct pair *pair,
    EVP_PKEY **pkey, X509 **cert);

/* Deletes the pair's keys and certificates from the token. */
int pair_delete(struct admin *a, const struct pair *pair);

/* ---- seal-profile.c: sealing with the profile's pairs ---- */

/*
 * Seals plaintext to the active pair (and the pending ones when
 * include_pending), signed by each included pair's token key, with the
 * next sequence number; writes `out` (or the profile's configuration path)
 * atomically and records the sequence in the profile (lock held).
 */
int admin_seal_and_write(struct admin *a, const uint8_t *plain, size_t len,
    int include_pending, const char *out);

/*
 * Opens a sealed configuration with the admin's token (any pair, also
 * retired ones).  Plaintext input is returned as is.
 */
int admin_open_config(struct admin *a, const char *path,
    certseal_config **out);

int cmd_seal(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_pair(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

#endif /* CS_ADMIN_H */
