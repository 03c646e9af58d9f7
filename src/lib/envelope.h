/*
 * envelope.h - the sealed file (DESIGN.md section 3, docs/FORMAT.md):
 * AuthEnvelopedData (AES-256-GCM) around a SignedData whose content is the
 * configuration.  Sealing, detecting, opening and inspecting.
 */
#ifndef CS_ENVELOPE_H
#define CS_ENVELOPE_H

#include <jansson.h>

#include "internal.h"

/*
 * certseal's own signed attributes live under the arc 2.25.<uuid>
 * (UUID 1673d0a0-6470-4c09-afc4-0ab1db56c397, ITU-T X.667), see
 * docs/FORMAT.md.
 */
#define CS_OID_ARC	"2.25.29844361494787475963376958306872902551"
#define CS_OID_CONFIG_NAME	CS_OID_ARC ".1"	/* UTF8String */
#define CS_OID_SEQUENCE		CS_OID_ARC ".2"	/* INTEGER >= 0 */

/* Largest configuration name carried in the signed attributes. */
#define CS_CONFIG_NAME_MAX	256

/*
 * Largest file read where a sealed file may be (open, inspect, show, the
 * admin re-reading its configuration): the largest configuration,
 * base64-encoded with line breaks, plus room for recipients and signer
 * certificates.  Every such reader takes this one, so what `save` writes
 * every reader can read; a plaintext is held to CERTSEAL_MAX_CONFIG_SIZE
 * by the open and the seal.
 */
#define CS_MAX_SEALED_SIZE \
	(CERTSEAL_MAX_CONFIG_SIZE / 2 * 3 + (size_t)16 * 1024 * 1024)

/*
 * How a sealed file is written (docs/FORMAT.md, "Armour"): PEM text, the
 * default, or the bare DER, about 26 % smaller (a PEM line carries 48
 * bytes in 65), which large fleets choose.  Readers take either.
 */
enum cs_armour {
	CS_ARMOUR_PEM = 0,
	CS_ARMOUR_DER = 1
};

/* One recipient of a sealed file. */
struct cs_seal_recipient {
	X509		*cert;		/* borrowed; RSA or EC P-256/P-384 */
	const EVP_MD	*oaep_md;	/* RSA only; NULL means SHA-256 */
};

struct cs_seal_params {
	const char	*name;		/* configuration name, or NULL */
	uint64_t	 sequence;
	const struct cs_seal_recipient *recipients;
	size_t		 nrecipients;	/* at least 1 */
	const struct cs_key *const *signers;	/* borrowed */
	size_t		 nsigners;	/* at least 1 */
	/*
	 * optional: more certificates for the SignedData's certificates
	 * (cross-certificates of a pair exchange, DESIGN.md section 8);
	 * borrowed, may be NULL.
	 */
	STACK_OF(X509)	*extra_certs;
	enum cs_armour	 armour;	/* 0 (memset) is PEM */
};

/*
 * Seals `in` to the recipients, signed by each signer.  Recipients whose
 * certificate is expired or not yet valid are refused (CERTSEAL_E_EXPIRED);
 * recipients without a subjectKeyIdentifier or with another key type are a
 * usage error.  *out receives the PEM text (-----BEGIN CMS-----), or the
 * DER bytes when params->armour is CS_ARMOUR_DER (malloc'ed; free()).
 */
int cs_envelope_seal(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params, uint8_t **out, size_t *outlen);

/*
 * The same in two steps, for a file of any size: cs_sealing_new checks,
 * signs and wraps the content key for each recipient (every error a seal
 * can meet but a write's); `in` is borrowed until cs_sealing_free.
 * cs_sealing_write then writes the file to fd, once, encrypting as it
 * goes: nothing is written before, and nothing beyond the content is held
 * but a few hundred KiB.  cs_sealing_size is the file's size.
 */
struct cs_sealing;
int cs_sealing_new(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params, struct cs_sealing **out);
size_t cs_sealing_size(const struct cs_sealing *s);
int cs_sealing_write(certseal_ctx *ctx, struct cs_sealing *s, int fd);
void cs_sealing_free(struct cs_sealing *s);

/*
 * 1 when data looks sealed: a PEM CMS or PKCS7 header, or a DER
 * ContentInfo prefix (SEQUENCE then a PKCS#7/CMS content-type OID).
 * Such data must parse as CMS or it is an integrity error, never plaintext.
 */
int cs_envelope_looks_sealed(const uint8_t *data, size_t len);

/*
 * The armour of data that looks sealed, decided on its first bytes:
 * CS_ARMOUR_DER for binary (a DER/BER SEQUENCE), CS_ARMOUR_PEM for text;
 * -1 when data does not look sealed.
 */
int cs_envelope_armour(const uint8_t *data, size_t len);

/*
 * Opens data with the context's sources (CS_DEFAULT_SOURCE when none):
 * plaintext passes through unless strict; sealed data is matched to a
 * recipient by identifier, checked against the algorithm whitelist,
 * decrypted into memory and its signature verified against the signers
 * the sources trust; anti-rollback is applied when a state directory is
 * set.  Plaintext is released only when everything verified.
 */
int cs_envelope_open(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, certseal_config **out);

/*
 * Describes a file without any key: sealed or not, content encryption,
 * each recipient (kind, identifier, key transport/agreement parameters and
 * whether the whitelist accepts it).  When a source can open the file,
 * the inner signers, name and sequence are added.  *out is a new object.
 */
int cs_envelope_inspect(certseal_ctx *ctx, const uint8_t *data, size_t len,
    json_t **out);

/* What certseal_open_* return. */
struct certseal_config {
	struct cs_secret *plain;	/* wiped on free */
	int		 sealed;
	int		 is_signed;
	char		*name;		/* from signed attributes, or NULL */
	uint64_t	 sequence;
	int		 has_sequence;
	char		*signer;	/* one-line subject, or NULL */
	char		*source_uri;	/* source that opened it, or NULL */
	char		 keyid_hex[2 * 64 + 1];
};

#endif /* CS_ENVELOPE_H */
