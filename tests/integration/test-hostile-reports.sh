#!/bin/sh
# Hostile readiness reports (issue 19.2, issue 11): any client can write
# the reports directory.  One 928 KiB report with 10 000 keys hard-linked
# 2 000 times took 70 s and 3 GB; each (device, inode) is now parsed once,
# a report speaks only for the host its file name names, only a verdict
# per file is kept, and the total size is checked before anything is
# parsed.  Time and memory are measured with /usr/bin/time -v, through
# the library (rollout-eval) and through `certseal-admin rollout status`
# and `pair activate` on a real profile and SoftHSM2 token.
. "${top_srcdir:-.}/tests/integration/lib.sh"
EVAL="$top_builddir/rollout-eval"
TIMEV=/usr/bin/time
if [ ! -x "$TIMEV" ]; then
	echo "$(basename "$0"): SKIP: $TIMEV (Debian package 'time') is" \
		"missing; see contrib/install-deps" >&2
	exit 77
fi
# Bounds: generous for a loaded 2-core machine; the old code needed 70 s
# and 3 GB for the hard links.
MAX_SECONDS=5
MAX_KB=200000
# A sanitizer build is several times slower and keeps freed memory in
# quarantine: the bounds still tell a bounded run from the old one.
if ldd "$EVAL" 2>/dev/null | grep -q libasan; then
	MAX_SECONDS=30
	MAX_KB=1000000
fi

# measured WHAT CODE -- COMMAND...: runs COMMAND under time -v (and a
# timeout far above the bound), checks the exit code, the wall time and
# the peak memory, and prints them.
measured() {
	what=$1
	want=$2
	shift 3
	"$TIMEV" -v -o "$T/time" timeout 120 "$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	[ "$got" -eq "$want" ] && ok ||
		fail "$what: exit $got, expected $want: $(head -c 300 "$T/err")"
	secs=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$T/time" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time")
	echo "$(basename "$0"): $what: ${secs:-?} s, ${kb:-?} KiB peak RSS"
	awk -v s="${secs:-999}" -v m="$MAX_SECONDS" 'BEGIN { exit !(s <= m) }' &&
		ok || fail "$what: ${secs:-?} s, more than $MAX_SECONDS s"
	[ "${kb:-999999999}" -le "$MAX_KB" ] && ok ||
		fail "$what: ${kb:-?} KiB peak, more than $MAX_KB KiB"
}

KEY=00112233445566778899aabbccddeeff00112233
SIGN=$(printf '%064d' 0 | tr 0 a)
# big_report HOST FILE: 10 000 keys (one of them KEY), as a client could
# write by hand: 928 KiB, under every per-report limit.
big_report() {
	awk -v host="$1" -v key="$KEY" -v sign="$SIGN" 'BEGIN {
		printf "{\"format\": 1, \"host\": \"%s\", ", host
		printf "\"time\": \"2026-11-26T15:19:21Z\", \"sources\": " \
		    "[\"file:/x\"], \"flags\": {}, \"errors\": [], "
		printf "\"signers\": [{\"fingerprint\": \"%s\"}], \"keys\": [", sign
		for (i = 0; i < 10000; i++) {
			id = (i == 9999) ? key : ""
			printf "%s{\"key_id\":\"%s\",\"fingerprint\":" \
			    "\"%064x\"}", (i ? "," : ""), id, i
		}
		printf "]}\n"
	}' >"$2"
}

# --- one report, 2 000 more names ----------------------------------------
L="$T/links"
mkdir "$L"
big_report big "$L/big.json"
size=$(stat -c %s "$L/big.json")
[ "$size" -gt 900000 ] && [ "$size" -le 1048576 ] && ok ||
	fail "the big report is $size bytes, not about 928 KiB"
i=0
while [ $i -lt 2000 ]; do
	ln "$L/big.json" "$L/h$i.json" || break
	i=$((i + 1))
done
[ "$(ls "$L" | wc -l)" -eq 2001 ] && ok || fail "hard links not made"
[ "$(stat -c %h "$L/big.json")" -eq 2001 ] && ok || fail "link count"
measured "2001 names of one 928 KiB report (rollout-eval)" 1 -- \
	"$EVAL" "$L" "$KEY" "$SIGN"
# big.json speaks for big; every other name is refused, naming big.
grep -qx 'hosts 2001 ready 1 not_ready 2000' "$T/out" && ok ||
	fail "hard links: $(head -n 1 "$T/out")"
