#!/bin/sh
# The foundation end to end with file: sources and the real openssl CLI:
# seal with certseal-admin, open with certseal, recover with openssl cms,
# open what openssl cms made, and refuse what policy forbids.
. "${top_srcdir:-.}/tests/integration/lib.sh"

head -c 6000 /dev/urandom | base64 >"$T/config"
printf 'pw-with-newline\n' >"$T/pin"
chmod 600 "$T/pin"

make_cert signer p256
make_cert rsa rsa3072
make_cert ec p256
make_cert ec384 p384
make_cert other rsa2048
# The signer as a file: source: key and certificate in one PEM file.
(umask 077 && cat "$T/signer.key" "$T/signer.crt" >"$T/signer.pem")
# Client bundles carry the signer certificate: that is whom they trust.
make_p12 rsa pw-with-newline "$T/signer.crt"
make_p12 ec pw-with-newline "$T/signer.crt"
make_p12 other pw-with-newline "$T/signer.crt"
(umask 077 && cat "$T/ec384.key" "$T/ec384.crt" "$T/signer.crt" >"$T/ec384.pem")

RSA_SRC="file:$T/rsa.p12?pin-source=$T/pin"
EC_SRC="file://$T/ec.p12?pin-source=file:$T/pin"
EC384_SRC="file:$T/ec384.pem"

# --- seal and open, RSA (OAEP SHA-256 and SHA-1) and EC recipients ----
expect 0 "seal to RSA" -- "$CERTSEAL_ADMIN" seal --recipient "$T/rsa.crt" \
	--signer "file:$T/signer.pem" --name app --sequence 1 \
	-o "$T/rsa.sealed" "$T/config"
head -n 1 "$T/rsa.sealed" | grep -q -- '-----BEGIN CMS-----' && ok ||
	fail "sealed file is not PEM CMS"
expect 0 "open RSA" -- "$CERTSEAL" -s "$RSA_SRC" open "$T/rsa.sealed"
same_bytes "$T/out" "$T/config" "open RSA"
expect 0 "open RSA strict" -- "$CERTSEAL" -s "$RSA_SRC" \
	--accept-encrypted-data-only open "$T/rsa.sealed"
same_bytes "$T/out" "$T/config" "open RSA strict"

expect 0 "seal OAEP-SHA1" -- "$CERTSEAL_ADMIN" seal --recipient "$T/rsa.crt" \
	--oaep-hash sha1 --signer "file:$T/signer.pem" -o "$T/sha1.sealed" \
	"$T/config"
expect 0 "open OAEP-SHA1" -- "$CERTSEAL" -s "$RSA_SRC" open "$T/sha1.sealed"
same_bytes "$T/out" "$T/config" "open OAEP-SHA1"

expect 0 "seal to EC and EC P-384" -- "$CERTSEAL_ADMIN" seal \
	--recipient "$T/ec.crt" --recipient "$T/ec384.crt" \
	--signer "file:$T/signer.pem" -o "$T/ec.sealed" "$T/config"
expect 0 "open EC P-256" -- "$CERTSEAL" -s "$EC_SRC" open "$T/ec.sealed"
same_bytes "$T/out" "$T/config" "open EC P-256"
expect 0 "open EC P-384 (PEM source)" -- "$CERTSEAL" -s "$EC384_SRC" \
	open "$T/ec.sealed"
same_bytes "$T/out" "$T/config" "open EC P-384"

# -o writes the file atomically, 0600.
expect 0 "open -o" -- "$CERTSEAL" -s "$RSA_SRC" open "$T/rsa.sealed" \
	-o "$T/opened"
same_bytes "$T/opened" "$T/config" "open -o"
[ "$(stat -c %a "$T/opened")" = 600 ] && ok || fail "open -o mode"
# ... but never over a sealed file, another one than its input: the
# sealed configuration would be lost (PEM and DER).
openssl cms -cmsout -in "$T/ec.sealed" -inform PEM -outform DER \
	-out "$T/other.der" 2>/dev/null
for victim in "$T/ec.sealed" "$T/other.der"; do
	cp "$victim" "$T/victim.saved"
	expect 2 "open -o over a sealed file" -- "$CERTSEAL" -s "$RSA_SRC" \
		open "$T/rsa.sealed" -o "$victim"
	expect_clean_failure "open -o over a sealed file"
	same_bytes "$victim" "$T/victim.saved" "the sealed file is untouched"
done

# --- the openssl cms escape hatch (docs/FORMAT.md) ---------------------
for kind in rsa ec; do
	rm -f "$T/inner.der" "$T/recovered"
	openssl cms -decrypt -in "$T/$kind.sealed" -inform PEM \
		-recip "$T/$kind.crt" -inkey "$T/$kind.key" -binary \
		-out "$T/inner.der" 2>"$T/err" && ok ||
		fail "openssl cms -decrypt $kind: $(cat "$T/err")"
	openssl cms -verify -in "$T/inner.der" -inform DER -binary \
		-CAfile "$T/signer.crt" -purpose any -out "$T/recovered" \
		2>"$T/err" && ok || fail "openssl cms -verify $kind: $(cat "$T/err")"
	same_bytes "$T/recovered" "$T/config" "openssl escape hatch $kind"
