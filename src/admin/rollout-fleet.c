/*
 * rollout-fleet.c - the fleet inventory of `rollout status` and `pair
 * activate`: --hosts FILE (one host a line) and --expect N.  Reports only
 * speak for the hosts that wrote them; a host that never reported is
 * missing only if someone says it exists: the inventory, or its
 * enrolment (rollout-enrolled.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "rollout.h"

#define FLEET_FILE_MAX	(8 * 1024 * 1024)
#define FLEET_HOST_MAX	253	/* a DNS name */

struct rollout_fleet rollout_fleet;

int
rollout_fleet_option(const char *name, const char *arg)
{
	char *end;

	if (strcmp(name, "expect") == 0) {
		errno = 0;
		rollout_fleet.expect = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' ||
		    rollout_fleet.expect < 1 || rollout_fleet.expect > 10000000)
			return cli_usage_error("--expect: '%.32s' is not a "
			    "number of hosts (1 or more)", arg);
		return 0;
	}
	rollout_fleet.hosts_file = arg;
	return 0;
}

static int
known(json_t *res, const char *host)
{
	json_t *ready = json_object_get(res, "ready_hosts");
	json_t *nr = json_object_get(res, "not_ready_hosts"), *e;
	const char *h;
	size_t i;

	json_array_foreach(ready, i, e)
		if ((h = json_string_value(e)) != NULL && strcmp(h, host) == 0)
			return 1;
	json_array_foreach(nr, i, e)
		if ((h = json_string_value(json_object_get(e, "host"))) !=
		    NULL && strcmp(h, host) == 0)
			return 1;
	return 0;
}

/* Each listed host that is not known yet: not ready, missing a report. */
static int
add_listed(struct admin *a, json_t *res, const char *file)
{
	json_t *nr = json_object_get(res, "not_ready_hosts");
	uint8_t *data = NULL;
	size_t len = 0, lineno = 0;
	char *text, *line, *save = NULL, *end;
	int r;

	if ((r = cs_read_file(a->ctx, file, FLEET_FILE_MAX, &data,
	    &len)) != 0)
		return r;
	if ((text = malloc(len + 1)) == NULL) {
		free(data);
		return cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
	}
	memcpy(text, data, len);
	text[len] = '\0';
	free(data);
	r = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line += strspn(line, " \t\r");
		end = line + strlen(line);
		while (end > line && strchr(" \t\r", end[-1]) != NULL)
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (strlen(line) > FLEET_HOST_MAX ||
		    strcspn(line, "/ \t") != strlen(line)) {
			r = cs_error(a->ctx, CERTSEAL_E_USAGE, "--hosts %s, "
			    "line %zu: not a host name (one name a line, "
			    "# comments)", file, lineno);
			break;
		}
		if (known(res, line))
			continue;
		if (json_array_append_new(nr, json_pack("{s:s, s:s, s:[s], "
		    "s:b}", "host", line, "file", "", "missing", "report",
		    "listed", 1)) != 0) {
			r = cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
			break;
		}
	}
	free(text);
	return r;
}

int
rollout_fleet_apply(struct admin *a, json_t *res)
{
	json_int_t nready, nnot, hosts;
	int r;

	if (rollout_fleet.hosts_file != NULL &&
	    (r = add_listed(a, res, rollout_fleet.hosts_file)) != 0)
		return r;
	nready = (json_int_t)json_array_size(json_object_get(res,
	    "ready_hosts"));
	nnot = (json_int_t)json_array_size(json_object_get(res,
	    "not_ready_hosts"));
	hosts = nready + nnot;
	if (json_object_set_new(res, "hosts", json_integer(hosts)) != 0 ||
	    json_object_set_new(res, "ready", json_integer(nready)) != 0 ||
	    json_object_set_new(res, "not_ready", json_integer(nnot)) != 0)
		return cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
	if (rollout_fleet.expect > 0 && (json_object_set_new(res,
	    "expected_hosts", json_integer(rollout_fleet.expect)) != 0 ||
	    json_object_set_new(res, "unknown_missing",
	    json_integer(hosts < rollout_fleet.expect ?
	    rollout_fleet.expect - hosts : 0)) != 0))
		return cs_error(a->ctx, CERTSEAL_E_NOMEM, "out of memory");
	return 0;
}

int
rollout_fleet_given(void)
{
	return rollout_fleet.expect > 0 || rollout_fleet.hosts_file != NULL;
}
