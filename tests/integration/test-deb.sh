#!/bin/sh
# The Debian packages (issue 17), the way a user gets them: built with
# dpkg-buildpackage from a copy of the source tree (the files git knows,
# as in a clean checkout), checked with lintian (no errors), installed
# onto this machine with `apt-get install ./*.deb`, used from /usr/bin and
# /usr/sbin with the package's own store root and state directory (the
# admin's pair workflow, `certseal store import`, strict opens, a
# rollback refused, libcertseal from the -dev package), then removed and
# purged: nothing of ours may be left.
#
# Installing changes the machine, so this runs only as root and only
# where that is wanted: in CI (CI set, a throw-away machine) or with
# CERTSEAL_TEST_DEB=1; CERTSEAL_TEST_DEB=0 always skips (debian/rules sets
# it, so a package build never installs itself).  Whatever happens, the
# EXIT trap purges what this script installed.
. "${top_srcdir:-.}/tests/integration/lib.sh"

skip() {
	echo "SKIP: test-deb: $*"
	exit 77
}

case "${CERTSEAL_TEST_DEB:-}" in
0) skip "CERTSEAL_TEST_DEB=0" ;;
1) ;;
*) [ -n "${CI:-}" ] || skip "installs packages onto this machine: runs in" \
	"CI (CI set) or with CERTSEAL_TEST_DEB=1" ;;
esac
[ "$(id -u)" -eq 0 ] || skip "needs root to install the packages"
# The packages do not depend on the build under test: one run (the plain
# build's) is enough, the sanitizer build of CI skips.
if ldd "$CERTSEAL" 2>/dev/null | grep -q libasan; then
	skip "a sanitizer build; the plain build's run covers the packages"
fi
for tool in dpkg-buildpackage dh lintian apt-get dpkg-query git flock cc; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "$tool missing (contrib/install-deps installs it)"
done
[ -d "$top_srcdir/debian" ] || skip "no debian/ in $top_srcdir"
git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1 ||
	skip "$top_srcdir is not a git checkout"

PKGS="certseal libcertseal0 libcertseal-dev"
# One run at a time on a machine; apt's own lock is waited for as well.
exec 9>/run/lock/certseal-test-deb.lock
flock -w 300 9 || skip "another test-deb run holds /run/lock/certseal-test-deb.lock"
# Known to dpkg in any state but not-installed (also half-installed or
# only its configuration left).
known() {
	dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null |
		grep -q -v '^not-installed$'
}
for p in $PKGS; do
	if known "$p"; then
		skip "$p is already on this machine; this test would replace" \
			"and purge it (apt-get purge $PKGS)"
	fi
done
for d in /etc/certseal /var/lib/certseal; do
	[ ! -e "$d" ] || skip "$d exists (not from a package): purge would" \
		"delete it"
done

# The packages still known to dpkg (a removed library without conffiles
# is gone already, and apt-get purge refuses names it does not know).
ours() {
	for p in $PKGS; do
		known "$p" && printf '%s ' "$p"
	done
}
installed=0
purge_ours() {
	if [ "$installed" -eq 1 ] && [ -n "$(ours)" ]; then
		echo "test-deb: purging $(ours)"
		# shellcheck disable=SC2046
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
			-o DPkg::Lock::Timeout=120 $(ours) >"$T/purge-trap.log" 2>&1 ||
			dpkg --purge $(ours) >>"$T/purge-trap.log" 2>&1 ||
			echo "test-deb: purge failed: $(tail -3 "$T/purge-trap.log")" >&2
	fi
	installed=0
}
trap 'purge_ours; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

# The build must not see the jobserver of the `make check` around us nor
# the test environment of lib.sh.
unset MAKEFLAGS MFLAGS MAKELEVEL CERTSEAL_STORE_ROOT CERTSEAL_STATE_DIR \
	XDG_DATA_HOME 2>/dev/null || true
APT="apt-get -y -q -o DPkg::Lock::Timeout=120"
export DEBIAN_FRONTEND=noninteractive

# --- 1. build from the files a checkout has -------------------------------
start=$(date +%s)
mkdir -p "$T/src"
(cd "$top_srcdir" && git ls-files -co --exclude-standard -z |
	xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done' sh |
	tar -cf - -T -) | tar -xf - -C "$T/src"
if (cd "$T/src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" \
    DEB_BUILD_PROFILES=nocheck dpkg-buildpackage -us -uc -b) \
    >"$T/build.log" 2>&1; then
	ok
else
	fail "dpkg-buildpackage: $(tail -15 "$T/build.log")"
	exit 1
