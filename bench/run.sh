#!/bin/sh
# bench/run.sh - certseal against the tools users would script instead,
# all measured in one run, on this machine, on the same files and the same
# SoftHSM2 token (made here, with its own SOFTHSM2_CONF, removed at the
# end).  `make bench` runs it against the build directory; by hand:
#
#   top_builddir=/path/to/build sh bench/run.sh
#
# Prints a table of medians and ratios at the end and writes it, with the
# machine, to bench/RESULTS.md (BENCH_RESULTS=FILE to write elsewhere).
# BENCH_QUICK=1 makes fewer runs (for a smoke test; not for the record).
#
# Needs: hyperfine, jq, age, openssl with libengine-pkcs11-openssl,
# softhsm2, opensc (pkcs11-tool, pkcs11-spy), GNU time (/usr/bin/time).
set -eu

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
B=$(cd "$top_builddir" && pwd)
CS="$B/certseal"
CA="$B/certseal-admin"
MKSTORE="$B/bench-mkstore"
REOPEN="$B/bench-reopen"
FLOOR="$B/bench-floor"
SWFLOOR="$B/bench-swfloor"
VFLOOR="$B/bench-vfloor"
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
RESULTS="${BENCH_RESULTS:-$top_srcdir/bench/RESULTS.md}"

for tool in hyperfine jq age age-keygen openssl pkcs11-tool softhsm2-util \
    /usr/bin/time "$CS" "$CA" "$MKSTORE" "$REOPEN" "$FLOOR" "$SWFLOOR" "$VFLOOR"; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "bench: $tool is missing; run contrib/install-deps and" \
		    "make (the benchmark helpers are built with the rest)" >&2
		exit 1
	}
done
[ -f "$SOFTHSM" ] || { echo "bench: $SOFTHSM is missing" >&2; exit 1; }

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=2 RUNS=3 REOPENS=50 SIZE_RUNS=1
else
	# Short rounds, many of them: on a virtual machine whose speed swings
	# from one second to the next, commands compared must run close
	# together (12 runs in a row let the ratios swing by 0.9-1.4 x).
	ROUNDS=20 RUNS=3 REOPENS=1000 SIZE_RUNS=3
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/certseal-bench-XXXXXX")
chmod 700 "$W"
trap 'rm -rf "$W"' EXIT INT TERM
umask 077
cd "$W"
unset CERTSEAL_PIN CERTSEAL_CERTIFICATE_SOURCE \
    CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY OPENSSL_CONF 2>/dev/null || true
export CERTSEAL_STATE_DIR="$W/state" CERTSEAL_STORE_ROOT="$W/stores"
export XDG_DATA_HOME="$W/xdg"
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# The CPU time the hypervisor gave to others (steal, /proc/stat): on a
# virtual machine whose host is busy every number below is slower, and
# noisier, by about that much; the ratios much less so.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i;
    print t, $9 }' /proc/stat; }
CPU0=$(cpu_ticks)

say() { printf '\n== %s\n' "$*" >&2; }

# --- the token, the keys, the files ------------------------------------
say "setting up a SoftHSM2 token, keys and files in $W"
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$W" >softhsm2.conf
export SOFTHSM2_CONF="$W/softhsm2.conf"
PIN=bench-pin-1234
printf '%s\n' "$PIN" >pin
softhsm2-util --init-token --free --label certseal-bench \
    --so-pin bench-so-1234 --pin "$PIN" >/dev/null

# The client's RSA-3072 key, made in software so that the same key can also
# be a file: or store: source; on the token it is an ordinary,
# non-extractable private key with CKA_ID = the certificate's SKID.
openssl req -x509 -newkey rsa:3072 -nodes -keyout client.key \
    -out client.crt -subj /CN=bench-client -days 30 \
    -addext subjectKeyIdentifier=hash 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout signer.key -out signer.crt -subj /CN=bench-signer -days 30 \
    -addext subjectKeyIdentifier=hash 2>/dev/null
cat signer.key signer.crt >signer.pem
SKID=$(openssl x509 -in client.crt -noout -ext subjectKeyIdentifier |
    tail -n 1 | tr -d ' :' | tr 'A-F' 'a-f')
