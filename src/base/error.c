/*
 * error.c - the one-line error message and warnings, recorded in the
 * context through the base's view of it (cs_ctx_errbuf, cs_ctx_logger);
 * every message is redacted (no pin-value) and fitted so that its reason
 * survives.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "base.h"

/*
 * Redaction (one helper for both tools): the value of every pin-value
 * attribute is replaced by REDACTED, wherever a message or a printed URI
 * holds one - a provider echoing the URI back in a parse error included.
 * The key is matched without regard to case or percent-encoding
 * ("PIN%2Dvalue="), and the value runs to the next '&' (the only
 * separator of RFC 7512 query attributes), quote or blank: a PIN holding
 * ';' or ':' is still hidden whole, at worst with text after it.
 */
static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Length of a "pin-value=" key at p (each byte plain or %XX), or 0. */
static size_t
pin_key_at(const char *p)
{
	static const char key[] = "pin-value=";
	size_t i, n = 0;
	int hi, lo, c;

	for (i = 0; key[i] != '\0'; i++) {
		if (p[n] == '%' && (hi = hexdigit((unsigned char)p[n + 1])) >= 0 &&
		    (lo = hexdigit((unsigned char)p[n + 2])) >= 0) {
			c = hi << 4 | lo;
			n += 3;
		} else if (p[n] != '\0')
			c = (unsigned char)p[n++];
		else
			return 0;
		if (tolower(c) != key[i])
			return 0;
	}
	return n;
}

char *
cs_redact(const char *s)
{
	static const char mark[] = "REDACTED";
	const char *p;
	char *out, *o;
	size_t n = 0, k;

	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++)
		if (pin_key_at(p) > 0)
			n++;
	if ((out = malloc(strlen(s) + n * (sizeof(mark) - 1) + 1)) == NULL)
		return NULL;
	for (o = out, p = s; *p != '\0'; ) {
		if ((k = pin_key_at(p)) == 0) {
			*o++ = *p++;
			continue;
		}
		memcpy(o, p, k);
		o += k;
		p += k;
		memcpy(o, mark, sizeof(mark) - 1);
		o += sizeof(mark) - 1;
		p += strcspn(p, "&'\" \t\r\n");
	}
	*o = '\0';
	return out;
}

/*
 * Copies msg into buf (size bytes).  A message too long for it keeps its
 * head and its tail, "..." between: the tail holds the reason ("No such
 * file or directory"), which a plain truncation of a long path would cut.
 * Neither cut falls inside a UTF-8 sequence.
 */
/*
 * A cut at pos moved out of any redacted attribute ("pin-value=" in any
 * spelling and its REDACTED) that it falls inside: back to the
 * attribute's start (forward: past its end), so that a fitted message
 * shows a redacted value whole or not at all - "pin-value=REDAC..." or
 * "pin-value=..." would read as a value.
 */
static size_t
outside_mark(const char *msg, size_t pos, int forward)
{
	static const char mark[] = "REDACTED";
	size_t j, k, lo = pos > 40 ? pos - 40 : 0;

	for (j = pos; j-- > lo; ) {
		if ((k = pin_key_at(msg + j)) == 0 ||
		    strncmp(msg + j + k, mark, sizeof(mark) - 1) != 0)
			continue;
		if (j + k + sizeof(mark) - 1 > pos)
			return forward ? j + k + sizeof(mark) - 1 : j;
		break;
	}
	return pos;
}

void
cs_message_fit(char *buf, size_t size, const char *msg)
{
	size_t len = strlen(msg), head, tail;

	if (size == 0)
		return;
	if (len < size) {
		memcpy(buf, msg, len + 1);
		return;
	}
	head = (size - 4) / 3;
	tail = size - 4 - head;
	while (head > 0 && ((unsigned char)msg[head] & 0xc0) == 0x80)
		head--;
	while (tail > 0 && ((unsigned char)msg[len - tail] & 0xc0) == 0x80)
		tail--;
	/* Never half a redaction mark: "pin-value=REDAC..." reads as a value. */
	head = outside_mark(msg, head, 0);
	tail = len - outside_mark(msg, len - tail, 1);
	memcpy(buf, msg, head);
	memcpy(buf + head, "...", 3);
	memcpy(buf + head + 3, msg + len - tail, tail + 1);
}

/* Redacted and fitted into the context's message buffer. */
static void
set_message(certseal_ctx *ctx, const char *msg)
{
	size_t size;
	char *buf = cs_ctx_errbuf(ctx, &size), *clean;

	if ((clean = cs_redact(msg)) == NULL) {
		snprintf(buf, size, "out of memory (message withheld)");
		return;
	}
	cs_message_fit(buf, size, clean);
	free(clean);
}

/* The first OpenSSL reason, if any (the queue is cleared). */
static const char *
openssl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *reason = NULL;

	if (e != 0)
		reason = ERR_reason_error_string(e);
	ERR_clear_error();
	return reason;
}

int
cs_error(certseal_ctx *ctx, int err, const char *fmt, ...)
{
	const char *reason;
	char *msg = NULL, *full = NULL;
	va_list ap;
	int n;

	if (ctx == NULL) {
		ERR_clear_error();
		return err;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		ERR_clear_error();
		set_message(ctx, "out of memory");
		return err;
	}
	if ((reason = openssl_reason()) != NULL &&
	    asprintf(&full, "%s (%s)", msg, reason) >= 0) {
		free(msg);
		msg = full;
	}
	set_message(ctx, msg);
	free(msg);
	return err;
}

int
cs_nomem(certseal_ctx *ctx)
{
	return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
}

void
cs_error_save(certseal_ctx *ctx, int err, struct cs_error_saved *sv)
{
	size_t size;

	sv->err = err;
	snprintf(sv->msg, sizeof(sv->msg), "%s",
	    ctx != NULL ? cs_ctx_errbuf(ctx, &size) : "");
}

int
cs_error_restore(certseal_ctx *ctx, const struct cs_error_saved *sv)
{
	size_t size;
	char *buf;

	if (sv->err == 0)
		return 0;
	/* Already redacted and fitted when it was recorded. */
	if (ctx != NULL && (buf = cs_ctx_errbuf(ctx, &size)) != NULL)
		snprintf(buf, size, "%s", sv->msg);
	return sv->err;
}

void
cs_error_keep_first(certseal_ctx *ctx, int err, struct cs_error_saved *sv)
{
	if (sv->err == 0)
		cs_error_save(ctx, err, sv);
	else
		cs_warn(ctx, "%s", certseal_ctx_last_error(ctx));
}

void
cs_error_prefix(certseal_ctx *ctx, const char *fmt, ...)
{
	char *prefix = NULL, *msg = NULL;
	size_t size;
	va_list ap;
	int n;

	if (ctx == NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (asprintf(&msg, "%s: %s", prefix, cs_ctx_errbuf(ctx, &size)) >= 0)
		set_message(ctx, msg);
	free(msg);
	free(prefix);
}

void
cs_warn(certseal_ctx *ctx, const char *fmt, ...)
{
	char msg[CS_ERRMSG_MAX], *clean;
	certseal_log_fn log;
	void *arg;
	va_list ap;

	if (ctx == NULL || (log = cs_ctx_logger(ctx, &arg)) == NULL)
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((clean = cs_redact(msg)) == NULL)
		return;
	log(clean, arg);
	free(clean);
}

void
cs_error_clear(certseal_ctx *ctx)
{
	char *buf;
	size_t size;

	if (ctx != NULL) {
		buf = cs_ctx_errbuf(ctx, &size);
		if (size > 0)
			buf[0] = '\0';
	}
	ERR_clear_error();
}

