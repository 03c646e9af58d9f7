#!/bin/sh
# Issue 11, Inputs: a pin-value never appears in any message or output of
# either tool (URI parse errors, failures, `sources`, `init --token`); a
# long path keeps its reason; every failure is one stderr line, a warning
# before it folded in; CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY must say true
# or false.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/softhsm-env.sh"

PIN=S3cr3tPin77
no_pin() {
	if grep -qi "$PIN" "$T/out" "$T/err"; then
		fail "$1: the PIN shows: $(cat "$T/out" "$T/err" | head -c 300)"
	else
		ok
	fi
}
# run WHAT CMD...: any failure, one line, no PIN.
fails_quietly() {
	what=$1
	shift
	"$@" >"$T/out" 2>"$T/err" </dev/null && fail "$what: succeeded"
	expect_clean_failure "$what"
	no_pin "$what"
}

printf 'listen = 8443\n' >"$T/config"
file_pair
expect 0 "seal" -- "$CERTSEAL_ADMIN" seal --recipient "$T/client.crt" \
	--signer "file:$T/admin.pem" --name app --sequence 1 -o "$T/sealed" \
	"$T/config"

for uri in "pkcs11:token=x;bogus=1?pin-value=$PIN" \
	"pkcs11:token=x?pin%2Dvalue=$PIN&bogus=1" \
	"pkcs11:token=x?PIN-VALUE=$PIN&module-path=/nonexistent/m.so" \
	"pkcs11:token=x?pin-value=$PIN%20x&module-path=/nonexistent/m.so" \
	"file:$T/nope.p12?pin-value=$PIN" \
	"nosuchscheme:x?pin-value=$PIN" \
	"pkcs11:token=x?module-path=/nonexistent/m.so&pin-value=$PIN;x:y"; do
	fails_quietly "open -s $uri" "$CERTSEAL" -s "$uri" open "$T/sealed"
	fails_quietly "env $uri" env CERTSEAL_CERTIFICATE_SOURCE="$uri" \
		"$CERTSEAL" open "$T/sealed"
	fails_quietly "admin seal --signer $uri" "$CERTSEAL_ADMIN" seal \
		--recipient "$T/client.crt" --signer "$uri" -o "$T/x" "$T/config"
done

# Long paths keep the reason at the end of the one line.
long=$(printf 'abcdefghi/%.0s' $(seq 1 400))
expect 1 "long missing path" -- "$CERTSEAL" open "/$long"
expect_clean_failure "long missing path"
grep -q "No such file or directory$" "$T/err" && ok ||
	fail "long path lost its reason: $(tail -c 200 "$T/err")"
toolong=$(printf 'a%.0s' $(seq 1 5000))
expect 1 "name too long" -- "$CERTSEAL" open "/$toolong"
grep -q "File name too long$" "$T/err" && ok ||
	fail "too long lost its reason: $(tail -c 200 "$T/err")"
# (A failing source's message goes through envelope-key.c, which still
# cuts it at 700 bytes: not checked here until that is fixed.)
make_p12 client pw "$T/admin.crt"
expect 6 "long pin-source path" -- "$CERTSEAL" \
	-s "file:$T/client.p12?pin-source=/$long" open "$T/sealed"
expect_clean_failure "long pin-source path"
expect 1 "long store import path" -- "$CERTSEAL" store import "/$long"
grep -q "No such file or directory" "$T/err" && ok ||
	fail "long import path lost its reason: $(tail -c 200 "$T/err")"

# CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY: true, false, or a usage error.
for v in maybe 2 "" " true" strict; do
	expect 2 "ACCEPT_ENCRYPTED_DATA_ONLY='$v'" -- env \
		CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY="$v" "$CERTSEAL" open \
		"$T/config"
	expect_clean_failure "ACCEPT_ENCRYPTED_DATA_ONLY='$v'"
done
for v in 1 true TRUE Yes; do
	expect 5 "ACCEPT_ENCRYPTED_DATA_ONLY=$v refuses plaintext" -- env \
		CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY="$v" "$CERTSEAL" open \
		"$T/config"
done
for v in 0 false No; do
	expect 0 "ACCEPT_ENCRYPTED_DATA_ONLY=$v takes plaintext" -- env \
		CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY="$v" "$CERTSEAL" open \
		"$T/config"
done

# On a real token: a working pin-value URI, a failure after its warning,
# `sources`, and the admin's `init --token` confirmation.
if command -v softhsm2-util >/dev/null 2>&1 && [ -r "$SOFTHSM_MODULE" ]; then
	cs_softhsm_setup || exit 99
	trap 'cs_softhsm_cleanup; rm -rf "$T"' EXIT
	cs_softhsm_token msgs "$PIN"
	U="pkcs11:token=msgs?module-path=$SOFTHSM_MODULE&pin-value=$PIN"
	expect 0 "sources with a pin-value" -- "$CERTSEAL" -s "$U" sources \
		--json
	no_pin "sources --json"
	expect 0 "sources (text)" -- "$CERTSEAL" -s "$U" sources
	no_pin "sources"
	# the token holds no key for this file: the warning about pin-value
	# and the failure are one line
	fails_quietly "open after a pin-value warning" "$CERTSEAL" -s "$U" \
		open "$T/sealed"
	grep -q "pin-value" "$T/err" && ok ||
		fail "the pin-value warning was lost: $(cat "$T/err")"
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label msgs --login \
		--pin "$PIN" --keypairgen --key-type EC:prime256v1 \
		--label admin-sign --id 01 >/dev/null 2>&1 ||
		fail "pkcs11-tool keypairgen"
	export CERTSEAL_PROFILE="$T/admin/profile.json"
	"$CERTSEAL_ADMIN" init --token "$U" --config "$T/app.conf" \
		--name app >"$T/out" 2>"$T/err" </dev/null
	no_pin "init --token"
	grep -q "REDACTED" "$T/err" && ok ||
		fail "init --token: no redacted confirmation: $(cat "$T/err")"
	if [ -f "$CERTSEAL_PROFILE" ]; then
		grep -q "$PIN" "$CERTSEAL_PROFILE" &&
			echo "note: the profile stores the pin-value URI as given" >&2
	fi
else
	echo "test-client-messages: SoftHSM2 not installed: token cases skipped" >&2
fi
finish
