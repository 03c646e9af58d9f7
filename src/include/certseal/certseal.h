/*
 * certseal.h - open configuration files sealed by certseal.
 *
 * A sealed file is standard CMS: AuthEnvelopedData (AES-256-GCM) around a
 * SignedData that carries the configuration.  An application creates one
 * context, adds CertificateSource URIs (pkcs11:, file:, store:), and opens
 * its configuration as often as it likes: modules, sessions and logins are
 * kept in the context and reused.
 *
 * Conventions: functions that can fail return 0 or a negative
 * CERTSEAL_E_* code; results come back through an out parameter that is set
 * to NULL on entry and assigned only on success.  Free functions accept
 * NULL.
 *
 * Thread safety: a context and everything opened through it belong to one
 * thread at a time.  Separate contexts may be used from separate threads,
 * except that PKCS#11 modules are shared per process and serialised inside
 * the library.
 */
#ifndef CERTSEAL_H
#define CERTSEAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Error codes.  certseal_exit_code() maps each onto the exit codes of the
 * command-line tools (0 ok, 1 other, 2 usage, 3 no key, 4 integrity,
 * 5 policy, 6 token).
 */
#define CERTSEAL_OK			  0
#define CERTSEAL_E_INTERNAL		 -1	/* exit 1 */
#define CERTSEAL_E_USAGE		 -2	/* exit 2: bad argument */
#define CERTSEAL_E_NO_KEY		 -3	/* exit 3: no key for any recipient */
#define CERTSEAL_E_INTEGRITY		 -4	/* exit 4: corrupt, tag/signature */
#define CERTSEAL_E_POLICY		 -5	/* exit 5: refused by policy */
#define CERTSEAL_E_TOKEN		 -6	/* exit 6: module, token, PIN */
#define CERTSEAL_E_NOMEM		-10	/* exit 1 */
#define CERTSEAL_E_IO			-11	/* exit 1: read/write/rename */
#define CERTSEAL_E_NOT_FOUND		-12	/* exit 1: file or entry missing */
#define CERTSEAL_E_PERMISSION		-13	/* exit 1: unsafe file mode */
#define CERTSEAL_E_STATE		-14	/* exit 1: not in this state */
#define CERTSEAL_E_BAD_URI		-20	/* exit 2 */
#define CERTSEAL_E_UNSUPPORTED		-21	/* exit 2: unknown scheme/option */
#define CERTSEAL_E_UNTRUSTED		-40	/* exit 4: no trusted signer */
#define CERTSEAL_E_BAD_SIGNATURE	-41	/* exit 4 */
#define CERTSEAL_E_DECRYPT		-42	/* exit 4: tag or key unwrap */
#define CERTSEAL_E_UNSIGNED		-50	/* exit 5: strict, no signature */
#define CERTSEAL_E_PLAINTEXT		-51	/* exit 5: strict, not sealed */
#define CERTSEAL_E_ROLLBACK		-52	/* exit 5: older sequence */
#define CERTSEAL_E_ALGORITHM		-53	/* exit 5: algorithm not allowed */
#define CERTSEAL_E_EXPIRED		-54	/* exit 5: expired certificate */
#define CERTSEAL_E_TOO_LARGE		-55	/* exit 5: over the size limit */
#define CERTSEAL_E_PIN_INCORRECT	-60	/* exit 6 */
#define CERTSEAL_E_PIN_LOCKED		-61	/* exit 6 */
#define CERTSEAL_E_NO_PIN		-62	/* exit 6: no PIN available */
#define CERTSEAL_E_TOKEN_ABSENT		-63	/* exit 6 */
#define CERTSEAL_E_MODULE		-64	/* exit 6: module not loadable */

/* Largest configuration certseal seals or opens: 256 MiB. */
#define CERTSEAL_MAX_CONFIG_SIZE	((size_t)256 * 1024 * 1024)

/* Flags for certseal_ctx_set_flags(). */
#define CERTSEAL_FLAG_ENCRYPTED_ONLY	0x01u	/* refuse plaintext/unsigned */
#define CERTSEAL_FLAG_ALLOW_ROLLBACK	0x02u	/* accept older sequence */
#define CERTSEAL_FLAG_NO_PROMPT		0x04u	/* never call the prompt */
/* check the anti-rollback state but never write it (certseal check) */
#define CERTSEAL_FLAG_STATE_READ_ONLY	0x08u

typedef struct certseal_ctx certseal_ctx;
typedef struct certseal_config certseal_config;

