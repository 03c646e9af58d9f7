/*
 * base64.c - decoding the base64 body of a PEM file.
 *
 * Why not EVP_DecodeUpdate: OpenSSL's decoder runs a per-character state
 * machine at about 50 instructions a byte; for a 64 MiB configuration that
 * is the largest single cost of an open (bench/ANALYSIS.md).  This one does
 * a table lookup per character and writes three bytes per four, with the
 * same rules RFC 7468 gives PEM: the base64 alphabet of RFC 4648 section 4,
 * whitespace (space, tab, CR, LF) anywhere, "=" padding only at the end.
 * Anything else is an error, never skipped.  The unit suite checks it
 * against EVP_DecodeBlock on random and hostile inputs.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "base64.h"

/*
 * A character's value plus one (so that the zero of every entry not listed
 * is "not base64"), or one of the two marks below.
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

long
cs_base64_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	const uint8_t *end = in + len;
	uint8_t *o = out;
	uint32_t acc = 0, a, b, c, d;
	unsigned int n = 0, pad = 0, need = 0, v;

	if (len > LONG_MAX)
		return -1;
	while (in < end) {
		/* The fast path: four alphabet characters (a line's body). */
		if (n == 0 && pad == 0 && end - in >= 4) {
			/* 0 (not base64) wraps to 0xffffffff. */
			a = (uint32_t)b64_table[in[0]] - 1;
			b = (uint32_t)b64_table[in[1]] - 1;
			c = (uint32_t)b64_table[in[2]] - 1;
			d = (uint32_t)b64_table[in[3]] - 1;
			if ((a | b | c | d) < 64) {
				acc = a << 18 | b << 12 | c << 6 | d;
				o[0] = (uint8_t)(acc >> 16);
				o[1] = (uint8_t)(acc >> 8);
				o[2] = (uint8_t)acc;
				o += 3;
				in += 4;
				continue;
			}
		}
		v = b64_table[*in++];
		if (v == B64_SPACE)
			continue;
		if (v == B64_BAD || (pad != 0 && v != B64_PAD))
			return -1;	/* not base64, or data after "=" */
		if (v == B64_PAD) {
			if (pad == 0) {
				/* "=" ends a group of two or three characters. */
				if (n < 2)
					return -1;
				if (n == 2) {
					*o++ = (uint8_t)(acc >> 4);
				} else {
					*o++ = (uint8_t)(acc >> 10);
					*o++ = (uint8_t)(acc >> 2);
				}
				need = 4 - n;
			}
			if (++pad > need)
				return -1;
			continue;
		}
		acc = acc << 6 | (v - 1);
		if (++n == 4) {
			o[0] = (uint8_t)(acc >> 16);
			o[1] = (uint8_t)(acc >> 8);
			o[2] = (uint8_t)acc;
			o += 3;
			n = 0;
			acc = 0;
		}
	}
	/* A group cut short, or padded with too few "=". */
	if ((pad == 0 && n != 0) || pad != need)
		return -1;
	return (long)(o - out);
}
