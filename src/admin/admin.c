/*
 * admin.c - the admin session: context, profile, token and login, set up
 * once per command.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

const char *admin_profile_option;

void
admin_use_softhsm_conf(const char *conf)
{
	/*
	 * SoftHSM2 reads its configuration from the environment when the
	 * module initialises; an explicit SOFTHSM2_CONF from the user wins.
	 */
	if (conf != NULL && getenv("SOFTHSM2_CONF") == NULL)
		setenv("SOFTHSM2_CONF", conf, 1);
}

int
admin_open(struct admin *a, unsigned int flags)
{
	char *path = NULL;
	int r, code = CLI_EXIT_OTHER;

	memset(a, 0, sizeof(*a));
	if ((r = cli_ctx_new(&a->ctx)) != 0) {
		code = cli_fail(NULL, r, "creating a context");
		goto out;
	}
	if ((path = profile_default_path(admin_profile_option)) == NULL) {
		code = cli_fail(a->ctx, CERTSEAL_E_NOMEM, "profile");
		goto out;
	}
	if ((r = profile_load(a->ctx, path, (flags & ADMIN_LOCK) != 0,
	    &a->profile)) != 0) {
		code = cli_fail(a->ctx, r, "profile");
		goto out;
	}
	if ((flags & ADMIN_TOKEN) == 0) {
		code = 0;
		goto out;
	}
	admin_use_softhsm_conf(a->profile->softhsm_conf);
	if ((r = cs_p11_uri_parse(a->ctx, a->profile->token_uri,
	    &a->uri)) != 0 ||
	    (r = cs_p11_token_open(a->ctx, a->uri, &a->tok)) != 0 ||
	    (r = cs_p11_token_login(a->ctx, a->tok,
	    cs_p11_uri_pin_source(a->uri),
	    cs_p11_uri_pin_value(a->uri))) != 0) {
		code = cli_fail(a->ctx, r, "admin token");
		goto out;
	}
	code = 0; /* success */
 out:
	free(path);
	return code;
}

void
admin_close(struct admin *a)
{
	cs_p11_token_unref(a->tok);
	cs_p11_uri_free(a->uri);
	profile_free(a->profile);
	certseal_ctx_free(a->ctx);
	memset(a, 0, sizeof(*a));
}
