#!/bin/sh
# The client side of issue 5 on the command line: a PKCS#12 exported by
# certseal-admin imported into the local store; the same configuration
# opened through the default store, every spelling of the machine store,
# the CurrentUser store, a client token and source chains; what
# `sources` and `check` say; strict mode against plaintext, unsigned,
# untrusted and rolled-back files; damaged store entries; a source error
# followed by a source that opens.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_softhsm

export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF
printf 'db.password = s3cr3t\nlisten = 8443\n' >"$T/app.conf"
printf 'export-pass\n' >"$T/p12.pass"
printf '4321\n' >"$T/client.pin"
printf '9999\n' >"$T/wrong.pin"
chmod 600 "$T/p12.pass" "$T/client.pin" "$T/wrong.pin"

# expect_stdout_empty DESCRIPTION: the failure rule for stdout alone (a
# warning may precede the error line on stderr).
expect_stdout_empty() {
	if [ -s "$T/out" ]; then
		fail "$1: printed $(wc -c <"$T/out") bytes on stdout"
	else
		ok
	fi
}

# --- the admin: a pair, its exports, two saves ------------------------------
expect 0 "init" -- "$CERTSEAL_ADMIN" init --config "$T/app.sealed" --name app
expect 0 "pair generate" -- "$CERTSEAL_ADMIN" pair generate --label client
P=$(cat "$T/out")
expect 0 "export p12" -- "$CERTSEAL_ADMIN" pair export "$P" \
	-o "$T/client.p12" --password-file "$T/p12.pass"
# Client tokens live beside the admin's (one SoftHSM2 configuration, as
# export --to needs): "with key" gets the pair, "no key" stays empty.
CONF="$T/admin/token/softhsm2.conf"
for label in "with key" "no key"; do
	SOFTHSM2_CONF="$CONF" softhsm2-util --init-token --free \
		--label "$label" --pin 4321 --so-pin 87654321 >/dev/null ||
		fail "softhsm2-util --init-token $label"
done
M="module-path=$SOFTHSM_MODULE"
KEYTOKEN="pkcs11:token=with%20key?$M&pin-source=$T/client.pin"
NOKEYTOKEN="pkcs11:token=no%20key?$M&pin-source=$T/client.pin"
WRONGPIN="pkcs11:token=with%20key?$M&pin-source=$T/wrong.pin"
expect 0 "export --to a client token" -- "$CERTSEAL_ADMIN" pair export "$P" \
	--to "$KEYTOKEN"
# From here on the client sees the same tokens.
export SOFTHSM2_CONF="$CONF"
expect 0 "activate" -- "$CERTSEAL_ADMIN" pair activate "$P"
expect 0 "save 1" -- "$CERTSEAL_ADMIN" save "$T/app.conf"
cp "$T/app.sealed" "$T/app-seq1.sealed"
printf 'listen = 9443\n' >>"$T/app.conf"
expect 0 "save 2" -- "$CERTSEAL_ADMIN" save "$T/app.conf"
cmp -s "$T/app.sealed" "$T/app-seq1.sealed" && fail "second save changed nothing" || ok
# The client's certificates, as an outsider sees them.
openssl pkcs12 -in "$T/client.p12" -passin pass:export-pass -clcerts \
	-nokeys -out "$T/client.crt" 2>/dev/null || fail "p12: client certificate"
KEYID=$(openssl x509 -in "$T/client.crt" -noout -ext subjectKeyIdentifier |
	tail -n 1 | tr -d ' :' | tr 'A-F' 'a-f')
[ -n "$KEYID" ] && ok || fail "client certificate has no SKID"

# --- store import ------------------------------------------------------------
expect 3 "empty default store: no key" -- "$CERTSEAL" open "$T/app.sealed"
expect_clean_failure "empty default store"
# The store's own advice survives the generic "none of the sources".
grep -q 'store LocalMachine/My is empty or missing.*`certseal store import`' \
	"$T/err" && ok || fail "empty default store: no import hint: $(cat "$T/err")"
