#!/bin/sh
# Issue 15: one command line for certseal and certseal-admin, on a real
# SoftHSM2 admin token: -o - and its refusals, overwrite and removal
# confirmations, -q/-v, global options anywhere, JSON documents (version,
# error object, one time and subject format, one sources shape) checked
# with jq, --help of every command and verb, and long options only in full.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_softhsm
require_tools jq script openssl

export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF
printf 'db.password = s3cr3t\n' >"$T/app.conf"
admin_with_pair "$T/app.sealed" "$T/app.conf"

# contains FILE TEXT WHAT
contains() {
	grep -qF -- "$2" "$1" && ok || fail "$3: no '$2' in: $(head -c 400 "$1")"
}

# on_tty OUT CMD...: runs CMD with a terminal as stdin/stdout (script(1)),
# all it printed in OUT; stdin of script is the answer file $T/answer.
on_tty() {
	out=$1
	shift
	script -qec "$*" /dev/null <"$T/answer" >"$out" 2>&1
}
: >"$T/answer"

# --- 1. -o - is standard output; secrets never on a terminal -----------
expect 0 "save -o -" -- "$CERTSEAL_ADMIN" save "$T/app.conf" -o -
[ ! -e ./- ] && [ ! -e "$T/-" ] && ok || fail "save -o - made a file '-'"
cp "$T/out" "$T/stdout.sealed"
expect 0 "open what save -o - printed" -- "$CERTSEAL" -s "$S1" \
	open "$T/stdout.sealed"
same_bytes "$T/out" "$T/app.conf" "save -o - round trip"
expect 0 "pair export -o -" -- "$CERTSEAL_ADMIN" pair export "$P1" -o - \
	--password-file "$T/p12.pass"
openssl pkcs12 -in "$T/out" -passin pass:export-pass -nodes -noout \
	2>/dev/null && ok || fail "pair export -o -: not a PKCS#12 on stdout"
contains "$T/err" "exported to standard output" "export -o - message"
on_tty "$T/tty" "$CERTSEAL_ADMIN" pair export "$P1" -o - \
	--password-file "$T/p12.pass"
rc=$?
[ "$rc" -eq 2 ] && ok || fail "export to a terminal: exit $rc"
contains "$T/tty" "standard output is a terminal" "export tty refusal"
contains "$T/tty" "private key" "export tty refusal says why"
grep -q 'BEGIN\|0\x82' "$T/tty" && fail "key material on the terminal" || ok
on_tty "$T/tty" "$CERTSEAL_ADMIN" save "$T/app.conf" -o -
rc=$?
[ "$rc" -eq 2 ] && ok || fail "save -o - to a terminal: exit $rc"
# report and enroll take -o as their directory: '-' is refused, never a
# directory named '-' (outside audit).
for cmd in "-s $S1 report --host x" "enroll --name x"; do
	expect 2 "$cmd -o -" -- sh -c "cd '$T' && exec \"\$@\"" sh \
		"$CERTSEAL" $cmd -o -
	expect_clean_failure "$cmd -o -"
	[ ! -e "$T/-" ] && ok || fail "$cmd -o - made '$T/-'"
	rm -rf "$T/-"
done

# The bundle's PBKDF2 costs 100 000 iterations (key bag, certificate bag,
# MAC), as openssl reads them; OpenSSL's default 2048 is too cheap for a
# file guessed offline (outside audit); --iterations chooses.
expect 0 "export with the default cost" -- "$CERTSEAL_ADMIN" pair export \
	"$P1" -o "$T/default.p12" --password-file "$T/p12.pass"
openssl pkcs12 -info -noout -in "$T/default.p12" -passin pass:export-pass \
	>"$T/p12info" 2>&1
n=$(grep -c "[Ii]teration 100000" "$T/p12info")
[ "$n" -eq 3 ] && ok || fail "default.p12: $n of 3 costs are 100000: $(cat "$T/p12info")"
expect 0 "export --iterations 250000" -- "$CERTSEAL_ADMIN" pair export \
	"$P1" -o "$T/it.p12" --password-file "$T/p12.pass" --iterations 250000
openssl pkcs12 -info -noout -in "$T/it.p12" -passin pass:export-pass \
	>"$T/p12info" 2>&1
n=$(grep -c "[Ii]teration 250000" "$T/p12info")
[ "$n" -eq 3 ] && ok || fail "it.p12: $n of 3 costs are 250000"
expect 0 "certtool reads it" -- certtool --p12-info --inder \
	--infile "$T/it.p12" --password export-pass
expect 0 "certseal opens with it" -- "$CERTSEAL" \
	-s "file:$T/it.p12?pin-source=$T/p12.pass" --allow-rollback \
	check "$T/app.sealed"
expect 2 "export --iterations 2048" -- "$CERTSEAL_ADMIN" pair export \
	"$P1" -o "$T/it2.p12" --password-file "$T/p12.pass" --iterations 2048
