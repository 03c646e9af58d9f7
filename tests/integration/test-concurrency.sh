#!/bin/sh
# Concurrency (issue 6): clients open the configuration in a loop while the
# admin saves new versions - every open returns the old or the new bytes,
# never an error; two admins write the same profile at once (saves, pair
# generate, pair activate/retire) - both changes survive or one is cleanly
# refused, and the profile stays valid.
#
# CONCURRENCY_SAVES (default 25) saves while 3 clients read.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=/dev/shm
	export TMPDIR
fi
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_softhsm

SAVES=${CONCURRENCY_SAVES:-25}
READERS=3
export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF

mkdir -p "$T/cfg"
printf 'version = 1\nlisten = 8443\n' >"$T/v1.conf"
# Different lengths, so that a mix of the two could not pass for either.
i=0
: >"$T/v2.conf"
while [ "$i" -lt 200 ]; do
	echo "line $i of the second version" >>"$T/v2.conf"
	i=$((i + 1))
done
admin_with_pair "$T/cfg/app.sealed" "$T/v1.conf"
# The readers open from the store: no PBKDF2 per open, so that they race
# the saves many times also under ASan (a file: bundle pays its
# iterations at every open; CI's ASan run once made exactly 25).
expect 0 "store import" -- "$CERTSEAL" store import "$T/p1.p12" \
	--password-file "$T/p12.pass"

sequence() {
	"$CERTSEAL" -s "$S1" inspect "$T/cfg/app.sealed" --json 2>/dev/null |
	    tr -d ' \n' | sed -n 's/.*"sequence":\([0-9]*\).*/\1/p'
}

# --- 1. readers while the admin saves ------------------------------------
# Each reader keeps its own anti-rollback state: readers racing one
# another on a shared state would be a different test.
reader() {
	n=0
	bad=0
	while [ ! -e "$T/stop" ]; do
		if CERTSEAL_STATE_DIR="$T/state-$1" "$CERTSEAL" -s store: open \
		    "$T/cfg/app.sealed" >"$T/r$1.out" 2>"$T/r$1.err"; then
			if ! cmp -s "$T/r$1.out" "$T/v1.conf" &&
			    ! cmp -s "$T/r$1.out" "$T/v2.conf"; then
				bad=$((bad + 1))
				echo "reader $1: other bytes" >>"$T/r$1.log"
			fi
		else
			bad=$((bad + 1))
			cat "$T/r$1.err" >>"$T/r$1.log"
		fi
		n=$((n + 1))
	done
	echo "$n $bad" >"$T/r$1.res"
}

seq0=$(sequence)
r=1
while [ "$r" -le "$READERS" ]; do
	reader "$r" &
	r=$((r + 1))
done
i=0
save_fail=0
while [ "$i" -lt "$SAVES" ]; do
	v=v1
	[ $((i % 2)) -eq 0 ] && v=v2
	"$CERTSEAL_ADMIN" save "$T/$v.conf" >/dev/null 2>"$T/save.err" ||
		save_fail=$((save_fail + 1))
	i=$((i + 1))
done
touch "$T/stop"
wait
opens=0
bad=0
r=1
while [ "$r" -le "$READERS" ]; do
	set -- $(cat "$T/r$r.res" 2>/dev/null || echo "0 1")
	opens=$((opens + $1))
	bad=$((bad + $2))
	r=$((r + 1))
done
[ "$save_fail" -eq 0 ] && ok || fail "$save_fail saves failed: $(cat "$T/save.err")"
[ "$opens" -gt "$SAVES" ] && ok || fail "only $opens opens during the saves"
[ "$bad" -eq 0 ] && ok ||
	fail "$bad of $opens opens failed: $(cat "$T"/r*.log | sort | uniq -c | head -5)"
echo "readers: $opens opens during $SAVES saves, $bad failed"

# --- 2. two admins saving at once: both saves land -------------------------
seq1=$(sequence)
[ "$seq1" = $((seq0 + SAVES)) ] && ok || fail "sequence $seq0 -> $seq1 after $SAVES saves"
ROUNDS=10
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	"$CERTSEAL_ADMIN" save "$T/v1.conf" >/dev/null 2>>"$T/two.err" &
	a=$!
	"$CERTSEAL_ADMIN" save "$T/v2.conf" >/dev/null 2>>"$T/two.err" &
	b=$!
	wait "$a" || fail "concurrent save A: $(tail -1 "$T/two.err")"
	wait "$b" || fail "concurrent save B: $(tail -1 "$T/two.err")"
	i=$((i + 1))
