/*
 * mkstore.c - fast fixtures for the benchmarks: EC P-256 keys and
 * self-signed certificates with a subjectKeyIdentifier, made in-process
 * (the openssl CLI needs about 20 ms a key; this needs well under one).
 *
 *   mkstore store DIR N   N key entries in a store directory, laid out as
 *                         src/lib/store.h says: DIR/keys/<skid-hex>.pem
 *                         (PKCS#8 key, then its certificate) and a small
 *                         DIR/keys/<skid-hex>.json, 0600, directories 0700
 *   mkstore certs DIR N   N recipient certificates DIR/r<i>.crt (PEM)
 *
 * Benchmark fixtures only: the keys are real but thrown away.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

static void
die(const char *what)
{
	fprintf(stderr, "mkstore: %s failed\n", what);
	exit(1);
}

/* A fresh P-256 key and a self-signed certificate; *hex gets the SKID. */
static void
make_pair(long i, EVP_PKEY **keyp, X509 **certp, char hex[41])
{
	EVP_PKEY *key;
	X509 *cert;
	X509_NAME *name;
	ASN1_OCTET_STRING *skid;
	unsigned char *der = NULL, md[SHA_DIGEST_LENGTH];
	char cn[64];
	int len, k;

	if ((key = EVP_EC_gen("P-256")) == NULL)
		die("EVP_EC_gen");
	if ((cert = X509_new()) == NULL || !X509_set_version(cert, 2))
		die("X509_new");
	ASN1_INTEGER_set(X509_get_serialNumber(cert), i + 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 86400);
	snprintf(cn, sizeof(cn), "bench entry %ld", i);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509_set_pubkey(cert, key);
	/* RFC 5280 method 1: SHA-1 of the public key bits (as "hash"). */
	if ((len = i2d_PUBKEY(key, &der)) <= 0)
		die("i2d_PUBKEY");
	SHA1(der + len - 65, 65, md);
	OPENSSL_free(der);
	if ((skid = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(skid, md, sizeof(md)) ||
	    !X509_add1_ext_i2d(cert, NID_subject_key_identifier, skid, 0, 0))
		die("subjectKeyIdentifier");
	ASN1_OCTET_STRING_free(skid);
	if (!X509_sign(cert, key, EVP_sha256()))
		die("X509_sign");
	for (k = 0; k < SHA_DIGEST_LENGTH; k++)
		snprintf(hex + 2 * k, 3, "%02x", md[k]);
	*keyp = key;
	*certp = cert;
}

static FILE *
create(const char *path)
{
	int fd;
	FILE *f;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		fprintf(stderr, "mkstore: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if ((f = fdopen(fd, "w")) == NULL)
		die("fdopen");
	return f;
}

int
main(int argc, char **argv)
{
	char path[4096], hex[41];
	EVP_PKEY *key;
	X509 *cert;
	FILE *f;
	long i, n;
	int store;

	if (argc != 4 || (strcmp(argv[1], "store") != 0 &&
	    strcmp(argv[1], "certs") != 0)) {
		fprintf(stderr, "usage: mkstore store|certs DIR N\n");
		return 2;
	}
	store = strcmp(argv[1], "store") == 0;
	n = strtol(argv[3], NULL, 10);
	umask(077);
	mkdir(argv[2], 0700);
	if (store) {
		snprintf(path, sizeof(path), "%s/keys", argv[2]);
		mkdir(path, 0700);
	}
	for (i = 0; i < n; i++) {
		make_pair(i, &key, &cert, hex);
		if (store) {
			snprintf(path, sizeof(path), "%s/keys/%s.pem",
			    argv[2], hex);
			f = create(path);
			if (!PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
			    NULL) || !PEM_write_X509(f, cert))
				die("PEM_write");
			fclose(f);
			snprintf(path, sizeof(path), "%s/keys/%s.json",
			    argv[2], hex);
			f = create(path);
			fprintf(f, "{\"label\": \"bench entry %ld\", "
			    "\"source\": \"bench/mkstore\"}\n", i);
			fclose(f);
		} else {
			snprintf(path, sizeof(path), "%s/r%ld.crt", argv[2],
			    i);
			f = create(path);
			if (!PEM_write_X509(f, cert))
				die("PEM_write_X509");
			fclose(f);
		}
		EVP_PKEY_free(key);
		X509_free(cert);
	}
	return 0;
}
