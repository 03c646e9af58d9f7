# Tests: CUnit unit suites (tests/unit), then integration scripts
# (tests/integration) that create throw-away SoftHSM2 tokens of their own.
# Each area adds its suites in its own fragment.
TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	SOFTHSM_MODULE='/usr/lib/softhsm/libsofthsm2.so' \
	LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0'
EXTRA_DIST += tests/lsan.supp
include tests/unit/local.mk
include tests/integration/local.mk
include tests/fuzz/local.mk
