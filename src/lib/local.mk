# libcertseal: the core everything links.  libcertseal-core.la holds every
# object (the CLIs and unit tests use its cs_* internals); the installed
# libcertseal.la exports only certseal_* (libcertseal.sym).
noinst_LTLIBRARIES += libcertseal-core.la
libcertseal_core_la_SOURCES = \
	src/lib/internal.h \
	src/lib/source.h \
	src/lib/envelope.h \
	src/lib/keyfile.h \
	src/lib/errors.c \
	src/lib/context.c \
	src/lib/atomic-write.c \
	src/lib/key.c \
	src/lib/source-registry.c \
	src/lib/source-file.c \
	src/lib/source-store.c
libcertseal_core_la_LIBADD = $(CS_LIBS)

lib_LTLIBRARIES += libcertseal.la
libcertseal_la_SOURCES =
libcertseal_la_LIBADD = libcertseal-core.la $(CS_LIBS)
libcertseal_la_LDFLAGS = -version-info 0:0:0 \
	-Wl,--version-script=$(top_srcdir)/src/lib/libcertseal.sym
EXTRA_DIST += src/lib/libcertseal.sym src/lib/certseal.pc.in

certsealincludedir = $(includedir)/certseal
certsealinclude_HEADERS = src/include/certseal/certseal.h
pkgconfig_DATA += src/lib/certseal.pc
# crypto core: sealed-file envelope, key files, file: source
libcertseal_core_la_SOURCES += \
	src/lib/envelope-internal.h \
	src/lib/envelope-seal.c \
	src/lib/envelope-seal-check.c \
	src/lib/envelope-skeleton.c \
	src/lib/envelope-writer.c \
	src/lib/base64.h \
	src/lib/base64.c \
	src/lib/envelope-detect.c \
	src/lib/envelope-ber.c \
	src/lib/cert-ident.c \
	src/lib/envelope-recipients.c \
	src/lib/envelope-detach.c \
	src/lib/envelope-limits.c \
	src/lib/envelope-open.h \
	src/lib/envelope-open.c \
	src/lib/envelope-key.c \
	src/lib/envelope-decrypt.c \
	src/lib/envelope-signer.c \
	src/lib/envelope-policy.c \
	src/lib/envelope-inspect.c \
	src/lib/rollback.c \
	src/lib/config.c \
	src/lib/keyfile.c \
	src/lib/pkey-read.h \
	src/lib/pkey-read.c \
	src/lib/p12-cost.c
# rollout readiness: reports written by clients, counted by the admin
libcertseal_core_la_SOURCES += \
	src/lib/report.h \
	src/lib/report.c \
	src/lib/report-eval.c
# local certificate store: store: source, certseal store import|list|remove
libcertseal_core_la_SOURCES += \
	src/lib/store.h \
	src/lib/store-int.h \
	src/lib/store-path.c \
	src/lib/store.c \
	src/lib/store-admin.c
# certificates looked up by CMS identifier (issue 19)
libcertseal_core_la_SOURCES += src/lib/cert-index.c
# enrolled clients: key IDs and requests, the store's own client key
libcertseal_core_la_SOURCES += \
	src/lib/enroll.h \
	src/lib/enroll.c \
	src/lib/enroll-trust.c \
	src/lib/store-enroll.c \
	src/lib/succession.h \
	src/lib/succession.c
libcertseal_core_la_SOURCES += src/lib/p12-load.c
