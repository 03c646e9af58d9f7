#!/bin/sh
# The pkcs11: source end to end on SoftHSM2 tokens that certseal never
# touched: set up with softhsm2-util, pkcs11-tool and openssl only (label
# with a space, PIN file with a trailing newline, pin-source=file: form).
# What reaches the token is read from pkcs11-spy's log: one C_Login and one
# private-key operation per open, native CKM_RSA_PKCS_OAEP for SHA-1 files,
# no private key material read, a wrong PIN sent once and the token not
# locked.  Also: two tokens in one module, several sources, module by path,
# by p11-kit name and from p11-kit's configuration, seal --signer pkcs11:,
# and the signer trust rule (the decryption key is no signer).
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/spy-lib.sh"
. "$top_srcdir/tests/softhsm-env.sh"

SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
M=$SOFTHSM_MODULE
require_softhsm
require_tools pkcs11-tool openssl
[ -r "$SPY" ] || skip "pkcs11-spy ($SPY) not installed (package opensc)"
cs_softhsm_setup || exit 99
trap 'cs_softhsm_cleanup; rm -rf "$T"' EXIT

# pt LABEL PIN ARGS...: pkcs11-tool logged in to the token LABEL.
pt() {
	label=$1
	pin=$2
	shift 2
	pkcs11-tool --module "$M" --token-label "$label" --login --pin "$pin" \
		"$@" >"$T/pt.log" 2>&1 || {
		echo "pkcs11-tool $*: $(cat "$T/pt.log")" >&2
		return 1
	}
}

# issue NAME PUBKEY_PEM KEYUSAGE: $T/NAME.crt for a public key that lives
# on a token, issued by the software CA $T/ca.* (with a SKID).
issue() {
	printf '[e]\nsubjectKeyIdentifier = hash\nkeyUsage = %s\n' "$3" \
		>"$T/$1.ext"
	openssl req -new -key "$T/ca.key" -subj "/CN=$1" -out "$T/$1.csr" \
		2>/dev/null &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-CAcreateserial -force_pubkey "$2" -extfile "$T/$1.ext" \
		-extensions e -days 30 -out "$T/$1.crt" 2>/dev/null
}

# token_pub LABEL PIN ID NAME: $T/NAME.pub.pem, the public key with CKA_ID.
token_pub() {
	pt "$1" "$2" --read-object --type pubkey --id "$3" \
		-o "$T/$4.pub.der" &&
	openssl pkey -pubin -inform DER -in "$T/$4.pub.der" \
		-out "$T/$4.pub.pem"
}

# --- tokens, set up without certseal ------------------------------------
setup_ok=1
cs_softhsm_token "client token" 1234 || setup_ok=0
cs_softhsm_token second 5678 || setup_ok=0
cs_softhsm_token "admin token" 4321 || setup_ok=0
printf '1234\n' >"$T/pin"
printf '5678\n' >"$T/pin2"
printf '4321\n' >"$T/pin-admin"
printf '0000\n' >"$T/badpin"
chmod 600 "$T/pin" "$T/pin2" "$T/pin-admin" "$T/badpin"
head -c 4000 /dev/urandom | base64 >"$T/config"

make_cert ca p256 || setup_ok=0
make_cert signer p256 -addext keyUsage=digitalSignature || setup_ok=0
(umask 077 && cat "$T/signer.key" "$T/signer.crt" >"$T/signer.pem")
openssl x509 -in "$T/signer.crt" -outform DER -out "$T/signer.der"

# RSA: key and certificate made by openssl, imported with --write-object.
make_cert rsa rsa3072 -addext keyUsage=keyEncipherment || setup_ok=0
openssl pkcs8 -topk8 -nocrypt -in "$T/rsa.key" -outform DER \
	-out "$T/rsa.p8" || setup_ok=0
openssl x509 -in "$T/rsa.crt" -outform DER -out "$T/rsa.der"
pt "client token" 1234 --write-object "$T/rsa.p8" --type privkey --id 01 \
	--label rsa-client || setup_ok=0
pt "client token" 1234 --write-object "$T/rsa.der" --type cert --id 01 \
	--label rsa-client || setup_ok=0
