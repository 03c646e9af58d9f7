/*
 * seal-profile.c - sealing the configuration to the profile's pairs.
 * (Opening it again is own-config.c: the admin takes only what it wrote.)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "envelope.h"

/*
 * The armour is decided by the first bytes of the file being replaced
 * (cs_envelope_armour needs at most the OID behind the first length).
 * Only a regular file is read: a FIFO or a device named as the output
 * is written, never read.
 */
enum cs_armour
admin_output_armour(const char *target, int asked)
{
	uint8_t head[32];
	struct stat st;
	ssize_t got = 0;
	int fd;

	if (asked == CS_ARMOUR_PEM || asked == CS_ARMOUR_DER)
		return (enum cs_armour)asked;
	if (target == NULL || strcmp(target, "-") == 0 ||
	    (fd = open(target, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) < 0)
		return CS_ARMOUR_PEM;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		got = cs_read_full(fd, head, sizeof(head));
	close(fd);
	return got > 0 && cs_envelope_armour(head, (size_t)got) ==
	    CS_ARMOUR_DER ? CS_ARMOUR_DER : CS_ARMOUR_PEM;
}

static const char *
armour_name(enum cs_armour armour)
{
	return armour == CS_ARMOUR_DER ? "DER" : "PEM";
}

int
admin_armour_option(int c, const char *cmd, int *armour)
{
	int want = c == ADMIN_OPT_DER ? CS_ARMOUR_DER : CS_ARMOUR_PEM;

	if (*armour != ADMIN_ARMOUR_KEEP && *armour != want)
		return cli_usage_error("%s: --der and --pem exclude each "
		    "other", cmd);
	*armour = want;
	return 0;
}

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

/*
 * The certificates of the approved, unrevoked clients (DESIGN.md section
 * 8), appended to recips from *np on.  A client certificate that has
 * expired is left out with a warning rather than failing the save: one
 * stale host must not hold back a fleet's configuration.
 */
static int
client_recipients(struct admin *a, X509 **certs,
    struct cs_seal_recipient *recips, size_t *np, size_t *nclients)
{
	struct profile *p = a->profile;
	X509 *x;
	size_t i;

	*nclients = 0;
	for (i = 0; i < p->nclients; i++) {
		const struct client *c = &p->clients[i];

		if (c->state != CLIENT_APPROVED)
			continue;
		if ((x = client_cert(c)) == NULL)
			return cs_error(a->ctx, CERTSEAL_E_INTEGRITY, "%s: the "
			    "certificate of client %s does not parse; approve "
			    "it again", p->path, c->name);
		if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
			fprintf(stderr, "certseal-admin: warning: client %s: "
			    "its certificate has expired; not sealed to it "
			    "(approve its request again)\n", c->name);
			X509_free(x);
			continue;
		}
		certs[*nclients] = x;
		recips[*np].cert = x;
		recips[*np].oaep_md = NULL;	/* SHA-256 */
		(*np)++;
		(*nclients)++;
	}
	return 0;
}

/*
 * Every cross-certificate the profile holds, for the SignedData: an
 * enrolled client that missed several exchanges follows the whole chain.
 */
static int
cross_certs(struct admin *a, STACK_OF(X509) **out)
{
	struct profile *p = a->profile;
	X509 *x;
	size_t i;

	if ((*out = sk_X509_new_null()) == NULL)
		return cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
	for (i = 0; i < p->npairs; i++) {
		if (p->pairs[i].cross_cert == NULL)
			continue;
		if ((x = profile_cert_decode(p->pairs[i].cross_cert)) == NULL)
			return cs_error(a->ctx, CERTSEAL_E_INTEGRITY, "%s: the "
			    "cross-certificate of pair %s does not parse",
			    p->path, p->pairs[i].id);
		if (!sk_X509_push(*out, x)) {
			X509_free(x);
			return cs_error(a->ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
		}
	}
	return 0;
}

static int
fill_sealing(certseal_ctx *ctx, int fd, void *s)
{
	return cs_sealing_write(ctx, s, fd);
}

int
admin_write_sealing(certseal_ctx *ctx, const char *target,
    struct cs_sealing *s, unsigned int flags, const char *why)
{
	int r;

	if ((r = cli_check_output(ctx, target != NULL ? target : "-", flags,
	    why)) != 0)
		return r;
	return cli_write_output_with(ctx, target, 0644, fill_sealing, s);
}

int
admin_seal_and_write(struct admin *a, const uint8_t *plain, size_t len,
    int include_pending, int armour, const char *out)
{
	struct profile *p = a->profile;
	struct sealing_pair *sp = NULL;
	struct cs_seal_recipient *recips = NULL;
	const struct cs_key **signers = NULL;
	struct cs_seal_params params;
	X509 **client_certs = NULL;
	STACK_OF(X509) *cross = NULL;
	struct cs_sealing *sealing = NULL;
	size_t i, n = 0, nclients = 0, nrecips;
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
	recips = calloc(p->npairs + p->nclients, sizeof(*recips));
	signers = calloc(p->npairs, sizeof(*signers));
	client_certs = calloc(p->nclients + 1, sizeof(*client_certs));
	if (sp == NULL || recips == NULL || signers == NULL ||
	    client_certs == NULL) {
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
	nrecips = n;
	if ((r = client_recipients(a, client_certs, recips, &nrecips,
	    &nclients)) != 0)
		goto out;
	if ((r = cross_certs(a, &cross)) != 0)
		goto out;
	memset(&params, 0, sizeof(params));
	params.extra_certs = cross;
	params.name = p->config_name;
	params.sequence = next;
	params.recipients = recips;
	params.nrecipients = nrecips;
	params.signers = signers;
	params.nsigners = n;
	/* Decided on the file the rename is about to replace. */
	params.armour = admin_output_armour(target, armour);
	if ((r = cs_sealing_new(a->ctx, plain, len, &params,
	    &sealing)) != 0 ||
	    (r = admin_write_sealing(a->ctx, target, sealing, CLI_OUT_NOTTY,
	    ADMIN_SEALED_NOT_ON_TTY)) != 0)
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
	if (nclients == 0)
		cli_info("%s sealed to %zu pair%s, sequence %llu (%s)",
		    cli_output_name(target), n, n == 1 ? "" : "s",
		    (unsigned long long)p->sequence,
		    armour_name(params.armour));
	else
		cli_info("%s sealed to %zu pair%s and "
		    "%zu enrolled client%s, sequence %llu (%s)",
		    cli_output_name(target), n,
		    n == 1 ? "" : "s", nclients, nclients == 1 ? "" : "s",
		    (unsigned long long)p->sequence,
		    armour_name(params.armour));
	r = 0; /* success */
 out:
	cs_sealing_free(sealing);
	sealing_pairs_free(sp, p->npairs);
	for (i = 0; client_certs != NULL && i < nclients; i++)
		X509_free(client_certs[i]);
	free(client_certs);
	sk_X509_pop_free(cross, X509_free);
	free(recips);
	free(signers);
	return r;
}
