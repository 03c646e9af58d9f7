/*
 * test-p11-keys.c - token-backed keys on real SoftHSM2 tokens: generation,
 * OAEP (native SHA-1, raw-RSA SHA-256), ECDH through CMS KARI, signatures
 * verified in software, wrap export and import, keys made by other tools,
 * and the pkcs11: source end to end with the envelope.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "cu-run.h"
#include "internal.h"
#include "envelope.h"
#include "source.h"
#include "p11.h"
#include "test-p11-common.h"
#include "testutil.h"

static certseal_ctx *ctx;
static struct cs_p11_token *admin, *client;
static X509 *rsa_enc, *rsa_sign, *ec_enc, *ec_sign;
static const char msg[] = "key = value\nsecret = 42\n";

static int
open_login(const char *label, struct cs_p11_token **tok)
{
	struct cs_p11_uri *u = NULL;
	char uri[256];
	int r;

	snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-path="
	    SOFTHSM_PATH "&pin-value=" TP_PIN, label);
	if ((r = cs_p11_uri_parse(ctx, uri, &u)) == 0 &&
	    (r = cs_p11_token_open(ctx, u, tok)) == 0)
		r = cs_p11_token_login(ctx, *tok, NULL, TP_PIN);
	cs_p11_uri_free(u);
	return r;
}

static X509 *
gen(enum cs_p11_alg alg, enum cs_p11_usage usage, int xtr, const char *label)
{
	struct cs_p11_keygen kg = { alg, usage, xtr, label, 30 };
	X509 *cert = NULL;
	int r;

	r = cs_p11_keygen(ctx, admin, &kg, &cert);
	if (r != 0)
		fprintf(stderr, "keygen %s: %s\n", label,
		    certseal_ctx_last_error(ctx));
	return cert;
}

static void
test_keygen(void)
{
	const ASN1_OCTET_STRING *skid;
	struct cs_p11_entry *e = NULL;
	size_t n = 0, i;
	int seen = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rsa_enc = gen(CS_P11_RSA3072,
	    CS_P11_USAGE_ENCRYPT, 1, "rsa-enc"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rsa_sign = gen(CS_P11_RSA3072,
	    CS_P11_USAGE_SIGN, 0, "rsa-sign"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ec_enc = gen(CS_P11_EC_P256,
	    CS_P11_USAGE_ENCRYPT, 1, "ec-enc"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ec_sign = gen(CS_P11_EC_P384,
	    CS_P11_USAGE_SIGN, 0, "ec-sign"));
	/* Self-signed, signed on the token, verifiable in software. */
	CU_ASSERT_EQUAL(X509_verify(rsa_sign, X509_get0_pubkey(rsa_sign)), 1);
	CU_ASSERT_EQUAL(X509_verify(ec_sign, X509_get0_pubkey(ec_sign)), 1);
	CU_ASSERT_EQUAL(X509_verify(rsa_enc, X509_get0_pubkey(rsa_enc)), 1);
	CU_ASSERT_EQUAL(X509_verify(ec_enc, X509_get0_pubkey(ec_enc)), 1);
	CU_ASSERT(X509_get_key_usage(ec_enc) == KU_KEY_AGREEMENT);
	CU_ASSERT_EQUAL_FATAL(cs_p11_list(ctx, admin, &e, &n), 0);
	skid = X509_get0_subject_key_id(rsa_sign);
	for (i = 0; i < n; i++) {
		CU_ASSERT(e[i].has_private && e[i].has_public && e[i].has_cert);
		CU_ASSERT_EQUAL(e[i].sensitive, 1);
		if (strcmp(e[i].label, "rsa-sign") == 0 ||
		    strcmp(e[i].label, "ec-sign") == 0)
			CU_ASSERT_EQUAL(e[i].extractable, 0)
		else
			CU_ASSERT_EQUAL(e[i].extractable, 1)
		if (e[i].cert != NULL && X509_cmp(e[i].cert, rsa_sign) == 0)
			seen = 1;
	}
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT(seen && skid != NULL);
	cs_p11_list_free(e, n);
	/* An independent tool agrees: two never-extractable keys. */
	CU_ASSERT_EQUAL(tp_sh("test \"$(pkcs11-tool --module " SOFTHSM_PATH
	    " --token-label admin --login --pin " TP_PIN " --list-objects "
	    "--type privkey 2>/dev/null | grep -c 'never extractable')\" = 2"),
	    0);
}

