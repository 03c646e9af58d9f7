/*
 * p11-index.c - the certificates and private keys of a token, listed
 * once, and the search for a CMS recipient's key in that listing.
 *
 * A file sealed to a thousand pairs names a thousand recipients; asking
 * the token once per recipient costs a thousand object searches and,
 * on SoftHSM2's file back end, a re-read of every object file each time.
 * The index lists the token once (two C_FindObjects, one attribute read
 * per object and one per certificate value) and everything after that is
 * a comparison in memory.
 *
 * Key lookup follows the convention of existing smartcards and HSMs: the
 * certificate is the index (it carries the SKID and issuer/serial a CMS
 * recipient names), and the private key shares the certificate's CKA_ID.
 * Keys certseal creates additionally carry CKA_ID = SKID, so a key whose
 * certificate is not on the token is found directly.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "p11.h"

void
cs_p11_index_release(struct cs_p11_index *idx)
{
	if (idx == NULL)
		return;
	cs_p11_cert_values_free(idx->certs, idx->ncerts);
	free(idx->keys);
	memset(idx, 0, sizeof(*idx));
}

int
cs_p11_index_read(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_index *idx)
{
	struct cs_p11_index fresh;
	int r;

	memset(&fresh, 0, sizeof(fresh));
	if ((r = cs_p11_cert_values(ctx, tok, NULL, 0, NULL, &fresh.certs,
	    &fresh.ncerts)) != 0 || (r = cs_p11_find(ctx, tok,
	    CKO_PRIVATE_KEY, NULL, 0, NULL, &fresh.keys, &fresh.nkeys)) != 0) {
		cs_p11_index_release(&fresh);
		return r;
	}
	cs_p11_index_release(idx);
	*idx = fresh;
	return 0;
}

/* The private key with CKA_ID id, or NULL; warns about twins. */
static const struct cs_p11_object *
key_by_id(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_p11_index *idx, const uint8_t *id, size_t idlen)
{
	const struct cs_p11_object *found = NULL;
	size_t i, n = 0;

	for (i = 0; i < idx->nkeys; i++) {
		if (idx->keys[i].idlen != idlen ||
		    memcmp(idx->keys[i].id, id, idlen) != 0)
			continue;
		if (n++ == 0)
			found = &idx->keys[i];
	}
	if (n > 1) {
		/* libp11's classic failure: the wrong twin, "bad decrypt". */
		cs_warn(ctx, "token '%s': %zu private keys share one CKA_ID; "
		    "using the first — give every key a unique ID",
		    cs_p11_token_label(tok), n);
	}
	return found;
}

/*
 * certs[i] when it is the recipient's and its CKA_ID names a private key:
 * 1 with *keyp, else 0.
 */
static int
recipient_cert(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_index *idx, size_t i, const struct cs_recipient_id *rid,
    const struct cs_p11_cert_filter *filter,
    const struct cs_p11_object **keyp)
{
	const struct cs_p11_object *o = &idx->certs[i].obj;
	X509 *x;

	if (o->idlen == 0)
		return 0;
	if (idx->certs[i].x == NULL && filter != NULL &&
	    !filter->may_be(filter->arg, i, rid))
		return 0;
	if ((x = cs_p11_cert_x509(&idx->certs[i], NULL)) == NULL ||
	    !cs_recipient_id_matches(rid, x))
		return 0;
	return (*keyp = key_by_id(ctx, tok, idx, o->id, o->idlen)) != NULL;
}

int
cs_p11_index_recipient(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_index *idx, const struct cs_recipient_id *rid,
    const struct cs_p11_cert_filter *filter,
    const struct cs_p11_object **keyp, X509 **certp)
{
	const struct cs_p11_object *key = NULL;
	size_t i, kl;

	*keyp = NULL;
	*certp = NULL;
	/*
	 * Certificates first: they index keys on any token.  Those whose
	 * CKA_ID is the SKID the recipient names (certseal's own pairs) are
	 * tried first, so that the others - trusted signers, other
	 * applications' certificates - are not parsed for nothing.
	 */
	kl = rid->keyid != NULL ? (size_t)rid->keyid->length : 0;
	for (i = 0; kl > 0 && i < idx->ncerts; i++) {
		if (idx->certs[i].obj.idlen != kl ||
		    memcmp(idx->certs[i].obj.id, rid->keyid->data, kl) != 0 ||
		    !recipient_cert(ctx, tok, idx, i, rid, filter, &key))
			continue;
		*keyp = key;
		*certp = idx->certs[i].x;
		return 0;
	}
	for (i = 0; i < idx->ncerts; i++) {
		if (!recipient_cert(ctx, tok, idx, i, rid, filter, &key))
			continue;
		*keyp = key;
		*certp = idx->certs[i].x;
		return 0;
	}
	/* certseal's own keys: CKA_ID = SKID, certificate maybe elsewhere. */
	if (kl > 0 && kl <= CS_P11_ID_MAX &&
	    (key = key_by_id(ctx, tok, idx, rid->keyid->data, kl)) != NULL) {
		*keyp = key;
		return 0;
	}
	return CERTSEAL_E_NO_KEY;
}

int
cs_p11_find_recipient(certseal_ctx *ctx, struct cs_p11_token *tok,
    const struct cs_recipient_id *rid, EVP_PKEY **pkeyp, X509 **certp)
{
	struct cs_p11_index idx;
	const struct cs_p11_object *key;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	int r;

	*pkeyp = NULL;
	*certp = NULL;
	memset(&idx, 0, sizeof(idx));
	if ((r = cs_p11_index_read(ctx, tok, &idx)) != 0 ||
	    (r = cs_p11_index_recipient(ctx, tok, &idx, rid, NULL, &key,
	    &cert)) != 0 ||
	    (r = cs_p11_key_pkey(ctx, tok, key, cert, &pkey)) != 0)
		goto out;
	if (cert != NULL && !X509_up_ref(cert)) {
		r = cs_nomem(ctx);
		goto out;
	}
	*pkeyp = pkey;
	*certp = cert;
	pkey = NULL;
	r = 0; /* success */
 out:
	EVP_PKEY_free(pkey);
	cs_p11_index_release(&idx);
	return r;
}
