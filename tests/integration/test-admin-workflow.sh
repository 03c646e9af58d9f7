#!/bin/sh
# The original workflow end to end on a SoftHSM2 token that `init` creates:
# init -> pair generate -> export -> client -> activate -> save -> open,
# then a pair exchange, the PKCS#12 checked with openssl and GnuTLS, the
# token's key attributes checked with pkcs11-tool, show/edit, and saves
# killed at random moments.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_softhsm
require_tools pkcs11-tool certtool

export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF
printf 'db.password = s3cr3t\nlisten = 8443\n' >"$T/app.conf"
printf 'export-pass\n' >"$T/p12.pass"
chmod 600 "$T/p12.pass"

# --- 1. init and generate ---------------------------------------------
expect 0 "init" -- "$CERTSEAL_ADMIN" init --config "$T/app.sealed" --name app
[ "$(stat -c %a "$CERTSEAL_PROFILE")" = 600 ] && ok || fail "profile mode"
[ "$(stat -c %a "$T/admin/token/user.pin")" = 600 ] && ok || fail "pin mode"
expect 1 "init twice" -- "$CERTSEAL_ADMIN" init
expect_clean_failure "init twice"
expect 0 "pair generate" -- "$CERTSEAL_ADMIN" pair generate --label "app one"
P1=$(cat "$T/out")
echo "$P1" | grep -Eq '^[0-9a-f]{12}$' && ok || fail "pair id '$P1'"
expect 0 "pair list --json" -- "$CERTSEAL_ADMIN" pair list --json
grep -q "\"$P1\"" "$T/out" && grep -q '"pending"' "$T/out" && ok ||
	fail "pair list: $(cat "$T/out")"

# --- 2. the token: signing key sensitive, never extractable ------------
CONF="$T/admin/token/softhsm2.conf"
PIN=$(cat "$T/admin/token/user.pin")
SOFTHSM2_CONF="$CONF" pkcs11-tool --module "$SOFTHSM_MODULE" \
	--token-label certseal-admin --login --pin "$PIN" --list-objects \
	--type privkey >"$T/objects" 2>/dev/null
grep -A12 'app one signing' "$T/objects" >"$T/signkey"
grep -q 'never extractable' "$T/signkey" && ok ||
	fail "signing key not never-extractable: $(cat "$T/signkey")"
grep -q 'sensitive' "$T/signkey" && ok || fail "signing key not sensitive"
grep -A12 'app one encryption' "$T/objects" | grep -q 'sensitive' && ok ||
	fail "encryption key not sensitive"

# --- 3. export: PKCS#12 for OpenSSL and GnuTLS -------------------------
expect 0 "export p12" -- "$CERTSEAL_ADMIN" pair export "$P1" \
	-o "$T/p1.p12" --password-file "$T/p12.pass"
[ "$(stat -c %a "$T/p1.p12")" = 600 ] && ok || fail "p12 mode"
openssl pkcs12 -in "$T/p1.p12" -passin pass:export-pass -nodes \
	-out "$T/p1.pem" 2>/dev/null && ok || fail "openssl pkcs12 cannot load"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/p1.pem")" -eq 2 ] && ok ||
	fail "p12 does not hold two certificates"
grep -q 'PRIVATE KEY' "$T/p1.pem" && ok || fail "p12 holds no key"
certtool --p12-info --inder --infile "$T/p1.p12" \
	--password export-pass >"$T/certtool" 2>&1 && ok ||
	fail "certtool --p12-info: $(tail -3 "$T/certtool")"
expect 0 "export --legacy" -- "$CERTSEAL_ADMIN" pair export "$P1" \
	-o "$T/p1-legacy.p12" --password-file "$T/p12.pass" --legacy
openssl pkcs12 -in "$T/p1-legacy.p12" -passin pass:export-pass -nodes \
	-info -out /dev/null 2>"$T/info" && grep -q '3DES\|TripleDES' "$T/info" &&
	ok || fail "legacy p12: $(cat "$T/info")"
