#!/bin/sh
# The pkcs11: source on NSS softokn (libsoftokn3.so), a second token that
# is not SoftHSM and that needs C_Initialize arguments: its database is
# named in the URI with certseal's x-init-reserved query attribute (the
# same string p11-kit passes from a module configuration's
# x-init-reserved).  Keys are generated inside the database by NSS's own
# certutil, certificates issued by openssl; nothing is made by certseal.
# Checked: strict open/check for RSA-2048, RSA-3072 (native OAEP-SHA-256)
# and EC P-256 (ECDH), one C_Login and one private-key operation per open,
# a wrong PIN sent once, the capability report, and the URI errors.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/spy-lib.sh"
. "$top_srcdir/tests/integration/tpm-lib.sh"

SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
[ -r "$SPY" ] || cs_skip "pkcs11-spy (opensc) not installed"
cs_nss_require
cs_nss_setup nss-pass || exit 99
M=$NSS_MODULE
TOKEN="NSS%20Certificate%20DB"

# issue NAME: $T/NAME.crt/.der from the request certutil made, by the
# software CA, with a subjectKeyIdentifier and keyUsage $2.
issue() {
	printf '[e]\nsubjectKeyIdentifier = hash\nkeyUsage = %s\n' "$2" \
		>"$T/$1.ext"
	openssl x509 -req -inform DER -in "$T/$1.csr" -CA "$T/ca.crt" \
		-CAkey "$T/ca.key" -CAcreateserial -extfile "$T/$1.ext" \
		-extensions e -days 30 -out "$T/$1.crt" 2>/dev/null &&
	openssl x509 -in "$T/$1.crt" -outform DER -out "$T/$1.der"
}

setup_ok=1
make_cert ca p256 || setup_ok=0
make_cert signer p256 -addext keyUsage=digitalSignature || setup_ok=0
(umask 077 && cat "$T/signer.key" "$T/signer.crt" >"$T/signer.pem")
openssl x509 -in "$T/signer.crt" -outform DER -out "$T/signer.der"
for k in "rsa2048 -k rsa -g 2048" "rsa3072 -k rsa -g 3072" \
    "ec -k ec -q nistp256"; do
	set -- $k
	name=$1
	shift
	ku=keyEncipherment
	[ "$name" = ec ] && ku=keyAgreement
	cs_nss_keygen "$name" "$@" && issue "$name" "$ku" &&
		cs_nss_add_cert "$name" "$T/$name.der" || setup_ok=0
done
cs_nss_add_cert signer "$T/signer.der" || setup_ok=0
[ "$setup_ok" -eq 1 ] || { echo "NSS database setup failed" >&2; exit 99; }
printf 'nss-pass\n' >"$T/pin"
printf 'wrong\n' >"$T/badpin"
chmod 600 "$T/pin" "$T/badpin"
head -c 3000 /dev/urandom | base64 >"$T/config"

# uri OBJECT MODULE PINFILE: the key's URI, the database in the query.
uri() {
	echo "pkcs11:token=$TOKEN;object=$1?module-path=$2&x-init-reserved=$(cs_pct "$NSS_PARAMS")&pin-source=file:$3"
}

# --- RSA-2048, RSA-3072, EC: strict open and check ----------------------
for k in rsa2048 rsa3072 ec; do
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
	d=$(calls "$T/spy-$k.log" C_Decrypt)
	e=$(calls "$T/spy-$k.log" C_DeriveKey)
	if [ "$k" = ec ]; then
		[ "$d.$e" = "0.1" ] && ok ||
			fail "$k: $d C_Decrypt, $e C_DeriveKey, expected 0 and 1"
	else
		[ "$d.$e" = "1.0" ] && ok ||
			fail "$k: $d C_Decrypt, $e C_DeriveKey, expected 1 and 0"
		m=$(decrypt_mechs "$T/spy-$k.log" | tr '\n' ';')
		[ "$m" = "CKM_RSA_PKCS_OAEP CKM_SHA256 CKR_OK;" ] && ok ||
			fail "$k: expected one native OAEP-SHA256, got: $m"
	fi
done

# --- without its arguments the module does not start: a clear exit 6 ---
expect 6 "NSS without x-init-reserved" -- "$CERTSEAL" \
	-s "pkcs11:token=$TOKEN?module-path=$M&pin-source=file:$T/pin" \
	open "$T/rsa2048.sealed"
expect_clean_failure "NSS without x-init-reserved"
grep -q "x-init-reserved" "$T/err" && ok ||
	fail "no hint at x-init-reserved: $(cat "$T/err")"
expect 2 "x-init-reserved without module-path" -- "$CERTSEAL" \
	-s "pkcs11:token=$TOKEN?x-init-reserved=flags%3D" open "$T/rsa2048.sealed"
expect_clean_failure "x-init-reserved without module-path"

# One C_Initialize per library and process: other arguments are refused
# (the first source has no key for this file, so the second is opened).
make_cert other rsa2048
expect 0 "seal to a key on no token" -- "$CERTSEAL_ADMIN" seal --recipient \
	"$T/other.crt" --signer "file:$T/signer.pem" --name other \
	-o "$T/other.sealed" "$T/config"