expect 0 "store import" -- "$CERTSEAL" store import "$T/client.p12" \
	--password-file "$T/p12.pass"
grep -q "key $KEYID added" "$T/out" && ok || fail "import: $(cat "$T/out")"
expect 0 "store import again" -- "$CERTSEAL" store import "$T/client.p12" \
	--password-file "$T/p12.pass"
grep -q "key $KEYID already present" "$T/out" && ok ||
	fail "import twice: $(cat "$T/out")"
expect 0 "store list --json" -- "$CERTSEAL" store list --json
[ "$(grep -c '"kind": "key"' "$T/out")" -eq 1 ] &&
	[ "$(grep -c '"kind": "signer"' "$T/out")" -eq 1 ] && ok ||
	fail "after two imports the store holds: $(cat "$T/out")"
[ "$(find "$CERTSEAL_STORE_ROOT" -type f ! -perm 0600 | wc -l)" -eq 0 ] &&
	[ "$(find "$CERTSEAL_STORE_ROOT" -type d ! -perm 0700 | wc -l)" -eq 0 ] &&
	ok || fail "store modes: $(find "$CERTSEAL_STORE_ROOT" -printf '%m %p\n')"
expect 0 "store import CurrentUser" -- "$CERTSEAL" store import \
	"$T/client.p12" --store CurrentUser/My --password-file "$T/p12.pass"
[ -n "$(find "$XDG_DATA_HOME/certseal/stores" -name "$KEYID*" 2>/dev/null)" ] &&
	ok || fail "CurrentUser store is not under XDG_DATA_HOME"

# --- one configuration, every way of naming the store -------------------------
# open_as DESCRIPTION [CERTSEAL ARGS...]: opens app.sealed strictly and
# compares the plaintext.
open_as() {
	what=$1
	shift
	expect 0 "$what" -- "$CERTSEAL" "$@" --accept-encrypted-data-only \
		open "$T/app.sealed"
	same_bytes "$T/out" "$T/app.conf" "$what"
}
open_as "no -s: the default store"
# One walk of the store a signed open (issue 16): the key and the trusted
# signers are read below the same store directory, each file with one
# fstat and no fcntl, and the owner checks ask for the euid once.  The old
# open walked the store path twice, re-opened keys/, toggled O_NONBLOCK on
# every file and called geteuid before every check.  The store directory
# is reached by the walk of every trusted directory (dir-safe.c), one
# openat a component: its last one, "My", is counted.  Not under `make
# memcheck`: valgrind's own system calls would be counted.
if [ -n "${MEMCHECK_BUILDDIR:-}" ]; then
	echo "store open's system calls: not counted under valgrind"
elif command -v strace >/dev/null 2>&1; then
	strace -f -e trace=openat,fcntl,geteuid,fstat,newfstatat \
		-o "$T/strace.open" "$CERTSEAL" --accept-encrypted-data-only \
		open "$T/app.sealed" >"$T/out" 2>"$T/err"
	same_bytes "$T/out" "$T/app.conf" "open under strace"
	n=$(grep -c 'O_DIRECTORY.*= [0-9]' "$T/strace.open" | tr -d ' ')
	stores=$(grep -c 'openat([0-9]*, "My", .*O_DIRECTORY' "$T/strace.open")
	setfl=$(grep -c 'F_SETFL' "$T/strace.open")
	euid=$(grep -c 'geteuid' "$T/strace.open")
	[ "$stores" -eq 1 ] && [ "$setfl" -eq 0 ] && [ "$euid" -le 1 ] && ok ||
		fail "store open: store opened $stores times, $setfl F_SETFL, $euid geteuid ($n directories)"
