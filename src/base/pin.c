/*
 * pin.c - where PINs and passwords come from (DESIGN.md section 4):
 * pin-source, pin-value (with a warning), CERTSEAL_PIN, then the prompt.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base.h"
#include "file-uri.h"

/* PIN files are small; anything bigger is not a PIN file. */
#define PIN_FILE_MAX	4096
#define PROMPT_MAX	1024

const char *
cs_pin_source_path(const char *pin_source)
{
	const char *path;

	if (pin_source == NULL ||
	    (path = cs_file_uri_path(pin_source)) == NULL || *path == '\0')
		return NULL;
	return path;
}

/* A trailing CR/LF ends the line; it is not part of the secret. */
static void
strip_newline(struct cs_secret *s)
{
	while (s->len > 0 &&
	    (s->data[s->len - 1] == '\n' || s->data[s->len - 1] == '\r')) {
		s->data[--s->len] = '\0';
	}
}

int
cs_pin_get(certseal_ctx *ctx, const char *pin_source, const char *pin_value,
    const char *what, struct cs_secret **out)
{
	struct cs_secret *s = NULL;
	const char *path, *env;
	certseal_prompt_fn prompt = NULL;
	void *prompt_arg = NULL;
	char *buf = NULL;
	int r = CERTSEAL_E_INTERNAL;

	*out = NULL;
	if (pin_source != NULL) {
		if ((path = cs_pin_source_path(pin_source)) == NULL) {
			r = cs_error(ctx, CERTSEAL_E_BAD_URI,
			    "pin-source '%s' is not a local file", pin_source);
			goto out;
		}
		if ((r = cs_read_secret_file(ctx, path, PIN_FILE_MAX,
		    &s)) != 0) {
			cs_error_prefix(ctx, "pin-source");
			if (r == CERTSEAL_E_NOT_FOUND)
				r = CERTSEAL_E_NO_PIN;
			goto out;
		}
		strip_newline(s);
	} else if (pin_value != NULL) {
		cs_warn(ctx, "a PIN in the URI (pin-value) is visible to other "
		    "users; use pin-source or CERTSEAL_PIN instead");
		if ((r = cs_secret_from(pin_value, strlen(pin_value),
		    &s)) != 0)
			goto out;
	} else if ((env = getenv("CERTSEAL_PIN")) != NULL) {
		if ((r = cs_secret_from(env, strlen(env), &s)) != 0)
			goto out;
	} else if (ctx != NULL &&
	    (prompt = cs_ctx_prompter(ctx, &prompt_arg)) != NULL) {
		if ((buf = calloc(1, PROMPT_MAX)) == NULL) {
			r = CERTSEAL_E_NOMEM;
			goto out;
		}
		if (prompt(what, buf, PROMPT_MAX, prompt_arg) != 0) {
			r = cs_error(ctx, CERTSEAL_E_NO_PIN,
			    "no answer for %s on the terminal; give it in a "
			    "file (--password-file, or pin-source in the "
			    "URI) or in CERTSEAL_PIN", what);
			goto out;
		}
		buf[PROMPT_MAX - 1] = '\0';
		if ((r = cs_secret_from(buf, strlen(buf), &s)) != 0)
			goto out;
		strip_newline(s);
	} else {
		r = cs_error(ctx, CERTSEAL_E_NO_PIN,
		    "%s needed: give pin-source in the URI, set CERTSEAL_PIN, "
		    "or run on a terminal", what);
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0; /* success */
 out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, PROMPT_MAX);
		free(buf);
	}
	cs_secret_free(s);
	return r;
}