expect 6 "one module, two sets of arguments" -- "$CERTSEAL" \
	-s "$(uri rsa2048 "$M" "$T/pin")" \
	-s "pkcs11:token=$TOKEN?module-path=$M&x-init-reserved=flags%3DreadOnly&pin-source=file:$T/pin" \
	open "$T/other.sealed"
expect_clean_failure "one module, two sets of arguments"
grep -q "already initialised with other initialisation arguments" \
	"$T/err" && ok || fail "two sets of arguments: $(cat "$T/err")"

# --- a wrong PIN is sent once -------------------------------------------
spy_run "$T/spy-bad.log" "$CERTSEAL" -s "$(uri rsa2048 "$SPY" "$T/badpin")" \
	open "$T/rsa2048.sealed"
rc=$?
[ $rc -eq 6 ] && ok || fail "wrong PIN: exit $rc, expected 6: $(cat "$T/err")"
expect_clean_failure "wrong PIN"
n=$(calls "$T/spy-bad.log" C_Login)
[ "$n" -eq 1 ] && ok || fail "wrong PIN: $n C_Login, expected 1"

# --- the capability report ----------------------------------------------
expect 0 "token check" -- "$CERTSEAL_ADMIN" token check \
	"pkcs11:token=$TOKEN?$NSS_QUERY&pin-source=file:$T/pin"
for want in "ecdh .* yes" "oaep_sha256 .* native" "export .* yes" \
	"generate_ec .* yes" "sign_rsa_pss .* native"; do
	grep -qE "^  $want\$" "$T/out" && ok ||
		fail "token check: no line matching '$want': $(cat "$T/out")"
done
expect 0 "sources --check --json" -- "$CERTSEAL" \
	-s "$(uri rsa2048 "$M" "$T/pin")" -s "file:$T/signer.pem" \
	sources --check --json
if command -v jq >/dev/null 2>&1; then
	v=$(jq -r '[.sources[0].capabilities.ecdh, .sources[0].capabilities.oaep_sha256,
		(.sources[1].token | startswith("none"))] | join(",")' "$T/out")
	[ "$v" = "yes,native,true" ] && ok || fail "sources --check --json: $v"
fi

# --- module-name=: p11-kit's module configuration, x-init-reserved -----
# p11-kit reads ~/.config/pkcs11/modules for ordinary users and ignores it
# for root, so as root this part runs as nobody (setpriv), with its own
# copy of the database; /etc/pkcs11/modules is the machine's, not ours.
U="$T/u"
mkdir -p "$U/.config/pkcs11/modules" "$U/state" "$U/stores"
cp -r "$NSS_DIR" "$U/nss"
cat >"$U/.config/pkcs11/modules/certseal-nss-test.module" <<CONF
module: $M
x-init-reserved: configdir='sql:$U/nss' certPrefix='' keyPrefix='' secmod='secmod.db' flags=
CONF
cp "$T/pin" "$T/rsa2048.sealed" "$T/ec.sealed" "$U/"
as_user=""
# Sanitizer builds: p11-kit's own leak (tests/lsan.supp) is recognised by
# its function name only with the full unwinder.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export ASAN_OPTIONS
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		chown -R 65534:65534 "$U"
		chmod 711 "$T"
		as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	else
		as_user=none
	fi
fi
if [ "$as_user" = none ]; then
	fail "running as root without setpriv: cannot check p11-kit's user module configuration"
else
	for k in rsa2048 ec; do
		expect 0 "module-name= with x-init-reserved ($k)" -- \
			$as_user env HOME="$U" CERTSEAL_STATE_DIR="$U/state" \
			CERTSEAL_STORE_ROOT="$U/stores" "$CERTSEAL" \
			-s "pkcs11:token=$TOKEN;object=$k?module-name=certseal-nss-test&pin-source=file:$U/pin" \
			--accept-encrypted-data-only open "$U/$k.sealed"
		same_bytes "$T/out" "$T/config" "module-name= ($k)"
	done
	# Found among the registered modules without naming one, too.
	expect 0 "registered modules searched, x-init-reserved passed" -- \
		$as_user env HOME="$U" CERTSEAL_STATE_DIR="$U/state" \
		CERTSEAL_STORE_ROOT="$U/stores" "$CERTSEAL" \
		-s "pkcs11:token=$TOKEN;object=rsa2048?pin-source=file:$U/pin" \
		open "$U/rsa2048.sealed"
	same_bytes "$T/out" "$T/config" "registered modules searched"
	# The same configuration without its x-init-reserved line fails.
	grep -v x-init-reserved \
		"$U/.config/pkcs11/modules/certseal-nss-test.module" \
		>"$U/.config/pkcs11/modules/certseal-nss-bare.module"
	expect 6 "module-name= without x-init-reserved" -- \
		$as_user env HOME="$U" CERTSEAL_STATE_DIR="$U/state" \
		CERTSEAL_STORE_ROOT="$U/stores" "$CERTSEAL" \
		-s "pkcs11:token=$TOKEN;object=rsa2048?module-name=certseal-nss-bare&pin-source=file:$U/pin" \
		open "$U/rsa2048.sealed"
	grep -q "CKR_ARGUMENTS_BAD" "$T/err" && ok ||
		fail "bare module config: $(cat "$T/err")"
fi
chmod 700 "$T"

finish
