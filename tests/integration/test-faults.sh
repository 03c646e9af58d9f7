#!/bin/sh
# Fault injection (issue 6): every write-side command - save, edit, store
# import, report, and the profile writes of pair generate / pair activate -
# is run with an LD_PRELOAD shim (tests/fault/failwrite.c) that fails its
# Nth write/fsync/rename/link/O_TMPFILE open with ENOSPC or EIO, for every
# N up to the number of such calls the command makes; then with the shim
# killing it (SIGKILL) at each of those calls; then killed at random
# moments; and finally against a full tmpfs when mounting is allowed.
# After each run: the previous file is intact and opens (or the new one is
# complete), the profile and store are valid, and no temp or plaintext
# file is left behind.
#
# SoftHSM2's file back end rewrites token.object in place when a user logs
# in, so a SIGKILL at a random moment of save or edit can empty it and
# lose the token: that is SoftHSM2's hazard, not certseal's (see
# docs/SECURITY.md).  This script counts such events, restores the token
# from a copy and goes on.
#
# FAULT_RANDOM_KILLS (default 10) sets the random kills per command.
# Many fsyncs: on memory when there is some, so CI time goes to the tests.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=/dev/shm
	export TMPDIR
fi
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_softhsm

RANDOM_KILLS=${FAULT_RANDOM_KILLS:-10}
KILL_STEP=1
# A sanitizer build starts each process several times slower: kill at
# every second call and half as often at random, to stay near a minute
# (the plain build covers every call).
if ldd "${CERTSEAL:-$top_builddir/certseal}" 2>/dev/null | grep -q libasan; then
	KILL_STEP=2
	RANDOM_KILLS=$(( (RANDOM_KILLS + 1) / 2 ))
fi
export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF XDG_RUNTIME_DIR VISUAL
# An ASan build links its runtime first; the shim is preloaded before it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

FW="$T/failwrite.so"
if ! ${FAULT_CC:-cc} -shared -fPIC -O1 -o "$FW" \
    "$top_srcdir/tests/fault/failwrite.c" -ldl 2>"$T/cc.err"; then
	echo "SKIP: cannot build the shim: $(head -c 300 "$T/cc.err")"
	exit 77
fi

faults=0	# runs with an injected failure
kills=0		# runs ended by SIGKILL
runs_ok=0	# runs that exited 0 although a fault was armed
sweeps=0	# kills that left a temp name or edit directory behind

mkdir -p "$T/cfg" "$T/tmp" "$T/reports"
export TMPDIR="$T/tmp"
printf 'version = 1\nlisten = 8443\n' >"$T/v1.conf"
printf 'version = 2\nlisten = 9443\nworkers = 4\n' >"$T/v2.conf"
# v2 is large enough to be written in several pieces (a sealing is
# written as it is encrypted, 256 KiB at a time): a failure or a kill
# between two of them must leave the old file as well.
awk 'BEGIN { for (i = 0; i < 9000; i++)
	printf "# padding line %06d, to make the file span writes\n", i }' \
    >>"$T/v2.conf"
admin_with_pair "$T/cfg/app.sealed" "$T/v1.conf"
expect 0 "generate P2" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
P2=$(cat "$T/out")
expect 0 "export P2" -- "$CERTSEAL_ADMIN" pair export "$P2" -o "$T/p2.p12" \
	--password-file "$T/p12.pass"
"$CERTSEAL_ADMIN" pair list --json >"$T/pairs.json"
# The store entries of P1 and P2 (to undo each import of P2).
pair_field() {
	tr -d ' \n' <"$T/pairs.json" | tr '}' '\n' | grep "\"id\":\"$1\"" |
	    sed "s/.*\"$2\":\"\([0-9a-f]*\)\".*/\1/"
}
P1_KEY=$(pair_field "$P1" encryption_key_id)
P2_KEY=$(pair_field "$P2" encryption_key_id)
P2_SIGN=$(pair_field "$P2" signing_fingerprint)
[ -n "$P1_KEY" ] && [ -n "$P2_KEY" ] && [ -n "$P2_SIGN" ] && ok ||
	fail "pair list: no key ids in $(cat "$T/pairs.json")"
