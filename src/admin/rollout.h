/*
 * rollout.h - readiness of the clients for a pair (DESIGN.md section 1,
 * steps 4-7): `certseal-admin rollout status`, and the check that `pair
 * activate` makes before switching pairs.
 */
#ifndef CS_ROLLOUT_H
#define CS_ROLLOUT_H

#include "admin.h"

/*
 * Counts the reports in the profile's reports_dir for pair.  *ready is 1
 * when at least one host reported and every host is ready; *summary
 * (malloc'ed, one line, for messages) says how many are ready and which
 * are not.  No reports_dir configured: *ready = 1 with the summary "no
 * reports directory configured".  A missing directory or one without
 * reports is "not ready", not an error; errors are reading errors (the
 * context holds the message).
 */
int rollout_check_ready(struct admin *a, const struct pair *pair, int *ready,
    char **summary);

/*
 * rollout-enrolled.c: puts the approved enrolled clients into res (from
 * cs_rollout_evaluate for pair): each a known host, ready only with a
 * report signed by its enrolled key that trusts the pair's signer.
 */
int rollout_enrolled(struct admin *a, const char *dir,
    const struct pair *pair, json_t *res);

/*
 * rollout-fleet.c: the fleet inventory (--hosts FILE, --expect N) of
 * rollout status and pair activate.  Listed hosts that did not report are
 * not ready (missing "report"); with --expect N, fewer known hosts than N
 * leave "unknown_missing" hosts and nobody is all ready.  apply also
 * recounts hosts/ready/not_ready.
 */
struct rollout_fleet {
	long		 expect;
	const char	*hosts_file;
};
extern struct rollout_fleet rollout_fleet;
int rollout_fleet_option(const char *name, const char *arg);
int rollout_fleet_apply(struct admin *a, json_t *res);
int rollout_fleet_given(void);

int cmd_rollout(int argc, char **argv);

#endif /* CS_ROLLOUT_H */
