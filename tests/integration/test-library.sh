#!/bin/sh
# The library as an application uses it: `make install` into a temporary
# DESTDIR, contrib/examples/open-config.c built against the installed
# header and library through pkg-config, the exported symbols checked, and
# a configuration opened 1 000 times in one context on a SoftHSM2 token
# under pkcs11-spy: one C_Initialize, one C_Login, one C_Decrypt per open.
# Re-opening through a store: source reads the store once.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_softhsm

SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
# pkcs11-spy keeps a small allocation for the life of the process (the
# library never calls C_Finalize); LeakSanitizer builds must not count it.
printf 'leak:pkcs11-spy.so\n' >"$T/lsan.supp"
SPYLSAN="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp"
export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF
printf 'db.password = s3cr3t\nlisten = 8443\n' >"$T/app.conf"
printf 'export-pass\n' >"$T/p12.pass"
printf '4321\n' >"$T/client.pin"
chmod 600 "$T/p12.pass" "$T/client.pin"

# now_ms: wall clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# --- an admin, a pair, a sealed configuration, a client token -------------
expect 0 "init" -- "$CERTSEAL_ADMIN" init --config "$T/app.sealed" --name app
expect 0 "pair generate" -- "$CERTSEAL_ADMIN" pair generate --label lib
P=$(cat "$T/out")
expect 0 "export p12" -- "$CERTSEAL_ADMIN" pair export "$P" \
	-o "$T/client.p12" --password-file "$T/p12.pass"
CONF="$T/admin/token/softhsm2.conf"
SOFTHSM2_CONF="$CONF" softhsm2-util --init-token --free --label "lib client" \
	--pin 4321 --so-pin 87654321 >/dev/null || fail "client token init"
TOKEN_URI="pkcs11:token=lib%20client?module-path=$SOFTHSM_MODULE&pin-source=$T/client.pin"
expect 0 "export --to client token" -- "$CERTSEAL_ADMIN" pair export "$P" \
	--to "$TOKEN_URI"
expect 0 "activate" -- "$CERTSEAL_ADMIN" pair activate "$P"
expect 0 "save" -- "$CERTSEAL_ADMIN" save "$T/app.conf"

# --- make install, pkg-config --------------------------------------------
INST="$T/inst"
# A make of its own: not the jobserver of the `make check` that runs us.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" install \
	DESTDIR="$INST" >"$T/install.log" 2>&1 &&
	ok || fail "make install: $(tail -5 "$T/install.log")"
PC=$(find "$INST" -name certseal.pc | head -n 1)
HDR=$(find "$INST" -path '*/include/certseal/certseal.h' | head -n 1)
SO=$(find "$INST" -name 'libcertseal.so' | head -n 1)
[ -n "$PC" ] && ok || fail "certseal.pc not installed"
[ -n "$HDR" ] && ok || fail "certseal/certseal.h not installed"
[ -n "$SO" ] && ok || fail "libcertseal.so not installed"
if [ -z "$PC" ] || [ -z "$HDR" ] || [ -z "$SO" ]; then
	finish
	exit
fi
LIBDIR=$(dirname "$SO")
# DESTDIR keeps the configured prefix in the .pc file; the sysroot maps it.
PKG="env PKG_CONFIG_PATH=$(dirname "$PC") PKG_CONFIG_SYSROOT_DIR=$INST pkg-config"
[ "$($PKG --modversion certseal)" = "$("$CERTSEAL" --version | cut -d' ' -f2)" ] &&
	ok || fail "pkg-config version $($PKG --modversion certseal)"

# Only the public API leaves the shared library (A: the version node;
# names carry their version, certseal_x@@CERTSEAL_0).
nm -D --defined-only "$SO" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' \
	>"$T/syms"
grep -v '^certseal_' "$T/syms" >"$T/badsyms"
[ ! -s "$T/badsyms" ] && ok ||
	fail "libcertseal.so exports non-API symbols: $(head -5 "$T/badsyms" | tr '\n' ' ')"
for f in certseal_ctx_new certseal_ctx_add_source certseal_open_file \
    certseal_open_mem certseal_config_data certseal_config_free; do
	grep -qx "$f" "$T/syms" && ok || fail "$f not exported"
done
# Every public prototype is exported.
sed -n 's/^[a-z].*[ *]\(certseal_[a-z0-9_]*\)(.*/\1/p' "$HDR" | sort -u \
	>"$T/declared"
missing=$(sort -u "$T/syms" | comm -23 "$T/declared" -)
[ -z "$missing" ] && ok || fail "declared but not exported: $missing"

# --- build the example against the installed library ---------------------
EXAMPLE="$top_srcdir/contrib/examples/open-config.c"
xflags=""
# A sanitizer build's library needs its runtime in the program too.
if readelf -d "$SO" | grep -q 'libasan'; then
	xflags="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2086
${CC:-cc} -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
	$xflags -o "$T/open-config" "$EXAMPLE" \
	$($PKG --cflags --libs certseal) >"$T/cc.log" 2>&1 &&
	ok || fail "example does not build: $(head -5 "$T/cc.log")"
OC="env LD_LIBRARY_PATH=$LIBDIR $T/open-config"
# The program uses the installed library, not the build tree's.
$OC 2>/dev/null
LD_LIBRARY_PATH=$LIBDIR ldd "$T/open-config" | grep -q "$LIBDIR/libcertseal.so" &&
	ok || fail "example not linked to the installed library: $(ldd "$T/open-config" | grep certseal)"

