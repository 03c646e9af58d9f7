# unit suites
if !HAVE_CUNIT
# configure warned; say it again where the missing suites would have run.
check-local:
	@echo "WARNING: CUnit was not found by configure: no unit suite ran" \
	    "(install libcunit1-dev and run configure again)" >&2
endif
if HAVE_CUNIT
UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(CUNIT_CFLAGS)
UNIT_LDADD = libcertseal-core.la $(CS_LIBS) $(CUNIT_LIBS)
EXTRA_DIST += tests/unit/cu-run.h

check_PROGRAMS += test-core
TESTS += test-core
test_core_SOURCES = tests/unit/test-core.c
test_core_CPPFLAGS = $(UNIT_CPPFLAGS)
test_core_LDADD = $(UNIT_LDADD)
endif

# crypto core: envelope, key files, file: source (testutil is shared)
if HAVE_CUNIT
EXTRA_DIST += tests/unit/testutil.h
check_PROGRAMS += test-envelope
TESTS += test-envelope
test_envelope_SOURCES = tests/unit/test-envelope.c tests/unit/testutil.c
test_envelope_CPPFLAGS = $(UNIT_CPPFLAGS)
test_envelope_LDADD = $(UNIT_LDADD)
check_PROGRAMS += test-seal-stream
TESTS += test-seal-stream
test_seal_stream_SOURCES = tests/unit/test-seal-stream.c tests/unit/testutil.c
test_seal_stream_CPPFLAGS = $(UNIT_CPPFLAGS)
test_seal_stream_LDADD = $(UNIT_LDADD)
endif

# pkcs11/ token layer and pkcs11: source, against real SoftHSM2 tokens
if HAVE_CUNIT
EXTRA_DIST += tests/unit/test-p11-common.h tests/softhsm-env.sh
check_PROGRAMS += test-p11-token
TESTS += test-p11-token
test_p11_token_SOURCES = tests/unit/test-p11-token.c
test_p11_token_CPPFLAGS = $(UNIT_CPPFLAGS)
test_p11_token_LDADD = $(UNIT_LDADD)
endif

if HAVE_CUNIT
check_PROGRAMS += test-store
TESTS += test-store
test_store_SOURCES = tests/unit/test-store.c
test_store_CPPFLAGS = $(UNIT_CPPFLAGS)
test_store_LDADD = $(UNIT_LDADD)
endif
if HAVE_CUNIT
check_PROGRAMS += test-p11-keys
TESTS += test-p11-keys
test_p11_keys_SOURCES = tests/unit/test-p11-keys.c tests/unit/testutil.c
test_p11_keys_CPPFLAGS = $(UNIT_CPPFLAGS)
test_p11_keys_LDADD = $(UNIT_LDADD)
endif

# rollout readiness: reports and their evaluation
if HAVE_CUNIT
check_PROGRAMS += test-report
TESTS += test-report
test_report_SOURCES = tests/unit/test-report.c
test_report_CPPFLAGS = $(UNIT_CPPFLAGS)
test_report_LDADD = $(UNIT_LDADD)
endif

# crypto core: key files and the file: source
if HAVE_CUNIT
check_PROGRAMS += test-keyfile test-source-file
TESTS += test-keyfile test-source-file
test_keyfile_SOURCES = tests/unit/test-keyfile.c tests/unit/testutil.c
test_keyfile_CPPFLAGS = $(UNIT_CPPFLAGS)
test_keyfile_LDADD = $(UNIT_LDADD)
test_source_file_SOURCES = tests/unit/test-source-file.c \
	tests/unit/testutil.c
test_source_file_CPPFLAGS = $(UNIT_CPPFLAGS)
test_source_file_LDADD = $(UNIT_LDADD)
endif

# A mock PKCS#11 module (tests/unit/mock-p11.c) for the answers real tokens
# give rarely: a locked PIN, the final try, PIN pads.  Loaded by path
# ($MOCK_P11_MODULE, tests/local.mk); -rpath makes libtool build the .so.
check_LTLIBRARIES += mock-p11.la
mock_p11_la_SOURCES = tests/unit/mock-p11.c
mock_p11_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere \
	-no-undefined
mock_p11_la_LIBADD =
if HAVE_CUNIT
check_PROGRAMS += test-p11-pin
TESTS += test-p11-pin
test_p11_pin_SOURCES = tests/unit/test-p11-pin.c
test_p11_pin_CPPFLAGS = $(UNIT_CPPFLAGS) \
	-DMOCK_P11_BUILT='"$(abs_top_builddir)/.libs/mock-p11.so"'
test_p11_pin_LDADD = $(UNIT_LDADD) -ldl
test_p11_pin_DEPENDENCIES = libcertseal-core.la mock-p11.la
endif

# the PEM body decoder, against OpenSSL's
if HAVE_CUNIT
check_PROGRAMS += test-base64
TESTS += test-base64
test_base64_SOURCES = tests/unit/test-base64.c
test_base64_CPPFLAGS = $(UNIT_CPPFLAGS)
test_base64_LDADD = $(UNIT_LDADD)
endif

# PKCS#12: the total key-derivation work of a bundle (issue 11, 19.7)
if HAVE_CUNIT
check_PROGRAMS += test-p12-cost
TESTS += test-p12-cost
test_p12_cost_SOURCES = tests/unit/test-p12-cost.c tests/unit/testutil.c
test_p12_cost_CPPFLAGS = $(UNIT_CPPFLAGS)
test_p12_cost_LDADD = $(UNIT_LDADD)
endif

# BER reader, count bounds, authAttrs recogniser, certificate index
if HAVE_CUNIT
check_PROGRAMS += test-cms-ber
TESTS += test-cms-ber
test_cms_ber_SOURCES = tests/unit/test-cms-ber.c tests/unit/testutil.c
test_cms_ber_CPPFLAGS = $(UNIT_CPPFLAGS)
test_cms_ber_LDADD = $(UNIT_LDADD)
endif

# enrolled clients (issue 14): key IDs, names, requests, report signatures
if HAVE_CUNIT
check_PROGRAMS += test-enroll
TESTS += test-enroll
test_enroll_SOURCES = tests/unit/test-enroll.c
test_enroll_CPPFLAGS = $(UNIT_CPPFLAGS)
test_enroll_LDADD = $(UNIT_LDADD)
endif
