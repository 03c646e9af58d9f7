/*
 * store-enroll.c - an enrolled client's own key in the local store
 * (DESIGN.md section 8).
 *
 *   ROOT/<Location>/<Store>/enrolled/key.pem    the client's private key,
 *                                               PKCS#8 PEM, 0600
 *
 * The key is made here and never leaves: no command writes it anywhere
 * else (there is no store export), the request carries only its public
 * half.  Until the admin's certificate arrives it is not a store entry -
 * nothing can be opened with it; `enroll --finish` then writes the usual
 * keys/<skid>.pem entry (key and certificate) and the signer certificates,
 * so the store: source opens with it like with an imported pair.  The key
 * stays in enrolled/ too: a later `enroll` (a new request under a new
 * pair) reuses it, so the client's key ID never changes by accident.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "enroll.h"
#include "keyfile.h"
#include "store.h"
#include "store-int.h"

#define ENROLLED_DIR	"enrolled"
#define ENROLLED_KEY	"key.pem"
#define ENROLLED_LOCK	".lock"

static int
no_password_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

/* The store's enrolled/ directory, created 0700 when create is set. */
static int
enrolled_dir(certseal_ctx *ctx, const struct cs_store_path *sp, int create,
    int *fdp)
{
	char shown[PATH_MAX];
	int storefd = -1, r;

	*fdp = -1;
	if ((r = cs_store_open(ctx, sp, create, &storefd)) != 0)
		return r;
	cs_store_shown(shown, sizeof(shown), sp, ENROLLED_DIR, NULL);
	if (create && mkdirat(storefd, ENROLLED_DIR, 0700) != 0 &&
	    errno != EEXIST) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: cannot create: %s",
		    shown, strerror(errno));
		goto out;
	}
	r = cs_store_open_dir(ctx, storefd, ENROLLED_DIR, shown, fdp);
 out:
	cs_store_close(&storefd);
	return r;
}

static int
read_key(certseal_ctx *ctx, const struct cs_store_path *sp, int fd,
    EVP_PKEY **out)
{
	struct cs_secret *s = NULL;
	char shown[PATH_MAX];
	BIO *b = NULL;
	int r;

	*out = NULL;
	cs_store_shown(shown, sizeof(shown), sp, ENROLLED_DIR, ENROLLED_KEY);
	if ((r = cs_store_read_at(ctx, fd, ENROLLED_KEY, shown,
	    CS_STORE_ENTRY_MAX, &s)) != 0)
		return r;
	if (s->len > INT_MAX ||
	    (b = BIO_new_mem_buf(s->data, (int)s->len)) == NULL ||
	    (*out = PEM_read_bio_PrivateKey(b, NULL, no_password_cb,
	    NULL)) == NULL)
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: no readable "
		    "private key; remove it to enrol with a new key", shown);
	else if (cs_key_algorithm(*out) == NULL) {
		r = cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: not an RSA-3072/"
		    "4096 or EC P-256/P-384 key", shown);
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	BIO_free(b);
	cs_secret_free(s);
	return r;
}

static int
generate_key(certseal_ctx *ctx, const char *alg, EVP_PKEY **out)
{
	*out = NULL;
	if (strcmp(alg, "rsa-3072") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(alg, "rsa-4096") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	else if (strcmp(alg, "ec-p256") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(alg, "ec-p384") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else
		return cs_error(ctx, CERTSEAL_E_USAGE, "unknown algorithm "
		    "'%s': use rsa-3072, rsa-4096, ec-p256 or ec-p384", alg);
	if (*out == NULL)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "generating a %s "
		    "key failed", alg);
	return 0;
}

static int
write_key(certseal_ctx *ctx, const struct cs_store_path *sp, EVP_PKEY *pk)
{
	char path[PATH_MAX], *data = NULL;
	BIO *b = NULL;
	long len;
	int r;

	cs_store_shown(path, sizeof(path), sp, ENROLLED_DIR, ENROLLED_KEY);
	/* secmem: the key's PEM is wiped when the BIO is freed. */
	if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(b, &data)) <= 0)
		r = cs_error(ctx, CERTSEAL_E_INTERNAL, "cannot encode the "
		    "client key");
	else
		r = cs_atomic_write(ctx, path, data, (size_t)len, 0600);
	BIO_free(b);
	return r;
}