expect 6 "export without password" -- env -u CERTSEAL_PIN \
	"$CERTSEAL_ADMIN" pair export "$P1" -o "$T/nopass.p12"
[ ! -e "$T/nopass.p12" ] && ok || fail "export without password wrote"

# --- 4. activate, save, open -------------------------------------------
expect 1 "save without an active pair" -- "$CERTSEAL_ADMIN" save "$T/app.conf"
expect_clean_failure "save without an active pair"
expect 0 "activate" -- "$CERTSEAL_ADMIN" pair activate "$P1"
expect 0 "save" -- "$CERTSEAL_ADMIN" save "$T/app.conf"
S1="file:$T/p1.p12?pin-source=$T/p12.pass"
expect 0 "client opens strict" -- "$CERTSEAL" -s "$S1" \
	--accept-encrypted-data-only open "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "client open"
expect 0 "admin show" -- "$CERTSEAL_ADMIN" show
same_bytes "$T/out" "$T/app.conf" "admin show"

# The openssl cms escape hatch with the exported bundle.
split_p12 "$T/p1.p12" "$T/p1"
openssl cms -decrypt -in "$T/app.sealed" -inform PEM -recip "$T/p1.crt" \
	-inkey "$T/p1.key" -binary -out "$T/inner.der" 2>/dev/null &&
openssl cms -verify -in "$T/inner.der" -inform DER -binary \
	-CAfile "$T/p1-signer.crt" -purpose any -out "$T/recovered" 2>/dev/null &&
	ok || fail "openssl escape hatch on a saved file"
same_bytes "$T/recovered" "$T/app.conf" "escape hatch"

# --- 5. a client token: export --to pkcs11: ----------------------------
printf '4321\n' >"$T/client.pin"
chmod 600 "$T/client.pin"
SOFTHSM2_CONF="$CONF" softhsm2-util --init-token --free --label "client one" \
	--pin 4321 --so-pin 87654321 >/dev/null
CLIENT_URI="pkcs11:token=client%20one?module-path=$SOFTHSM_MODULE&pin-source=$T/client.pin"
expect 0 "export --to token" -- "$CERTSEAL_ADMIN" pair export "$P1" \
	--to "$CLIENT_URI"
expect 0 "client token opens strict" -- env SOFTHSM2_CONF="$CONF" \
	"$CERTSEAL" \
	-s "$CLIENT_URI" --accept-encrypted-data-only open "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "client token open"
# Again: the key is there; no second key under its CKA_ID (pkcs11-tool
# counts), and no warning at the next open.
expect 0 "export --to token again" -- "$CERTSEAL_ADMIN" pair export "$P1" \
	--to "$CLIENT_URI"
contains_text() { grep -q -- "$2" "$1" && ok || fail "$3: $(cat "$1")"; }
contains_text "$T/err" "holds its key already" "a second export says so"
n=$(SOFTHSM2_CONF="$CONF" pkcs11-tool --module "$SOFTHSM_MODULE" \
	--token-label "client one" --login --pin 4321 --list-objects \
	--type privkey 2>/dev/null | grep -c "Private Key Object")
[ "$n" -eq 1 ] && ok || fail "$n private keys on the client token after two exports"
expect 0 "client token opens, no warning" -- env SOFTHSM2_CONF="$CONF" \
	"$CERTSEAL" -s "$CLIENT_URI" open "$T/app.sealed"
[ ! -s "$T/err" ] && ok || fail "open after two exports: $(cat "$T/err")"

# --- 6. pair exchange ------------------------------------------------------
expect 0 "generate P2" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256 \
	--label "app two"
P2=$(cat "$T/out")
expect 0 "export P2" -- "$CERTSEAL_ADMIN" pair export "$P2" \
	-o "$T/p2.p12" --password-file "$T/p12.pass"