done

# --- files made by openssl cms ----------------------------------------
openssl cms -encrypt -aes-256-gcm -in "$T/config" -binary -outform PEM \
	-recip "$T/rsa.crt" -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -out "$T/ossl-plain.pem" 2>/dev/null
expect 0 "open openssl OAEP-SHA256, unsigned" -- "$CERTSEAL" -s "$RSA_SRC" \
	open "$T/ossl-plain.pem"
same_bytes "$T/out" "$T/config" "open openssl unsigned"
expect 5 "strict refuses unsigned" -- "$CERTSEAL" -s "$RSA_SRC" \
	--accept-encrypted-data-only open "$T/ossl-plain.pem"
expect_clean_failure "strict refuses unsigned"

openssl cms -sign -signer "$T/signer.crt" -inkey "$T/signer.key" -binary \
	-nodetach -outform DER -in "$T/config" -out "$T/ossl-signed.der" \
	2>/dev/null
openssl cms -encrypt -aes-256-gcm -in "$T/ossl-signed.der" -binary \
	-outform PEM -recip "$T/rsa.crt" -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -out "$T/ossl-se.pem" 2>/dev/null
expect 0 "open openssl signed-then-encrypted, strict" -- "$CERTSEAL" \
	-s "$RSA_SRC" --accept-encrypted-data-only open "$T/ossl-se.pem"
same_bytes "$T/out" "$T/config" "open openssl signed-then-encrypted"

openssl cms -encrypt -aes-256-gcm -in "$T/ossl-signed.der" -binary \
	-outform DER -recip "$T/ec.crt" -keyopt ecdh_kdf_md:sha256 \
	-out "$T/ossl-ec.der" 2>/dev/null
expect 0 "open openssl EC (DER), strict" -- "$CERTSEAL" -s "$EC_SRC" \
	--accept-encrypted-data-only open "$T/ossl-ec.der"
same_bytes "$T/out" "$T/config" "open openssl EC"

openssl cms -encrypt -aes-256-gcm -in "$T/ossl-signed.der" -binary \
	-outform PEM -recip "$T/rsa.crt" -out "$T/ossl-v15.pem" 2>/dev/null
expect 5 "PKCS#1 v1.5 key transport refused" -- "$CERTSEAL" \
	-s "$RSA_SRC" open "$T/ossl-v15.pem"
expect_clean_failure "PKCS#1 v1.5 refused"

# A signer no source trusts: integrity error (exit 4).
make_cert stranger p256
openssl cms -sign -signer "$T/stranger.crt" -inkey "$T/stranger.key" \
	-binary -nodetach -outform DER -in "$T/config" \
	-out "$T/stranger.der" 2>/dev/null
openssl cms -encrypt -aes-256-gcm -in "$T/stranger.der" -binary \
	-outform PEM -recip "$T/rsa.crt" -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -out "$T/stranger.pem" 2>/dev/null
expect 4 "untrusted signer" -- "$CERTSEAL" -s "$RSA_SRC" \
	--accept-encrypted-data-only open "$T/stranger.pem"
expect_clean_failure "untrusted signer"

# Signed with the decryption key itself (which every client holds): never
# trusted, even when the bundle lists that certificate as a signer.
(umask 077 && cat "$T/rsa.key" "$T/rsa.crt" "$T/rsa.crt" >"$T/self.pem")
openssl cms -sign -signer "$T/rsa.crt" -inkey "$T/rsa.key" -binary -nodetach \
	-outform DER -in "$T/config" -out "$T/self.der" 2>/dev/null
openssl cms -encrypt -aes-256-gcm -in "$T/self.der" -binary -outform PEM \
	-recip "$T/rsa.crt" -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -out "$T/self.sealed" 2>/dev/null
expect 4 "signed by the decryption key" -- "$CERTSEAL" -s "file:$T/self.pem" \
	--accept-encrypted-data-only open "$T/self.sealed"
expect_clean_failure "signed by the decryption key"

# --- wrong key, plaintext, empty configuration ------------------------
expect 3 "wrong key" -- "$CERTSEAL" -s "file:$T/other.p12?pin-source=$T/pin" \
	open "$T/rsa.sealed"
expect_clean_failure "wrong key"
expect 0 "plaintext passes through" -- "$CERTSEAL" -s "$RSA_SRC" \
	open "$T/config"
same_bytes "$T/out" "$T/config" "plaintext pass-through"
expect 5 "strict refuses plaintext" -- "$CERTSEAL" -s "$RSA_SRC" \
	--accept-encrypted-data-only open "$T/config"
expect_clean_failure "strict refuses plaintext"
expect 5 "strict from environment" -- env CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY=1 "$CERTSEAL" -s "$RSA_SRC" open "$T/config"

