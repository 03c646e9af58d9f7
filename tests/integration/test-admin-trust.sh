#!/bin/sh
# The admin signs only what it wrote (issue 11): save (without PLAINFILE),
# edit and show take the file at the profile's configuration path only
# when a strict client would - sealed, signed by the profile's own pairs,
# with the profile's name - and not older than what the profile last wrote
# there.  Files are planted with independent tools (openssl cms,
# pkcs11-tool) and with certseal-admin seal; every -o onto the profile's
# own files is refused; retiring the active pair needs --force and has a
# way back.
. "${top_srcdir:-.}/tests/integration/lib.sh"

for tool in openssl pkcs11-tool; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (contrib/install-deps)" >&2
		exit 77
	fi
done
export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF
mkdir -p "$T/cfg"
CFG="$T/cfg/app.sealed"
printf 'version = 1\n' >"$T/v1.conf"
printf 'version = 2\n' >"$T/v2.conf"
printf 'evil = planted\n' >"$T/evil.conf"
admin_with_pair "$CFG" "$T/v1.conf"
openssl pkcs12 -in "$T/p1.p12" -passin pass:export-pass -clcerts -nokeys \
	-out "$T/p1.crt" 2>/dev/null
CONF="$T/admin/token/softhsm2.conf"
PIN=$(cat "$T/admin/token/user.pin")

# seq FILE: the sequence a strict client reads in FILE.
seq_of() {
	"$CERTSEAL" -s "$S1" inspect "$1" --json 2>/dev/null |
	    sed -n 's/.*"sequence": *\([0-9]*\).*/\1/p' | head -n 1
}
# planted_refused WHAT CODE: save, edit and show all refuse what is at
# $CFG with CODE, and nothing is sealed over it.
planted_refused() {
	cp "$CFG" "$T/planted-copy"
	expect "$2" "$1: save" -- "$CERTSEAL_ADMIN" save
	expect_clean_failure "$1: save"
	same_bytes "$CFG" "$T/planted-copy" "$1: save left the file"
	expect "$2" "$1: edit" -- env EDITOR=true "$CERTSEAL_ADMIN" edit
	same_bytes "$CFG" "$T/planted-copy" "$1: edit left the file"
	expect "$2" "$1: show" -- "$CERTSEAL_ADMIN" show
	expect_clean_failure "$1: show"
}

cp "$CFG" "$T/good-v1.sealed"
# --- 1. plaintext planted at the configuration path ---------------------
cp "$T/evil.conf" "$CFG"
planted_refused "plaintext" 4
grep -q 'not sealed' "$T/err" && ok || fail "plaintext: $(cat "$T/err")"
# The same file under another spelling and through a symlink.
expect 4 "plaintext, path with .." -- "$CERTSEAL_ADMIN" save \
	"$T/cfg/../cfg/app.sealed"
ln -s "$CFG" "$T/link.sealed"
expect 4 "plaintext, via a symlink" -- "$CERTSEAL_ADMIN" save \
	"$T/link.sealed"
same_bytes "$CFG" "$T/evil.conf" "plaintext: still unsealed"
expect 4 "--migrate-plaintext after the profile sealed there" -- \
	"$CERTSEAL_ADMIN" save --migrate-plaintext
# Named on purpose, from another path: taken.
expect 0 "save PLAINFILE" -- "$CERTSEAL_ADMIN" save "$T/v1.conf"

# --- 2. an unsigned envelope (openssl cms) to the pair ------------------
openssl cms -encrypt -binary -aes-256-gcm -recip "$T/p1.crt" -keyid \
	-keyopt ecdh_kdf_md:sha256 \
	-in "$T/evil.conf" -outform PEM -out "$T/unsigned.sealed" 2>"$T/cms.err" ||
	fail "openssl cms -encrypt: $(cat "$T/cms.err")"
cp "$T/unsigned.sealed" "$CFG"
planted_refused "unsigned" 4
# Named on purpose (a copy elsewhere): shown, and said so.
cp "$T/unsigned.sealed" "$T/copy.sealed"
expect 0 "show COPY (unsigned)" -- "$CERTSEAL_ADMIN" show "$T/copy.sealed"
same_bytes "$T/out" "$T/evil.conf" "show COPY"
grep -q 'not signed by this profile' "$T/err" && ok ||
	fail "show COPY says nothing: $(cat "$T/err")"
expect 4 "save COPY (unsigned, sealed)" -- "$CERTSEAL_ADMIN" save \
	"$T/copy.sealed"

# --- 3. signed by a certificate the token trusts, not a profile pair ----
make_cert foreign p256 -addext keyUsage=digitalSignature
make_p12 foreign fpass
printf 'fpass\n' >"$T/fpass"
openssl x509 -in "$T/foreign.crt" -outform DER -out "$T/foreign.der"
SOFTHSM2_CONF="$CONF" pkcs11-tool --module "$SOFTHSM_MODULE" \
	--token-label certseal-admin --login --pin "$PIN" --write-object \
	"$T/foreign.der" --type cert --id 99 --label foreign >/dev/null 2>&1 &&
	ok || fail "pkcs11-tool could not store the foreign certificate"
