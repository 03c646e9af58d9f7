/*
 * fuzz-uri.c - CertificateSource URI parsing for every scheme (pkcs11:,
 * file:, store:, the Windows [Location]\Store spelling, unknown schemes),
 * plus the CLI's --store and entry-id spellings.  Parsing only: `new`
 * must not touch a file, module or token, so nothing else is called.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "source.h"
#include "store.h"

static certseal_ctx *ctx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = fuzz_ctx();
	return 0;
}

/* A redacted URI must never show a pin-value's value. */
static void
check_redacted(const char *uri)
{
	const char *p, *v;

	/* Any case; a message cut at its size limit may end in "REDA". */
	for (p = uri; (p = strcasestr(p, "pin-value=")) != NULL; p += 10) {
		v = p + 10;
		if (strncmp(v, "REDACTED", 8) != 0 &&
		    (strlen(v) >= 8 || strncmp(v, "REDACTED", strlen(v)) != 0))
			abort();
	}
}

/* Parses one URI; a failure must leave a message. */
static void
parse_one(const char *uri)
{
	struct cs_source *src = NULL;

	cs_error_clear(ctx);
	if (cs_source_new(ctx, uri, &src) == 0) {
		check_redacted(cs_source_display_uri(src));
		cs_source_free(src);
	} else if (certseal_ctx_last_error(ctx)[0] == '\0') {
		abort();
	}
	check_redacted(certseal_ctx_last_error(ctx));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const prefixes[] = { "pkcs11:", "file:",
	    "store:", "[" };
	char loc[CS_STORE_LOCATION_MAX + 1], name[CS_STORE_NAME_MAX + 1];
	char id[CS_STORE_ID_MAX + 1], *s;
	const char *prefix;
	size_t plen;

	if (size > 64 * 1024)
		return 0;
	/* The input as it is: any scheme, the CLI's other spellings. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	parse_one(s);
	(void)cs_store_spec_parse(ctx, s, loc, name);
	(void)cs_store_id_normalize(ctx, s, id);
	(void)cs_pin_source_path(s);
	free(s);
	/*
	 * And behind a scheme picked by the first byte, so that mutations
	 * of an attribute list are not all spent on unknown schemes.
	 */
	if (size == 0)
		return 0;
	prefix = prefixes[data[0] % 4];
	plen = strlen(prefix);
	if ((s = malloc(plen + size)) == NULL)
		return 0;
	memcpy(s, prefix, plen);
	memcpy(s + plen, data + 1, size - 1);
	s[plen + size - 1] = '\0';
	parse_one(s);
	free(s);
	return 0;
}