expect_clean_failure "export --iterations 2048"

# export -o existing.p12: refused without --force, the file untouched
cp "$T/p1.p12" "$T/keep.p12"
expect 2 "export over an existing file" -- "$CERTSEAL_ADMIN" pair export \
	"$P1" -o "$T/p1.p12" --password-file "$T/p12.pass"
expect_clean_failure "export over an existing file"
contains "$T/err" "--force" "overwrite refusal names --force"
same_bytes "$T/p1.p12" "$T/keep.p12" "refused export left the file"
expect 0 "export --force" -- "$CERTSEAL_ADMIN" pair export "$P1" \
	-o "$T/p1.p12" --password-file "$T/p12.pass" --force
cmp -s "$T/p1.p12" "$T/keep.p12" && fail "--force did not replace" || ok

# pair remove: --yes without a terminal, a question on one
expect 0 "generate P2" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
P2=$(cat "$T/out")
expect 0 "retire P2" -- "$CERTSEAL_ADMIN" pair retire "$P2"
expect 2 "remove without --yes" -- "$CERTSEAL_ADMIN" pair remove "$P2"
expect_clean_failure "remove without --yes"
contains "$T/err" "--yes" "remove refusal names --yes"
"$CERTSEAL_ADMIN" pair list --json | jq -e --arg p "$P2" \
	'.pairs[] | select(.id == $p)' >/dev/null && ok ||
	fail "refused remove removed the pair"
printf 'no\n' >"$T/answer"
on_tty "$T/tty" "$CERTSEAL_ADMIN" pair remove "$P2"
rc=$?
[ "$rc" -eq 2 ] && ok || fail "remove answered no: exit $rc"
contains "$T/tty" "[y/N]" "remove asks"
printf 'yes\n' >"$T/answer"
on_tty "$T/tty" "$CERTSEAL_ADMIN" pair remove "$P2"
rc=$?
[ "$rc" -eq 0 ] && ok || fail "remove answered yes: exit $rc: $(cat "$T/tty")"
"$CERTSEAL_ADMIN" pair list --json | jq -e --arg p "$P2" \
	'.pairs[] | select(.id == $p)' >/dev/null &&
	fail "pair remove (yes) left the pair" || ok
: >"$T/answer"

# --- 2. -q / -v, global options anywhere ------------------------------
# pair activate's success line is chatter like the others (audit C, F10).
expect 0 "generate P3" -- "$CERTSEAL_ADMIN" -q pair generate --algorithm ec-p256
P3=$(cat "$T/out")
expect 0 "-q pair activate" -- "$CERTSEAL_ADMIN" -q pair activate "$P3" --force
grep -q "is active" "$T/err" && fail "pair activate -q: $(cat "$T/err")" || ok
expect 0 "pair activate (not quiet)" -- "$CERTSEAL_ADMIN" pair activate "$P1" \
	--force
contains "$T/err" "pair $P1 is active, retired $P3" "pair activate says so"
expect 0 "-q pair activate, already active" -- "$CERTSEAL_ADMIN" -q pair \
	activate "$P1"
[ ! -s "$T/err" ] && ok || fail "pair activate -q (active): $(cat "$T/err")"
expect 0 "save -q" -- "$CERTSEAL_ADMIN" save -q "$T/app.conf"
[ ! -s "$T/err" ] && ok || fail "save -q printed: $(cat "$T/err")"
expect 0 "save (not quiet)" -- "$CERTSEAL_ADMIN" save "$T/app.conf"
contains "$T/err" "sealed to" "save says what it did"
expect 2 "-q and -v" -- "$CERTSEAL_ADMIN" -q pair list -v
expect 0 "--quiet before the command" -- "$CERTSEAL_ADMIN" --quiet save \
	"$T/app.conf"
[ ! -s "$T/err" ] && ok || fail "--quiet before save printed"
expect 3 "quiet failure" -- "$CERTSEAL" -q open "$T/app.sealed"
expect_clean_failure "quiet failure keeps its one line"
expect 0 "-v" -- "$CERTSEAL" -s "$S1" open "$T/app.sealed" -v
contains "$T/err" "$T/p1.p12" "-v names the source"
"$CERTSEAL" -v check "$T/app.sealed" >/dev/null 2>"$T/err"
contains "$T/err" "certificate source 1: store:LocalMachine/My (the default" \
	"-v names the default source"
mv "$CERTSEAL_PROFILE" "$T/elsewhere.json"
for line in "--profile $T/elsewhere.json pair list" \
	"pair --profile $T/elsewhere.json list" \
	"pair list --profile=$T/elsewhere.json" \
	"--json pair list --profile $T/elsewhere.json"; do
	# shellcheck disable=SC2086
	expect 0 "admin $line" -- "$CERTSEAL_ADMIN" $line
