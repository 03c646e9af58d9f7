# spy-lib.sh - reading OpenSC's pkcs11-spy logs, for the token tests:
# what certseal really asked of a module, as a tool it did not write saw it.
# Sourced after lib.sh; spy_run needs M, the real module the spy wraps.

# calls LOG FUNCTION: how often the spy saw FUNCTION called.
calls() {
	grep -cE "^[0-9]+: $2 *\$" "$1"
}

# decrypt_mechs LOG: the mechanism, hash and result of each C_DecryptInit.
decrypt_mechs() {
	awk '/^[0-9]+: C_/ { fn = $2 }
	fn == "C_DecryptInit" && /pMechanism->type/ { m = $4 }
	fn == "C_DecryptInit" && /pMechanism->pParameter->hashAlg/ { h = $4 }
	fn == "C_DecryptInit" && /^Returned:/ {
		print m, h, $3; m = ""; h = ""
	}' "$1"
}

# spy_run LOG COMMAND...: COMMAND with the spy in front of $M, its log in
# LOG, stdout and stderr in $T/out and $T/err.
spy_run() {
	log=$1
	shift
	rm -f "$log"
	PKCS11SPY="$M" PKCS11SPY_OUTPUT="$log" "$@" >"$T/out" 2>"$T/err" \
		</dev/null
}