: >"$T/empty"
expect 0 "seal empty" -- "$CERTSEAL_ADMIN" seal --recipient "$T/rsa.crt" \
	--signer "file:$T/signer.pem" -o "$T/empty.sealed" "$T/empty"
expect 0 "open empty" -- "$CERTSEAL" -s "$RSA_SRC" \
	--accept-encrypted-data-only open "$T/empty.sealed"
same_bytes "$T/out" "$T/empty" "empty round trip"

# --- sources: order, environment, errors -------------------------------
expect 0 "second source opens" -- "$CERTSEAL" \
	-s "file:$T/other.p12?pin-source=$T/pin" -s "$RSA_SRC" \
	open "$T/rsa.sealed"
same_bytes "$T/out" "$T/config" "chain of sources"
expect 0 "sources from the environment" -- env CERTSEAL_CERTIFICATE_SOURCE="file:$T/other.p12?pin-source=$T/pin $RSA_SRC" "$CERTSEAL" \
	open "$T/rsa.sealed"
expect 2 "bad scheme" -- "$CERTSEAL" -s "ftp://x" open "$T/rsa.sealed"
expect_clean_failure "bad scheme"
expect 2 "unknown file: attribute" -- "$CERTSEAL" \
	-s "file:$T/rsa.p12?colour=blue" open "$T/rsa.sealed"
expect 2 "file: attribute given twice" -- "$CERTSEAL" \
	-s "file:$T/rsa.p12?pin-source=$T/pin&pin-source=$T/pin" \
	open "$T/rsa.sealed"
expect_clean_failure "file: attribute given twice"
printf 'wrong\n' >"$T/badpin"
chmod 600 "$T/badpin"
expect 6 "wrong PKCS#12 password" -- "$CERTSEAL" \
	-s "file:$T/rsa.p12?pin-source=$T/badpin" open "$T/rsa.sealed"
expect_clean_failure "wrong password"
chmod 644 "$T/ec384.pem"
expect 1 "key file readable by others refused" -- "$CERTSEAL" \
	-s "$EC384_SRC" open "$T/ec.sealed"
expect_clean_failure "loose key file"
# Two sources that fail before one that opens: each failure is said (an
# outside audit saw only the first).
expect 0 "two failing sources, then one that opens" -- "$CERTSEAL" \
	-s "file:$T/rsa.p12?pin-source=$T/badpin" -s "$EC384_SRC" \
	-s "$RSA_SRC" open "$T/rsa.sealed"
same_bytes "$T/out" "$T/config" "the third source opens"
grep -q "rsa.p12" "$T/err" && grep -q "ec384.pem" "$T/err" && ok ||
	fail "not every failing source reported: $(cat "$T/err")"
chmod 600 "$T/ec384.pem"

# A store whose signers/ cannot be read: the reason, not "untrusted".
S="$T/stores"
expect 0 "store import" -- env CERTSEAL_STORE_ROOT="$S" "$CERTSEAL" \
	store import "$T/rsa.p12" --password-file "$T/pin"
expect 0 "store open" -- env CERTSEAL_STORE_ROOT="$S" "$CERTSEAL" \
	open "$T/rsa.sealed"
chmod 770 "$S/LocalMachine/My/signers"
expect 1 "signers/ group-writable" -- env CERTSEAL_STORE_ROOT="$S" \
	"$CERTSEAL" open "$T/rsa.sealed"
expect_clean_failure "signers/ group-writable"
grep -q "chmod 700" "$T/err" && ok ||
	fail "the refusal does not say what to do: $(cat "$T/err")"
expect 0 "signers/ group-writable, another source's signer" -- env \
	CERTSEAL_STORE_ROOT="$S" "$CERTSEAL" -s "$RSA_SRC" -s store: \
	open "$T/rsa.sealed"
grep -q "warning: .*signers.*chmod 700" "$T/err" && ok ||
	fail "the unreadable signers are not warned about: $(cat "$T/err")"
chmod 700 "$S/LocalMachine/My/signers"

# --- seal refusals -------------------------------------------------------
expect 2 "seal input == output" -- "$CERTSEAL_ADMIN" seal \
	--recipient "$T/rsa.crt" --signer "file:$T/signer.pem" \
	-o "$T/config" "$T/config"
make_expired_cert expired
if [ -s "$T/expired.crt" ]; then
	expect 5 "seal to an expired certificate" -- "$CERTSEAL_ADMIN" seal \
		--recipient "$T/expired.crt" --signer "file:$T/signer.pem" \
		-o "$T/x.sealed" "$T/config"
	[ ! -e "$T/x.sealed" ] && ok || fail "expired: output created"
	# Subjects in messages as RFC 4514, as everywhere (not /CN=...).
	grep -q "recipient CN=" "$T/err" && ok ||
		fail "expired: subject not RFC 4514: $(cat "$T/err")"
fi

finish
