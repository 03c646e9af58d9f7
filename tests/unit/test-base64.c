/*
 * test-base64.c - the PEM body decoder and encoder (src/lib/base64.c)
 * against OpenSSL's EVP_DecodeBlock and EVP_EncodeBlock, implementations
 * certseal did not write, on random data of random lengths in every line
 * layout, every invalid character at every position, and a table of
 * hostile inputs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base64.h"
#include "cu-run.h"

/* Random bytes of every length up to 200, as OpenSSL encodes them, cut
 * into lines of 64 and 76 characters and of one, with CRLF or LF: the
 * decoder gives back the bytes, also decoding in place. */
static void
test_random_round_trip(void)
{
	unsigned char raw[200], enc[400], text[1200], out[1200];
	size_t len, i, w, j;
	static const size_t widths[] = { 64, 76, 1, 1000 };
	int n;

	for (len = 0; len <= sizeof(raw); len++) {
		CU_ASSERT_FATAL(RAND_bytes(raw, (int)len) == 1);
		n = EVP_EncodeBlock(enc, raw, (int)len);
		for (w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			size_t t = 0;

			for (i = 0; i < (size_t)n; i++) {
				text[t++] = enc[i];
				if ((i + 1) % widths[w] == 0) {
					if (len % 2)
						text[t++] = '\r';
					text[t++] = '\n';
				}
			}
			text[t++] = '\n';
			if (cs_base64_decode(text, t, out) != (long)len ||
			    memcmp(out, raw, len) != 0) {
				fprintf(stderr, "round trip: %zu bytes, lines "
				    "of %zu\n", len, widths[w]);
				CU_FAIL("round trip");
			}
			/* In place: the output never overtakes the input. */
			memcpy(out, text, t);
			j = (size_t)cs_base64_decode(out, t, out);
			CU_ASSERT(j == len && memcmp(out, raw, len) == 0);
		}
	}
}

/* Each row: input, expected length (-1: refused). */
static void
test_table(void)
{
	static const struct {
		const char	*in;
		long		 want;
	} rows[] = {
		{ "", 0 },
		{ "\r\n \t", 0 },
		{ "QQ==", 1 },
		{ "QUI=", 2 },
		{ "QUJD", 3 },
		{ "QU\nJD", 3 },
		{ "Q Q = =", 1 },
		{ "QQ=", -1 },		/* padding too short */
		{ "QQ", -1 },		/* group cut short */
		{ "QUJ", -1 },
		{ "Q===", -1 },		/* one character and padding */
		{ "====", -1 },
		{ "QQ===", -1 },	/* too much padding */
		{ "QQ==QUJD", -1 },	/* data after the padding */
		{ "QUI=QQ==", -1 },
		{ "QUJD-", -1 },	/* not the alphabet */
		{ "QUJ\x80", -1 },
		{ "QU\0D", -1 },
		{ "QUJD_A==", -1 },	/* base64url is not PEM */
		{ "QUJD\x0b", -1 },	/* vertical tab is no PEM space */
	};
	unsigned char out[64];
	size_t i;
	long got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = strlen(rows[i].in);

		if (i == 17)
			len = 4;	/* the row with a NUL */
		got = cs_base64_decode((const uint8_t *)rows[i].in, len, out);
		if (got != rows[i].want) {
			fprintf(stderr, "row %zu (\"%s\"): got %ld, want %ld\n",
			    i, rows[i].in, got, rows[i].want);
			CU_FAIL("table row");
		}
	}
	CU_ASSERT(cs_base64_decode((const uint8_t *)"QUI=", 4, out) == 2 &&
	    memcmp(out, "AB", 2) == 0);
}

/*
 * The room base64.h promises (len / 4 * 3) holds for refused input too:
 * the bytes of a padded group were written at its first "=", before the
 * padding was known to be complete, one past the room for "QQ=".
 */
static void
test_room_when_refused(void)
{
	static const char *const rows[] = {
		"QQ=", "QUJDQQ=", "QUJD\nQQ=", "QUI=", "QQ==", "QUJ=Q", "QQ=\n",
	};
	unsigned char out[16];
	size_t i, len, room, k;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = strlen(rows[i]);
		room = len / 4 * 3;
		memset(out, 0xa5, sizeof(out));
		(void)cs_base64_decode((const uint8_t *)rows[i], len, out);
		for (k = room; k < sizeof(out); k++)
			if (out[k] != 0xa5) {
				fprintf(stderr, "\"%s\": byte %zu written, "
				    "room %zu\n", rows[i], k, room);
				CU_FAIL("written past the room");
				break;
			}
	}
}

