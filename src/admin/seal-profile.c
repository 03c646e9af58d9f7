/*
 * seal-profile.c - sealing the configuration to the profile's pairs.
 * (Opening it again is own-config.c: the admin takes only what it wrote.)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "envelope.h"

/* What one included pair contributes: a recipient and a signer. */
struct sealing_pair {
	X509		*enc;
	struct cs_key	 signer;
};

static void
sealing_pairs_free(struct sealing_pair *sp, size_t n)
{
	size_t i;

	if (sp == NULL)
		return;
	for (i = 0; i < n; i++) {
		X509_free(sp[i].enc);
		EVP_PKEY_free(sp[i].signer.pkey);
		X509_free(sp[i].signer.cert);
	}
	free(sp);
}

int
admin_seal_and_write(struct admin *a, const uint8_t *plain, size_t len,
    int include_pending, const char *out)
{
	struct profile *p = a->profile;
	struct sealing_pair *sp = NULL;
	struct cs_seal_recipient *recips = NULL;
	const struct cs_key **signers = NULL;
	struct cs_seal_params params;
	uint8_t *sealed = NULL;
	size_t i, n = 0, sealed_len = 0;
	const char *target = out != NULL ? out : p->config_path;
	uint64_t next;
	int r, to_config;

	if (profile_active_pair(p) == NULL)
		return cs_error(a->ctx, CERTSEAL_E_STATE, "no active pair: "
		    "generate one, export it to the clients, then `pair "
		    "activate ID`");
	if (target == NULL)
		return cs_error(a->ctx, CERTSEAL_E_USAGE, "the profile names "
		    "no configuration path: give -o");
	/* Decided before the rename replaces the inode. */
	to_config = admin_is_config_path(a, target);
	/*
	 * A crash between the file and the profile leaves the file one
	 * ahead: the next number is above both, never reused.
	 */
	next = (p->sequence > a->seen_sequence ? p->sequence :
	    a->seen_sequence) + 1;
	sp = calloc(p->npairs, sizeof(*sp));
	recips = calloc(p->npairs, sizeof(*recips));
	signers = calloc(p->npairs, sizeof(*signers));
	if (sp == NULL || recips == NULL || signers == NULL) {
		r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < p->npairs; i++) {
		const struct pair *pair = &p->pairs[i];

		if (pair->state != PAIR_ACTIVE &&
		    !(include_pending && pair->state == PAIR_PENDING))
			continue;
		if ((r = pair_certs(a, pair, &sp[n].enc, NULL)) != 0 ||
		    (r = pair_signing_key(a, pair, &sp[n].signer.pkey,
		    &sp[n].signer.cert)) != 0) {
			cs_error_prefix(a->ctx, "pair %s", pair->id);
			goto out;
		}
		cs_key_set_keyid(&sp[n].signer);
		recips[n].cert = sp[n].enc;
		recips[n].oaep_md = pair->oaep_hash != NULL &&
		    strcmp(pair->oaep_hash, "sha1") == 0 ? EVP_sha1() : NULL;
		signers[n] = &sp[n].signer;
		n++;
	}
	memset(&params, 0, sizeof(params));
	params.name = p->config_name;
	params.sequence = next;
	params.recipients = recips;
	params.nrecipients = n;
	params.signers = signers;
	params.nsigners = n;
	if ((r = cs_envelope_seal(a->ctx, plain, len, &params, &sealed,
	    &sealed_len)) != 0)
		goto out;
	if ((r = cs_atomic_write(a->ctx, target, sealed, sealed_len,
	    0644)) != 0)
		goto out;
	/*
	 * The file is in place before the counter moves: a crash in between
	 * leaves the file ahead of the profile, which the next save sees
	 * (seen_sequence) and clients accept (only older is refused).
	 */
	p->sequence = next;
	if (to_config)
		p->config_sequence = next;
	if ((r = profile_save(a->ctx, p)) != 0)
		goto out;
	fprintf(stderr, "certseal-admin: %s sealed to %zu pair%s, sequence "
	    "%llu\n", target, n, n == 1 ? "" : "s",
	    (unsigned long long)p->sequence);
	r = 0; /* success */
 out:
	free(sealed);
	sealing_pairs_free(sp, p->npairs);
	free(recips);
	free(signers);
	return r;
}
