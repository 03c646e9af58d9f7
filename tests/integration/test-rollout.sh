#!/bin/sh
# Rollout readiness end to end (DESIGN.md section 1, steps 4-7): several
# simulated hosts, each with its own sources (file: bundles, its own
# store root), write `certseal report --out DIR`; the evaluation counts
# who holds the new pair's key and trusts its signer.  Then, with a real
# admin profile and SoftHSM2 token made by `certseal-admin init`:
# `rollout status` and the readiness check of `pair activate`.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_softhsm
EVAL="$top_builddir/rollout-eval"
R="$T/reports"

printf 'pw\n' >"$T/pin"
printf 'wrong\n' >"$T/wrongpin"
chmod 600 "$T/pin" "$T/wrongpin"

# The old pair and the new pair: an encryption key and a signer each.
make_cert old_enc p256
make_cert old_sign p256
make_cert new_enc p256
make_cert new_sign p256
(umask 077 && cat "$T/old_enc.key" "$T/old_enc.crt" "$T/old_sign.crt" \
	>"$T/old.pem")
(umask 077 && cat "$T/new_enc.key" "$T/new_enc.crt" "$T/new_sign.crt" \
	>"$T/new.pem")
# The new key, but the bundle does not carry the new signer.
(umask 077 && cat "$T/new_enc.key" "$T/new_enc.crt" >"$T/new-nosigner.pem")
make_p12 new_enc pw "$T/new_sign.crt"

skid() {
	openssl x509 -in "$1" -noout -ext subjectKeyIdentifier |
		tail -n 1 | tr -d ' :' | tr 'A-F' 'a-f'
}
sha256() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
		cut -d= -f2 | tr -d ':' | tr 'A-F' 'a-f'
}
NEW_KEY=$(skid "$T/new_enc.crt")
NEW_SIGN=$(sha256 "$T/new_sign.crt")
OLD_KEY=$(skid "$T/old_enc.crt")
OLD_SIGN=$(sha256 "$T/old_sign.crt")

# report HOST [CERTSEAL OPTIONS...]: one simulated host's report.
report() {
	h=$1
	shift
	expect 0 "report $h" -- "$CERTSEAL" "$@" report --out "$R" --host "$h"
	grep -q "report written to $R/$h.json" "$T/err" && ok ||
		fail "report $h: path not on stderr: $(cat "$T/err")"
	if [ -s "$T/out" ]; then
		fail "report $h: printed on stdout without --json"
	else
		ok
	fi
}

# --- the hosts ------------------------------------------------------------
report h1-ready -s "file:$T/new.pem"
report h2-old -s "file:$T/old.pem"
report h3-nosigner -s "file:$T/old.pem" -s "file:$T/new-nosigner.pem"
report h4-both -s "file:$T/old.pem" -s "file:$T/new.pem" \
	--accept-encrypted-data-only
# A broken source beside a good one: recorded, not fatal, still ready.
report h5-broken -s "file:$T/absent.p12" -s "file:$T/new.pem"
grep -q "absent.p12" "$T/err" && ok || fail "h5: no warning for the broken source"
# A wrong password: recorded; without the key the host is not ready.
report h6-wrongpin -s "file:$T/new_enc.p12?pin-source=$T/wrongpin"
# The store: each host its own store root, the bundle imported there.
expect 0 "store import" -- env CERTSEAL_STORE_ROOT="$T/h7-store" \
	"$CERTSEAL" store import "$T/new_enc.p12" --password-file "$T/pin"
expect 0 "report h7-store" -- env CERTSEAL_STORE_ROOT="$T/h7-store" \
	"$CERTSEAL" report --out "$R" --host h7-store
# The environment names the sources too.
expect 0 "report h8-env" -- env CERTSEAL_CERTIFICATE_SOURCE="file:$T/new.pem" \
	"$CERTSEAL" report --out "$R" --host h8-env --json
grep -q '"host": "h8-env"' "$T/out" && ok || fail "h8: --json printed no report"
# The printed document is the file plus the CLI's "version" (issue 15).
jq -S 'del(.version)' "$T/out" >"$T/out.nover"
jq -S . "$R/h8-env.json" >"$T/file.sorted"
same_bytes "$T/out.nover" "$T/file.sorted" "--json output is the file"

# --- the reports themselves ----------------------------------------------
[ "$(stat -c %a "$R")" = 755 ] && ok || fail "reports dir mode $(stat -c %a "$R")"
[ "$(stat -c %a "$R/h1-ready.json")" = 644 ] && ok ||
	fail "report mode $(stat -c %a "$R/h1-ready.json")"
