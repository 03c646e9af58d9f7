#!/bin/sh
# contrib/systemd (issue 17): every unit passes `systemd-analyze verify`
# without a word of complaint, alone and with the reload drop-in, and the
# certseal commands the units run do what their comments promise: the
# check of app-config-reload.service passes a good file and stops a bad
# one (plaintext, older, corrupt) before the service is touched, and the
# ExecReload= of app-reload.conf replaces the runtime file only with a
# configuration that opened.
#
# The units name /usr/bin/certseal and the example program /usr/bin/app:
# verify insists that commands exist, so the copies verified here run the
# certseal under test and /bin/cat instead; nothing else is changed.
. "${top_srcdir:-.}/tests/integration/lib.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: test-systemd-units: systemd-analyze missing" \
		"(contrib/install-deps installs systemd)"
	exit 77
fi
U="$top_srcdir/contrib/systemd"

# install_units DIR [drop-in]: the units as an admin installs them.
install_units() {
	mkdir -p "$1"
	for f in app-with-certseal.service:app.service app-config.path \
	    app-config-reload.service; do
		src=${f%%:*}
		dst=${f#*:}
		sed -e "s|/usr/bin/certseal|$CERTSEAL|g" \
			-e 's|/usr/bin/app|/bin/cat|g' "$U/$src" >"$1/$dst"
	done
	if [ "${2:-}" = drop-in ]; then
		mkdir -p "$1/app.service.d"
		sed -e "s|/usr/bin/certseal|$CERTSEAL|g" "$U/app-reload.conf" \
			>"$1/app.service.d/reload.conf"
	fi
}

# verify DIR: systemd-analyze verify on every unit there, drop-ins from
# DIR; any message is a failure (unknown keys are only warnings).
verify() {
	(cd "$1" && SYSTEMD_UNIT_PATH="$1:" systemd-analyze verify \
		"$1/app.service" "$1/app-config.path" \
		"$1/app-config-reload.service") >"$T/verify" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$T/verify" ]; then
		ok
	else
		fail "systemd-analyze verify ($2): exit $rc: $(head -c 600 "$T/verify")"
	fi
}
install_units "$T/plain"
verify "$T/plain" "units"
install_units "$T/with" drop-in
verify "$T/with" "units and app-reload.conf"
# The drop-in is read: a mistake in it is reported.
echo 'ExecReloadd=/bin/true' >>"$T/with/app.service.d/reload.conf"
(cd "$T/with" && SYSTEMD_UNIT_PATH="$T/with:" systemd-analyze verify \
	"$T/with/app.service") >"$T/verify" 2>&1
grep -q ExecReloadd "$T/verify" && ok ||
	fail "verify did not read the drop-in: $(cat "$T/verify")"

# The path unit watches the file app.service opens and starts the check.
grep -qx 'PathChanged=/etc/app/app.sealed' "$U/app-config.path" && ok ||
	fail "app-config.path does not watch /etc/app/app.sealed"
grep -q 'open /etc/app/app.sealed' "$U/app-with-certseal.service" && ok ||
	fail "app.service does not open /etc/app/app.sealed"
grep -qx 'Unit=app-config-reload.service' "$U/app-config.path" && ok ||
	fail "app-config.path does not start app-config-reload.service"
# A burst of saves must not trip the start limit, which would fail the
# path unit too and end the watch.
grep -qx 'StartLimitIntervalSec=0' "$U/app-config-reload.service" && ok ||
	fail "app-config-reload.service keeps the default start limit"

# --- the commands the units run, on real sealed files ---------------------
export CERTSEAL_PROFILE="$T/admin/profile.json"
unset SOFTHSM2_CONF
printf 'one = 1\n' >"$T/one.conf"
printf 'two = 2\n' >"$T/two.conf"
mkdir -p "$T/etc"
admin_with_pair "$T/etc/app.sealed" "$T/one.conf"
expect 0 "store import" -- "$CERTSEAL" store import "$T/p1.p12" \
	--password-file "$T/p12.pass"
cp "$T/etc/app.sealed" "$T/one.sealed"
mkdir -p "$T/var" "$T/run/app"

# unit_commands FILE KEY: the KEY= command lines of FILE, as the shell
# words systemd would run (no quoting is used in these units), with the
# paths of this test; the "+" prefix (run as root) dropped.
unit_commands() {
	sed -n "s/^$2=//p" "$1" | sed -e 's/^+//' \
		-e "s|/usr/bin/certseal|$CERTSEAL|g" \
		-e "s|/etc/app/app.sealed|$T/etc/app.sealed|g" \
		-e "s|/var/lib/|$T/var/lib/|g" \
		-e "s|%S|$T/var|g" -e "s|%t|$T/run|g"
}
# The environment of app-config-reload.service.
for kv in $(unit_commands "$U/app-config-reload.service" Environment); do
	export "${kv?}"
done
[ "${CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY:-}" = 1 ] && ok ||
	fail "app-config-reload.service is not strict"
[ "${CERTSEAL_STATE_DIR:-}" = "$T/var/lib/certseal/app" ] && ok ||
	fail "app-config-reload.service state: ${CERTSEAL_STATE_DIR:-none}"
unit_commands "$U/app-config-reload.service" ExecStart >"$T/execstart"
[ "$(wc -l <"$T/execstart")" -eq 2 ] && ok ||
	fail "app-config-reload.service: $(cat "$T/execstart")"
check_cmd=$(grep -F "$CERTSEAL" "$T/execstart")
grep -q 'systemctl try-reload-or-restart app.service$' "$T/execstart" &&
	[ "$(head -n 1 "$T/execstart")" = "$check_cmd" ] && ok ||
	fail "the check does not come before the reload: $(cat "$T/execstart")"

# check_unit WANT WHAT: the check as app-config-reload.service runs it.
check_unit() {
	# shellcheck disable=SC2086
	expect "$1" "reload check: $2" -- $check_cmd
}
# service_open: what app.service's ExecStartPre= (and the drop-in's
# ExecReload=) does with the same state: open, which records the sequence.
service_open() {
	expect 0 "the service opens $1" -- "$CERTSEAL" \
		--accept-encrypted-data-only open "$T/etc/app.sealed" \
		-o "$T/run/app/app.conf"
}
mkdir -p "$CERTSEAL_STATE_DIR"
chmod 700 "$CERTSEAL_STATE_DIR"
check_unit 0 "the first save"
[ -z "$(ls -A "$CERTSEAL_STATE_DIR")" ] && ok ||
	fail "the check wrote anti-rollback state: $(ls -A "$CERTSEAL_STATE_DIR")"
service_open "the first save"
[ -n "$(ls -A "$CERTSEAL_STATE_DIR")" ] && ok ||
	fail "the service's open keeps no anti-rollback state"
expect 0 "a second save" -- "$CERTSEAL_ADMIN" save "$T/two.conf"
check_unit 0 "the second save"
service_open "the second save"
cp "$T/etc/app.sealed" "$T/two.sealed"
cp "$T/two.conf" "$T/etc/app.sealed"
check_unit 5 "plaintext in its place"
expect_clean_failure "plaintext in its place"
cp "$T/one.sealed" "$T/etc/app.sealed"
check_unit 5 "the older file in its place"
grep -q older "$T/err" && ok || fail "rollback: $(cat "$T/err")"
head -c 200 "$T/two.sealed" >"$T/etc/app.sealed"
check_unit 4 "a cut file"

# The drop-in's ExecReload=: the runtime file changes only when the new
# configuration opened.
unit_commands "$U/app-reload.conf" ExecReload >"$T/execreload"
open_cmd=$(head -n 1 "$T/execreload")
[ "$open_cmd" = "$(unit_commands "$U/app-with-certseal.service" ExecStartPre)" ] &&
	ok || fail "app-reload.conf does not open as app.service starts: $open_cmd"
grep -q chown "$T/execreload" &&
	fail "app-reload.conf changes ownership by path: $(cat "$T/execreload")" || ok
# This test has no user "app": the file goes to the user running it.
open_cmd=$(printf '%s\n' "$open_cmd" |
	sed "s/--owner app:app/--owner $(id -u):$(id -g)/")
grep -q 'kill -HUP \$MAINPID' "$T/execreload" && ok ||
	fail "app-reload.conf does not signal the program"
cp "$T/two.sealed" "$T/etc/app.sealed"
# shellcheck disable=SC2086
expect 0 "reload with a good file" -- $open_cmd
same_bytes "$T/run/app/app.conf" "$T/two.conf" "reload: runtime file"
[ "$(stat -c %a "$T/run/app/app.conf")" = 400 ] && ok ||
	fail "runtime file mode $(stat -c %a "$T/run/app/app.conf")"
cp "$T/two.conf" "$T/etc/app.sealed"
# shellcheck disable=SC2086
expect 5 "reload with plaintext" -- $open_cmd
same_bytes "$T/run/app/app.conf" "$T/two.conf" "reload failed: old file kept"
[ "$(find "$T/run/app" -type f | wc -l)" -eq 1 ] && ok ||
	fail "a failed reload left files: $(ls -a "$T/run/app")"

# The same path with a file saved in DER (certseal-admin save --der, for
# large fleets): checked, reloaded, a cut one refused, the older PEM file a
# rollback.  With a state directory of its own: the loop below reloads
# two.sealed again.
saved_state=$CERTSEAL_STATE_DIR
CERTSEAL_STATE_DIR="$T/var/lib/certseal/app-der"
mkdir -p "$CERTSEAL_STATE_DIR"
chmod 700 "$CERTSEAL_STATE_DIR"
cp "$T/two.sealed" "$T/etc/app.sealed"
# shellcheck disable=SC2086
expect 0 "the PEM file opens first" -- $open_cmd
printf 'three = 3\n' >"$T/three.conf"
expect 0 "a DER save" -- "$CERTSEAL_ADMIN" save --der "$T/three.conf"
[ "$(od -An -tx1 -N2 "$T/etc/app.sealed" | tr -d ' ')" = 3082 ] && ok ||
	fail "save --der did not write DER"
cp "$T/etc/app.sealed" "$T/three.sealed"
check_unit 0 "the DER save"
# shellcheck disable=SC2086
expect 0 "reload with a DER file" -- $open_cmd
same_bytes "$T/run/app/app.conf" "$T/three.conf" "reload DER: runtime file"
head -c 300 "$T/three.sealed" >"$T/etc/app.sealed"
check_unit 4 "a cut DER file"
expect_clean_failure "a cut DER file"
# shellcheck disable=SC2086
expect 4 "reload with a cut DER file" -- $open_cmd
same_bytes "$T/run/app/app.conf" "$T/three.conf" "reload failed: DER kept"
cp "$T/two.sealed" "$T/etc/app.sealed"
check_unit 5 "the older PEM file after the DER one"
CERTSEAL_STATE_DIR=$saved_state
cp "$T/two.sealed" "$T/etc/app.sealed"
# shellcheck disable=SC2086
expect 0 "the PEM file again, in the service's state" -- $open_cmd

# --- the inotifywait loop of README.md, for hosts without systemd ---------
if ! command -v inotifywait >/dev/null 2>&1 || ! command -v setsid >/dev/null 2>&1; then
	echo "test-systemd-units: inotifywait or setsid missing" \
		"(contrib/install-deps installs inotify-tools): loop not tested"
	finish
	exit
fi
# The README's loop, with its two actions written to files.
sed -n '/^### Without systemd/,$p' "$U/README.md" |
	awk '/^```$/ { if (go) exit } go { print } /^```sh$/ { go = 1 }' |
	sed -e "s|^config=/etc/app/app.sealed|config=$T/etc/app.sealed|" \
		-e "s|certseal --|$CERTSEAL --|" \
		-e "s|service app reload|echo reload >>$T/reloads|" \
		-e "s|logger -t app-config|echo >>$T/kept|" >"$T/watch.sh"
grep -q inotifywait "$T/watch.sh" && grep -q "$T/reloads" "$T/watch.sh" &&
	grep -q "$T/kept" "$T/watch.sh" && ok ||
	fail "README loop not found or changed: $(cat "$T/watch.sh")"
: >"$T/reloads"
: >"$T/kept"
setsid sh "$T/watch.sh" </dev/null >"$T/watch.out" 2>&1 &
watch=$!
trap 'kill -TERM -- -"$watch" 2>/dev/null; rm -rf "$T"' EXIT
# wait_lines FILE N: up to 10 s for FILE to have N lines.
wait_lines() {
	i=0
	while [ "$(wc -l <"$1")" -lt "$2" ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(wc -l <"$1")" -eq "$2" ]
}
sleep 1		# inotifywait -q says nothing once its watch is set
cp "$T/one.conf" "$T/other"		# another file in the directory
mv "$T/other" "$T/etc/other"
cp "$T/two.sealed" "$T/etc/new" && mv "$T/etc/new" "$T/etc/app.sealed"
wait_lines "$T/reloads" 1 && ok ||
	fail "loop: no reload after a good file: $(cat "$T/watch.out")"
cp "$T/two.conf" "$T/etc/new" && mv "$T/etc/new" "$T/etc/app.sealed"
wait_lines "$T/kept" 1 && ok || fail "loop: plaintext not refused"
grep -q 'not sealed\|plaintext' "$T/kept" && ok ||
	fail "loop: the reason is not logged: $(cat "$T/kept")"
[ "$(wc -l <"$T/reloads")" -eq 1 ] && ok ||
	fail "loop: $(wc -l <"$T/reloads") reloads, expected 1"
# A save in place (written and closed, no rename) is seen too.
cp "$T/two.sealed" "$T/etc/app.sealed"
wait_lines "$T/reloads" 2 && ok || fail "loop: no reload after a write in place"
kill -TERM -- -"$watch" 2>/dev/null
wait "$watch" 2>/dev/null
finish
