/*
 * test-seal-stream.c - the sealed file written as it is encrypted
 * (envelope-skeleton.c, envelope-writer.c, cs_sealing_*): the skeleton's
 * lengths at every boundary of the DER length octets, files that OpenSSL
 * decodes and re-encodes to the same bytes (so: DER, and PEM as
 * PEM_write_bio writes it), decrypted and verified by OpenSSL's CMS, the
 * same file through a descriptor as in memory, and write failures.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/rand.h>

#include "cu-run.h"
#include "envelope-internal.h"
#include "testutil.h"

static EVP_PKEY *rkey, *skey;
static X509 *rcert, *scert;
static struct cs_key signer;

static int
suite_init(void)
{
	if ((rkey = tu_make_key("rsa-2048")) == NULL ||
	    (rcert = tu_make_cert_simple(rkey, "recipient")) == NULL ||
	    (skey = tu_make_key("ec-p256")) == NULL ||
	    (scert = tu_make_cert_simple(skey, "signer")) == NULL)
		return -1;
	signer.pkey = skey;
	signer.cert = scert;
	cs_key_set_keyid(&signer);
	return 0;
}

static int
suite_cleanup(void)
{
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(skey);
	X509_free(rcert);
	X509_free(scert);
	return 0;
}

static void
params_for(struct cs_seal_params *p, struct cs_seal_recipient *r,
    const struct cs_key **s, enum cs_armour armour)
{
	memset(p, 0, sizeof(*p));
	r->cert = rcert;
	r->oaep_md = NULL;
	*s = &signer;
	p->name = "stream";
	p->sequence = 7;
	p->recipients = r;
	p->nrecipients = 1;
	p->signers = s;
	p->nsigners = 1;
	p->armour = armour;
}

/*
 * The DER of a sealed file: OpenSSL must decode it and encode it again to
 * the same bytes, decrypt it, and find `in` in a SignedData that verifies.
 */