expect 0 "seal with the foreign signer" -- "$CERTSEAL_ADMIN" seal \
	--recipient "$T/p1.crt" --signer "file:$T/foreign.p12?pin-source=$T/fpass" \
	--name app --sequence 100 -o "$T/foreign.sealed" "$T/evil.conf"
cp "$T/foreign.sealed" "$CFG"
planted_refused "foreign signer" 4
grep -q 'not written by this profile' "$T/err" && ok ||
	fail "foreign signer: $(cat "$T/err")"

# --- 4. the profile's own key, another configuration name ---------------
SIGN_ID=$("$CERTSEAL_ADMIN" pair list --json | tr -d ' \n' |
	sed 's/.*"signing_key_id":"\([0-9a-f]*\)".*/\1/')
PCT=$(printf '%s' "$SIGN_ID" | sed 's/../%&/g')
SIGNER="pkcs11:token=certseal-admin;id=$PCT;type=private?module-path=$SOFTHSM_MODULE&pin-source=$T/admin/token/user.pin"
expect 0 "seal with the pair's key, name other" -- env SOFTHSM2_CONF="$CONF" \
	"$CERTSEAL_ADMIN" seal --recipient "$T/p1.crt" --signer "$SIGNER" \
	--name other --sequence 100 -o "$T/other.sealed" "$T/evil.conf"
cp "$T/other.sealed" "$CFG"
planted_refused "other name" 4
grep -q "name 'other'" "$T/err" && ok || fail "other name: $(cat "$T/err")"

# --- 5. rollback: an older file of the profile's own --------------------
expect 0 "save v1" -- "$CERTSEAL_ADMIN" save "$T/v1.conf"
cp "$CFG" "$T/old.sealed"
expect 0 "save v2" -- "$CERTSEAL_ADMIN" save "$T/v2.conf"
NEW=$(seq_of "$CFG")
cp "$T/old.sealed" "$CFG"
planted_refused "rollback" 5
grep -q 'rollback' "$T/err" && ok || fail "rollback: $(cat "$T/err")"
expect 0 "show --allow-rollback" -- "$CERTSEAL_ADMIN" show --allow-rollback
same_bytes "$T/out" "$T/v1.conf" "show --allow-rollback"
expect 0 "save --allow-rollback" -- "$CERTSEAL_ADMIN" save --allow-rollback
[ "$(seq_of "$CFG")" -gt "$NEW" ] && ok ||
	fail "save --allow-rollback: sequence $(seq_of "$CFG") not above $NEW"
# An old file of the profile's elsewhere is no rollback of the path.
expect 0 "show an old copy" -- "$CERTSEAL_ADMIN" show "$T/good-v1.sealed"
grep -q 'not signed' "$T/err" && fail "own old copy noted: $(cat "$T/err")" ||
	ok
# A file one ahead of the profile (a crash between the two writes): the
# next number is above both.
expect 0 "save ahead" -- "$CERTSEAL_ADMIN" save "$T/v2.conf"
AHEAD=$(seq_of "$CFG")
cp "$CERTSEAL_PROFILE" "$T/profile-before"
expect 0 "save once more" -- "$CERTSEAL_ADMIN" save "$T/v1.conf"
cp "$T/profile-before" "$CERTSEAL_PROFILE"
expect 0 "save after the profile fell behind" -- "$CERTSEAL_ADMIN" save
[ "$(seq_of "$CFG")" -gt "$((AHEAD + 1))" ] && ok ||
	fail "sequence reused: $(seq_of "$CFG") after $((AHEAD + 1))"

# --- 6. -o onto the profile's own files ---------------------------------
cp "$CFG" "$T/cfg-before"
cp "$CERTSEAL_PROFILE" "$T/profile-before"
ln -s "$CERTSEAL_PROFILE" "$T/profile-link"
for target in "$CFG" "$T/cfg/../cfg/app.sealed" "$CERTSEAL_PROFILE" \
    "$CERTSEAL_PROFILE.lock" "$T/admin/token/user.pin" "$CONF" \
    "$T/admin/token/backup/x" "$T/admin/token/tokens/new" \
    "$T/profile-link"; do
	expect 2 "show -o $target" -- "$CERTSEAL_ADMIN" show -o "$target"
	expect_clean_failure "show -o $target"
	expect 2 "save -o $target" -- "$CERTSEAL_ADMIN" save "$T/v1.conf" \
		-o "$target"
	expect 2 "export -o $target" -- "$CERTSEAL_ADMIN" pair export "$P1" \
		-o "$target" --password-file "$T/p12.pass"