/* Encrypts msg to cert with CMS; md selects OAEP's hash (RSA only). */
static CMS_ContentInfo *
cms_encrypt(X509 *cert, const EVP_MD *md)
{
	CMS_ContentInfo *cms;
	CMS_RecipientInfo *ri;
	X509 *fresh;
	EVP_PKEY_CTX *pctx;
	BIO *in = BIO_new_mem_buf(msg, sizeof(msg) - 1);

	cms = CMS_encrypt(NULL, in, EVP_aes_256_cbc(),
	    CMS_PARTIAL | CMS_BINARY);
	{
		unsigned char *d = NULL;
		const unsigned char *q;
		int dl = i2d_X509(cert, &d);

		q = d;
		fresh = d2i_X509(NULL, &q, dl);
		OPENSSL_free(d);
	}
	ri = CMS_add1_recipient_cert(cms, fresh, CMS_KEY_PARAM);
	if (md != NULL) {
		pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
		if (EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_OAEP_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)
			fprintf(stderr, "cannot set OAEP parameters\n");
	}
	if (CMS_final(cms, in, NULL, CMS_BINARY) != 1) {
		ERR_print_errors_fp(stderr);
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	BIO_free(in);
	X509_free(fresh);
	return cms;
}

static int
cms_decrypt_ok(CMS_ContentInfo *cms, EVP_PKEY *pkey, X509 *cert)
{
	BIO *out = BIO_new(BIO_s_mem());
	char *p;
	long len;
	int ok;

	ok = CMS_decrypt(cms, pkey, cert, NULL, out, CMS_BINARY) == 1;
	len = BIO_get_mem_data(out, &p);
	ok = ok && len == (long)sizeof(msg) - 1 && memcmp(p, msg, len) == 0;
	if (!ok)
		ERR_print_errors_fp(stderr);
	BIO_free(out);
	return ok;
}

static EVP_PKEY *
token_key(X509 *cert, X509 **certp)
{
	struct cs_recipient_id rid = { X509_get0_subject_key_id(cert),
	    NULL, NULL };
	EVP_PKEY *pkey = NULL;

	*certp = NULL;
	if (cs_p11_find_recipient(ctx, admin, &rid, &pkey, certp) != 0)
		fprintf(stderr, "find: %s\n", certseal_ctx_last_error(ctx));
	return pkey;
}

static void
test_oaep_native_and_raw(void)
{
	CMS_ContentInfo *c1 = cms_encrypt(rsa_enc, EVP_sha1());
	CMS_ContentInfo *c256 = cms_encrypt(rsa_enc, EVP_sha256());
	unsigned long oaep0, raw0, oaep1, raw1, refusals;
	X509 *cert = NULL;
	EVP_PKEY *pkey = token_key(rsa_enc, &cert);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pkey);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	CU_ASSERT_EQUAL(X509_cmp(cert, rsa_enc), 0);
	cs_p11_keyops_counters(&oaep0, &raw0);
	CU_ASSERT(cms_decrypt_ok(c1, pkey, cert));
	cs_p11_keyops_counters(&oaep1, &raw1);
	/*
	 * SHA-1 OAEP goes to the token as CKM_RSA_PKCS_OAEP with the file's
	 * parameters (OpenSSL 3.0's label getter once sent it raw: see
	 * pmeth_decrypt).
	 */
	CU_ASSERT_EQUAL(oaep1, oaep0 + 1);
	CU_ASSERT_EQUAL(raw1, raw0);
	CU_ASSERT(cms_decrypt_ok(c256, pkey, cert));
	cs_p11_keyops_counters(&oaep0, &raw0);
	/* SHA-256 OAEP: SoftHSM refuses it natively, raw RSA it is. */
	CU_ASSERT_EQUAL(oaep0, oaep1);
	CU_ASSERT_EQUAL(raw0, raw1 + 1);
	/* Once: the key remembers the refusal; SHA-1 still goes native. */
	refusals = cs_p11_keyops_refusals();
	CU_ASSERT(cms_decrypt_ok(c256, pkey, cert));
	CU_ASSERT_EQUAL(cs_p11_keyops_refusals(), refusals);
	CU_ASSERT(cms_decrypt_ok(c1, pkey, cert));
	cs_p11_keyops_counters(&oaep1, &raw1);
	CU_ASSERT_EQUAL(oaep1, oaep0 + 1);
	CU_ASSERT_EQUAL(raw1, raw0 + 1);
	/*
	 * The refusal is the token's (a mechanism parameter), not the key's:
	 * a key made again, as a second context or source makes it, goes
	 * raw without asking the token again.
	 */
	EVP_PKEY_free(pkey);
	X509_free(cert);
	cert = NULL;
	pkey = token_key(rsa_enc, &cert);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkey);
	CU_ASSERT(cms_decrypt_ok(c256, pkey, cert));
	CU_ASSERT_EQUAL(cs_p11_keyops_refusals(), refusals);
	cs_p11_keyops_counters(&oaep0, &raw0);
	CU_ASSERT_EQUAL(raw0, raw1 + 1);
	CMS_ContentInfo_free(c1);
	CMS_ContentInfo_free(c256);
	EVP_PKEY_free(pkey);
	X509_free(cert);
}

/* OAEP parameters on an EVP_PKEY_CTX (label copied: set0 takes it). */
static int
oaep_params(EVP_PKEY_CTX *c, const char *label)
{
	unsigned char *l = NULL;

	if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha1()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha1()) <= 0)
		return 0;
	if (label == NULL)
		return 1;
	if ((l = OPENSSL_memdup(label, strlen(label))) == NULL ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(c, l, (int)strlen(label)) <= 0) {
		OPENSSL_free(l);
		return 0;
	}
	return 1;
}

/* The certificate of PEM file tp_dir/name (made by openssl), or NULL. */
static X509 *
read_tp_cert(const char *name)
{
	char path[512];
	X509 *x = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tp_dir, name);
	if ((f = fopen(path, "r")) != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return x;
}

/*
 * An OAEP label reaches the token (or the software unpadding) intact: the
 * right label decrypts, a wrong one does not.  No label is what CMS files
 * carry; the label getter's quirk in OpenSSL 3.0 is what once made every
 * decryption go raw.
 */
static void
test_oaep_label(void)
{
	X509 *cert = NULL;
	EVP_PKEY *pkey = token_key(rsa_enc, &cert);
	EVP_PKEY_CTX *ec = NULL, *dc = NULL;
	unsigned char ct[512], pt[512];
	size_t ctlen = sizeof(ct), ptlen = sizeof(pt);
	unsigned long o0, r0, o1, r1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pkey);
	ec = EVP_PKEY_CTX_new(X509_get0_pubkey(rsa_enc), NULL);
	CU_ASSERT_FATAL(ec != NULL && EVP_PKEY_encrypt_init(ec) > 0 &&
	    oaep_params(ec, "certseal"));
	CU_ASSERT_FATAL(EVP_PKEY_encrypt(ec, ct, &ctlen,
	    (const unsigned char *)msg, sizeof(msg) - 1) > 0);
	cs_p11_keyops_counters(&o0, &r0);
	dc = EVP_PKEY_CTX_new(pkey, NULL);
	CU_ASSERT_FATAL(dc != NULL && EVP_PKEY_decrypt_init(dc) > 0 &&
	    oaep_params(dc, "certseal"));
	CU_ASSERT(EVP_PKEY_decrypt(dc, pt, &ptlen, ct, ctlen) > 0 &&
	    ptlen == sizeof(msg) - 1 && memcmp(pt, msg, ptlen) == 0);
	cs_p11_keyops_counters(&o1, &r1);
	CU_ASSERT_EQUAL(o1 + r1, o0 + r0 + 1);
	EVP_PKEY_CTX_free(dc);
	dc = EVP_PKEY_CTX_new(pkey, NULL);
	CU_ASSERT_FATAL(dc != NULL && EVP_PKEY_decrypt_init(dc) > 0 &&
	    oaep_params(dc, "other"));
	ptlen = sizeof(pt);
	CU_ASSERT(EVP_PKEY_decrypt(dc, pt, &ptlen, ct, ctlen) <= 0);
	ERR_clear_error();
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_CTX_free(ec);
	EVP_PKEY_free(pkey);
	X509_free(cert);
}

static void
test_ecdh(void)
{
	CMS_ContentInfo *c = cms_encrypt(ec_enc, NULL);
	X509 *cert = NULL;
	EVP_PKEY *pkey = token_key(ec_enc, &cert);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pkey);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(cms_decrypt_ok(c, pkey, cert));
	CMS_ContentInfo_free(c);
	EVP_PKEY_free(pkey);
	X509_free(cert);
}