grep -qx 'ready big' "$T/out" && ok || fail "hard links: big not ready"
grep -q "^not-ready h1999 h1999.json refused: .*claims to be host 'big'" \
	"$T/out" && ok || fail "hard links: h1999 not refused as a claim on big"

# --- the total: sparse 1 MiB files cost nothing on disk -------------------
S="$T/sparse"
mkdir "$S"
i=0
while [ $i -lt 65 ]; do
	truncate -s 1048576 "$S/s$i.json"
	i=$((i + 1))
done
measured "65 MiB of reports (refused before parsing)" 2 -- \
	"$EVAL" "$S" "$KEY"
grep -q "more than the 64 MiB one count reads" "$T/err" && ok ||
	fail "total: $(cat "$T/err")"
# Just under the total: read and each judged damaged, still bounded.
rm -f "$S/s64.json" "$S/s63.json"
measured "63 sparse 1 MiB reports (all damaged)" 1 -- "$EVAL" "$S" "$KEY"
grep -qx 'hosts 63 ready 0 not_ready 63' "$T/out" && ok ||
	fail "sparse: $(head -n 1 "$T/out")"

# --- distinct copies: each parsed, each refused -------------------------
C="$T/copies"
mkdir "$C"
cp "$L/big.json" "$C/big.json"
i=0
while [ $i -lt 10 ]; do
	cp "$L/big.json" "$C/c$i.json"
	i=$((i + 1))
done
measured "11 distinct copies of the 928 KiB report" 1 -- \
	"$EVAL" "$C" "$KEY" "$SIGN"
grep -qx 'hosts 11 ready 1 not_ready 10' "$T/out" && ok ||
	fail "copies: $(head -n 1 "$T/out")"

# --- escaped host names speak for their host -----------------------------
E="$T/escaped"
expect 0 "report --host 'web 1'" -- "$CERTSEAL" report --out "$E" --host "web 1"
[ -f "$E/web_201.json" ] && ok || fail "escaped name: $(ls "$E")"
cp "$E/web_201.json" "$E/web_202.json"
expect 1 "evaluate escaped names" -- "$EVAL" "$E" "$KEY"
grep -qx 'not-ready web 1 web_201.json key' "$T/out" && ok ||
	fail "escaped: web 1 not judged on its own report: $(cat "$T/out")"
grep -q "^not-ready web 2 web_202.json refused: .*claims to be host 'web 1'" \
	"$T/out" && ok || fail "escaped: web_202.json not refused: $(cat "$T/out")"

# --- the admin: rollout status and pair activate on the hard links -------
unset SOFTHSM2_CONF
export CERTSEAL_PROFILE="$T/admin/profile.json"
mkdir -p "$T/admin"
expect 0 "init" -- "$CERTSEAL_ADMIN" init --reports "$L" --config "$T/app.conf"
expect 0 "pair generate" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
PAIR=$(cat "$T/out")
measured "rollout status on the hard links" 5 -- \
	"$CERTSEAL_ADMIN" rollout status --pair "$PAIR"
grep -q "^0 of 2001 hosts ready for pair $PAIR; not ready: big (missing key and missing signer), h0 (report refused: it claims to be big)" \
	"$T/out" && ok || fail "status: $(head -c 300 "$T/out")"
measured "pair activate on the hard links" 5 -- \
	"$CERTSEAL_ADMIN" pair activate "$PAIR"
grep -q "h0 (report refused: it claims to be big)" "$T/err" && ok ||
	fail "activate: $(cat "$T/err")"
# Over the total: status fails with the reason; activate is refused, and
# --force still can (a client filling the directory cannot block it).
truncate -s 1048576 "$S/s63.json" "$S/s64.json"
expect 5 "status over the total" -- "$CERTSEAL_ADMIN" rollout status \
	--reports "$S" --pair "$PAIR"
expect_clean_failure "status over the total"
grep -q "more than the 64 MiB" "$T/err" && ok || fail "status: $(cat "$T/err")"
export CERTSEAL_PROFILE="$T/admin2/profile.json"
mkdir -p "$T/admin2"
expect 0 "init 2" -- "$CERTSEAL_ADMIN" init --reports "$S" --config "$T/app2.conf"
expect 0 "pair generate 2" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
PAIR2=$(cat "$T/out")
expect 5 "activate over the total" -- "$CERTSEAL_ADMIN" pair activate "$PAIR2"
grep -q "more than the 64 MiB" "$T/err" && ok || fail "activate: $(cat "$T/err")"
expect 0 "activate over the total, --force" -- "$CERTSEAL_ADMIN" pair activate \
	"$PAIR2" --force
finish
