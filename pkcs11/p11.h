/*
 * p11.h - the token layer: the one place in certseal that talks to PKCS#11
 * modules.
 *
 * Ownership model (see p11-module.c): every module is loaded once per
 * process into a registry keyed by its resolved path and is initialised
 * once; tokens (slot + session + login state) hang off their module and are
 * shared by every context and source in the process, so a token logged in
 * once stays logged in.  Modules are never finalised while the process
 * needs them (C_Finalize would log out every other user); cs_p11_shutdown()
 * finalises idle modules for tests and orderly exits.
 *
 * All PKCS#11 calls are serialised by one process-wide recursive lock
 * (cs_p11_lock), including those made from OpenSSL callbacks during key
 * operations.
 *
 * Conventions: functions return 0 or a negative CERTSEAL_E_* code; results
 * come back through **out, set to NULL on entry; messages name the token,
 * the object and the CKR_* name.
 */
#ifndef CS_P11_H
#define CS_P11_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base.h"

struct cs_p11_uri;
struct cs_p11_module;
struct cs_p11_token;

/* Largest CKA_ID / object value certseal reads or writes. */
#define CS_P11_ID_MAX		64
#define CS_P11_VALUE_MAX	(64 * 1024)

/* ---- p11-error.c: CK_RV -> certseal errors ---- */

/* Static "CKR_PIN_INCORRECT"-style name of rv. */
const char *cs_p11_rv_name(CK_RV rv);

/* The certseal code for rv (CERTSEAL_E_PIN_INCORRECT, _TOKEN_ABSENT...). */
int cs_p11_rv_code(CK_RV rv);

/*
 * Records "what: CKR_NAME (hint)" for rv in ctx and returns the matching
 * certseal code.  `what` names the token and the object.
 */