fi
open_as "store:LocalMachine/My" -s store:LocalMachine/My
open_as "store:" -s store:
open_as "[LocalMachine]\\My" -s '[LocalMachine]\My'
open_as "store:CurrentUser/My" -s store:CurrentUser/My
open_as "[CurrentUser]\\My" -s '[CurrentUser]\My'
open_as "a client token only" -s "$KEYTOKEN"
open_as "token without the key, then the store" -s "$NOKEYTOKEN" -s store:
open_as "store without the key, then the token" -s store:LocalMachine/Other \
	-s "$KEYTOKEN"
expect 3 "only sources without the key" -- "$CERTSEAL" -s "$NOKEYTOKEN" \
	-s store:LocalMachine/Other open "$T/app.sealed"
expect_clean_failure "only sources without the key"
grep -q '2 certificate source' "$T/err" && ok ||
	fail "no-key message does not count the sources: $(cat "$T/err")"

# `check` names the source and the key that would open the file.
expect 0 "check, chain" -- "$CERTSEAL" -s "$NOKEYTOKEN" -s store: \
	check "$T/app.sealed"
grep -q "source: *store:" "$T/out" && grep -q "key id: *$KEYID" "$T/out" &&
	ok || fail "check: $(cat "$T/out")"
grep -q 's3cr3t' "$T/out" && fail "check printed the configuration" || ok
expect 0 "check --json, token" -- "$CERTSEAL" -s "$KEYTOKEN" check --json \
	"$T/app.sealed"
grep -q '"source": "pkcs11:token=with%20key' "$T/out" &&
	grep -q "\"key_id\": \"$KEYID\"" "$T/out" && ok ||
	fail "check --json: $(cat "$T/out")"
expect 0 "sources" -- "$CERTSEAL" -s "$KEYTOKEN" -s store: sources
grep -q 'store:LocalMachine/My\|"uri": "store:' "$T/out" &&
	grep -q 'with key' "$T/out" && [ "$(grep -c "$KEYID" "$T/out")" -ge 2 ] &&
	ok || fail "sources does not name both sources and the key: $(head -c 600 "$T/out")"

# --- CERTSEAL_CERTIFICATE_SOURCE ----------------------------------------------
expect 0 "env source" -- env CERTSEAL_CERTIFICATE_SOURCE="store:CurrentUser/My" \
	CERTSEAL_STORE_ROOT="$T/empty-stores" "$CERTSEAL" open "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "env source"
expect 3 "no env source, empty machine store" -- env \
	CERTSEAL_STORE_ROOT="$T/empty-stores" "$CERTSEAL" open "$T/app.sealed"
expect_clean_failure "no env source"
expect 0 "env chain" -- env \
	CERTSEAL_CERTIFICATE_SOURCE="$NOKEYTOKEN store:LocalMachine/Other
	$KEYTOKEN" "$CERTSEAL" check "$T/app.sealed"
grep -q 'source: *pkcs11:token=with%20key' "$T/out" && ok ||
	fail "env chain: $(cat "$T/out")"
expect 2 "env: bad URI" -- env CERTSEAL_CERTIFICATE_SOURCE="nosuch:x" \
	"$CERTSEAL" open "$T/app.sealed"
expect_clean_failure "env: bad URI"
expect 5 "CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY" -- env \
	CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY=1 "$CERTSEAL" open "$T/app.conf"
expect_clean_failure "CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY"

# --- strict mode ------------------------------------------------------------------
expect 0 "plaintext passes through" -- "$CERTSEAL" open "$T/app.conf"
same_bytes "$T/out" "$T/app.conf" "plaintext pass-through"
expect 5 "strict: plaintext" -- "$CERTSEAL" --accept-encrypted-data-only \
	open "$T/app.conf"
expect_clean_failure "strict: plaintext"
expect 5 "strict: plaintext, -o" -- "$CERTSEAL" --accept-encrypted-data-only \
	open "$T/app.conf" -o "$T/plain.out"
[ ! -e "$T/plain.out" ] && ok || fail "refused open created its -o file"

