/*
 * envelope-internal.h - pieces shared by envelope-*.c and rollback.c:
 * parsing a sealed file, the algorithm whitelist (envelope-policy.c) and
 * the anti-rollback state (rollback.c).
 */
#ifndef CS_ENVELOPE_INTERNAL_H
#define CS_ENVELOPE_INTERNAL_H

#include "envelope.h"

/*
 * A BER element (envelope-ber.c): definite or indefinite length.  body to
 * end is the content (without the end-of-contents octets).
 */
struct cs_ber {
	int			 tag;
	int			 cls;		/* V_ASN1_UNIVERSAL, ... */
	int			 cons;		/* constructed */
	int			 indef;		/* indefinite length */
	const unsigned char	*start;		/* tag byte */
	const unsigned char	*body;
	const unsigned char	*end;		/* end of the content */
};

/*
 * Reads the element at *pp (within end) and advances *pp past it (and
 * past its end-of-contents octets).  -1 on anything that is not BER.
 */
int cs_ber_next(const unsigned char **pp, const unsigned char *end,
    struct cs_ber *e);
int cs_ber_is(const struct cs_ber *e, int cls, int tag, int cons);
/* cs_ber_next of an element that must be of this kind (cs_ber_is). */
int cs_ber_step(const unsigned char **pp, const unsigned char *end,
    struct cs_ber *e, int cls, int tag, int cons);
/*
 * The ContentInfo { contentType, [0] EXPLICIT SEQUENCE } that is all of
 * der: its contentType element and the SEQUENCE inside [0], with nothing
 * after either (definite or indefinite lengths).
 */
int cs_ber_ci_open(const unsigned char *der, size_t len, struct cs_ber *type,
    struct cs_ber *body);
/*
 * The value of a small OCTET STRING (primitive or constructed) with the
 * given class and tag, copied into buf (at most max bytes).
 */
int cs_ber_octets(const struct cs_ber *e, int cls, int tag,
    unsigned char *buf, size_t max, size_t *lenp);
/* The number of elements in a constructed e; max + 1 when over max. */
int cs_ber_count(const struct cs_ber *e, size_t max, size_t *np);
/*
 * The value of a large OCTET STRING e (primitive, or constructed of
 * OCTET STRING segments nested no deeper than OpenSSL's d2i collects
 * them), into dst, or only its length *lenp when dst is NULL (a check
 * that writes nothing).  dst may be e's own bytes (at or before e->body,
 * writable): the value is never longer than its encoding and each
 * segment moves down, over bytes already read.
 */
int cs_ber_collect(const struct cs_ber *e, unsigned char *dst,
    size_t *lenp);
/* Definite-length headers (one tag byte) for elements built anew. */
size_t cs_ber_hdr_len(size_t len);
unsigned char *cs_ber_put_hdr(unsigned char *p, unsigned char tag,
    size_t len);
/* Copies [from, to) to p; returns the end. */
unsigned char *cs_ber_put(unsigned char *p, const unsigned char *from,
    const unsigned char *to);
/*
 * A ContentInfo { type, [0] EXPLICIT SEQUENCE { body } } around a body of
 * bodylen bytes (the reduced copies of envelope-recipients.c and
 * envelope-detach.c): its whole length, and its headers written up to
 * where the body goes.  type..type_end is the contentType element.
 */
size_t cs_ber_ci_len(size_t typelen, size_t bodylen);
unsigned char *cs_ber_put_ci(unsigned char *p, const unsigned char *type,
    const unsigned char *type_end, size_t bodylen);

/*
 * A DER encoding with holes (envelope-skeleton.c): der, one element as
 * OpenSSL encodes it with some primitive values empty, turned into the
 * encoding those values would have at the sizes given - the bytes
 * without the holes' content (len of them), and where in those bytes
 * each hole's content goes.  The writer sends bytes[0, hole_at[0]),
 * hole 0, bytes[hole_at[0], hole_at[1]), hole 1, ... then the rest.
 */
#define CS_SKELETON_MAX_HOLES	2
struct cs_hole {
	const unsigned char	*at;	/* the empty element in der */
	size_t			 size;	/* its content in the file */
};
struct cs_skeleton {
	unsigned char	*bytes;		/* malloc'ed; not secret */
	size_t		 len;
	size_t		 hole_at[CS_SKELETON_MAX_HOLES];
	size_t		 nholes;
	size_t		 total;		/* len and the holes' sizes */
};
/* holes in the order of the encoding; 0 or CERTSEAL_E_INTERNAL. */
int cs_skeleton_build(const unsigned char *der, size_t derlen,
    const struct cs_hole *holes, size_t nholes, struct cs_skeleton *sk);
