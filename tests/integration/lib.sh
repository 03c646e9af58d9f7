# lib.sh - shared by the integration scripts: a private temp dir, the
# binaries under test, key/certificate makers using the real openssl CLI,
# and assertions that count.  Source it; call `finish` at the end.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CERTSEAL="${CERTSEAL:-$top_builddir/certseal}"
CERTSEAL_ADMIN="${CERTSEAL_ADMIN:-$top_builddir/certseal-admin}"
# make check passes the configured module (tests/local.mk); by hand, the
# build's config.h has the same --with-softhsm-module value.
: "${SOFTHSM_MODULE:=$(sed -n 's/^#define CS_SOFTHSM_MODULE "\(.*\)"$/\1/p' \
	"$top_builddir/config.h" 2>/dev/null)}"
export SOFTHSM_MODULE

# skip WHY: exit 77 (automake's "skipped") and say why: the harness
# prints SKIP, the log the reason; a skip never looks like a pass.
skip() {
	echo "SKIP: $(basename "$0"): $*" >&2
	exit 77
}

# require_tools TOOL...: skip unless every TOOL is in PATH.
require_tools() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			skip "$tool not installed (contrib/install-deps has it)"
	done
}

# require_softhsm: skip without softhsm2-util or the SoftHSM2 module
# (certseal-admin init makes its embedded token there).
require_softhsm() {
	require_tools softhsm2-util
	[ -n "$SOFTHSM_MODULE" ] && [ -r "$SOFTHSM_MODULE" ] ||
		skip "SoftHSM2 module '${SOFTHSM_MODULE}' not found (install" \
		    "softhsm2, or configure --with-softhsm-module)"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/cs-it-XXXXXX")
chmod 700 "$T"
trap 'rm -rf "$T"' EXIT
# Tests never touch the machine's stores or state.
export CERTSEAL_STORE_ROOT="$T/stores"
export CERTSEAL_STATE_DIR="$T/state"
export XDG_DATA_HOME="$T/xdg-data"
unset CERTSEAL_PIN CERTSEAL_CERTIFICATE_SOURCE \
	CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY 2>/dev/null || true

checks=0
failures=0

ok() { checks=$((checks + 1)); }
fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND with stdout in
# $T/out and stderr in $T/err, checks the exit code.
expect() {
	want=$1
	what=$2
	shift 3
	"$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok
	else
		fail "$what: exit $got, expected $want; stderr: $(head -c 400 "$T/err")"
	fi
}

# The failure rules of DESIGN.md section 5: nothing on stdout, one line on
# stderr.
expect_clean_failure() {
	what=$1
	if [ -s "$T/out" ]; then
		fail "$what: printed $(wc -c <"$T/out") bytes on stdout"
	else
		ok
	fi
	lines=$(wc -l <"$T/err")
	if [ "$lines" -ne 1 ]; then
		fail "$what: $lines lines on stderr, expected one: $(head -c 400 "$T/err")"
	else
		ok
	fi
}

same_bytes() {
	if cmp -s "$1" "$2"; then ok; else fail "$3: $1 and $2 differ"; fi
}

# make_cert NAME ALG [EXTRA_OPENSSL_REQ_ARGS...]: a private key (0600) and
# a self-signed certificate with a subjectKeyIdentifier, in $T/NAME.key and
# $T/NAME.crt.  ALG: rsa3072, rsa2048, p256, p384.
make_cert() {
	name=$1
	alg=$2
	shift 2
	case "$alg" in
	rsa*) keyopt="-newkey rsa:${alg#rsa}" ;;
	p256) keyopt="-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	p384) keyopt="-newkey ec -pkeyopt ec_paramgen_curve:P-384" ;;
	*) echo "make_cert: unknown $alg" >&2; return 1 ;;
	esac
	# shellcheck disable=SC2086
	(umask 077 && openssl req -x509 $keyopt -nodes -days 30 \
		-subj "/CN=$name" -keyout "$T/$name.key" -out "$T/$name.crt" \
		"$@" 2>/dev/null)
}

