/*
 * file-uri.c - `file:` URIs and plain paths (file-uri.h).
 *
 * One parser, because three copies had three rules: the pin-source
 * parser read file://otherhost/path as the relative path otherhost/path
 * while the file: source refused it.  A host other than localhost is
 * someone else's file system; certseal reads only its own.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "file-uri.h"

const char *
cs_file_uri_path(const char *s)
{
	const char *auth;
	size_t n;

	if (strncasecmp(s, "file:", 5) != 0)
		return s;		/* a plain path */
	s += 5;
	if (strncmp(s, "//", 2) != 0)
		return s;		/* file:/abs or file:rel: no authority */
	auth = s + 2;
	n = strcspn(auth, "/?#");
	if (n == 0 || (n == 9 && strncasecmp(auth, "localhost", 9) == 0))
		return auth + n;
	return NULL;
}