done
jq -e '.version == 1 and (.pairs | length) >= 1' "$T/out" >/dev/null &&
	ok || fail "--json before the command: $(cat "$T/out")"
mv "$T/elsewhere.json" "$CERTSEAL_PROFILE"
for line in "-s $S1 open $T/app.sealed" "open $T/app.sealed -s $S1" \
	"open -s $S1 $T/app.sealed" "--certificate-source=$S1 open $T/app.sealed"; do
	# shellcheck disable=SC2086
	expect 0 "certseal $line" -- "$CERTSEAL" $line
	same_bytes "$T/out" "$T/app.conf" "certseal $line"
done
expect 5 "strict after the command" -- "$CERTSEAL" open "$T/app.conf" \
	--accept-encrypted-data-only
expect 0 "a global after --" -- "$CERTSEAL" -s "$S1" open -- "$T/app.sealed"

# --- 3. JSON: version, error objects, formats, one sources shape -------
expect 0 "pair list --json" -- "$CERTSEAL_ADMIN" pair list --json
jq -e '.version == 1 and (.pairs[0].not_after |
	test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))' \
	"$T/out" >/dev/null && ok || fail "pair list --json: $(cat "$T/out")"
for cmd in "$CERTSEAL inspect $T/app.sealed --json" \
	"$CERTSEAL_ADMIN inspect --json" "$CERTSEAL_ADMIN token check --json" \
	"$CERTSEAL_ADMIN client list --requests $T --json" "$CERTSEAL store list --json" \
	"$CERTSEAL -s $S1 check $T/app.sealed --json" \
	"$CERTSEAL -s $S1 sources --json" "$CERTSEAL -s $S1 sources --check --json"; do
	# shellcheck disable=SC2086
	expect 0 "$cmd" -- $cmd
	jq -e '.version == 1' "$T/out" >/dev/null && ok ||
		fail "$cmd: no version 1: $(head -c 300 "$T/out")"
done
# Commands without a JSON result refuse --json (exit 2) before they run:
# a script piping into jq never gets a bare ID or a plaintext (audit C,
# F3).  The error document is what stdout holds.
npairs=$("$CERTSEAL_ADMIN" pair list --json | jq '.pairs | length')
cp "$T/app.sealed" "$T/app.sealed.before"
for line in "--json pair generate --algorithm ec-p256" "--json show" \
	"--json save $T/app.conf" "--json edit" \
	"pair export $P1 -o $T/j.p12 --password-file $T/p12.pass --json" \
	"--json pair activate $P1" "--json pair retire $P1 --force" \
	"--json pair remove $P1 --yes" "--json client approve w1 --requests $T" \
	"--json client revoke w1" "--json init" \
	"--json seal -r $T/none.crt --signer file:$T/none.pem"; do
	# shellcheck disable=SC2086
	expect 2 "admin $line" -- env VISUAL=true "$CERTSEAL_ADMIN" $line
	jq -e '.version == 1 and .error.code == 2 and
		(.error.message | test("no --json here"))' "$T/out" >/dev/null &&
		ok || fail "admin $line: stdout: $(head -c 300 "$T/out")"
	[ "$(wc -l <"$T/err")" -eq 1 ] && ok ||
		fail "admin $line: stderr not one line: $(cat "$T/err")"
done
[ "$("$CERTSEAL_ADMIN" pair list --json | jq '.pairs | length')" = "$npairs" ] &&
	"$CERTSEAL_ADMIN" pair list --json | jq -e --arg p "$P1" \
	'.pairs[] | select(.id == $p and .state == "active")' >/dev/null &&
	ok || fail "a refused --json command changed the pairs"
same_bytes "$T/app.sealed" "$T/app.sealed.before" "refused --json save"
[ ! -e "$T/j.p12" ] && ok || fail "refused --json export wrote $T/j.p12"
for line in "--json store remove 0011" "--json open $T/app.sealed" \
	"--json enroll --out $T/req" "open $T/app.sealed -o $T/j.conf --json"; do
	# shellcheck disable=SC2086
	expect 2 "certseal $line" -- "$CERTSEAL" -s "$S1" $line
	jq -e '.version == 1 and .error.code == 2' "$T/out" >/dev/null && ok ||
		fail "certseal $line: stdout: $(head -c 300 "$T/out")"
	[ "$(wc -l <"$T/err")" -eq 1 ] && ok ||
		fail "certseal $line: stderr not one line: $(cat "$T/err")"
done
[ ! -e "$T/j.conf" ] && [ ! -e "$T/req" ] && ok ||
	fail "a refused --json command wrote its output"
