/*
 * envelope-inspect.c - describing a file without any key (certseal
 * inspect): the outer structure and each recipient, then, when a source
 * can open the file, its signers, name and sequence.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>

#include "internal.h"
#include "envelope-internal.h"

/* Adds key_id, or issuer and serial, to o. */
static void
add_id(json_t *o, const ASN1_OCTET_STRING *keyid, const X509_NAME *issuer,
    const ASN1_INTEGER *sno)
{
	char hex[129], *s;
	BIGNUM *bn;

	if (keyid != NULL) {
		cs_hex(ASN1_STRING_get0_data(keyid),
		    (size_t)ASN1_STRING_length(keyid), hex, sizeof(hex));
		json_object_set_new(o, "key_id", json_string(hex));
		return;
	}
	if (issuer != NULL &&
	    (s = cs_name_text(issuer, CS_NAME_TEXT_MAX)) != NULL) {
		json_object_set_new(o, "issuer", json_string(s));
		free(s);
	}
	if (sno != NULL && (bn = ASN1_INTEGER_to_BN(sno, NULL)) != NULL) {
		if ((s = BN_bn2hex(bn)) != NULL) {
			json_object_set_new(o, "serial", json_string(s));
			OPENSSL_free(s);
		}
		BN_free(bn);
	}
}

static void
add_params(json_t *o, const struct cs_ri_info *info)
{
	if (info->key_encryption != NULL)
		json_object_set_new(o, "key_encryption",
		    json_string(info->key_encryption));
	if (info->key_encryption_oid[0] != '\0')
		json_object_set_new(o, "key_encryption_oid",
		    json_string(info->key_encryption_oid));
	if (info->oaep_hash != NULL)
		json_object_set_new(o, "oaep_hash",
		    json_string(info->oaep_hash));
	if (info->mgf1_hash != NULL)
		json_object_set_new(o, "mgf1_hash",
		    json_string(info->mgf1_hash));
	if (info->kdf != NULL)
		json_object_set_new(o, "kdf", json_string(info->kdf));
	if (info->key_wrap != NULL)
		json_object_set_new(o, "key_wrap",
		    json_string(info->key_wrap));
	json_object_set_new(o, "accepted", json_boolean(info->accepted));
	if (info->reason != NULL)
		json_object_set_new(o, "reason", json_string(info->reason));
}

static int
describe_recipients(CMS_ContentInfo *cms, json_t *arr)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(cms);
	STACK_OF(CMS_RecipientEncryptedKey) *reks;
	CMS_RecipientInfo *ri;
	struct cs_ri_info info;
	ASN1_OCTET_STRING *keyid;
	X509_NAME *issuer;
	ASN1_INTEGER *sno;
	ASN1_GENERALIZEDTIME *tm;
	CMS_OtherKeyAttribute *other;
	json_t *o;
	int i, j;

	for (i = 0; ris != NULL && i < sk_CMS_RecipientInfo_num(ris); i++) {
		ri = sk_CMS_RecipientInfo_value(ris, i);
		cs_policy_recipient(ri, &info);
		if (info.type == CMS_RECIPINFO_AGREE &&
		    (reks = CMS_RecipientInfo_kari_get0_reks(ri)) != NULL) {
			/* One entry per recipient key of the agreement. */
			for (j = 0; j < sk_CMS_RecipientEncryptedKey_num(reks);
			    j++) {
				keyid = NULL;
				issuer = NULL;
				sno = NULL;
				if ((o = json_pack("{s:s}", "type",
				    info.type_name)) == NULL)
					return CERTSEAL_E_NOMEM;
				if (CMS_RecipientEncryptedKey_get0_id(
				    sk_CMS_RecipientEncryptedKey_value(reks, j),
				    &keyid, &tm, &other, &issuer, &sno) == 1)
					add_id(o, keyid, issuer, sno);
				add_params(o, &info);
				json_array_append_new(arr, o);
			}
			continue;
		}
		if ((o = json_pack("{s:s}", "type", info.type_name)) == NULL)
			return CERTSEAL_E_NOMEM;
		keyid = NULL;
		issuer = NULL;
		sno = NULL;
		if (info.type == CMS_RECIPINFO_TRANS &&
		    CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer,
		    &sno) == 1)
			add_id(o, keyid, issuer, sno);
		add_params(o, &info);
		json_array_append_new(arr, o);
	}
	return 0;
}