openssl pkey -in client.key -outform DER -out client.key.der
openssl x509 -in client.crt -outform DER -out client.crt.der
openssl x509 -in signer.crt -outform DER -out signer.crt.der
# p11w TOKEN ARGS...: pkcs11-tool, logged in to that token.
p11w() {
	p11w_token=$1
	shift
	pkcs11-tool --module "$SOFTHSM" --token-label "$p11w_token" \
	    --login --pin "$PIN" "$@" >/dev/null 2>&1
}
# client_token TOKEN: the client's key and certificate, and the signer
# certificate: that is whom it trusts.
client_token() {
	p11w "$1" --write-object client.key.der --type privkey --id "$SKID" \
	    --label client --usage-decrypt
	p11w "$1" --write-object client.crt.der --type cert --id "$SKID" \
	    --label client
	p11w "$1" --write-object signer.crt.der --type cert --id 5151 \
	    --label signer
}
client_token certseal-bench
printf 'bench-p12\n' >p12.pass
openssl pkcs12 -export -inkey client.key -in client.crt \
    -certfile signer.crt -passout pass:bench-p12 -out client.p12

# The same RSA key as a PEM key + certificate file (file: without PKCS#12),
# and a P-256 client key for the ECDH (KeyAgreeRecipientInfo) rows.
cat client.key client.crt signer.crt >client.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ecclient.key -out ecclient.crt -subj /CN=bench-ec-client \
    -days 30 -addext subjectKeyIdentifier=hash 2>/dev/null
cat ecclient.key ecclient.crt signer.crt >ecclient.pem
openssl pkcs12 -export -inkey ecclient.key -in ecclient.crt \
    -certfile signer.crt -passout pass:bench-p12 -out ecclient.p12
# The default store (CERTSEAL_STORE_ROOT=$W/stores, exported above) holds
# the RSA and the EC client's entries, so that store: opens are timed as a
# client runs them, with no `env` process in front.
"$CS" store import client.p12 --password-file p12.pass >/dev/null 2>&1
"$CS" store import ecclient.p12 --password-file p12.pass >/dev/null 2>&1

P11="pkcs11:token=certseal-bench?module-path=$SOFTHSM&pin-source=$W/pin"
P11SPY="pkcs11:token=certseal-bench?module-path=$SPY&pin-source=$W/pin"
FILESRC="file:$W/client.p12?pin-source=$W/p12.pass"

# An 8 KiB configuration: text, like a real one.
: >config8k
i=0
while [ "$(wc -c <config8k)" -lt 8192 ]; do
	printf 'service.%04d.url = https://backend-%04d.example.internal:8443/api\n' \
	    "$i" "$i" >>config8k
	i=$((i + 1))
done
head -c 8192 config8k >c && mv c config8k

seal() { # seal OUT IN [CERT...]: to the client (last) and the given certs
	out=$1
	in=$2
	shift 2
	set -- "$@" client.crt
	args=
	for c in "$@"; do args="$args --recipient $c"; done
	# shellcheck disable=SC2086
	"$CA" seal $args --signer "file:$W/signer.pem" --name bench \
	    --sequence 1 -o "$out" "$in"
}
seal c8k.sealed config8k
"$CA" seal --recipient ecclient.crt --signer "file:$W/signer.pem" \
    --name bench --sequence 1 -o ec8k.sealed config8k
for f in "store:|c8k" "store:|ec8k" "file:$W/client.pem|c8k" \
    "file:$W/ecclient.pem|ec8k"; do
	"$CS" -s "${f%|*}" --accept-encrypted-data-only open "${f#*|}.sealed" |
	    cmp -s - config8k ||
	    { echo "bench: ${f%|*} cannot open ${f#*|}.sealed" >&2; exit 1; }
done
"$CS" -s "$P11" --accept-encrypted-data-only open c8k.sealed | cmp -s - config8k ||
    { echo "bench: certseal cannot open its own file" >&2; exit 1; }
