/*
 * envelope-seal-check.c - what a sealing accepts, checked before anything
 * is built: the configuration's size and name, signers with a key and a
 * certificate, recipients whose certificates are current, carry a
 * subjectKeyIdentifier (certseal names recipients by it) and hold an RSA
 * key of 2048 bits or more or an EC P-256/P-384 key.
 */
#include "config.h"

#include <string.h>

#include <openssl/x509v3.h>

#include "internal.h"
#include "envelope-internal.h"

/* 1 when s is well-formed UTF-8 without NUL or C0 controls. */
static int
valid_utf8_name(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* overlong, surrogates, beyond Unicode */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
cs_valid_config_name(const char *s, size_t len)
{
	return len > 0 && len <= CS_CONFIG_NAME_MAX && valid_utf8_name(s, len);
}

static int
check_recipient(certseal_ctx *ctx, const struct cs_seal_recipient *rcpt)
{
	EVP_PKEY *pk;
	char subj[256], group[64];
	size_t glen = 0;

	cs_name_text_buf(X509_get_subject_name(rcpt->cert), subj,
	    sizeof(subj));
	if (X509_get0_subject_key_id(rcpt->cert) == NULL)
		return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s has no "
		    "subjectKeyIdentifier; certseal identifies recipients by "
		    "it: reissue the certificate with one", subj);
	if (X509_cmp_current_time(X509_get0_notBefore(rcpt->cert)) >= 0)
		return cs_error(ctx, CERTSEAL_E_EXPIRED, "recipient %s is not "
		    "valid yet; check the clock or the certificate", subj);
	if (X509_cmp_current_time(X509_get0_notAfter(rcpt->cert)) <= 0)
		return cs_error(ctx, CERTSEAL_E_EXPIRED, "recipient %s has "
		    "expired; seal to a current pair", subj);
	if ((pk = X509_get0_pubkey(rcpt->cert)) == NULL)
		return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s: "
		    "unreadable public key", subj);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bits(pk) < 2048)
			return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s: "
			    "RSA keys below 2048 bits are not used", subj);
		return 0;
	}
	if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group),
		    &glen) != 1 || (strcmp(group, "prime256v1") != 0 &&
		    strcmp(group, "secp384r1") != 0))
			return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s: "
			    "only EC P-256 and P-384 are supported", subj);
		return 0;
	}
	return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %s: key type not "
	    "supported (RSA or EC P-256/P-384)", subj);
}

int
cs_seal_check_params(certseal_ctx *ctx, const uint8_t *in, size_t inlen,
    const struct cs_seal_params *params)
{
	size_t i;
	int r;

	if (params == NULL || params->nrecipients == 0 ||
	    params->recipients == NULL)
		return cs_error(ctx, CERTSEAL_E_USAGE, "no recipient to seal "
		    "to");
	if (params->nsigners == 0 || params->signers == NULL)
		return cs_error(ctx, CERTSEAL_E_USAGE, "no signer: certseal "
		    "seals only signed configurations");
	if (inlen > CERTSEAL_MAX_CONFIG_SIZE || (inlen > 0 && in == NULL))
		return cs_error(ctx, CERTSEAL_E_TOO_LARGE, "configuration of "
		    "%zu bytes is over the limit of %zu bytes", inlen,
		    CERTSEAL_MAX_CONFIG_SIZE);
	if (params->name != NULL && !cs_valid_config_name(params->name,
	    strlen(params->name)))
		return cs_error(ctx, CERTSEAL_E_USAGE, "configuration name "
		    "must be 1 to %d bytes of UTF-8 text", CS_CONFIG_NAME_MAX);
	for (i = 0; i < params->nsigners; i++) {
		if (params->signers[i] == NULL ||
		    params->signers[i]->pkey == NULL ||
		    params->signers[i]->cert == NULL)
			return cs_error(ctx, CERTSEAL_E_USAGE, "signer %zu has "
			    "no key or certificate", i + 1);
	}
	for (i = 0; i < params->nrecipients; i++) {
		if (params->recipients[i].cert == NULL)
			return cs_error(ctx, CERTSEAL_E_USAGE, "recipient %zu "
			    "has no certificate", i + 1);
		if ((r = check_recipient(ctx, &params->recipients[i])) != 0)
			return r;
	}
	return 0;
}
