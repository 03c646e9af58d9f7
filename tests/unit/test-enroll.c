/*
 * test-enroll.c - the enrolment primitives (src/lib/enroll.c): key IDs
 * against OpenSSL's own "hash" subjectKeyIdentifier, client names, the
 * request's proof of possession, report signatures.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cu-run.h"
#include "enroll.h"

static EVP_PKEY *
make_key(const char *alg)
{
	if (strcmp(alg, "rsa-3072") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	if (strcmp(alg, "ec-p384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* The SKID OpenSSL computes with "hash" for a certificate of pk. */
static void
openssl_skid(EVP_PKEY *pk, char out[CS_KEY_ID_HEX + 1])
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *skid;

	CU_ASSERT_FATAL(x != NULL && X509_set_pubkey(x, pk) == 1);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier,
	    "hash");
	CU_ASSERT_FATAL(ext != NULL);
	skid = X509V3_EXT_d2i(ext);
	CU_ASSERT_FATAL(skid != NULL && skid->length == CS_KEY_ID_LEN);
	cs_hex(skid->data, (size_t)skid->length, out, CS_KEY_ID_HEX + 1);
	ASN1_OCTET_STRING_free(skid);
	X509_EXTENSION_free(ext);
	X509_free(x);
}

static void
test_key_id_is_hash_skid(void)
{
	static const char *const algs[] = { "rsa-3072", "ec-p256", "ec-p384" };
	char ours[CS_KEY_ID_HEX + 1], theirs[CS_KEY_ID_HEX + 1];
	EVP_PKEY *pk;
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		CU_ASSERT_FATAL((pk = make_key(algs[i])) != NULL);
		CU_ASSERT(cs_key_id_hex(pk, ours) == 0);
		openssl_skid(pk, theirs);
		if (strcmp(ours, theirs) != 0)
			fprintf(stderr, "%s: key id %s, openssl %s\n", algs[i],
			    ours, theirs);
		CU_ASSERT_STRING_EQUAL(ours, theirs);
		CU_ASSERT_STRING_EQUAL(cs_key_algorithm(pk), algs[i]);
		EVP_PKEY_free(pk);
	}
}

static void
test_client_names(void)
{
	static const struct {
		const char *name;
		int ok;
	} rows[] = {
		{ "web-1", 1 }, { "a", 1 }, { "db.prod_2", 1 },
		{ "", 0 }, { ".hidden", 0 }, { "-x", 0 }, { "a/b", 0 },
		{ "../x", 0 }, { "a b", 0 }, { "é", 0 },
		{ "0123456789012345678901234567890123456789012345678901234567890123",
		    1 },
		{ "01234567890123456789012345678901234567890123456789012345678901234",
		    0 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (cs_client_name_ok(rows[i].name) != rows[i].ok)
			fprintf(stderr, "row %zu '%s': got %d\n", i,
			    rows[i].name, !rows[i].ok);
		CU_ASSERT_EQUAL(cs_client_name_ok(rows[i].name), rows[i].ok);
	}
}

static void
test_request_proof_of_possession(void)
{
	EVP_PKEY *pk = make_key("ec-p256"), *other = make_key("ec-p256");
	X509_REQ *req = NULL;
	char *pem = NULL, *cn;
	unsigned char *der = NULL;
	size_t len = 0;
	int derlen;

	CU_ASSERT_FATAL(pk != NULL && other != NULL);
	CU_ASSERT_FATAL(cs_enroll_request(NULL, pk, "web-1", &pem, &len) == 0);
	CU_ASSERT(cs_enroll_request_parse(NULL, (uint8_t *)pem, len, "t",
	    &req) == 0);
	CU_ASSERT_FATAL(req != NULL);
	CU_ASSERT_STRING_EQUAL((cn = cs_name_cn(X509_REQ_get_subject_name(req),
	    SIZE_MAX)), "web-1");
	free(cn);
	/* Signed by another key than the one it carries. */
	CU_ASSERT_FATAL(X509_REQ_sign(req, other, EVP_sha256()) > 0);
	CU_ASSERT_FATAL((derlen = i2d_X509_REQ(req, &der)) > 0);
	X509_REQ_free(req);
	req = NULL;
	CU_ASSERT(cs_enroll_request_parse(NULL, der, (size_t)derlen, "t",
	    &req) == CERTSEAL_E_BAD_SIGNATURE);
	CU_ASSERT(req == NULL);
	/* Not a request at all. */
	CU_ASSERT(cs_enroll_request_parse(NULL, (const uint8_t *)"hello", 5,
	    "t", &req) == CERTSEAL_E_INTEGRITY);
	OPENSSL_free(der);
	free(pem);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(other);
}

static void
test_report_signature(void)
{
	static const char report[] = "{\"format\": 1, \"host\": \"web-1\"}\n";
	EVP_PKEY *pk = make_key("rsa-3072"), *other = make_key("rsa-3072");
	char *sig = NULL, *bad = NULL, *p;
	size_t siglen = 0;

	CU_ASSERT_FATAL(pk != NULL && other != NULL);
	CU_ASSERT_FATAL(cs_report_sign(NULL, pk, (const uint8_t *)report,
	    strlen(report), &sig, &siglen) == 0);
	CU_ASSERT(cs_report_verify(NULL, pk, (const uint8_t *)report,
	    strlen(report), sig, siglen) == 0);
	/* one byte of the report changed */
	CU_ASSERT(cs_report_verify(NULL, pk, (const uint8_t *)report,
	    strlen(report) - 1, sig, siglen) == CERTSEAL_E_BAD_SIGNATURE);
	/* another client's key */
	CU_ASSERT(cs_report_verify(NULL, other, (const uint8_t *)report,
	    strlen(report), sig, siglen) == CERTSEAL_E_BAD_SIGNATURE);
	/* a damaged signature line */
	CU_ASSERT_FATAL((bad = strdup(sig)) != NULL);
	p = strstr(bad, "signature ");
	CU_ASSERT_FATAL(p != NULL);
	p[12] = p[12] == 'A' ? 'B' : 'A';
	CU_ASSERT(cs_report_verify(NULL, pk, (const uint8_t *)report,
	    strlen(report), bad, siglen) == CERTSEAL_E_BAD_SIGNATURE);
	CU_ASSERT(cs_report_verify(NULL, pk, (const uint8_t *)report,
	    strlen(report), "", 0) == CERTSEAL_E_BAD_SIGNATURE);
	free(bad);
	free(sig);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(other);
}

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "key id is openssl's hash SKID", test_key_id_is_hash_skid },
		{ "client names", test_client_names },
		{ "request: proof of possession",
		    test_request_proof_of_possession },
		{ "report signature", test_report_signature },
	};

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("enroll", CU_CASES(cases), NULL, NULL) != 0)
		return 1;
	return cu_run_all();
}