S2="file:$T/p2.p12?pin-source=$T/p12.pass"
printf 'listen = 9443\n' >>"$T/app.conf"
expect 0 "save --include-pending" -- "$CERTSEAL_ADMIN" save "$T/app.conf" \
	--include-pending
for s in "$S1" "$S2"; do
	expect 0 "old and new pair open during the exchange" -- "$CERTSEAL" \
		-s "$s" --accept-encrypted-data-only open "$T/app.sealed"
	same_bytes "$T/out" "$T/app.conf" "exchange open"
done
expect 0 "activate P2" -- "$CERTSEAL_ADMIN" pair activate "$P2"
expect 0 "list after activation" -- "$CERTSEAL_ADMIN" pair list --json
grep -A3 "\"$P1\"" "$T/out" | grep -q retired ||
	grep -B3 -A10 "\"$P1\"" "$T/out" | grep -q '"retired"' && ok ||
	fail "old pair not retired"
expect 0 "save with P2" -- "$CERTSEAL_ADMIN" save
expect 0 "new pair opens" -- "$CERTSEAL" -s "$S2" \
	--accept-encrypted-data-only open "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "new pair open"
expect 3 "old pair only: no key" -- "$CERTSEAL" -s "$S1" \
	--accept-encrypted-data-only open "$T/app.sealed"
expect_clean_failure "old pair only"
expect 1 "remove refuses the active pair" -- "$CERTSEAL_ADMIN" pair remove "$P2"
expect 1 "export refuses a retired pair" -- "$CERTSEAL_ADMIN" pair export \
	"$P1" -o "$T/retired.p12" --password-file "$T/p12.pass"
[ ! -e "$T/retired.p12" ] && ok || fail "retired export wrote a file"

# --- 7. edit ------------------------------------------------------------
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
cp "$T/app.sealed" "$T/before-edit"
expect 0 "edit without change" -- env EDITOR=true "$CERTSEAL_ADMIN" edit
same_bytes "$T/app.sealed" "$T/before-edit" "unchanged edit keeps the file"
expect 0 "edit" -- env EDITOR="sed -i s/9443/10443/" "$CERTSEAL_ADMIN" edit
expect 0 "client sees the edit" -- "$CERTSEAL" -s "$S2" open "$T/app.sealed"
grep -q 10443 "$T/out" && ok || fail "edit did not land"
expect 1 "editor fails: nothing saved" -- env EDITOR=false "$CERTSEAL_ADMIN" edit
[ -z "$(ls -A "$TMPDIR")" ] && ok || fail "edit left $(ls -A "$TMPDIR")"
# The editor's environment holds no PIN.
printf '#!/bin/sh\nenv >"%s/editor-env"\n' "$T" >"$T/env-editor"
chmod +x "$T/env-editor"
expect 0 "edit env" -- env CERTSEAL_PIN=leak EDITOR="$T/env-editor" \
	"$CERTSEAL_ADMIN" edit
grep -q CERTSEAL_PIN "$T/editor-env" && fail "CERTSEAL_PIN reached the editor" || ok
unset TMPDIR

# --- 8. saves killed at random moments -----------------------------------
# Start from a file that holds app.conf: every kill must leave it so.
expect 0 "save before the kills" -- "$CERTSEAL_ADMIN" save "$T/app.conf"
good=0
for i in $(seq 1 40); do
	"$CERTSEAL_ADMIN" save "$T/app.conf" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%02d' $(( (i * 7) % 20 )))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if "$CERTSEAL" -s "$S2" open "$T/app.sealed" >"$T/killed" 2>/dev/null &&
	    cmp -s "$T/killed" "$T/app.conf"; then
		good=$((good + 1))
	fi
done
[ "$good" -eq 40 ] && ok || fail "after killed saves only $good of 40 opened"
leftover=$(ls -A "$T" | grep -c '\.tmp$' || true)
[ "$leftover" -eq 0 ] && ok || fail "killed saves left $leftover temp files"

finish
