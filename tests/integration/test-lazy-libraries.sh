#!/bin/sh
# libp11-kit is loaded only by a process that uses a pkcs11: source
# (pkcs11/p11-kit-dl.c): a file: or store: open maps neither it nor the
# libffi it needs, and a pkcs11: URI still parses and loads its module.
# Seen through glibc's LD_DEBUG=files, which names every object mapped.
. "${top_srcdir:-.}/tests/integration/lib.sh"

printf 'listen = 8443\n' >"$T/config"
file_pair
expect 0 "seal" -- "$CERTSEAL_ADMIN" seal --recipient "$T/client.crt" \
	--signer "file:$T/admin.pem" --name app --sequence 1 -o "$T/sealed" \
	"$T/config"

# mapped WHAT CMD...: the objects the dynamic linker mapped for CMD.
mapped() {
	what=$1
	shift
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld" "$@" >"$T/out" 2>"$T/err" \
	    </dev/null
	cat "$T"/ld.* >"$T/ld-$what" 2>/dev/null
	rm -f "$T"/ld.*
}

mapped file "$CERTSEAL" -s "file:$T/client.pem" \
	--accept-encrypted-data-only open "$T/sealed"
same_bytes "$T/out" "$T/config" "file: open"
grep -q 'file=.*libcrypto' "$T/ld-file" && ok ||
	fail "LD_DEBUG=files shows nothing: $(head -c 300 "$T/ld-file")"
grep -E 'file=[^ ]*(libp11-kit|libffi)' "$T/ld-file" >"$T/found" &&
	fail "a file: open maps p11-kit: $(cat "$T/found")" || ok

# A pkcs11: URI loads p11-kit on demand: parsed, and the module it names
# is looked for (a missing module is CERTSEAL_E_MODULE's exit, 7).
mapped p11 "$CERTSEAL" -s "pkcs11:token=none?module-path=$T/no-such.so" \
	open "$T/sealed"
grep -q "no-such.so" "$T/err" && ok ||
	fail "pkcs11: source not tried: $(cat "$T/err")"
grep -q 'file=[^ ]*libp11-kit' "$T/ld-p11" && ok ||
	fail "a pkcs11: source did not load p11-kit"
finish