done
same_bytes "$CFG" "$T/cfg-before" "-o: configuration"
same_bytes "$CERTSEAL_PROFILE" "$T/profile-before" "-o: profile"
[ ! -e "$T/admin/token/tokens/new" ] && [ ! -e "$T/admin/token/backup/x" ] &&
	ok || fail "-o wrote into the token directory"
expect 0 "show -o elsewhere" -- "$CERTSEAL_ADMIN" show -o "$T/shown.conf"
# seal needs no profile, but does not write over one either.
expect 2 "seal -o the profile" -- "$CERTSEAL_ADMIN" seal \
	--recipient "$T/p1.crt" --signer "file:$T/foreign.p12?pin-source=$T/fpass" \
	-o "$CERTSEAL_PROFILE" "$T/v1.conf"
same_bytes "$CERTSEAL_PROFILE" "$T/profile-before" "seal -o: profile"
# show FILE -o FILE would put the plaintext over the sealed file.
cp "$T/good-v1.sealed" "$T/in-place.sealed"
expect 2 "show FILE -o FILE" -- "$CERTSEAL_ADMIN" show "$T/in-place.sealed" \
	-o "$T/in-place.sealed"
same_bytes "$T/in-place.sealed" "$T/good-v1.sealed" "show FILE -o FILE"

# --- 7. plaintext migration in place, once ------------------------------
export CERTSEAL_PROFILE="$T/admin2/profile.json"
expect 0 "init 2" -- "$CERTSEAL_ADMIN" init --config "$T/cfg/two.conf" \
	--name two
expect 0 "generate 2" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
P2=$(cat "$T/out")
expect 0 "activate 2" -- "$CERTSEAL_ADMIN" pair activate "$P2" --force
cp "$T/v1.conf" "$T/cfg/two.conf"
expect 4 "save plaintext in place" -- "$CERTSEAL_ADMIN" save
same_bytes "$T/cfg/two.conf" "$T/v1.conf" "plaintext in place: untouched"
expect 0 "save --migrate-plaintext" -- "$CERTSEAL_ADMIN" save \
	--migrate-plaintext
expect 0 "show after migration" -- "$CERTSEAL_ADMIN" show
same_bytes "$T/out" "$T/v1.conf" "migrated"
cp "$T/evil.conf" "$T/cfg/two.conf"
expect 4 "second --migrate-plaintext" -- "$CERTSEAL_ADMIN" save \
	--migrate-plaintext
expect 4 "edit --migrate-plaintext after" -- env EDITOR=true \
	"$CERTSEAL_ADMIN" edit --migrate-plaintext

# --- 8. retire the active pair: --force, and the way back ---------------
expect 1 "retire the active pair" -- "$CERTSEAL_ADMIN" pair retire "$P2"
expect_clean_failure "retire the active pair"
grep -q -- '--force' "$T/err" && ok || fail "retire: $(cat "$T/err")"
expect 0 "save while active" -- "$CERTSEAL_ADMIN" save "$T/v2.conf"
expect 0 "retire --force" -- "$CERTSEAL_ADMIN" pair retire "$P2" --force
expect 1 "save without an active pair" -- "$CERTSEAL_ADMIN" save "$T/v1.conf"
expect 0 "re-activate the retired pair" -- "$CERTSEAL_ADMIN" pair activate \
	"$P2" --force
expect 0 "save after re-activation" -- "$CERTSEAL_ADMIN" save "$T/v1.conf"
expect 0 "show after re-activation" -- "$CERTSEAL_ADMIN" show
same_bytes "$T/out" "$T/v1.conf" "re-activated pair"
# A retired pair whose keys are gone cannot come back.
expect 0 "generate 3" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
P3=$(cat "$T/out")
expect 0 "activate 3" -- "$CERTSEAL_ADMIN" pair activate "$P3" --force
SIGN3=$("$CERTSEAL_ADMIN" pair list --json | tr -d ' \n' | tr '}' '\n' |
	grep "\"id\":\"$P2\"" | sed 's/.*"signing_key_id":"\([0-9a-f]*\)".*/\1/')
SOFTHSM2_CONF="$T/admin2/token/softhsm2.conf" pkcs11-tool \
	--module "$SOFTHSM_MODULE" --token-label certseal-admin --login \
	--pin "$(cat "$T/admin2/token/user.pin")" --delete-object --type privkey \
	--id "$SIGN3" >/dev/null 2>&1 && ok || fail "pkcs11-tool delete"
# (the backup would bring it back at the next token command: drop it)
rm -rf "$T/admin2/token/backup"
expect 1 "re-activate a pair whose key is gone" -- "$CERTSEAL_ADMIN" \
	pair activate "$P2" --force
expect_clean_failure "re-activate a pair whose key is gone"

finish
