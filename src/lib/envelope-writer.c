/*
 * envelope-writer.c - the bytes of a sealed file as the sealing produces
 * them, in the file's armour: the DER as it is, or PEM (64 characters a
 * line, as PEM_write_bio writes).  Into a descriptor, through a buffer of
 * WRITER_BUF bytes, or into one buffer of the file's size; the size is
 * known before the first byte (envelope-skeleton.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "internal.h"
#include "envelope-internal.h"

#define PEM_HEAD	"-----BEGIN CMS-----\n"
#define PEM_TAIL	"-----END CMS-----\n"
#define PEM_LINE	48	/* DER bytes a line: 64 characters */

/*
 * Text waiting for write(): small enough to stay in the cache between
 * the encoding and the copy into the page cache, large enough that the
 * system calls do not count.
 */
#define WRITER_BUF	((size_t)256 * 1024)

size_t
cs_armoured_len(enum cs_armour armour, size_t derlen)
{
	if (armour == CS_ARMOUR_DER)
		return derlen;
	return sizeof(PEM_HEAD) - 1 + derlen / PEM_LINE * 65 +
	    (derlen % PEM_LINE != 0 ? (derlen % PEM_LINE + 2) / 3 * 4 + 1 :
	    0) + sizeof(PEM_TAIL) - 1;
}

/* n bytes at p to the descriptor, after what was written before. */
static int
write_out(certseal_ctx *ctx, struct cs_writer *w, const void *p, size_t n)
{
	if (cs_write_all(w->fd, p, n) != 0)
		return cs_error(ctx, CERTSEAL_E_IO, "writing: %s",
		    strerror(errno));
	w->done += n;
	cs_writeback_hint(w->fd, w->total, &w->hinted, w->done);
	return 0;
}

/* The text waiting, to the descriptor. */
static int
flush(certseal_ctx *ctx, struct cs_writer *w)
{
	int r;

	if ((r = write_out(ctx, w, w->buf, w->buflen)) == 0)
		w->buflen = 0;
	return r;
}

/* Room for n more bytes of text. */
static int
make_room(certseal_ctx *ctx, struct cs_writer *w, size_t n)
{
	if (w->bufsize - w->buflen >= n)
		return 0;
	if (w->fd < 0)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "the sealed file "
		    "came out longer than computed");
	return flush(ctx, w);
}

static int
put_text(certseal_ctx *ctx, struct cs_writer *w, const void *p, size_t n)
{
	int r;

	if ((r = make_room(ctx, w, n)) != 0)
		return r;
	/* Larger than the buffer (the RecipientInfos of a fleet). */
	if (n > w->bufsize - w->buflen)
		return write_out(ctx, w, p, n);
	memcpy(w->buf + w->buflen, p, n);
	w->buflen += n;
	return 0;
}

/* One PEM line of n (<= PEM_LINE) DER bytes. */
static int
put_line(certseal_ctx *ctx, struct cs_writer *w, const unsigned char *p,
    size_t n)
{
	int r;

	if ((r = make_room(ctx, w, (n + 2) / 3 * 4 + 1)) != 0)
		return r;
	w->buflen += cs_base64_encode(p, n, w->buf + w->buflen);
	w->buf[w->buflen++] = '\n';
	return 0;
}

/*
 * Up to nlines whole PEM lines from p, as many as the buffer takes (one
 * at least: it is flushed for it); *donep is the DER bytes they took.
 * One call for many lines: a call a line cost half the encoding's speed.
 */
static int
put_lines(certseal_ctx *ctx, struct cs_writer *w, const unsigned char *p,
    size_t nlines, size_t *donep)
{
	size_t room, fit;
	int r;

	*donep = 0;
	if ((r = make_room(ctx, w, PEM_LINE / 3 * 4 + 1)) != 0)
		return r;
	room = w->bufsize - w->buflen;
	fit = room / (PEM_LINE / 3 * 4 + 1);
	if (nlines > fit)
		nlines = fit;
	w->buflen += cs_base64_encode_lines(p, nlines, PEM_LINE,
	    w->buf + w->buflen);
	*donep = nlines * PEM_LINE;
	return 0;
}

int
cs_writer_init(certseal_ctx *ctx, struct cs_writer *w, enum cs_armour armour,
    size_t derlen, int fd)
{
	memset(w, 0, sizeof(*w));
	w->armour = armour;
	w->fd = fd;
	w->total = cs_armoured_len(armour, derlen);
	/* In memory: the file and a NUL, for callers that print PEM. */
	w->bufsize = fd < 0 ? w->total + 1 : WRITER_BUF;
	if ((w->buf = malloc(w->bufsize)) == NULL)
		return cs_nomem(ctx);
	if (fd < 0)
		cs_populate(w->buf, w->bufsize);
	if (armour == CS_ARMOUR_PEM)
		return put_text(ctx, w, PEM_HEAD, sizeof(PEM_HEAD) - 1);
	return 0;
}

int
cs_writer_put(certseal_ctx *ctx, struct cs_writer *w, const void *der,
    size_t n)
{
	const unsigned char *p = der;
	size_t take;
	int r;

	if (w->armour == CS_ARMOUR_DER)
		return put_text(ctx, w, der, n);
	while (n > 0) {
		/* Whole lines straight from der; the rest waits in line. */
		if (w->linelen == 0 && n >= PEM_LINE) {
			if ((r = put_lines(ctx, w, p, n / PEM_LINE,
			    &take)) != 0)
				return r;
			p += take;
			n -= take;
			continue;
		}
		take = PEM_LINE - w->linelen < n ? PEM_LINE - w->linelen : n;
		memcpy(w->line + w->linelen, p, take);
		w->linelen += take;
		p += take;
		n -= take;
		if (w->linelen == PEM_LINE) {
			if ((r = put_line(ctx, w, w->line, PEM_LINE)) != 0)
				return r;
			w->linelen = 0;
		}
	}
	return 0;
}

int
cs_writer_finish(certseal_ctx *ctx, struct cs_writer *w)
{
	int r;

	if (w->armour == CS_ARMOUR_PEM) {
		if (w->linelen > 0 &&
		    (r = put_line(ctx, w, w->line, w->linelen)) != 0)
			return r;
		w->linelen = 0;
		if ((r = put_text(ctx, w, PEM_TAIL, sizeof(PEM_TAIL) - 1)) != 0)
			return r;
	}
	if (w->fd < 0) {
		if (w->buflen != w->total)
			return cs_error(ctx, CERTSEAL_E_INTERNAL, "the sealed "
			    "file came out at %zu bytes, not %zu", w->buflen,
			    w->total);
		w->buf[w->buflen] = '\0';
		return 0;
	}
	if ((r = flush(ctx, w)) != 0)
		return r;
	if (w->done != w->total)
		return cs_error(ctx, CERTSEAL_E_INTERNAL, "the sealed file "
		    "came out at %zu bytes, not %zu", w->done, w->total);
	return 0;
}

uint8_t *
cs_writer_take(struct cs_writer *w, size_t *lenp)
{
	uint8_t *buf = w->buf;

	*lenp = w->buflen;
	w->buf = NULL;
	w->buflen = w->bufsize = 0;
	return buf;
}

void
cs_writer_release(struct cs_writer *w)
{
	/* Ciphertext and headers only: nothing to wipe. */
	free(w->buf);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}
