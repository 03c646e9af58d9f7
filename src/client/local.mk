# certseal, the client tool (wired once the envelope lands).
noinst_LTLIBRARIES += libcli.la
libcli_la_SOURCES = src/common/cli.h src/common/cli.c