fi
echo "test-deb: built in $(( $(date +%s) - start )) s:" \
	"$(cd "$T" && ls ./*.deb | tr '\n' ' ')"
for p in $PKGS; do
	[ -f "$(echo "$T/${p}_"*.deb)" ] && ok || fail "no $p package"
done

# --- 2. lintian: no errors; the warnings are shown --------------------------
lintian --fail-on error --pedantic --info "$T"/*.changes >"$T/lintian" 2>&1
rc=$?
grep -v 'running with root privileges' "$T/lintian" | grep -E '^[EWIP]:' |
	sed 's/^/test-deb: lintian: /'
[ "$rc" -eq 0 ] && ok || fail "lintian reports errors (exit $rc)"
! grep -q '^E:' "$T/lintian" && ok || fail "lintian errors: $(grep '^E:' "$T/lintian")"

# The library exports the API and nothing else (libcertseal.sym).
mkdir -p "$T/lib"
dpkg-deb -x "$(echo "$T"/libcertseal0_*.deb)" "$T/lib"
nm -D --defined-only "$T"/lib/usr/lib/*/libcertseal.so.0 |
	awk '$2 ~ /^[TDBR]$/ { print $3 }' | sed 's/@.*//' >"$T/exports"
[ -s "$T/exports" ] && ! grep -v '^certseal_' "$T/exports" && ok ||
	fail "libcertseal.so.0 exports more than certseal_*"

# --- 3. install -------------------------------------------------------------
installed=1
if (cd "$T" && $APT install --no-install-recommends ./certseal_*.deb \
    ./libcertseal0_*.deb ./libcertseal-dev_*.deb) >"$T/install.log" 2>&1; then
	ok
else
	fail "apt-get install: $(tail -10 "$T/install.log")"
	exit 1
fi
for p in $PKGS; do
	dpkg -L "$p" >>"$T/files"
done
for f in /usr/bin/certseal /usr/sbin/certseal-admin \
    /usr/include/certseal/certseal.h \
    /usr/share/bash-completion/completions/certseal \
    /usr/share/doc/certseal/examples/open-config.c; do
	grep -qx "$f" "$T/files" && [ -e "$f" ] && ok || fail "$f not installed"
done
for d in /etc/certseal/stores /var/lib/certseal; do
	[ "$(stat -c '%a %U %G' "$d" 2>/dev/null)" = "700 root root" ] && ok ||
		fail "$d: $(stat -c '%a %U %G' "$d" 2>&1), expected 700 root root"
done
/usr/bin/certseal --version >"$T/version" 2>&1 &&
	grep -q "^certseal $(dpkg-query -W -f='${Version}' certseal)" "$T/version" &&
	ok || fail "certseal --version: $(cat "$T/version")"

