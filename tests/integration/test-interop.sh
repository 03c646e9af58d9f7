#!/bin/sh
# Interop with CMS implementations nobody here wrote (issue 12): Bouncy
# Castle (Java, tests/interop/BcInterop.java, compiled once per run, all
# its jobs in one JVM), Python's cryptography + asn1crypto
# (tests/interop/cms_py.py, with its own BER/DER encoder) and openssl cms.
#   certseal seals (PEM and --der) -> they open and verify (and a strict
#   DER check);
#   they seal (DER and BER, KTRI and KARI, with and without certseal's
#   signed attributes) -> certseal opens, strict and not;
#   policy refusals keep exit 5 whoever wrote the file;
#   crafted SignedData / OriginatorInfo counts are refused fast (issue 19).
. "${top_srcdir:-.}/tests/integration/lib.sh"

PY=/usr/bin/python3
JARS=/usr/share/java/bcprov.jar:/usr/share/java/bcpkix.jar:/usr/share/java/bcutil.jar
IOP="$top_srcdir/tests/interop"
for tool in java javac; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool missing; run contrib/install-deps (default-jdk-headless)" >&2
		exit 77
	fi
done
for j in $(echo "$JARS" | tr : ' '); do
	if [ ! -r "$j" ]; then
		echo "SKIP: $j missing; run contrib/install-deps (libbcprov-java libbcpkix-java libbcutil-java)" >&2
		exit 77
	fi
done
if ! "$PY" -c 'import cryptography, asn1crypto' 2>/dev/null; then
	echo "SKIP: $PY lacks cryptography/asn1crypto; run contrib/install-deps (python3-cryptography python3-asn1crypto)" >&2
	exit 77
fi
# Compiled once, kept in the build tree until the source changes (javac
# costs seconds on a loaded machine).
CLS="$top_builddir/tests/interop-classes"
if [ ! -f "$CLS/BcInterop.class" ] ||
	[ "$IOP/BcInterop.java" -nt "$CLS/BcInterop.class" ]; then
	mkdir -p "$T/classes" "$top_builddir/tests"
	if ! javac -nowarn -d "$T/classes" -cp "$JARS" "$IOP/BcInterop.java" \
		2>"$T/javac.err"; then
		fail "javac BcInterop.java: $(head -c 600 "$T/javac.err")"
		finish
		exit 1
	fi
	rm -rf "$CLS.new.$$" && mv "$T/classes" "$CLS.new.$$" &&
		rm -rf "$CLS" && mv "$CLS.new.$$" "$CLS"
fi
BC="java -Xshare:auto -XX:TieredStopAtLevel=1 -cp $JARS:$CLS BcInterop"

head -c 6000 /dev/urandom | base64 >"$T/config"
printf 'pw\n' >"$T/pin"
chmod 600 "$T/pin"
make_cert signer p256
make_cert signer2 rsa2048
make_cert rsa rsa3072
make_cert ec p256
make_cert ec384 p384
make_cert stranger p256
(umask 077 && cat "$T/signer.key" "$T/signer.crt" >"$T/signer.pem" &&
	cat "$T/signer2.key" "$T/signer2.crt" >"$T/signer2.pem" &&
	cat "$T/signer.crt" "$T/signer2.crt" >"$T/signers.crt" &&
	cat "$T/ec384.key" "$T/ec384.crt" "$T/signers.crt" >"$T/ec384.pem")
make_p12 rsa pw "$T/signers.crt"
make_p12 ec pw "$T/signers.crt"
RSA_SRC="file:$T/rsa.p12?pin-source=$T/pin"
EC_SRC="file:$T/ec.p12?pin-source=$T/pin"
EC384_SRC="file:$T/ec384.pem"

# opens FILE WANT WANT_STRICT SRC...: certseal open, plain and strict;
# on success the output must be the configuration, on failure one line.
opens() {
	f=$1
	want=$2
	wants=$3
	shift 3
	srcs=""
	for s in "$@"; do
		srcs="$srcs -s $s"
	done
	# shellcheck disable=SC2086
	expect "$want" "open $(basename "$f")" -- "$CERTSEAL" $srcs open "$f"
	if [ "$want" -eq 0 ]; then
		same_bytes "$T/out" "$T/config" "open $(basename "$f")"
	else
		expect_clean_failure "open $(basename "$f")"
	fi
	# shellcheck disable=SC2086
	expect "$wants" "strict open $(basename "$f")" -- "$CERTSEAL" $srcs \
		--accept-encrypted-data-only open "$f"
	if [ "$wants" -eq 0 ]; then
		same_bytes "$T/out" "$T/config" "strict open $(basename "$f")"
	else
		expect_clean_failure "strict open $(basename "$f")"
	fi
}

