# certseal, the client tool.
noinst_LTLIBRARIES += libcli.la
libcli_la_SOURCES = src/common/cli.h src/common/cli.c src/common/cli-args.c

bin_PROGRAMS += certseal
certseal_SOURCES = \
	src/client/client.h \
	src/client/certseal.c \
	src/client/cmd-open.c \
	src/client/cmd-inspect.c \
	src/client/cmd-sources-check.c \
	src/client/cmd-store.c

certseal_LDADD = libcli.la libcertseal-core.la $(CS_LIBS)
# readiness report
certseal_SOURCES += src/client/cmd-report.c
# enrolled clients: the client's own key and request
certseal_SOURCES += src/client/cmd-enroll.c
certseal_SOURCES += src/client/help.c