int cs_p11_error(certseal_ctx *ctx, CK_RV rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Puts "CKR_NAME" on OpenSSL's error queue: for failures inside OpenSSL
 * callbacks (key operations), where no context is at hand.
 */
void cs_p11_raise(CK_RV rv);

/* ---- p11-uri.c: RFC 7512 URIs ---- */

/*
 * Parses a pkcs11: URI.  Unknown path or query attributes, bad
 * percent-encoding or a wrong scheme give CERTSEAL_E_BAD_URI with a
 * message naming the attribute.  pin-value is accepted (cs_pin_get warns
 * when it is used).
 */
int cs_p11_uri_parse(certseal_ctx *ctx, const char *uri,
    struct cs_p11_uri **out);
void cs_p11_uri_free(struct cs_p11_uri *uri);

/* 1 when the URI's token attributes (label, serial, ...) match info. */
int cs_p11_uri_match_token(const struct cs_p11_uri *uri,
    const CK_TOKEN_INFO *info);

/* Query attributes, or NULL when absent. */
const char *cs_p11_uri_module_path(const struct cs_p11_uri *uri);
const char *cs_p11_uri_module_name(const struct cs_p11_uri *uri);
const char *cs_p11_uri_pin_source(const struct cs_p11_uri *uri);
const char *cs_p11_uri_pin_value(const struct cs_p11_uri *uri);
/* certseal's x-init-reserved query attribute (with module-path). */
const char *cs_p11_uri_init_reserved(const struct cs_p11_uri *uri);

/* The object's CKA_ID (NULL if none), label (NULL) and class ((CK_ULONG)-1). */
const uint8_t *cs_p11_uri_id(const struct cs_p11_uri *uri, size_t *lenp);
const char *cs_p11_uri_object(const struct cs_p11_uri *uri);
CK_OBJECT_CLASS cs_p11_uri_class(const struct cs_p11_uri *uri);

/* ---- p11-module.c: the process-wide module registry ---- */

void cs_p11_lock(void);
void cs_p11_unlock(void);

/*
 * Returns a reference to the module at path (loading and initialising it
 * on first use).  C_Initialize answering CKR_CRYPTOKI_ALREADY_INITIALIZED
 * is accepted: someone else in the process owns the module and we never
 * finalise it.
 */
int cs_p11_module_load_path(certseal_ctx *ctx, const char *path,
    struct cs_p11_module **out);

/*
 * Same, passing reserved (NULL: none) as C_INITIALIZE_ARGS.pReserved, as
 * p11-kit does for a module configuration's x-init-reserved (NSS softokn
 * needs its database there).  A library is initialised once per process:
 * asking for it again with other arguments is CERTSEAL_E_MODULE.
 */
int cs_p11_module_load(certseal_ctx *ctx, const char *path,
    const char *reserved, struct cs_p11_module **out);

/* Same, for a p11-kit registered module name ("softhsm2"). */
int cs_p11_module_load_name(certseal_ctx *ctx, const char *name,
    struct cs_p11_module **out);

/*
 * The paths of p11-kit's registered modules, trust-policy modules left
 * out (they hold CA anchors, never keys).  NULL-terminated; free with
 * cs_p11_strv_free.  reserved (optional): their x-init-reserved options,
 * "" when absent, in the same order.
 */
int cs_p11_registered_modules(certseal_ctx *ctx, char ***out,
    char ***reserved);
void cs_p11_strv_free(char **v);

struct cs_p11_module *cs_p11_module_ref(struct cs_p11_module *m);
void cs_p11_module_unref(struct cs_p11_module *m);

/* Function list and resolved path.  Lock held by the caller for calls. */
CK_FUNCTION_LIST *cs_p11_module_fl(const struct cs_p11_module *m);
const char *cs_p11_module_path(const struct cs_p11_module *m);

/*
 * After fork() the child must C_Initialize again; sessions and logins of
 * the parent are gone.  Called (lock held) before any use of a module;
 * bumps the module generation so tokens reopen their sessions.
 */
int cs_p11_module_check_fork(certseal_ctx *ctx, struct cs_p11_module *m);
unsigned int cs_p11_module_generation(const struct cs_p11_module *m);

/*
 * Finalises and unloads every module nobody references any more and that
 * certseal itself initialised.  For tests and orderly exits only: later
 * use loads the module afresh (and needs a new login).
 */
void cs_p11_shutdown(void);

/* ---- p11-session.c: tokens, sessions ---- */

/*
 * Finds the token the URI names: in the module of module-path or
 * module-name, else in p11-kit's registered modules.  Several matching
 * tokens: the first one (in slot order) wins.  No match:
 * CERTSEAL_E_TOKEN_ABSENT.  The token keeps one read-write session (read-
 * only on write-protected tokens), opened here and reused.
 */
int cs_p11_token_open(certseal_ctx *ctx, const struct cs_p11_uri *uri,
    struct cs_p11_token **out);
struct cs_p11_token *cs_p11_token_ref(struct cs_p11_token *tok);
void cs_p11_token_unref(struct cs_p11_token *tok);

/*
 * The token's session, reopened after fork or when the module was
 * re-initialised.  Lock held by the caller.
 */
int cs_p11_token_session(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_SESSION_HANDLE *out);

struct cs_p11_module *cs_p11_token_module(const struct cs_p11_token *tok);
CK_FUNCTION_LIST *cs_p11_token_fl(const struct cs_p11_token *tok);
/* Label, serial, model, manufacturer, trailing blanks removed. */
const char *cs_p11_token_label(const struct cs_p11_token *tok);
const char *cs_p11_token_serial(const struct cs_p11_token *tok);
const char *cs_p11_token_model(const struct cs_p11_token *tok);
const char *cs_p11_token_manufacturer(const struct cs_p11_token *tok);
CK_SLOT_ID cs_p11_token_slot(const struct cs_p11_token *tok);
/* Token generation (changes when sessions were reopened). */
unsigned int cs_p11_token_generation(const struct cs_p11_token *tok);

/* ---- p11-pin.c: login ---- */

/*
 * Logs the token in once per process: a token already logged in (by us or
 * anyone else in the process) is fine.  The PIN comes from
 * cs_pin_get(pin_source, pin_value, "PIN for token 'LABEL'"); protected
 * authentication paths get a NULL PIN.  A wrong PIN is tried exactly once
 * (CERTSEAL_E_PIN_INCORRECT), a locked one is CERTSEAL_E_PIN_LOCKED.
 */
int cs_p11_token_login(certseal_ctx *ctx, struct cs_p11_token *tok,
    const char *pin_source, const char *pin_value);

/* 1 once the token is logged in for this process. */
int cs_p11_token_logged_in(const struct cs_p11_token *tok);

/* How many times C_Login was called in this process (for tests). */
unsigned long cs_p11_login_calls(void);

/* ---- p11-caps.c: what a token can do, asked once ---- */

enum cs_p11_cap {
	CS_CAP_RSA_GEN,		/* CKM_RSA_PKCS_KEY_PAIR_GEN */
	CS_CAP_EC_GEN,		/* CKM_EC_KEY_PAIR_GEN */
	CS_CAP_RSA_PKCS,	/* CKM_RSA_PKCS */
	CS_CAP_RSA_X509,	/* CKM_RSA_X_509 (raw RSA) */
	CS_CAP_RSA_OAEP,	/* CKM_RSA_PKCS_OAEP */
	CS_CAP_RSA_PSS,		/* CKM_RSA_PKCS_PSS */
	CS_CAP_ECDSA,		/* CKM_ECDSA */
	CS_CAP_ECDH,		/* CKM_ECDH1_DERIVE */
	CS_CAP_AES_GEN,		/* CKM_AES_KEY_GEN */
	CS_CAP_AES_WRAP_PAD,	/* CKM_AES_KEY_WRAP_PAD (pair export) */
	CS_CAP__N
};

struct cs_p11_caps {
	int		 known;		/* 0: the module would not say */
	struct {
		int	 present;
		int	 info_read;	/* C_GetMechanismInfo asked */
		CK_FLAGS flags;		/* CKF_DECRYPT, CKF_SIGN, ... */
		CK_ULONG min_bits, max_bits;
	} m[CS_CAP__N];
};

/*
 * The token's mechanisms, every one certseal knows: C_GetMechanismList
 * and C_GetMechanismInfo on first use, remembered for the process
 * (borrowed; lives as long as the token).  For reports and key
 * generation, which look at many.
 */
int cs_p11_token_caps(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_caps **out);

/*
 * cs_p11_caps_has for one mechanism of the token, asking the token only
 * about that one (the list once per token and process, each
 * C_GetMechanismInfo once): a file's open needs one or two of ten, and
 * on a remote token each question is a round trip.  -1 also when the
 * token cannot be asked.
 */
int cs_p11_token_has(certseal_ctx *ctx, struct cs_p11_token *tok,
    enum cs_p11_cap cap, CK_FLAGS need);

/* 1 when cap is offered with every flag in need, 0 not, -1 unknown. */
int cs_p11_caps_has(const struct cs_p11_caps *c, enum cs_p11_cap cap,
    CK_FLAGS need);

/* "CKM_ECDH1_DERIVE" ... */
const char *cs_p11_cap_mech_name(enum cs_p11_cap cap);

/*
 * Whether a key of this type can serve certseal on this token: decrypt
 * a file (sign == 0: ECDH for EC, OAEP or raw RSA for RSA) or sign one.
 * CERTSEAL_E_TOKEN with what to do when it cannot.
 */
int cs_p11_require_key_use(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_KEY_TYPE type, int sign);

/* How many times a token's mechanisms were read (for tests). */
unsigned long cs_p11_caps_reads(void);

/* How many C_GetMechanismInfo calls were made (for tests). */
unsigned long cs_p11_caps_info_reads(void);

/* ---- p11-check.c: the capability report ---- */

/*
 * What the token can do for certseal, as JSON: {module, token{...},
 * mechanisms_known, capabilities{generate_rsa, rsa_key_bits, generate_ec,
 * sign_rsa_pss, sign_rsa_pkcs1, sign_ecdsa, oaep_sha1, oaep_sha256,
 * raw_rsa, ecdh, export, import, non_extractable_keys}, advice[]}.
 * Values: "yes", "no", "native", "raw RSA", "unknown".  Needs no login.
 */
int cs_p11_check_json(certseal_ctx *ctx, struct cs_p11_token *tok,
    json_t **out);

/* The report as a two-column table. */
void cs_p11_check_print(FILE *fp, const json_t *report);

/*
 * Before a report: logs in when uri says how (pin-source or pin-value),
 * since some tokens (a TPM) answer the OAEP-SHA-256 question only to a
 * logged-in user; without either, no PIN is asked for and 0 is returned.
 */
int cs_p11_check_login(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_uri *uri);

/* ---- p11-find.c: objects ---- */

/* One object on a token: handle, class, CKA_ID and label. */
struct cs_p11_object {
	CK_OBJECT_HANDLE handle;
	CK_OBJECT_CLASS	 klass;
	CK_KEY_TYPE	 key_type;	/* keys only */
	uint8_t		 id[CS_P11_ID_MAX];
	size_t		 idlen;
	char		 label[129];
	int		 always_auth;	/* CKA_ALWAYS_AUTHENTICATE (keys) */
};

/*
 * Finds objects of class klass ((CK_ULONG)-1: any) with CKA_ID id (NULL:
 * any) and label (NULL: any).  *out is a calloc'ed array of *np entries
 * (NULL when none).
 */
int cs_p11_find(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_OBJECT_CLASS klass, const uint8_t *id, size_t idlen,
    const char *label, struct cs_p11_object **out, size_t *np);

/* How many object searches this process made (for tests). */
unsigned long cs_p11_find_calls(void);
/* How many token certificates cs_p11_cert_x509 parsed (for tests). */
unsigned long cs_p11_cert_parses(void);

/*
 * Reads one attribute of variable length into a new buffer (at most
 * CS_P11_VALUE_MAX bytes).  Never used for private key material: the
 * layer only reads public attributes (CKA_VALUE of certificates,
 * CKA_MODULUS, CKA_EC_POINT...).
 */
int cs_p11_get_attr(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, uint8_t **out,
    size_t *lenp);

/* Reads a CK_BBOOL attribute (0/1). */
int cs_p11_get_bool(certseal_ctx *ctx, struct cs_p11_token *tok,
    CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, int *out);

/* The X.509 certificates on the token with CKA_ID id (NULL: all). */
int cs_p11_certs(certseal_ctx *ctx, struct cs_p11_token *tok,
    const uint8_t *id, size_t idlen, const char *label,
    STACK_OF(X509) **out, struct cs_p11_object **objs);

/*
 * A certificate object and its CKA_VALUE, parsed only when asked
 * (cs_p11_index_cert): OpenSSL 3.0 decodes a certificate's public key as
 * it parses it, about 1 M instructions each.
 */
struct cs_p11_cert {
	struct cs_p11_object	 obj;
	uint8_t			*der;		/* malloc'ed */
	size_t			 len;
	X509			*x;		/* NULL until parsed */
	int			 unusable;	/* not an X.509 certificate */
};

/* The certificate objects as cs_p11_certs finds them, values unparsed. */
int cs_p11_cert_values(certseal_ctx *ctx, struct cs_p11_token *tok,
    const uint8_t *id, size_t idlen, const char *label,
    struct cs_p11_cert **out, size_t *np);
void cs_p11_cert_values_free(struct cs_p11_cert *certs, size_t n);

/*
 * c as an X509 (borrowed from c), parsed at the first call; when known
 * (may be NULL) holds a certificate of the same encoding, that one is
 * taken instead of a parse (the SignedData carries the signer the token
 * holds, already parsed).  NULL for a value that is not an X.509
 * certificate (attribute certificates, garbage).
 */
X509 *cs_p11_cert_x509(struct cs_p11_cert *c, STACK_OF(X509) *known);

/* Destroys every object with CKA_ID id; *ndestroyed counts them. */
int cs_p11_delete_id(certseal_ctx *ctx, struct cs_p11_token *tok,
    const uint8_t *id, size_t idlen, size_t *ndestroyed);

/* ---- p11-index.c: a token listed once ---- */

/*
 * What a caller of cs_p11_index_recipient knows without parsing: may_be
 * says 0 when certificate i of the index cannot be the one rid names
 * (certseal reads that from the encoding, src/lib/cert-ident.c), and that
 * certificate is then not parsed.  Optional everywhere (NULL).
 */
struct cs_p11_cert_filter {
	int	(*may_be)(void *arg, size_t i, const struct cs_recipient_id *rid);
	void	*arg;
};

/* The certificates and private keys of a token. */
struct cs_p11_index {
	struct cs_p11_cert	*certs;
	size_t			 ncerts;
	struct cs_p11_object	*keys;		/* private keys */
	size_t			 nkeys;
};

/* Lists the token into idx (replacing what idx held only on success). */
int cs_p11_index_read(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_index *idx);

void cs_p11_index_release(struct cs_p11_index *idx);

/*
 * The private key for a recipient, without trying keys: the certificates
 * whose SKID or issuer+serial match, then the private key with that
 * certificate's CKA_ID; else a private key whose CKA_ID equals the SKID
 * (certseal's own keys).  Certificates filter (may be NULL) rules out are
 * not parsed.  *key and *cert point into idx (*cert NULL when only the
 * key was found).  CERTSEAL_E_NO_KEY when there is none.
 */
int cs_p11_index_recipient(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_index *idx, const struct cs_recipient_id *rid,
    const struct cs_p11_cert_filter *filter,
    const struct cs_p11_object **key, X509 **cert);

/*
 * The same search on a fresh listing, as a token-backed key: *pkey, and
 * *cert (a new reference, or NULL when only the key was found).
 */
int cs_p11_find_recipient(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_recipient_id *rid, EVP_PKEY **pkey, X509 **cert);

/* ---- p11-keyops.c: token-backed EVP_PKEYs ---- */

/*
 * An EVP_PKEY whose private operations happen on the token: RSA decrypt
 * (CKM_RSA_PKCS_OAEP with the caller's hashes, else CKM_RSA_X_509 and
 * OAEP unpadding in software), RSA PKCS#1 v1.5 (CKM_RSA_PKCS) and PSS
 * signatures, ECDSA (CKM_ECDSA) and ECDH (CKM_ECDH1_DERIVE).  The public
 * half comes from cert when given, else from the token's public key or the
 * private key's public attributes.  The key holds a token reference.
 * A key with CKA_ALWAYS_AUTHENTICATE logs in (CKU_CONTEXT_SPECIFIC) before
 * each operation with the PIN source of the token's login, prompting
 * through ctx: such a key must not outlive ctx (a source's keys do not).
 */
int cs_p11_key_pkey(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_object *priv, X509 *cert, EVP_PKEY **out);

/* For tests: how many decryptions went native OAEP / raw RSA. */
void cs_p11_keyops_counters(unsigned long *oaep, unsigned long *raw);

/* For tests: how many times the token refused OAEP parameters. */
unsigned long cs_p11_keyops_refusals(void);

/* ---- p11-keygen.c: key pairs and their certificates ---- */

enum cs_p11_alg {
	CS_P11_RSA3072,
	CS_P11_RSA4096,
	CS_P11_EC_P256,
	CS_P11_EC_P384,
};

enum cs_p11_usage {
	CS_P11_USAGE_ENCRYPT,	/* decrypt/unwrap/derive; keyEncipherment */
	CS_P11_USAGE_SIGN,	/* sign; digitalSignature */
};

struct cs_p11_keygen {
	enum cs_p11_alg	 alg;
	enum cs_p11_usage usage;
	int		 extractable;	/* CKA_EXTRACTABLE of the private key */
	const char	*label;		/* CKA_LABEL and certificate CN */
	int		 days;		/* certificate validity */
};

/* Parses "rsa-3072", "rsa-4096", "ec-p256", "ec-p384". */
int cs_p11_alg_parse(const char *name, enum cs_p11_alg *out);

/*
 * p11-caps.c: CERTSEAL_E_TOKEN, before anything is generated, when the
 * token cannot generate alg (mechanism or key size) or, with exportable,
 * cannot export the key afterwards (no AES key wrapping: a TPM).
 */
int cs_p11_require_keygen(certseal_ctx *ctx, struct cs_p11_token *tok,
    enum cs_p11_alg alg, int exportable);

/*
 * Generates a key pair on the token, a self-signed certificate signed on
 * the token, sets CKA_ID = SKID on both keys and stores the certificate.
 * *cert receives the certificate (its SKID is the pair's ID).  On failure
 * the objects created so far are destroyed.
 */
int cs_p11_keygen(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_keygen *params, X509 **cert);

/*
 * An enrolled client's key pair (DESIGN.md section 8): sensitive, never
 * extractable, decrypt/derive and sign, CKA_ID = its key ID (enroll.h),
 * label `label`, no certificate.  *pkey is token-backed.  Objects made so
 * far are destroyed on failure.
 */
int cs_p11_keygen_client(certseal_ctx *ctx, struct cs_p11_token *tok,
    enum cs_p11_alg alg, const char *label, EVP_PKEY **pkey);

/* 1 when the token says it can generate alg's key pairs. */
int cs_p11_can_generate(struct cs_p11_token *tok, enum cs_p11_alg alg);

/* ---- p11-cert.c: certificate objects ---- */

/*
 * Stores cert on the token with a minimal template (class, type, token,
 * value, subject, issuer, serial, id, label) that Cryptoki 2.20 tokens
 * accept.  id NULL: the certificate's SKID.
 */
int cs_p11_cert_store(certseal_ctx *ctx, struct cs_p11_token *tok,
    X509 *cert, const uint8_t *id, size_t idlen, const char *label);

/* ---- p11-export.c: moving an extractable key ---- */

/*
 * Exports the extractable private key with CKA_ID id: wrapped on the token
 * with CKM_AES_KEY_WRAP_PAD under a fresh session AES key, unwrapped in
 * memory; the PKCS#8 bytes are wiped.  CERTSEAL_E_POLICY (with the CKR
 * name) when the key is not extractable.
 */
int cs_p11_export_key(certseal_ctx *ctx, struct cs_p11_token *tok,
    const uint8_t *id, size_t idlen, EVP_PKEY **out);

/*
 * Imports pkey (software) with its certificate and extra certificates
 * into the token: the key is wrapped in memory under a session AES key
 * that was first created on the token, then C_UnwrapKey'ed, so it never
 * reaches disk in plaintext.  CKA_ID = the certificate's SKID; sensitive;
 * extractable only when asked.  One key a CKA_ID: when the token holds
 * this key already (a certificate under the ID has its public key),
 * nothing is written and *present is 1; another private key under the
 * ID is CERTSEAL_E_STATE.
 */
int cs_p11_import_key(certseal_ctx *ctx, struct cs_p11_token *tok,
    EVP_PKEY *pkey, X509 *cert, STACK_OF(X509) *extra, const char *label,
    int extractable, int *present);

/* ---- p11-list.c: what a token holds ---- */

struct cs_p11_entry {
	char		 id_hex[2 * CS_P11_ID_MAX + 1];
	char		 label[129];
	int		 has_private, has_public, has_cert;
	CK_KEY_TYPE	 key_type;
	int		 extractable, sensitive;	/* private key; -1 unknown */
	X509		*cert;		/* or NULL */
};

/* One entry per distinct CKA_ID among keys and certificates. */
int cs_p11_list(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_entry **out, size_t *np);
void cs_p11_list_free(struct cs_p11_entry *e, size_t n);

#endif /* CS_P11_H */