# first_bytes FILE: the first two bytes in hex ("3080" for BER).
first_bytes() {
	od -An -tx1 -N2 "$1" | tr -d ' \n'
}

# --- 1. certseal seals ------------------------------------------------
expect 0 "seal RSA" -- "$CERTSEAL_ADMIN" seal --recipient "$T/rsa.crt" \
	--signer "file:$T/signer.pem" --name app --sequence 5 \
	-o "$T/cs-rsa.pem" "$T/config"
expect 0 "seal EC" -- "$CERTSEAL_ADMIN" seal --recipient "$T/ec.crt" \
	--signer "file:$T/signer.pem" --name app --sequence 5 \
	-o "$T/cs-ec.pem" "$T/config"
# A pair exchange: three recipients, one SignerInfo per pair.
expect 0 "seal several pairs" -- "$CERTSEAL_ADMIN" seal \
	--recipient "$T/rsa.crt" --recipient "$T/ec.crt" \
	--recipient "$T/ec384.crt" --signer "file:$T/signer.pem" \
	--signer "file:$T/signer2.pem" --name app --sequence 6 \
	-o "$T/cs-multi.pem" "$T/config"
# The DER armour (--der, what large fleets write): the same files unarmoured.
expect 0 "seal RSA --der" -- "$CERTSEAL_ADMIN" seal --der \
	--recipient "$T/rsa.crt" --signer "file:$T/signer.pem" --name app \
	--sequence 5 -o "$T/cs-rsa.der" "$T/config"
expect 0 "seal several pairs --der" -- "$CERTSEAL_ADMIN" seal --der \
	--recipient "$T/rsa.crt" --recipient "$T/ec.crt" \
	--recipient "$T/ec384.crt" --signer "file:$T/signer.pem" \
	--signer "file:$T/signer2.pem" --name app --sequence 6 \
	-o "$T/cs-multi.der" "$T/config"
[ "$(first_bytes "$T/cs-multi.der")" = 3082 ] && ok ||
	fail "seal --der did not write DER"

# Python: strict DER (outer and inner), independent decrypt and verify.
: >"$T/py.jobs"
for job in "cs-rsa rsa 1 pem" "cs-ec ec 1 pem" "cs-multi rsa 2 pem" \
	"cs-multi ec 2 pem" "cs-multi ec384 2 pem" "cs-rsa rsa 1 der" \
	"cs-multi ec 2 der"; do
	set -- $job
	echo "check-der $T/$1.$4" >>"$T/py.jobs"
	echo "open $T/$1.$4 --key $T/$2.key --cert $T/$2.crt" \
		"--signer $T/signer.crt --signer $T/signer2.crt --signers $3" \
		"--name app --check-der --out $T/py-$1-$2-$4.out" >>"$T/py.jobs"
done
if "$PY" "$IOP/cms_py.py" batch "$T/py.jobs" >"$T/py.out" 2>&1; then ok
else fail "python: $(grep -v '^ok' "$T/py.out" | head -c 1500)"; fi
for job in cs-rsa-rsa-pem cs-ec-ec-pem cs-multi-rsa-pem cs-multi-ec-pem \
	cs-multi-ec384-pem cs-rsa-rsa-der cs-multi-ec-der; do
	same_bytes "$T/py-$job.out" "$T/config" "python opens $job"
done
# certseal writes id-data as the EncryptedContentInfo type (RFC 5083 2.1).
openssl cms -cmsout -print -inform PEM -in "$T/cs-multi.pem" \
	>"$T/print" 2>&1
if grep -A1 'authEncryptedContentInfo' "$T/print" |
	grep -q 'contentType: pkcs7-data'; then ok; else
	fail "EncryptedContentInfo type is not id-data: $(grep -A1 authEncryptedContentInfo "$T/print")"
fi
# The escape hatch of docs/FORMAT.md for a pair-exchange file: every
# signing certificate in -CAfile.
openssl cms -decrypt -in "$T/cs-multi.pem" -inform PEM -recip "$T/ec.crt" \
	-inkey "$T/ec.key" -binary 2>"$T/err" |
	openssl cms -verify -inform DER -CAfile "$T/signers.crt" \
	-purpose any -binary -out "$T/hatch.out" 2>>"$T/err" &&
	same_bytes "$T/hatch.out" "$T/config" "escape hatch, two signers" ||
	fail "escape hatch, two signers: $(cat "$T/err")"
