/*
 * secret.c - wiped heap buffers for PINs, passwords, key bytes and
 * plaintext, and bounded whole-file reads.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base.h"

/* Buffers from this size on are populated at once (see cs_populate()). */
#define POPULATE_MIN	((size_t)1024 * 1024)
/* ... and from this size on (mmap'ed by malloc) asked for huge pages. */
#define HUGE_MIN	((size_t)32 * 1024 * 1024)

/*
 * Faults a large buffer in with one call (buffers under POPULATE_MIN
 * are left alone).  Why: on this project's machines
 * (virtual machines) a page fault costs about 12 us and a page populated
 * by MADV_POPULATE_WRITE under 1 us (bench/ANALYSIS.md); a 64 MiB
 * configuration touches 16 384 pages per buffer.  Buffers that will be
 * written whole (a file read, a decryption) are the ones allocated here.
 * Older kernels answer EINVAL: the pages then fault in one by one.
 */
void
cs_populate(void *p, size_t len)
{
	uintptr_t page = 4096, start, end;

	if (len < POPULATE_MIN)
		return;
	start = ((uintptr_t)p + page - 1) & ~(page - 1);
	end = ((uintptr_t)p + len) & ~(page - 1);
	if (end <= start)
		return;
	/*
	 * Huge pages where the kernel leaves them to the program
	 * (transparent_hugepage=madvise): a 2 MiB page is one fault, one
	 * clear and one accounting instead of 512.  Ignored where THP is
	 * off (EINVAL), a no-op where it is always on.
	 */
	if (len >= HUGE_MIN)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
	(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

/*
 * A secret of len bytes (and one spare for a NUL), zeroed or not: a
 * buffer that read() fills need not be cleared first (calloc clears heap
 * memory it reuses: one more pass over a file of megabytes).
 */
static int
secret_alloc(size_t len, int zero, struct cs_secret **out)
{
	struct cs_secret *s;

	*out = NULL;
	if (len == SIZE_MAX)
		return CERTSEAL_E_NOMEM;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CERTSEAL_E_NOMEM;
	s->data = zero ? calloc(1, len + 1) : malloc(len + 1);
	if (s->data == NULL) {
		free(s);
		return CERTSEAL_E_NOMEM;
	}
	cs_populate(s->data, len + 1);
	s->len = len;
	*out = s;
	return 0;
}

int
cs_secret_new(size_t len, struct cs_secret **out)
{
	return secret_alloc(len, 1, out);
}

int
cs_secret_from(const void *data, size_t len, struct cs_secret **out)
{
	struct cs_secret *s;
	int r;

	*out = NULL;
	if ((r = cs_secret_new(len, &s)) != 0)
		return r;
	if (len > 0)
		memcpy(s->data, data, len);
	*out = s;
	return 0;
}

int
cs_secret_adopt_within(uint8_t *block, int ossl, uint8_t *data, size_t len,
    struct cs_secret **out)
{
	struct cs_secret *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		cs_wipe(data, len + 1);
		if (ossl)
			OPENSSL_free(block);
		else
			free(block);
		return CERTSEAL_E_NOMEM;
	}
	data[len] = '\0';
	s->data = data;
	s->len = len;
	s->ossl = ossl;
	s->block = block;
	s->span = data;
	s->span_len = len + 1;
	*out = s;
	return 0;
}

void
cs_secret_narrow(struct cs_secret *s, size_t off, size_t len)
{
	if (s->block == NULL) {
		s->block = s->span = s->data;
		s->span_len = s->len + 1;
	}
	s->data += off;
	s->len = len;
	s->data[len] = '\0';
}

/*
 * explicit_bzero is glibc's memset that the compiler may not remove, as
 * OPENSSL_cleanse is; OpenSSL's goes through a volatile function pointer
 * and wipes 64 MiB in about 50 ms on this machine kind, glibc's in about
 * 25 ms, which a large configuration pays for every buffer it wipes.
 */
void
cs_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}