done
seq2=$(sequence)
# Each save takes the next sequence under the profile lock.
[ "$seq2" = $((seq1 + 2 * ROUNDS)) ] && ok ||
	fail "two admins: sequence $seq1 -> $seq2 after $((2 * ROUNDS)) saves"
expect 0 "open after concurrent saves" -- "$CERTSEAL" -s "$S1" open \
	"$T/cfg/app.sealed"

# --- 3. two admins generating pairs at once: both pairs are kept -----------
i=0
while [ "$i" -lt 4 ]; do
	"$CERTSEAL_ADMIN" pair generate --algorithm ec-p256 >"$T/ga" \
	    2>>"$T/gen.err" &
	a=$!
	"$CERTSEAL_ADMIN" pair generate --algorithm ec-p256 >"$T/gb" \
	    2>>"$T/gen.err" &
	b=$!
	wait "$a"; ra=$?
	wait "$b"; rb=$?
	expect 0 "pair list" -- "$CERTSEAL_ADMIN" pair list --json
	for x in a b; do
		eval "rc=\$r$x"
		id=$(cat "$T/g$x")
		if [ "$rc" -eq 0 ]; then
			grep -q "\"$id\"" "$T/out" && ok ||
				fail "concurrent generate: pair $id lost"
		elif [ -s "$T/g$x" ]; then
			fail "concurrent generate failed but printed '$id'"
		else
			ok	# refused cleanly
		fi
	done
	i=$((i + 1))
done
echo "generate races: $(grep -c '"id"' "$T/out") pairs in the profile"

# --- 4. activate / retire races ----------------------------------------------
active_count() {
	"$CERTSEAL_ADMIN" pair list --json 2>/dev/null | tr -d ' \n' |
	    grep -o '"state":"active"' | wc -l
}
i=0
while [ "$i" -lt 4 ]; do
	expect 0 "generate A" -- "$CERTSEAL_ADMIN" pair generate \
		--algorithm ec-p256
	PA=$(cat "$T/out")
	expect 0 "generate B" -- "$CERTSEAL_ADMIN" pair generate \
		--algorithm ec-p256
	PB=$(cat "$T/out")
	"$CERTSEAL_ADMIN" pair activate "$PA" --force >/dev/null 2>"$T/aa" &
	a=$!
	"$CERTSEAL_ADMIN" pair activate "$PB" --force >/dev/null 2>"$T/ab" &
	b=$!
	wait "$a"; ra=$?
	wait "$b"; rb=$?
	[ "$ra" -eq 0 ] || [ "$rb" -eq 0 ] && ok ||
		fail "activate race: both failed: $(cat "$T/aa" "$T/ab")"
	[ "$(active_count)" -eq 1 ] && ok ||
		fail "activate race: $(active_count) active pairs"
	# retire the active one while activating the other
	"$CERTSEAL_ADMIN" pair retire "$PB" >/dev/null 2>"$T/aa" &
	a=$!
	"$CERTSEAL_ADMIN" pair activate "$PA" --force >/dev/null 2>"$T/ab" &
	b=$!
	wait "$a"; ra=$?
	wait "$b"; rb=$?
	n=$(active_count)
	[ "$n" -le 1 ] && ok || fail "retire/activate race: $n active pairs"
	# The profile lock's "in use by pid ...; waiting" notice is not
	# the outcome: one line of outcome at most besides it.
	for f in "$T/aa" "$T/ab"; do
		[ "$(grep -cv ' is in use by pid .*; waiting' "$f")" -le 1 ] &&
			ok || fail "race: more than one line: $(cat "$f")"
	done
	expect 0 "profile valid after the race" -- "$CERTSEAL_ADMIN" pair list \
		--json
	i=$((i + 1))
done
[ -z "$(find "$T" -name '*.tmp' -not -path "$T/admin/token/*")" ] && ok ||
	fail "temp files left: $(find "$T" -name '*.tmp')"

finish
