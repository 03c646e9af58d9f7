#!/bin/sh
# Keys with CKA_ALWAYS_AUTHENTICATE (as on YubiKey PIV signing slots) want
# C_Login(CKU_CONTEXT_SPECIFIC) after each operation's Init.  SoftHSM2
# enforces the attribute (CKR_USER_NOT_LOGGED_IN otherwise), so keys made
# there by `pkcs11-tool --always-auth` prove it: RSA decryption on the
# native and the raw-RSA path, ECDH, and a signature, each with one
# context-specific login from the same PIN file, after one user login.
# NSS softokn has no such keys and the TPM module here ignores the flag.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/spy-lib.sh"
. "$top_srcdir/tests/softhsm-env.sh"

SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
M=$SOFTHSM_MODULE
for tool in softhsm2-util pkcs11-tool openssl; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "SKIP: $tool not installed" >&2
		exit 77
	}
done
[ -r "$M" ] && [ -r "$SPY" ] || {
	echo "SKIP: SoftHSM2 or pkcs11-spy not installed" >&2
	exit 77
}
pkcs11-tool --help 2>&1 | grep -q -- --always-auth || {
	echo "SKIP: this pkcs11-tool cannot set CKA_ALWAYS_AUTHENTICATE" >&2
	exit 77
}
cs_softhsm_setup || exit 99
trap 'cs_softhsm_cleanup; rm -rf "$T"' EXIT
cs_softhsm_token piv 1234 || exit 99

pt() {
	pkcs11-tool --module "$M" --token-label piv --login --pin 1234 \
		"$@" >"$T/pt.log" 2>&1 || {
		echo "pkcs11-tool $*: $(cat "$T/pt.log")" >&2
		return 1
	}
}

issue() { # issue NAME PUBKEY_PEM KEYUSAGE
	printf '[e]\nsubjectKeyIdentifier = hash\nkeyUsage = %s\n' "$3" \
		>"$T/$1.ext"
	openssl req -new -key "$T/ca.key" -subj "/CN=$1" -out "$T/$1.csr" \
		2>/dev/null &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-CAcreateserial -force_pubkey "$2" -extfile "$T/$1.ext" \
		-extensions e -days 30 -out "$T/$1.crt" 2>/dev/null &&
	openssl x509 -in "$T/$1.crt" -outform DER -out "$T/$1.der"
}

# aa_pair KEYTYPE ID NAME KEYUSAGE: an always-authenticate key pair.
aa_pair() {
	pt --keypairgen --key-type "$1" --id "$2" --label "$3" --always-auth &&
	pt --read-object --type pubkey --id "$2" -o "$T/$3.pub.der" &&
	openssl pkey -pubin -inform DER -in "$T/$3.pub.der" \
		-out "$T/$3.pub.pem" &&
	issue "$3" "$T/$3.pub.pem" "$4" &&
	pt --write-object "$T/$3.der" --type cert --id "$2" --label "$3"
}

setup_ok=1
make_cert ca p256 || setup_ok=0
make_cert signer p256 -addext keyUsage=digitalSignature || setup_ok=0
(umask 077 && cat "$T/signer.key" "$T/signer.crt" >"$T/signer.pem")
openssl x509 -in "$T/signer.crt" -outform DER -out "$T/signer.der"
aa_pair rsa:2048 01 rsa keyEncipherment || setup_ok=0
aa_pair EC:prime256v1 02 ec keyAgreement || setup_ok=0
aa_pair rsa:2048 03 admin digitalSignature || setup_ok=0
pt --write-object "$T/signer.der" --type cert --id 99 --label signer ||
	setup_ok=0
pt --list-objects --type privkey --id 01 || setup_ok=0
grep -qi "always authenticate" "$T/pt.log" || {
	echo "key 01 lacks CKA_ALWAYS_AUTHENTICATE: $(cat "$T/pt.log")" >&2
	setup_ok=0
}
[ "$setup_ok" -eq 1 ] || { echo "token setup failed" >&2; exit 99; }
printf '1234\n' >"$T/pin"
chmod 600 "$T/pin"
head -c 2000 /dev/urandom | base64 >"$T/config"

