# Fuzzing (issue 6): libFuzzer targets, built when configured with
# `CC=clang --enable-fuzzing`; `make fuzz` runs each for FUZZ_SECONDS on
# its committed seed corpus (tests/fuzz/run-fuzzers.sh does the same in a
# build directory of its own).  `make memcheck` runs the CLI integration
# scripts under valgrind.
FUZZ_SECONDS = 30
EXTRA_DIST += tests/fuzz/fuzz-common.h tests/fuzz/run-fuzzers.sh \
	tests/fuzz/keys tests/fuzz/corpus docs/SECURITY.md

if ENABLE_FUZZING
FUZZ_TARGETS = fuzz-open fuzz-inspect fuzz-uri fuzz-p12 fuzz-profile \
	fuzz-report fuzz-cert-ident
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
	src/admin/profile-clients.c $(FUZZ_COMMON)
fuzz_profile_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_profile_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_profile_LDADD = $(FUZZ_LDADD)
fuzz_report_SOURCES = tests/fuzz/fuzz-report.c $(FUZZ_COMMON)
fuzz_report_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_report_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_report_LDADD = $(FUZZ_LDADD)

fuzz_cert_ident_SOURCES = tests/fuzz/fuzz-cert-ident.c $(FUZZ_COMMON)
fuzz_cert_ident_CPPFLAGS = $(FUZZ_CPPFLAGS)
fuzz_cert_ident_LDFLAGS = $(FUZZ_LINKFLAGS)
fuzz_cert_ident_LDADD = $(FUZZ_LDADD)

fuzz: $(FUZZ_TARGETS)
	$(SHELL) $(top_srcdir)/tests/fuzz/run-fuzzers.sh --no-build \
	    --builddir '$(abs_top_builddir)' --seconds '$(FUZZ_SECONDS)'
else
fuzz:
	@echo "make fuzz: configure with CC=clang --enable-fuzzing, or run" \
	    "tests/fuzz/run-fuzzers.sh" >&2; exit 1
endif
.PHONY: fuzz

# make memcheck: the CLI integration scripts with both tools under
# valgrind (tests/valgrind-wrap.sh).  The byte-by-byte mutation battery
# and the fault-injection script are left out: thousands of runs, or an
# LD_PRELOAD shim and SIGKILLs, which the fuzzers (ASan) and the normal
# suite cover.
MEMCHECK_TESTS = \
	tests/integration/test-open-file.sh \
	tests/integration/test-admin-workflow.sh \
	tests/integration/test-client.sh \
	tests/integration/test-rollout.sh \
	tests/integration/test-pkcs11-source.sh \
	tests/integration/test-hygiene.sh \
	tests/integration/test-enroll.sh
EXTRA_DIST += tests/valgrind-wrap.sh tests/valgrind.supp
memcheck: all $(check_PROGRAMS)
	@rm -rf memcheck-bin memcheck-logs
	@mkdir -p memcheck-bin memcheck-logs
	@ln -s '$(abs_top_srcdir)/tests/valgrind-wrap.sh' memcheck-bin/certseal
	@ln -s '$(abs_top_srcdir)/tests/valgrind-wrap.sh' \
	    memcheck-bin/certseal-admin
	@status=0; for t in $(MEMCHECK_TESTS); do \
	    n=`basename $$t .sh`; \
	    if top_srcdir='$(abs_top_srcdir)' \
	        top_builddir='$(abs_top_builddir)' \
	        SOFTHSM_MODULE='$(softhsm_module)' \
	        MEMCHECK_BUILDDIR='$(abs_top_builddir)' \
	        MEMCHECK_LOGDIR='$(abs_top_builddir)/memcheck-logs' \
	        CERTSEAL='$(abs_top_builddir)/memcheck-bin/certseal' \
	        CERTSEAL_ADMIN='$(abs_top_builddir)/memcheck-bin/certseal-admin' \
	        $(SHELL) '$(abs_top_srcdir)/'$$t >memcheck-logs/$$n.out 2>&1; \
	    then echo "PASS: $$n"; \
	    else echo "FAIL: $$n (memcheck-logs/$$n.out)"; status=1; fi; \
	done; \
	find memcheck-logs -name '*.log' -size +0 >memcheck-logs/dirty; \
	runs=`ls memcheck-logs/*.log 2>/dev/null | wc -l`; \
	dirty=`wc -l <memcheck-logs/dirty`; \
	echo "memcheck: $$runs processes under valgrind, $$dirty with errors or leaks"; \
	if [ "$$dirty" -gt 0 ]; then sed 's/^/  /' memcheck-logs/dirty | head; status=1; fi; \
	exit $$status
.PHONY: memcheck