expect 0 "store import P1" -- "$CERTSEAL" store import "$T/p1.p12" \
	--password-file "$T/p12.pass"

# The token's own files are SoftHSM2's business, not what is tested.
SKIP="$T/admin/token"

# run_shim N MODE CMD...: MODE fail|eio|kill; the count goes to $T/fw.count
run_shim() {
	n=$1
	mode=$2
	shift 2
	rm -f "$T/fw.count"
	case "$mode" in
	kill) extra="FAILWRITE_KILL=1" ;;
	eio) extra="FAILWRITE_ERRNO=EIO" ;;
	*) extra="FAILWRITE_ERRNO=ENOSPC" ;;
	esac
	env LD_PRELOAD="$FW" FAILWRITE_AFTER="$n" FAILWRITE_SKIP="$SKIP" \
	    FAILWRITE_LOG="$T/fw.count" $extra "$@" >"$T/out" 2>"$T/err" \
	    </dev/null
}

# count_calls CMD...: the counted calls CMD makes when nothing fails.
count_calls() {
	run_shim 0 fail "$@"
	cat "$T/fw.count" 2>/dev/null || echo 0
}

# Nothing half-written or plaintext anywhere we write.
check_clean() {
	left=$(find "$T/cfg" "$T/admin" "$T/stores" "$T/reports" "$T/tmp" \
	    \( -name '.*.tmp' -o -name '*.tmp' -o -name 'certseal-edit-*' \) \
	    -not -path "$SKIP/*" 2>/dev/null | head -n 3)
	if [ -n "$left" ]; then
		fail "$1: left behind: $left"
		find "$T/cfg" "$T/admin" "$T/stores" "$T/reports" "$T/tmp" \
		    \( -name '.*.tmp' -o -name '*.tmp' \
		    -o -name 'certseal-edit-*' \) -not -path "$SKIP/*" \
		    -exec rm -rf {} + 2>/dev/null
	else
		ok
	fi
}

# The sealed file opens and holds v1 or v2; sets $current.
check_sealed() {
	if "$CERTSEAL" -s "$S1" open "$T/cfg/app.sealed" >"$T/opened" \
	    2>"$T/open.err"; then
		if cmp -s "$T/opened" "$T/v1.conf"; then
			current=v1; ok
		elif cmp -s "$T/opened" "$T/v2.conf"; then
			current=v2; ok
		else
			fail "$1: the sealed file holds something else"
		fi
	else
		fail "$1: the sealed file does not open: $(cat "$T/open.err")"
	fi
}

check_profile() {
	if "$CERTSEAL_ADMIN" pair list --json >"$T/plist" 2>"$T/perr" &&
	    grep -q "\"$P1\"" "$T/plist"; then
		ok
	else
		fail "$1: profile damaged: $(head -c 300 "$T/perr")"
	fi
}

check_store() {
	if "$CERTSEAL" store list --json >/dev/null 2>"$T/serr" &&
	    "$CERTSEAL" -s store: open "$T/cfg/app.sealed" >/dev/null \
	    2>>"$T/serr"; then
		ok
	else
		fail "$1: store damaged: $(head -c 300 "$T/serr")"
	fi
	# P2's key is written last: never there without its signer (an
	# import killed in between would leave a key whose files fail).
	if [ -n "$(find "$T/stores" -path "*/keys/$P2_KEY.pem")" ] &&
	    [ -z "$(find "$T/stores" -path "*/signers/$P2_SIGN.pem")" ]; then
		fail "$1: P2's key imported without its signer"
	else
		ok
	fi
}

check_report() {
	if "$top_builddir/rollout-eval" "$T/reports" "$P1_KEY" \
	    >"$T/eval" 2>&1 && grep -q '^hosts 1 ready 1' "$T/eval"; then
		ok
	else
		fail "$1: report damaged: $(head -c 300 "$T/eval")"
	fi
}

# After a run with an injected failure: a failure is one clean line.
check_failure_shape() {
	if [ "$1" -ne 0 ]; then
		if [ -s "$T/out" ] || [ "$(wc -l <"$T/err")" -ne 1 ]; then
			fail "$2: exit $1 with stdout $(wc -c <"$T/out") bytes," \
			    "stderr: $(head -c 300 "$T/err")"
		else
			ok
		fi
	fi
}

