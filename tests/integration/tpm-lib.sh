# tpm-lib.sh - throw-away tokens that are not SoftHSM, for the integration
# scripts: a software TPM 2.0 behind tpm2-pkcs11, and an NSS softokn
# database.  Source it after lib.sh (which makes $T); then:
#
#   cs_tpm_require              # exit 77, loudly, when a tool is missing
#   cs_tpm_setup                # swtpm + private dbus + tpm2-abrmd in $T/tpm
#   cs_tpm_token LABEL PIN [SOPIN]
#   cs_nss_require / cs_nss_setup PASSWORD   # certutil -N db, p11-kit config
#   cs_tokens_cleanup           # stops everything (also run by the trap)
#
# Everything lives under $T: swtpm listens on two free loopback ports,
# dbus-daemon on a unix socket in $T/tpm, tpm2-abrmd on that private
# session bus, tpm2-pkcs11 keeps its store in $T/tpm/store.  The trap set
# here stops the three daemons on every exit path and removes $T.
#
# Exports TPM_MODULE, TPM2_PKCS11_TCTI, TPM2_PKCS11_STORE,
# DBUS_SESSION_BUS_ADDRESS; NSS_MODULE, NSS_DIR, NSS_PARAMS and
# P11_KIT_CONFIG_DIR-free module config in $NSS_P11KIT (see below).

TPM_MODULE="${TPM_MODULE:-/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so}"
NSS_MODULE="${NSS_MODULE:-/usr/lib/x86_64-linux-gnu/libsoftokn3.so}"
CS_TPM_PIDS=""

cs_tokens_cleanup() {
	for p in $CS_TPM_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $CS_TPM_PIDS; do
		# Reap, at most ~2 s each; then no mercy.
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	CS_TPM_PIDS=""
}
trap 'cs_tokens_cleanup; rm -rf "$T"' EXIT
trap 'exit 99' INT TERM HUP

# cs_skip WHAT: the loud skip that automake counts as SKIP, never PASS.
cs_skip() {
	echo "SKIP: $* -- $(basename "$0") NOT RUN (install with contrib/install-deps)" >&2
	echo "SKIP: $*"
	exit 77
}

cs_tpm_require() {
	for tool in swtpm tpm2-abrmd dbus-daemon pkcs11-tool openssl python3; do
		command -v "$tool" >/dev/null 2>&1 ||
			cs_skip "$tool not installed"
	done
	[ -r "$TPM_MODULE" ] || cs_skip "tpm2-pkcs11 module $TPM_MODULE missing"
	for lib in libtss2-tcti-swtpm.so.0 libtss2-tcti-tabrmd.so.0; do
		ls /usr/lib/x86_64-linux-gnu/$lib >/dev/null 2>&1 ||
			cs_skip "$lib missing"
	done
}

# Two consecutive loopback ports nobody listens on (the swtpm TCTI takes
# the control channel at port + 1).  A race with another process is caught
# by swtpm failing to bind, and retried.
cs_free_ports() {
	python3 -c '
import random, socket
for _ in range(200):
    p = random.randrange(20000, 60000, 2)
    s = [socket.socket() for _ in range(2)]
    try:
        s[0].bind(("127.0.0.1", p)); s[1].bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    finally:
        for x in s: x.close()
    print(p, p + 1)
    break'
}