/* Signs with the token key through CMS, verifies in software. */
static int
sign_verify(X509 *cert, int pss)
{
	struct cs_recipient_id rid = { X509_get0_subject_key_id(cert),
	    NULL, NULL };
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	X509_STORE *st = X509_STORE_new();
	EVP_PKEY *pkey = NULL;
	X509 *c = NULL;
	BIO *in = BIO_new_mem_buf(msg, sizeof(msg) - 1);
	int ok = 0;

	/* Signing keys are not recipients; find them like the source does. */
	if (cs_p11_find_recipient(ctx, admin, &rid, &pkey, &c) != 0)
		goto out;
	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
	si = CMS_add1_signer(cms, c, pkey, EVP_sha256(),
	    pss ? CMS_KEY_PARAM : 0);
	if (si == NULL)
		goto out;
	if (pss)
		EVP_PKEY_CTX_set_rsa_padding(CMS_SignerInfo_get0_pkey_ctx(si),
		    RSA_PKCS1_PSS_PADDING);
	if (CMS_final(cms, in, NULL, CMS_BINARY) != 1)
		goto out;
	X509_STORE_add_cert(st, cert);
	BIO_reset(in);
	ok = CMS_verify(cms, NULL, st, NULL, NULL, CMS_BINARY) == 1;
 out:
	if (!ok)
		ERR_print_errors_fp(stderr);
	CMS_ContentInfo_free(cms);
	X509_STORE_free(st);
	EVP_PKEY_free(pkey);
	X509_free(c);
	BIO_free(in);
	return ok;
}

static void
test_signing(void)
{
	CU_ASSERT(sign_verify(rsa_sign, 0));
	CU_ASSERT(sign_verify(rsa_sign, 1));
	CU_ASSERT(sign_verify(ec_sign, 0));
}

/* The objects on t (keys, certificates) with CKA_ID id. */
static size_t
count_objects(struct cs_p11_token *t, const ASN1_OCTET_STRING *id)
{
	struct cs_p11_object *objs = NULL;
	size_t n = 0;

	if (cs_p11_find(ctx, t, (CK_OBJECT_CLASS)-1, id->data,
	    (size_t)id->length, NULL, &objs, &n) != 0)
		return (size_t)-1;
	free(objs);
	return n;
}

/* A new RSA key and a self-signed certificate with like's SKID. */
static X509 *
same_skid_cert(X509 *like, EVP_PKEY **keyp)
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(like);
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();

	*keyp = NULL;
	if (k == NULL || x == NULL || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 7) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"same id", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    X509_set_pubkey(x, k) != 1 ||
	    X509_add1_ext_i2d(x, NID_subject_key_identifier,
	    (void *)skid, 0, 0) != 1 ||
	    X509_sign(x, k, EVP_sha256()) <= 0) {
		EVP_PKEY_free(k);
		X509_free(x);
		return NULL;
	}
	*keyp = k;
	return x;
}

static void
test_export_import(void)
{
	const ASN1_OCTET_STRING *id = X509_get0_subject_key_id(rsa_enc);
	const ASN1_OCTET_STRING *sid = X509_get0_subject_key_id(rsa_sign);
	CMS_ContentInfo *c = cms_encrypt(rsa_enc, EVP_sha256());
	STACK_OF(X509) *extra = sk_X509_new_null();
	EVP_PKEY *soft = NULL, *bad = NULL, *tk = NULL, *okey = NULL;
	struct cs_recipient_id rid = { id, NULL, NULL };
	X509 *cert = NULL, *other;
	int present = -1, r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(cs_p11_export_key(ctx, admin, id->data,
	    (size_t)id->length, &soft), 0);
	/* The exported key decrypts in software. */
	CU_ASSERT(cms_decrypt_ok(c, soft, rsa_enc));
	CU_ASSERT_EQUAL(cs_p11_export_key(ctx, admin, sid->data,
	    (size_t)sid->length, &bad), CERTSEAL_E_POLICY);
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
	    "CKR_KEY_UNEXTRACTABLE"));
	/* Into the client token, with the signer certificate. */
	sk_X509_push(extra, rsa_sign);
	CU_ASSERT_EQUAL_FATAL(cs_p11_import_key(ctx, client, soft, rsa_enc,
	    extra, "pair-1", 0, &present), 0);
	CU_ASSERT_EQUAL(present, 0);
	CU_ASSERT_EQUAL_FATAL(cs_p11_find_recipient(ctx, client, &rid, &tk,
	    &cert), 0);
	CU_ASSERT(cms_decrypt_ok(c, tk, cert));
	/*
	 * Again: the key is there, nothing is written (an outside audit
	 * found a second private key under the same CKA_ID).  Another key
	 * under that CKA_ID is refused.
	 */
	CU_ASSERT_EQUAL(count_objects(client, id), 3);
	CU_ASSERT_EQUAL(cs_p11_import_key(ctx, client, soft, rsa_enc, extra,
	    "pair-1", 0, &present), 0);
	CU_ASSERT_EQUAL(present, 1);
	CU_ASSERT_EQUAL(count_objects(client, id), 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other = same_skid_cert(rsa_enc, &okey));
	r = cs_p11_import_key(ctx, client, okey, other, NULL, "other", 0,
	    &present);
	CU_ASSERT_EQUAL(r, CERTSEAL_E_STATE);
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(ctx),
	    "already holds a private key with CKA_ID"));
	CU_ASSERT_EQUAL(count_objects(client, id), 3);
	X509_free(other);
	EVP_PKEY_free(okey);
	CMS_ContentInfo_free(c);
	sk_X509_free(extra);
	EVP_PKEY_free(soft);
	EVP_PKEY_free(tk);
	X509_free(cert);
}

/* Keys put there by pkcs11-tool, certificate with an unrelated CKA_ID. */
static void
test_foreign_keys(void)
{
	struct cs_p11_token *t = NULL;
	struct cs_recipient_id rid;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL, *mine;
	CMS_ContentInfo *c;

	CU_ASSERT_EQUAL_FATAL(tp_sh("cd '%s' && openssl req -x509 -newkey "
	    "rsa:2048 -nodes -keyout k.pem -out c.pem -subj /CN=foreign "
	    "-days 2 2>/dev/null && openssl pkcs8 -topk8 -nocrypt -in k.pem "
	    "-outform DER -out k.der && openssl x509 -in c.pem -outform DER "
	    "-out c.der && pkcs11-tool --module " SOFTHSM_PATH " --token-label "
	    "foreign --login --pin " TP_PIN " --write-object k.der --type "
	    "privkey --id 4242 --label fk >/dev/null 2>&1 && pkcs11-tool "
	    "--module " SOFTHSM_PATH " --token-label foreign --login --pin "
	    TP_PIN " --write-object c.der --type cert --id 4242 --label fk "
	    ">/dev/null 2>&1", tp_dir), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mine = read_tp_cert("c.pem"));
	CU_ASSERT_EQUAL_FATAL(open_login("foreign", &t), 0);
	/* By issuer and serial: certificate first, then its CKA_ID. */
	rid.keyid = NULL;
	rid.issuer = X509_get_issuer_name(mine);
	rid.serial = X509_get0_serialNumber(mine);
	CU_ASSERT_EQUAL_FATAL(cs_p11_find_recipient(ctx, t, &rid, &pkey,
	    &cert), 0);
	c = cms_encrypt(mine, EVP_sha1());
	CU_ASSERT(cms_decrypt_ok(c, pkey, cert));
	CMS_ContentInfo_free(c);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	X509_free(mine);
	cs_p11_token_unref(t);
}