/* What OpenSSL decodes, this decodes to the same bytes, on random
 * alphabet strings whose length is a multiple of four. */
static void
test_against_openssl(void)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char text[256], a[256], b[256], r[256];
	int round, n, len;

	for (round = 0; round < 2000; round++) {
		CU_ASSERT_FATAL(RAND_bytes(r, sizeof(r)) == 1);
		len = (r[0] % 60 + 1) * 4;
		for (n = 0; n < len; n++)
			text[n] = (unsigned char)alpha[r[n + 1] % 64];
		n = EVP_DecodeBlock(a, text, len);
		CU_ASSERT_FATAL(n == len / 4 * 3);
		if (cs_base64_decode(text, (size_t)len, b) != n ||
		    memcmp(a, b, (size_t)n) != 0) {
			fprintf(stderr, "differs from OpenSSL: %.*s\n", len,
			    (const char *)text);
			CU_FAIL("against OpenSSL");
		}
	}
}

/* The bytes of a random layout of enc: lines of random widths (not
 * always a multiple of four), LF or CRLF ends, blanks between
 * characters now and then.  Returns the length written to text. */
static size_t
random_layout(const unsigned char *enc, size_t n, unsigned char *text)
{
	unsigned char r[4];
	size_t i, t = 0, width, col = 0;

	CU_ASSERT_FATAL(RAND_bytes(r, sizeof(r)) == 1);
	width = r[0] % 4 == 0 ? 64 : r[0] % 4 == 1 ? 76 : (size_t)r[1] % 97 + 1;
	for (i = 0; i < n; i++) {
		text[t++] = enc[i];
		if (++col == width) {
			if (r[2] & 1)
				text[t++] = '\r';
			text[t++] = '\n';
			col = 0;
		}
		if (r[3] % 16 == 0 && (i * 7919u) % 61 == 0)
			text[t++] = (i & 1) ? ' ' : '\t';
	}
	if (r[2] & 2)
		text[t++] = '\n';
	return t;
}

/* Random lengths up to 5 000 bytes in random layouts, decoded to the
 * same bytes (also in place), and encoded to what OpenSSL encodes. */
static void
test_random_lengths_and_layouts(void)
{
	enum { MAX = 5000 };
	static unsigned char raw[MAX], enc[MAX / 3 * 4 + 8], mine[MAX / 3 * 4 + 8];
	/* One character a line with CRLF and blanks: four bytes each. */
	static unsigned char text[(MAX / 3 * 4 + 8) * 4], out[sizeof(text)];
	unsigned char r[2];
	size_t len, n, t;
	int round;

	for (round = 0; round < 3000; round++) {
		CU_ASSERT_FATAL(RAND_bytes(r, sizeof(r)) == 1);
		len = ((size_t)r[0] << 8 | r[1]) % (MAX + 1);
		CU_ASSERT_FATAL(RAND_bytes(raw, (int)len) == 1 || len == 0);
		n = (size_t)EVP_EncodeBlock(enc, raw, (int)len);
		CU_ASSERT_FATAL(cs_base64_encode(raw, len, mine) == n);
		CU_ASSERT_FATAL(memcmp(mine, enc, n) == 0);
		t = random_layout(enc, n, text);
		if (cs_base64_decode(text, t, out) != (long)len ||
		    memcmp(out, raw, len) != 0) {
			fprintf(stderr, "layout: %zu bytes, %.*s\n", len,
			    (int)(t < 200 ? t : 200), (const char *)text);
			CU_FAIL("random layout");
		}
		memcpy(out, text, t);
		CU_ASSERT(cs_base64_decode(out, t, out) == (long)len &&
		    memcmp(out, raw, len) == 0);
	}
}

/*
 * Lines, many in a call, as the sealing writes PEM: each line
 * EVP_EncodeBlock's text and a newline, for line lengths that end the
 * input on every step of the encoder (six bytes a step where eight can be
 * read, three at the end); nothing written past the lines.  The input
 * ends where the buffer does, so ASan sees any read past it.
 */