void cs_skeleton_release(struct cs_skeleton *sk);

/*
 * A sealed file's bytes in its armour (envelope-writer.c), into fd, or
 * into one buffer of the file's size when fd is -1 (cs_writer_take hands
 * it over, with a NUL after it).  derlen is the DER's whole length:
 * cs_writer_finish checks that exactly that much was put.
 */
struct cs_writer {
	enum cs_armour	 armour;
	int		 fd;
	uint8_t		*buf;		/* text not yet written, or the file */
	size_t		 buflen;
	size_t		 bufsize;
	unsigned char	 line[48];	/* PEM: DER of a line begun */
	size_t		 linelen;
	size_t		 total;		/* the file's size */
	size_t		 done;		/* written to fd */
	size_t		 hinted;	/* ... and handed to writeback */
};
size_t cs_armoured_len(enum cs_armour armour, size_t derlen);
int cs_writer_init(certseal_ctx *ctx, struct cs_writer *w,
    enum cs_armour armour, size_t derlen, int fd);
int cs_writer_put(certseal_ctx *ctx, struct cs_writer *w, const void *der,
    size_t n);
int cs_writer_finish(certseal_ctx *ctx, struct cs_writer *w);
uint8_t *cs_writer_take(struct cs_writer *w, size_t *lenp);
void cs_writer_release(struct cs_writer *w);

/*
 * Bounds on what a sealed file may carry (issue 19): a certseal file has
 * one SignerInfo per pair sealed to and a handful of certificates, other
 * producers are similar.  Checked on the encoding, before OpenSSL parses
 * (and before any signer is matched), so that excess costs nothing.
 */
#define CS_MAX_SIGNER_INFOS	64	/* and as many digest algorithms */
#define CS_MAX_CMS_CERTS	256	/* SignedData certificates, CRLs */
#define CS_MAX_ORIGINATOR_CERTS	64	/* OriginatorInfo certs, CRLs */
/* RecipientInfos plus the keys of each KARI: a fleet of 100 000 hosts */
#define CS_MAX_RECIPIENT_IDS	100000

/*
 * Checks the counts above on a ContentInfo's encoding: the outer
 * (Auth)EnvelopedData's OriginatorInfo, or a SignedData's signers,
 * digest algorithms, certificates and CRLs.  Other content types pass.
 * CERTSEAL_E_INTEGRITY with a message naming `what` when over a bound;
 * 0 otherwise, also when the encoding does not parse (OpenSSL says so).
 */
int cs_cms_check_counts(certseal_ctx *ctx, const unsigned char *der,
    long len, const char *name, const char *what);

/*
 * 1 when der is an AuthEnvelopedData with authAttrs (RFC 5083), which
 * OpenSSL 3.0 cannot parse: refused by policy, not called damaged.
 */
int cs_cms_has_auth_attrs(const unsigned char *der, long len);

/*
 * Certificates indexed by SKID and by issuer and serial (recipient-id.c):
 * cs_cert_index_find returns the first certificate of the stack that
 * cs_recipient_id_matches would find, in logarithmic time.  The index
 * borrows the certificates; the stack must outlive it.
 */
struct cs_cert_index;
int cs_cert_index_new(STACK_OF(X509) *certs, struct cs_cert_index **out);
X509 *cs_cert_index_find(const struct cs_cert_index *idx,
    const struct cs_recipient_id *id);
void cs_cert_index_free(struct cs_cert_index *idx);

/* What the outer ContentInfo is, and whether policy accepts it. */
struct cs_outer_info {
	int		 nid;		/* NID of the outer content type */
	int		 aead;		/* 1 for AuthEnvelopedData + GCM */
	int		 cbc;		/* 1 for EnvelopedData + AES-CBC */
	const char	*content_type;	/* "authEnvelopedData", ... */
	const char	*content_encryption; /* "aes-256-gcm", or NULL */
	char		 content_encryption_oid[80];
	size_t		 tag_len;	/* GCM tag length */
	int		 accepted;
	const char	*reason;	/* why not accepted, or NULL */
};

/* One RecipientInfo as the whitelist sees it. */
struct cs_ri_info {
	int		 type;		/* CMS_RECIPINFO_* */
	const char	*type_name;	/* "ktri", "kari", "kekri", ... */
	const char	*key_encryption; /* "rsaes-oaep", "ecdh", ... */
	char		 key_encryption_oid[80];
	const char	*oaep_hash;	/* KTRI OAEP: hash name */
	const char	*mgf1_hash;
	const char	*kdf;		/* KARI: "x9.63-sha256", ... */
	const char	*key_wrap;	/* KARI: "aes256-wrap", ... */
	int		 accepted;
	const char	*reason;	/* why not accepted, or NULL */
};

