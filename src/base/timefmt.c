/*
 * timefmt.c - RFC 3339 UTC text (timefmt.h).
 *
 * One formatter: four strftime copies and three ASN1_TIME_print_ex calls
 * (which print "2026-12-01 21:05:26Z", with a blank) had given the CLI two
 * time formats.
 */
#include "config.h"

#include <string.h>

#include "timefmt.h"

static int
tm_text(const struct tm *tm, char *buf, size_t size)
{
	/* Years past 9999 do not fit RFC 3339: shown as nothing. */
	if (tm->tm_year < -1900 || tm->tm_year > 9999 - 1900 ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", tm) == 0) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

int
cs_time_text(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	return tm_text(&tm, buf, size);
}

int
cs_asn1_time_text(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	return tm_text(&tm, buf, size);
}
