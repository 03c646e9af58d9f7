#!/bin/sh
# The pkcs11: source and an admin signing key on a software TPM 2.0
# (swtpm + tpm2-abrmd + tpm2-pkcs11), a token that is not SoftHSM: keys
# generated on it by pkcs11-tool, certificates made by openssl, nothing made
# by certseal.  Checked: strict open/check of OAEP-SHA-256 files through
# the native CKM_RSA_PKCS_OAEP (no raw RSA), one C_Login and one private-key
# operation per open (pkcs11-spy), the mechanism list read once, a wrong
# PIN sent once, an EC key on a token without CKM_ECDH1_DERIVE refused with
# exit 6 before any key operation, the capability report, and files sealed
# with the admin's non-extractable signing key on the TPM.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/spy-lib.sh"
. "$top_srcdir/tests/integration/tpm-lib.sh"

SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
# The TSS libraries log every refused command on stderr.
TSS2_LOG=all+none
export TSS2_LOG
[ -r "$SPY" ] || cs_skip "pkcs11-spy (opensc) not installed"
cs_tpm_require
cs_tpm_setup || exit 99
cs_tpm_token tpm 1234 || exit 99
M=$TPM_MODULE

# pt ARGS...: pkcs11-tool logged in to the TPM token.
pt() {
	pkcs11-tool --module "$M" --token-label tpm --login --pin 1234 \
		"$@" >"$T/pt.log" 2>&1 || {
		echo "pkcs11-tool $*: $(cat "$T/pt.log")" >&2
		return 1
	}
}

# issue NAME PUBKEY_PEM KEYUSAGE: $T/NAME.crt (and .der) for a public key
# that lives on the TPM, issued by the software CA $T/ca.*.
issue() {
	printf '[e]\nsubjectKeyIdentifier = hash\nkeyUsage = %s\n' "$3" \
		>"$T/$1.ext"
	openssl req -new -key "$T/ca.key" -subj "/CN=$1" -out "$T/$1.csr" \
		2>/dev/null &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-CAcreateserial -force_pubkey "$2" -extfile "$T/$1.ext" \
		-extensions e -days 30 -out "$T/$1.crt" 2>/dev/null &&
	openssl x509 -in "$T/$1.crt" -outform DER -out "$T/$1.der"
}