# --- the example opens -----------------------------------------------------
expect 0 "store import" -- "$CERTSEAL" store import "$T/client.p12" \
	--password-file "$T/p12.pass"
expect 0 "example, default store" -- $OC "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "example output"
grep -q 'store:LocalMachine/My' "$T/err" && ok ||
	fail "example does not name the source: $(cat "$T/err")"
expect 0 "example -q -n 3" -- $OC -q -n 3 "$T/app.sealed"
[ "$(cat "$T/out")" = "$(wc -c <"$T/app.conf")" ] && ok ||
	fail "example -q printed '$(cat "$T/out")'"
expect 0 "example, env source" -- env \
	CERTSEAL_CERTIFICATE_SOURCE="store:CurrentUser/My $TOKEN_URI" \
	SOFTHSM2_CONF="$CONF" $OC "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "example env source"
expect 5 "example refuses plaintext" -- $OC "$T/app.conf"
[ ! -s "$T/out" ] && ok || fail "example printed plaintext it refused"
expect 2 "example, bad URI" -- $OC -s "nosuch:x" "$T/app.sealed"
expect 3 "example, empty store" -- $OC -s store:CurrentUser/My "$T/app.sealed"
[ ! -s "$T/out" ] && ok || fail "example printed on a failure"

# --- a re-open through store: touches the store once ------------------------
if command -v strace >/dev/null 2>&1; then
	for n in 1 20; do
		strace -f -e trace=open,openat -o "$T/strace.$n" \
			env LD_LIBRARY_PATH="$LIBDIR" "$T/open-config" -q -n $n \
			"$T/app.sealed" >/dev/null 2>&1
		# The store directory and its entries (named by key id).
		grep -Ec "$CERTSEAL_STORE_ROOT|\"[0-9a-f]{40,}\.(pem|json)\"" \
			"$T/strace.$n" >"$T/opens.$n"
	done
	[ "$(cat "$T/opens.1")" -gt 0 ] &&
		[ "$(cat "$T/opens.1")" = "$(cat "$T/opens.20")" ] && ok ||
		fail "store opened $(cat "$T/opens.1") times for 1 open, $(cat "$T/opens.20") for 20"
	[ "$(grep -c 'app.sealed' "$T/strace.20")" -ge 20 ] && ok ||
		fail "20 opens read the file fewer than 20 times"
else
	echo "strace not installed: store re-read check skipped"
fi

# --- 1 000 opens in one context on a token, under pkcs11-spy ---------------
SPY_URI="pkcs11:token=lib%20client?module-path=$SPY&pin-source=$T/client.pin"
N=1000
if [ -r "$SPY" ]; then
	expect 0 "1000 opens under pkcs11-spy" -- env SOFTHSM2_CONF="$CONF" \
		LSAN_OPTIONS="$SPYLSAN" PKCS11SPY="$SOFTHSM_MODULE" \
		PKCS11SPY_OUTPUT="$T/spy.log" $OC -q -n $N -s "$SPY_URI" "$T/app.sealed"
	calls() {
		grep -c "^[0-9]*: $1\$" "$T/spy.log"
	}
	[ "$(calls C_Initialize)" -eq 1 ] && ok ||
		fail "C_Initialize called $(calls C_Initialize) times"
	[ "$(calls C_Login)" -eq 1 ] && ok ||
		fail "C_Login called $(calls C_Login) times"
	[ "$(calls C_OpenSession)" -eq 1 ] && ok ||
		fail "C_OpenSession called $(calls C_OpenSession) times"
	[ "$(calls C_Decrypt)" -eq $N ] && ok ||
		fail "C_Decrypt called $(calls C_Decrypt) times for $N opens"
	# The key is looked up once, not once per open.
	[ "$(calls C_FindObjectsInit)" -lt 10 ] && ok ||
		fail "C_FindObjectsInit called $(calls C_FindObjectsInit) times"
	grep "^[0-9]*: C_" "$T/spy.log" | awk '{ print $2 }' | sort |
		uniq -c | sort -rn | sed 's/^/  spy: /'
else
	fail "$SPY missing (OpenSC): the one-login check cannot run"
fi

# --- timing (a note, not a limit) -----------------------------------------
cpu() {
	# user+sys seconds of a command, when GNU time is there.
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S' -o "$T/time" "$@" >/dev/null 2>&1
		awk '{ printf "%.2f", $1 + $2 }' "$T/time"
	else
		"$@" >/dev/null 2>&1
		echo "?"
	fi
}
t0=$(now_ms)
c1=$(cpu env SOFTHSM2_CONF="$CONF" LD_LIBRARY_PATH="$LIBDIR" \
	"$T/open-config" -q -n 1 -s "$TOKEN_URI" "$T/app.sealed")
t1=$(now_ms)
cN=$(cpu env SOFTHSM2_CONF="$CONF" LD_LIBRARY_PATH="$LIBDIR" \
	"$T/open-config" -q -n $N -s "$TOKEN_URI" "$T/app.sealed")
t2=$(now_ms)
echo "timing: 1 open in a new process $((t1 - t0)) ms (cpu ${c1} s);" \
	"$N opens in one context $((t2 - t1)) ms (cpu ${cN} s)," \
	"about $(((t2 - t1 - (t1 - t0)) * 1000 / (N - 1))) us wall and" \
	"$(echo "$c1 $cN $N" | awk '$1 != "?" { printf "%d", ($2 - $1) * 1e6 / ($3 - 1) }') us cpu per re-open"

finish