# EC: generated on the token, certificate by openssl, written back.
pt "client token" 1234 --keypairgen --key-type EC:prime256v1 --id 02 \
	--label ec-client || setup_ok=0
token_pub "client token" 1234 02 ec || setup_ok=0
issue ec "$T/ec.pub.pem" keyAgreement || setup_ok=0
openssl x509 -in "$T/ec.crt" -outform DER -out "$T/ec.der"
pt "client token" 1234 --write-object "$T/ec.der" --type cert --id 02 \
	--label ec-client || setup_ok=0
# The signer's certificate, without its key: the client's trust anchor.
pt "client token" 1234 --write-object "$T/signer.der" --type cert --id 99 \
	--label signer || setup_ok=0
# A second token in the same module, with a key for nothing we seal.
pt second 5678 --keypairgen --key-type rsa:2048 --id 03 --label other ||
	setup_ok=0
# The admin's token: signing keys generated there, certificates by openssl.
pt "admin token" 4321 --keypairgen --key-type rsa:3072 --id 10 \
	--label admin-rsa || setup_ok=0
token_pub "admin token" 4321 10 admin-rsa || setup_ok=0
issue admin-rsa "$T/admin-rsa.pub.pem" digitalSignature || setup_ok=0
openssl x509 -in "$T/admin-rsa.crt" -outform DER -out "$T/admin-rsa.der"
pt "admin token" 4321 --write-object "$T/admin-rsa.der" --type cert \
	--id 10 --label admin-rsa || setup_ok=0
pt "admin token" 4321 --keypairgen --key-type EC:prime256v1 --id 11 \
	--label admin-ec || setup_ok=0
token_pub "admin token" 4321 11 admin-ec || setup_ok=0
issue admin-ec "$T/admin-ec.pub.pem" digitalSignature || setup_ok=0
openssl x509 -in "$T/admin-ec.crt" -outform DER -out "$T/admin-ec.der"
pt "admin token" 4321 --write-object "$T/admin-ec.der" --type cert \
	--id 11 --label admin-ec || setup_ok=0
if [ "$setup_ok" -ne 1 ]; then
	echo "token setup failed" >&2
	exit 99
fi

RSA_URI="pkcs11:token=client%20token;object=rsa-client?module-path=$M&pin-source=file:$T/pin"
EC_URI="pkcs11:token=client%20token;object=ec-client?module-path=$M&pin-source=file:$T/pin"
SPY_URI="pkcs11:token=client%20token;object=rsa-client?module-path=$SPY&pin-source=file:$T/pin"
SECOND_URI="pkcs11:token=second?module-path=$M&pin-source=file:$T/pin2"

# --- sealed files: OAEP-SHA256, OAEP-SHA1, EC ---------------------------
expect 0 "seal OAEP-SHA256" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/rsa.crt" --signer "file:$T/signer.pem" --name rsa256 \
	-o "$T/rsa256.sealed" "$T/config"
expect 0 "seal OAEP-SHA1" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/rsa.crt" --oaep-hash sha1 --signer "file:$T/signer.pem" \
	--name rsa1 -o "$T/rsa1.sealed" "$T/config"
expect 0 "seal EC" -- "$CERTSEAL_ADMIN" seal --recipient "$T/ec.crt" \
	--signer "file:$T/signer.pem" --name ec -o "$T/ec.sealed" "$T/config"

for f in rsa256 rsa1; do
	expect 0 "open $f (strict)" -- "$CERTSEAL" -s "$RSA_URI" \
		--accept-encrypted-data-only open "$T/$f.sealed"
	same_bytes "$T/out" "$T/config" "open $f"
done
expect 0 "open EC (strict)" -- "$CERTSEAL" -s "$EC_URI" \
	--accept-encrypted-data-only open "$T/ec.sealed"
same_bytes "$T/out" "$T/config" "open EC"

# --- what reaches the token: pkcs11-spy ---------------------------------
# spy_open LOG URI FILE [ARGS...]: certseal ... open FILE under the spy.
spy_open() {
	log=$1
	uri=$2
	file=$3
	shift 3
	rm -f "$log"
	PKCS11SPY="$M" PKCS11SPY_OUTPUT="$log" "$CERTSEAL" -s "$uri" "$@" \
		open "$file" >"$T/out" 2>"$T/err" </dev/null
}