/*
 * The exact DER a CMS structure was parsed from: into the caller's data
 * (DER input) or a decoded PEM body that cs_der_release frees.
 */
struct cs_der {
	const unsigned char	*p;
	long			 len;
	unsigned char		*owned;
	unsigned char		*writable;	/* p, when it may be changed */
	const char		*form;		/* "DER" or "PEM", for messages */
};
void cs_der_release(struct cs_der *der);

/*
 * The first half of cs_envelope_parse(_inplace): the DER of data, its
 * counts checked (issue 19), not parsed by OpenSSL.
 */
int cs_envelope_decode(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, struct cs_der *der);
int cs_envelope_decode_inplace(certseal_ctx *ctx, uint8_t *data, size_t len,
    const char *name, struct cs_der *der);

/*
 * The second half: the ContentInfo at p (len bytes: der itself, or a
 * reduced copy of it), with the messages of cs_envelope_parse when it does
 * not parse completely.
 */
/* The one "looks sealed but does not parse" error (exit 4). */
int cs_envelope_damaged(certseal_ctx *ctx, const char *name,
    const char *form);
int cs_envelope_d2i(certseal_ctx *ctx, const struct cs_der *der,
    const unsigned char *p, long len, const char *name,
    CMS_ContentInfo **out);

/*
 * Parses data that cs_envelope_looks_sealed() accepted (PEM or DER) into
 * *out.  Anything that does not parse completely is CERTSEAL_E_INTEGRITY.
 * `name` is for messages.
 */
int cs_envelope_parse(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, CMS_ContentInfo **out, struct cs_der *der);

/*
 * The same for a buffer the caller gives up: PEM is decoded in place, so
 * that no second copy of the file is made, and der points into data.
 */
int cs_envelope_parse_inplace(certseal_ctx *ctx, uint8_t *data, size_t len,
    const char *name, CMS_ContentInfo **out, struct cs_der *der);

/* d2i_CMS_ContentInfo that must consume exactly len bytes, or NULL. */
CMS_ContentInfo *cs_cms_d2i_exact(const unsigned char *der, long len);

/*
 * cs_envelope_open with options for inspect: CS_OPEN_INSPECT applies no
 * strict mode and no anti-rollback state.  When signers is not NULL, one
 * object per SignerInfo of the inner SignedData is appended to it
 * (subject, key_id, trusted, signing_time), also when the open fails
 * after decryption.
 */
#define CS_OPEN_INSPECT		0x1u
int cs_envelope_open_ex(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, unsigned int opts, json_t *signers,
    certseal_config **out);

/*
 * cs_envelope_open on a buffer it takes over: *datap (malloc'ed, as
 * cs_read_file returns it) is used in place: the ciphertext is decrypted
 * where it lies, and the configuration handed out is in that buffer (it
 * is wiped and freed with the configuration); else it is wiped and freed
 * as soon as it is no longer needed, on every path.  *datap is set to
 * NULL.  This keeps a large file from being held twice.
 */
int cs_envelope_open_owned(certseal_ctx *ctx, uint8_t **datap, size_t len,
    const char *name, certseal_config **out);

/*
 * Describes the outer structure and applies the content-encryption part
 * of the policy, walking der: the bytes cms was parsed from (exact, so no
 * re-encoding is needed).  Returns CERTSEAL_E_INTEGRITY when the structure
 * breaks the CMS rules certseal checks (versions, GCM parameters), otherwise 0
 * with info->accepted saying whether the algorithms are allowed.
 */
int cs_policy_outer(certseal_ctx *ctx, CMS_ContentInfo *cms,
    const struct cs_der *der, const char *name, struct cs_outer_info *info);

/* cs_policy_outer for the content type nid, before OpenSSL parses der. */
int cs_policy_outer_nid(certseal_ctx *ctx, int nid, const struct cs_der *der,
    const char *name, struct cs_outer_info *info);

/* Describes one RecipientInfo and whether the whitelist accepts it. */
void cs_policy_recipient(CMS_RecipientInfo *ri, struct cs_ri_info *info);

/*
 * The RecipientInfos of an (Auth)EnvelopedData as its encoding spells
 * them (envelope-recipients.c), read without OpenSSL parsing them: a file
 * sealed to 10 000 clients costs its client a walk over their headers,
 * not 10 000 parsed structures (bench/ANALYSIS.md).
 */
