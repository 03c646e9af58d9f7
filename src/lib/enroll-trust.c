/*
 * enroll-trust.c - whom `certseal enroll --finish` may make a trusted
 * signer (enroll.h).
 *
 * NAME.crt comes from the requests directory, by default the reports
 * directory every client writes to: anyone who can write there can put a
 * certificate for the client's key (its request is public) next to a
 * signer of their own.  Taken on the bundle's word, that signer would
 * decide what strict mode accepts.  So each signer of the bundle must be
 * one the source trusts already, or one the user confirmed by its
 * fingerprint, which the admin has from `client approve` or `pair list`.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include <openssl/x509.h>

#include "enroll.h"
#include "source.h"

int
cs_enroll_fingerprint_parse(const char *text, char out[CS_CERT_FP_HEX + 1])
{
	size_t n = 0;

	if (strncasecmp(text, "SHA256:", 7) == 0)
		text += 7;
	/* As certseal prints it, or as `openssl x509 -fingerprint` does. */
	for (; *text != '\0'; text++) {
		if (*text == ':')
			continue;
		if (!isxdigit((unsigned char)*text) || n == CS_CERT_FP_HEX)
			return -1;
		out[n++] = (char)tolower((unsigned char)*text);
	}
	out[n] = '\0';
	return n == CS_CERT_FP_HEX ? 0 : -1;
}

static int
fingerprint_in(const char *fp, const char (*list)[CS_CERT_FP_HEX + 1],
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(fp, list[i]) == 0)
			return 1;
	return 0;
}

/* The fingerprints of the signers the source trusts now, into *fpsp. */
static int
trusted_now(certseal_ctx *ctx, const char *uri,
    char (**fpsp)[CS_CERT_FP_HEX + 1], size_t *np)
{
	struct cs_source *src = NULL;
	STACK_OF(X509) *sk = NULL;
	char (*fps)[CS_CERT_FP_HEX + 1] = NULL;
	int i, r;

	*fpsp = NULL;
	*np = 0;
	if ((sk = sk_X509_new_null()) == NULL)
		return cs_nomem(ctx);
	if ((r = cs_source_new(ctx, uri, &src)) != 0 ||
	    (r = cs_source_trusted_signers(src, sk)) != 0)
		goto out;
	if (sk_X509_num(sk) > 0 &&
	    (fps = calloc((size_t)sk_X509_num(sk), sizeof(*fps))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	for (i = 0; i < sk_X509_num(sk); i++)
		if (cs_cert_fingerprint(sk_X509_value(sk, i), fps[*np]) == 0)
			(*np)++;
	*fpsp = fps;
	fps = NULL;
	r = 0; /* success */
 out:
	free(fps);
	sk_X509_pop_free(sk, X509_free);
	cs_source_free(src);
	return r;
}

int
cs_enroll_confirm_signers(certseal_ctx *ctx, const char *uri,
    STACK_OF(X509) *signers, const char (*confirmed)[CS_CERT_FP_HEX + 1],
    size_t nconfirmed, const char *shown)
{
	char (*trusted)[CS_CERT_FP_HEX + 1] = NULL;
	char (*mine)[CS_CERT_FP_HEX + 1] = NULL;	/* of signers */
	char *subject = NULL;
	size_t ntrusted = 0, n = (size_t)sk_X509_num(signers), i, k;
	size_t unconfirmed = 0, first = 0;
	int r;

	if ((mine = calloc(n + 1, sizeof(*mine))) == NULL)
		return cs_nomem(ctx);
	for (k = 0; k < n; k++)
		if (cs_cert_fingerprint(sk_X509_value(signers, (int)k),
		    mine[k]) != 0) {
			r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: cannot "
			    "fingerprint a signer certificate", shown);
			goto out;
		}
	if ((r = trusted_now(ctx, uri, &trusted, &ntrusted)) != 0)
		goto out;
	for (k = 0; k < n; k++) {
		if (fingerprint_in(mine[k], trusted, ntrusted) ||
		    fingerprint_in(mine[k], confirmed, nconfirmed))
			continue;
		if (unconfirmed++ == 0)
			first = k;
	}
	/* A fingerprint nobody in the bundle has: a typo, or another file. */
	for (i = 0; i < nconfirmed; i++)
		if (!fingerprint_in(confirmed[i],
		    (const char (*)[CS_CERT_FP_HEX + 1])mine, n))
			cs_warn(ctx, "%s: no signer certificate in it has the "
			    "fingerprint SHA256:%s given with --trust-signer",
			    shown, confirmed[i]);
	if (unconfirmed == 0) {
		r = 0; /* success */
		goto out;
	}
	subject = cs_name_text(X509_get_subject_name(sk_X509_value(signers,
	    (int)first)), 256);
	r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: signer '%s' (SHA256:%s) "
	    "is not one this client trusts%s, and a certificate file in a "
	    "shared directory may be planted: ask the admin for the signing "
	    "fingerprint (`certseal-admin client approve` prints it, `pair "
	    "list --json` shows signing_fingerprint) and, if it is this one, "
	    "run again with --trust-signer SHA256:%s", shown,
	    subject != NULL ? subject : "?", mine[first],
	    unconfirmed > 1 ? " (nor are the bundle's other signers)" : "",
	    mine[first]);
 out:
	free(subject);
	free(trusted);
	free(mine);
	return r;
}