int
cs_envelope_inspect(certseal_ctx *ctx, const uint8_t *data, size_t len,
    json_t **out)
{
	CMS_ContentInfo *cms = NULL;
	struct cs_outer_info outer;
	struct cs_der der;
	certseal_config *cfg = NULL;
	json_t *o = NULL, *rcpts = NULL, *signers = NULL;
	int r;

	*out = NULL;
	cs_error_clear(ctx);
	if ((o = json_object()) == NULL) {
		r = CERTSEAL_E_NOMEM;
		goto out;
	}
	if (!cs_envelope_looks_sealed(data, len)) {
		json_object_set_new(o, "sealed", json_false());
		json_object_set_new(o, "size", json_integer((json_int_t)len));
		goto done;
	}
	r = cs_envelope_parse(ctx, data, len, "input", &cms, &der);
	if (r == 0)
		r = cs_policy_outer(ctx, cms, &der, "input", &outer);
	cs_der_release(&der);
	if (r != 0)
		goto out;
	json_object_set_new(o, "sealed", json_true());
	/* The armour an admin's save or edit keeps (certseal-admin(8)). */
	json_object_set_new(o, "armour", json_string(cs_envelope_armour(data,
	    len) == CS_ARMOUR_DER ? "der" : "pem"));
	json_object_set_new(o, "content_type",
	    json_string(outer.content_type));
	if (outer.content_encryption != NULL)
		json_object_set_new(o, "content_encryption",
		    json_string(outer.content_encryption));
	else if (outer.content_encryption_oid[0] != '\0')
		json_object_set_new(o, "content_encryption",
		    json_string(outer.content_encryption_oid));
	if (outer.tag_len != 0)
		json_object_set_new(o, "tag_length",
		    json_integer((json_int_t)outer.tag_len));
	json_object_set_new(o, "accepted", json_boolean(outer.accepted));
	if (outer.reason != NULL)
		json_object_set_new(o, "reason", json_string(outer.reason));
	if (outer.nid != NID_id_smime_ct_authEnvelopedData &&
	    outer.nid != NID_pkcs7_enveloped)
		goto done;
	if ((rcpts = json_array()) == NULL ||
	    (r = describe_recipients(cms, rcpts)) != 0) {
		r = CERTSEAL_E_NOMEM;
		goto out;
	}
	json_object_set_new(o, "recipients", rcpts);
	rcpts = NULL;
	if (!outer.accepted)
		goto done;
	if ((signers = json_array()) == NULL) {
		r = CERTSEAL_E_NOMEM;
		goto out;
	}
	r = cs_envelope_open_ex(ctx, data, len, "input", CS_OPEN_INSPECT,
	    signers, &cfg);
	if (r != 0) {
		json_object_set_new(o, "opened", json_false());
		json_object_set_new(o, "reason",
		    json_string(certseal_ctx_last_error(ctx)));
		json_object_set_new(o, "error", json_string(
		    certseal_strerror(r)));
		if (json_array_size(signers) > 0)
			json_object_set(o, "signers", signers);
		goto done;
	}
	json_object_set_new(o, "opened", json_true());
	json_object_set_new(o, "source", json_string(cfg->source_uri));
	json_object_set_new(o, "opened_with_key_id",
	    json_string(cfg->keyid_hex));
	json_object_set_new(o, "signed", json_boolean(cfg->is_signed));
	json_object_set(o, "signers", signers);
	if (cfg->name != NULL)
		json_object_set_new(o, "name", json_string(cfg->name));
	if (cfg->has_sequence)
		json_object_set_new(o, "sequence",
		    json_integer((json_int_t)cfg->sequence));
	json_object_set_new(o, "size",
	    json_integer((json_int_t)cfg->plain->len));
 done:
	cs_error_clear(ctx);
	*out = o;
	o = NULL;
	r = 0; /* success */
 out:
	certseal_config_free(cfg);
	json_decref(signers);
	json_decref(rcpts);
	json_decref(o);
	CMS_ContentInfo_free(cms);
	return r;
}
