#!/bin/sh
# bench/enroll.sh - the scale figures of issue 14 (enrolled clients):
# one real client enrolled the ordinary way (store key, approve, finish),
# then 999 and 10 000 approved clients in the profile (fake ones, see
# bench/enroll-fake.py).  Measures, in both armours of the sealed file (PEM,
# the default, and DER, `save --der`), save, one client's open against a
# file in the same armour sealed to that client alone, and the size per
# added recipient; then client list and rollout status.  About a minute on
# 2 cores; part of `make bench`, alone `make bench-enroll`.  By hand:
#
#   top_builddir=/path/to/build sh bench/enroll.sh
#
# Prints the table and writes it to bench/ENROLL-RESULTS.md
# (BENCH_ENROLL_RESULTS=FILE to write elsewhere).
# Needs: hyperfine, jq, /usr/bin/python3 with cryptography, softhsm2.
set -eu
[ "${BENCH_TRACE:-0}" = 1 ] && set -x

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
B=$(cd "$top_builddir" && pwd)
CS="$B/certseal"
CA="$B/certseal-admin"
FAKE="$top_srcdir/bench/enroll-fake.py"
RUNS=${BENCH_RUNS:-15}
RESULTS="${BENCH_ENROLL_RESULTS:-$top_srcdir/bench/ENROLL-RESULTS.md}"
for tool in hyperfine jq /usr/bin/python3 "$CS" "$CA"; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "bench/enroll: $tool is missing" >&2; exit 1; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/certseal-enroll-bench-XXXXXX")
chmod 700 "$W"
trap 'rm -rf "$W"' EXIT INT TERM
umask 077
unset CERTSEAL_PIN CERTSEAL_CERTIFICATE_SOURCE SOFTHSM2_CONF \
    CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY 2>/dev/null || true
export CERTSEAL_PROFILE="$W/admin/profile.json"
export CERTSEAL_STORE_ROOT="$W/c0/stores" CERTSEAL_STATE_DIR="$W/c0/state"
mkdir -p "$W/admin" "$W/req" "$W/reports"
head -c 1024 /dev/urandom | base64 >"$W/plain.conf"

# ms COMMAND...: "WALL CPU": median wall time and mean CPU time (user +
# system) in milliseconds over $RUNS runs.  The machine is shared: CPU time
# is what the command costs, wall time what it waited on top.
ms() {
	hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$W/h.json" \
	    "$*" >/dev/null 2>&1
	jq -r '.results[0] | "\(.median * 1000 | . * 10 | round / 10) \((.user + .system) * 1000 | . * 10 | round / 10)"' \
	    "$W/h.json"
}
# once COMMAND...: "WALL CPU" of one run in milliseconds; fails with it.
once() {
	/usr/bin/time -f '%e %U %S' -o "$W/time" "$@" >/dev/null 2>"$W/err" || {
		echo "bench/enroll: $* failed: $(cat "$W/err")" >&2; return 1; }
	awk '{ printf "%d %d", $1 * 1000, ($2 + $3) * 1000 }' "$W/time"
}
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
w() { echo "${1% *}"; }		# the wall part of "WALL CPU"
c() { echo "${1#* }"; }		# the CPU part

"$CA" init --config "$W/app.sealed" --name app >/dev/null 2>&1
P=$("$CA" pair generate 2>/dev/null)
"$CA" pair activate "$P" >/dev/null 2>&1
"$CS" enroll --out "$W/req" --name c0 >/dev/null 2>&1
FP=$("$CA" client approve c0 --requests "$W/req" 2>/dev/null |
	sed -n 's/.*--trust-signer \(SHA256:[0-9a-f]*\).*/\1/p')
"$CS" enroll --finish "$W/req/c0.crt" --trust-signer "$FP" >/dev/null 2>&1
OPEN="$CS --accept-encrypted-data-only open $W/app.sealed"

# One client: the file is sealed to the pair and c0, in each armour.
"$CA" save --der "$W/plain.conf" 2>/dev/null
size1_der=$(stat -c %s "$W/app.sealed")
open1_der=$(ms "$OPEN")
"$CA" save --pem "$W/plain.conf" 2>/dev/null
size1_pem=$(stat -c %s "$W/app.sealed")
open1_pem=$(ms "$OPEN")
"$CS" report --out "$W/reports" --host c0 >/dev/null 2>&1

