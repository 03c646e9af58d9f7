#!/bin/sh
# Issue 11, client side: a certificate for a decryption key the source
# holds is never a trusted signer (file:, store:, store import), whatever
# its bytes, subject or serial; special files at every input path are
# refused at once.
. "${top_srcdir:-.}/tests/integration/lib.sh"

printf 'listen = 8443\n' >"$T/config"
make_cert admin p256
make_cert client p256
(umask 077 && cat "$T/admin.key" "$T/admin.crt" >"$T/admin.pem")
(umask 077 && cat "$T/client.key" "$T/client.crt" >"$T/client-signer.pem")
# A second certificate for the client's key: other subject, serial, bytes.
openssl req -new -x509 -key "$T/client.key" -subj "/CN=not the client" \
	-days 30 -set_serial 4242 -addext subjectKeyIdentifier=hash \
	-out "$T/client-alias.crt" 2>/dev/null
(umask 077 && cat "$T/client.key" "$T/client-alias.crt" \
	>"$T/client-alias-signer.pem")
cmp -s "$T/client.crt" "$T/client-alias.crt" && fail "alias is identical"
make_p12 client pw "$T/admin.crt" "$T/client-alias.crt"
printf 'pw\n' >"$T/pw"
chmod 600 "$T/pw"
SRC="file:$T/client.p12?pin-source=$T/pw"

# The admin's file opens strictly; forgeries made with the client's own
# key, under either of its certificates, do not.
expect 0 "seal by admin" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/client.crt" --signer "file:$T/admin.pem" --name app --sequence 1 \
	-o "$T/good" "$T/config"
expect 0 "admin's file, file:" -- "$CERTSEAL" -s "$SRC" \
	--accept-encrypted-data-only open "$T/good"
for who in client-signer client-alias-signer; do
	expect 0 "forge ($who)" -- "$CERTSEAL_ADMIN" seal --recipient \
		"$T/client.crt" --signer "file:$T/$who.pem" --name app \
		--sequence 9 -o "$T/forged-$who" "$T/config"
	expect 4 "forged by the client key ($who), file:" -- "$CERTSEAL" \
		-s "$SRC" --accept-encrypted-data-only open "$T/forged-$who"
	expect_clean_failure "forged ($who), file:"
done
# `sources` does not list the alias as a trusted signer.
expect 0 "sources file:" -- "$CERTSEAL" -s "$SRC" sources --json
n=$(jq '[.sources[0].trusted_signers[]?] | length' "$T/out")
[ "$n" = 1 ] && ok || fail "file: trusts $n signers, expected 1 (the admin)"

# store import leaves the alias out; the store source does not trust it.
expect 0 "store import" -- "$CERTSEAL" store import "$T/client.p12" \
	--password-file "$T/pw" --json
n=$(jq '.signers | length' "$T/out")
[ "$n" = 1 ] && ok || fail "import trusted $n signers, expected 1"
expect 0 "admin's file, store:" -- "$CERTSEAL" -s store: \
	--accept-encrypted-data-only open "$T/good"
expect 4 "forged (alias), store:" -- "$CERTSEAL" -s store: \
	--accept-encrypted-data-only open "$T/forged-client-alias-signer"
expect_clean_failure "forged (alias), store:"
# A signer planted by hand (as an old certseal imported it) is not
# trusted either.
fp=$(openssl x509 -in "$T/client-alias.crt" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
d="$CERTSEAL_STORE_ROOT/LocalMachine/My/signers"
(umask 077 && cp "$T/client-alias.crt" "$d/$fp.pem")
expect 4 "planted alias signer, store:" -- "$CERTSEAL" -s store: \
	--accept-encrypted-data-only open "$T/forged-client-alias-signer"
# A bundle whose key is a trusted signer's key is refused at import.
make_p12 admin pw
expect 5 "import of the signer's own key" -- "$CERTSEAL" store import \
	"$T/admin.p12" --password-file "$T/pw"
expect_clean_failure "import of the signer's own key"
grep -q "trusted signer" "$T/err" && ok || fail "no reason: $(cat "$T/err")"

# Special files at every input path: refused at once, never a hang.
mkfifo "$T/fifo"
chmod 600 "$T/fifo"
mkdir "$T/dir"
kinds="fifo dir"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/sock" &&
		chmod 600 "$T/sock" && kinds="$kinds sock"
else
	echo "test-client-trust: no python3 to make a socket: socket case skipped" >&2
fi
for f in $kinds; do
	p="$T/$f"
	expect 1 "configuration is a $f" -- timeout 10 "$CERTSEAL" \
		-s "$SRC" open "$p"
	expect_clean_failure "configuration is a $f"
	grep -q "not a regular file" "$T/err" && ok ||
		fail "configuration $f: $(cat "$T/err")"
	expect 1 "key file is a $f" -- timeout 10 "$CERTSEAL" \
		-s "file:$p" open "$T/good"
	grep -q "not a regular file" "$T/err" && ok ||
		fail "key file $f: $(cat "$T/err")"
	expect 1 "pin-source is a $f" -- timeout 10 "$CERTSEAL" \
		-s "file:$T/client.p12?pin-source=$p" open "$T/good"
	grep -q "not a regular file" "$T/err" && ok ||
		fail "pin-source $f: $(cat "$T/err")"
	expect 1 "password file is a $f" -- timeout 10 "$CERTSEAL" \
		store import "$T/client.p12" --store Other --password-file "$p"
	grep -q "not a regular file" "$T/err" && ok ||
		fail "password file $f: $(cat "$T/err")"
	expect 1 "bundle is a $f" -- timeout 10 "$CERTSEAL" store import \
		"$p" --store Other --password-file "$T/pw"
	expect 1 "cert= is a $f" -- timeout 10 "$CERTSEAL" \
		-s "file:$T/client-signer.pem?cert=$p" open "$T/good"
	expect 1 "inspect of a $f" -- timeout 10 "$CERTSEAL" inspect "$p"
	expect 1 "admin seal input is a $f" -- timeout 10 "$CERTSEAL_ADMIN" \
		seal --recipient "$T/client.crt" --signer "file:$T/admin.pem" \
		-o "$T/x" "$p"
done
expect 1 "key file is a character device" -- timeout 10 "$CERTSEAL" \
	-s "file:/dev/zero" open "$T/good"
grep -q "character device" "$T/err" && ok || fail "device: $(cat "$T/err")"
# A store entry that is a FIFO is skipped, not waited for.
mkfifo "$d/$(printf '%064d' 0).pem"
expect 0 "FIFO among the store's signers" -- timeout 10 "$CERTSEAL" \
	-s store: --accept-encrypted-data-only open "$T/good"
finish