for f in "rsa client.key|c8k" "ec ecclient.key|ec8k"; do
	# shellcheck disable=SC2086
	"$VFLOOR" ${f%|*} signer.crt "${f#*|}.sealed" | cmp -s - config8k ||
	    { echo "bench: bench-vfloor cannot open ${f#*|}.sealed" >&2; exit 1; }
	# A floor that verifies: the file against another certificate fails.
	# shellcheck disable=SC2086
	if "$VFLOOR" ${f%|*} client.crt "${f#*|}.sealed" >/dev/null 2>&1; then
		echo "bench: bench-vfloor accepts ${f#*|}.sealed from a signer" \
		    "it was not given" >&2
		exit 1
	fi
done

age-keygen -o age.key 2>/dev/null
age -e -r "$(age-keygen -y age.key)" -o c8k.age config8k

# openssl through libp11's engine: PKCS11_MODULE_PATH names the module.
export PKCS11_MODULE_PATH="$SOFTHSM"
OSSL_KEY="pkcs11:token=certseal-bench;object=client;type=private?pin-value=$PIN"
openssl cms -decrypt -engine pkcs11 -keyform engine -inkey "$OSSL_KEY" \
    -recip client.crt -in c8k.sealed -inform PEM -binary -out inner.der \
    2>/dev/null
openssl cms -verify -in inner.der -inform DER -binary -CAfile signer.crt \
    -purpose any 2>/dev/null | cmp -s - config8k ||
    { echo "bench: openssl cms cannot open the file" >&2; exit 1; }