row() {	# N ARMOUR: save, size, open for N clients, the file in ARMOUR
	save=$(once "$CA" save "--$2" "$W/plain.conf")
	size=$(stat -c %s "$W/app.sealed")
	open=$(ms "$OPEN")
	eval "size1=\$size1_$2 open1=\$open1_$2"
	per=$(( (size - size1) / ($1 - 1) ))
	printf '| %s | %s | %s / %s ms | %s bytes (%s per added recipient) | %s / %s ms (%sx / %sx) |\n' \
	    "$1" "$(echo "$2" | tr a-z A-Z)" "$(w "$save")" "$(c "$save")" \
	    "$size" "$per" "$(w "$open")" "$(c "$open")" \
	    "$(ratio "$(w "$open")" "$(w "$open1")")" \
	    "$(ratio "$(c "$open")" "$(c "$open1")")"
}

exec 3>&1 >"$W/results.md"
echo "## Enrolled clients at scale ($(date -u +%Y-%m-%d), $(nproc) cores," \
    "RSA-3072, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "one client: PEM file $size1_pem bytes, open $(w "$open1_pem") ms wall" \
    "(median of $RUNS), $(c "$open1_pem") ms CPU (mean); DER file" \
    "$size1_der bytes, open $(w "$open1_der") / $(c "$open1_der") ms."
echo "Times below are wall / CPU; each open's ratio is to the one-client open"
echo "in the same armour."
echo
echo "| clients | armour | save | sealed file | one client's open |"
echo "|---|---|---|---|---|"
# c0 last: the store source looks recipients up in file order, so this is
# its worst case.
last() {
	/usr/bin/python3 -c 'import json, sys
p = json.load(open(sys.argv[1])); c = p["clients"]; c.append(c.pop(0))
json.dump(p, open(sys.argv[1], "w"))' "$CERTSEAL_PROFILE"
}
/usr/bin/python3 "$FAKE" "$CERTSEAL_PROFILE" 999
last
row 1000 pem
row 1000 der
/usr/bin/python3 "$FAKE" "$CERTSEAL_PROFILE" 9000
last
row 10000 pem
row 10000 der

# 10 000 reports (c0's, renamed, listing the fake clients' keys; unsigned,
# so each is read, matched and found without a signature).
/usr/bin/python3 - "$CERTSEAL_PROFILE" "$W/reports" <<'PY'
import json, sys
prof = json.load(open(sys.argv[1]))
base = json.load(open(sys.argv[2] + "/c0.json"))
for c in prof["clients"]:
    if c["name"] == "c0":
        continue
    r = dict(base, host=c["name"])
    r["keys"] = [dict(base["keys"][0], key_id=c["key_id"])]
    json.dump(r, open("%s/%s.json" % (sys.argv[2], c["name"]), "w"))
PY
list=$(once "$CA" client list --requests "$W/req" --json)
# rollout status exits 5: the fake hosts are not ready (no signature).
status=$(once sh -c '"$0" rollout status --reports "$1" --json; rc=$?; [ $rc -eq 0 ] || [ $rc -eq 5 ]' \
    "$CA" "$W/reports")
echo
echo "10 000 clients: client list $(w "$list") / $(c "$list") ms;" \
    "rollout status (10 000 reports) $(w "$status") / $(c "$status") ms"
echo
echo "Goals (issue 14): 1 000 clients save < 3 s, open <= 1.3x, <= 600 bytes"
echo "per recipient; 10 000 clients open <= 2x, client list and rollout"
echo "status < 2 s."
echo
echo "Size: an RSA-3072 recipient (RSAES-OAEP SHA-256, SKID) is 475 bytes"
echo "of DER - 388 the encrypted key, 58 the OAEP AlgorithmIdentifier, 22 the"
echo "SKID, 7 version and header - and 65/48 of that, 643, in PEM: 600 bytes"
echo "per recipient needs the DER armour (docs/FORMAT.md, \"Armour\")."
echo "One private-key operation per open whatever the count."
exec 1>&3
cat "$W/results.md"
cp "$W/results.md" "$RESULTS"
