/*
 * envelope-decrypt.c - the content of an open (envelope-open.c) decrypted:
 * the ciphertext taken into a buffer of certseal's, decrypted in place
 * there, and handed out only when the GCM tag (or the CBC padding)
 * verified; on every other path the buffer is wiped.
 */
#include "config.h"

#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>

#include "internal.h"
#include "envelope-internal.h"
#include "envelope-open.h"

/*
 * Reads the decrypting chain into buf (cap bytes); *usedp: how many.
 * 0 only when the chain ended with the GCM tag (or the CBC padding)
 * verified and gave no more than cap bytes.
 */
static int
read_chain(BIO *chain, unsigned char *buf, size_t cap, size_t *usedp)
{
	unsigned char extra;
	size_t used = 0;
	int n;

	for (;;) {
		if (used < cap)
			n = BIO_read(chain, buf + used, (int)(cap - used >
			    INT_MAX ? INT_MAX : cap - used));
		else
			n = BIO_read(chain, &extra, 1);
		if (n <= 0)
			break;
		if (used == cap)
			return -1;	/* more plaintext than ciphertext */
		used += (size_t)n;
	}
	*usedp = used;
	if (n < 0 || (BIO_method_type(chain) == BIO_TYPE_CIPHER &&
	    BIO_get_cipher_status(chain) <= 0))
		return -1;
	return 0;
}

/* Wipes and frees the ciphertext buffer (it may hold a decryption). */
void
cs_open_ct_release(struct ct_buf *ct)
{
	cs_wipe(ct->data, ct->len);
	if (ct->ossl)
		OPENSSL_free(ct->block);
	else
		free(ct->block);
	memset(ct, 0, sizeof(*ct));
}

/*
 * Decrypts the content in place, in certseal's buffer that holds the
 * ciphertext (cs_open_take_ciphertext), which becomes the secret.  Why: a
 * separate output buffer, or OpenSSL's copy of the ciphertext, costs its
 * 16 000 pages again for a 64 MiB configuration (bench/ANALYSIS.md).  In
 * place is safe: the chain reads the ciphertext through a read-only
 * memory BIO (icont) ahead of what the cipher writes (GCM writes as much
 * as it read, CBC never more).  The parsed structure has no content of
 * its own (cs_raw_reduce cut it out) but all the rest: the tag OpenSSL
 * checks comes from its mac as before.  Nothing is returned unless the
 * chain ended with the GCM tag (or the CBC padding) verified; otherwise
 * the unauthenticated plaintext is wiped.  The caller has set the key.
 */
int
cs_open_decrypt_content(struct open_state *st, struct cs_secret **out)
{
	static unsigned char empty[1];
	struct ct_buf *ct = &st->ct;
	unsigned char *data = ct->data != NULL ? ct->data : empty;
	size_t used = 0;
	BIO *icont, *chain = NULL;
	int ok;

	*out = NULL;
	if ((icont = BIO_new_mem_buf(data, (int)ct->len)) == NULL)
		return cs_nomem(st->ctx);
	if ((chain = CMS_dataInit(st->cms, icont)) == NULL) {
		BIO_free(icont);
		goto bad;
	}
	ok = read_chain(chain, data, ct->len, &used) == 0;
	BIO_free_all(chain);
	if (!ok)
		goto bad;
	if (ct->data == NULL)
		return cs_secret_new(0, out) != 0 ? cs_nomem(st->ctx) : 0;
	cs_wipe(data + used, ct->len - used);
	/* The NUL after it: GCM's tag or CBC's padding followed. */
	if (used >= ct->room) {
		cs_open_ct_release(ct);
		return cs_error(st->ctx, CERTSEAL_E_INTERNAL, "%s: no room "
		    "after the decryption", st->name);
	}
	ok = cs_secret_adopt_within(ct->block, ct->ossl, data, used,
	    out) == 0;
	memset(ct, 0, sizeof(*ct));
	return ok ? 0 : cs_nomem(st->ctx);
 bad:
	cs_open_ct_release(ct);
	return cs_error(st->ctx, CERTSEAL_E_DECRYPT, "%s: decryption failed "
	    "(authentication tag); the file is damaged or was altered",
	    st->name);
}

/*
 * The encryptedContent's value in a buffer of certseal's, for
 * cs_open_decrypt_content: where it lies when the DER is writable (the input
 * taken over, or the PEM decoded into a buffer of ours: that buffer is
 * taken, a constructed content collected in place), else copied once,
 * as OpenSSL's parse would have.  Absent (detached): st->ct stays empty.
 */
int
cs_open_take_ciphertext(struct open_state *st, uint8_t **ownedp)
{
	const struct cs_ber *e = &st->raw.content;
	struct ct_buf *ct = &st->ct;
	size_t n = st->raw.content_len, off;

	if (!st->raw.has_content)
		return 0;
	if (st->der.writable != NULL &&
	    (st->der.owned != NULL || ownedp != NULL)) {
		off = (size_t)(e->body - st->der.p);
		ct->data = st->der.writable + off;
		ct->room = (size_t)st->der.len - off;
		if (st->der.owned != NULL) {
			ct->block = st->der.owned;
			ct->ossl = 1;
			st->der.owned = NULL;
		} else {
			ct->block = *ownedp;
			*ownedp = NULL;
		}
	} else {
		if ((ct->block = malloc(n + 1)) == NULL)
			return cs_nomem(st->ctx);
		ct->data = ct->block;
		ct->room = n + 1;
	}
	/* Checked when the recipients were read: cannot fail. */
	if (cs_ber_collect(e, ct->data, &n) != 0 ||
	    n != st->raw.content_len)
		return cs_error(st->ctx, CERTSEAL_E_INTERNAL, "%s: the "
		    "encrypted content moved", st->name);
	ct->len = n;
	return 0;
}
