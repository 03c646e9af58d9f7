#!/bin/sh
# A second local user against root-run certseal (issue 19.1, 19.4).
#
# The shipped systemd unit ran `certseal open -o /run/app/app.conf` as
# root and then `chown app:app` on that path: the service user owns
# /run/app and could swap the file for a symlink between the two commands
# and take any file on the machine.  certseal now sets owner and mode on
# the new file (--owner/--mode, fchown/fchmod before the rename), opens
# the output directory once without following a symlink, and refuses a
# directory that belongs to another user.  Here a throw-away user races
# symlink swaps of the file and of the directory while root runs the
# unit's own ExecStartPre line, and plants a symlink at a reports path.
. "${top_srcdir:-.}/tests/integration/lib.sh"
UNIT="$top_srcdir/contrib/systemd/app-with-certseal.service"

if [ "$(id -u)" -ne 0 ]; then
	echo "$(basename "$0"): SKIP: needs root (to create a throw-away" \
		"user with useradd and run certseal as root against it)" >&2
	exit 77
fi
for tool in useradd userdel setpriv; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$(basename "$0"): SKIP: $tool is missing" >&2
		exit 77
	fi
done

U="csrace$$"
W=$(mktemp -d "${TMPDIR:-/tmp}/cs-2u-XXXXXX")
chmod 755 "$W"
RACER=""
cleanup() {
	[ -n "$RACER" ] && kill "$RACER" 2>/dev/null && wait "$RACER" 2>/dev/null
	userdel "$U" 2>/dev/null
	rm -rf "$T" "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
if ! useradd --system --no-create-home --user-group \
	--shell /usr/sbin/nologin "$U"; then
	echo "$(basename "$0"): SKIP: useradd $U failed" >&2
	exit 77
fi
UID2=$(id -u "$U")
GID2=$(id -g "$U")
# as_user COMMAND...: runs COMMAND as the throw-away user.
as_user() {
	setpriv --reuid="$UID2" --regid="$GID2" --clear-groups -- "$@"
}

# A sealed configuration and a client source for it, as a real admin
# makes them (embedded SoftHSM2 token, exported pair).
unset SOFTHSM2_CONF
export CERTSEAL_PROFILE="$T/admin/profile.json"
mkdir -p "$T/admin"
printf 'listen = 8443\nsecret = 42\n' >"$T/app.plain"
admin_with_pair "$T/app.sealed" "$T/app.plain"
export CERTSEAL_CERTIFICATE_SOURCE="$S1"
export CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY=1

# What a symlink must never reach: a root file and a root directory.
V="$W/victim"
mkdir "$V"
printf 'root data\n' >"$V/victim"
chmod 644 "$V/victim"
victim_intact() {
	[ "$(stat -c '%u:%g %a' "$V/victim")" = "0:0 644" ] &&
		[ "$(cat "$V/victim")" = "root data" ] && ok ||
		fail "$1: the victim changed: $(stat -c '%u:%g %a' "$V/victim")"
	n=$(ls -A "$V" | wc -l)
	[ "$n" -eq 1 ] && ok || fail "$1: written into the victim directory: $(ls -A "$V")"
}

# --- the shipped unit -------------------------------------------------
# No path-based chown/chmod after root's write, no StateDirectory= the
# service user could empty (it would now be refused, too).
if grep -Eq '^Exec[A-Za-z]*=.*(chown|chmod)' "$UNIT"; then
	fail "the unit still changes ownership by path: $(grep -E '^Exec.*(chown|chmod)' "$UNIT")"
else
	ok
fi
grep -q '^StateDirectory=' "$UNIT" && fail "the unit keeps state in a StateDirectory" || ok
grep '^ExecStartPre=+' "$UNIT" >"$T/pre"
[ "$(wc -l <"$T/pre")" -eq 1 ] && ok || fail "the unit's ExecStartPre: $(cat "$T/pre")"
# The unit's line, for this machine: %t, the user, the files.
RUN="$W/run"
mkdir -p "$RUN"
sed -e 's/^ExecStartPre=+//' -e "s|%t|$RUN|g" -e "s|app:app|$U:$U|g" \
	-e "s|/etc/app/app.sealed|$T/app.sealed|" \
	-e "s|^/usr/bin/certseal|$CERTSEAL|" "$T/pre" >"$T/pre.cmd"
# systemd's RuntimeDirectory=app: the service user's, 0700.
R="$RUN/app"
install -d -o "$U" -g "$U" -m 0700 "$R"
unit_open() {
	# shellcheck disable=SC2046
	$(cat "$T/pre.cmd")
}
expect 0 "the unit's ExecStartPre" -- unit_open
[ "$(stat -c '%F %u:%g %a' "$R/app.conf")" = "regular file $UID2:$GID2 400" ] &&
	ok || fail "unit: app.conf is $(stat -c '%F %u:%g %a' "$R/app.conf")"
same_bytes "$R/app.conf" "$T/app.plain" "unit: app.conf"

# The old unit's way (root writes, then chown by path) fails closed now:
# without --owner, a directory the service user owns is refused.
rm -f "$R/app.conf"
expect 1 "root -o into the user's directory without --owner" -- \
	"$CERTSEAL" open "$T/app.sealed" -o "$R/app.conf"
expect_clean_failure "root -o into the user's directory without --owner"
grep -q "belongs to uid $UID2 ($U)" "$T/err" && ok || fail "no owner named: $(cat "$T/err")"
[ -e "$R/app.conf" ] && fail "a file was written anyway" || ok

# --- the user swaps the file for symlinks while root writes ------------
# shellcheck disable=SC2016
as_user sh -c 'end=$(($(date +%s) + 3)); while [ "$(date +%s)" -lt "$end" ]; do
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ln -sfn "$1/victim" "$2/app.conf"; ln -sfn "$1/planted" "$2/app.conf"
		rm -f "$2/app.conf"; ln -sfn "$1" "$2/app.conf"; rm -f "$2/app.conf"
	done
done' racer "$V" "$R" 2>/dev/null &
RACER=$!
runs=0
good=0
: >"$T/race-errors"
while kill -0 "$RACER" 2>/dev/null && [ $runs -lt 40 ]; do
	runs=$((runs + 1))
	if unit_open >/dev/null 2>"$T/err"; then
		good=$((good + 1))
	else
		cat "$T/err" >>"$T/race-errors"
	fi
done
wait "$RACER" 2>/dev/null
RACER=""
echo "$(basename "$0"): $runs opens raced by symlink swaps, $good succeeded"
[ $runs -ge 5 ] && ok || fail "only $runs opens while the user raced"
# A symlink found at the name is refused (never followed, never
# replaced); nothing else may go wrong.
if grep -v "app.conf: a symbolic link; refusing" "$T/race-errors" | grep -q .; then
	fail "an open failed otherwise: $(grep -v 'a symbolic link' "$T/race-errors" | head -n 2)"
else
	ok
fi
victim_intact "file swaps"
as_user rm -f "$R/app.conf"
expect 0 "open after the race" -- unit_open
[ "$(stat -c '%F %u:%g %a' "$R/app.conf")" = "regular file $UID2:$GID2 400" ] &&
	ok || fail "after the race: $(stat -c '%F %u:%g %a' "$R/app.conf")"
as_user ln -sfn "$V/victim" "$R/app.conf"
expect 1 "a symlink at the output" -- unit_open
expect_clean_failure "a symlink at the output"
victim_intact "a symlink at the output"

# --- a shared sticky directory (as /tmp): the user swaps the directory --
S="$W/shared"
mkdir "$S"
chmod 1777 "$S"
# shellcheck disable=SC2016
as_user sh -c 'end=$(($(date +%s) + 3)); while [ "$(date +%s)" -lt "$end" ]; do
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rm -rf "$2/run"; ln -s "$1" "$2/run"; rm -f "$2/run"; mkdir "$2/run"
	done
done' racer "$V" "$S" 2>/dev/null &
RACER=$!
runs=0
while kill -0 "$RACER" 2>/dev/null && [ $runs -lt 40 ]; do
	runs=$((runs + 1))
	"$CERTSEAL" open "$T/app.sealed" -o "$S/run/app.conf" \
		--owner "$U" --mode 0640 >/dev/null 2>&1
	"$CERTSEAL" open "$T/app.sealed" -o "$S/run/app.conf" \
		>/dev/null 2>&1
	"$CERTSEAL" report --out "$S/run" --host h0 >/dev/null 2>&1
done
wait "$RACER" 2>/dev/null
RACER=""
echo "$(basename "$0"): $runs directory-swap rounds"
victim_intact "directory swaps"
# The user's symlink there, as the final directory or on the way.  (The
# report may have made run as root when the user had just removed it.)
rm -rf "$S/run"
as_user ln -s "$V" "$S/run"
expect 1 "-o through the user's symlink" -- "$CERTSEAL" open \
	"$T/app.sealed" -o "$S/run/app.conf" --owner "$U"
expect_clean_failure "-o through the user's symlink"
grep -q "symbolic link\|belongs to uid $UID2" "$T/err" && ok ||
	fail "symlink not refused: $(cat "$T/err")"
as_user ln -s "$W" "$S/up"
expect 1 "-o through the user's symlink on the way" -- "$CERTSEAL" open \
	"$T/app.sealed" -o "$S/up/victim/app.conf"
expect_clean_failure "-o through the user's symlink on the way"
grep -q "$S/up is a symbolic link owned by uid $UID2 ($U) in a directory others can write: refused" \
	"$T/err" && ok || fail "intermediate symlink: $(cat "$T/err")"
victim_intact "symlinks in a shared directory"
# Root's own symlink on the way is followed; as the directory, refused.
ln -s "$W" "$W/alias"
mkdir "$W/real"
expect 0 "-o through root's symlink on the way" -- "$CERTSEAL" open \
	"$T/app.sealed" -o "$W/alias/real/app.conf"
same_bytes "$W/real/app.conf" "$T/app.plain" "-o through root's symlink"
expect 1 "-o into root's symlink" -- "$CERTSEAL" open \
	"$T/app.sealed" -o "$W/alias/app.conf"
grep -q "the directory is a symbolic link" "$T/err" && ok ||
	fail "final symlink: $(cat "$T/err")"

# --- reports (19.4) ------------------------------------------------------
as_user ln -s "$V" "$S/reports"
expect 1 "report --out a planted symlink" -- "$CERTSEAL" report \
	--out "$S/reports" --host h1
expect_clean_failure "report --out a planted symlink"
grep -q "reports.*belongs to uid $UID2\|symbolic link" "$T/err" && ok ||
	fail "report symlink: $(cat "$T/err")"
victim_intact "report into a symlink"
P="$W/parent"
install -d -o "$U" -g "$U" -m 0755 "$P"
as_user ln -s "$V" "$P/reports"
expect 1 "report --out a symlink in the user's directory" -- \
	"$CERTSEAL" report --out "$P/reports" --host h1
expect_clean_failure "report --out a symlink in the user's directory"
victim_intact "report into the user's symlink"
as_user rm -f "$P/reports"
as_user mkdir "$P/reports"
expect 1 "report --out the user's directory" -- "$CERTSEAL" report \
	--out "$P/reports" --host h1
expect_clean_failure "report --out the user's directory"
grep -q "belongs to uid $UID2 ($U)" "$T/err" && ok || fail "report owner: $(cat "$T/err")"
[ -z "$(ls -A "$P/reports")" ] && ok || fail "report written into the user's directory"
# The user's own report into the user's own directory is fine.
expect 0 "the user's report" -- as_user env -u CERTSEAL_CERTIFICATE_SOURCE \
	"$CERTSEAL" report --out "$P/reports" --host h2
[ "$(stat -c '%u %a' "$P/reports/h2.json")" = "$UID2 644" ] && ok ||
	fail "user's report: $(stat -c '%u %a' "$P/reports/h2.json")"
# And root's into root's.
expect 0 "root's report" -- "$CERTSEAL" report --out "$W/reports" --host h3
[ "$(stat -c '%u %a' "$W/reports/h3.json")" = "0 644" ] && ok ||
	fail "root's report: $(stat -c '%u %a' "$W/reports/h3.json")"

# --- --owner and --mode on their own ----------------------------------
expect 0 "--owner USER alone: the login group" -- "$CERTSEAL" open \
	"$T/app.sealed" -o "$W/o1" --owner "$U"
[ "$(stat -c '%u:%g %a' "$W/o1")" = "$UID2:$GID2 600" ] && ok ||
	fail "--owner USER: $(stat -c '%u:%g %a' "$W/o1")"
expect 0 "--owner UID:GID, --mode 0640" -- "$CERTSEAL" open \
	"$T/app.sealed" -o "$W/o2" --owner "$UID2:0" --mode 0640
[ "$(stat -c '%u:%g %a' "$W/o2")" = "$UID2:0 640" ] && ok ||
	fail "--owner UID:GID: $(stat -c '%u:%g %a' "$W/o2")"
expect 2 "--owner unknown" -- "$CERTSEAL" open "$T/app.sealed" -o "$W/o3" \
	--owner no-such-user-cs
expect_clean_failure "--owner unknown"
expect 2 "--mode 4755" -- "$CERTSEAL" open "$T/app.sealed" -o "$W/o3" \
	--mode 4755
expect_clean_failure "--mode 4755"
expect 2 "--owner without -o" -- "$CERTSEAL" open "$T/app.sealed" --owner "$U"
expect_clean_failure "--owner without -o"
[ -e "$W/o3" ] && fail "a refused open wrote o3" || ok
# Not root: giving a file away is refused, nothing is left behind.
install -d -o "$U" -g "$U" -m 0700 "$W/udir"
cp "$T/app.plain" "$W/udir/plain"
chown "$U" "$W/udir/plain"
expect 1 "a user gives a file to root" -- as_user env \
	-u CERTSEAL_CERTIFICATE_SOURCE CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY=0 \
	"$CERTSEAL" open "$W/udir/plain" -o "$W/udir/out" --owner root
expect_clean_failure "a user gives a file to root"
[ -z "$(ls -A "$W/udir" | grep -v '^plain$')" ] && ok ||
	fail "left behind: $(ls -A "$W/udir")"
# --- the anti-rollback state through the user's links (audit B, 1) ---------
# The state directory was resolved with realpath() and only the resolved
# directories were checked: a link of the user's in /tmp, or any entry of
# a world-writable directory, was followed, and the user swapped it to an
# empty directory to have an older file accepted.  Now the path is walked
# as every written directory is (cs_dir_open_safe).
make_cert rbsig p256
make_cert rbcli p256
(umask 077 && cat "$T/rbsig.key" "$T/rbsig.crt" >"$T/rbsig.pem" &&
	cat "$T/rbcli.key" "$T/rbcli.crt" "$T/rbsig.crt" >"$T/rbcli.pem")
for n in 3 7; do
	"$CERTSEAL_ADMIN" seal --recipient "$T/rbcli.crt" \
		--signer "file:$T/rbsig.pem" --name rb --sequence $n \
		-o "$T/rb$n" "$T/app.plain" 2>"$T/err" || fail "seal rb$n: $(cat "$T/err")"
done
rb_open() {	# rb_open STATE_DIR COMMAND SEALED
	env CERTSEAL_STATE_DIR="$1" "$CERTSEAL" -s "file:$T/rbcli.pem" "$2" "$3"
}
mkdir -m 700 "$W/stA" "$W/stB"
# The reproduction: a link the user planted in the sticky directory.
as_user ln -s "$W/stA" "$S/st"
expect 1 "state through the user's link in a sticky directory" -- \
	rb_open "$S/st" open "$T/rb7"
expect_clean_failure "state through the user's link in a sticky directory"
grep -q "st is a symbolic link owned by uid $UID2 ($U) in a directory others can write: refused" \
	"$T/err" && ok || fail "sticky link: $(cat "$T/err")"
[ -z "$(ls -A "$W/stA")" ] && ok || fail "state recorded through the link: $(ls -A "$W/stA")"
as_user ln -sfn "$W/stB" "$S/st"
expect 1 "state through the swapped link" -- rb_open "$S/st" open "$T/rb3"
expect_clean_failure "state through the swapped link"
expect 1 "check through the user's link" -- rb_open "$S/st" check "$T/rb3"
[ -z "$(ls -A "$W/stB")" ] && ok || fail "state recorded through the swapped link"
# The same state, by its real path: raised once, then an old file refused.
expect 0 "state in root's directory" -- rb_open "$W/stA" open "$T/rb7"
expect 5 "the older file" -- rb_open "$W/stA" open "$T/rb3"
# A link in a world-writable (not sticky) directory, whoever owns it.
mkdir -m 777 "$W/ww"
as_user ln -s "$W/stA" "$W/ww/st"
expect 1 "state through a link in a world-writable directory" -- \
	rb_open "$W/ww/st" open "$T/rb3"
expect_clean_failure "state through a link in a world-writable directory"
grep -q "$W/ww is writable by everyone" "$T/err" && ok ||
	fail "world-writable parent: $(cat "$T/err")"
# A link of the user's in root's own directory is not followed either.
ln -s "$W/stB" "$W/ulink"
chown -h "$U" "$W/ulink"
expect 1 "state through a link the user owns" -- rb_open "$W/ulink/." open "$T/rb3"
grep -q "ulink is a symbolic link owned by uid $UID2 ($U)" "$T/err" && ok ||
	fail "user's link in root's directory: $(cat "$T/err")"
# Root's link on the way is followed; as the state directory, refused.
expect 5 "state through root's link on the way" -- \
	rb_open "$W/alias/stA" open "$T/rb3"
ln -s "$W/stA" "$W/stlink"
expect 1 "a state directory that is a symbolic link" -- \
	rb_open "$W/stlink" open "$T/rb3"
grep -q "stlink: the directory is a symbolic link" "$T/err" && ok ||
	fail "final link: $(cat "$T/err")"
# Nothing is created below a directory the user owns or can swap.
install -d -o "$U" -g "$U" -m 0755 "$W/ustate"
expect 1 "state below the user's directory" -- \
	rb_open "$W/ustate/st/sub" open "$T/rb7"
expect_clean_failure "state below the user's directory"
grep -q "belongs to uid $UID2 ($U)" "$T/err" && ok || fail "owner: $(cat "$T/err")"
[ -z "$(ls -A "$W/ustate")" ] && ok ||
	fail "created in the user's directory: $(ls -A "$W/ustate")"
expect 1 "state below a world-writable directory" -- \
	rb_open "$W/ww/new" open "$T/rb7"
[ -e "$W/ww/new" ] && fail "created in the world-writable directory" || ok
# In the sticky directory root makes its own (as below /tmp).
expect 0 "a new state directory in the sticky directory" -- \
	rb_open "$S/rootstate/st" open "$T/rb7"
[ "$(stat -c '%u %a' "$S/rootstate/st")" = "0 700" ] && [ -f "$S/rootstate/st/rb.seq" ] &&
	ok || fail "new state: $(stat -c '%u %a' "$S/rootstate/st")"
victim_intact "state through links"

# --- the store through the user's links (audit B, 2) -----------------------
# The store directory was opened by its full path, following links, and
# only the final directory was checked: the owner of a directory above
# the store pointed LocalMachine at another root store, whose keys and
# trusted signers root then used.  store import made LocalMachine/My in
# that directory before it refused.
ST="$W/stores"
expect 0 "import into root's store" -- env CERTSEAL_STORE_ROOT="$ST" \
	"$CERTSEAL" store import "$T/p1.p12" --password-file "$T/p12.pass"
mkdir -p "$W/alt/LocalMachine/My"
cp -a "$ST/LocalMachine/My/." "$W/alt/LocalMachine/My/"
chmod -R go-rwx "$W/alt/LocalMachine"
st_open() {	# st_open ROOT COMMAND...
	r=$1
	shift
	env CERTSEAL_STORE_ROOT="$r" "$CERTSEAL" -s store: "$@"
}
expect 0 "open with root's store" -- st_open "$ST" open "$T/app.sealed"
install -d -o "$U" -g "$U" -m 0755 "$W/ustores"
as_user ln -s "$W/alt/LocalMachine" "$W/ustores/LocalMachine"
expect 1 "a store below the user's directory" -- \
	st_open "$W/ustores" open "$T/app.sealed"
expect_clean_failure "a store below the user's directory"
grep -q "ustores belongs to uid $UID2 ($U)" "$T/err" && ok ||
	fail "store's parent: $(cat "$T/err")"
expect 1 "store list below the user's directory" -- \
	st_open "$W/ustores" store list
mkdir -m 777 "$W/wstores"
as_user ln -s "$W/alt/LocalMachine" "$W/wstores/LocalMachine"
expect 1 "a store through a link in a world-writable directory" -- \
	st_open "$W/wstores" open "$T/app.sealed"
grep -q "wstores is writable by everyone" "$T/err" && ok ||
	fail "world-writable store root: $(cat "$T/err")"
expect 1 "store list through it" -- st_open "$W/wstores" store list
# A store root that is the user's link in the sticky directory.
as_user ln -s "$W/alt" "$S/stores"
expect 1 "a store root that is the user's link in /tmp" -- \
	st_open "$S/stores" open "$T/app.sealed"
grep -q "stores is a symbolic link owned by uid $UID2 ($U)" "$T/err" && ok ||
	fail "sticky store link: $(cat "$T/err")"
# import creates nothing in the user's directory before it refuses.
install -d -o "$U" -g "$U" -m 0755 "$W/ustores2"
expect 1 "import below the user's directory" -- env \
	CERTSEAL_STORE_ROOT="$W/ustores2" "$CERTSEAL" store import \
	"$T/p1.p12" --password-file "$T/p12.pass"
expect_clean_failure "import below the user's directory"
[ -z "$(ls -A "$W/ustores2")" ] && ok ||
	fail "import created $(ls -A "$W/ustores2")"
# Root's own link above the store is followed (as /etc -> elsewhere).
expect 0 "a store through root's link" -- \
	st_open "$W/alias/stores" open "$T/app.sealed"
same_bytes "$T/out" "$T/app.plain" "store through root's link"

# --- an output directory anyone may write: the file could be replaced ----
install -d -m 0777 "$W/wout"
expect 1 "open -o into a world-writable directory" -- "$CERTSEAL" \
	open "$T/app.sealed" -o "$W/wout/app.conf"
expect_clean_failure "open -o into a world-writable directory"
grep -q "anyone may write this directory" "$T/err" && ok ||
	fail "world-writable output directory: $(cat "$T/err")"
[ -z "$(ls -A "$W/wout")" ] && ok || fail "written: $(ls -A "$W/wout")"
chmod 1777 "$W/wout"
expect 0 "open -o into a sticky one" -- "$CERTSEAL" open "$T/app.sealed" \
	-o "$W/wout/app.conf"
same_bytes "$W/wout/app.conf" "$T/app.plain" "open -o into a sticky directory"

# --- PKCS#11 modules: code that runs as root ------------------------------
# A module is loaded only from where nobody but root or this user can
# change it: not from the user's directory, a world-writable one, or a
# file others may write (a module runs as the caller).
MODURI() { echo "pkcs11:token=none?module-path=$1"; }
install -d -o "$U" -g "$U" -m 0755 "$W/umod"
install -d -m 0777 "$W/wmod"
install -d -m 0700 "$W/rmod"
for d in umod wmod rmod; do cp "$SOFTHSM_MODULE" "$W/$d/mod.so"; done
expect 1 "a module in the user's directory" -- "$CERTSEAL" \
	-s "$(MODURI "$W/umod/mod.so")" check "$T/app.sealed"
grep -q "umod.* $U\|uid $UID2" "$T/err" && ok ||
	fail "module in the user's directory: $(cat "$T/err")"
expect 1 "a module in a world-writable directory" -- "$CERTSEAL" \
	-s "$(MODURI "$W/wmod/mod.so")" check "$T/app.sealed"
grep -q "may write its directory" "$T/err" && ok ||
	fail "module in a world-writable directory: $(cat "$T/err")"
chmod 0666 "$W/rmod/mod.so"
expect 1 "a module others may write" -- "$CERTSEAL" \
	-s "$(MODURI "$W/rmod/mod.so")" check "$T/app.sealed"
chmod 0644 "$W/rmod/mod.so"
ln -s "$W/umod/mod.so" "$W/rmod/link.so"
expect 1 "a link to the module in the user's directory" -- "$CERTSEAL" \
	-s "$(MODURI "$W/rmod/link.so")" check "$T/app.sealed"
# Root's own module in root's own directory is loaded (no such token).
expect 6 "root's module in root's directory" -- "$CERTSEAL" \
	-s "$(MODURI "$W/rmod/mod.so")" check "$T/app.sealed"
contains_err() { grep -q -- "$1" "$T/err" && ok || fail "$2: $(cat "$T/err")"; }
contains_err "no token matching" "root's module is loaded"

# --- reports: no directory made below the user's (as the state) -----------
expect 1 "report --out a new directory below the user's" -- \
	"$CERTSEAL" report --out "$P/new" --host h4
expect_clean_failure "report --out a new directory below the user's"
[ -e "$P/new" ] && fail "report made $P/new as root" || ok
finish