# ... and their --help does not offer it; the JSON commands' does.
for c in "$CERTSEAL open" "$CERTSEAL enroll" "$CERTSEAL store remove" \
	"$CERTSEAL_ADMIN pair generate" "$CERTSEAL_ADMIN show" \
	"$CERTSEAL_ADMIN client approve"; do
	# shellcheck disable=SC2086
	expect 0 "$c --help" -- $c --help
	grep -q -- '--json' "$T/out" && fail "$c --help offers --json" || ok
done
for c in "$CERTSEAL check" "$CERTSEAL store list" "$CERTSEAL_ADMIN pair list" \
	"$CERTSEAL_ADMIN rollout status"; do
	# shellcheck disable=SC2086
	expect 0 "$c --help" -- $c --help
	grep -q -- '--json' "$T/out" && ok || fail "$c --help lacks --json"
done
# Failures under --json: an error object on stdout, the exit code in it.
expect 3 "check --json without a key" -- "$CERTSEAL" check "$T/app.sealed" \
	--json
jq -e '.version == 1 and .error.code == 3 and (.error.message | length) > 0' \
	"$T/out" >/dev/null && ok || fail "check --json failure: $(cat "$T/out")"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok || fail "check --json: stderr not one line"
expect 2 "usage error --json" -- "$CERTSEAL" --json inspect
jq -e '.error.code == 2' "$T/out" >/dev/null && ok ||
	fail "usage error --json: $(cat "$T/out")"
# No command at all: the same document, not the usage text.
for tool in "$CERTSEAL" "$CERTSEAL_ADMIN"; do
	expect 2 "$(basename "$tool") --json, no command" -- "$tool" --json
	# (jq -e takes an empty input as success.)
	[ -s "$T/out" ] && jq -e '.version == 1 and .error.code == 2 and
		(.error.message | test("no command"))' "$T/out" >/dev/null &&
		ok || fail "$(basename "$tool") --json, no command: $(cat "$T/out")"
	[ "$(wc -l <"$T/err")" -eq 1 ] && ok ||
		fail "$(basename "$tool") --json, no command: stderr not one line"
done
expect 2 "no command, no --json: the usage" -- "$CERTSEAL"
[ ! -s "$T/out" ] && grep -q '^usage: certseal' "$T/err" && ok ||
	fail "no command: $(head -c 300 "$T/err")"
expect 1 "admin error --json" -- "$CERTSEAL_ADMIN" --profile "$T/none.json" \
	pair list --json
jq -e '.error.code == 1' "$T/out" >/dev/null && ok ||
	fail "admin error --json: $(cat "$T/out")"
# One shape across schemes: key_id and trusted_signers, RFC 3339 times,
# RFC 4514 subjects.
expect 0 "store import" -- "$CERTSEAL" store import "$T/p1.p12" \
	--password-file "$T/p12.pass"
SOFTHSM2_CONF="$T/admin/token/softhsm2.conf"
ADMIN_URI="pkcs11:token=certseal-admin?module-path=$SOFTHSM_MODULE&pin-source=$T/admin/token/user.pin"
expect 0 "sources, three schemes" -- env SOFTHSM2_CONF="$SOFTHSM2_CONF" \
	"$CERTSEAL" -s "$S1" -s store: -s "$ADMIN_URI" sources --json
cp "$T/out" "$T/sources.json"
jq -e '.sources | length == 3' "$T/sources.json" >/dev/null && ok ||
	fail "sources: $(cat "$T/sources.json")"
jq -e '[.sources[] | .. | objects | select(has("id") or has("signers"))] |
	length == 0' "$T/sources.json" >/dev/null && ok ||
	fail "sources: a scheme still says id/signers: $(cat "$T/sources.json")"
jq -e '[.. | objects | .not_after? // empty | test("^[0-9-]{10}T[0-9:]{8}Z$")] |
	all and length > 0' "$T/sources.json" >/dev/null && ok ||
	fail "sources: times not RFC 3339: $(jq -c '[.. | objects | .not_after? // empty]' "$T/sources.json")"
jq -e '[.. | objects | .subject? // empty | startswith("CN=")] |
	all and length > 0' "$T/sources.json" >/dev/null && ok ||
	fail "sources: subjects not RFC 4514: $(jq -c '[.. | objects | .subject? // empty]' "$T/sources.json")"
jq -e '[.sources[0].trusted_signers, .sources[1].trusted_signers] |
	all(type == "array")' "$T/sources.json" >/dev/null && ok ||
	fail "sources: trusted_signers missing"
# The one shape, member by member, for file:, store: and pkcs11: (an
# outside audit found a top-level key_id for file: and no trusted_signers
# for pkcs11:).
jq -e '.sources | map(.scheme) == ["file", "store", "pkcs11"]' \
	"$T/sources.json" >/dev/null && ok ||
	fail "sources: schemes: $(jq -c '[.sources[].scheme]' "$T/sources.json")"
