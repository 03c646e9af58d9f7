/*
 * base64.h - the base64 body of a PEM file (RFC 7468).
 */
#ifndef CS_BASE64_H
#define CS_BASE64_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes len characters of base64 at in into out, which needs room for
 * len / 4 * 3 bytes and may be in itself (the output never overtakes the
 * input).  Whitespace is skipped; "=" padding is accepted only at the end.
 * Returns the decoded length, or -1 for any other character, a group cut
 * short or data after the padding.
 */
long cs_base64_decode(const uint8_t *in, size_t len, uint8_t *out);

/*
 * Encodes len bytes at in as base64 with "=" padding and no line breaks
 * into out, which needs room for (len + 2) / 3 * 4 bytes (no NUL is
 * written); the bytes EVP_EncodeBlock writes.  Returns their number.
 */
size_t cs_base64_encode(const uint8_t *in, size_t len, uint8_t *out);

/*
 * Encodes nlines lines of line bytes each (a multiple of 3) at in, each as
 * line / 3 * 4 characters and a "\n", into out, which needs room for
 * nlines * (line / 3 * 4 + 1) bytes: the body of a PEM file, a call for
 * many lines.  Returns the number of bytes written.
 */
size_t cs_base64_encode_lines(const uint8_t *in, size_t nlines, size_t line,
    uint8_t *out);

#endif