# The same with the DER armour: -inform DER.
for k in rsa ec384; do
	openssl cms -decrypt -in "$T/cs-multi.der" -inform DER \
		-recip "$T/$k.crt" -inkey "$T/$k.key" -binary 2>"$T/err" |
	openssl cms -verify -inform DER -CAfile "$T/signers.crt" \
		-purpose any -binary -out "$T/hatch-der.out" 2>>"$T/err" &&
		same_bytes "$T/hatch-der.out" "$T/config" "escape hatch, DER, $k" ||
		fail "escape hatch, DER, $k: $(cat "$T/err")"
done
opens "$T/cs-rsa.der" 0 0 "$RSA_SRC"
opens "$T/cs-multi.der" 0 0 "$EC384_SRC"

# --- 2. Bouncy Castle: one JVM opens ours and writes its own ----------
S="signer=$T/signer.key:$T/signer.crt"
S2="$S,$T/signer2.key:$T/signer2.crt"
C="in=$T/config"
cat >"$T/bc.jobs" <<EOF
open in=$T/cs-rsa.pem out=$T/bc-o-rsa key=$T/rsa.key cert=$T/rsa.crt signer=$T/signer.crt name=app seq=5
open in=$T/cs-ec.pem out=$T/bc-o-ec key=$T/ec.key cert=$T/ec.crt signer=$T/signer.crt name=app seq=5
open in=$T/cs-multi.pem out=$T/bc-o-m1 key=$T/rsa.key cert=$T/rsa.crt signer=$T/signer.crt,$T/signer2.crt signers=2 name=app seq=6
open in=$T/cs-multi.pem out=$T/bc-o-m2 key=$T/ec.key cert=$T/ec.crt signer=$T/signer.crt,$T/signer2.crt signers=2 name=app seq=6
open in=$T/cs-multi.pem out=$T/bc-o-m3 key=$T/ec384.key cert=$T/ec384.crt signer=$T/signer2.crt signers=1
open in=$T/cs-rsa.der out=$T/bc-o-rsa-der key=$T/rsa.key cert=$T/rsa.crt signer=$T/signer.crt name=app seq=5
open in=$T/cs-multi.der out=$T/bc-o-m2-der key=$T/ec.key cert=$T/ec.crt signer=$T/signer.crt,$T/signer2.crt signers=2 name=app seq=6
seal $C out=$T/bc-ktri-ber recips=rsa:$T/rsa.crt $S name=bc seq=1
seal $C out=$T/bc-kari-ber recips=ec:$T/ec.crt $S name=bc seq=1
seal $C out=$T/bc-ktri-der recips=rsa-ias:$T/rsa.crt $S outer=der inner=der name=bc seq=1
seal $C out=$T/bc-kari-der recips=ec-ias:$T/ec.crt $S attrs=plain outer=der inner=der
seal $C out=$T/bc-multi recips=rsa:$T/rsa.crt,ec:$T/ec.crt,ec:$T/ec384.crt $S2 name=bc seq=1
seal $C out=$T/bc-pem recips=ec:$T/ec.crt $S outer=pem name=bc seq=1
seal $C out=$T/bc-noattr recips=rsa:$T/rsa.crt $S attrs=none
seal $C out=$T/bc-noattr-rsa recips=ec:$T/ec.crt signer=$T/signer2.key:$T/signer2.crt attrs=none
seal $C out=$T/bc-unsigned recips=ec:$T/ec.crt
seal $C out=$T/bc-authattrs recips=rsa:$T/rsa.crt $S ctype=signed name=bc seq=1
seal $C out=$T/bc-authattrs-der recips=ec:$T/ec.crt $S ctype=signed outer=der inner=der name=bc seq=1
seal $C out=$T/bc-cbc-signed recips=rsa:$T/rsa.crt $S enc=cbc name=bc seq=1
seal $C out=$T/bc-v15 recips=rsa-v15:$T/rsa.crt $S
seal $C out=$T/bc-sha1kdf recips=ec-sha1:$T/ec.crt $S
seal $C out=$T/bc-cbc-unsigned recips=rsa:$T/rsa.crt enc=cbc
EOF
if $BC "$T/bc.jobs" >"$T/bc.out" 2>&1; then ok; else
	fail "Bouncy Castle: $(grep -v '^ok' "$T/bc.out" | head -c 1500)"
fi
for o in rsa ec m1 m2 m3 rsa-der m2-der; do
	same_bytes "$T/bc-o-$o" "$T/config" "Bouncy Castle opens certseal ($o)"
done
[ "$(first_bytes "$T/bc-ktri-ber")" = 3080 ] && ok ||
	fail "Bouncy Castle did not write BER"
