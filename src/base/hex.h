/*
 * hex.h - hexadecimal text with one rule each (p11-kit's common/hex.h):
 * one encoder, one strict decoder, one predicate.  certseal writes lower
 * case; it reads either case, and nothing else: no blanks, signs or "0x"
 * (sscanf's "%2x" took " 1" and "-1").
 */
#ifndef CS_HEX_H
#define CS_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Lower-case hex of p[0..len) into out, NUL-terminated; stops at the last
 * whole byte that fits (outlen >= 2 * len + 1 holds all of it).
 */
void cs_hex(const unsigned char *p, size_t len, char *out, size_t outlen);

/* The value of one hex digit (either case), or -1. */
int cs_hex_digit(int c);

/*
 * Decodes hex (either case) into out; returns the number of bytes, or -1
 * when hex has an odd length, a character that is not a hex digit, or
 * more than outlen bytes.  "" decodes to 0 bytes.
 */
int cs_hex_decode(const char *hex, uint8_t *out, size_t outlen);

/*
 * An id as a user types it (colons between bytes allowed, either case)
 * into certseal's own form: lower case, no colons, in out (outsize bytes
 * with the NUL).  Returns the number of digits, or -1 when in holds
 * anything else or does not fit; callers check the length they need.
 */
int cs_hex_normalize(const char *in, char *out, size_t outsize);

/* Which digits cs_is_hex accepts. */
#define CS_HEX_LOWER	0	/* what certseal wrote: lower case only */
#define CS_HEX_ANY	1	/* what a user or another program wrote */

/*
 * 1 when s holds nothing but hex digits of that case ("" too: callers
 * check the length they need).
 */
int cs_is_hex(const char *s, int which);

#endif /* CS_HEX_H */