# secrets_read LOG: the (handle, attribute) pairs of C_GetAttributeValue
# calls that asked a private key for key material.  A handle is a private
# key when it was used by C_DecryptInit/C_SignInit/C_DeriveKey or the token
# said its CKA_CLASS is CKO_PRIVATE_KEY.
secrets_read() {
	awk '
	/^[0-9]+: C_/ { fn = $2; obj = ""; sect = ""; next }
	/\[in\] hObject = / { obj = $4 }
	/\[in\] hKey = / { if (fn != "C_EncryptInit") priv[$4] = 1 }
	/\[in\] hBaseKey = / { priv[$4] = 1 }
	/\[in\] pTemplate/ { sect = "in" }
	/\[out\] pTemplate/ { sect = "out" }
	fn == "C_GetAttributeValue" && sect == "in" && $1 ~ /^CKA_/ {
		asked[obj " " $1] = 1
	}
	fn == "C_GetAttributeValue" && sect == "out" &&
	    $1 == "CKA_CLASS" && $2 == "CKO_PRIVATE_KEY" { priv[obj] = 1 }
	END {
		for (k in asked) {
			split(k, p, " ")
			if (p[2] ~ /^CKA_(PRIVATE_EXPONENT|PRIME_[12]|EXPONENT_[12]|COEFFICIENT)$/ ||
			    (priv[p[1]] && p[2] == "CKA_VALUE"))
				print k
		}
	}' "$1"
}

# check_spy LOG WHAT DECRYPTS DERIVES: one login, the private-key
# operations expected, and no key material read.
check_spy() {
	n=$(calls "$1" C_Login)
	[ "$n" -eq 1 ] && ok || fail "$2: $n C_Login calls, expected 1"
	n=$(calls "$1" C_Decrypt)
	[ "$n" -eq "$3" ] && ok || fail "$2: $n C_Decrypt, expected $3"
	n=$(calls "$1" C_DeriveKey)
	[ "$n" -eq "$4" ] && ok || fail "$2: $n C_DeriveKey, expected $4"
	n=$(calls "$1" C_Initialize)
	[ "$n" -eq 1 ] && ok || fail "$2: $n C_Initialize calls, expected 1"
	# Issue 16: each token's information read once, while the token is
	# looked for (SoftHSM2 re-reads its files for each), not again by
	# the login.
	n=$(awk '/^[0-9]+: C_OpenSession/ { s = 1 }
		s && /^[0-9]+: C_GetTokenInfo/ { n++ } END { print n + 0 }' "$1")
	[ "$n" -eq 0 ] && ok ||
		fail "$2: $n C_GetTokenInfo calls after the token was found"
	# The mechanism list once (its size, then the list), and the
	# information of only what this key's use needs (OAEP for RSA, ECDH
	# for EC), not of all ten.
	n=$(calls "$1" C_GetMechanismList)
	[ "$n" -eq 2 ] && ok ||
		fail "$2: $n C_GetMechanismList calls, expected 2"
	n=$(calls "$1" C_GetMechanismInfo)
	[ "$n" -eq 1 ] && ok ||
		fail "$2: $n C_GetMechanismInfo calls, expected 1"
	s=$(secrets_read "$1")
	[ -z "$s" ] && ok || fail "$2: private key material asked for: $s"
}

spy_open "$T/spy-rsa1.log" "$SPY_URI" "$T/rsa1.sealed" \
	--accept-encrypted-data-only
[ $? -eq 0 ] && ok || fail "open OAEP-SHA1 under spy: $(cat "$T/err")"
same_bytes "$T/out" "$T/config" "open OAEP-SHA1 under spy"
check_spy "$T/spy-rsa1.log" "OAEP-SHA1" 1 0
# Each certificate object is read once: its listing attributes and its
# value in one C_GetAttributeValue (issue 16: SoftHSM2 re-reads and
# decrypts the object file on every call).
twice=$(awk '/^[0-9]+: C_/ { fn = $2; obj = ""; sect = ""; next }
	fn == "C_GetAttributeValue" && /\[in\] hObject = / { obj = $4; n[obj]++ }
	/\[out\] pTemplate/ { sect = "out" }
	fn == "C_GetAttributeValue" && sect == "out" && $1 == "CKA_CLASS" &&
	    $2 == "CKO_CERTIFICATE" { cert[obj] = 1 }
	END { for (o in cert) { c++; if (n[o] != 1) print o, n[o] }
	      if (c == 0) print "no certificate read" }' "$T/spy-rsa1.log")
[ -z "$twice" ] && ok ||
	fail "certificate objects read more than once (handle, calls): $twice"
# Native OAEP with the file's hash, and nothing else.
m=$(decrypt_mechs "$T/spy-rsa1.log")
[ "$m" = "CKM_RSA_PKCS_OAEP CKM_SHA_1 CKR_OK" ] && ok ||
	fail "OAEP-SHA1: expected one native CKM_RSA_PKCS_OAEP/SHA-1, got: $m"

spy_open "$T/spy-rsa256.log" "$SPY_URI" "$T/rsa256.sealed" \
	--accept-encrypted-data-only
[ $? -eq 0 ] && ok || fail "open OAEP-SHA256 under spy: $(cat "$T/err")"
same_bytes "$T/out" "$T/config" "open OAEP-SHA256 under spy"
check_spy "$T/spy-rsa256.log" "OAEP-SHA256" 1 0
# SoftHSM refuses SHA-256 OAEP: asked natively first, then raw RSA.
m=$(decrypt_mechs "$T/spy-rsa256.log" | tr '\n' ';')
case "$m" in
"CKM_RSA_PKCS_OAEP CKM_SHA256 CKR_"*";CKM_RSA_X_509  CKR_OK;") ok ;;
*) fail "OAEP-SHA256: expected native refused then raw RSA, got: $m" ;;
esac

