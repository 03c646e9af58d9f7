/*
 * rollout-eval.c - the rollout evaluation on its own, for the integration
 * scripts (the client side can be counted without an admin profile):
 *
 *   rollout-eval DIR KEY-ID [SIGNER-FINGERPRINT]
 *
 * Prints "hosts N ready N not_ready N", then one line per host:
 * "ready HOST" or "not-ready HOST FILE MISSING...".  Exits 0 when at least
 * one host reported and all are ready, 1 when not, 2 on an error.
 */
#include "config.h"

#include <stdio.h>

#include "internal.h"
#include "report.h"

int
main(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	json_t *res = NULL, *h, *m;
	size_t i, j;
	int r, code = 2;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: rollout-eval DIR KEY-ID [SIGNER-FP]\n");
		return 2;
	}
	if (certseal_ctx_new(&ctx) != 0)
		return 2;
	if ((r = cs_rollout_evaluate(ctx, argv[1], argv[2],
	    argc == 4 ? argv[3] : NULL, &res)) != 0) {
		fprintf(stderr, "rollout-eval: %s\n",
		    certseal_ctx_last_error(ctx));
		goto out;
	}
	printf("hosts %lld ready %lld not_ready %lld\n",
	    (long long)json_integer_value(json_object_get(res, "hosts")),
	    (long long)json_integer_value(json_object_get(res, "ready")),
	    (long long)json_integer_value(json_object_get(res, "not_ready")));
	json_array_foreach(json_object_get(res, "ready_hosts"), i, h)
		printf("ready %s\n", json_string_value(h));
	json_array_foreach(json_object_get(res, "not_ready_hosts"), i, h) {
		printf("not-ready %s %s",
		    json_string_value(json_object_get(h, "host")),
		    json_string_value(json_object_get(h, "file")));
		json_array_foreach(json_object_get(h, "missing"), j, m)
			printf(" %s", json_string_value(m));
		printf("\n");
	}
	code = json_integer_value(json_object_get(res, "hosts")) > 0 &&
	    json_integer_value(json_object_get(res, "not_ready")) == 0 ? 0 : 1;
 out:
	json_decref(res);
	certseal_ctx_free(ctx);
	return code;
}