/* "pkcs11:token=admin;id=%..." naming the admin token's key with SKID sid. */
static void
admin_key_uri(const ASN1_OCTET_STRING *sid, char *uri, size_t size)
{
	char hex[129];
	int i;

	cs_hex(sid->data, (size_t)sid->length, hex, sizeof(hex));
	snprintf(uri, size, "pkcs11:token=admin;id=");
	for (i = 0; hex[i] != '\0'; i += 2)
		snprintf(uri + strlen(uri), size - strlen(uri), "%%%c%c",
		    hex[i], hex[i + 1]);
	snprintf(uri + strlen(uri), size - strlen(uri),
	    "?module-path=" SOFTHSM_PATH);
}

/* The source end to end: seal with the envelope, open several times. */
static void
test_source_envelope(void)
{
	certseal_ctx *c2 = NULL;
	struct cs_source *src = NULL;
	const struct cs_key *signer = NULL;
	struct cs_seal_recipient rcpt = { rsa_enc, NULL };
	struct cs_seal_params sp;
	certseal_config *cfg = NULL;
	STACK_OF(X509) *trusted = sk_X509_new_null();
	json_t *desc = NULL;
	uint8_t *sealed = NULL;
	size_t sealedlen = 0, len;
	unsigned long logins;
	char uri[512];
	const ASN1_OCTET_STRING *sid = X509_get0_subject_key_id(rsa_sign);
	const uint8_t *data;
	int i;

	/* The admin signs with the token key named by id=. */
	admin_key_uri(sid, uri, sizeof(uri));
	CU_ASSERT_EQUAL_FATAL(cs_source_new(ctx, uri, &src), 0);
	CU_ASSERT_EQUAL_FATAL(cs_source_signer_key(src, &signer), 0);
	memset(&sp, 0, sizeof(sp));
	sp.name = "app";
	sp.sequence = 7;
	sp.recipients = &rcpt;
	sp.nrecipients = 1;
	sp.signers = &signer;
	sp.nsigners = 1;
	CU_ASSERT_EQUAL_FATAL(cs_envelope_seal(ctx, (const uint8_t *)msg,
	    sizeof(msg) - 1, &sp, &sealed, &sealedlen), 0);
	CU_ASSERT_EQUAL(cs_source_describe(src, &desc), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
	    json_object_get(desc, "token"), "label")), "admin");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(desc, "keys")), 4);
	json_decref(desc);
	cs_source_free(src);

	/* The client: its own token, one login for several opens. */
	setenv("CERTSEAL_PIN", TP_PIN, 1);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&c2), 0);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_add_source(c2,
	    "pkcs11:token=client?module-name=softhsm2"), 0);
	CU_ASSERT_EQUAL(cs_source_trusted_signers(c2->sources[0], trusted),
	    0);
	/* The signer's certificate, not the decryption key's (no key). */
	CU_ASSERT_EQUAL_FATAL(sk_X509_num(trusted), 1);
	CU_ASSERT_EQUAL(X509_cmp(sk_X509_value(trusted, 0), rsa_sign), 0);
	logins = cs_p11_login_calls();
	for (i = 0; i < 3; i++) {
		if (certseal_open_mem(c2, sealed, sealedlen, "app.conf",
		    &cfg) != 0) {
			fprintf(stderr, "open: %s\n",
			    certseal_ctx_last_error(c2));
			CU_FAIL("certseal_open_mem");
			break;
		}
		data = certseal_config_data(cfg, &len);
		CU_ASSERT(len == sizeof(msg) - 1 &&
		    memcmp(data, msg, len) == 0);
		CU_ASSERT(certseal_config_is_signed(cfg));
		certseal_config_free(cfg);
		cfg = NULL;
	}
	/* client was logged in by the import test already: no C_Login. */
	CU_ASSERT(cs_p11_login_calls() <= logins + 1);
	unsetenv("CERTSEAL_PIN");
	sk_X509_pop_free(trusted, X509_free);
	certseal_ctx_free(c2);
	free(sealed);
}

/* The trusted signers of a pkcs11: source (fresh context each time). */
static int
trusted_of(const char *uri, STACK_OF(X509) **out)
{
	certseal_ctx *c = NULL;
	struct cs_source *src = NULL;
	int r;

	*out = sk_X509_new_null();
	setenv("CERTSEAL_PIN", TP_PIN, 1);
	if ((r = certseal_ctx_new(&c)) == 0 &&
	    (r = cs_source_new(c, uri, &src)) == 0)
		r = cs_source_trusted_signers(src, *out);
	if (r != 0)
		fprintf(stderr, "%s: %s\n", uri, certseal_ctx_last_error(c));
	unsetenv("CERTSEAL_PIN");
	cs_source_free(src);
	certseal_ctx_free(c);
	return r;
}

static int
has_cert(STACK_OF(X509) *sk, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (X509_cmp(sk_X509_value(sk, i), x) == 0)
			return 1;
	return 0;
}

/*
 * Seals msg to rsa_enc, signed by the key with the SKID of `by`: on the
 * admin token, or (forge) exported from it into software, as a client
 * holding the shared decryption key could sign.
 */