# --- measuring -----------------------------------------------------------
# measure NAME COMMAND...: RUNS timed runs (plus one warm-up) appended to
# NAME.times, in seconds.  Callers interleave rounds of the commands they
# compare, so that a busy machine slows all of them alike.
measure() {
	name=$1
	shift
	hyperfine -N -w 1 -r "$RUNS" --export-json "$W/hf.json" \
	    --style none "$*" >/dev/null 2>"$W/hf.err" || {
		echo "bench: $name failed: $(tail -n 3 "$W/hf.err")" >&2
		exit 1
	}
	jq -r '.results[0].times[]' "$W/hf.json" >>"$W/$name.times"
	# CPU (user + system), one mean per round: less sensitive than wall
	# time to other load on the machine.
	jq -r '.results[0].user + .results[0].system' "$W/hf.json" \
	    >>"$W/$name.cpu"
}
# rounds NAME...: ROUNDS rounds of the functions NAME..., each a measure
# call; every other round runs them in the opposite order, so that none
# of them always follows the same one.
rounds() {
	rr=0
	while [ $rr -lt $ROUNDS ]; do
		if [ $((rr % 2)) -eq 0 ]; then
			for fn in "$@"; do "$fn"; done
		else
			rev=
			for fn in "$@"; do rev="$fn $rev"; done
			for fn in $rev; do "$fn"; done
		fi
		rr=$((rr + 1))
	done
}
median() { # median of the numbers in FILE (one a line)
	sort -g "$1" | awk '{ a[NR] = $1 }
	    END { if (NR % 2) print a[(NR + 1) / 2];
		  else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

: >table
: >notes
row() { # row WHAT VALUE RATIO GOAL VERDICT
	printf '| %s | %s | %s | %s | %s |\n' "$@" >>table
}
verdict() { if le "$1" "$2"; then echo met; else echo MISSED; fi; }

# --- 1. client open through the token, whole process ---------------------
say "1. client open through pkcs11:, whole process (8 KiB, RSA-3072 on the token)"
m_certseal() { measure certseal "$CS" -s "$P11" \
    --accept-encrypted-data-only open c8k.sealed; }
m_floor() { measure floor "$FLOOR" "$SOFTHSM" certseal-bench "$W/pin" "$SKID"; }
m_openssl() { measure openssl openssl cms -decrypt -engine pkcs11 \
    -keyform engine -inkey "$OSSL_KEY" -recip client.crt -in c8k.sealed \
    -inform PEM -binary -out inner.der; }
rounds m_certseal m_floor m_openssl
m_cs=$(median certseal.times)
m_os=$(median openssl.times)
m_floor=$(median floor.times)
x=$(ratio "$m_cs" "$m_floor")
xc=$(ratio "$(median certseal.cpu)" "$(median floor.cpu)")
printf -- '- token open, CPU time (user + system, median of the per-round means): certseal %s ms, bench-floor %s ms (%s x), openssl cms + libp11 %s ms.\n' \
    "$(ms "$(median certseal.cpu)")" "$(ms "$(median floor.cpu)")" "$xc" \
    "$(ms "$(median openssl.cpu)")" >>notes
printf -- '- `bench-floor` does only what any client of this token must (libcrypto, dlopen of the module, C_Initialize, C_Login, one C_Decrypt; no file, no CMS, no signature): no client of this token can open a file for less.\n' >>notes
hf_true() { hyperfine -N -w 1 -r "$RUNS" --export-json "$W/hf.json" --style none true >/dev/null 2>&1 && jq -r '.results[0].median' "$W/hf.json"; }
printf -- '- starting a process (`true`) costs %s ms on this machine now: part of every whole-process number.\n' "$(ms "$(hf_true)")" >>notes
row "open: certseal -s pkcs11: (decrypt + verify)" "$(ms "$m_cs") ms" \
    "$x x floor (CPU $xc x)" "<= 1.10" "$(verdict "$x" 1.10)"
row "open: token floor (bench-floor: load, login, 1 C_Decrypt; no CMS)" \
    "$(ms "$m_floor") ms" "1.00" "" ""
row "open: openssl cms -decrypt, libp11 engine (no verify)" \
    "$(ms "$m_os") ms" "$(ratio "$m_os" "$m_floor") x floor" "" ""

# --- 1b. client open with a software key, whole process -------------------
say "1b. client open with a software key: store: and file:, RSA-3072 and P-256"
# The software opens of one algorithm (sw_alg ALG KEY SEALED PEM: its PEM
# key, the file sealed to it, key and certificates in one PEM file).
sw_alg() { alg=$1 key=$2 sealed=$3 pem=$4; }
m_swfloor() { measure swfloor_$alg "$SWFLOOR" $alg $key; }
m_vfloor() { measure vfloor_$alg "$VFLOOR" $alg $key signer.crt $sealed; }
m_store() { measure store_$alg "$CS" --accept-encrypted-data-only \
    open $sealed; }
m_file() { measure file_$alg "$CS" -s "file:$W/$pem" \
    --accept-encrypted-data-only open $sealed; }
m_file_p12() { measure file_p12 "$CS" -s "$FILESRC" \
    --accept-encrypted-data-only open c8k.sealed; }
m_age() { measure age age -d -i age.key -o /dev/null c8k.age; }
# Each software open beside its floors: RSA, then P-256.
sw_alg rsa client.key c8k.sealed client.pem
rounds m_swfloor m_vfloor m_store m_file m_file_p12
sw_alg ec ecclient.key ec8k.sealed ecclient.pem
rounds m_swfloor m_vfloor m_store m_file m_age
for alg in rsa ec; do
	f=$(median swfloor_$alg.times)
	v=$(median vfloor_$alg.times)
	for src in store file; do
		m=$(median ${src}_$alg.times)
		x=$(ratio "$m" "$f")
		xc=$(ratio "$(median ${src}_$alg.cpu)" "$(median swfloor_$alg.cpu)")
		goal=1.10
		[ $src = file ] && goal=1.25
		what="store: (default source)"
		[ $src = file ] && what="file: (PEM key + certificates)"
		row "open: certseal -s $what, $alg" "$(ms "$m") ms" \
		    "$x x floor (CPU $xc x); $(ratio "$m" "$v") x verified floor" \
		    "<= $goal" "$(verdict "$x" $goal)"
	done
	row "open: software floor (bench-swfloor $alg: load the PEM key, 1 private-key op; no CMS)" \
	    "$(ms "$f") ms" "1.00" "" ""
	row "open: verified floor (bench-vfloor $alg: the PEM key by one decoder, CMS_decrypt and CMS_verify of the same file against its one signer)" \
	    "$(ms "$v") ms" "$(ratio "$v" "$f") x floor" "" ""
done
f=$(median swfloor_rsa.times)
row "open: certseal -s file: (PKCS#12, PBKDF2 key and MAC), rsa" \
    "$(ms "$(median file_p12.times)") ms" \
    "$(ratio "$(median file_p12.times)" "$f") x floor" "" ""
row "open: age -d, software X25519 identity (context)" \
    "$(ms "$(median age.times)") ms" "$(ratio "$(median age.times)" "$f") x floor" "" ""
printf -- '- software open, CPU medians: floor rsa %s ms, store: %s, file: %s; floor ec %s ms, store: %s, file: %s; file: PKCS#12 %s; age %s.\n' \
    "$(ms "$(median swfloor_rsa.cpu)")" "$(ms "$(median store_rsa.cpu)")" \
    "$(ms "$(median file_rsa.cpu)")" "$(ms "$(median swfloor_ec.cpu)")" \
    "$(ms "$(median store_ec.cpu)")" "$(ms "$(median file_ec.cpu)")" \
    "$(ms "$(median file_p12.cpu)")" "$(ms "$(median age.cpu)")" >>notes
printf -- '- verified floor, CPU medians: rsa %s ms (%s x bench-swfloor), ec %s ms (%s x).  `bench-vfloor` (bench/vfloor.c) is the shortest verified open that OpenSSL'"'"'s CMS API allows: the PEM key through a decoder asked for that one key type (as certseal reads it), PEM_read_bio_CMS, CMS_decrypt, d2i_CMS_bio and CMS_verify with CMS_NOINTERN against the one trusted signer certificate; no source searched, no policy, rollback state, limits or atomic output.\n' \
    "$(ms "$(median vfloor_rsa.cpu)")" \
    "$(ratio "$(median vfloor_rsa.cpu)" "$(median swfloor_rsa.cpu)")" \
    "$(ms "$(median vfloor_ec.cpu)")" \
    "$(ratio "$(median vfloor_ec.cpu)" "$(median swfloor_ec.cpu)")" >>notes
printf -- '- `bench-swfloor` (bench/swfloor.c) loads the same PEM key with libcrypto (PEM_read_bio_PrivateKey) and does the one private-key operation a recipient needs (RSA-OAEP SHA-256, or P-256 ECDH + SHA-256): no client of a software key can open a file for less.  The PKCS#12 row pays three PBKDF2 derivations (key bag, certificate bag, MAC) that the user chose with the bundle; it has no goal of its own.\n' >>notes

# --- 2. re-open in one process ------------------------------------------
say "2. re-open in one process ($REOPENS opens, library API)"
"$REOPEN" c8k.sealed "$P11" "$SOFTHSM" certseal-bench "$W/pin" "$SKID" \
    "$REOPENS" >reopen.out
cat reopen.out >&2
per_open=$(awk '$1 == "certseal_open_file" { print $3 }' reopen.out)
bare_raw=$(awk '$1 == "C_Decrypt_RSA_X_509" { print $3 }' reopen.out)
bare_oaep=$(awk '$1 == "C_Decrypt_RSA_PKCS_OAEP_SHA1" { print $3 }' reopen.out)
bare=$(awk -v a="$bare_raw" -v b="$bare_oaep" 'BEGIN { print a < b ? a : b }')
x=$(ratio "$per_open" "$bare")
printf -- '- re-open CPU per operation (interleaved rounds in one process): certseal_open_file %s ms, bare C_Decrypt raw %s ms, OAEP %s ms (%s x).\n' \
    "$(awk '$1 == "certseal_open_file" { print $4 }' reopen.out)" \
    "$(awk '$1 == "C_Decrypt_RSA_X_509" { print $4 }' reopen.out)" \
    "$(awk '$1 == "C_Decrypt_RSA_PKCS_OAEP_SHA1" { print $4 }' reopen.out)" \
    "$(ratio "$(awk '$1 == "certseal_open_file" { print $4 }' reopen.out)" \
	"$(awk '$1 == "C_Decrypt_RSA_X_509" { print $4 }' reopen.out)")" >>notes
row "re-open: certseal_open_file, per open" "$per_open ms" \
    "$x x bare C_Decrypt" "<= 1.50" "$(verdict "$x" 1.50)"
row "re-open: bare C_Decrypt CKM_RSA_X_509 (what certseal sends)" \
    "$bare_raw ms" "" "" ""
row "re-open: bare C_Decrypt CKM_RSA_PKCS_OAEP SHA-1" "$bare_oaep ms" "" "" ""

# --- 3. store scale --------------------------------------------------------
say "3. store scale: 1, 1 000 and 10 000 entries"
for n in 1 1000 10000; do
	CERTSEAL_STORE_ROOT="$W/st$n" "$CS" store import client.p12 \
	    --password-file p12.pass >/dev/null 2>&1
	[ $n -gt 1 ] && "$MKSTORE" store "$W/st$n/LocalMachine/My" $((n - 1))
	[ "$(find "$W/st$n/LocalMachine/My/keys" -name '*.pem' | wc -l)" -eq $n ] ||
	    { echo "bench: store with $n entries not made" >&2; exit 1; }
done
CERTSEAL_STORE_ROOT="$W/st10000" "$CS" store list --json >list.json
[ "$(jq '[.entries[] | select(.kind == "key" and .status == "ok")] | length' list.json)" -eq 10000 ] ||
    { echo "bench: the store does not accept the generated entries" >&2; exit 1; }
m_store_n() { measure store$1 env CERTSEAL_STORE_ROOT="$W/st$1" "$CS" \
    --accept-encrypted-data-only open c8k.sealed; }
m_store1() { m_store_n 1; }
m_store1000() { m_store_n 1000; }
m_store10000() { m_store_n 10000; }
rounds m_store1 m_store1000 m_store10000
m1=$(median store1.times)
printf -- '- store scale CPU medians: 1 entry %s ms, 1 000 %s ms, 10 000 %s ms.\n' \
    "$(ms "$(median store1.cpu)")" "$(ms "$(median store1000.cpu)")" \
    "$(ms "$(median store10000.cpu)")" >>notes
for n in 1 1000 10000; do
	m=$(median store$n.times)
	x=$(ratio "$m" "$m1")
	if [ $n = 10000 ]; then
		row "store: certseal open, $n entries" "$(ms "$m") ms" \
		    "$x x 1 entry" "<= 1.20" "$(verdict "$x" 1.20)"
	else
		row "store: certseal open, $n entries" "$(ms "$m") ms" \
		    "$x x 1 entry" "" ""
	fi
done

# --- 4. recipients scale ----------------------------------------------------
say "4. recipients scale: sealed to 1, 100 and 1 000 pairs (client last)"
"$MKSTORE" certs "$W/rc" 999
for n in 1 100 1000; do
	set --
	i=0
	while [ $i -lt $((n - 1)) ]; do
		set -- "$@" "rc/r$i.crt"
		i=$((i + 1))
	done
	seal "r$n.sealed" config8k "$@"
	# Private-key operations on the token, counted by pkcs11-spy.
	PKCS11SPY="$SOFTHSM" PKCS11SPY_OUTPUT="$W/spy$n.log" \
	    "$CS" -s "$P11SPY" --accept-encrypted-data-only open "r$n.sealed" |
	    cmp -s - config8k || { echo "bench: r$n.sealed does not open" >&2; exit 1; }
	grep -cE '^[0-9]+: C_(Decrypt|Sign|DeriveKey|Unwrap[A-Za-z]*)$' \
	    "$W/spy$n.log" >"ops$n" || true
done
m_recip_n() { measure recip$1 "$CS" -s "$P11" \
    --accept-encrypted-data-only open "r$1.sealed"; }
m_recip1() { m_recip_n 1; }
m_recip100() { m_recip_n 100; }
m_recip1000() { m_recip_n 1000; }
rounds m_recip1 m_recip100 m_recip1000
m1=$(median recip1.times)
printf -- '- recipients scale CPU medians: 1 pair %s ms, 100 %s ms, 1 000 %s ms.\n' \
    "$(ms "$(median recip1.cpu)")" "$(ms "$(median recip100.cpu)")" \
    "$(ms "$(median recip1000.cpu)")" >>notes
for n in 1 100 1000; do
	m=$(median recip$n.times)
	x=$(ratio "$m" "$m1")
	ops=$(cat "ops$n")
	if [ $n = 1000 ]; then
		row "recipients: open, $n pairs ($ops token key op)" \
		    "$(ms "$m") ms" "$x x 1 pair" "<= 1.30, 1 op" \
		    "$(if le "$x" 1.30 && [ "$ops" = 1 ]; then echo met; else echo MISSED; fi)"
	else
		row "recipients: open, $n pairs ($ops token key op)" \
		    "$(ms "$m") ms" "$x x 1 pair" "1 op" \
		    "$(if [ "$ops" = 1 ]; then echo met; else echo MISSED; fi)"
	fi
done
printf -- '- sealed file sizes: 1 pair %s bytes, 100 pairs %s, 1 000 pairs %s.\n' \
    "$(wc -c <r1.sealed)" "$(wc -c <r100.sealed)" "$(wc -c <r1000.sealed)" >>notes

# --- 4b. a token shared with other applications --------------------------
say "4b. a token that also holds 200 other applications' certificates"
softhsm2-util --init-token --free --label certseal-shared \
    --so-pin bench-so-1234 --pin "$PIN" >/dev/null
client_token certseal-shared
# Certificates with no private key on the token (CA and peer
# certificates of other applications): trusted signers by the rule, and
# named by no file certseal opens.
i=0
while [ $i -lt 200 ]; do
	openssl x509 -in "rc/r$i.crt" -outform DER -out other.der
	p11w certseal-shared --write-object other.der --type cert \
	    --id "$(printf 'a0%04x' $i)" \
	    --label "other-$i"
	i=$((i + 1))
done
P11SH="pkcs11:token=certseal-shared?module-path=$SOFTHSM&pin-source=$W/pin"
"$CS" -s "$P11SH" --accept-encrypted-data-only open c8k.sealed |
    cmp -s - config8k || { echo "bench: the shared token does not open" >&2; exit 1; }
m_shared() { measure shared "$CS" -s "$P11SH" --accept-encrypted-data-only \
    open c8k.sealed; }
m_sharedfloor() { measure sharedfloor "$FLOOR" "$SOFTHSM" certseal-shared \
    "$W/pin" "$SKID"; }
rounds m_shared m_sharedfloor
m=$(median shared.times)
f=$(median sharedfloor.times)
printf -- '- shared token (the client pair, the signer and 200 other certificates without keys), CPU medians: certseal %s ms, bench-floor on that token %s ms.\n' \
    "$(ms "$(median shared.cpu)")" "$(ms "$(median sharedfloor.cpu)")" >>notes
row "token with 200 other certificates: certseal open" "$(ms "$m") ms" \
    "$(ratio "$m" "$f") x its floor" "" ""
row "token with 200 other certificates: bench-floor" "$(ms "$f") ms" \
    "1.00" "" ""

# --- 5. size ----------------------------------------------------------------
say "5. size: 1 MiB and 64 MiB configurations"
# tv FILE COMMAND...: runs COMMAND under GNU time (for the peak; its
# wall time has 10 ms steps) and appends "ms kib", the wall time read
# from the clock around it.
tv() {
	f=$1
	shift
	t0=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$W/tv.out" "$@" >/dev/null 2>"$W/tv.err" || {
		echo "bench: $* failed: $(head -c 300 "$W/tv.err")" >&2
		exit 1
	}
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 )) $(tail -n 1 "$W/tv.out")" >>"$f"
}
for mib in 1 64; do
	head -c $((mib * 786432)) /dev/urandom | base64 -w 76 |
	    head -c $((mib * 1048576)) >"big$mib"
	bytes=$(wc -c <"big$mib")
	: >"seal$mib.tv"
	: >"open$mib.tv"
	r=0
	while [ $r -lt $SIZE_RUNS ]; do
		rm -f "big$mib.sealed"
		tv "seal$mib.tv" "$CA" seal --recipient client.crt \
		    --signer "file:$W/signer.pem" --name bench --sequence 1 \
		    -o "big$mib.sealed" "big$mib"
		tv "open$mib.tv" "$CS" -s "$P11" --accept-encrypted-data-only \
		    open "big$mib.sealed"
		r=$((r + 1))
	done
	"$CS" -s "$P11" open "big$mib.sealed" | cmp -s - "big$mib" ||
	    { echo "bench: big$mib does not round-trip" >&2; exit 1; }
	for op in seal open; do
		awk '{ print $1 / 1000 }' "$op$mib.tv" >t
		secs=$(median t)
		kib=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' \
		    "$op$mib.tv")
		mibs=$(awk -v b="$bytes" -v s="$secs" \
		    'BEGIN { printf "%.1f", (s > 0) ? b / 1048576 / s : 0 }')
		xs=$(awk -v k="$kib" -v b="$bytes" 'BEGIN { printf "%.2f", k * 1024 / b }')
		if [ $mib = 64 ]; then
			# Goal (64 MiB): >= 200 MiB/s, peak <= 2.5 x the file.
			ok=$(awk -v m="$mibs" -v x="$xs" \
			    'BEGIN { print (m >= 200 && x <= 2.5) ? "met" : "MISSED" }')
			goal=">= 200 MiB/s, <= 2.5 x"
		else
			ok= goal=
		fi
		row "size: $op $mib MiB" "$secs s, $mibs MiB/s" \
		    "peak $((kib / 1024)) MiB = $xs x size" "$goal" "$ok"
	done
	rm -f "big$mib" "big$mib.sealed"
