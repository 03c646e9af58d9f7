/*
 * timefmt.h - the one way certseal shows a time: RFC 3339 in UTC,
 * "2026-12-01T21:05:26Z" (section 5.6, "Z" for UTC), in listings, JSON,
 * reports and store entries alike.
 */
#ifndef CS_TIMEFMT_H
#define CS_TIMEFMT_H

#include <stddef.h>
#include <time.h>

#include <openssl/asn1.h>

/* Bytes the text needs, NUL included. */
#define CS_TIME_TEXT_MAX	sizeof("2026-12-01T21:05:26Z")

/* t into buf: 0, or -1 with buf "" when it cannot be shown. */
int cs_time_text(time_t t, char *buf, size_t size);

/* A certificate's or a CMS attribute's time, the same way. */
int cs_asn1_time_text(const ASN1_TIME *t, char *buf, size_t size);

#endif /* CS_TIMEFMT_H */