SPY_EC="pkcs11:token=client%20token;object=ec-client?module-path=$SPY&pin-source=file:$T/pin"
spy_open "$T/spy-ec.log" "$SPY_EC" "$T/ec.sealed" --accept-encrypted-data-only
[ $? -eq 0 ] && ok || fail "open EC under spy: $(cat "$T/err")"
same_bytes "$T/out" "$T/config" "open EC under spy"
check_spy "$T/spy-ec.log" "EC" 0 1
grep -q "CKM_ECDH1_DERIVE" "$T/spy-ec.log" && ok || fail "EC: no CKM_ECDH1_DERIVE"

# --- wrong PIN: exit 6, one C_Login, token not locked -------------------
BAD_SPY="pkcs11:token=client%20token?module-path=$SPY&pin-source=file:$T/badpin"
spy_open "$T/spy-bad.log" "$BAD_SPY" "$T/rsa256.sealed"
rc=$?
[ "$rc" -eq 6 ] && ok || fail "wrong PIN: exit $rc, expected 6: $(cat "$T/err")"
expect_clean_failure "wrong PIN"
grep -q "client token" "$T/err" && ok || fail "wrong PIN: token not named"
n=$(calls "$T/spy-bad.log" C_Login)
[ "$n" -eq 1 ] && ok || fail "wrong PIN: $n C_Login calls, expected 1"
# The file has two recipients here and a second source opens it: the bad
# PIN is still sent once, also when the signers are gathered afterwards.
expect 0 "seal to RSA and EC" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/rsa.crt" --recipient "$T/ec.crt" --signer "file:$T/signer.pem" \
	--name both -o "$T/both.sealed" "$T/config"
spy_open "$T/spy-bad2.log" "$BAD_SPY" "$T/both.sealed" -s "$RSA_URI" \
	--accept-encrypted-data-only
[ $? -eq 0 ] && ok || fail "bad PIN source, then a good one: $(cat "$T/err")"
same_bytes "$T/out" "$T/config" "bad PIN source, then a good one"
n=$(calls "$T/spy-bad2.log" C_Login)
[ "$n" -eq 1 ] && ok || fail "bad PIN, two recipients: $n C_Login, expected 1"
pkcs11-tool --module "$M" -T >"$T/slots" 2>&1
if grep -qi "locked" "$T/slots"; then
	fail "token reports a locked PIN: $(grep -i locked "$T/slots")"
