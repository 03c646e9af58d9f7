/*
 * base64.c - the base64 body of a PEM file, decoded and encoded.
 *
 * Why not EVP_DecodeUpdate / EVP_EncodeBlock: OpenSSL's decoder runs a
 * per-character state machine at about 50 instructions a byte; for a
 * 64 MiB configuration that was the largest single cost of an open
 * (bench/ANALYSIS.md).  This decoder takes whole groups of four alphabet
 * characters with four table lookups and one error test, four groups at
 * a time, and leaves everything else to a character-at-a-time path with
 * the rules RFC 7468 gives PEM: the base64 alphabet of RFC 4648 section
 * 4, whitespace (space, tab, CR, LF) anywhere, "=" padding only at the
 * end.  Anything else is an error, never skipped.  The encoder writes
 * two characters per table lookup.  The unit suite checks both against
 * EVP_DecodeBlock and EVP_EncodeBlock on random and hostile inputs.
 */
#include "config.h"

#include <endian.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"

/*
 * A character's value plus one (so that the zero of every entry not listed
 * is "not base64"), or one of the two marks below: the table of the
 * character-at-a-time path, which handles what the fast path leaves
 * (white space, padding, errors).
 */
#define B64_BAD		0
#define B64_SPACE	0x80	/* skipped */
#define B64_PAD		0x81	/* "=" */

static const uint8_t b64_table[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27,
	['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
	['+'] = 63, ['/'] = 64,
	[' '] = B64_SPACE, ['\t'] = B64_SPACE, ['\r'] = B64_SPACE,
	['\n'] = B64_SPACE, ['='] = B64_PAD,
};

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * The fast path's tables: dec[k][c] is character c's six bits already at
 * their place in a group's 24 (shifted by 18, 12, 6, 0), so that a group
 * is four loads and three ORs; any character outside the alphabet has
 * bit 24 set in all four, so one test per group (or per four groups)
 * finds it.  enc2[v] is the two characters of a 12-bit value.  Built
 * once from the alphabet (b64_init), not written out by hand.
 */
#define B64_FAST_BAD	((uint32_t)1 << 24)

static uint32_t dec[4][256];
static uint16_t enc2[4096];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void
b64_init(void)
{
	unsigned int c, k, v;

	for (k = 0; k < 4; k++)
		for (c = 0; c < 256; c++)
			dec[k][c] = B64_FAST_BAD;
	for (v = 0; v < 64; v++)
		for (k = 0; k < 4; k++)
			dec[k][(uint8_t)b64_alphabet[v]] = (uint32_t)v <<
			    (18 - 6 * k);
	for (v = 0; v < 4096; v++) {
		uint8_t pair[2] = {
			(uint8_t)b64_alphabet[v >> 6],
			(uint8_t)b64_alphabet[v & 63]
		};

		memcpy(&enc2[v], pair, 2);
	}
}

static inline uint32_t
group(const uint8_t *in)
{
	return dec[0][in[0]] | dec[1][in[1]] | dec[2][in[2]] | dec[3][in[3]];
}

static inline void
put3(uint8_t *o, uint32_t x)
{
	o[0] = (uint8_t)(x >> 16);
	o[1] = (uint8_t)(x >> 8);
	o[2] = (uint8_t)x;
}

/*
 * Decodes whole groups of four alphabet characters from *inp while there
 * are, 16 characters (a quarter of a PEM line) at a time where it can,
 * skipping line ends between groups (white space is allowed anywhere);
 * stops before the first group holding anything else.  A block's output
 * is stored after its input was read, so decoding in place is safe.
 */
static void
decode_fast(const uint8_t **inp, const uint8_t *end, uint8_t **outp)
{
	const uint8_t *in = *inp;
	uint8_t *o = *outp;
	uint32_t a, b, c, d, lo;
	uint64_t hi;

	for (;;) {
		if (end - in >= 16) {
			a = group(in);
			b = group(in + 4);
			c = group(in + 8);
			d = group(in + 12);
			if (((a | b | c | d) & B64_FAST_BAD) == 0) {
				/* Twelve bytes as two stores, not twelve. */
				hi = htobe64((uint64_t)a << 40 |
				    (uint64_t)b << 16 | c >> 8);
				lo = htobe32(c << 24 | d);
				memcpy(o, &hi, 8);
				memcpy(o + 8, &lo, 4);
				o += 12;
				in += 16;
				continue;
			}
		}
		if (end - in >= 4 && ((a = group(in)) & B64_FAST_BAD) == 0) {
			put3(o, a);
			o += 3;
			in += 4;
			continue;
		}
		if (in < end && (*in == '\n' || *in == '\r')) {
			in++;
			continue;
		}
		break;
	}
	*inp = in;
	*outp = o;
}

long
cs_base64_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	const uint8_t *end = in + len;
	uint8_t *o = out;
	uint32_t acc = 0;
	unsigned int n = 0, pad = 0, need = 0, v;

	if (len > LONG_MAX)
		return -1;
	(void)pthread_once(&b64_once, b64_init);
	while (in < end) {
		/* The fast path: whole groups of the alphabet (a line). */
		if (n == 0 && pad == 0) {
			decode_fast(&in, end, &o);
			if (in == end)
				break;
		}
		v = b64_table[*in++];
		if (v == B64_SPACE)
			continue;
		if (v == B64_BAD || (pad != 0 && v != B64_PAD))
			return -1;	/* not base64, or data after "=" */
		if (v == B64_PAD) {
			/* "=" ends a group of two or three characters. */
			if (pad == 0 && n < 2)
				return -1;
			need = 4 - n;
			if (++pad > need)
				return -1;
			continue;
		}
		acc = acc << 6 | (v - 1);
		if (++n == 4) {
			put3(o, acc);
			o += 3;
			n = 0;
			acc = 0;
		}
	}
	/* A group cut short, or padded with too few "=". */
	if ((pad == 0 && n != 0) || pad != need)
		return -1;
	/*
	 * The padded group's bytes, written only now that its padding is
	 * complete: "QQ=" (three characters, room for none) writes nothing.
	 */
	if (n == 2) {
		*o++ = (uint8_t)(acc >> 4);
	} else if (n == 3) {
		*o++ = (uint8_t)(acc >> 10);
		*o++ = (uint8_t)(acc >> 2);
	}
	return (long)(o - out);
}

