# certseal-admin, the admin tool: a command table, one file per group.
sbin_PROGRAMS += certseal-admin
certseal_admin_SOURCES = \
	src/admin/admin.h \
	src/admin/admin.c \
	src/admin/profile.h \
	src/admin/profile.c \
	src/admin/profile-clients.c \
	src/admin/pairs.c \
	src/admin/seal-profile.c \
	src/admin/own-config.c \
	src/admin/token-backup.c \
	src/admin/certseal-admin.c \
	src/admin/cmd-init.c \
	src/admin/cmd-pair.c \
	src/admin/cmd-save.c \
	src/admin/cmd-seal.c \
	src/admin/rollout.h \
	src/admin/cmd-rollout.c \
	src/admin/cmd-token.c
certseal_admin_LDADD = libcli.la libcertseal-core.la $(CS_LIBS)
# enrolled clients: client list | approve | revoke
certseal_admin_SOURCES += src/admin/cmd-client.c src/admin/clients.c \
	src/admin/rollout-enrolled.c
certseal_admin_SOURCES += src/admin/help.c
certseal_admin_SOURCES += src/admin/rollout-fleet.c
