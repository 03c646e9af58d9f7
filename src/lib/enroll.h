/*
 * enroll.h - what both sides of enrolment (DESIGN.md section 8) agree on:
 * the key ID of a client key, the request (PKCS#10) a client writes, the
 * names a client may have, and the key fingerprint an admin is shown.
 */
#ifndef CS_ENROLL_H
#define CS_ENROLL_H

#include <openssl/x509.h>

#include "internal.h"

#define CS_CLIENT_NAME_MAX	64
#define CS_REQUEST_MAX		(64 * 1024)	/* a request file */
#define CS_ENROLL_LABEL		"certseal client"	/* token key label */

/*
 * The extended key usage of a cross-certificate (DESIGN.md section 8): the
 * previous signing key vouching for the next one.  Under certseal's arc
 * (envelope.h CS_OID_ARC); client certificates never carry it, so a client
 * certificate - also issued by a trusted signer - is never taken for one.
 */
#define CS_OID_SUCCESSION	"2.25.29844361494787475963376958306872902551.3"



/*
 * A client name: 1..64 of [A-Za-z0-9._-], not starting with a dot or a
 * dash - it becomes a file name (NAME.csr, NAME.crt) and a CN.
 */
int cs_client_name_ok(const char *name);

/*
 * The algorithm name of a client or pair key: "rsa-3072", "rsa-4096",
 * "ec-p256", "ec-p384", or NULL for anything else (other RSA sizes: NULL).
 */
const char *cs_key_algorithm(EVP_PKEY *pk);

/* SHA-384 for P-384 keys, SHA-256 otherwise. */
const EVP_MD *cs_key_md(EVP_PKEY *pk);

/*
 * A PKCS#10 request with subject CN=name for pkey, signed with pkey (on
 * the token for a token key): proof of possession.  *out is PEM.
 */
int cs_enroll_request(certseal_ctx *ctx, EVP_PKEY *pkey, const char *name,
    char **out, size_t *lenp);

/*
 * Parses a PEM (or DER) request of at most CS_REQUEST_MAX bytes and checks
 * its signature against its own key.  A request whose signature does not
 * verify is CERTSEAL_E_INTEGRITY; `shown` names it in messages.
 */
int cs_enroll_request_parse(certseal_ctx *ctx, const uint8_t *data,
    size_t len, const char *shown, X509_REQ **out);

/*
 * Parses a certificate file as `enroll --finish` gets it: PEM certificates,
 * the client's first, then its signers.  *client and *signers are new.
 */
int cs_enroll_parse_bundle(certseal_ctx *ctx, const uint8_t *data,
    size_t len, const char *shown, X509 **client, STACK_OF(X509) **signers);

/*
 * Checks a bundle: client's subjectKeyIdentifier is the key ID of pkey,
 * its public key is pkey's, and it is signed by one of the signers.
 */
int cs_enroll_check_bundle(certseal_ctx *ctx, EVP_PKEY *pkey, X509 *client,
    STACK_OF(X509) *signers, const char *shown);

/*
 * Whom a bundle may make trusted signers of the source uri (enroll-trust.c):
 * each of signers must be one the source trusts already (the same
 * certificate) or one whose SHA-256 fingerprint is among confirmed[] (the
 * user's --trust-signer).  The bundle's word alone is not enough: it comes
 * from a directory others may write to.  Anything else is
 * CERTSEAL_E_INTEGRITY, with the fingerprint and what to do; a confirmed
 * fingerprint no signer has is warned about.
 */
#define CS_ENROLL_CONFIRM_MAX	16
int cs_enroll_confirm_signers(certseal_ctx *ctx, const char *uri,
    STACK_OF(X509) *signers, const char (*confirmed)[CS_CERT_FP_HEX + 1],
    size_t nconfirmed, const char *shown);

/*
 * A certificate fingerprint as the user types it: 64 hex digits, upper or
 * lower case, with or without colons or a "SHA256:" prefix (as certseal
 * and `openssl x509 -fingerprint -sha256` print it).  0, or -1.
 */
int cs_enroll_fingerprint_parse(const char *text,
    char out[CS_CERT_FP_HEX + 1]);

/*
 * Readiness reports of enrolled clients (DESIGN.md section 8) are signed
 * with the enrolled key, in a file beside the report (REPORT.sig):
 *
 *	certseal-report-signature 1
 *	key-id <hex key ID>
 *	signature <base64: RSA PKCS#1 v1.5 or ECDSA, SHA-256 (P-384: SHA-384)
 *	           over the report file's bytes>
 */
int cs_report_sign(certseal_ctx *ctx, EVP_PKEY *pk, const uint8_t *data,
    size_t len, char **out, size_t *outlen);

/* 0 when sig (NUL-terminated, siglen bytes) is pub's over data. */
int cs_report_verify(certseal_ctx *ctx, EVP_PKEY *pub, const uint8_t *data,
    size_t len, const char *sig, size_t siglen);

#endif /* CS_ENROLL_H */
