#!/bin/sh
# test-der-output.sh - the armour of the sealed file (docs/FORMAT.md,
# "Armour"; certseal-admin(8)): save, edit and seal write PEM or, with
# --der, the bare DER a large fleet chooses (about 26 % smaller); without
# either a rewrite keeps the armour of the file it replaces.  Every reader
# takes the DER file: certseal open/check/inspect in strict mode (an
# exported pair and an enrolled store client), the admin's own strict
# re-open, show, rollback; openssl cms -inform DER decrypts and verifies
# it.  A truncated DER file is refused like a truncated PEM one, and no
# write ever holds the plaintext.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_softhsm
require_tools jq

export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF
SEALED="$T/app.sealed"
SECRET=db.password.s3cr3t.xyzzy
printf '%s = 1\nlisten = 8443\n' "$SECRET" >"$T/app.conf"
printf 'export-pass\n' >"$T/p12.pass"
chmod 600 "$T/p12.pass"

# armour FILE: der, pem or other, by the first bytes.
armour() {
	if head -n 1 "$1" | grep -q -- '^-----BEGIN CMS-----$'; then
		echo pem
	elif [ "$(head -c 2 "$1" | od -An -tx1 | tr -d ' ')" = 3082 ]; then
		echo der
	else
		echo other
	fi
}
expect_armour() {	# FILE WANT WHAT
	got=$(armour "$1")
	[ "$got" = "$2" ] && ok || fail "$3: $1 is $got, expected $2"
}
# no_plaintext FILE WHAT: the configuration's bytes are not in FILE.
no_plaintext() {
	if grep -aq "$SECRET" "$1"; then
		fail "$2: $1 holds the plaintext"
	else
		ok
	fi
}
# An "editor" that appends a line: edit's round trip, no terminal.
cat >"$T/append-editor" <<'EOF'
#!/bin/sh
printf 'edited = %s\n' "$$" >>"$1"
EOF
chmod 755 "$T/append-editor"
client() {	# NAME ARGS...: certseal as the enrolled store client NAME
	c=$1
	shift
	env CERTSEAL_STORE_ROOT="$T/$c/store" \
		CERTSEAL_STATE_DIR="$T/$c/state" "$CERTSEAL" "$@"
}

# --- the admin, an exported pair, an enrolled client ------------------
expect 0 "init" -- "$CERTSEAL_ADMIN" init --config "$SEALED" --name app
expect 0 "pair generate" -- "$CERTSEAL_ADMIN" pair generate
P=$(cat "$T/out")
expect 0 "export" -- "$CERTSEAL_ADMIN" pair export "$P" -o "$T/p.p12" \
	--password-file "$T/p12.pass"
expect 0 "activate" -- "$CERTSEAL_ADMIN" pair activate "$P"
S="file:$T/p.p12?pin-source=$T/p12.pass"
expect 0 "c1 enroll" -- client c1 enroll --out "$T/req" --name c1
expect 0 "c1 approve" -- "$CERTSEAL_ADMIN" client approve c1 \
	--requests "$T/req"
FP=$(sed -n 's/.*--trust-signer \(SHA256:[0-9a-f]*\).*/\1/p' "$T/out")
expect 0 "c1 finish" -- client c1 enroll --finish "$T/req/c1.crt" \
	--trust-signer "$FP"
# The signer certificates for openssl (the bundle's CA certificates).
split_p12 "$T/p.p12" "$T/p"

# opens_strict FILE WANT WHAT: both clients open FILE strictly to WANT.
opens_strict() {
	expect 0 "$3: pair client open strict" -- "$CERTSEAL" -s "$S" \
		--accept-encrypted-data-only open "$1"
	same_bytes "$T/out" "$2" "$3: pair client"
	expect 0 "$3: enrolled client open strict" -- client c1 \
		--accept-encrypted-data-only open "$1"
	same_bytes "$T/out" "$2" "$3: enrolled client"
}
# openssl_opens FILE WANT WHAT [CAFILE]: openssl cms -inform DER decrypts
# (with the pair's key) and verifies (the pair's signers, else CAFILE).
openssl_opens() {
	rm -f "$T/inner.der" "$T/recovered"
	openssl cms -decrypt -in "$1" -inform DER -recip "$T/p.crt" \
		-inkey "$T/p.key" -binary -out "$T/inner.der" 2>"$T/ossl" &&
	openssl cms -verify -in "$T/inner.der" -inform DER -binary \
		-CAfile "${4:-$T/p-signer.crt}" -purpose any -out "$T/recovered" \
		2>>"$T/ossl" && ok || fail "$3: openssl cms: $(cat "$T/ossl")"
	same_bytes "$T/recovered" "$2" "$3: openssl"
}