int
cs_store_enroll_key(certseal_ctx *ctx, const char *location,
    const char *name, const char *alg, EVP_PKEY **out, int *createdp)
{
	struct cs_store_path sp;
	EVP_PKEY *pk = NULL;
	int fd = -1, lockfd = -1, r;

	*out = NULL;
	*createdp = 0;
	if ((r = cs_store_path_init(ctx, location, name, &sp)) != 0)
		return r;
	if ((r = enrolled_dir(ctx, &sp, 1, &fd)) != 0)
		goto out;
	/*
	 * Two enrolments at once must not make two keys (the first would
	 * print a key ID that the second overwrote): read-or-make under a
	 * lock, released when lockfd closes.
	 */
	if ((lockfd = openat(fd, ENROLLED_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0 || flock(lockfd, LOCK_EX) != 0) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s/%s: cannot lock: %s",
		    sp.dir, ENROLLED_DIR, strerror(errno));
		goto out;
	}
	r = read_key(ctx, &sp, fd, &pk);
	if (r == 0) {
		if (alg != NULL && strcmp(alg, cs_key_algorithm(pk)) != 0) {
			r = cs_error(ctx, CERTSEAL_E_USAGE, "%s/%s: this store "
			    "is enrolled with a %s key, not %s; its key is "
			    "kept (remove %s/%s/%s to enrol anew)",
			    sp.location, sp.name, cs_key_algorithm(pk), alg,
			    sp.dir, ENROLLED_DIR, ENROLLED_KEY);
			goto out;
		}
		goto done;
	}
	if (r != CERTSEAL_E_NOT_FOUND)
		goto out;
	cs_error_clear(ctx);
	if ((r = generate_key(ctx, alg != NULL ? alg : "rsa-3072",
	    &pk)) != 0 || (r = write_key(ctx, &sp, pk)) != 0)
		goto out;
	*createdp = 1;
 done:
	*out = pk;
	pk = NULL;
	r = 0; /* success */
 out:
	cs_store_close(&lockfd);
	cs_store_close(&fd);
	EVP_PKEY_free(pk);
	cs_store_path_release(&sp);
	return r;
}

int
cs_store_enroll_finish(certseal_ctx *ctx, const char *location,
    const char *name, X509 *cert, STACK_OF(X509) *signers,
    const char *source, struct cs_store_import_info **out)
{
	struct cs_store_path sp;
	struct cs_keyfile kf;
	EVP_PKEY *pk = NULL;
	int fd = -1, r;

	*out = NULL;
	memset(&kf, 0, sizeof(kf));
	if ((r = cs_store_path_init(ctx, location, name, &sp)) != 0)
		return r;
	if ((r = enrolled_dir(ctx, &sp, 0, &fd)) != 0 ||
	    (r = read_key(ctx, &sp, fd, &pk)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND)
			r = cs_error(ctx, CERTSEAL_E_NOT_FOUND, "%s/%s: this "
			    "store has no enrolled key: run `certseal enroll` "
			    "first", sp.location, sp.name);
		goto out;
	}
	if ((r = cs_enroll_check_bundle(ctx, pk, cert, signers,
	    source)) != 0)
		goto out;
	kf.pkey = pk;
	kf.cert = cert;
	kf.extra = signers;
	r = cs_store_install(ctx, sp.location, sp.name, &kf, source, out);
 out:
	cs_store_close(&fd);
	EVP_PKEY_free(pk);
	cs_store_path_release(&sp);
	return r;
}

int
cs_store_enrolled_key(certseal_ctx *ctx, const char *location,
    const char *name, EVP_PKEY **out)
{
	struct cs_store_path sp;
	int fd = -1, r;

	*out = NULL;
	if ((r = cs_store_path_init(ctx, location, name, &sp)) != 0)
		return r;
	if ((r = enrolled_dir(ctx, &sp, 0, &fd)) == 0)
		r = read_key(ctx, &sp, fd, out);
	cs_store_close(&fd);
	cs_store_path_release(&sp);
	return r;
}