else
	ok
fi
expect 0 "right PIN after a wrong one" -- "$CERTSEAL" -s "$RSA_URI" \
	open "$T/rsa256.sealed"
same_bytes "$T/out" "$T/config" "right PIN after a wrong one"

# --- two tokens in one module, several sources --------------------------
expect 3 "second token alone has no key" -- "$CERTSEAL" -s "$SECOND_URI" \
	open "$T/rsa256.sealed"
expect_clean_failure "second token alone"
expect 0 "first source no key, second opens" -- "$CERTSEAL" \
	-s "$SECOND_URI" -s "$RSA_URI" --accept-encrypted-data-only \
	open "$T/rsa256.sealed"
same_bytes "$T/out" "$T/config" "first source no key, second opens"
SPY_SECOND="pkcs11:token=second?module-path=$SPY&pin-source=file:$T/pin2"
spy_open "$T/spy-two.log" "$SPY_SECOND" "$T/ec.sealed" -s "$SPY_EC"
[ $? -eq 0 ] && ok || fail "two tokens under spy: $(cat "$T/err")"
n=$(calls "$T/spy-two.log" C_Initialize)
[ "$n" -eq 1 ] && ok || fail "two tokens, one module: $n C_Initialize"
n=$(calls "$T/spy-two.log" C_Login)
[ "$n" -eq 2 ] && ok || fail "two tokens: $n C_Login, expected one each"
expect 0 "two sources, environment" -- env \
	CERTSEAL_CERTIFICATE_SOURCE="$SECOND_URI $EC_URI" "$CERTSEAL" \
	open "$T/ec.sealed"
same_bytes "$T/out" "$T/config" "two sources from the environment"

# --- module by p11-kit name, and from p11-kit's configuration -----------
# p11-kit's registered softhsm2 module is dlopen'ed into certseal itself,
# so it reads this process's SOFTHSM2_CONF like the path form does.
if [ -f /usr/share/p11-kit/modules/softhsm2.module ]; then
	ok
	expect 0 "module-name=softhsm2" -- "$CERTSEAL" -s "pkcs11:token=client%20token;object=rsa-client?module-name=softhsm2&pin-source=file:$T/pin" \
		--accept-encrypted-data-only open "$T/rsa1.sealed"
	same_bytes "$T/out" "$T/config" "module-name=softhsm2"
	expect 0 "module from p11-kit's configuration" -- "$CERTSEAL" \
		-s "pkcs11:token=client%20token?pin-source=file:$T/pin" \
		open "$T/ec.sealed"
	same_bytes "$T/out" "$T/config" "module from p11-kit configuration"
else
	fail "/usr/share/p11-kit/modules/softhsm2.module missing (softhsm2 package)"
fi
expect 6 "unknown module name" -- "$CERTSEAL" \
	-s "pkcs11:token=client%20token?module-name=no-such-module" \
	open "$T/ec.sealed"
expect_clean_failure "unknown module name"

# --- seal --signer pkcs11: signs on the token ---------------------------
for alg in rsa ec; do
	SIGNER="pkcs11:token=admin%20token;object=admin-$alg?module-path=$SPY&pin-source=file:$T/pin-admin"
	rm -f "$T/spy-sign.log"
	expect 0 "seal --signer pkcs11: ($alg)" -- env PKCS11SPY="$M" \
		PKCS11SPY_OUTPUT="$T/spy-sign.log" "$CERTSEAL_ADMIN" seal \
		--recipient "$T/rsa.crt" --signer "$SIGNER" --name "tok-$alg" \
		-o "$T/tok-$alg.sealed" "$T/config"
	n=$(calls "$T/spy-sign.log" C_Sign)
	[ "$n" -eq 1 ] && ok || fail "seal ($alg): $n C_Sign, expected 1"
	n=$(calls "$T/spy-sign.log" C_Login)
	[ "$n" -eq 1 ] && ok || fail "seal ($alg): $n C_Login, expected 1"
	s=$(secrets_read "$T/spy-sign.log")
	[ -z "$s" ] && ok || fail "seal ($alg): key material asked for: $s"