# --- 1. a new file is PEM; --der writes DER ---------------------------
expect 0 "save (new file)" -- "$CERTSEAL_ADMIN" save "$T/app.conf"
expect_armour "$SEALED" pem "save without --der"
grep -q '(PEM)' "$T/err" && ok || fail "save does not say PEM: $(cat "$T/err")"
pem_size=$(stat -c %s "$SEALED")
expect 0 "save --der" -- "$CERTSEAL_ADMIN" save --der "$T/app.conf"
expect_armour "$SEALED" der "save --der"
grep -q '(DER)' "$T/err" && ok || fail "save --der does not say DER"
no_plaintext "$SEALED" "save --der"
der_size=$(stat -c %s "$SEALED")
# Two recipients (pair, c1): the DER is the PEM's body, 48 bytes in 65.
[ $((der_size * 100 / pem_size)) -le 75 ] && ok ||
	fail "DER $der_size bytes is not about 3/4 of PEM $pem_size"
openssl_opens "$SEALED" "$T/app.conf" "save --der"
opens_strict "$SEALED" "$T/app.conf" "save --der"
expect 0 "check DER strict" -- "$CERTSEAL" -s "$S" \
	--accept-encrypted-data-only check "$SEALED"
expect 0 "inspect DER" -- "$CERTSEAL" -s "$S" inspect --json "$SEALED"
[ "$(jq -r .armour "$T/out")" = der ] && [ "$(jq -r .opened "$T/out")" = true ] &&
	ok || fail "inspect of DER: $(cat "$T/out")"
expect 0 "admin show DER" -- "$CERTSEAL_ADMIN" show
same_bytes "$T/out" "$T/app.conf" "admin show DER"
expect 0 "admin inspect DER" -- "$CERTSEAL_ADMIN" inspect --json
[ "$(jq -r .armour "$T/out")" = der ] && ok ||
	fail "admin inspect: $(cat "$T/out")"

# --- 2. rewrites keep DER: save (own strict re-open), edit ------------
expect 0 "save, no PLAINFILE (re-opens its DER file)" -- \
	"$CERTSEAL_ADMIN" save
expect_armour "$SEALED" der "save of the DER configuration"
expect 0 "save PLAINFILE onto the DER file" -- "$CERTSEAL_ADMIN" save \
	"$T/app.conf"
expect_armour "$SEALED" der "save PLAINFILE keeps DER"
seq_before=$(jq -r .sequence "$CERTSEAL_PROFILE")
expect 0 "edit the DER file" -- env EDITOR="$T/append-editor" \
	"$CERTSEAL_ADMIN" edit
expect_armour "$SEALED" der "edit keeps DER"
no_plaintext "$SEALED" "edit"
[ "$(jq -r .sequence "$CERTSEAL_PROFILE")" -gt "$seq_before" ] && ok ||
	fail "edit did not move the sequence"
expect 0 "show after edit" -- "$CERTSEAL_ADMIN" show -o "$T/edited.conf"
grep -q '^edited = ' "$T/edited.conf" && ok || fail "the edit is not in it"
opens_strict "$SEALED" "$T/edited.conf" "after edit"
openssl_opens "$SEALED" "$T/edited.conf" "after edit"

# --- 3. --pem switches back, and PEM is kept too; edit --der ----------
expect 0 "save --pem" -- "$CERTSEAL_ADMIN" save --pem "$T/app.conf"
expect_armour "$SEALED" pem "save --pem"
expect 0 "save keeps PEM" -- "$CERTSEAL_ADMIN" save
expect_armour "$SEALED" pem "save after --pem"
expect 0 "edit --der" -- env EDITOR="$T/append-editor" \
	"$CERTSEAL_ADMIN" edit --der
expect_armour "$SEALED" der "edit --der"
no_plaintext "$SEALED" "edit --der"
expect 0 "edit --pem" -- env EDITOR="$T/append-editor" \
	"$CERTSEAL_ADMIN" edit --pem