# tpm_pair KEYTYPE ID NAME KEYUSAGE: a key pair generated on the TPM, its
# certificate by openssl, stored back on the TPM under the same CKA_ID.
tpm_pair() {
	pt --keypairgen --key-type "$1" --id "$2" --label "$3" &&
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
tpm_pair rsa:2048 01 rsa2048 keyEncipherment || setup_ok=0
tpm_pair rsa:3072 02 rsa3072 keyEncipherment || setup_ok=0
tpm_pair EC:prime256v1 03 ec keyAgreement || setup_ok=0
tpm_pair rsa:3072 10 admin digitalSignature || setup_ok=0
# The signer's certificate without its key: the client's trust anchor.
pt --write-object "$T/signer.der" --type cert --id 99 --label signer ||
	setup_ok=0
[ "$setup_ok" -eq 1 ] || { echo "TPM token setup failed" >&2; exit 99; }
printf '1234\n' >"$T/pin"
printf '0000\n' >"$T/badpin"
chmod 600 "$T/pin" "$T/badpin"
head -c 3000 /dev/urandom | base64 >"$T/config"

uri() { # uri OBJECT MODULE PINFILE
	echo "pkcs11:token=tpm;object=$1?module-path=$2&pin-source=file:$3"
}

# --- RSA-2048 and RSA-3072 clients: strict open, check ------------------
for k in rsa2048 rsa3072; do
	expect 0 "seal to $k" -- "$CERTSEAL_ADMIN" seal --recipient \
		"$T/$k.crt" --signer "file:$T/signer.pem" --name "$k" \
		-o "$T/$k.sealed" "$T/config"
	expect 0 "open $k strict" -- "$CERTSEAL" -s "$(uri "$k" "$M" "$T/pin")" \
		--accept-encrypted-data-only open "$T/$k.sealed"
	same_bytes "$T/out" "$T/config" "open $k"
	expect 0 "check $k strict" -- "$CERTSEAL" \
		-s "$(uri "$k" "$M" "$T/pin")" --accept-encrypted-data-only \
		check "$T/$k.sealed"
	spy_run "$T/spy-$k.log" "$CERTSEAL" -s "$(uri "$k" "$SPY" "$T/pin")" \
		--accept-encrypted-data-only open "$T/$k.sealed"
	rc=$?
	[ $rc -eq 0 ] && ok || fail "$k under spy: exit $rc: $(cat "$T/err")"
	same_bytes "$T/out" "$T/config" "$k under spy"
	n=$(calls "$T/spy-$k.log" C_Login)
	[ "$n" -eq 1 ] && ok || fail "$k: $n C_Login, expected 1"
	n=$(calls "$T/spy-$k.log" C_Decrypt)
	[ "$n" -eq 1 ] && ok || fail "$k: $n C_Decrypt, expected 1"
	n=$(calls "$T/spy-$k.log" C_GetMechanismList)
	[ "$n" -le 2 ] && ok ||
		fail "$k: $n C_GetMechanismList, expected one read (2 calls)"
	# The TPM does SHA-256 OAEP itself: native, first time, no raw RSA.
	m=$(decrypt_mechs "$T/spy-$k.log" | tr '\n' ';')
	[ "$m" = "CKM_RSA_PKCS_OAEP CKM_SHA256 CKR_OK;" ] && ok ||
		fail "$k: expected one native OAEP-SHA256 C_DecryptInit, got: $m"
done
# A file sealed to both keys on the token: still one key operation.
expect 0 "seal to both RSA keys" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/rsa2048.crt" --recipient "$T/rsa3072.crt" \
	--signer "file:$T/signer.pem" --name both -o "$T/both.sealed" \
	"$T/config"
spy_run "$T/spy-both.log" "$CERTSEAL" -s "pkcs11:token=tpm?module-path=$SPY&pin-source=file:$T/pin" \
	--accept-encrypted-data-only open "$T/both.sealed"
[ $? -eq 0 ] && ok || fail "two recipients under spy: $(cat "$T/err")"
n=$(calls "$T/spy-both.log" C_Decrypt)
[ "$n" -eq 1 ] && ok || fail "two recipients: $n C_Decrypt, expected 1"

# --- a wrong PIN is sent once -------------------------------------------
spy_run "$T/spy-bad.log" "$CERTSEAL" -s "$(uri rsa2048 "$SPY" "$T/badpin")" \
	open "$T/both.sealed"
rc=$?
[ $rc -eq 6 ] && ok || fail "wrong PIN: exit $rc, expected 6: $(cat "$T/err")"
# tpm2-pkcs11 prints its own "ERROR: Esys_Unseal..." lines on stderr
# (TSS2_LOG silences only the TSS); certseal's own message is one line.
[ -s "$T/out" ] && fail "wrong PIN: output on stdout" || ok
n=$(grep -c "^certseal" "$T/err")
[ "$n" -eq 1 ] && ok || fail "wrong PIN: $n certseal lines: $(cat "$T/err")"
n=$(calls "$T/spy-bad.log" C_Login)
[ "$n" -eq 1 ] && ok || fail "wrong PIN: $n C_Login, expected 1"
expect 0 "right PIN afterwards" -- "$CERTSEAL" \
	-s "$(uri rsa2048 "$M" "$T/pin")" open "$T/rsa2048.sealed"

# --- EC on a token without ECDH: exit 6 before any key operation --------
expect 0 "seal to the TPM's EC key" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/ec.crt" --signer "file:$T/signer.pem" --name ec \
	-o "$T/ec.sealed" "$T/config"
spy_run "$T/spy-ec.log" "$CERTSEAL" -s "$(uri ec "$SPY" "$T/pin")" \
	open "$T/ec.sealed"
rc=$?
[ $rc -eq 6 ] && ok || fail "EC on TPM: exit $rc, expected 6: $(cat "$T/err")"
expect_clean_failure "EC on TPM"
grep -q "token 'tpm' cannot derive ECDH keys (CKM_ECDH1_DERIVE); use an RSA pair" \
	"$T/err" && ok || fail "EC on TPM: message: $(cat "$T/err")"
n=$(calls "$T/spy-ec.log" C_DeriveKey)
[ "$n" -eq 0 ] && ok || fail "EC on TPM: $n C_DeriveKey, expected none"

# --- the admin's signing key on the TPM ---------------------------------
pt --list-objects --type privkey --id 10 && ok || fail "list admin key"
grep -q "never extractable" "$T/pt.log" && ok ||
	fail "admin key on the TPM is extractable: $(cat "$T/pt.log")"
ADMIN_SPY="pkcs11:token=tpm;object=admin?module-path=$SPY&pin-source=file:$T/pin"
spy_run "$T/spy-sign.log" "$CERTSEAL_ADMIN" seal --recipient "$T/rsa2048.crt" \
	--signer "$ADMIN_SPY" --name tpm-signed -o "$T/tpm-signed.sealed" \
	"$T/config"
rc=$?
[ $rc -eq 0 ] && ok || fail "seal --signer TPM: exit $rc: $(cat "$T/err")"
n=$(calls "$T/spy-sign.log" C_Sign)
[ "$n" -eq 1 ] && ok || fail "seal --signer TPM: $n C_Sign, expected 1"
n=$(calls "$T/spy-sign.log" C_Login)
[ "$n" -eq 1 ] && ok || fail "seal --signer TPM: $n C_Login, expected 1"
# An independent check of the signature: openssl, with the CA's copy.
make_p12 ca pw "$T/admin.crt"
printf 'pw\n' >"$T/pw"
chmod 600 "$T/pw"
openssl x509 -in "$T/admin.crt" -noout -ext keyUsage 2>/dev/null |
	grep -q "Digital Signature" && ok || fail "admin certificate keyUsage"
# The TPM client trusts the admin's certificate once it is on its token
# without its key: here, the same token holds the key, which is
# non-extractable and signing-only, so it counts as the admin's own.
expect 0 "open TPM-signed file strict, TPM client" -- "$CERTSEAL" \
	-s "$(uri rsa2048 "$M" "$T/pin")" --accept-encrypted-data-only \
	open "$T/tpm-signed.sealed"
same_bytes "$T/out" "$T/config" "TPM-signed file"

# RSA-PSS and PKCS#1 with the TPM key, checked by openssl.  The TPM does
# not list CKM_RSA_PKCS_PSS, so PSS goes through raw RSA (CKM_RSA_X_509)
# with the padding made in software, without trying PSS first.
for pad in pss pkcs1; do
	spy_run "$T/spy-$pad.log" "$top_builddir/p11-sign" "$ADMIN_SPY" \
		"$T/admin.crt" "$pad" "$T/config" "$T/$pad.p7"
	rc=$?
	[ $rc -eq 0 ] && ok || fail "p11-sign $pad: exit $rc: $(cat "$T/err")"
	openssl cms -verify -inform DER -in "$T/$pad.p7" -binary \
		-CAfile "$T/ca.crt" -purpose any -out "$T/$pad.out" \
		2>"$T/$pad.verify" && ok ||
		fail "openssl cms -verify ($pad): $(cat "$T/$pad.verify")"
	same_bytes "$T/$pad.out" "$T/config" "$pad signature content"
	m=$(awk '/^[0-9]+: C_/ { fn = $2 }
		fn == "C_SignInit" && /pMechanism->type/ { print $4 }' \
		"$T/spy-$pad.log" | tr '\n' ' ')
	want="CKM_RSA_X_509 "
	[ "$pad" = pkcs1 ] && want="CKM_RSA_PKCS "
	[ "$m" = "$want" ] && ok || fail "$pad: C_SignInit mechanisms '$m', expected '$want'"
done
openssl cms -cmsout -print -inform DER -in "$T/pss.p7" 2>/dev/null |
	grep -q "rsassaPss" && ok || fail "PSS signature is not rsassaPss"

# --- the capability report ----------------------------------------------
expect 0 "token check" -- "$CERTSEAL_ADMIN" token check \
	"pkcs11:token=tpm?module-path=$M&pin-source=file:$T/pin"
for want in "ecdh .* no" "oaep_sha256 .* native" "export .* no" \
	"generate_rsa .* yes" "sign_rsa_pkcs1 .* yes"; do
	grep -qE "^  $want\$" "$T/out" && ok ||
		fail "token check: no line matching '$want': $(cat "$T/out")"
done
expect 0 "token check --json" -- "$CERTSEAL_ADMIN" token check --json \
	"pkcs11:token=tpm?module-path=$M&pin-source=file:$T/pin"
if command -v jq >/dev/null 2>&1; then
	v=$(jq -r '[.capabilities.ecdh, .capabilities.oaep_sha256,
		.capabilities.export, .capabilities.generate_rsa] | join(",")' \
		"$T/out")
	[ "$v" = "no,native,no,yes" ] && ok || fail "token check --json: $v"
	jq -e '.advice | map(select(test("ECDH"))) | length == 1' "$T/out" \
		>/dev/null && ok || fail "token check --json: no ECDH advice"
fi
expect 0 "sources --check" -- "$CERTSEAL" -s "$(uri rsa2048 "$M" "$T/pin")" \
	sources --check
grep -qE "^  ecdh .* no$" "$T/out" && ok ||
	fail "sources --check: $(cat "$T/out")"
# Without a PIN source nothing is asked for, and the OAEP question stays
# open (the TPM answers it only after a login).
expect 0 "token check without a PIN" -- "$CERTSEAL_ADMIN" token check \
	"pkcs11:token=tpm?module-path=$M"
grep -qE "^  oaep_sha256 .* native or raw RSA \(log in to tell\)$" \
	"$T/out" && ok || fail "token check, no PIN: $(cat "$T/out")"

# --- pair generate on a token that cannot export: refused up front -----
export CERTSEAL_PROFILE="$T/profile.json"
expect 0 "init on the TPM" -- "$CERTSEAL_ADMIN" init --token \
	"pkcs11:token=tpm?module-path=$M&pin-source=file:$T/pin" \
	--config "$T/app.sealed" --name app
# token check without a URI: the profile's token.
expect 0 "token check, the profile's token" -- "$CERTSEAL_ADMIN" token check
grep -q "^token 'tpm' " "$T/out" && grep -qE "^  export .* no$" "$T/out" &&
	ok || fail "token check (profile): $(cat "$T/out")"
pkcs11-tool --module "$M" --token-label tpm --login --pin 1234 -O \
	2>/dev/null | grep -c "Object;" >"$T/nobj.before"
for alg in rsa-3072 ec-p256; do
	expect 6 "pair generate $alg on the TPM" -- "$CERTSEAL_ADMIN" \
		pair generate --algorithm "$alg"
	expect_clean_failure "pair generate $alg on the TPM"
	grep -q "token 'tpm' cannot export private keys.*pair generate --no-export" \
		"$T/err" && ok || fail "pair generate $alg: message: $(cat "$T/err")"
done
expect 6 "pair generate rsa-4096 on the TPM (too big)" -- \
	"$CERTSEAL_ADMIN" pair generate --algorithm rsa-4096
grep -q "1024 to 3072 bits" "$T/err" && ok ||
	fail "rsa-4096 on the TPM: message: $(cat "$T/err")"
pkcs11-tool --module "$M" --token-label tpm --login --pin 1234 -O \
	2>/dev/null | grep -c "Object;" >"$T/nobj.after"
same_bytes "$T/nobj.after" "$T/nobj.before" "objects after refused pair generate"
unset CERTSEAL_PROFILE

finish