static int
seal_to(X509 **to, size_t nto, X509 *by, int forge, uint8_t **sealed,
    size_t *sealedlen)
{
	const ASN1_OCTET_STRING *sid = X509_get0_subject_key_id(by);
	struct cs_seal_recipient *rcpt = NULL;
	struct cs_seal_params sp;
	struct cs_source *src = NULL;
	struct cs_key soft = { NULL, by, NULL, "" };
	const struct cs_key *signer = NULL;
	char uri[512];
	size_t k;
	int r = CERTSEAL_E_NOMEM;

	if ((rcpt = calloc(nto, sizeof(*rcpt))) == NULL)
		goto out;
	for (k = 0; k < nto; k++)
		rcpt[k].cert = to[k];
	if (forge) {
		if ((r = cs_p11_export_key(ctx, admin, sid->data,
		    (size_t)sid->length, &soft.pkey)) != 0)
			goto out;
		signer = &soft;
		goto seal;
	}
	admin_key_uri(sid, uri, sizeof(uri));
	if ((r = cs_source_new(ctx, uri, &src)) != 0 ||
	    (r = cs_source_signer_key(src, &signer)) != 0)
		goto out;
 seal:
	memset(&sp, 0, sizeof(sp));
	sp.name = "trust";
	sp.sequence = 1;
	sp.recipients = rcpt;
	sp.nrecipients = nto;
	sp.signers = &signer;
	sp.nsigners = 1;
	r = cs_envelope_seal(ctx, (const uint8_t *)msg, sizeof(msg) - 1, &sp,
	    sealed, sealedlen);
 out:
	if (r != 0)
		fprintf(stderr, "seal: %s\n", certseal_ctx_last_error(ctx));
	EVP_PKEY_free(soft.pkey);
	cs_source_free(src);
	free(rcpt);
	return r;
}

static int
seal_signed_by(X509 *by, int forge, uint8_t **sealed, size_t *sealedlen)
{
	return seal_to(&rsa_enc, 1, by, forge, sealed, sealedlen);
}

/*
 * The signer trust rule: certificates whose private key is on the token
 * are not signers (the decryption key is every client's), except the
 * admin token's own non-extractable, signing-only keys.
 */
static void
test_signer_trust(void)
{
	STACK_OF(X509) *t = NULL;
	certseal_ctx *c2 = NULL;
	certseal_config *cfg = NULL;
	X509 *xs = NULL, *ns = NULL, *fcert = NULL;
	uint8_t *sealed = NULL;
	size_t sealedlen = 0;

	/* Admin token: its signing certificates, not its encryption ones. */
	CU_ASSERT_EQUAL_FATAL(trusted_of("pkcs11:token=admin?module-path="
	    SOFTHSM_PATH, &t), 0);
	CU_ASSERT_EQUAL(sk_X509_num(t), 2);
	CU_ASSERT(has_cert(t, rsa_sign) && has_cert(t, ec_sign));
	CU_ASSERT(!has_cert(t, rsa_enc) && !has_cert(t, ec_enc));
	sk_X509_pop_free(t, X509_free);

	/* Signing-only certificate, but the key is extractable: refused. */
	{
		struct cs_p11_token *tt = NULL;
		struct cs_p11_keygen kx = { CS_P11_EC_P256, CS_P11_USAGE_SIGN,
		    1, "x-sign", 30 };
		struct cs_p11_keygen kn = { CS_P11_EC_P256, CS_P11_USAGE_SIGN,
		    0, "n-sign", 30 };

		CU_ASSERT_EQUAL_FATAL(open_login("trust", &tt), 0);
		CU_ASSERT_EQUAL_FATAL(cs_p11_keygen(ctx, tt, &kx, &xs), 0);
		CU_ASSERT_EQUAL_FATAL(cs_p11_keygen(ctx, tt, &kn, &ns), 0);
		cs_p11_token_unref(tt);
	}
	CU_ASSERT_EQUAL_FATAL(trusted_of("pkcs11:token=trust?module-path="
	    SOFTHSM_PATH, &t), 0);
	CU_ASSERT_EQUAL(sk_X509_num(t), 1);
	CU_ASSERT(has_cert(t, ns) && !has_cert(t, xs));
	sk_X509_pop_free(t, X509_free);

	/*
	 * Foreign token: the key's certificate (no keyUsage) is refused, also
	 * when a second copy sits under an unrelated CKA_ID: the key is then
	 * found by its modulus.
	 */
	CU_ASSERT_EQUAL_FATAL(tp_sh("cd '%s' && pkcs11-tool --module "
	    SOFTHSM_PATH " --token-label foreign --login --pin " TP_PIN
	    " --write-object c.der --type cert --id 9999 --label copy "
	    ">/dev/null 2>&1", tp_dir), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fcert = read_tp_cert("c.pem"));
	CU_ASSERT_EQUAL_FATAL(trusted_of("pkcs11:token=foreign?module-path="
	    SOFTHSM_PATH, &t), 0);
	CU_ASSERT_EQUAL(sk_X509_num(t), 0);
	sk_X509_pop_free(t, X509_free);
	/*
	 * type=cert with object= narrows the set (import labels both
	 * certificates "pair-1"); the rule still applies.
	 */
	CU_ASSERT_EQUAL_FATAL(trusted_of("pkcs11:token=client;type=cert;"
	    "object=pair-1?module-path=" SOFTHSM_PATH, &t), 0);
	CU_ASSERT_EQUAL(sk_X509_num(t), 1);
	CU_ASSERT(has_cert(t, rsa_sign) && !has_cert(t, rsa_enc));
	sk_X509_pop_free(t, X509_free);
	CU_ASSERT_EQUAL_FATAL(trusted_of("pkcs11:token=client;type=cert;"
	    "object=nothing?module-path=" SOFTHSM_PATH, &t), 0);
	CU_ASSERT_EQUAL(sk_X509_num(t), 0);
	sk_X509_pop_free(t, X509_free);

	/* A file signed with the decryption key itself: refused. */
	CU_ASSERT_EQUAL_FATAL(seal_signed_by(rsa_enc, 1, &sealed, &sealedlen),
	    0);
	setenv("CERTSEAL_PIN", TP_PIN, 1);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&c2), 0);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_add_source(c2,
	    "pkcs11:token=client?module-path=" SOFTHSM_PATH), 0);
	CU_ASSERT_EQUAL(certseal_open_mem(c2, sealed, sealedlen, "forged",
	    &cfg), CERTSEAL_E_UNTRUSTED);
	CU_ASSERT_PTR_NULL(cfg);
	free(sealed);
	sealed = NULL;
	/* The same file signed by the admin's signing key opens. */
	CU_ASSERT_EQUAL_FATAL(seal_signed_by(rsa_sign, 0, &sealed, &sealedlen),
	    0);
	CU_ASSERT_EQUAL(certseal_open_mem(c2, sealed, sealedlen, "genuine",
	    &cfg), 0);
	certseal_config_free(cfg);
	unsetenv("CERTSEAL_PIN");
	certseal_ctx_free(c2);
	free(sealed);
	X509_free(xs);
	X509_free(ns);
	X509_free(fcert);
}