expect_armour "$SEALED" pem "edit --pem"
expect 0 "save --der again" -- "$CERTSEAL_ADMIN" save --der "$T/app.conf"

# --- 4. usage: both, or on a command that writes no sealed file -------
cp "$SEALED" "$T/before"
expect 2 "save --der --pem" -- "$CERTSEAL_ADMIN" save --der --pem \
	"$T/app.conf"
expect_clean_failure "save --der --pem"
same_bytes "$SEALED" "$T/before" "save --der --pem left the file"
expect 2 "show --der" -- "$CERTSEAL_ADMIN" show --der
expect_clean_failure "show --der"
expect 2 "seal --pem --der" -- "$CERTSEAL_ADMIN" seal -r "$T/p.crt" \
	--signer "file:$T/p.key" --pem --der -o "$T/x.sealed" "$T/app.conf"
[ ! -e "$T/x.sealed" ] && ok || fail "a refused seal wrote its output"

# --- 5. -o: a new file is PEM unless --der; standard output -----------
expect 0 "save -o new" -- "$CERTSEAL_ADMIN" save "$T/app.conf" \
	-o "$T/copy.sealed"
expect_armour "$T/copy.sealed" pem "save -o a new file"
expect 0 "save --der -o" -- "$CERTSEAL_ADMIN" save --der "$T/app.conf" \
	-o "$T/copy.sealed"
expect_armour "$T/copy.sealed" der "save --der -o"
expect 0 "save -o onto the DER copy" -- "$CERTSEAL_ADMIN" save \
	"$T/app.conf" -o "$T/copy.sealed"
expect_armour "$T/copy.sealed" der "save -o keeps the copy's DER"
expect 0 "save --der -o -" -- "$CERTSEAL_ADMIN" save --der "$T/app.conf" \
	-o -
expect_armour "$T/out" der "save --der -o -"
no_plaintext "$T/out" "save --der -o -"
openssl_opens "$T/out" "$T/app.conf" "save --der -o -"
expect 0 "save -o - (PEM)" -- "$CERTSEAL_ADMIN" save "$T/app.conf" -o -
expect_armour "$T/out" pem "save -o - without --der"
# A plaintext file at -o is replaced by a sealed one, in PEM.
cp "$T/app.conf" "$T/plain-out"
expect 0 "save -o onto a plaintext file" -- "$CERTSEAL_ADMIN" save \
	"$T/app.conf" -o "$T/plain-out"
expect_armour "$T/plain-out" pem "save -o onto plaintext"
no_plaintext "$T/plain-out" "save -o onto plaintext"

# Two more profiles: edit --der creates a missing configuration in DER; a
# plaintext configuration migrated in place with --der becomes DER.
P2="$T/admin2/profile.json"
expect 0 "init 2" -- env CERTSEAL_PROFILE="$P2" "$CERTSEAL_ADMIN" init \
	--config "$T/two.sealed" --name two
expect 0 "pair generate 2" -- env CERTSEAL_PROFILE="$P2" \
	"$CERTSEAL_ADMIN" pair generate
expect 0 "activate 2" -- env CERTSEAL_PROFILE="$P2" "$CERTSEAL_ADMIN" \
	pair activate "$(cat "$T/out")"
expect 0 "edit --der of a missing configuration" -- env \
	CERTSEAL_PROFILE="$P2" EDITOR="$T/append-editor" "$CERTSEAL_ADMIN" \
	edit --der
expect_armour "$T/two.sealed" der "edit --der creates DER"
expect 0 "init 3" -- env CERTSEAL_PROFILE="$T/admin3/profile.json" \
	"$CERTSEAL_ADMIN" init --config "$T/three.sealed" --name three
expect 0 "pair generate 3" -- env CERTSEAL_PROFILE="$T/admin3/profile.json" \
	"$CERTSEAL_ADMIN" pair generate
expect 0 "activate 3" -- env CERTSEAL_PROFILE="$T/admin3/profile.json" \
	"$CERTSEAL_ADMIN" pair activate "$(cat "$T/out")"
cp "$T/app.conf" "$T/three.sealed"
expect 0 "save --migrate-plaintext --der" -- env \
	CERTSEAL_PROFILE="$T/admin3/profile.json" "$CERTSEAL_ADMIN" save \
	--migrate-plaintext --der