done

# The documented limit: 256 MiB (CERTSEAL_MAX_CONFIG_SIZE), refused above.
truncate -s $((256 * 1048576 + 1)) huge
set +e
"$CA" seal --recipient client.crt --signer "file:$W/signer.pem" \
    -o huge.sealed huge >/dev/null 2>huge-seal.err
seal_rc=$?
"$CS" -s "$P11" open huge >/dev/null 2>huge-open.err
open_rc=$?
set -e
printf -- '- over the limit (256 MiB + 1 byte): `certseal-admin seal` exit %s, "%s"; `certseal open` exit %s, "%s"\n' \
    "$seal_rc" "$(head -n 1 huge-seal.err)" "$open_rc" \
    "$(head -n 1 huge-open.err)" >>notes
row "size limit: 256 MiB + 1 refused (seal, open)" \
    "exit $seal_rc, exit $open_rc" "" "exit 5, clear error" \
    "$(if [ $seal_rc = 5 ] && [ $open_rc = 5 ] && [ ! -e huge.sealed ]; then echo met; else echo MISSED; fi)"
rm -f huge huge.sealed

# --- the record ----------------------------------------------------------------
T1=$(date +%s)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
CPU1=$(cpu_ticks)
STEAL=$(echo "$CPU0 $CPU1" | awk '{ d = $3 - $1; s = 0;
    if (d > 0) s = 100 * ($4 - $2) / d; printf "%.1f %%", s }')
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
{
	echo "# certseal benchmarks"
	echo
	echo "Written by \`bench/run.sh\` (\`make bench\`) on $(date -u '+%Y-%m-%d %H:%M UTC');"
	echo "every number below comes from that one run."
	echo
	echo "## Machine"
	echo
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc)"
	echo "- memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
	echo "- certseal $("$CS" --version | awk '{ print $2 }'), OpenSSL $(ver libssl3), SoftHSM2 $(ver softhsm2), libp11 $(ver libp11-3), libengine-pkcs11-openssl $(ver libengine-pkcs11-openssl), p11-kit $(ver p11-kit), age $(ver age), hyperfine $(ver hyperfine)"
	echo "- load average at start: $LOAD0; at end: $LOAD1; run time $((T1 - T0)) s"
	echo "- CPU time stolen by the hypervisor during the run: $STEAL of all CPU time (/proc/stat)"
	echo "- runs: $ROUNDS interleaved rounds of $RUNS runs (+1 warm-up) per command, every other round in the opposite order; $REOPENS re-opens; $SIZE_RUNS runs per size"
	echo
	echo "## Results"
	echo
	echo "| measurement | median | ratio | goal | verdict |"
	echo "|---|---|---|---|---|"
	cat table
	echo
	echo "## Notes"
	echo
	cat notes
	# The profile behind the missed goals, written by hand after a run
	# (bench/ANALYSIS.md); its numbers are from the run it names.
	if [ -f "$top_srcdir/bench/ANALYSIS.md" ]; then
		echo
		cat "$top_srcdir/bench/ANALYSIS.md"
	fi
} >report.md
cat report.md
if cp report.md "$RESULTS" 2>/dev/null; then
	echo "(written to $RESULTS)" >&2
else
	cp report.md "$B/RESULTS.md"
	echo "(cannot write $RESULTS; written to $B/RESULTS.md)" >&2
fi