/* A wrong PIN: one C_Login, remembered by the source, never resent. */
static void
test_wrong_pin_once(void)
{
	certseal_ctx *c = NULL, *c3 = NULL;
	struct cs_source *src = NULL, *src3 = NULL;
	STACK_OF(X509) *t = sk_X509_new_null();
	struct cs_recipient_id rid = { X509_get0_subject_key_id(rsa_enc),
	    NULL, NULL };
	const struct cs_key *k = NULL;
	unsigned long l0;
	int i;

	setenv("CERTSEAL_PIN", "9999", 1);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&c), 0);
	CU_ASSERT_EQUAL_FATAL(cs_source_new(c, "pkcs11:token=pinned?"
	    "module-path=" SOFTHSM_PATH, &src), 0);
	l0 = cs_p11_login_calls();
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(cs_source_find_key(src, &rid, &k),
		    CERTSEAL_E_PIN_INCORRECT);
		CU_ASSERT_EQUAL(cs_source_trusted_signers(src, t),
		    CERTSEAL_E_PIN_INCORRECT);
	}
	CU_ASSERT_EQUAL(cs_p11_login_calls(), l0 + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(c),
	    "CKR_PIN_INCORRECT"));
	/* Another source, another context, the same wrong PIN: not sent. */
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&c3), 0);
	CU_ASSERT_EQUAL_FATAL(cs_source_new(c3, "pkcs11:token=pinned?"
	    "module-path=" SOFTHSM_PATH, &src3), 0);
	CU_ASSERT_EQUAL(cs_source_trusted_signers(src3, t),
	    CERTSEAL_E_PIN_INCORRECT);
	CU_ASSERT_EQUAL(cs_p11_login_calls(), l0 + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(certseal_ctx_last_error(c3),
	    "refused already"));
	cs_source_free(src3);
	/* The right PIN is sent and logs in. */
	setenv("CERTSEAL_PIN", TP_PIN, 1);
	CU_ASSERT_EQUAL_FATAL(cs_source_new(c3, "pkcs11:token=pinned?"
	    "module-path=" SOFTHSM_PATH, &src3), 0);
	CU_ASSERT_EQUAL(cs_source_trusted_signers(src3, t), 0);
	CU_ASSERT_EQUAL(cs_p11_login_calls(), l0 + 2);
	cs_source_free(src3);
	certseal_ctx_free(c3);
	unsetenv("CERTSEAL_PIN");
	/* Not locked: the token says so and the right PIN works. */
	CU_ASSERT_EQUAL(tp_sh("pkcs11-tool --module " SOFTHSM_PATH
	    " --token-label pinned -T 2>/dev/null | grep -qi locked"), 256);
	sk_X509_pop_free(t, X509_free);
	cs_source_free(src);
	certseal_ctx_free(c);
}

/*
 * The pkcs11: source lists its token once per open: a file sealed to many
 * recipients costs one listing, not a search per recipient, and a pair
 * added to the token between two opens in one context is found.
 */
static void
test_listing_per_open(void)
{
	int present;
	X509 *foreign[40], *late = NULL;
	EVP_PKEY *fk, *soft = NULL;
	certseal_ctx *c2 = NULL;
	certseal_config *cfg = NULL;
	uint8_t *sealed = NULL;
	size_t sealedlen = 0, i;
	const ASN1_OCTET_STRING *lid;
	unsigned long f0;
	char cn[32];

	for (i = 0; i < 40; i++) {
		snprintf(cn, sizeof(cn), "foreign-%zu", i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fk = tu_make_key("ec-p256"));
		foreign[i] = tu_make_cert_simple(fk, cn);
		EVP_PKEY_free(fk);
		CU_ASSERT_PTR_NOT_NULL_FATAL(foreign[i]);
	}
	setenv("CERTSEAL_PIN", TP_PIN, 1);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&c2), 0);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_add_source(c2,
	    "pkcs11:token=client?module-path=" SOFTHSM_PATH), 0);

	/* Forty recipients, none of them on the token: one listing. */
	CU_ASSERT_EQUAL_FATAL(seal_to(foreign, 40, rsa_sign, 0, &sealed,
	    &sealedlen), 0);
	f0 = cs_p11_find_calls();
	CU_ASSERT_EQUAL(certseal_open_mem(c2, sealed, sealedlen, "foreign",
	    &cfg), CERTSEAL_E_NO_KEY);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT(cs_p11_find_calls() - f0 <= 2);
	free(sealed);
	sealed = NULL;

	/* Thirty-nine of them and the client's pair: opens, one listing. */
	X509_free(foreign[39]);
	foreign[39] = rsa_enc;
	CU_ASSERT_EQUAL_FATAL(seal_to(foreign, 40, rsa_sign, 0, &sealed,
	    &sealedlen), 0);
	f0 = cs_p11_find_calls();
	CU_ASSERT_EQUAL(certseal_open_mem(c2, sealed, sealedlen, "mixed",
	    &cfg), 0);
	certseal_config_free(cfg);
	cfg = NULL;
	CU_ASSERT(cs_p11_find_calls() - f0 <= 4);
	free(sealed);
	sealed = NULL;

	/* A pair that reaches the token after those opens is found. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(late = gen(CS_P11_RSA3072,
	    CS_P11_USAGE_ENCRYPT, 1, "late"));
	lid = X509_get0_subject_key_id(late);
	CU_ASSERT_EQUAL_FATAL(cs_p11_export_key(ctx, admin, lid->data,
	    (size_t)lid->length, &soft), 0);
	CU_ASSERT_EQUAL_FATAL(cs_p11_import_key(ctx, client, soft, late,
	    NULL, "late", 0, &present), 0);
	CU_ASSERT_EQUAL_FATAL(seal_to(&late, 1, rsa_sign, 0, &sealed,
	    &sealedlen), 0);
	CU_ASSERT_EQUAL(certseal_open_mem(c2, sealed, sealedlen, "late",
	    &cfg), 0);
	if (cfg == NULL)
		fprintf(stderr, "late: %s\n", certseal_ctx_last_error(c2));
	certseal_config_free(cfg);
	unsetenv("CERTSEAL_PIN");
	certseal_ctx_free(c2);
	for (i = 0; i < 39; i++)
		X509_free(foreign[i]);
	X509_free(late);
	EVP_PKEY_free(soft);
	free(sealed);
}

/*
 * A token certificate is parsed once, when first asked, and not at all
 * when the SignedData carries the same bytes (the signer the token
 * trusts): that parsed copy is taken.  Anything but an X.509 certificate
 * is unusable, once and for all.
 */
