/*
 * admin.h - certseal-admin: the command groups.
 */
#ifndef CS_ADMIN_H
#define CS_ADMIN_H

#include "cli.h"

int cmd_seal(int argc, char **argv);

#endif /* CS_ADMIN_H */