static void
test_lines(void)
{
	static const size_t lines[] = { 3, 6, 9, 12, 45, 48, 51 };
	unsigned char *raw, want[64 * 70], mine[64 * 70 + 1], r[1];
	size_t i, k, nlines, n, len;
	int round;

	for (round = 0; round < 400; round++) {
		CU_ASSERT_FATAL(RAND_bytes(r, 1) == 1);
		i = (size_t)round % (sizeof(lines) / sizeof(lines[0]));
		nlines = r[0] % 64;
		len = nlines * lines[i];
		raw = malloc(len > 0 ? len : 1);
		CU_ASSERT_FATAL(raw != NULL);
		CU_ASSERT_FATAL(len == 0 || RAND_bytes(raw, (int)len) == 1);
		for (k = 0, n = 0; k < nlines; k++) {
			n += (size_t)EVP_EncodeBlock(want + n,
			    raw + k * lines[i], (int)lines[i]);
			want[n++] = '\n';
		}
		mine[n] = 0xa5;
		CU_ASSERT_EQUAL(cs_base64_encode_lines(raw, nlines, lines[i],
		    mine), n);
		CU_ASSERT(memcmp(mine, want, n) == 0);
		CU_ASSERT_EQUAL(mine[n], 0xa5);
		free(raw);
	}
}

/* Every byte that is neither the alphabet, "=" nor PEM white space, at
 * every position of a 96-character body (the fast path's blocks of
 * sixteen, its single groups and the character path): refused.  White
 * space at those positions is skipped. */
static void
test_every_invalid_character(void)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[72], enc[97], text[98], out[98];
	unsigned int c;
	size_t pos;
	long got;

	CU_ASSERT_FATAL(RAND_bytes(raw, sizeof(raw)) == 1);
	CU_ASSERT_FATAL(EVP_EncodeBlock(enc, raw, sizeof(raw)) == 96);
	for (c = 0; c < 256; c++) {
		int space = c == ' ' || c == '\t' || c == '\r' || c == '\n';

		if (c != 0 && strchr(alpha, (int)c) != NULL)
			continue;
		for (pos = 0; pos <= 96; pos++) {
			memcpy(text, enc, pos);
			text[pos] = (unsigned char)c;
			memcpy(text + pos + 1, enc + pos, 96 - pos);
			got = cs_base64_decode(text, 97, out);
			if (space ? got != 72 || memcmp(out, raw, 72) != 0 :
			    got != -1) {
				fprintf(stderr, "byte 0x%02x at %zu: %ld\n", c,
				    pos, got);
				CU_FAIL("invalid character");
			}
		}
	}
}

/* The same inputs OpenSSL refuses, on random alphabet strings with one
 * character replaced by a random byte: where EVP_DecodeBlock (which
 * skips only leading and trailing blanks) refuses a non-blank, so does
 * this decoder. */
static void
test_refuses_what_openssl_refuses(void)
{
	unsigned char raw[60], enc[81], out[81], r[3];
	int round, got, ref;

	for (round = 0; round < 20000; round++) {
		CU_ASSERT_FATAL(RAND_bytes(raw, sizeof(raw)) == 1 &&
		    RAND_bytes(r, sizeof(r)) == 1);
		CU_ASSERT_FATAL(EVP_EncodeBlock(enc, raw, sizeof(raw)) == 80);
		if (r[1] == '=' || r[1] == ' ' || r[1] == '\t' ||
		    r[1] == '\r' || r[1] == '\n' || r[1] == '\f' ||
		    r[1] == '\v')
			continue;
		enc[r[0] % 80] = r[1];
		ref = EVP_DecodeBlock(out, enc, 80);
		got = (int)cs_base64_decode(enc, 80, out);
		if ((ref < 0) != (got < 0)) {
			fprintf(stderr, "byte 0x%02x at %d: OpenSSL %d, "
			    "certseal %d\n", r[1], r[0] % 80, ref, got);
			CU_FAIL("refusal differs from OpenSSL");
		}
	}
}

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "random data in every line layout", test_random_round_trip },
		{ "hostile inputs", test_table },
		{ "no byte past the room, also when refused",
		    test_room_when_refused },
		{ "same bytes as EVP_DecodeBlock", test_against_openssl },
		{ "random lengths and layouts, EVP_EncodeBlock's text",
		    test_random_lengths_and_layouts },
		{ "many PEM lines in a call", test_lines },
		{ "every invalid character at every position",
		    test_every_invalid_character },
		{ "refuses what EVP_DecodeBlock refuses",
		    test_refuses_what_openssl_refuses },
	};

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("base64", CU_CASES(cases), NULL, NULL) != 0)
		return 1;
	return cu_run_all();
}