opens "$T/bc-ktri-ber" 0 0 "$RSA_SRC"
opens "$T/bc-kari-ber" 0 0 "$EC_SRC"
opens "$T/bc-ktri-der" 0 0 "$RSA_SRC"
opens "$T/bc-kari-der" 0 0 "$EC_SRC"
opens "$T/bc-multi" 0 0 "$EC384_SRC"
opens "$T/bc-pem" 0 0 "$EC_SRC"
opens "$T/bc-noattr" 0 5 "$RSA_SRC"
grep -q 'signed attributes' "$T/err" && ok ||
	fail "strict -noattr refusal does not say why: $(cat "$T/err")"
opens "$T/bc-noattr-rsa" 0 5 "$EC_SRC"
expect 0 "inspect -noattr" -- "$CERTSEAL" -s "$EC_SRC" inspect --json \
	"$T/bc-noattr-rsa"
[ "$(jq -c '[.signed, .signers[0].signed_attributes, .signers[0].trusted]' \
	"$T/out")" = '[true,false,true]' ] && ok ||
	fail "inspect -noattr: $(cat "$T/out")"
opens "$T/bc-unsigned" 0 5 "$EC_SRC"
opens "$T/bc-cbc-signed" 0 0 "$RSA_SRC"
opens "$T/bc-v15" 5 5 "$RSA_SRC"
opens "$T/bc-sha1kdf" 5 5 "$EC_SRC"
opens "$T/bc-cbc-unsigned" 5 5 "$RSA_SRC"
# authAttrs (RFC 5083, what BC writes for non-data content): opened
# (libssl reads them; the tag covers them) or refused by policy naming
# them - never "damaged".
for f in bc-authattrs bc-authattrs-der; do
	"$CERTSEAL" -s "$RSA_SRC" -s "$EC_SRC" --accept-encrypted-data-only \
		open "$T/$f" >"$T/out" 2>"$T/err"
	rc=$?
	case $rc in
	0) same_bytes "$T/out" "$T/config" "$f" ;;
	5) grep -q 'authenticated attributes' "$T/err" && ok ||
		fail "$f: exit 5 without naming authAttrs: $(cat "$T/err")" ;;
	*) fail "$f: exit $rc: $(cat "$T/err")" ;;
	esac
done

# --- 3. openssl cms: -stream (BER), -noattr, several signers ----------
openssl cms -sign -binary -nodetach -in "$T/config" -signer "$T/signer.crt" \
	-inkey "$T/signer.key" -outform DER -stream -out "$T/os-signed.ber" \
	2>"$T/err" || fail "openssl sign -stream: $(cat "$T/err")"
openssl cms -sign -binary -nodetach -noattr -in "$T/config" \
	-signer "$T/signer.crt" -inkey "$T/signer.key" -outform DER \
	-out "$T/os-noattr.der" 2>"$T/err" ||
	fail "openssl sign -noattr: $(cat "$T/err")"
openssl cms -sign -binary -nodetach -in "$T/config" -signer "$T/signer.crt" \
	-inkey "$T/signer.key" -signer "$T/signer2.crt" \
	-inkey "$T/signer2.key" -outform DER -out "$T/os-two.der" 2>"$T/err" ||
	fail "openssl sign, two signers: $(cat "$T/err")"
OAEP="-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256"
KDF="-keyopt ecdh_kdf_md:sha256"
# shellcheck disable=SC2086
openssl cms -encrypt -aes-256-gcm -binary -stream -in "$T/os-signed.ber" \
	-outform DER -recip "$T/rsa.crt" $OAEP -out "$T/os-stream" 2>"$T/err" ||
	fail "openssl encrypt -stream: $(cat "$T/err")"
[ "$(first_bytes "$T/os-stream")" = 3080 ] && ok ||
	fail "openssl -stream did not write BER"
opens "$T/os-stream" 0 0 "$RSA_SRC"
# shellcheck disable=SC2086
openssl cms -encrypt -aes-256-gcm -binary -stream -in "$T/os-noattr.der" \
	-outform PEM -recip "$T/ec.crt" $KDF -out "$T/os-noattr" 2>"$T/err" ||
	fail "openssl encrypt -noattr: $(cat "$T/err")"
opens "$T/os-noattr" 0 5 "$EC_SRC"
grep -q 'signed attributes' "$T/err" && ok ||
	fail "strict -noattr refusal does not say why: $(cat "$T/err")"
# shellcheck disable=SC2086
openssl cms -encrypt -aes-256-gcm -binary -in "$T/os-two.der" -outform DER \
	-recip "$T/rsa.crt" $OAEP -recip "$T/ec.crt" $KDF -out "$T/os-two" \
	2>"$T/err" || fail "openssl encrypt, two recipients: $(cat "$T/err")"