undo_import() {
	[ -n "$(find "$T/stores" -name "$P2_KEY.*" -o -name "$P2_SIGN.*")" ] ||
		return 0
	"$CERTSEAL" store remove "$P2_KEY" >/dev/null 2>&1
	"$CERTSEAL" store remove "$P2_SIGN" >/dev/null 2>&1
}

# The editor turns v1 into v2 and back.
cat >"$T/editor" <<ED
#!/bin/sh
if grep -q 'version = 1' "\$1"; then cp "$T/v2.conf" "\$1"
else cp "$T/v1.conf" "\$1"; fi
ED
chmod +x "$T/editor"
export EDITOR="$T/editor"

other() { [ "$current" = v1 ] && echo v2 || echo v1; }
check_sealed "baseline"

# run_plain NAME: the command once, normally (output discarded).
run_plain() {
	case "$1" in
	save) "$CERTSEAL_ADMIN" save "$T/$(other).conf" ;;
	edit) "$CERTSEAL_ADMIN" edit ;;
	import) "$CERTSEAL" store import "$T/p2.p12" \
	    --password-file "$T/p12.pass" ;;
	report) "$CERTSEAL" -s "$S1" report --out "$T/reports" --host h1 ;;
	generate) "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256 ;;
	esac >/dev/null 2>&1 </dev/null
}

# one_run NAME MODE N: runs command NAME under the shim, then the checks.
one_run() {
	name=$1
	mode=$2
	n=$3
	case "$name" in
	save) run_shim "$n" "$mode" "$CERTSEAL_ADMIN" save "$T/$(other).conf" ;;
	edit) run_shim "$n" "$mode" "$CERTSEAL_ADMIN" edit ;;
	import) run_shim "$n" "$mode" "$CERTSEAL" store import "$T/p2.p12" \
	    --password-file "$T/p12.pass" ;;
	report) run_shim "$n" "$mode" "$CERTSEAL" -s "$S1" report \
	    --out "$T/reports" --host h1 ;;
	generate) run_shim "$n" "$mode" "$CERTSEAL_ADMIN" pair generate \
	    --algorithm ec-p256 ;;
	esac
	rc=$?
	if [ "$mode" = kill ]; then
		[ "$rc" -eq 137 ] && kills=$((kills + 1))
		after_kill "$name" "$name killed at call $n"
		return
	fi
	faults=$((faults + 1))
	[ "$rc" -eq 0 ] && runs_ok=$((runs_ok + 1))
	check_failure_shape "$rc" "$name under fault $n ($mode)"
	after_run "$name" "$name N=$n $mode"
	check_clean "$name N=$n $mode"
}

after_run() {
	case "$1" in
	save|edit) check_sealed "$2"; check_profile "$2" ;;
	import) check_store "$2"; undo_import ;;
	report) check_report "$2" ;;
	generate) check_profile "$2" ;;
	esac
}

# After a kill: everything still valid; what the killed process could not
# clean up (its temp name, edit's private directory) is removed by the
# next run of the same command.
leftovers() {
	find "$T/cfg" "$T/admin" "$T/stores" "$T/reports" "$T/tmp" \
	    \( -name '.*.tmp' -o -name '*.tmp' -o -name 'certseal-edit-*' \) \
	    -not -path "$SKIP/*" 2>/dev/null | head -n 1
}

after_kill() {
	after_run "$1" "$2"
	[ -n "$(leftovers)" ] || return 0
	sweeps=$((sweeps + 1))
	run_plain "$1"
	[ "$1" = import ] && undo_import
	check_clean "$2, next run"
}

expect 0 "first report" -- "$CERTSEAL" -s "$S1" report --out "$T/reports" \
	--host h1