if grep -l -e PRIVATE -e BEGIN "$R"/*.json >/dev/null; then
	fail "a report holds a secret or key material"
else
	ok
fi
grep -q "$NEW_KEY" "$R/h1-ready.json" && ok || fail "h1: new key id missing"
grep -q "$NEW_SIGN" "$R/h1-ready.json" && ok || fail "h1: signer missing"
grep -q '"accept_encrypted_data_only": true' "$R/h4-both.json" && ok ||
	fail "h4: flag not recorded"
grep -q "file:$T/absent.p12" "$R/h5-broken.json" && ok ||
	fail "h5: error not recorded"
grep -q '"store:LocalMachine/My"' "$R/h7-store.json" && ok ||
	fail "h7: default source not recorded"
ls -a "$R" | grep -q '\.tmp$' && fail "a temp file was left behind" || ok

# --- counting -------------------------------------------------------------
# A report speaks only for the host its file name names (issue 11): a
# copy of h2's report that claims to be h1-ready, under another name, is
# refused and names h1-ready; h1-ready's own report still counts.  Same for
# h9-updated: its old report under another name is refused, its own file
# counts.
sed -e 's/"time": "[^"]*"/"time": "2001-01-01T00:00:00Z"/' \
	-e "s/$NEW_KEY/$OLD_KEY/" "$R/h2-old.json" |
	sed 's/"host": "h2-old"/"host": "h1-ready"/' >"$R/h1-ready-old.json"
# And h9 is ready in its newer report only.
sed -e 's/"time": "[^"]*"/"time": "2001-01-01T00:00:00Z"/' \
	-e 's/"host": "h2-old"/"host": "h9-updated"/' \
	"$R/h2-old.json" >"$R/h9-updated-old.json"
sed 's/"host": "h1-ready"/"host": "h9-updated"/' \
	"$R/h1-ready.json" >"$R/h9-updated.json"
# Damage, and things that are not reports.
printf '{"format": 1, "host": ' >"$R/h10-damaged.json"
printf '{"format": 1, "host": "x", "time": "2026-01-01T00:00:00Z", "sources": [], "flags": {}, "keys": [{"key_id": 5}], "signers": [], "errors": []}' \
	>"$R/h11-types.json"
cp "$R/h1-ready.json" "$R/.h12-hidden.json"
cp "$R/h1-ready.json" "$R/notes.txt"
ln -s /etc/passwd "$R/h13-link.json"
mkfifo "$R/h14-fifo.json"

expect 1 "evaluate" -- "$EVAL" "$R" "$NEW_KEY" "$NEW_SIGN"
# Damage and refusal messages are long: keep their first word.
sed -e 's/\(damaged:\).*/\1/' -e 's/\(refused:\).*/\1/' "$T/out" >"$T/got"
if grep -q '^hosts 13 ready 6 not_ready 7$' "$T/got"; then ok; else
	fail "evaluate: counts: $(head -n 1 "$T/got")"; fi
for h in h1-ready h4-both h5-broken h7-store h8-env h9-updated; do
	grep -qx "ready $h" "$T/got" && ok || fail "evaluate: $h not ready"
done
grep -qx "not-ready h2-old h2-old.json key signer" "$T/got" && ok ||
	fail "evaluate: h2-old"
grep -qx "not-ready h3-nosigner h3-nosigner.json signer" "$T/got" && ok ||
	fail "evaluate: h3-nosigner"
grep -qx "not-ready h6-wrongpin h6-wrongpin.json key signer" "$T/got" && ok ||
	fail "evaluate: h6-wrongpin"
grep -qx "not-ready h10-damaged h10-damaged.json damaged:" "$T/got" && ok ||
	fail "evaluate: h10-damaged"
grep -qx "not-ready h11-types h11-types.json damaged:" "$T/got" && ok ||
	fail "evaluate: h11-types"
grep -q "keys\[0\].key_id" "$T/out" && ok ||
	fail "evaluate: the damaged member is not named"
for f in h1-ready-old:h1-ready h9-updated-old:h9-updated; do
	grep -qx "not-ready ${f%:*} ${f%:*}.json refused:" "$T/got" && ok ||
		fail "evaluate: ${f%:*}.json not refused: $(grep "${f%:*}" "$T/got")"
	grep -q "${f%:*}.json: the report claims to be host '${f#*:}'" \
		"$T/out" && ok || fail "evaluate: ${f%:*}: claimed host not named"
done
# The old pair: h2, h3 and h4 hold it.
expect 1 "evaluate old pair" -- "$EVAL" "$R" "$OLD_KEY" "$OLD_SIGN"
grep -q '^hosts 13 ready 3 ' "$T/out" && ok ||
	fail "evaluate old pair: $(head -n 1 "$T/out")"
# Only the ready ones left: all ready.
mkdir "$T/ready"
cp "$R/h1-ready.json" "$R/h4-both.json" "$R/h7-store.json" "$T/ready/"
expect 0 "evaluate all ready" -- "$EVAL" "$T/ready" "$NEW_KEY" "$NEW_SIGN"

# --- client failures: one stderr line, nothing on stdout ------------------
expect 2 "report without --out" -- "$CERTSEAL" report
expect_clean_failure "report without --out"
expect 2 "report with an operand" -- "$CERTSEAL" report --out "$R" extra
expect_clean_failure "report with an operand"
expect 1 "report, parent missing" -- "$CERTSEAL" -s "file:$T/new.pem" \
	report --out "$T/no/such/dir"
expect_clean_failure "report, parent missing"
# Under --json stdout holds only the error document (issue 15).
expect 1 "report --json, parent missing" -- "$CERTSEAL" -s "file:$T/new.pem" \
	report --out "$T/no/such/dir" --json