opens "$T/os-two" 0 0 "$EC_SRC"
opens "$T/os-two" 0 0 "$RSA_SRC"
openssl cms -encrypt -aes-256-gcm -binary -stream -in "$T/os-signed.ber" \
	-outform DER -recip "$T/rsa.crt" -out "$T/os-v15" 2>/dev/null
opens "$T/os-v15" 5 5 "$RSA_SRC"
openssl cms -encrypt -aes-256-gcm -binary -stream -in "$T/os-signed.ber" \
	-outform DER -recip "$T/ec.crt" -out "$T/os-sha1kdf" 2>/dev/null
opens "$T/os-sha1kdf" 5 5 "$EC_SRC"
# shellcheck disable=SC2086
openssl cms -encrypt -aes-256-cbc -binary -stream -in "$T/config" \
	-outform DER -recip "$T/rsa.crt" $OAEP -out "$T/os-cbc" 2>/dev/null
opens "$T/os-cbc" 5 5 "$RSA_SRC"

# --- 4. Python: its own encoder, DER and BER (one process) -----------
PS="--signer $T/signer.key:$T/signer.crt"
R="--recip rsa:$T/rsa.crt"
E="--recip ec:$T/ec.crt"
cat >"$T/py.jobs" <<EOF
seal $T/config --out $T/py-ktri-der $R $PS --name py --seq 2
seal $T/config --out $T/py-kari-ber $E $PS --name py --seq 2 --ber
seal $T/config --out $T/py-ktri-ber-plain $R $PS --attrs plain --ber
seal $T/config --out $T/py-kari-der-noattr $E $PS --attrs none
seal $T/config --out $T/py-ktri-ber-noattr $R $PS --attrs none --ber
seal $T/config --out $T/py-multi-ber $R --recip ec:$T/ec384.crt $PS --signer $T/signer2.key:$T/signer2.crt --name py --seq 2 --ber --pem
seal $T/config --out $T/py-unsigned-ber $E --ber
seal $T/config --out $T/bomb-signers $R $PS --name py --seq 2 --junk-signers 100000 --junk-certs 3000 --junk-untrusted
seal $T/config --out $T/bomb-originator $R $PS --name py --seq 2 --originator-certs 20000
seal $T/config --out $T/many-signers $R $PS --name py --seq 2 --junk-signers 64
seal $T/config --out $T/at-limits $R $PS --name py --seq 2 --junk-signers 63 --junk-certs 255
EOF
if "$PY" "$IOP/cms_py.py" batch "$T/py.jobs" >"$T/py.out" 2>&1; then ok
else fail "python seal: $(grep -v '^ok' "$T/py.out" | head -c 1500)"; fi
opens "$T/py-ktri-der" 0 0 "$RSA_SRC"
opens "$T/py-kari-ber" 0 0 "$EC_SRC"
opens "$T/py-ktri-ber-plain" 0 0 "$RSA_SRC"
opens "$T/py-kari-der-noattr" 0 5 "$EC_SRC"
opens "$T/py-ktri-ber-noattr" 0 5 "$RSA_SRC"
opens "$T/py-multi-ber" 0 0 "$EC384_SRC"
opens "$T/py-unsigned-ber" 0 5 "$EC_SRC"
# certseal's attributes written by someone else are read back.
expect 0 "inspect python BER" -- "$CERTSEAL" -s "$EC_SRC" inspect --json \
	"$T/py-kari-ber"
[ "$(jq -r '.name + " " + (.sequence|tostring)' "$T/out")" = "py 2" ] &&
	ok || fail "python BER: name/sequence not read: $(cat "$T/out")"

# --- 5. counts that would cost hours are refused first (issue 19) -----
# now_ms: wall clock in milliseconds.
now_ms() { date +%s%3N; }
for f in bomb-signers bomb-originator many-signers; do
	t0=$(now_ms)
	expect 4 "$f refused" -- "$CERTSEAL" -s "$RSA_SRC" open "$T/$f"
	t1=$(now_ms)
	expect_clean_failure "$f refused"
	grep -q 'more than' "$T/err" && ok || fail "$f: $(cat "$T/err")"
	# The old code took minutes on bomb-signers; 3 s is generous.
	[ $((t1 - t0)) -lt 3000 ] && ok || fail "$f took $((t1 - t0)) ms"
done
expect 0 "64 signers, 256 certificates open" -- "$CERTSEAL" -s "$RSA_SRC" \
	--accept-encrypted-data-only open "$T/at-limits"
same_bytes "$T/out" "$T/config" "at the limits"

finish
