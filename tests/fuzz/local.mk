# Fuzzing (issue 6): libFuzzer targets, built when configured with
# `CC=clang --enable-fuzzing`; `make fuzz` runs each for FUZZ_SECONDS on
# its committed seed corpus (tests/fuzz/run-fuzzers.sh does the same in a
# build directory of its own).  `make memcheck` runs the CLI integration
# scripts under valgrind.
FUZZ_SECONDS = 30
EXTRA_DIST += tests/fuzz/fuzz-common.h tests/fuzz/run-fuzzers.sh \
	tests/fuzz/keys tests/fuzz/corpus

if ENABLE_FUZZING
FUZZ_TARGETS = fuzz-open fuzz-inspect fuzz-uri fuzz-p12 fuzz-profile \
	fuzz-report
noinst_PROGRAMS += $(FUZZ_TARGETS)
FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/fuzz \
	-I$(top_srcdir)/src/admin \
	-DFUZZ_KEYDIR='"$(abs_top_srcdir)/tests/fuzz/keys"'
FUZZ_LINKFLAGS = -fsanitize=fuzzer
FUZZ_LDADD = libcertseal-core.la $(CS_LIBS)
FUZZ_COMMON = tests/fuzz/fuzz-common.c tests/fuzz/fuzz-common.h

fuzz_open_SOURCES = tests/fuzz/fuzz-open.c $(FUZZ_COMMON)
fuzz_open_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_open_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_open_LDADD = $(FUZZ_LDADD)
fuzz_inspect_SOURCES = tests/fuzz/fuzz-inspect.c $(FUZZ_COMMON)
fuzz_inspect_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_inspect_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_inspect_LDADD = $(FUZZ_LDADD)
fuzz_uri_SOURCES = tests/fuzz/fuzz-uri.c $(FUZZ_COMMON)
fuzz_uri_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_uri_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_uri_LDADD = $(FUZZ_LDADD)
fuzz_p12_SOURCES = tests/fuzz/fuzz-p12.c $(FUZZ_COMMON)
fuzz_p12_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_p12_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_p12_LDADD = $(FUZZ_LDADD)
fuzz_profile_SOURCES = tests/fuzz/fuzz-profile.c src/admin/profile.c \
	$(FUZZ_COMMON)
fuzz_profile_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_profile_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_profile_LDADD = $(FUZZ_LDADD)
fuzz_report_SOURCES = tests/fuzz/fuzz-report.c $(FUZZ_COMMON)
fuzz_report_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_report_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_report_LDADD = $(FUZZ_LDADD)

fuzz: $(FUZZ_TARGETS)
	$(SHELL) $(top_srcdir)/tests/fuzz/run-fuzzers.sh --no-build \
	    --builddir '$(abs_top_builddir)' --seconds '$(FUZZ_SECONDS)'
else
fuzz:
	@echo "make fuzz: configure with CC=clang --enable-fuzzing, or run" \
	    "tests/fuzz/run-fuzzers.sh" >&2; exit 1
endif
.PHONY: fuzz
