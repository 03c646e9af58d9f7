#!/bin/sh
# The manual pages (issue 17): every function of the installed header
# <certseal/certseal.h> is named in libcertseal(3), has its .so name in
# docs/local.mk (so that `man certseal_open_file` finds the page) and a
# prototype in its SYNOPSIS; nothing is named that the header does not
# declare; `make install` installs the page and the names; and every page
# in docs/man renders with groff's warnings on without one.
. "${top_srcdir:-.}/tests/integration/lib.sh"

if ! command -v groff >/dev/null 2>&1; then
	echo "SKIP: test-man3: groff missing (contrib/install-deps installs groff-base)"
	exit 77
fi
H="$top_srcdir/src/include/certseal/certseal.h"
P="$top_srcdir/docs/man/libcertseal.3"

# Functions the header declares: "type name(" at the start of a line,
# the name possibly after a '*'.
sed -n 's/^[a-z].*[ *]\(certseal_[a-z_]*\)(.*/\1/p' "$H" | sort -u >"$T/header"
[ "$(wc -l <"$T/header")" -ge 20 ] && ok ||
	fail "found only $(wc -l <"$T/header") functions in certseal.h"
# Names in NAME (up to the "\-" line).
sed -n '/^\.SH NAME/,/^\\-/p' "$P" | tr ', ' '\n\n' |
	grep '^certseal_' | sort -u >"$T/name"
# The .so names make install writes.
sed -n '/^LIBCERTSEAL_MAN3_LINKS/,/^[^	]/p' "$top_srcdir/docs/local.mk" |
	tr ' \t\\' '\n\n\n' | grep '^certseal_' | sort -u >"$T/links"
# Prototypes in SYNOPSIS.
sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$P" |
	sed -n 's/.*[ *]\(certseal_[a-z_]*\)(.*/\1/p' | sort -u >"$T/synopsis"
for list in name links synopsis; do
	if cmp -s "$T/header" "$T/$list"; then
		ok
	else
		fail "libcertseal(3) $list and certseal.h differ: $(diff "$T/header" "$T/$list" | grep '^[<>]' | tr '\n' ' ')"
	fi
done

# make install: the page and one .so name per function.
if make -C "$top_builddir" install-man install-man3-links \
    DESTDIR="$T/inst" >"$T/install.log" 2>&1; then
	ok
	man3=$(find "$T/inst" -type d -name man3)
	[ -f "$man3/libcertseal.3" ] && ok || fail "make install: no libcertseal.3"
	for f in $(cat "$T/header"); do
		grep -qx '\.so man3/libcertseal\.3' "$man3/$f.3" 2>/dev/null ||
			{ fail "make install: no $f.3"; break; }
	done
	ok
	# The names resolve through man itself.
	if command -v man >/dev/null 2>&1; then
		MANPATH="${man3%/man3}" MANWIDTH=80 man --warnings \
			certseal_open_file >"$T/man.out" 2>"$T/man.err"
		grep -q 'certseal_ctx_new' "$T/man.out" && [ ! -s "$T/man.err" ] &&
			ok || fail "man certseal_open_file: $(head -3 "$T/man.err")"
	fi
else
	fail "make install-man: $(tail -5 "$T/install.log")"
fi

# Every page renders without a warning.
for page in "$top_srcdir"/docs/man/*.[1-8]; do
	groff -ww -z -man "$page" >"$T/groff" 2>&1
	[ ! -s "$T/groff" ] && ok ||
		fail "groff -ww $(basename "$page"): $(head -3 "$T/groff")"
done
finish