/*
 * Asks the user for a secret.  `what` names it ("PIN for token 'x'").
 * Writes at most buflen-1 bytes and a NUL into buf; returns 0, or -1 when
 * no answer can be had.  The library wipes buf after use.
 */
typedef int (*certseal_prompt_fn)(const char *what, char *buf, size_t buflen,
    void *arg);

/* Receives warnings (e.g. "pin-value in a URI").  Never a secret. */
typedef void (*certseal_log_fn)(const char *message, void *arg);

/* Static string naming an error code.  Never NULL. */
const char *certseal_strerror(int err);

/* Exit code of the command-line tools for an error code (0..6). */
int certseal_exit_code(int err);

/* Library version string, e.g. "0.1.0". */
const char *certseal_version(void);

/* A new context with no sources.  Caller frees with certseal_ctx_free. */
int certseal_ctx_new(certseal_ctx **out);

/*
 * Frees the context, its sources and cached keys.  NULL is ok.  Tokens
 * stay logged in for the life of the process (PKCS#11 login state is per
 * process, and other contexts may share the token).
 */
void certseal_ctx_free(certseal_ctx *ctx);

/*
 * Adds a CertificateSource URI (pkcs11:, file:, store:, or the Windows
 * spelling [LocalMachine]\My).  Only syntax is checked here; tokens and
 * files are opened when first needed.  Returns CERTSEAL_E_BAD_URI or
 * CERTSEAL_E_UNSUPPORTED on a bad URI.
 */
int certseal_ctx_add_source(certseal_ctx *ctx, const char *uri);

/* Sets CERTSEAL_FLAG_* bits (replacing the previous set). */
void certseal_ctx_set_flags(certseal_ctx *ctx, unsigned int flags);
unsigned int certseal_ctx_get_flags(const certseal_ctx *ctx);

/* Installs the prompt used for PINs and passwords; NULL removes it. */
void certseal_ctx_set_prompt(certseal_ctx *ctx, certseal_prompt_fn fn,
    void *arg);

/* Installs the warning sink; NULL discards warnings. */
void certseal_ctx_set_log(certseal_ctx *ctx, certseal_log_fn fn, void *arg);

/*
 * Directory of the anti-rollback state (per configuration name, the
 * highest sequence accepted).  NULL disables rollback tracking.  The
 * string is copied.
 */
int certseal_ctx_set_state_dir(certseal_ctx *ctx, const char *dir);

/*
 * One line describing the last failure in this context: file, source and
 * what to do.  Owned by the context; valid until the next call.  Empty
 * string when there was no failure.
 */
const char *certseal_ctx_last_error(const certseal_ctx *ctx);

/*
 * Opens a configuration file: sealed files are decrypted and verified,
 * plaintext passes through unless CERTSEAL_FLAG_ENCRYPTED_ONLY is set.
 * A context without sources gets the default store:LocalMachine/My added
 * on the first open.  A source that fails while a later one opens the
 * file is reported through the log callback.
 * On success *out holds the plaintext in a buffer wiped on free.
 */
int certseal_open_file(certseal_ctx *ctx, const char *path,
    certseal_config **out);

/* Same as certseal_open_file on bytes in memory; `name` is for messages. */
int certseal_open_mem(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, certseal_config **out);

/* The plaintext; owned by cfg.  *lenp receives its length. */
const uint8_t *certseal_config_data(const certseal_config *cfg, size_t *lenp);

/* 1 when the file was sealed (encrypted), 0 for passed-through plaintext. */
int certseal_config_is_sealed(const certseal_config *cfg);

/* 1 when a trusted signature was verified. */
int certseal_config_is_signed(const certseal_config *cfg);

/* Configuration name and sequence from the signed attributes (NULL/0). */
const char *certseal_config_name(const certseal_config *cfg);
uint64_t certseal_config_sequence(const certseal_config *cfg);

/* Subject of the verified signer, one line (NULL if unsigned). */
const char *certseal_config_signer(const certseal_config *cfg);

/*
 * URI of the source whose key opened the file (NULL for plaintext), for
 * display: a pin-value in it reads REDACTED, so it does not name the
 * same source again for certseal_ctx_add_source.
 */
const char *certseal_config_source(const certseal_config *cfg);

/* Hex subjectKeyIdentifier of the key that opened the file (or NULL). */
const char *certseal_config_key_id(const certseal_config *cfg);

/* Wipes and frees.  NULL is ok. */
void certseal_config_free(certseal_config *cfg);

#ifdef __cplusplus
}
#endif
#endif /* CERTSEAL_H */