struct cs_raw_rid {
	struct cs_recipient_id	 id;	/* what the sources are asked */
	ASN1_OCTET_STRING	 skid;	/* id.keyid: points into the DER... */
	unsigned char		*skid_owned; /* ...or here (constructed BER) */
	X509_NAME		*issuer;	/* owned; issuerAndSerialNumber */
	ASN1_INTEGER		*serial;	/* owned */
	size_t			 ri;		/* its RecipientInfo */
};

struct cs_raw_ri {
	int			 type;		/* CMS_RECIPINFO_* */
	const unsigned char	*start, *end;	/* the element, EOC included */
	const unsigned char	*alg;		/* key-encryption algorithm */
	long			 alg_len;	/* (KTRI, KARI; else 0) */
};

struct cs_raw_recipients {
	struct cs_raw_ri	*ris;
	size_t			 n;
	struct cs_raw_rid	*rids;		/* KTRI: 1 each, KARI: 1 a REK */
	size_t			 nrids;
	/* What a reduced copy keeps byte for byte (cs_raw_reduce). */
	const unsigned char	*type, *type_end;	/* contentType */
	const unsigned char	*head, *head_end;	/* version, originator */
	const unsigned char	*eci, *eci_end;	/* content type, algorithm */
	const unsigned char	*rest, *rest_end;	/* after the content */
	/* encryptedContent, when has_content; its value's length. */
	struct cs_ber		 content;
	int			 has_content;
	size_t			 content_len;
};

/*
 * Reads the recipients of the (Auth)EnvelopedData in der (BER or DER).
 * -1 when they are not well-formed RecipientInfos (the caller says the
 * file is damaged), -2 out of memory.
 */
int cs_raw_recipients_read(const struct cs_der *der,
    struct cs_raw_recipients *out);
void cs_raw_recipients_release(struct cs_raw_recipients *raw);

/*
 * A ContentInfo like the one raw was read from, with only the
 * RecipientInfo `keep` and an empty encryptedContent in place of the one
 * it had, every other element copied byte for byte (BER
 * stays BER inside new definite-length headers), into *outp (malloc'ed).
 * The ciphertext stays where it is, for CMS_dataInit's icont: OpenSSL
 * parses neither thousands of recipients nor a copy of a large content.
 * 0, -1 when over LONG_MAX, -2 out of memory.
 */
int cs_raw_reduce(const struct cs_raw_recipients *raw, size_t keep,
    unsigned char **outp, long *lenp);

/*
 * A SignedData ContentInfo without its eContent (envelope-detach.c):
 * der, len bytes (malloc'ed), for OpenSSL to parse; content, when
 * has_content, the eContent OCTET STRING in the encoding it was cut from,
 * its value content_len bytes (cs_ber_collect checked them).
 */
struct cs_detached {
	unsigned char		*der;
	long			 len;
	struct cs_ber		 content;
	int			 has_content;
	size_t			 content_len;
};

/*
 * The cut copy of the SignedData ContentInfo at der (len bytes, BER or
 * DER).  -1 when der is not a SignedData of the shape this walk reads
 * (the caller parses it whole), -2 out of memory.
 */
int cs_signed_detach(const unsigned char *der, long len,
    struct cs_detached *out);
void cs_detached_release(struct cs_detached *d);

/*
 * Judges raw->n recipients into infos (the verdicts and reasons of
 * cs_policy_recipient), from the algorithm bytes: equal bytes of the same
 * type share a verdict.
 */
void cs_policy_raw_recipients(const struct cs_raw_recipients *raw,
    struct cs_ri_info *infos);

/* Short names for digests the policy knows ("sha256"), or NULL. */
const char *cs_policy_md_name(int nid);

/*
 * Anti-rollback (rollback.c).  cs_rollback_check returns
 * CERTSEAL_E_ROLLBACK when `sequence` is below the highest sequence stored
 * for `name` (unless CERTSEAL_FLAG_ALLOW_ROLLBACK); *newerp is set to 1
 * when it is above it, and cs_rollback_store then records it.
 */
int cs_rollback_check(certseal_ctx *ctx, const char *name, uint64_t sequence,
    int *newerp);
int cs_rollback_store(certseal_ctx *ctx, const char *name, uint64_t sequence);

/* 1 when s (len bytes) is a valid configuration name: UTF-8 text. */
int cs_valid_config_name(const char *s, size_t len);

/*
 * The checks of a sealing before anything is built (envelope-seal-check.c):
 * 0, or the error (usage, expired recipient, too large) set on ctx.
 */
int cs_seal_check_params(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params);

/* Wipes and frees a certseal_config. */
void cs_config_free(struct certseal_config *cfg);

#endif /* CS_ENVELOPE_INTERNAL_H */
