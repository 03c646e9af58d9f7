#!/bin/sh
# Issue 11 + 19.6: the anti-rollback state is only ever raised, also by
# concurrent opens of files with different sequences; `check` and
# `inspect` never write it; a state directory or file that someone else
# could write is refused (as OpenSSH's StrictModes).
. "${top_srcdir:-.}/tests/integration/lib.sh"

printf 'listen = 8443\n' >"$T/config"
file_pair
SRC="file:$T/client.pem"
N=12
i=1
while [ $i -le $N ]; do
	"$CERTSEAL_ADMIN" seal --recipient "$T/client.crt" \
		--signer "file:$T/admin.pem" --name app --sequence $i \
		-o "$T/seq$i" "$T/config" 2>"$T/err" || fail "seal $i: $(cat "$T/err")"
	i=$((i + 1))
done
STATE="$CERTSEAL_STATE_DIR"
seq_of() { cat "$STATE/app.seq" 2>/dev/null || echo none; }

# check and inspect look, never record.
expect 0 "check seq 5, no state yet" -- "$CERTSEAL" -s "$SRC" check "$T/seq5"
[ "$(seq_of)" = none ] && ok || fail "check wrote state: $(seq_of)"
expect 0 "open seq 3" -- "$CERTSEAL" -s "$SRC" open "$T/seq3"
[ "$(seq_of)" = 3 ] && ok || fail "open seq 3 recorded $(seq_of)"
expect 0 "check seq 5" -- "$CERTSEAL" -s "$SRC" check "$T/seq5"
[ "$(seq_of)" = 3 ] && ok || fail "check raised the state to $(seq_of)"
expect 5 "check seq 2 sees the rollback" -- "$CERTSEAL" -s "$SRC" \
	check "$T/seq2"
expect 0 "inspect seq 9" -- "$CERTSEAL" -s "$SRC" inspect "$T/seq9"
[ "$(seq_of)" = 3 ] && ok || fail "inspect changed the state: $(seq_of)"
# --allow-rollback opens an old file without lowering the state.
expect 0 "open seq 1 --allow-rollback" -- "$CERTSEAL" -s "$SRC" \
	--allow-rollback open "$T/seq1"
[ "$(seq_of)" = 3 ] && ok || fail "allow-rollback lowered it: $(seq_of)"

# Concurrent opens of every sequence at once, in rounds: the state ends
# at the highest, whatever the order the processes finish in.
round=1
while [ $round -le 6 ]; do
	rm -rf "$STATE"
	i=1
	while [ $i -le $N ]; do
		"$CERTSEAL" -s "$SRC" --allow-rollback open "$T/seq$i" \
			>/dev/null 2>>"$T/par-err" &
		i=$((i + 1))
	done
	wait
	[ "$(seq_of)" = $N ] && ok ||
		fail "round $round: parallel opens left sequence $(seq_of), not $N"
	round=$((round + 1))
done
[ -s "$T/par-err" ] && fail "parallel opens failed: $(head -3 "$T/par-err")"
ls -A "$STATE" | grep -v '^app.seq$' | grep -q . &&
	fail "temp files left in the state: $(ls -A "$STATE")"

# StrictModes: the directory and the file.
expect 0 "open seq 12" -- "$CERTSEAL" -s "$SRC" open "$T/seq12"
chmod 770 "$STATE"
expect 1 "group-writable state directory" -- "$CERTSEAL" -s "$SRC" \
	open "$T/seq12"
expect_clean_failure "group-writable state directory"
grep -q "writable by its group" "$T/err" && ok || fail "reason: $(cat "$T/err")"
expect 1 "check refuses it too" -- "$CERTSEAL" -s "$SRC" check "$T/seq12"
chmod 700 "$STATE"
chmod 606 "$STATE/app.seq"
expect 1 "state file writable by others" -- "$CERTSEAL" -s "$SRC" \
	open "$T/seq12"
grep -q "writable by others" "$T/err" && ok || fail "reason: $(cat "$T/err")"
chmod 600 "$STATE/app.seq"
mkdir -m 777 "$T/shared"
expect 1 "state below a world-writable directory" -- env \
	CERTSEAL_STATE_DIR="$T/shared/state" "$CERTSEAL" -s "$SRC" \
	open "$T/seq12"
grep -q "$T/shared" "$T/err" && ok || fail "reason: $(cat "$T/err")"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$STATE"
	expect 1 "state directory of another user" -- "$CERTSEAL" \
		-s "$SRC" open "$T/seq12"
	grep -q "belongs to uid" "$T/err" && ok || fail "reason: $(cat "$T/err")"
	chown 0 "$STATE"
	chown nobody "$STATE/app.seq"
	expect 1 "state file of another user" -- "$CERTSEAL" -s "$SRC" \
		open "$T/seq12"
	chown 0 "$STATE/app.seq"
	# The unit's pattern: a state directory the service user owns.
	mkdir -p "$T/svc/lib"
	chown nobody "$T/svc/lib"
	expect 1 "state below a directory of another user" -- env \
		CERTSEAL_STATE_DIR="$T/svc/lib/certseal" "$CERTSEAL" \
		-s "$SRC" open "$T/seq12"
else
	echo "test-client-state: not root: ownership cases skipped" >&2
fi
expect 0 "sound state opens again" -- "$CERTSEAL" -s "$SRC" open "$T/seq12"
finish