expect_armour "$T/three.sealed" der "migrated with --der"
no_plaintext "$T/three.sealed" "migrated with --der"
expect 0 "show the migrated file" -- env \
	CERTSEAL_PROFILE="$T/admin3/profile.json" "$CERTSEAL_ADMIN" show
same_bytes "$T/out" "$T/app.conf" "migrated DER"

# --- 6. seal (offline) --------------------------------------------------
cat "$T/p.key" "$T/p.crt" >"$T/signer.pem"
chmod 600 "$T/signer.pem"
SIGNER="file:$T/signer.pem"
expect 0 "seal --der" -- "$CERTSEAL_ADMIN" seal -r "$T/p.crt" \
	--signer "$SIGNER" --der -o "$T/off.sealed" "$T/app.conf"
expect_armour "$T/off.sealed" der "seal --der"
no_plaintext "$T/off.sealed" "seal --der"
openssl_opens "$T/off.sealed" "$T/app.conf" "seal --der" "$T/p.crt"
expect 0 "seal onto the DER file keeps DER" -- "$CERTSEAL_ADMIN" seal \
	-r "$T/p.crt" --signer "$SIGNER" -o "$T/off.sealed" "$T/app.conf"
expect_armour "$T/off.sealed" der "seal keeps DER"
expect 0 "seal --pem" -- "$CERTSEAL_ADMIN" seal -r "$T/p.crt" \
	--signer "$SIGNER" --pem -o "$T/off.sealed" "$T/app.conf"
expect_armour "$T/off.sealed" pem "seal --pem"
expect 0 "seal --der to a pipe" -- "$CERTSEAL_ADMIN" seal -r "$T/p.crt" \
	--signer "$SIGNER" --der "$T/app.conf"
expect_armour "$T/out" der "seal --der to standard output"
mv "$T/out" "$T/piped.sealed"
openssl_opens "$T/piped.sealed" "$T/app.conf" "seal --der |" "$T/p.crt"

# --- 7. truncated: DER like PEM, exit 4, never plaintext --------------
expect 0 "save --der (for truncation)" -- "$CERTSEAL_ADMIN" save --der \
	"$T/app.conf"
cp "$SEALED" "$T/good.der"
expect 0 "a PEM copy" -- "$CERTSEAL_ADMIN" save --pem "$T/app.conf" \
	-o "$T/good.pem"
# (A PEM file cut before its fourth character, or by its last newline,
# is not damaged: docs/FORMAT.md.)
for kind in der pem; do
	size=$(stat -c %s "$T/good.$kind")
	cuts="10 100 $((size / 2)) $((size - 20))"
	[ "$kind" = der ] && cuts="2 $cuts $((size - 1))"
	for cut in $cuts; do
		head -c "$cut" "$T/good.$kind" >"$T/cut.$kind"
		for strict in "" --accept-encrypted-data-only; do
			# shellcheck disable=SC2086
			expect 4 "open $kind cut at $cut $strict" -- \
				"$CERTSEAL" -s "$S" $strict open "$T/cut.$kind"
			expect_clean_failure "open $kind cut at $cut"
		done
		expect 4 "library open ($kind cut at $cut, check)" -- \
			"$CERTSEAL" -s "$S" check "$T/cut.$kind"
	done
done
# The admin refuses a truncated DER configuration and leaves it alone.
head -c 1000 "$T/good.der" >"$SEALED"
cp "$SEALED" "$T/before"
expect 4 "save over a truncated DER configuration" -- "$CERTSEAL_ADMIN" save
expect_clean_failure "save over a truncated DER configuration"
same_bytes "$SEALED" "$T/before" "the truncated file is untouched"
expect 4 "edit of a truncated DER configuration" -- env EDITOR=true \
	"$CERTSEAL_ADMIN" edit
cp "$T/good.der" "$SEALED"

# --- 8. rollback across armours -----------------------------------------
expect 0 "c1 opens the current DER" -- client c1 open "$SEALED"
cp "$SEALED" "$T/old.der"
expect 0 "save --pem (newer)" -- "$CERTSEAL_ADMIN" save --pem "$T/app.conf"
expect 0 "c1 opens the newer PEM" -- client c1 open "$SEALED"
cp "$T/old.der" "$T/replay.sealed"
expect 5 "c1: the older DER is a rollback" -- client c1 open \
	"$T/replay.sealed"
expect_clean_failure "rollback of a DER file"

finish
