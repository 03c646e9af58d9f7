/*
 * testutil.c - see testutil.h.  Test code: failures return NULL/-1 and
 * the caller asserts.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "testutil.h"

EVP_PKEY *
tu_make_key(const char *alg)
{
	if (strcmp(alg, "rsa-2048") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(alg, "rsa-3072") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	if (strcmp(alg, "rsa-4096") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	if (strcmp(alg, "ec-p256") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (strcmp(alg, "ec-p384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return NULL;
}

static int
add_ext(X509 *cert, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if ((ext = X509V3_EXT_conf_nid(NULL, v3, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

X509 *
tu_make_cert(EVP_PKEY *key, const char *cn, long from_secs, long to_secs,
    int skid)
{
	X509 *cert = NULL;
	X509_NAME *name;
	X509V3_CTX v3;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int ok = 0;

	if ((cert = X509_new()) == NULL || !X509_set_version(cert, 2))
		goto out;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
		goto out;
	if (X509_gmtime_adj(X509_getm_notBefore(cert), from_secs) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert), to_secs) == NULL ||
	    !X509_set_pubkey(cert, key))
		goto out;
	name = X509_get_subject_name(cert);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"certseal tests", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name))
		goto out;
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	if (!add_ext(cert, &v3, NID_basic_constraints, "critical,CA:FALSE"))
		goto out;
	if (!add_ext(cert, &v3, NID_key_usage, EVP_PKEY_is_a(key, "EC") ?
	    "critical,digitalSignature,keyAgreement" :
	    "critical,digitalSignature,keyEncipherment"))
		goto out;
	if (skid && (!add_ext(cert, &v3, NID_subject_key_identifier, "hash") ||
	    !add_ext(cert, &v3, NID_authority_key_identifier, "keyid:always")))
		goto out;
	if (X509_sign(cert, key, EVP_sha256()) <= 0)
		goto out;
	ok = 1;
 out:
	BN_free(bn);
	if (!ok) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}

X509 *
tu_make_cert_simple(EVP_PKEY *key, const char *cn)
{
	return tu_make_cert(key, cn, -3600, 365L * 24 * 3600, 1);
}

char *
tu_tmpdir(const char *prefix)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/%s-XXXXXX", base, prefix) < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

void
tu_rmrf(const char *path)
{
	char *cmd;

	if (path == NULL || *path == '\0' || strcmp(path, "/") == 0)
		return;
	if (asprintf(&cmd, "rm -rf '%s'", path) < 0)
		return;
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
	free(cmd);
}

char *
tu_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

int
tu_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd;
	ssize_t n;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) < 0)
		return -1;
	n = len > 0 ? write(fd, data, len) : 0;
	if (fchmod(fd, mode) != 0 || n < 0 || (size_t)n != len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

uint8_t *
tu_read_file(const char *path, size_t *lenp)
{
	FILE *fp;
	uint8_t *buf = NULL;
	long size;

	*lenp = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)size + 1)) == NULL ||
	    fread(buf, 1, (size_t)size, fp) != (size_t)size) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	buf[size] = '\0';
	*lenp = (size_t)size;
	fclose(fp);
	return buf;
}

/* Writes what a BIO holds to path with mode. */
static int
bio_to_file(BIO *b, const char *path, mode_t mode)
{
	BUF_MEM *bm;

	BIO_get_mem_ptr(b, &bm);
	return tu_write_file(path, bm->data, bm->length, mode);
}

int
tu_write_key_pem(const char *path, EVP_PKEY *key, const char *pass,
    mode_t mode)
{
	BIO *b;
	int r = -1;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (PEM_write_bio_PrivateKey(b, key, pass != NULL ?
	    EVP_aes_256_cbc() : NULL, NULL, 0, NULL, (void *)pass) == 1)
		r = bio_to_file(b, path, mode);
	BIO_free(b);
	return r;
}

int
tu_write_cert_pem(const char *path, X509 *cert)
{
	BIO *b;
	int r = -1;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (PEM_write_bio_X509(b, cert) == 1)
		r = bio_to_file(b, path, 0644);
	BIO_free(b);
	return r;
}

int
tu_write_p12(const char *path, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *extra, const char *pass, mode_t mode)
{
	PKCS12 *p12;
	unsigned char *der = NULL;
	int len, r = -1;

	if ((p12 = PKCS12_create(pass, "certseal test", key, cert, extra, 0,
	    0, 0, 0, 0)) == NULL)
		return -1;
	if ((len = i2d_PKCS12(p12, &der)) > 0)
		r = tu_write_file(path, der, (size_t)len, mode);
	OPENSSL_free(der);
	PKCS12_free(p12);
	return r;
}

uint8_t *
tu_pem_to_der(const uint8_t *pem, size_t len, size_t *derlen)
{
	BIO *b;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	uint8_t *out = NULL;
	long dlen = 0;

	*derlen = 0;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	if (PEM_read_bio(b, &name, &header, &data, &dlen) == 1 &&
	    (out = malloc((size_t)dlen + 1)) != NULL) {
		memcpy(out, data, (size_t)dlen);
		*derlen = (size_t)dlen;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return out;
}

int
tu_run(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0) {
		va_end(ap);
		return -1;
	}
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st)) {
		fprintf(stderr, "command failed to run: %s\n", cmd);
		free(cmd);
		return -1;
	}
	st = WEXITSTATUS(st);
	if (st != 0)
		fprintf(stderr, "exit %d: %s\n", st, cmd);
	free(cmd);
	return st;
}

int
tu_have_openssl_cli(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}