# Encrypted with OAEP-SHA256 to the client's certificate, not signed.
openssl cms -encrypt -binary -aes-256-gcm -in "$T/app.conf" -recip "$T/client.crt" \
	-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 \
	-outform PEM -out "$T/unsigned.sealed" 2>"$T/cms.err" ||
	fail "openssl cms -encrypt: $(cat "$T/cms.err")"
expect 0 "unsigned, not strict" -- "$CERTSEAL" open "$T/unsigned.sealed"
same_bytes "$T/out" "$T/app.conf" "unsigned open"
expect 5 "strict: unsigned" -- "$CERTSEAL" --accept-encrypted-data-only \
	open "$T/unsigned.sealed"
expect_clean_failure "strict: unsigned"
expect 5 "strict: unsigned, token" -- "$CERTSEAL" -s "$KEYTOKEN" \
	--accept-encrypted-data-only open "$T/unsigned.sealed"
expect_clean_failure "strict: unsigned, token"

# Sealed to the client, signed by a key nobody trusts.
make_cert rogue rsa2048
(umask 077 && cat "$T/rogue.key" "$T/rogue.crt" >"$T/rogue.pem")
expect 0 "seal with an untrusted signer" -- "$CERTSEAL_ADMIN" seal \
	--recipient "$T/client.crt" --signer "file:$T/rogue.pem" \
	--name app --sequence 1000 -o "$T/rogue.sealed" "$T/app.conf"
expect 4 "strict: untrusted signer" -- "$CERTSEAL" \
	--accept-encrypted-data-only open "$T/rogue.sealed"
expect_clean_failure "strict: untrusted signer"
expect 4 "untrusted signer, not strict" -- "$CERTSEAL" open "$T/rogue.sealed"
expect_clean_failure "untrusted signer, not strict"
# The untrusted file's sequence 1000 was not remembered.
expect 0 "after the untrusted file, save 2 still opens" -- "$CERTSEAL" \
	open "$T/app.sealed"

# Anti-rollback: sequence 2 seen, then sequence 1.
export CERTSEAL_STATE_DIR="$T/state-rollback"
expect 0 "rollback: newer first" -- "$CERTSEAL" --accept-encrypted-data-only \
	open "$T/app.sealed"
[ -n "$(ls -A "$CERTSEAL_STATE_DIR" 2>/dev/null)" ] && ok ||
	fail "no rollback state written"
expect 5 "rollback: older refused" -- "$CERTSEAL" \
	--accept-encrypted-data-only open "$T/app-seq1.sealed"
expect_clean_failure "rollback: older refused"
expect 5 "rollback: older refused, not strict" -- "$CERTSEAL" \
	open "$T/app-seq1.sealed" -o "$T/old.out"
[ ! -e "$T/old.out" ] && ok || fail "refused rollback created its -o file"
expect 0 "rollback: --allow-rollback" -- "$CERTSEAL" \
	--accept-encrypted-data-only --allow-rollback open "$T/app-seq1.sealed"
head -n 2 "$T/app.conf" | cmp -s - "$T/out" && ok ||
	fail "--allow-rollback did not print the first save"
expect 5 "rollback: still refused afterwards" -- "$CERTSEAL" \
	open "$T/app-seq1.sealed"
expect 0 "rollback: the newer one still opens" -- "$CERTSEAL" \
	open "$T/app.sealed"
export CERTSEAL_STATE_DIR="$T/state"

# --- a damaged store entry: a warning, skipped, the next source used ----------
KEYFILE=$(find "$CERTSEAL_STORE_ROOT/LocalMachine/My" -type f \
	-name "$KEYID*" ! -name '*.json' | head -n 1)
[ -n "$KEYFILE" ] && ok || fail "cannot find the store's key file"
chmod 0644 "$KEYFILE"
expect 3 "0644 entry: skipped" -- "$CERTSEAL" -s store:LocalMachine/My \
	open "$T/app.sealed"
expect_stdout_empty "0644 entry"
grep -q 'warning:.*skipping' "$T/err" && grep -q 'chmod 600' "$T/err" && ok ||
	fail "0644 entry: no warning naming the fix: $(cat "$T/err")"
