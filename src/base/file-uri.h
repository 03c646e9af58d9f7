/*
 * file-uri.h - the one reading of `file:` URIs and plain paths (RFC 8089),
 * for file: sources, their cert= attribute and every pin-source.
 */
#ifndef CS_FILE_URI_H
#define CS_FILE_URI_H

/*
 * The local path s names, as a pointer into s:
 *
 *	/abs/path, rel/path		the path itself
 *	file:/abs/path, file:rel/path	/abs/path, rel/path
 *	file:///abs/path		/abs/path
 *	file://localhost/abs/path	/abs/path
 *
 * NULL when s names a file on another host (file://otherhost/path, also
 * file://otherhost with no path): that is never read as the relative path
 * "otherhost/path".  The scheme and "localhost" are case-insensitive
 * (RFC 3986 sections 3.1 and 3.2.2).  The path may come back empty
 * ("file:", "file://"); callers say what is missing.  The path ends where
 * s ends: callers cut a query off first, or look for it in the result.
 * No percent-decoding happens here.
 */
const char *cs_file_uri_path(const char *s);

#endif /* CS_FILE_URI_H */
