#!/bin/sh
# "Looks sealed" (DESIGN.md section 3, issue 11): a sealed file with a
# damaged header, a damaged content-type OID or cut to a few bytes is an
# integrity error (exit 4) on the command line, never plaintext handed to
# the application - PEM as certseal writes it, and DER.
. "${top_srcdir:-.}/tests/integration/lib.sh"

printf 'secret = 1\n' >"$T/config"
printf 'pw\n' >"$T/pin"
chmod 600 "$T/pin"
make_cert signer p256
make_cert rsa rsa2048
(umask 077 && cat "$T/signer.key" "$T/signer.crt" >"$T/signer.pem")
make_p12 rsa pw "$T/signer.crt"
SRC="file:$T/rsa.p12?pin-source=$T/pin"
expect 0 "seal" -- "$CERTSEAL_ADMIN" seal --recipient "$T/rsa.crt" \
	--signer "file:$T/signer.pem" -o "$T/s.pem" "$T/config"
grep -v -- '-----' "$T/s.pem" | openssl base64 -d >"$T/s.der"
expect 0 "DER opens" -- "$CERTSEAL" -s "$SRC" open "$T/s.der"
same_bytes "$T/out" "$T/config" "DER opens"

# damaged FILE WHAT: certseal open must fail with exit 4, one line.
damaged() {
	"$CERTSEAL" -s "$SRC" open "$1" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	if [ "$rc" -eq 4 ]; then
		ok
	elif [ "$rc" -eq 0 ] && cmp -s "$T/out" "$1"; then
		fail "$2: handed out as plaintext"
	else
		fail "$2: exit $rc: $(head -c 300 "$T/err")"
	fi
}

# flip FILE OFFSET OUT: OUT is FILE with bit 0 of byte OFFSET changed.
flip() {
	cp "$1" "$3"
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" |
		dd of="$3" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}

pemlen=$(wc -c <"$T/s.pem")
# Cut PEM inside and after its BEGIN line ("----" and longer), and DER
# from two bytes (30 82) on.
for n in 4 5 10 18 19 20 21 30 64 65 100 $((pemlen - 19)) $((pemlen - 2)); do
	head -c "$n" "$T/s.pem" >"$T/cut"
	damaged "$T/cut" "PEM cut to $n bytes"
done
for n in 2 3 4 5 6 8 10 13 15 20 40 100; do
	head -c "$n" "$T/s.der" >"$T/cut"
	damaged "$T/cut" "DER cut to $n bytes"
done
# Every byte of the DER header and content-type OID (0-16), and of the
# PEM BEGIN line, flipped one at a time.
i=0
while [ $i -lt 17 ]; do
	flip "$T/s.der" $i "$T/f"
	damaged "$T/f" "DER byte $i flipped"
	i=$((i + 1))
done
i=0
while [ $i -lt 24 ]; do
	flip "$T/s.pem" $i "$T/f"
	damaged "$T/f" "PEM byte $i flipped"
	i=$((i + 1))
done
# ... and the END line.
i=$((pemlen - 18))
while [ $i -lt "$pemlen" ]; do
	flip "$T/s.pem" $i "$T/f"
	"$CERTSEAL" -s "$SRC" open "$T/f" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	# The final newline flipped is still the same file.
	if [ "$rc" -eq 0 ] && cmp -s "$T/out" "$T/config"; then ok
	elif [ "$rc" -eq 4 ]; then ok
	else fail "PEM byte $i flipped: exit $rc: $(head -c 300 "$T/err")"; fi
	i=$((i + 1))
done
# A PEM file with a line taken out is called PEM, not DER (the message
# named DER when the base64 was decoded in place; outside audit).
sed 3d "$T/s.pem" >"$T/cut"
damaged "$T/cut" "PEM without its third line"
grep -q "looks like PEM CMS" "$T/err" && ok ||
	fail "a damaged PEM file named otherwise: $(cat "$T/err")"

# The same rule for the encrypted content (openssl writes it): a
# SignedData with a byte after it, or PEM-armoured, is damaged, not the
# unsigned configuration; a text content is one.
openssl cms -sign -binary -nodetach -in "$T/config" -signer "$T/signer.crt" \
	-inkey "$T/signer.key" -outform DER -out "$T/signed.der"
openssl cms -sign -binary -nodetach -in "$T/config" -signer "$T/signer.crt" \
	-inkey "$T/signer.key" -outform PEM -out "$T/signed.pem"
{ cat "$T/signed.der"; printf X; } >"$T/signed-trail.der"
for inner in signed.der signed-trail.der signed.pem config; do
	openssl cms -encrypt -binary -aes-256-gcm -in "$T/$inner" \
		-outform PEM -out "$T/$inner.sealed" -recip "$T/rsa.crt" \
		-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256
done
expect 0 "openssl: a signed content" -- "$CERTSEAL" -s "$SRC" open \
	"$T/signed.der.sealed"
same_bytes "$T/out" "$T/config" "openssl: a signed content"
damaged "$T/signed-trail.der.sealed" "a SignedData and a byte, encrypted"
expect_clean_failure "a SignedData and a byte, encrypted"
damaged "$T/signed.pem.sealed" "a PEM SignedData, encrypted"
expect 0 "openssl: a text content (unsigned)" -- "$CERTSEAL" -s "$SRC" \
	open "$T/config.sealed"
same_bytes "$T/out" "$T/config" "openssl: a text content"
# A signature over a content that is not data (eContentType 1.2.3.4) is
# no configuration, whoever signed it (outside audit: it was accepted).
openssl cms -sign -binary -nodetach -econtent_type 1.2.3.4 \
	-in "$T/config" -signer "$T/signer.crt" -inkey "$T/signer.key" \
	-outform DER -out "$T/other-type.der"
openssl cms -encrypt -binary -aes-256-gcm -in "$T/other-type.der" \
	-outform PEM -out "$T/other-type.sealed" -recip "$T/rsa.crt" \
	-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256
expect 5 "a signed content that is not data" -- "$CERTSEAL" -s "$SRC" \
	open "$T/other-type.sealed"
expect_clean_failure "a signed content that is not data"
grep -q "eContentType 1.2.3.4" "$T/err" && ok ||
	fail "the refusal does not name the type: $(cat "$T/err")"

# Text that merely starts with a zero or YAML's "---" stays plaintext.
for text in '0 = zero' '---' '0'; do
	printf '%s\n' "$text" >"$T/plain"
	expect 0 "plaintext '$text'" -- "$CERTSEAL" -s "$SRC" open "$T/plain"
	same_bytes "$T/out" "$T/plain" "plaintext '$text'"
done

finish
