#!/bin/sh
# Legacy PKCS#12 (issue 11, 12.5): bundles as `openssl pkcs12 -export
# -legacy` and older Windows write them (RC2-40 certificate safe, 3DES
# shrouded key) open in file: and import into the store; OpenSSL's legacy
# provider is loaded for PKCS#12 only.  The work bound itself is in
# tests/unit/test-p12-cost.c.
. "${top_srcdir:-.}/tests/integration/lib.sh"

openssl list -providers -provider legacy >/dev/null 2>&1 || {
	echo "OpenSSL's legacy provider is not installed: skipped" >&2
	exit 77
}
printf 'listen = 8443\n' >"$T/config"
make_cert admin p256
make_cert client rsa2048
(umask 077 && cat "$T/admin.key" "$T/admin.crt" >"$T/admin.pem")
printf 'pw\n' >"$T/pw"
chmod 600 "$T/pw"
(umask 077 && openssl pkcs12 -export -legacy -inkey "$T/client.key" \
	-in "$T/client.crt" -certfile "$T/admin.crt" -passout pass:pw \
	-out "$T/legacy.p12")
# It is what the issue says: RC2-40 and 3DES (independent: openssl).
openssl pkcs12 -legacy -info -noout -in "$T/legacy.p12" -passin pass:pw \
	>"$T/info" 2>&1
grep -q "40BitRC2" "$T/info" && ok || fail "not RC2-40: $(cat "$T/info")"
grep -q "3-KeyTripleDES" "$T/info" && ok || fail "not 3DES: $(cat "$T/info")"

expect 0 "seal" -- "$CERTSEAL_ADMIN" seal --recipient "$T/client.crt" \
	--signer "file:$T/admin.pem" --name app --sequence 1 -o "$T/sealed" \
	"$T/config"
expect 0 "legacy bundle in file:, strict" -- "$CERTSEAL" \
	-s "file:$T/legacy.p12?pin-source=$T/pw" --accept-encrypted-data-only \
	open "$T/sealed"
same_bytes "$T/out" "$T/config" "legacy file:"
expect 6 "legacy bundle, wrong password" -- env CERTSEAL_PIN=nope \
	"$CERTSEAL" -s "file:$T/legacy.p12" open "$T/sealed"
expect_clean_failure "legacy bundle, wrong password"
expect 0 "legacy bundle: store import" -- "$CERTSEAL" store import \
	"$T/legacy.p12" --password-file "$T/pw" --json
[ "$(jq '.signers | length' "$T/out")" = 1 ] && ok ||
	fail "legacy import: signers $(cat "$T/out")"
expect 0 "legacy bundle via store:, strict" -- "$CERTSEAL" -s store: \
	--accept-encrypted-data-only open "$T/sealed"
same_bytes "$T/out" "$T/config" "legacy store:"

# The same with a MAC-less, password-less legacy bundle (-nomac).
(umask 077 && openssl pkcs12 -export -legacy -nomac -inkey "$T/client.key" \
	-in "$T/client.crt" -certfile "$T/admin.crt" -passout pass:pw \
	-out "$T/nomac.p12")
expect 0 "legacy bundle without MAC" -- "$CERTSEAL" \
	-s "file:$T/nomac.p12?pin-source=$T/pw" --accept-encrypted-data-only \
	open "$T/sealed"
# Current bundles (AES-256, PBKDF2) still load.
(umask 077 && openssl pkcs12 -export -inkey "$T/client.key" \
	-in "$T/client.crt" -certfile "$T/admin.crt" -passout pass:pw \
	-out "$T/modern.p12")
expect 0 "modern bundle" -- "$CERTSEAL" \
	-s "file:$T/modern.p12?pin-source=$T/pw" --accept-encrypted-data-only \
	open "$T/sealed"
finish