done
# A client with a file: bundle that trusts the admin certificates.
# (openssl pkcs12 keeps only the last -certfile: one file with both.)
cat "$T/admin-rsa.crt" "$T/admin-ec.crt" >"$T/admin-certs.pem"
make_p12 rsa pw "$T/admin-certs.pem"
printf 'pw\n' >"$T/pw"
chmod 600 "$T/pw"
for alg in rsa ec; do
	expect 0 "file: client opens token-signed ($alg), strict" -- \
		"$CERTSEAL" -s "file:$T/rsa.p12?pin-source=$T/pw" \
		--accept-encrypted-data-only open "$T/tok-$alg.sealed"
	same_bytes "$T/out" "$T/config" "token-signed ($alg)"
done
# The pkcs11: client does not know the admin certificates.
expect 4 "pkcs11: client, signer not on its token" -- "$CERTSEAL" \
	-s "$RSA_URI" --accept-encrypted-data-only open "$T/tok-rsa.sealed"
expect_clean_failure "signer not on the client token"

# --- signer trust: the decryption key's certificate is no signer ---------
# Any client holds the decryption key; a file it signs with that key must
# not pass as the admin's.
openssl cms -sign -signer "$T/rsa.crt" -inkey "$T/rsa.key" -binary \
	-nodetach -outform DER -in "$T/config" -out "$T/forged.der" 2>/dev/null
openssl cms -encrypt -aes-256-gcm -in "$T/forged.der" -binary \
	-outform PEM -recip "$T/rsa.crt" -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -out "$T/forged.pem" 2>/dev/null
expect 4 "signed with the decryption key: refused" -- "$CERTSEAL" \
	-s "$RSA_URI" --accept-encrypted-data-only open "$T/forged.pem"
expect_clean_failure "signed with the decryption key"
expect 4 "signed with the decryption key: refused, not strict" -- \
	"$CERTSEAL" -s "$RSA_URI" open "$T/forged.pem"
# Same when the certificate sits on the token under an unrelated CKA_ID.
pt "client token" 1234 --write-object "$T/rsa.der" --type cert --id 77 \
	--label stray && ok || fail "write stray certificate copy"
expect 4 "decryption certificate under another CKA_ID: refused" -- \
	"$CERTSEAL" -s "$RSA_URI" --accept-encrypted-data-only \
	open "$T/forged.pem"
# The same file signed by the admin-held signer opens.
openssl cms -sign -signer "$T/signer.crt" -inkey "$T/signer.key" -binary \
	-nodetach -outform DER -in "$T/config" -out "$T/genuine.der" 2>/dev/null
openssl cms -encrypt -aes-256-gcm -in "$T/genuine.der" -binary \
	-outform PEM -recip "$T/rsa.crt" -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -out "$T/genuine.pem" 2>/dev/null
expect 0 "signed by the token's signer certificate" -- "$CERTSEAL" \
	-s "$RSA_URI" --accept-encrypted-data-only open "$T/genuine.pem"
same_bytes "$T/out" "$T/config" "genuine signer"

# The rule is visible in `certseal sources --json`.
expect 0 "sources --json" -- "$CERTSEAL" -s "$RSA_URI" sources --json
if command -v jq >/dev/null 2>&1; then
	t=$(jq -r '[.. | objects | select(has("trusted_signer")) |
		"\(.label)=\(.trusted_signer)"] | sort | join(",")' "$T/out")
	[ "$t" = "ec-client=false,rsa-client=false,signer=true,stray=false" ] &&
		ok || fail "sources --json trust flags: $t"
	jq -e '.. | objects | select(has("signer_trust"))' "$T/out" \
		>/dev/null && ok || fail "sources --json: no signer_trust"
fi

# --- capabilities: asked once, and reported -----------------------------
# One open reads the mechanism list once and the information of one
# mechanism: check_spy above.
expect 0 "token check on SoftHSM" -- "$CERTSEAL_ADMIN" token check \
	"pkcs11:token=client%20token?module-path=$M&pin-source=file:$T/pin"