jq -e '.sources | all(.status == "ok" and (.uri | type == "string") and
	(.keys | type == "array" and length > 0 and all(has("key_id"))) and
	(.trusted_signers | type == "array" and length > 0 and
	all(.sha256 | test("^[0-9a-f]{64}$"))) and (has("key_id") | not))' \
	"$T/sources.json" >/dev/null && ok ||
	fail "sources: not one shape: $(jq -c '.sources[] | {scheme, members: keys}' "$T/sources.json")"
expect 0 "sources, a table" -- "$CERTSEAL" -s "$S1" -s store: sources
head -c 1 "$T/out" | grep -q '{' && fail "sources without --json is JSON" ||
	ok
contains "$T/out" "KEY ID" "sources table header"

# --- 4. --help of every command and verb -------------------------------
for c in open check inspect sources report enroll store "store import" \
	"store list" "store remove"; do
	# shellcheck disable=SC2086
	expect 0 "certseal $c --help" -- "$CERTSEAL" $c --help
	for part in "usage: certseal $c" "example:" "exit codes:" \
		"global options"; do
		contains "$T/out" "$part" "certseal $c --help"
	done
done
for c in init pair "pair generate" "pair list" "pair export" \
	"pair activate" "pair retire" "pair remove" save show edit inspect \
	client "client list" "client approve" "client revoke" rollout \
	"rollout status" seal token "token check"; do
	# shellcheck disable=SC2086
	expect 0 "certseal-admin $c --help" -- "$CERTSEAL_ADMIN" $c --help
	for part in "usage: certseal-admin $c" "example:" "exit codes:"; do
		contains "$T/out" "$part" "certseal-admin $c --help"
	done
	# Each usage line once (rollout and token said theirs twice).
	sed -n '1,/^$/s/^\(usage:\)\{0,1\} *//p' "$T/out" | sort | uniq -d \
		>"$T/twice"
	[ ! -s "$T/twice" ] && ok ||
		fail "certseal-admin $c --help says twice: $(cat "$T/twice")"
done
# The help says what the command does and takes (audit C, F12).
expect 0 "pair activate --help" -- "$CERTSEAL_ADMIN" pair activate --help
for part in "--expect N" "--hosts FILE" "--force" "is retired at once" \
	"5 hosts not ready"; do
	contains "$T/out" "$part" "pair activate --help"
done
grep -q "stays until" "$T/out" && fail "pair activate --help: the old pair stays" ||
	ok
expect 0 "pair --help" -- "$CERTSEAL_ADMIN" pair --help
contains "$T/out" "pair activate ID [--expect N] [--hosts FILE] [--force]" \
	"pair --help, activate"
expect 0 "store import --help" -- "$CERTSEAL" store import --help
contains "$T/out" "6 wrong or missing password" "store import --help"
for tool in "$CERTSEAL inspect x" "$CERTSEAL_ADMIN inspect"; do
	# shellcheck disable=SC2086
	expect 0 "$tool --help" -- $tool --help
	contains "$T/out" "5 over the size limit" "$tool --help"
done
contains "$T/out" "--json" "token check --help lists its options"
# A missing verb is a usage error like any other: nothing on stdout, one
# line on stderr that names the verbs (audit C, F8).
for c in "$CERTSEAL_ADMIN pair" "$CERTSEAL_ADMIN client" \
	"$CERTSEAL_ADMIN rollout" "$CERTSEAL_ADMIN token" \
	"$CERTSEAL_ADMIN pair --force" "$CERTSEAL store"; do
	# shellcheck disable=SC2086
	expect 2 "$c (no verb)" -- $c
	expect_clean_failure "$c (no verb)"
	contains "$T/err" "no verb given" "$c (no verb)"
done
contains "$T/err" "store import|list|remove" "the missing verb's message lists them"
expect 0 "-h after the verb" -- "$CERTSEAL_ADMIN" pair export "$P1" -h
contains "$T/out" "--force" "pair export -h"

# --- 5. rollout status: the fleet inventory ---------------------------
export CERTSEAL_PROFILE="$T/admin2/profile.json"
R="$T/reports"
mkdir -p "$R"
expect 0 "init with reports" -- "$CERTSEAL_ADMIN" init \
	--config "$T/app2.conf.sealed" --name app2 --reports "$R"
expect 0 "generate Q1" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
Q1=$(cat "$T/out")
expect 0 "activate Q1 (no client yet)" -- "$CERTSEAL_ADMIN" pair activate \
	"$Q1" --force
expect 0 "generate Q2" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
Q2=$(cat "$T/out")
expect 0 "export Q2" -- "$CERTSEAL_ADMIN" pair export "$Q2" -o "$T/q2.p12" \
	--password-file "$T/p12.pass"
for h in h1 h2; do
	expect 0 "report $h" -- "$CERTSEAL" -s "file:$T/q2.p12?pin-source=$T/p12.pass" \
		report --out "$R" --host "$h"
