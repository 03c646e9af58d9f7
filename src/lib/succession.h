/*
 * succession.h - enrolled clients following a pair exchange (DESIGN.md
 * section 8): a signer the client does not trust yet is accepted when the
 * file carries a cross-certificate for it issued by a signer it trusts,
 * and from then on trusted (succession, never first use).
 */
#ifndef CS_SUCCESSION_H
#define CS_SUCCESSION_H

#include "internal.h"

struct cs_succession {
	STACK_OF(X509)	*added;		/* successors now trusted, in order */
};

/*
 * Adds to `trusted` the successors that the SignedData sd vouches for:
 * certificates of sd whose public key a cross-certificate in sd binds,
 * the cross-certificate being valid now, marked CS_OID_SUCCESSION (so a
 * client certificate, also issued by a trusted signer, never counts),
 * for signing only, and signed by a certificate in `trusted` (or by a
 * successor added before it: a client that missed several exchanges).
 * Only for a client whose key was certified by the admin (key_cert not
 * self-signed): clients with an exported pair keep the turn-1 rule.
 */
int cs_succession_extend(certseal_ctx *ctx, CMS_ContentInfo *sd,
    X509 *key_cert, STACK_OF(X509) *trusted, struct cs_succession *out);

/*
 * After a file verified with signer `used`: when used is a successor,
 * records every successor as a trusted signer of src (warns on failure:
 * the next file carries the cross-certificate again).
 */
void cs_succession_persist(certseal_ctx *ctx, struct cs_source *src,
    const struct cs_succession *s, X509 *used);

void cs_succession_release(struct cs_succession *s);

#endif /* CS_SUCCESSION_H */