# The user types of the C_Login calls, in order, and what came after.
logins() {
	awk '/^[0-9]+: C_/ { fn = $2 }
	fn == "C_Login" && /userType/ { print $NF }' "$1" | tr '\n' ' '
}

spy_open() { # spy_open LOG OBJECT FILE
	rm -f "$1"
	PKCS11SPY="$M" PKCS11SPY_OUTPUT="$1" "$CERTSEAL" \
		-s "pkcs11:token=piv;object=$2?module-path=$SPY&pin-source=file:$T/pin" \
		--accept-encrypted-data-only open "$3" >"$T/out" 2>"$T/err" \
		</dev/null
}

expect 0 "seal OAEP-SHA256" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/rsa.crt" --signer "file:$T/signer.pem" --name r256 \
	-o "$T/r256.sealed" "$T/config"
expect 0 "seal OAEP-SHA1" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/rsa.crt" --oaep-hash sha1 --signer "file:$T/signer.pem" \
	--name r1 -o "$T/r1.sealed" "$T/config"
expect 0 "seal EC" -- "$CERTSEAL_ADMIN" seal --recipient "$T/ec.crt" \
	--signer "file:$T/signer.pem" --name ec -o "$T/ec.sealed" "$T/config"

# C_DeriveKey has no Init for a context-specific login to follow: SoftHSM
# answers one with CKR_OPERATION_NOT_INITIALIZED and derives without.
for f in "r1 rsa CKU_CONTEXT_SPECIFIC" "r256 rsa CKU_CONTEXT_SPECIFIC" \
    "ec ec"; do
	set -- $f
	spy_open "$T/spy-$1.log" "$2" "$T/$1.sealed"
	rc=$?
	[ $rc -eq 0 ] && ok || fail "$1: exit $rc: $(cat "$T/err")"
	same_bytes "$T/out" "$T/config" "$1"
	l=$(logins "$T/spy-$1.log")
	[ "$l" = "CKU_USER ${3:+$3 }" ] && ok ||
		fail "$1: logins '$l', expected CKU_USER ${3:-}"
done
# The context-specific login follows the Init that the token accepted.
n=$(awk '/^[0-9]+: C_/ { print $2 }' "$T/spy-r256.log" |
	grep -E '^C_(DecryptInit|Login|Decrypt)$' | tr '\n' ' ')
[ "$n" = "C_Login C_DecryptInit C_DecryptInit C_Login C_Decrypt " ] && ok ||
	fail "OAEP-SHA256 (raw RSA) call order: $n"

# A signature with an always-authenticate admin key.
rm -f "$T/spy-sign.log"
expect 0 "seal --signer always-auth key" -- env PKCS11SPY="$M" \
	PKCS11SPY_OUTPUT="$T/spy-sign.log" "$CERTSEAL_ADMIN" seal \
	--recipient "$T/rsa.crt" \
	--signer "pkcs11:token=piv;object=admin?module-path=$SPY&pin-source=file:$T/pin" \
	--name signed -o "$T/signed.sealed" "$T/config"
l=$(logins "$T/spy-sign.log")
[ "$l" = "CKU_USER CKU_CONTEXT_SPECIFIC " ] && ok ||
	fail "sign: logins '$l', expected one user, one context-specific"
n=$(calls "$T/spy-sign.log" C_Sign)
[ "$n" -eq 1 ] && ok || fail "sign: $n C_Sign, expected 1"
openssl x509 -in "$T/admin.crt" >"$T/admin-only.pem"
expect 0 "open the always-auth-signed file" -- "$CERTSEAL" \
	-s "pkcs11:token=piv;object=rsa?module-path=$M&pin-source=file:$T/pin" \
	--accept-encrypted-data-only open "$T/signed.sealed"
same_bytes "$T/out" "$T/config" "always-auth-signed file"

finish