static void
test_cert_parsed_once_or_known(void)
{
	struct cs_p11_cert c;
	STACK_OF(X509) *known = sk_X509_new_null();
	const unsigned char *p;
	unsigned char *der = NULL;
	X509 *copy, *x;
	int len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(known);
	CU_ASSERT_FATAL((len = i2d_X509(rsa_sign, &der)) > 0);
	p = der;
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy = d2i_X509(NULL, &p, len));
	/* Known: the same bytes, another object - that one is taken. */
	memset(&c, 0, sizeof(c));
	c.der = der;
	c.len = (size_t)len;
	sk_X509_push(known, ec_sign);
	sk_X509_push(known, copy);
	CU_ASSERT_PTR_EQUAL(cs_p11_cert_x509(&c, known), copy);
	CU_ASSERT_PTR_EQUAL(cs_p11_cert_x509(&c, NULL), copy);
	X509_free(c.x);
	/* Not known: parsed, once. */
	memset(&c, 0, sizeof(c));
	c.der = der;
	c.len = (size_t)len;
	sk_X509_pop(known);
	x = cs_p11_cert_x509(&c, known);
	CU_ASSERT_PTR_NOT_NULL(x);
	CU_ASSERT(x != ec_sign && x != copy && X509_cmp(x, rsa_sign) == 0);
	CU_ASSERT_PTR_EQUAL(cs_p11_cert_x509(&c, known), x);
	X509_free(c.x);
	/* A value cut short, and one with bytes after the certificate. */
	memset(&c, 0, sizeof(c));
	c.der = der;
	c.len = (size_t)len - 1;
	CU_ASSERT_PTR_NULL(cs_p11_cert_x509(&c, NULL));
	CU_ASSERT(c.unusable);
	CU_ASSERT_PTR_NULL(cs_p11_cert_x509(&c, NULL));
	memset(&c, 0, sizeof(c));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.der = malloc((size_t)len + 1));
	memcpy(c.der, der, (size_t)len);
	c.der[len] = 0;
	c.len = (size_t)len + 1;
	CU_ASSERT_PTR_NULL(cs_p11_cert_x509(&c, NULL));
	free(c.der);
	X509_free(copy);
	sk_X509_free(known);
	OPENSSL_free(der);
}

/*
 * A token shared with other applications holds certificates that no
 * SignedData names.  They are trusted signers by the rule (no private key
 * on the token is theirs), but an open is not to parse them: the sources
 * are told whom the SignedData can name (cert-ident.c reads that without
 * a parse), and answer for those as the whole set does.
 */
static void
test_trusted_named(void)
{
	int present;
	enum { NFOREIGN = 30 };
	X509 *foreign[NFOREIGN], *to[6], *omade;
	struct cs_recipient_id ids[3];
	struct cs_signer_query q;
	struct cs_p11_token *sh = NULL;
	struct cs_source *src = NULL;
	STACK_OF(X509) *t;
	EVP_PKEY *fk, *soft = NULL;
	certseal_ctx *c2 = NULL;
	certseal_config *cfg = NULL;
	const ASN1_OCTET_STRING *lid = X509_get0_subject_key_id(rsa_enc);
	uint8_t *sealed = NULL;
	size_t sealedlen = 0, i;
	unsigned long p0;
	char cn[32];
	const char *uri = "pkcs11:token=shared?module-path=" SOFTHSM_PATH;

	/* The client's pair, the admin's signer and thirty strangers. */
	CU_ASSERT_EQUAL_FATAL(open_login("shared", &sh), 0);
	CU_ASSERT_EQUAL_FATAL(cs_p11_export_key(ctx, admin, lid->data,
	    (size_t)lid->length, &soft), 0);
	CU_ASSERT_EQUAL_FATAL(cs_p11_import_key(ctx, sh, soft, rsa_enc, NULL,
	    "pair", 0, &present), 0);
	cs_p11_token_unref(sh);
	setenv("CERTSEAL_PIN", TP_PIN, 1);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&c2), 0);
	CU_ASSERT_EQUAL_FATAL(cs_source_new(c2, uri, &src), 0);
	CU_ASSERT_EQUAL_FATAL(cs_source_add_trusted_signer(src, rsa_sign), 0);
	for (i = 0; i < NFOREIGN; i++) {
		snprintf(cn, sizeof(cn), "stranger-%zu", i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fk = tu_make_key("ec-p256"));
		foreign[i] = tu_make_cert_simple(fk, cn);
		EVP_PKEY_free(fk);
		CU_ASSERT_PTR_NOT_NULL_FATAL(foreign[i]);
		CU_ASSERT_EQUAL_FATAL(cs_source_add_trusted_signer(src,
		    foreign[i]), 0);
	}
	cs_source_free(src);
	src = NULL;
	/* One made by openssl and stored by pkcs11-tool, under no SKID. */
	CU_ASSERT_EQUAL_FATAL(tp_sh("cd '%s' && openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout o.key -out o.pem "
	    "-subj /CN=openssl-made -days 30 2>/dev/null && openssl x509 -in "
	    "o.pem -outform DER -out o.der && pkcs11-tool --module "
	    SOFTHSM_PATH " --token-label shared --login --pin " TP_PIN
	    " --write-object o.der --type cert --id 7777 --label other "
	    ">/dev/null 2>&1", tp_dir), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(omade = read_tp_cert("o.pem"));

	/* The whole set: every certificate without a key. */
	CU_ASSERT_EQUAL_FATAL(cs_source_new(c2, uri, &src), 0);
	t = sk_X509_new_null();
	CU_ASSERT_EQUAL(cs_source_trusted_signers(src, t), 0);
	CU_ASSERT_EQUAL(sk_X509_num(t), NFOREIGN + 2);
	CU_ASSERT(has_cert(t, rsa_sign) && !has_cert(t, rsa_enc));
	sk_X509_pop_free(t, X509_free);
	cs_source_free(src);

	/*
	 * Named by issuer and serial, by SKID, and the pair's own
	 * certificate (its key is on the token: still not a signer).
	 */
	memset(ids, 0, sizeof(ids));
	ids[0].issuer = X509_get_issuer_name(foreign[3]);
	ids[0].serial = X509_get0_serialNumber(foreign[3]);
	ids[1].keyid = X509_get0_subject_key_id(foreign[7]);
	ids[2].keyid = lid;
	q.carried = NULL;
	q.ids = ids;
	q.nids = 3;
	CU_ASSERT_EQUAL_FATAL(cs_source_new(c2, uri, &src), 0);
	t = sk_X509_new_null();
	p0 = cs_p11_cert_parses();
	CU_ASSERT_EQUAL(cs_source_trusted_signers_for(src, t, &q), 0);
	CU_ASSERT_EQUAL(sk_X509_num(t), 2);
	CU_ASSERT(has_cert(t, foreign[3]) && has_cert(t, foreign[7]));
	CU_ASSERT(cs_p11_cert_parses() - p0 <= 3);
	sk_X509_pop_free(t, X509_free);
	cs_source_free(src);
	/* openssl's certificate, by issuer and serial and by its SKID. */
	ids[0].issuer = X509_get_issuer_name(omade);
	ids[0].serial = X509_get0_serialNumber(omade);
	ids[1].issuer = NULL;
	ids[1].serial = NULL;
	ids[1].keyid = X509_get0_subject_key_id(omade);
	for (i = 0; i < 2; i++) {
		q.ids = &ids[i];
		q.nids = 1;
		CU_ASSERT_EQUAL_FATAL(cs_source_new(c2, uri, &src), 0);
		t = sk_X509_new_null();
		CU_ASSERT_EQUAL(cs_source_trusted_signers_for(src, t, &q), 0);
		CU_ASSERT_EQUAL(sk_X509_num(t), 1);
		CU_ASSERT(has_cert(t, omade));
		sk_X509_pop_free(t, X509_free);
		cs_source_free(src);
	}
	/* Named nowhere on the token: nobody, and nothing parsed. */
	memset(ids, 0, sizeof(ids));
	ids[0].issuer = X509_get_issuer_name(foreign[3]);
	ids[0].serial = X509_get0_serialNumber(foreign[4]);
	ids[1].keyid = X509_get0_subject_key_id(ec_sign);
	q.ids = ids;
	q.nids = 2;
	CU_ASSERT_EQUAL_FATAL(cs_source_new(c2, uri, &src), 0);
	t = sk_X509_new_null();
	p0 = cs_p11_cert_parses();
	CU_ASSERT_EQUAL(cs_source_trusted_signers_for(src, t, &q), 0);
	CU_ASSERT_EQUAL(sk_X509_num(t), 0);
	CU_ASSERT_EQUAL(cs_p11_cert_parses() - p0, 0);
	sk_X509_pop_free(t, X509_free);
	cs_source_free(src);

	/* An open: the signer is taken from the SignedData, no stranger parsed. */
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_add_source(c2, uri), 0);
	CU_ASSERT_EQUAL_FATAL(seal_signed_by(rsa_sign, 0, &sealed,
	    &sealedlen), 0);
	p0 = cs_p11_cert_parses();
	CU_ASSERT_EQUAL(certseal_open_mem(c2, sealed, sealedlen, "shared",
	    &cfg), 0);
	CU_ASSERT(cs_p11_cert_parses() - p0 <= 1);
	certseal_config_free(cfg);
	cfg = NULL;
	/*
	 * Sealed to five others first: their recipients are looked for on
	 * the token without parsing its strangers.
	 */
	free(sealed);
	for (i = 0; i < 5; i++) {
		/* RSA, like the pair: listed before it, in this order. */
		CU_ASSERT_PTR_NOT_NULL_FATAL(fk = tu_make_key("rsa-2048"));
		to[i] = tu_make_cert_simple(fk, "elsewhere");
		EVP_PKEY_free(fk);
		CU_ASSERT_PTR_NOT_NULL_FATAL(to[i]);
	}
	to[5] = rsa_enc;
	CU_ASSERT_EQUAL_FATAL(seal_to(to, 6, rsa_sign, 0, &sealed,
	    &sealedlen), 0);
	certseal_ctx_free(c2);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_new(&c2), 0);
	CU_ASSERT_EQUAL_FATAL(certseal_ctx_add_source(c2, uri), 0);
	p0 = cs_p11_cert_parses();
	CU_ASSERT_EQUAL(certseal_open_mem(c2, sealed, sealedlen, "six",
	    &cfg), 0);
	CU_ASSERT(cs_p11_cert_parses() - p0 <= 1);
	certseal_config_free(cfg);
	cfg = NULL;
	for (i = 0; i < 5; i++)
		X509_free(to[i]);
	/* Signed by the pair's key: still refused. */
	free(sealed);
	CU_ASSERT_EQUAL_FATAL(seal_signed_by(rsa_enc, 1, &sealed,
	    &sealedlen), 0);
	CU_ASSERT_EQUAL(certseal_open_mem(c2, sealed, sealedlen, "forged",
	    &cfg), CERTSEAL_E_UNTRUSTED);
	CU_ASSERT_PTR_NULL(cfg);
	unsetenv("CERTSEAL_PIN");
	certseal_ctx_free(c2);
	for (i = 0; i < NFOREIGN; i++)
		X509_free(foreign[i]);
	X509_free(omade);
	EVP_PKEY_free(soft);
	free(sealed);
}