static void
check_file(const uint8_t *file, size_t len, enum cs_armour armour,
    const uint8_t *in, size_t inlen)
{
	CMS_ContentInfo *env = NULL, *sd = NULL;
	BIO *b = NULL, *inner = NULL, *content = NULL;
	unsigned char *re = NULL, *p;
	const unsigned char *q;
	char *text = NULL;
	long textlen;
	int relen;
	BUF_MEM *bm;

	if (armour == CS_ARMOUR_PEM) {
		CU_ASSERT_FATAL((b = BIO_new_mem_buf(file, (int)len)) != NULL);
		CU_ASSERT_FATAL((env = PEM_read_bio_CMS(b, NULL, NULL,
		    NULL)) != NULL);
		BIO_free(b);
		/* The text, too, is what OpenSSL writes. */
		CU_ASSERT_FATAL((b = BIO_new(BIO_s_mem())) != NULL);
		CU_ASSERT_FATAL(PEM_write_bio_CMS(b, env) == 1);
		textlen = BIO_get_mem_data(b, &text);
		CU_ASSERT((size_t)textlen == len &&
		    memcmp(text, file, len) == 0);
		BIO_free(b);
	} else {
		q = file;
		CU_ASSERT_FATAL((env = d2i_CMS_ContentInfo(NULL, &q,
		    (long)len)) != NULL);
		CU_ASSERT(q == file + len);
		relen = i2d_CMS_ContentInfo(env, NULL);
		CU_ASSERT_FATAL(relen > 0 && (re = malloc((size_t)relen)));
		p = re;
		i2d_CMS_ContentInfo(env, &p);
		CU_ASSERT((size_t)relen == len && memcmp(re, file, len) == 0);
		free(re);
	}
	CU_ASSERT_FATAL((inner = BIO_new(BIO_s_mem())) != NULL);
	CU_ASSERT_FATAL(CMS_decrypt(env, rkey, rcert, NULL, inner,
	    CMS_BINARY) == 1);
	CU_ASSERT_FATAL((sd = d2i_CMS_bio(inner, NULL)) != NULL);
	CU_ASSERT_FATAL((content = BIO_new(BIO_s_mem())) != NULL);
	CU_ASSERT(CMS_verify(sd, NULL, NULL, NULL, content,
	    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1);
	BIO_get_mem_ptr(content, &bm);
	CU_ASSERT(bm->length == inlen && (inlen == 0 ||
	    memcmp(bm->data, in, inlen) == 0));
	BIO_free(content);
	BIO_free(inner);
	CMS_ContentInfo_free(sd);
	CMS_ContentInfo_free(env);
}

static void
seal_and_check(const uint8_t *in, size_t inlen, enum cs_armour armour)
{
	struct cs_seal_recipient r;
	struct cs_seal_params p;
	const struct cs_key *s;
	certseal_ctx *ctx = NULL;
	uint8_t *out = NULL;
	size_t outlen = 0;

	params_for(&p, &r, &s, armour);
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	if (cs_envelope_seal(ctx, in, inlen, &p, &out, &outlen) != 0) {
		fprintf(stderr, "seal of %zu bytes: %s\n", inlen,
		    certseal_ctx_last_error(ctx));
		CU_FAIL_FATAL("seal failed");
	}
	check_file(out, outlen, armour, in, inlen);
	free(out);
	certseal_ctx_free(ctx);
}

/*
 * A synthetic skeleton: SEQUENCE { OCTET STRING (hole), SEQUENCE {
 * INTEGER 5, [0] IMPLICIT OCTET STRING (hole) }, [APPLICATION 31]
 * (a high tag number) { NULL } } filled with bytes and parsed back by
 * OpenSSL, for hole sizes around each change of the length octets.
 */
static void
test_skeleton_lengths(void)
{
	static const unsigned char der[] = {
		0x30, 0x0e,
		0x04, 0x00,
		0x30, 0x05, 0x02, 0x01, 0x05, 0x80, 0x00,
		0x7f, 0x1f, 0x02, 0x05, 0x00
	};
	static const size_t sizes[] = {
		0, 1, 100, 115, 116, 117, 127, 128, 129, 200, 240, 250, 255,
		256, 257, 65000, 65535, 65536, 65537, 70000, 16777215,
		16777216, 16777300
	};
	struct cs_skeleton sk;
	struct cs_hole holes[2];
	STACK_OF(ASN1_TYPE) *seq;
	const unsigned char *q;
	unsigned char *file, *re;
	size_t i, j, total;
	int relen;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < 2; j++) {
			holes[0].at = der + 2;
			holes[0].size = j == 0 ? sizes[i] : 3;
			holes[1].at = der + 9;
			holes[1].size = j == 0 ? 2 : sizes[i];
			CU_ASSERT_FATAL(cs_skeleton_build(der, sizeof(der), holes, 2,
			    &sk) == 0);
			total = sk.total;
			CU_ASSERT(sk.len + holes[0].size + holes[1].size ==
			    total);
			CU_ASSERT_FATAL((file = malloc(total)) != NULL);
			memcpy(file, sk.bytes, sk.hole_at[0]);
			memset(file + sk.hole_at[0], 'a', holes[0].size);
			memcpy(file + sk.hole_at[0] + holes[0].size,
			    sk.bytes + sk.hole_at[0],
			    sk.hole_at[1] - sk.hole_at[0]);
			memset(file + sk.hole_at[1] + holes[0].size, 'b',
			    holes[1].size);
			memcpy(file + sk.hole_at[1] + holes[0].size +
			    holes[1].size, sk.bytes + sk.hole_at[1],
			    sk.len - sk.hole_at[1]);
			q = file;
			seq = d2i_ASN1_SEQUENCE_ANY(NULL, &q, (long)total);
			CU_ASSERT_FATAL(seq != NULL);
			CU_ASSERT(q == file + total);
			CU_ASSERT(sk_ASN1_TYPE_num(seq) == 3);
			CU_ASSERT(ASN1_STRING_length(sk_ASN1_TYPE_value(seq,
			    0)->value.octet_string) == (int)holes[0].size);
			/* DER: OpenSSL writes it back the same. */
			re = NULL;
			relen = i2d_ASN1_SEQUENCE_ANY(seq, &re);
			CU_ASSERT(relen == (int)total &&
			    memcmp(re, file, total) == 0);
			OPENSSL_free(re);
			sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
			free(file);
			cs_skeleton_release(&sk);
		}
	}
}

