#!/bin/sh
# A file sealed to thousands of recipients (enrolled fleets, issue 14):
# the client's RecipientInfo first, in the middle or last, DER and BER,
# PEM and DER; a KARI whose own key comes after several others; policy
# refusals among thousands (the same verdicts and messages as with one);
# the store: source lists keys/ once instead of opening an entry name per
# recipient (envelope-recipients.c, source-store.c).
. "${top_srcdir:-.}/tests/integration/lib.sh"

PY=/usr/bin/python3
CMSPY="$top_srcdir/tests/interop/cms_py.py"
"$PY" -c 'import cryptography, asn1crypto' 2>/dev/null ||
	skip "$PY lacks cryptography/asn1crypto; run contrib/install-deps"

head -c 3000 /dev/urandom | base64 >"$T/config"
printf 'pw\n' >"$T/p12.pass"
make_cert signer p256
make_cert rsa rsa2048
make_cert ec p256
make_cert other rsa2048
make_p12 rsa pw "$T/signer.crt"
(umask 077 && cat "$T/ec.key" "$T/ec.crt" "$T/signer.crt" >"$T/ec.pem")
export CERTSEAL_STORE_ROOT="$T/stores" CERTSEAL_STATE_DIR="$T/state"
unset CERTSEAL_CERTIFICATE_SOURCE CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY \
	2>/dev/null || true
expect 0 "store import" -- "$CERTSEAL" store import "$T/rsa.p12" \
	--password-file "$T/p12.pass"
SIGNER="--signer $T/signer.key:$T/signer.crt"
N=3000

# seal NAME ARGS...: $T/NAME sealed by cms_py.py (one job per file).
: >"$T/jobs"
seal() {
	name=$1
	shift
	echo "seal $T/config --out $T/$name $SIGNER --name app --seq 1 $*" \
		>>"$T/jobs"
}
for at in first middle last; do
	seal "der-$at" --recip "rsa:$T/rsa.crt" --fakes $N --at $at
done
seal pem-middle --recip "rsa:$T/rsa.crt" --fakes $N --at middle --pem
seal ber-last --recip "rsa:$T/rsa.crt" --fakes $N --at last --ber
seal ber-pem-first --recip "rsa:$T/rsa.crt" --fakes $N --at first --ber --pem
seal kari-reks --recip "ec:$T/ec.crt" --fake-reks 7 --fakes 500 --at middle
seal kari-reks-ber --recip "ec:$T/ec.crt" --fake-reks 7 --fakes 500 \
	--at last --ber
# The client's key also named by a recipient the policy refuses (PKCS#1
# v1.5), far from the accepted one; and named by a refused one only.
seal refused-too --recip "rsa:$T/rsa.crt" --recip "rsa-v15:$T/rsa.crt" \
	--fakes $N --at middle
seal refused-only --recip "rsa-v15:$T/rsa.crt" --fakes $N --at last
seal nobody --recip "rsa:$T/other.crt" --fakes $N --at middle
if "$PY" "$CMSPY" batch "$T/jobs" >"$T/py.out" 2>&1; then ok
else fail "cms_py.py seal: $(grep -v '^ok' "$T/py.out" | head -c 600)"; fi

# opens NAME SRC...: certseal opens it, strict, to the configuration.
opens() {
	f=$1
	shift
	srcs=""
	for s in "$@"; do
		srcs="$srcs -s $s"
	done
	# shellcheck disable=SC2086
	expect 0 "open $f" -- "$CERTSEAL" --accept-encrypted-data-only \
		--allow-rollback $srcs open "$T/$f"
	cmp -s "$T/out" "$T/config" && ok || fail "open $f: wrong content"
}
for f in der-first der-middle der-last pem-middle ber-last ber-pem-first; do
	opens $f store:
done
# The same file through file: (no listing: the identifiers one by one).
opens der-last "file:$T/rsa.p12?pin-source=$T/p12.pass"
opens kari-reks "file:$T/ec.pem"
opens kari-reks-ber "file:$T/ec.pem"
# A source without the key first, then the store: the order holds.
opens der-middle "file:$T/ec.pem" store:

# Refusals: the messages and exit codes of a file with one recipient.
expect 5 "refused recipient naming the key" -- "$CERTSEAL" \
	--allow-rollback open "$T/refused-too"
expect_clean_failure "refused recipient naming the key"
grep -q "is also named by a recipient the policy refuses" "$T/err" && ok ||
	fail "refused-too: $(cat "$T/err")"
expect 5 "only a refused recipient" -- "$CERTSEAL" --allow-rollback \
	open "$T/refused-only"
expect_clean_failure "only a refused recipient"
grep -q "the only recipient with a key here is refused (PKCS#1 v1.5" \
	"$T/err" && ok || fail "refused-only: $(cat "$T/err")"
expect 3 "no key for any recipient" -- "$CERTSEAL" --allow-rollback \
	open "$T/nobody"
expect_clean_failure "no key for any recipient"
grep -q "holds a key for any recipient" "$T/err" && ok ||
	fail "nobody: $(cat "$T/err")"
# An empty store says so, also when it is listed rather than asked.
expect 3 "empty store" -- env CERTSEAL_STORE_ROOT="$T/empty" \
	"$CERTSEAL" open "$T/der-last"
grep -q "is empty or missing" "$T/err" && ok ||
	fail "empty store: $(cat "$T/err")"

# Bytes appended to the ContentInfo (DER, and inside a PEM body, which
# is decoded and reduced in place): damaged, as with one recipient, not
# dropped with the recipients the client does not need.
{ cat "$T/der-middle"; printf '\005\000'; } >"$T/appended"
expect 4 "bytes after the ContentInfo" -- "$CERTSEAL" --allow-rollback \
	open "$T/appended"
expect_clean_failure "bytes after the ContentInfo"
{ echo "-----BEGIN CMS-----"; base64 -w 64 "$T/appended"
	echo "-----END CMS-----"; } >"$T/appended.pem"
expect 4 "bytes after the ContentInfo (PEM)" -- "$CERTSEAL" \
	--allow-rollback open "$T/appended.pem"
expect_clean_failure "bytes after the ContentInfo (PEM)"

# inspect still lists every recipient.
expect 0 "inspect" -- "$CERTSEAL" --allow-rollback inspect --json \
	"$T/der-middle"
[ "$(jq '.recipients | length' "$T/out")" -eq $((N + 1)) ] && ok ||
	fail "inspect: $(jq -c '.recipients | length' "$T/out")"

# The store is not asked once per recipient: with the client's
# RecipientInfo last, the old lookup opened $N entry names first.
if command -v strace >/dev/null 2>&1; then
	strace -f -e trace=openat -o "$T/strace" "$CERTSEAL" \
		--allow-rollback open "$T/der-last" >/dev/null 2>&1
	opened=$(grep -c '\.pem"' "$T/strace")
	[ "$opened" -le 4 ] && ok ||
		fail "store: $opened entry files opened for one open"
fi
finish