jq -e '.version == 1 and .error.code == 1 and (keys | length) == 2' \
	"$T/out" >/dev/null && ok || fail "report --json error: $(cat "$T/out")"
expect 2 "report, bad URI" -- "$CERTSEAL" -s "bogus:x" report --out "$R"
expect_clean_failure "report, bad URI"
expect 2 "report, bad --host" -- "$CERTSEAL" report --out "$R" --host ""
expect_clean_failure "report, bad --host"

# --- the admin side: rollout status and pair activate ---------------------
if ! "$CERTSEAL_ADMIN" rollout --help >/dev/null 2>&1; then
	echo "$(basename "$0"): certseal-admin has no rollout command yet;" \
		"admin part skipped"
	finish
	exit $?
fi
unset SOFTHSM2_CONF
export CERTSEAL_PROFILE="$T/admin/profile.json"
AR="$T/admin-reports"
mkdir -p "$T/admin"
expect 0 "init" -- "$CERTSEAL_ADMIN" init --reports "$AR" \
	--config "$T/app.conf"
expect 1 "status, no directory yet" -- "$CERTSEAL_ADMIN" rollout status
expect_clean_failure "status, no directory yet"
expect 0 "pair generate" -- "$CERTSEAL_ADMIN" pair generate \
	--algorithm ec-p256
PAIR=$(cat "$T/out")
expect 0 "pair export" -- "$CERTSEAL_ADMIN" pair export "$PAIR" \
	-o "$T/pair.p12" --password-file "$T/pin"
PSRC="file:$T/pair.p12?pin-source=$T/pin"
mkdir -p "$AR"
expect 5 "status, no reports" -- "$CERTSEAL_ADMIN" rollout status
grep -q "no readiness reports" "$T/out" && ok || fail "status, no reports: $(cat "$T/out")"
expect 0 "a1 report" -- "$CERTSEAL" -s "$PSRC" report --out "$AR" --host a1
expect 0 "a2 report" -- "$CERTSEAL" -s "$PSRC" -s "file:$T/old.pem" \
	report --out "$AR" --host a2
expect 0 "a3 report" -- "$CERTSEAL" -s "file:$T/old.pem" \
	report --out "$AR" --host a3
expect 5 "status, a3 not ready" -- "$CERTSEAL_ADMIN" rollout status
grep -q "^2 of 3 hosts ready for pair $PAIR; not ready: a3 (missing key and missing signer)$" \
	"$T/out" && ok || fail "status summary: $(cat "$T/out")"
expect 5 "status --json" -- "$CERTSEAL_ADMIN" rollout status --json \
	--pair "$PAIR" --reports "$AR"
grep -q '"all_ready": false' "$T/out" && ok || fail "status --json: $(cat "$T/out")"
grep -q '"ready": 2' "$T/out" && ok || fail "status --json counts"
expect 5 "activate refused" -- "$CERTSEAL_ADMIN" pair activate "$PAIR"
grep -q "a3" "$T/err" && ok || fail "activate: a3 not named: $(cat "$T/err")"
# A copy of a1's report under another name speaks for nobody: refused,
# and both names are said, by status and by activate.
cp "$AR/a1.json" "$AR/a4.json"
expect 5 "status, a report for another host" -- "$CERTSEAL_ADMIN" rollout status
grep -q "a4 (report refused: it claims to be a1)" "$T/out" && ok ||
	fail "status: a4's claim not named: $(cat "$T/out")"
expect 5 "activate refused, a4" -- "$CERTSEAL_ADMIN" pair activate "$PAIR"
grep -q "a4 (report refused: it claims to be a1)" "$T/err" && ok ||
	fail "activate: a4's claim not named: $(cat "$T/err")"
rm -f "$AR/a4.json"
expect 1 "status --pair unknown" -- "$CERTSEAL_ADMIN" rollout status \
	--pair 0000ffff0000
expect_clean_failure "status --pair unknown"
expect 2 "rollout bad verb" -- "$CERTSEAL_ADMIN" rollout count
expect_clean_failure "rollout bad verb"
# A hostile host name is printed without its control characters.
sed 's/"host": "a1"/"host": "evil\\u001b]0;x\\u0007"/' "$AR/a1.json" \
	>"$AR/evil.json"
expect 5 "status, hostile report" -- "$CERTSEAL_ADMIN" rollout status
if grep -q "$(printf '\033')" "$T/out"; then
	fail "an escape character reached the terminal"
else
	ok
fi
rm -f "$AR/a3.json" "$AR/evil.json"
expect 0 "status, all ready" -- "$CERTSEAL_ADMIN" rollout status
grep -q "^2 of 2 hosts ready for pair $PAIR$" "$T/out" && ok ||
	fail "status, all ready: $(cat "$T/out")"
expect 0 "activate" -- "$CERTSEAL_ADMIN" pair activate "$PAIR"
# Active now: status without --pair counts for the active pair.
expect 0 "status, active pair" -- "$CERTSEAL_ADMIN" rollout status

finish