static const struct cu_case cases[] = {
	{ "keygen RSA/EC, sign/encrypt, extractable flags", test_keygen },
	{ "OAEP-SHA1 native, OAEP-SHA256 via raw RSA",
	    test_oaep_native_and_raw },
	{ "OAEP label passed through", test_oaep_label },
	{ "ECDH through CMS KARI", test_ecdh },
	{ "RSA PKCS#1, RSA-PSS, ECDSA signing", test_signing },
	{ "wrap export, import into a second token", test_export_import },
	{ "keys written by pkcs11-tool, found via certificate",
	    test_foreign_keys },
	{ "pkcs11: source with the envelope", test_source_envelope },
	{ "signer trust: no private key, or the admin's own signing key",
	    test_signer_trust },
	{ "wrong PIN: one C_Login, remembered", test_wrong_pin_once },
	{ "a token certificate parsed once, or taken from the SignedData",
	    test_cert_parsed_once_or_known },
	{ "token listed once per open; late pairs found",
	    test_listing_per_open },
	{ "a shared token's strangers not parsed at an open",
	    test_trusted_named },
};

int
main(void)
{
	int rc;

	if (tp_setup() != 0 || tp_token("admin") != 0 ||
	    tp_token("client") != 0 || tp_token("foreign") != 0 ||
	    tp_token("trust") != 0 || tp_token("pinned") != 0 ||
	    tp_token("shared") != 0) {
		fprintf(stderr, "cannot create SoftHSM2 tokens\n");
		tp_cleanup();
		return 99;
	}
	if (certseal_ctx_new(&ctx) != 0 || open_login("admin", &admin) != 0 ||
	    open_login("client", &client) != 0) {
		fprintf(stderr, "setup: %s\n", certseal_ctx_last_error(ctx));
		tp_cleanup();
		return 99;
	}
	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("p11-keys", CU_CASES(cases), NULL, NULL) != 0)
		return 99;
	rc = cu_run_all();
	X509_free(rsa_enc);
	X509_free(rsa_sign);
	X509_free(ec_enc);
	X509_free(ec_sign);
	cs_p11_token_unref(admin);
	cs_p11_token_unref(client);
	certseal_ctx_free(ctx);
	cs_p11_shutdown();
	tp_cleanup();
	return rc;
}
