# Benchmarks (issue 7): `make bench` runs bench/run.sh against this build.
# The helpers are built with everything else so that they never rot.
noinst_PROGRAMS += bench-mkstore bench-reopen bench-floor bench-swfloor \
    bench-vfloor
bench_mkstore_SOURCES = bench/mkstore.c
bench_mkstore_LDADD = $(LIBCRYPTO_LIBS)
bench_reopen_SOURCES = bench/reopen.c bench/p11bench.c bench/p11bench.h
bench_reopen_LDADD = libcertseal.la $(LIBCRYPTO_LIBS) -ldl
bench_floor_SOURCES = bench/floor.c bench/p11bench.c bench/p11bench.h
bench_floor_LDADD = $(LIBCRYPTO_LIBS) -ldl
bench_swfloor_SOURCES = bench/swfloor.c
bench_swfloor_LDADD = $(LIBCRYPTO_LIBS)
bench_vfloor_SOURCES = bench/vfloor.c
bench_vfloor_LDADD = $(LIBCRYPTO_LIBS)
EXTRA_DIST += bench/run.sh bench/RESULTS.md bench/ANALYSIS.md

bench: certseal$(EXEEXT) certseal-admin$(EXEEXT) bench-mkstore$(EXEEXT) \
    bench-reopen$(EXEEXT) bench-floor$(EXEEXT) bench-swfloor$(EXEEXT) \
    bench-vfloor$(EXEEXT)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/bench/run.sh
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/bench/enroll.sh
.PHONY: bench

# Enrolled clients at scale (issue 14): `make bench-enroll`, under a minute.
EXTRA_DIST += bench/enroll.sh bench/enroll-fake.py bench/ENROLL-RESULTS.md
bench-enroll: certseal$(EXEEXT) certseal-admin$(EXEEXT)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/bench/enroll.sh
.PHONY: bench-enroll