static void
test_skeleton_refusals(void)
{
	static const unsigned char der[] = {
		0x30, 0x07, 0x04, 0x01, 0x41, 0x30, 0x02, 0x05, 0x00,
		0x00	/* after the element */
	};
	struct cs_skeleton sk;
	struct cs_hole h[2];

	/* Not empty */
	h[0].at = der + 2;
	h[0].size = 10;
	CU_ASSERT(cs_skeleton_build(der, sizeof(der) - 1, h, 1, &sk) != 0);
	CU_ASSERT(sk.bytes == NULL);
	/* Constructed */
	h[0].at = der + 5;
	CU_ASSERT(cs_skeleton_build(der, sizeof(der) - 1, h, 1, &sk) != 0);
	/* Not an element's start */
	h[0].at = der + 3;
	CU_ASSERT(cs_skeleton_build(der, sizeof(der) - 1, h, 1, &sk) != 0);
	/* Out of order */
	h[0].at = der + 7;
	h[0].size = 1;
	h[1].at = der + 2;
	h[1].size = 1;
	CU_ASSERT(cs_skeleton_build(der, sizeof(der) - 1, h, 2, &sk) != 0);
	/* The one that works, then with bytes after the element */
	h[0].at = der + 7;
	CU_ASSERT_FATAL(cs_skeleton_build(der, sizeof(der) - 1, h, 1,
	    &sk) == 0);
	CU_ASSERT(sk.total == sizeof(der));
	cs_skeleton_release(&sk);
	CU_ASSERT(cs_skeleton_build(der, sizeof(der), h, 1, &sk) != 0);
}

/*
 * Content sizes at which one of the file's lengths changes its number of
 * length octets: the content's own (127/128, 255/256, 65535/65536,
 * 2^24), and the enclosing ones a SignedData and an envelope later
 * (about 1.4 KB over the content for this signer and recipient: the
 * sweep around 64 KiB crosses them all).
 */
static void
test_sizes_across_length_boundaries(void)
{
	static const size_t sizes[] = { 0, 1, 47, 48, 49, 127, 128, 255, 256,
	    1000, 65535, 65536, 65537 };
	uint8_t *in;
	size_t i, n;

	CU_ASSERT_FATAL((in = malloc(16777216 + 64)) != NULL);
	RAND_bytes(in, 16777216 + 64);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		seal_and_check(in, sizes[i], CS_ARMOUR_DER);
		seal_and_check(in, sizes[i], CS_ARMOUR_PEM);
	}
	for (n = 65536 - 3000; n <= 65536; n += 7)
		seal_and_check(in, n, n % 2 ? CS_ARMOUR_DER : CS_ARMOUR_PEM);
	seal_and_check(in, 16777215, CS_ARMOUR_DER);
	seal_and_check(in, 16777216 + 64, CS_ARMOUR_PEM);
	free(in);
}

/* The sealing written into path through a descriptor, then checked. */
static void
write_and_check(certseal_ctx *ctx, struct cs_sealing *sealing,
    const char *path, enum cs_armour armour, const uint8_t *in,
    size_t inlen)
{
	uint8_t *file;
	size_t filelen = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(cs_sealing_write(ctx, sealing, fd) == 0);
	close(fd);
	file = tu_read_file(path, &filelen);
	CU_ASSERT_FATAL(file != NULL);
	CU_ASSERT(filelen == cs_sealing_size(sealing));
	check_file(file, filelen, armour, in, inlen);
	free(file);
}

/*
 * A fleet: 1 200 RecipientInfos make the envelope's head larger than the
 * writer's buffer (256 KiB), through a descriptor, in both armours.
 */
