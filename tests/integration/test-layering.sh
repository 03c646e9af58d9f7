#!/bin/sh
# The tree's arrows point downward only: tools -> library (src/lib) ->
# sources -> token layer (pkcs11/) -> base (src/base).  The token layer
# includes nothing of the library, the base nothing of either: checked on
# the quoted #include lines of the sources.
. "${top_srcdir:-.}/tests/integration/lib.sh"

# check DIR ALLOWED...: every quoted include in DIR/*.[ch] is allowed.
check() {
	dir=$1
	shift
	for f in "$top_srcdir/$dir"/*.[ch]; do
		grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		sed -E 's/.*"([^"]+)".*/\1/' | while read -r inc; do
			found=0
			for a in "$@"; do
				[ "$inc" = "$a" ] && found=1
			done
			[ $found -eq 1 ] || echo "$dir/$(basename "$f"): $inc"
		done
	done
}

base_headers=$(cd "$top_srcdir/src/base" && ls ./*.h | sed 's|^\./||')
# shellcheck disable=SC2086
bad=$(check pkcs11 config.h p11.h p11-int.h p11-kit-dl.h $base_headers)
[ -z "$bad" ] && ok || fail "token layer includes from above it: $bad"
# shellcheck disable=SC2086
bad=$(check src/base config.h certseal/certseal.h $base_headers)
[ -z "$bad" ] && ok || fail "base includes from above it: $bad"
# The base's header names no library type.
grep -nE 'struct (cs_source|cs_key|certseal_config)|internal\.h' \
	"$top_srcdir/src/base/base.h" | grep -v '^[0-9]*: \*' >"$T/names"
[ -s "$T/names" ] && fail "base.h names library types: $(cat "$T/names")" || ok
finish