expect 0 "0644 entry, then CurrentUser" -- "$CERTSEAL" \
	-s store:LocalMachine/My -s store:CurrentUser/My open "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "0644 entry, then CurrentUser"
grep -q 'warning:' "$T/err" && ok || fail "0644 entry skipped without a warning"
expect 0 "store list with a 0644 entry" -- "$CERTSEAL" store list
grep -q 'damaged' "$T/out" && ok || fail "store list: $(cat "$T/out")"
chmod 0600 "$KEYFILE"
expect 0 "entry repaired" -- "$CERTSEAL" -s store:LocalMachine/My \
	open "$T/app.sealed"

# --- a hard error in one source, the next source still tried -----------------
expect 6 "wrong PIN alone" -- env SOFTHSM2_CONF="$CONF" "$CERTSEAL" \
	-s "$WRONGPIN" open "$T/app.sealed"
expect_clean_failure "wrong PIN alone"
grep -q 'with%20key' "$T/err" && ok || fail "wrong PIN: source not named: $(cat "$T/err")"
grep -q '9999' "$T/err" && fail "the PIN reached a message" || ok
expect 0 "wrong PIN, then the store" -- env SOFTHSM2_CONF="$CONF" \
	"$CERTSEAL" -s "$WRONGPIN" -s store: open "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "wrong PIN, then the store"
grep -q 'warning:.*with%20key' "$T/err" && ok ||
	fail "a source error before a source that opens is not warned about (stderr: '$(cat "$T/err")')"
expect 6 "wrong PIN, then a source without the key" -- env \
	SOFTHSM2_CONF="$CONF" "$CERTSEAL" -s "$WRONGPIN" \
	-s store:LocalMachine/Other open "$T/app.sealed"
expect_clean_failure "wrong PIN, then no key"
expect 6 "missing module" -- "$CERTSEAL" \
	-s "pkcs11:token=x?module-path=$T/nosuch.so" open "$T/app.sealed"
expect_clean_failure "missing module"
expect 0 "missing module, then the store" -- "$CERTSEAL" \
	-s "pkcs11:token=x?module-path=$T/nosuch.so" -s store: \
	open "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "missing module, then the store"

# The wrong PIN reaches the token once; the chain goes on to the store.
SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
# pkcs11-spy keeps a small allocation for the life of the process (the
# library never calls C_Finalize); LeakSanitizer builds must not count it.
printf 'leak:pkcs11-spy.so\n' >"$T/lsan.supp"
SPYLSAN="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp"
if [ -r "$SPY" ]; then
	SPYWRONG="pkcs11:token=with%20key?module-path=$SPY&pin-source=$T/wrong.pin"
	expect 0 "wrong PIN under pkcs11-spy, then the store" -- env \
		LSAN_OPTIONS="$SPYLSAN" PKCS11SPY="$SOFTHSM_MODULE" \
		PKCS11SPY_OUTPUT="$T/spy.log" "$CERTSEAL" -s "$SPYWRONG" -s store: check "$T/app.sealed"
	n=$(grep -c '^[0-9]*: C_Login$' "$T/spy.log")
	[ "$n" -eq 1 ] && ok || fail "a wrong PIN was sent $n times"
	# The same URI twice is two sources: each sends the PIN once
	# (noted, not asserted: the user asked for it twice).
	env LSAN_OPTIONS="$SPYLSAN" PKCS11SPY="$SOFTHSM_MODULE" \
		PKCS11SPY_OUTPUT="$T/spy2.log" "$CERTSEAL" -s "$SPYWRONG" \
		-s "$SPYWRONG" check "$T/app.sealed" >/dev/null 2>&1
	echo "note: one wrong-PIN URI given twice sent C_Login" \
		"$(grep -c '^[0-9]*: C_Login$' "$T/spy2.log") time(s)"
fi

finish