static void
test_head_larger_than_the_buffer(void)
{
	struct cs_seal_recipient *r;
	struct cs_seal_params p;
	const struct cs_key *s;
	struct cs_sealing *sealing = NULL;
	certseal_ctx *ctx = NULL;
	char *dir = tu_tmpdir("cs-stream"), *path;
	static const uint8_t in[] = "fleet = 1200\n";
	size_t i, n = 1200;
	int a;

	CU_ASSERT_FATAL(dir != NULL && (r = calloc(n, sizeof(*r))) != NULL);
	path = tu_path(dir, "sealed");
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	for (a = CS_ARMOUR_PEM; a <= CS_ARMOUR_DER; a++) {
		params_for(&p, r, &s, (enum cs_armour)a);
		for (i = 1; i < n; i++)
			r[i] = r[0];
		p.nrecipients = n;
		CU_ASSERT_FATAL(cs_sealing_new(ctx, in, sizeof(in) - 1, &p,
		    &sealing) == 0);
		CU_ASSERT(cs_sealing_size(sealing) > 300 * 1024);
		write_and_check(ctx, sealing, path, (enum cs_armour)a, in,
		    sizeof(in) - 1);
		cs_sealing_free(sealing);
	}
	certseal_ctx_free(ctx);
	free(r);
	free(path);
	tu_rmrf(dir);
	free(dir);
}

/* Through a descriptor: the same size, a file OpenSSL reads. */
static void
test_write_to_descriptor(void)
{
	struct cs_seal_recipient r;
	struct cs_seal_params p;
	const struct cs_key *s;
	struct cs_sealing *sealing = NULL;
	certseal_ctx *ctx = NULL;
	char *dir = tu_tmpdir("cs-stream"), *path;
	uint8_t *in;
	size_t len = 3 * 1024 * 1024 + 17;
	int fd, a;

	CU_ASSERT_FATAL(dir != NULL && (in = malloc(len)) != NULL);
	RAND_bytes(in, (int)len);
	path = tu_path(dir, "sealed");
	CU_ASSERT_FATAL(certseal_ctx_new(&ctx) == 0);
	for (a = CS_ARMOUR_PEM; a <= CS_ARMOUR_DER; a++) {
		params_for(&p, &r, &s, (enum cs_armour)a);
		CU_ASSERT_FATAL(cs_sealing_new(ctx, in, len, &p,
		    &sealing) == 0);
		write_and_check(ctx, sealing, path, (enum cs_armour)a, in,
		    len);
		/* Once: the content key's cipher has been used. */
		fd = open("/dev/null", O_WRONLY);
		CU_ASSERT(cs_sealing_write(ctx, sealing, fd) ==
		    CERTSEAL_E_INTERNAL);
		close(fd);
		cs_sealing_free(sealing);
	}
	/* A full disk: an I/O error that says so. */
	params_for(&p, &r, &s, CS_ARMOUR_PEM);
	CU_ASSERT_FATAL(cs_sealing_new(ctx, in, len, &p, &sealing) == 0);
	if ((fd = open("/dev/full", O_WRONLY)) >= 0) {
		CU_ASSERT(cs_sealing_write(ctx, sealing, fd) ==
		    CERTSEAL_E_IO);
		CU_ASSERT(strstr(certseal_ctx_last_error(ctx),
		    strerror(ENOSPC)) != NULL);
		close(fd);
	} else
		fprintf(stderr, "SKIP: no /dev/full\n");
	cs_sealing_free(sealing);
	certseal_ctx_free(ctx);
	free(in);
	free(path);
	tu_rmrf(dir);
	free(dir);
}

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "skeleton lengths at every length-octet change",
		    test_skeleton_lengths },
		{ "skeleton refusals", test_skeleton_refusals },
		{ "sealed files at every length-octet change, re-encoded "
		    "by OpenSSL to the same bytes",
		    test_sizes_across_length_boundaries },
		{ "through a descriptor; written once; a full disk",
		    test_write_to_descriptor },
		{ "an envelope head larger than the writer's buffer",
		    test_head_larger_than_the_buffer },
	};

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("seal-stream", CU_CASES(cases), suite_init,
	    suite_cleanup) != 0)
		return 1;
	return cu_run_all();
}