# cs_wait_for TRIES CMD...: polls CMD every 0.1 s.
cs_wait_for() {
	tries=$1
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

cs_tpm_setup() {
	d="$T/tpm"
	mkdir -p "$d/st" "$d/store" || return 1
	attempt=0
	while :; do
		attempt=$((attempt + 1))
		set -- $(cs_free_ports)
		CS_TPM_PORT=$1
		CS_TPM_CTRL=$2
		swtpm socket --tpm2 --tpmstate dir="$d/st" \
			--server type=tcp,port="$CS_TPM_PORT",bindaddr=127.0.0.1 \
			--ctrl type=tcp,port="$CS_TPM_CTRL",bindaddr=127.0.0.1 \
			--flags not-need-init,startup-clear \
			>"$d/swtpm.log" 2>&1 &
		pid=$!
		sleep 0.2
		if kill -0 "$pid" 2>/dev/null; then
			CS_TPM_PIDS="$CS_TPM_PIDS $pid"
			break
		fi
		[ $attempt -lt 5 ] || {
			echo "swtpm does not start: $(cat "$d/swtpm.log")" >&2
			return 1
		}
	done
	dbus-daemon --session --nofork --nopidfile \
		--address="unix:path=$d/bus" >"$d/dbus.log" 2>&1 &
	CS_TPM_PIDS="$CS_TPM_PIDS $!"
	cs_wait_for 50 test -S "$d/bus" || {
		echo "dbus-daemon does not start: $(cat "$d/dbus.log")" >&2
		return 1
	}
	DBUS_SESSION_BUS_ADDRESS="unix:path=$d/bus"
	export DBUS_SESSION_BUS_ADDRESS
	# --allow-root: CI runs as root; harmless otherwise.
	tpm2-abrmd --session --allow-root \
		--tcti="swtpm:host=127.0.0.1,port=$CS_TPM_PORT" --flush-all \
		>"$d/abrmd.log" 2>&1 &
	CS_TPM_PIDS="$CS_TPM_PIDS $!"
	TPM2_PKCS11_TCTI="tabrmd:bus_type=session"
	TPM2_PKCS11_STORE="$d/store"
	TPM2_PKCS11_LOG_LEVEL=0
	export TPM2_PKCS11_TCTI TPM2_PKCS11_STORE TPM2_PKCS11_LOG_LEVEL
	# abrmd is ready once it owns its bus name: the module lists a slot.
	cs_wait_for 100 sh -c "pkcs11-tool --module '$TPM_MODULE' -L | grep -q 'Slot 0'" || {
		echo "tpm2-abrmd not ready: $(cat "$d/abrmd.log")" >&2
		return 1
	}
}

# cs_tpm_token LABEL PIN [SOPIN]: C_InitToken + C_InitPIN, pkcs11-tool only.
cs_tpm_token() {
	sopin=${3:-12345678}
	pkcs11-tool --module "$TPM_MODULE" --init-token --label "$1" \
		--so-pin "$sopin" --slot-index 0 >"$T/tpm/init.log" 2>&1 &&
	pkcs11-tool --module "$TPM_MODULE" --token-label "$1" --login \
		--login-type so --so-pin "$sopin" --init-pin --pin "$2" \
		>>"$T/tpm/init.log" 2>&1 || {
		echo "tpm token init failed: $(cat "$T/tpm/init.log")" >&2
		return 1
	}
}

# --- NSS softokn ----------------------------------------------------------

cs_nss_require() {
	for tool in certutil openssl python3; do
		command -v "$tool" >/dev/null 2>&1 ||
			cs_skip "$tool not installed (libnss3-tools)"
	done
	[ -r "$NSS_MODULE" ] || cs_skip "NSS softokn $NSS_MODULE missing"
}

# cs_pct STRING: STRING percent-encoded for a pkcs11: URI attribute value.
cs_pct() {
	python3 -c 'import sys, urllib.parse
print(urllib.parse.quote(sys.argv[1], safe="/"))' "$1"
}

# cs_nss_setup PASSWORD: an NSS database in $T/nss (certutil -N) with
# PASSWORD; sets NSS_DIR, NSS_PARAMS (softokn's C_Initialize arguments)
# and NSS_QUERY (the URI query part naming the module with them).
cs_nss_setup() {
	NSS_DIR="$T/nss"
	mkdir -p "$NSS_DIR" || return 1
	printf '%s\n' "$1" >"$T/nss.pw"
	chmod 600 "$T/nss.pw"
	certutil -N -d "sql:$NSS_DIR" -f "$T/nss.pw" >"$T/nss.log" 2>&1 || {
		echo "certutil -N: $(cat "$T/nss.log")" >&2
		return 1
	}
	head -c 64 /dev/urandom >"$T/nss.noise"
	NSS_PARAMS="configdir='sql:$NSS_DIR' certPrefix='' keyPrefix='' secmod='secmod.db' flags="
	NSS_QUERY="module-path=$NSS_MODULE&x-init-reserved=$(cs_pct "$NSS_PARAMS")"
	export NSS_DIR NSS_PARAMS NSS_QUERY
}

# cs_nss_keygen NICK KEYARGS...: a key pair generated inside the NSS
# database by certutil (NSS's own tool: softokn is the token) and its
# request in $T/NICK.csr (DER).
cs_nss_keygen() {
	nick=$1
	shift
	certutil -R -d "sql:$NSS_DIR" -f "$T/nss.pw" -z "$T/nss.noise" \
		-s "CN=$nick" "$@" -o "$T/$nick.csr" >"$T/nss.log" 2>&1 || {
		echo "certutil -R $nick: $(cat "$T/nss.log")" >&2
		return 1
	}
}

# cs_nss_add_cert NICK CERT.der: a certificate into the database (next
# to its key when the database holds it).
cs_nss_add_cert() {
	certutil -A -d "sql:$NSS_DIR" -f "$T/nss.pw" -n "$1" -t ",," \
		-i "$2" >"$T/nss.log" 2>&1 || {
		echo "certutil -A $1: $(cat "$T/nss.log")" >&2
		return 1
	}
}