# file_pair: a P-256 signer ($T/admin.pem, key and certificate) and a
# client ($T/client.pem: key, certificate, and the signer it trusts) for
# file: sources, from make_cert.
file_pair() {
	make_cert admin p256
	make_cert client p256
	(umask 077 && cat "$T/admin.key" "$T/admin.crt" >"$T/admin.pem")
	(umask 077 && cat "$T/client.key" "$T/client.crt" "$T/admin.crt" \
		>"$T/client.pem")
}

# make_p12 NAME PASSWORD [EXTRA_CERT...]: $T/NAME.p12 with NAME's key and
# certificate and the extra certificates (the signers the bundle trusts).
make_p12() {
	name=$1
	pass=$2
	shift 2
	extra=""
	# openssl keeps only the last -certfile: one file with them all.
	if [ $# -gt 0 ]; then
		cat "$@" >"$T/$name.extra.pem"
		extra="-certfile $T/$name.extra.pem"
	fi
	# shellcheck disable=SC2086
	(umask 077 && openssl pkcs12 -export -inkey "$T/$name.key" \
		-in "$T/$name.crt" $extra -passout "pass:$pass" \
		-out "$T/$name.p12")
}

# split_p12 P12 PREFIX: an exported bundle (password export-pass) taken
# apart by openssl into PREFIX.key, PREFIX.crt and PREFIX-signer.crt (its
# CA certificates: the signers it trusts), for openssl cms.
split_p12() {
	openssl pkcs12 -in "$1" -passin pass:export-pass -nodes -nocerts \
		-out "$2.key" 2>/dev/null
	openssl pkcs12 -in "$1" -passin pass:export-pass -clcerts -nokeys \
		-out "$2.crt" 2>/dev/null
	openssl pkcs12 -in "$1" -passin pass:export-pass -cacerts -nokeys \
		-out "$2-signer.crt" 2>/dev/null
}

# admin_with_pair SEALED CONFIG: an admin (CERTSEAL_PROFILE set by the
# caller) with the embedded token, one EC pair exported to $T/p1.p12
# (password in $T/p12.pass) and activated, and CONFIG saved to SEALED.
# Sets P1 (the pair's ID) and S1 (a file: source for the exported pair).
admin_with_pair() {
	printf 'export-pass\n' >"$T/p12.pass"
	chmod 600 "$T/p12.pass"
	expect 0 "init" -- "$CERTSEAL_ADMIN" init --config "$1" --name app
	expect 0 "generate" -- "$CERTSEAL_ADMIN" pair generate \
		--algorithm ec-p256
	P1=$(cat "$T/out")
	# 10 000 PBKDF2 iterations, the least export allows: the scripts
	# open this bundle over and over, under ASan and valgrind too (the
	# default, 100 000, is checked by test-cli.sh).
	expect 0 "export" -- "$CERTSEAL_ADMIN" pair export "$P1" \
		-o "$T/p1.p12" --password-file "$T/p12.pass" --force \
		--iterations 10000
	expect 0 "activate" -- "$CERTSEAL_ADMIN" pair activate "$P1"
	expect 0 "save" -- "$CERTSEAL_ADMIN" save "$2"
	S1="file:$T/p1.p12?pin-source=$T/p12.pass"
}

finish() {
	echo "$(basename "$0"): $checks checks, $failures failed"
	[ "$failures" -eq 0 ]
}

# make_expired_cert NAME: $T/NAME.key and a certificate (with SKID) that
# expired on 1 January 2020, made with `openssl ca` (req has no dates).
make_expired_cert() {
	name=$1
	d="$T/ca-$name"
	mkdir -p "$d/db"
	: >"$d/db/index"
	echo 01 >"$d/db/serial"
	cat >"$d/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $d/db/index
new_certs_dir = $d/db
serial = $d/db/serial
default_md = sha256
policy = p
x509_extensions = e
[p]
commonName = supplied
[e]
subjectKeyIdentifier = hash
CNF
	(umask 077 && openssl req -new -newkey rsa:2048 -nodes \
		-subj "/CN=$name" -keyout "$T/$name.key" -out "$d/r.csr" \
		2>/dev/null) &&
	openssl ca -batch -config "$d/ca.cnf" -selfsign \
		-keyfile "$T/$name.key" -in "$d/r.csr" \
		-startdate 20190101000000Z -enddate 20200101000000Z \
		-out "$T/$name.crt" >/dev/null 2>&1
}