# Manual pages, found by name and rendered without a warning.
for page in certseal certseal-admin certseal-sources certseal-format \
    libcertseal certseal_open_file certseal_ctx_new; do
	w=$(man -w "$page" 2>/dev/null)
	case "$w" in
	/usr/share/man/*) ok ;;
	*) fail "man -w $page: '$w'" ;;
	esac
	MANWIDTH=80 man --warnings "$page" >/dev/null 2>"$T/man.err"
	[ ! -s "$T/man.err" ] && ok ||
		fail "man --warnings $page: $(head -3 "$T/man.err")"
done

# --- 4. the admin's workflow and a client, all from the packages ------------
CERTSEAL=/usr/bin/certseal
CERTSEAL_ADMIN=/usr/sbin/certseal-admin
export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF
printf 'db.password = s3cr3t\nlisten = 8443\n' >"$T/app.conf"
# init (a SoftHSM2 token next to the profile), pair generate, pair export,
# activate, save.
admin_with_pair "$T/app.sealed" "$T/app.conf"
# The client: the exported pair into the package's machine store.
expect 0 "store import" -- "$CERTSEAL" store import "$T/p1.p12" \
	--password-file "$T/p12.pass"
n=$(find /etc/certseal/stores -type f | wc -l)
[ "$n" -ge 1 ] && ok || fail "store import wrote nothing under /etc/certseal/stores"
bad=$(find /etc/certseal/stores \( -type d ! -perm 0700 \) -o \
	\( -type f -perm /077 \) | head -3)
[ -z "$bad" ] && ok || fail "store entries readable by others: $bad"
expect 0 "store list" -- "$CERTSEAL" store list
# A strict open from the store (the default source) and the state
# directory (the default for root).
expect 0 "strict open from the store" -- "$CERTSEAL" \
	--accept-encrypted-data-only open "$T/app.sealed"
same_bytes "$T/out" "$T/app.conf" "strict open"
[ -n "$(find /var/lib/certseal -type f)" ] && ok ||
	fail "no anti-rollback state under /var/lib/certseal"
expect 5 "strict open of plaintext" -- "$CERTSEAL" \
	--accept-encrypted-data-only open "$T/app.conf"
expect_clean_failure "strict open of plaintext"
cp "$T/app.sealed" "$T/app-1.sealed"
printf 'db.password = n3w\n' >"$T/app2.conf"
expect 0 "save a second configuration" -- "$CERTSEAL_ADMIN" save "$T/app2.conf"
expect 0 "open the second" -- "$CERTSEAL" --accept-encrypted-data-only \
	open "$T/app.sealed"
same_bytes "$T/out" "$T/app2.conf" "second open"
expect 5 "the first file again is a rollback" -- "$CERTSEAL" \
	--accept-encrypted-data-only open "$T/app-1.sealed"
grep -q 'older' "$T/err" && ok || fail "rollback message: $(cat "$T/err")"

# The stdin wrapper of the example unit, where its README says to put it.
expect 0 "certseal-exec" -- env -u CERTSEAL /usr/libexec/certseal/certseal-exec \
	"$T/app.sealed" cat
same_bytes "$T/out" "$T/app2.conf" "certseal-exec"

# libcertseal-dev: the EXAMPLES program of libcertseal(3) and the shipped
# open-config.c, built with pkg-config against the installed files.
zcat /usr/share/man/man3/libcertseal.3.gz |
	sed -n '/^\.SH EXAMPLES/,/^\.SH/p' |
	awk '/^\.EE/ { exit } go { print } /^\.EX/ { go = 1 }' |
	sed -e 's/\\e/\\/g' -e "s/\\\\(aq/'/g" -e 's/\\-/-/g' >"$T/example.c"
grep -q 'certseal_open_file' "$T/example.c" && ok ||
	fail "no example in libcertseal(3)"
for prog in example /usr/share/doc/certseal/examples/open-config; do
	name=$(basename "$prog")
	src="$prog.c"
	[ "$name" = example ] && src="$T/example.c"
	# shellcheck disable=SC2046
	if cc -Wall -Werror -o "$T/$name" "$src" \
	    $(pkg-config --cflags --libs certseal) 2>"$T/cc.err"; then
		ok
	else
		fail "cc $src: $(head -5 "$T/cc.err")"
		continue
	fi
	ldd "$T/$name" | grep -q 'libcertseal\.so\.0 => /\(usr/\)\{0,1\}lib/' &&
		ok ||
		fail "$name is not linked with the installed libcertseal"
	expect 0 "$name opens from the store" -- env \
		CERTSEAL_STATE_DIR=/var/lib/certseal "$T/$name" "$T/app.sealed"
	same_bytes "$T/out" "$T/app2.conf" "$name"
	expect 5 "$name refuses the rollback" -- env \
		CERTSEAL_STATE_DIR=/var/lib/certseal "$T/$name" "$T/app-1.sealed"
done

# --- 5. remove keeps the store and the state; purge removes everything -----
# shellcheck disable=SC2086
$APT remove $PKGS >"$T/remove.log" 2>&1 && ok ||
	fail "apt-get remove: $(tail -5 "$T/remove.log")"
left=""
while read -r f; do
	[ "$f" = /. ] && continue
	# Directories such as /usr/bin belong to other packages too.
	if [ -e "$f" ] || [ -L "$f" ]; then
		dpkg -S "$f" >/dev/null 2>&1 || left="$left $f"
	fi
done <"$T/files"
[ -z "$left" ] && ok || fail "left after remove:$left"
[ -n "$(find /etc/certseal/stores -type f)" ] && ok ||
	fail "remove deleted the machine store"
[ -d /var/lib/certseal ] && ok || fail "remove deleted /var/lib/certseal"
# shellcheck disable=SC2046
$APT purge $(ours) >"$T/purge.log" 2>&1 && ok ||
	fail "apt-get purge: $(tail -5 "$T/purge.log")"
installed=0
for d in /etc/certseal /var/lib/certseal; do
	[ ! -e "$d" ] && ok || fail "$d left after purge: $(find "$d" | head -3)"
done
for p in $PKGS; do
	known "$p" && fail "$p still known to dpkg after purge" || ok
done
echo "test-deb: $(( $(date +%s) - start )) s in all"
finish