# SoftHSM offers OAEP but refuses SHA-256 with it: raw RSA, said so.
for want in "oaep_sha256 .* raw RSA" "oaep_sha1 .* native" "ecdh .* yes" \
	"export .* yes" "sign_rsa_pss .* native"; do
	grep -qE "^  $want\$" "$T/out" && ok ||
		fail "token check: no line matching '$want': $(cat "$T/out")"
done
expect 0 "token check on SoftHSM, no PIN" -- "$CERTSEAL_ADMIN" token check \
	--json "pkcs11:token=client%20token?module-path=$M"
if command -v jq >/dev/null 2>&1; then
	v=$(jq -r '.capabilities.oaep_sha256' "$T/out")
	[ "$v" = "raw RSA" ] && ok || fail "token check --json, no PIN: $v"
fi
expect 6 "token check, absent token" -- "$CERTSEAL_ADMIN" token check \
	"pkcs11:token=nosuch?module-path=$M"
expect_clean_failure "token check, absent token"
expect 2 "token check, bad URI" -- "$CERTSEAL_ADMIN" token check \
	"pkcs11:tokn=x"
expect_clean_failure "token check, bad URI"
expect 2 "token, no verb" -- "$CERTSEAL_ADMIN" token
# --- a key without its certificate: the token's hint reaches the user ---
# (CKA_ID = the certificate's SKID, as certseal's own keys; no cert object)
make_cert lonely rsa2048 -addext keyUsage=keyEncipherment ||
	fail "make_cert lonely"
skid=$(openssl x509 -in "$T/lonely.crt" -noout -ext subjectKeyIdentifier |
	sed -n '2{s/[: ]//g;p}')
openssl pkcs8 -topk8 -nocrypt -in "$T/lonely.key" -outform DER \
	-out "$T/lonely.p8" &&
pt second 5678 --write-object "$T/lonely.p8" --type privkey --id "$skid" \
	--label lonely || fail "write the lonely key"
expect 0 "seal for a key whose certificate is not on the token" -- \
	"$CERTSEAL_ADMIN" seal --recipient "$T/lonely.crt" \
	--signer "file:$T/signer.pem" --name lonely -o "$T/lonely.sealed" \
	"$T/config"
expect 3 "key without its certificate" -- "$CERTSEAL" -s "$SECOND_URI" \
	open "$T/lonely.sealed"
expect_clean_failure "key without its certificate"
grep -q "none of the 1 .*token 'second' has the key but not its certificate" \
	"$T/err" && ok || fail "no certificate hint: $(cat "$T/err")"

# --- pin-value: the URI's PIN reaches the token ------------------------
# (audit C, F1.)  A source shows its URI with the pin-value replaced by
# REDACTED; the token "redacted" has that word as its PIN, so a login made
# with the shown form instead of the URI succeeds there whatever the
# pin-value says, and the token "pin value" (PIN 1234) refuses it.
cs_softhsm_token "pin value" 1234 && cs_softhsm_token redacted REDACTED ||
	fail "pin-value tokens"
PV_URI="pkcs11:token=pin%20value?module-path=$M&pin-value=1234"
RED_URI="pkcs11:token=redacted?module-path=$M&pin-value=REDACTED"
RED_WRONG_SPY="pkcs11:token=redacted?module-path=$SPY&pin-value=wrong"

expect 0 "sources --check, right pin-value" -- "$CERTSEAL" -s "$PV_URI" \
	sources --check
grep -q "^token 'pin value'" "$T/out" && ! grep -q "error:" "$T/out" && ok ||
	fail "sources --check, right pin-value: $(head -c 400 "$T/out")"
expect 0 "sources --check --json, right pin-value" -- "$CERTSEAL" \
	-s "$PV_URI" sources --check --json
if command -v jq >/dev/null 2>&1; then
	jq -e '.sources[0] | .token.label == "pin value" and
		(has("error") | not)' "$T/out" >/dev/null && ok ||
		fail "sources --check --json, right pin-value: $(cat "$T/out")"
fi
spy_run "$T/spy-pv.log" "$CERTSEAL" -s "$RED_WRONG_SPY" sources --check
grep -q "error: .*CKR_PIN_INCORRECT" "$T/out" && ok ||
	fail "sources --check, wrong pin-value: $(head -c 400 "$T/out")"
