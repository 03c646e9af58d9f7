#!/bin/sh
# run-fuzzers.sh - builds the libFuzzer targets with clang in a build
# directory of their own and runs each for a bounded time on a copy of its
# committed seed corpus (tests/fuzz/corpus/<target>, without the "fuzz-"
# prefix).  Exits non-zero when a target crashes, leaks, times out or
# fails to build; the failing input is kept as
# BUILDDIR/fuzz-artifacts/<target>-crash-*, ready to be added to the
# corpus as a regression once fixed.
#
#   tests/fuzz/run-fuzzers.sh [--seconds N] [--builddir DIR] [--no-build]
#                             [--jobs N] [TARGET...]
#
# Defaults: 30 s per target (FUZZ_SECONDS), build dir ./build-fuzz at the
# top of the source tree, every target.  Prints one line per target with
# its executions and a closing total.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-30}
builddir="$top/build-fuzz"
build=yes
targets=""
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) seconds=$2; shift 2 ;;
	--builddir) builddir=$2; shift 2 ;;
	--no-build) build=no; shift ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	-*) echo "run-fuzzers.sh: unknown option $1" >&2; exit 2 ;;
	*) targets="$targets $1"; shift ;;
	esac
done
[ -n "$targets" ] ||
	targets="fuzz-open fuzz-inspect fuzz-uri fuzz-p12 fuzz-profile fuzz-report
	    fuzz-cert-ident"

if [ "$build" = yes ]; then
	if ! command -v clang >/dev/null 2>&1; then
		echo "run-fuzzers.sh: clang is needed (apt-get install clang)" >&2
		exit 1
	fi
	if [ ! -x "$top/configure" ] ||
	    [ "$top/configure.ac" -nt "$top/configure" ]; then
		(cd "$top" && autoreconf -fi)
	fi
	mkdir -p "$builddir"
	(
		cd "$builddir"
		[ -f Makefile ] ||
			"$top/configure" -q CC=clang --enable-fuzzing
		# shellcheck disable=SC2086
		make -j"$(nproc)" $targets >/dev/null
	)
fi

art="$builddir/fuzz-artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/cs-fuzz-run-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$art"
status=0
total=0
for t in $targets; do
	seeds="$top/tests/fuzz/corpus/${t#fuzz-}"
	mkdir -p "$work/$t"
	# A copy, so that what the fuzzer finds does not land in the tree.
	[ -d "$seeds" ] && cp "$seeds"/* "$work/$t/" 2>/dev/null || true
	log="$art/$t.log"
	rc=0
	"$builddir/$t" -max_total_time="$seconds" -timeout=25 \
	    -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$art/$t-" "$work/$t" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	execs=${execs:-0}
	total=$((total + execs))
	if [ "$rc" -eq 0 ]; then
		echo "$t: ok, $execs executions in ${seconds}s"
	else
		status=1
		echo "$t: FAILED (exit $rc) after $execs executions; see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' \
		    "$log" | head -n 5
	fi
done
echo "fuzz: $total executions, $( [ "$status" -eq 0 ] && echo "no failures" || echo "FAILURES")"
exit "$status"