for cmd in save edit import report generate; do
	case "$cmd" in
	save) calls=$(count_calls "$CERTSEAL_ADMIN" save "$T/$(other).conf") ;;
	edit) calls=$(count_calls "$CERTSEAL_ADMIN" edit) ;;
	import) calls=$(count_calls "$CERTSEAL" store import "$T/p2.p12" \
	    --password-file "$T/p12.pass") ;;
	report) calls=$(count_calls "$CERTSEAL" -s "$S1" report \
	    --out "$T/reports" --host h1) ;;
	generate) calls=$(count_calls "$CERTSEAL_ADMIN" pair generate \
	    --algorithm ec-p256) ;;
	esac
	after_run "$cmd" "$cmd counting"
	check_clean "$cmd counting"
	[ "$calls" -gt 0 ] && ok || fail "$cmd: the shim counted no calls"
	n=1
	while [ "$n" -le "$calls" ]; do
		mode=fail
		[ $((n % 2)) -eq 0 ] && mode=eio
		one_run "$cmd" "$mode" "$n"
		[ $((n % KILL_STEP)) -eq 0 ] || [ "$n" -eq "$calls" ] &&
			one_run "$cmd" kill "$n"
		n=$((n + 1))
	done
	echo "$cmd: $calls write-side calls, each one failed;" \
	    "killed at every ${KILL_STEP}. of them"
done

# Random moments, without the shim.
token_damage=0
cp -a "$T/admin/token" "$T/token-copy"
token_check() {
	if [ -n "$(find "$T/admin/token" -name token.object -size 0)" ]; then
		token_damage=$((token_damage + 1))
		rm -rf "$T/admin/token"
		cp -a "$T/token-copy" "$T/admin/token"
	fi
}
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
for cmd in save edit import report; do
	i=0
	while [ "$i" -lt "$RANDOM_KILLS" ]; do
		case "$cmd" in
		save) "$CERTSEAL_ADMIN" save "$T/$(other).conf" ;;
		edit) "$CERTSEAL_ADMIN" edit ;;
		import) "$CERTSEAL" store import "$T/p2.p12" \
		    --password-file "$T/p12.pass" ;;
		report) "$CERTSEAL" -s "$S1" report --out "$T/reports" \
		    --host h1 ;;
		esac >/dev/null 2>&1 </dev/null &
		pid=$!
		sleep "0.0$(printf '%02d' $(( $(rnd) % 50 )))"
		kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
		wait "$pid" 2>/dev/null
		token_check
		after_kill "$cmd" "$cmd killed at random ($i)"
		i=$((i + 1))
	done
done

# A real full file system, when this runs as root and may mount.
full="$T/full"
mkdir -p "$full"
if [ "$(id -u)" -eq 0 ] &&
    mount -t tmpfs -o size=2m,mode=0700 certseal-full "$full" 2>/dev/null; then
	trap 'umount "$full" 2>/dev/null; rm -rf "$T"' EXIT
	expect 0 "save to tmpfs" -- "$CERTSEAL_ADMIN" save "$T/v1.conf" \
		-o "$full/app.sealed"
	cp "$full/app.sealed" "$T/full-before"
	dd if=/dev/zero of="$full/fill" bs=4k >/dev/null 2>&1 || true
	expect 1 "save on a full disk" -- "$CERTSEAL_ADMIN" save "$T/v2.conf" \
		-o "$full/app.sealed"
	expect_clean_failure "save on a full disk"
	same_bytes "$full/app.sealed" "$T/full-before" "full disk: old file"
	expect 1 "report on a full disk" -- "$CERTSEAL" -s "$S1" report \
		--out "$full" --host h1
	[ -z "$(find "$full" -name '*.tmp' -o -name 'h1.json')" ] && ok ||
		fail "full disk: left $(ls -A "$full")"
	rm -f "$full/fill"
	expect 0 "save after space returns" -- "$CERTSEAL_ADMIN" save \
		"$T/v2.conf" -o "$full/app.sealed"
	expect 0 "open after space returns" -- "$CERTSEAL" -s "$S1" open \
		"$full/app.sealed"
	same_bytes "$T/out" "$T/v2.conf" "full disk: new file"
	umount "$full"
	echo "full tmpfs: checked"
else
	echo "full tmpfs: skipped (needs root and mount)"
fi

echo "faults injected: $faults (of which $runs_ok still exited 0)," \
	"SIGKILLs: $kills ($sweeps left a temp name or edit directory that" \
	"the next run removed), SoftHSM2 tokens emptied by a kill:" \
	"$token_damage"
finish