n=$(calls "$T/spy-pv.log" C_Login)
[ "$n" -eq 1 ] && ok || fail "sources --check, wrong pin-value: $n C_Login"

# report signs with the enrolled key of a source, which must log in with
# that source's PIN: a wrong one is sent once, the report stays unsigned
# and the command says so (exit 6, not a silent unsigned report).
expect 0 "enroll on the token 'redacted'" -- "$CERTSEAL" -s "$RED_URI" \
	enroll --out "$T/red-req" --name red
mkdir -p "$T/red-rep"
spy_run "$T/spy-report.log" "$CERTSEAL" -s "$RED_WRONG_SPY" report \
	--out "$T/red-rep" --host red
rc=$?
[ "$rc" -eq 6 ] && grep -q "written but not signed.*CKR_PIN_INCORRECT" \
	"$T/err" && ok ||
	fail "report, wrong pin-value: exit $rc: $(cat "$T/err")"
[ -e "$T/red-rep/red.json" ] && ok ||
	fail "report, wrong pin-value: $(cat "$T/err")"
[ ! -e "$T/red-rep/red.json.sig" ] && ok ||
	fail "report signed with a wrong pin-value: $(cat "$T/err")"
n=$(calls "$T/spy-report.log" C_Login)
[ "$n" -eq 1 ] && ok || fail "report, wrong pin-value: $n C_Login"
expect 0 "report, right pin-value" -- "$CERTSEAL" -s "$RED_URI" report \
	--out "$T/red-rep" --host red
[ -e "$T/red-rep/red.json.sig" ] && ok ||
	fail "report not signed with the right pin-value: $(cat "$T/err")"

# --- pin-value: never in a message or a printed URI ---------------------
# (audit C, F2.)  README: "URIs are printed with it replaced by REDACTED".
PV_SHOWN="pkcs11:token=pin%20value?module-path=$M&pin-value=REDACTED"
# no_pin WHAT: the PIN 1234 of a pin-value is in neither $T/out nor $T/err.
no_pin() {
	if grep -q "pin-value=1234" "$T/out" "$T/err"; then
		fail "$1: the pin-value in clear: $(grep -h "pin-value=1234" \
			"$T/out" "$T/err" | head -c 300)"
	else
		ok
	fi
}
# uri_shown WHAT: $T/out's JSON uri member is the URI as shown.
uri_shown() {
	if command -v jq >/dev/null 2>&1; then
		jq -e --arg u "$PV_SHOWN" "$2 == \$u" "$T/out" >/dev/null &&
			ok || fail "$1: uri $(jq -c "$2" "$T/out")"
	fi
}
expect 0 "sources --check --json, pin-value shown" -- "$CERTSEAL" \
	-s "$PV_URI" -v sources --check --json
uri_shown "sources --check --json" .sources[0].uri
no_pin "sources --check --json"
expect 0 "token check --json, pin-value" -- "$CERTSEAL_ADMIN" token check \
	"$PV_URI" --json
uri_shown "token check --json" .uri
no_pin "token check --json"
expect 0 "token check, pin-value" -- "$CERTSEAL_ADMIN" token check "$PV_URI"
no_pin "token check"
# The profile's token URI with a pin-value: init, -v and token check.
expect 0 "init on a pin-value token" -- "$CERTSEAL_ADMIN" \
	--profile "$T/pv/profile.json" -v init --token "$PV_URI" \
	--config "$T/pv.sealed" --name pv
no_pin "init"
expect 0 "token check --json, profile pin-value" -- "$CERTSEAL_ADMIN" \
	--profile "$T/pv/profile.json" -v token check --json
uri_shown "token check --json, profile" .uri
no_pin "token check --json, profile"
# enroll says where the key is: its -s URI, as given.
expect 0 "enroll on a pin-value token" -- "$CERTSEAL" -s "$PV_URI" \
	enroll --out "$T/pv-req" --name pv
grep -q "key .* in $PV_SHOWN" "$T/err" && ok ||
	fail "enroll: no key line: $(cat "$T/err")"
no_pin "enroll"

finish