void
cs_secret_free(struct cs_secret *s)
{
	if (s == NULL)
		return;
	if (s->block != NULL) {
		cs_wipe(s->span, s->span_len);
		if (s->ossl)
			OPENSSL_free(s->block);
		else
			free(s->block);
	} else if (s->data != NULL) {
		cs_wipe(s->data, s->len + 1);
		free(s->data);
	}
	free(s);
}

/*
 * Reads fd to the end into a buffer of at most max bytes.  The buffer is
 * sized from fstat when possible and grown by copying (never realloc, so
 * that no unwiped copy of a secret is left behind by the allocator).
 */
int
cs_read_secret_fd(certseal_ctx *ctx, int fd, const char *path, size_t max,
    struct cs_secret **out)
{
	struct stat st;

	*out = NULL;
	if (fstat(fd, &st) != 0)
		return cs_error(ctx, CERTSEAL_E_IO, "%s: %s", path,
		    strerror(errno));
	return cs_read_secret_fd_st(ctx, fd, path, max, &st, out);
}

int
cs_read_secret_fd_st(certseal_ctx *ctx, int fd, const char *path,
    size_t max, const struct stat *stp, struct cs_secret **out)
{
	struct cs_secret *buf = NULL, *bigger = NULL;
	struct stat st = *stp;
	size_t cap = 0, used = 0;
	ssize_t n;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if (S_ISDIR(st.st_mode)) {
		r = cs_error(ctx, CERTSEAL_E_IO, "%s: is a directory", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		r = cs_error(ctx, CERTSEAL_E_TOO_LARGE,
		    "%s: %llu bytes, over the limit of %zu bytes", path,
		    (unsigned long long)st.st_size, max);
		goto out;
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	/* Filled by read(): only the bytes read are ever looked at. */
	if ((r = secret_alloc(cap, 0, &buf)) != 0)
		goto out;
	for (;;) {
		if (used == cap) {
			if (cap > max) {
				r = cs_error(ctx, CERTSEAL_E_TOO_LARGE,
				    "%s: over the limit of %zu bytes", path,
				    max);
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((r = secret_alloc(cap, 0, &bigger)) != 0)
				goto out;
			memcpy(bigger->data, buf->data, used);
			cs_secret_free(buf);
			buf = bigger;
			bigger = NULL;
		}
		n = read(fd, buf->data + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = cs_error(ctx, CERTSEAL_E_IO, "%s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max) {
		r = cs_error(ctx, CERTSEAL_E_TOO_LARGE,
		    "%s: over the limit of %zu bytes", path, max);
		goto out;
	}
	buf->data[used] = '\0';
	buf->len = used;
	*out = buf;
	buf = NULL;
	r = 0; /* success */
 out:
	/* cs_secret_free wipes len+1 bytes: restore the capacity first. */
	if (buf != NULL)
		buf->len = cap;
	cs_secret_free(buf);
	return r;
}

int
cs_read_secret_file(certseal_ctx *ctx, const char *path, size_t max,
    struct cs_secret **out)
{
	struct stat st;
	int fd, r;

	*out = NULL;
	if (strcmp(path, "-") == 0)
		return cs_read_secret_fd(ctx, STDIN_FILENO, "(stdin)", max,
		    out);
	if ((r = cs_input_open(ctx, AT_FDCWD, path, NULL, 0, &fd,
	    &st)) != 0)
		return r;
	r = cs_read_secret_fd_st(ctx, fd, path, max, &st, out);
	close(fd);
	return r;
}

int
cs_read_file(certseal_ctx *ctx, const char *path, size_t max, uint8_t **out,
    size_t *lenp)
{
	struct cs_secret *s = NULL;
	int r;

	*out = NULL;
	*lenp = 0;
	if ((r = cs_read_secret_file(ctx, path, max, &s)) != 0)
		return r;
	/* Hand over the buffer; it was not secret. */
	*out = s->data;
	*lenp = s->len;
	free(s);
	return 0;
}
