/*
 * hex.c - hexadecimal text (hex.h).
 */
#include "config.h"

#include <string.h>

#include "hex.h"

static const char lower[] = "0123456789abcdef";

void
cs_hex(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	size_t i;

	if (outlen == 0)
		return;
	for (i = 0; i < len && 2 * i + 2 < outlen; i++) {
		out[2 * i] = lower[p[i] >> 4];
		out[2 * i + 1] = lower[p[i] & 0x0f];
	}
	out[2 * i] = '\0';
}

int
cs_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
cs_hex_decode(const char *hex, uint8_t *out, size_t outlen)
{
	size_t i, n = strlen(hex);
	int hi, lo;

	if (n % 2 != 0 || n / 2 > outlen || n / 2 > INT32_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = cs_hex_digit((unsigned char)hex[2 * i])) < 0 ||
		    (lo = cs_hex_digit((unsigned char)hex[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

int
cs_hex_normalize(const char *in, char *out, size_t outsize)
{
	size_t n = 0;
	int v;

	if (outsize == 0)
		return -1;
	out[0] = '\0';
	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if ((v = cs_hex_digit((unsigned char)*in)) < 0 ||
		    n + 1 >= outsize || n >= INT32_MAX) {
			out[0] = '\0';
			return -1;
		}
		out[n++] = lower[v];
	}
	out[n] = '\0';
	return (int)n;
}

int
cs_is_hex(const char *s, int which)
{
	size_t n = strlen(s);

	return strspn(s, which == CS_HEX_ANY ? "0123456789abcdefABCDEF" :
	    lower) == n;
}