done
printf 'h1\n# the third web server\nh2\n  h3  \n\n' >"$T/hosts"
expect 0 "rollout: reporters only" -- "$CERTSEAL_ADMIN" rollout status --json
jq -e '.hosts == 2 and .ready == 2' "$T/out" >/dev/null && ok ||
	fail "rollout, reporters: $(cat "$T/out")"
expect 5 "rollout --hosts: h3 never reported" -- "$CERTSEAL_ADMIN" rollout \
	status --hosts "$T/hosts" --json
jq -e '.version == 1 and .hosts == 3 and .ready == 2 and .all_ready == false and
	([.not_ready_hosts[] | select(.host == "h3") | .missing[0]] == ["report"])' \
	"$T/out" >/dev/null && ok || fail "rollout --hosts: $(cat "$T/out")"
expect 5 "rollout --hosts (text)" -- "$CERTSEAL_ADMIN" rollout status \
	--hosts "$T/hosts"
contains "$T/out" "2 of 3 hosts ready" "rollout --hosts summary"
contains "$T/out" "h3" "rollout --hosts names h3"
expect 5 "rollout --expect 3" -- "$CERTSEAL_ADMIN" rollout status --expect 3 \
	--json
jq -e '.expected_hosts == 3 and .unknown_missing == 1 and .all_ready == false' \
	"$T/out" >/dev/null && ok || fail "rollout --expect: $(cat "$T/out")"
expect 0 "rollout --expect 2" -- "$CERTSEAL_ADMIN" rollout status --expect 2
expect 2 "rollout --expect x" -- "$CERTSEAL_ADMIN" rollout status --expect x
printf 'h1\nnot a host\n' >"$T/badhosts"
expect 2 "rollout --hosts with a bad line" -- "$CERTSEAL_ADMIN" rollout \
	status --hosts "$T/badhosts"
expect_clean_failure "rollout --hosts with a bad line"
contains "$T/err" "line 2" "bad hosts line named"
expect 5 "activate while h3 is missing" -- "$CERTSEAL_ADMIN" pair activate \
	"$Q2" --hosts "$T/hosts"
expect_clean_failure "activate while h3 is missing"
contains "$T/err" "h3" "activation refusal names h3"
expect 5 "activate while 1 of 3 is unknown" -- "$CERTSEAL_ADMIN" pair \
	activate "$Q2" --expect 3
expect 0 "activate, 3 of 3 ready" -- env -u SOFTHSM2_CONF sh -c '
	"$1" -s "file:$2?pin-source=$3" report --out "$4" --host h3 &&
	"$5" pair activate "$6" --hosts "$7"' sh "$CERTSEAL" "$T/q2.p12" \
	"$T/p12.pass" "$R" "$CERTSEAL_ADMIN" "$Q2" "$T/hosts"

