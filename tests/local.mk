# Tests: CUnit unit suites (tests/unit), then integration scripts
# (tests/integration) that create throw-away SoftHSM2 tokens of their own.
# Each area adds its suites in its own fragment.
#
# AM_TESTS_ENVIRONMENT, not TESTS_ENVIRONMENT: automake leaves the latter
# to the user (`make check TESTS_ENVIRONMENT=...`).  The SoftHSM2 module is
# the one configure was given (--with-softhsm-module); the mock module is
# built by tests/unit/local.mk.
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	SOFTHSM_MODULE='$(softhsm_module)'; \
	MOCK_P11_MODULE='$(abs_top_builddir)/.libs/mock-p11.so'; \
	LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0'; \
	export top_srcdir top_builddir SOFTHSM_MODULE MOCK_P11_MODULE \
	    LSAN_OPTIONS;
EXTRA_DIST += tests/lsan.supp
include tests/unit/local.mk
include tests/integration/local.mk
include tests/fuzz/local.mk