/*
 * Encodes n bytes at in (n a multiple of 3) into out, n / 3 * 4
 * characters.  Six bytes a step, read as one 64-bit word, where eight can
 * be read before limit (the end of the caller's input); three at the end.
 */
static uint8_t *
encode_groups(const uint8_t *in, size_t n, const uint8_t *limit,
    uint8_t *o)
{
	const uint8_t *end = in + n;
	uint64_t w;
	uint32_t x;

	for (; end - in >= 6 && limit - in >= 8; in += 6, o += 8) {
		memcpy(&w, in, 8);
		w = be64toh(w);
		memcpy(o, &enc2[w >> 52], 2);
		memcpy(o + 2, &enc2[(w >> 40) & 0xfff], 2);
		memcpy(o + 4, &enc2[(w >> 28) & 0xfff], 2);
		memcpy(o + 6, &enc2[(w >> 16) & 0xfff], 2);
	}
	for (; in < end; in += 3, o += 4) {
		x = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		memcpy(o, &enc2[x >> 12], 2);
		memcpy(o + 2, &enc2[x & 0xfff], 2);
	}
	return o;
}

size_t
cs_base64_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	const uint8_t *end = in + len;
	size_t whole = len / 3 * 3;
	uint8_t *o;
	uint32_t x;

	(void)pthread_once(&b64_once, b64_init);
	o = encode_groups(in, whole, end, out);
	in += whole;
	if (end - in == 1) {
		o[0] = (uint8_t)b64_alphabet[in[0] >> 2];
		o[1] = (uint8_t)b64_alphabet[(in[0] & 3) << 4];
		o[2] = o[3] = '=';
		o += 4;
	} else if (end - in == 2) {
		x = (uint32_t)in[0] << 8 | in[1];
		o[0] = (uint8_t)b64_alphabet[x >> 10];
		o[1] = (uint8_t)b64_alphabet[(x >> 4) & 63];
		o[2] = (uint8_t)b64_alphabet[(x & 15) << 2];
		o[3] = '=';
		o += 4;
	}
	return (size_t)(o - out);
}

size_t
cs_base64_encode_lines(const uint8_t *in, size_t nlines, size_t line,
    uint8_t *out)
{
	const uint8_t *limit = in + nlines * line;
	uint8_t *o = out;

	(void)pthread_once(&b64_once, b64_init);
	for (; nlines > 0; nlines--, in += line) {
		o = encode_groups(in, line, limit, o);
		*o++ = '\n';
	}
	return (size_t)(o - out);
}