# --- 6. the profile lock says who holds it ------------------------------
printf '#!/bin/sh\n: >"%s/editing"\nsleep 4\n' "$T" >"$T/slow-editor"
chmod 755 "$T/slow-editor"
rm -f "$T/editing"
VISUAL="$T/slow-editor" "$CERTSEAL_ADMIN" edit >"$T/edit.out" 2>&1 </dev/null &
editpid=$!
i=0
while [ ! -e "$T/editing" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
start=$(date +%s)
expect 1 "--no-wait while edit holds the profile" -- "$CERTSEAL_ADMIN" \
	--no-wait pair generate --algorithm ec-p256
[ $(($(date +%s) - start)) -le 2 ] && ok || fail "--no-wait waited"
expect_clean_failure "--no-wait"
contains "$T/err" "in use by pid $editpid, certseal-admin edit, since 20" \
	"--no-wait names the holder"
expect 0 "a second command waits for edit" -- "$CERTSEAL_ADMIN" pair \
	generate --algorithm ec-p256
contains "$T/err" "waiting" "the waiting command says so"
contains "$T/err" "certseal-admin edit" "the waiting command says for whom"
wait $editpid
rc=$?
[ "$rc" -eq 0 ] && ok || fail "edit: exit $rc: $(cat "$T/edit.out")"

# --- 7. edit: the file's extension, Ctrl-C --------------------------------
printf '#!/bin/sh\nbasename "$1" >"%s/edited-name"\n' "$T" >"$T/name-editor"
# The editor dies of SIGINT as at a Ctrl-C.  perl sets the default action
# first: a shell started with SIGINT ignored (a background job of a
# script, as under some CI runners) cannot undo that, and would live on.
printf '#!/bin/sh\nexec perl -e '"'"'$SIG{INT} = "DEFAULT"; kill "INT", $$; sleep 5'"'"'\n' \
    >"$T/int-editor"
chmod 755 "$T/name-editor" "$T/int-editor"
expect 0 "edit names the file like the configuration" -- env \
	VISUAL="$T/name-editor" "$CERTSEAL_ADMIN" edit
[ "$(cat "$T/edited-name" 2>/dev/null)" = app2.conf ] && ok ||
	fail "edit's file: '$(cat "$T/edited-name" 2>/dev/null)', expected app2.conf"
expect 130 "Ctrl-C in the editor" -- env VISUAL="$T/int-editor" \
	"$CERTSEAL_ADMIN" edit
expect_clean_failure "Ctrl-C in the editor"
contains "$T/err" "interrupted" "Ctrl-C message"
printf '#!/bin/sh\nexit 3\n' >"$T/bad-editor"
chmod 755 "$T/bad-editor"
expect 1 "an editor that fails" -- env VISUAL="$T/bad-editor" \
	"$CERTSEAL_ADMIN" edit
expect_clean_failure "an editor that fails"
contains "$T/err" "exited with 3" "failed editor message"
grep -q "not possible in this state" "$T/err" &&
	fail "generic tail on a whole message: $(cat "$T/err")" || ok
expect 1 "export of no such pair" -- "$CERTSEAL_ADMIN" pair export ffffffffffff \
	-o "$T/none.p12"
grep -q ": not found$" "$T/err" &&
	fail "generic tail on a whole message: $(cat "$T/err")" || ok

# --- 8. messages that say what to do --------------------------------------
expect 1 "export, missing password file" -- "$CERTSEAL_ADMIN" pair export \
	"$Q2" -o "$T/new.p12" --password-file "$T/no-such.pass"
expect_clean_failure "export, missing password file"
contains "$T/err" "--password-file $T/no-such.pass: No such file" \
	"export names --password-file"
grep -q "pin-source" "$T/err" && fail "password file called pin-source" || ok
expect 1 "import, missing password file" -- "$CERTSEAL" store import \
	"$T/q2.p12" --password-file "$T/no-such.pass"
contains "$T/err" "--password-file" "import names --password-file"
expect 6 "import, no password and no terminal" -- env -u CERTSEAL_PIN \
	"$CERTSEAL" store import "$T/q2.p12"
contains "$T/err" "CERTSEAL_PIN" "no-password message names CERTSEAL_PIN"
expect 2 "a label with a newline" -- "$CERTSEAL_ADMIN" pair generate \
	--label "$(printf 'two\nlines')"
expect_clean_failure "a label with a newline"
expect 0 "store list of an empty store" -- "$CERTSEAL" store list \
	--store CurrentUser/Nothing
[ ! -s "$T/out" ] && ok || fail "empty store list printed $(cat "$T/out")"
contains "$T/err" "holds nothing" "empty store list says so"
printf 'not a bundle\n' >"$T/not.p12"
expect 4 "import of a text file" -- "$CERTSEAL" store import "$T/not.p12" \
	--password-file "$T/p12.pass"
contains "$T/err" "not a PKCS#12 bundle (DER" "non-PKCS#12 message"
grep -q "too long" "$T/err" && fail "OpenSSL's reason leaked: $(cat "$T/err")" ||
	ok
# --- 8b. an unknown option, or one without its value: one line ----------
# naming it (glibc's message and "bad option" made two, and the JSON
# message named nothing; outside audit), never its value.
for bad in "--bogus" "--bogus=my-secret-pw" "-Z" "-o"; do
	# shellcheck disable=SC2086
	expect 2 "open $bad" -- "$CERTSEAL" -s "$S1" open "$T/app.sealed" $bad
	expect_clean_failure "open $bad"
	grep -q "my-secret-pw" "$T/err" &&
		fail "open $bad: the value in: $(cat "$T/err")" || ok
	contains "$T/err" "'${bad%%=*}'" "open $bad: the option is named"
done
expect 2 "--json, an unknown option" -- "$CERTSEAL_ADMIN" --json pair list \
	--bogus
jq -e '.error.code == 2 and (.error.message | contains("--bogus"))' \
	"$T/out" >/dev/null && ok ||
	fail "the JSON error does not name the option: $(cat "$T/out")"

# --- 9. long options are spelled out in full ----------------------------
# getopt_long would take --password for --password-file, and the message
# about "that file" would show the secret (audit D, F7).
for spelling in "--password my-secret-pw" "--password=my-secret-pw" \
	"--pass my-secret-pw"; do
	# shellcheck disable=SC2086
	expect 2 "export $spelling" -- "$CERTSEAL_ADMIN" pair export "$Q2" \
		-o "$T/abbr.p12" $spelling
	expect_clean_failure "export $spelling"
	grep -q "my-secret-pw" "$T/err" &&
		fail "export $spelling: the secret in: $(cat "$T/err")" || ok
	contains "$T/err" "did you mean --password-file" "export $spelling"
	[ ! -e "$T/abbr.p12" ] && ok || fail "export $spelling wrote a file"
done
contains "$T/err" "'--pass'" "the abbreviation is named as typed"
expect 2 "store import --password" -- "$CERTSEAL" store import "$T/q2.p12" \
	--password my-secret-pw
expect_clean_failure "store import --password"
grep -q "my-secret-pw" "$T/err" && fail "import: the secret in: $(cat "$T/err")" ||
	ok
expect 2 "--js for --json" -- "$CERTSEAL_ADMIN" --json pair list \
	--js
jq -e '.error.code == 2' "$T/out" >/dev/null && ok ||
	fail "--js under --json: $(cat "$T/out")"
expect 2 "--prof before the command" -- "$CERTSEAL_ADMIN" \
	--prof "$CERTSEAL_PROFILE" pair list
contains "$T/err" "did you mean --profile" "--prof"
expect 2 "--certificate-sour before the command" -- "$CERTSEAL" \
	--certificate-sour "$S1" open "$T/app.sealed"
expect_clean_failure "--certificate-sour"
expect 2 "open --outp (for --output)" -- "$CERTSEAL" -s "$S1" open \
	"$T/app.sealed" --outp "$T/abbr.conf"
[ ! -e "$T/abbr.conf" ] && ok || fail "open --outp wrote the plaintext"
expect 0 "spelled out in full" -- "$CERTSEAL_ADMIN" pair list \
	--profile="$CERTSEAL_PROFILE" --json
# One place decides: every parser goes through cli_getopt (src/common).
grep -rn 'getopt_long *(' "$top_srcdir/src/admin" "$top_srcdir/src/client" \
	>"$T/direct" && fail "getopt_long called directly: $(cat "$T/direct")" ||
	ok

# --- 10. bash completion offers every option --help lists ----------------
BC=/usr/share/bash-completion/bash_completion
if [ -r "$BC" ] && command -v bash >/dev/null 2>&1; then
	for f in certseal certseal-admin; do
		bash -n "$top_srcdir/contrib/completion/$f.bash" && ok ||
			fail "bash -n $f.bash"
	done
	# comp FILE FUNCTION WORD...: what completing the last WORD offers.
	comp() {
		bash -c '. "$1" >/dev/null 2>&1; . "$2"; fn=$3; shift 3
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			$fn; printf "%s\n" "${COMPREPLY[@]}"' sh "$BC" "$@"
	}
	check_comp() {	# TOOL FUNCTION FILE CMD...
		tool=$1 fn=$2 file=$3
		shift 3
		# shellcheck disable=SC2086
		"$tool" "$@" --help 2>/dev/null | sed -n '/^options:/,/^$/p;/^global options/,/^$/p' |
			grep -o -- '--[a-z][a-z-]*' | sort -u >"$T/want"
		comp "$file" "$fn" "$(basename "$tool")" "$@" -- >"$T/got.all"
		sort -u "$T/got.all" >"$T/got"
		missing=$(comm -23 "$T/want" "$T/got" | tr '\n' ' ')
		[ -z "$missing" ] && [ -s "$T/want" ] && ok ||
			fail "completion of '$*' lacks: $missing"
		# ... and nothing --help does not list (--json where it is
		# refused; audit C, F15), each once.
		extra=$(grep -- '^--' "$T/got" | grep -vx -- --help |
			comm -13 "$T/want" - | tr '\n' ' ')
		[ -z "$extra" ] && ok ||
			fail "completion of '$*' offers what --help does not: $extra"
		twice=$(sort "$T/got.all" | uniq -d | tr '\n' ' ')
		[ -z "$twice" ] && ok || fail "completion of '$*' offers twice: $twice"
	}
	CC="$top_srcdir/contrib/completion/certseal.bash"
	AC="$top_srcdir/contrib/completion/certseal-admin.bash"
	for c in open check inspect sources report enroll "store import" \
		"store list" "store remove"; do
		# shellcheck disable=SC2086
		check_comp "$CERTSEAL" _certseal "$CC" $c
	done
	for c in init "pair generate" "pair list" "pair export" \
		"pair activate" "pair retire" "pair remove" save show edit \
		inspect "client list" "client approve" "rollout status" seal \
		"token check"; do
		# shellcheck disable=SC2086
		check_comp "$CERTSEAL_ADMIN" _certseal_admin "$AC" $c
	done
	for f in "$CC _certseal certseal" "$AC _certseal_admin certseal-admin"; do
		# shellcheck disable=SC2086
		comp $f -- >"$T/got"
		grep -qx -- --json "$T/got" && ok ||
			fail "completion before the command lacks --json"
	done
	comp "$AC" _certseal_admin certseal-admin "" >"$T/got"
	for c in init pair save show edit inspect client rollout seal token; do
		grep -qx "$c" "$T/got" && ok || fail "completion lacks command $c"
	done
else
	echo "NOTE: $(basename "$0"): bash-completion not installed; completion not checked" >&2
fi

finish
