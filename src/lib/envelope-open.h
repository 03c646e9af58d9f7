/*
 * envelope-open.h - the state of one open, shared by envelope-open.c (the
 * steps), envelope-key.c (the recipient's key), envelope-decrypt.c (the
 * content) and envelope-signer.c (the inner SignedData) only.  Each
 * function's comment is at its definition.
 */
#ifndef CS_ENVELOPE_OPEN_H
#define CS_ENVELOPE_OPEN_H

#include "internal.h"
#include "envelope-internal.h"

/*
 * The encryptedContent's value in a buffer of certseal's
 * (cs_open_take_ciphertext): block is freed (with OPENSSL_free when
 * ossl), data to data + len is the ciphertext, and data + room the end
 * of what may be written.
 */
struct ct_buf {
	uint8_t			*block;
	int			 ossl;
	uint8_t			*data;
	size_t			 len;
	size_t			 room;
};

struct open_state {
	certseal_ctx		*ctx;
	const char		*name;
	unsigned int		 opts;
	CMS_ContentInfo		*cms;
	struct cs_der		 der;		/* until cms is parsed */
	struct cs_outer_info	 outer;
	struct cs_raw_recipients raw;		/* read from der */
	struct cs_ri_info	*infos;		/* raw.n verdicts */
	/* The identifiers of accepted and refused recipients, in order. */
	const struct cs_recipient_id **acc, **ref;
	size_t			*acc_rid, *ref_rid; /* their raw.rids[] */
	size_t			 nacc, nref;
	size_t			 chosen;	/* raw.ris[] of st->key */
	struct cs_source	*src;		/* the source whose key is used */
	const struct cs_key	*key;
	struct cs_error_saved	 hard;		/* first hard source error */
	struct cs_error_saved	 signers_hard;	/* first that listed no signers */
	int			 refused_match;	/* key only for refused RIs */
	struct ct_buf		 ct;		/* cut out of der */
	/* The inner SignedData parsed without its eContent, which is... */
	int			 detached;
	size_t			 content_off;	/* ...here in the decryption */
	size_t			 content_len;
};

/* envelope-open.c */
int cs_open_is_strict(const struct open_state *st);

/* envelope-key.c */
int cs_open_ensure_sources(struct open_state *st);
int cs_open_list_ids(struct open_state *st);
int cs_open_find_key(struct open_state *st);
int cs_open_refused_recipient_matches(struct open_state *st);

/* envelope-decrypt.c */
int cs_open_take_ciphertext(struct open_state *st, uint8_t **ownedp);
int cs_open_decrypt_content(struct open_state *st, struct cs_secret **out);
void cs_open_ct_release(struct ct_buf *ct);

/* envelope-signer.c */
int cs_open_parse_signed(struct open_state *st, struct cs_secret *dec,
    CMS_ContentInfo **inner);
int cs_open_verify_signed(struct open_state *st, CMS_ContentInfo *sd,
    struct cs_secret **decp, json_t *signers, struct certseal_config *cfg);

#endif /* CS_ENVELOPE_OPEN_H */
