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

int cmd_rollout(int argc, char **argv);

#endif /* CS_ROLLOUT_H */
