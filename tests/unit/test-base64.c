/*
 * test-base64.c - the PEM body decoder (src/lib/base64.c) against
 * OpenSSL's EVP_DecodeBlock, an implementation certseal did not write, on
 * random data in every line layout, and on a table of hostile inputs.
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

int
main(void)
{
	static const struct cu_case cases[] = {
		{ "random data in every line layout", test_random_round_trip },
		{ "hostile inputs", test_table },
		{ "same bytes as EVP_DecodeBlock", test_against_openssl },
	};

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    cu_add_suite("base64", CU_CASES(cases), NULL, NULL) != 0)
		return 1;
	return cu_run_all();
}
