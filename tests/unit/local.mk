# unit suites
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
