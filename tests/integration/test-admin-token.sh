#!/bin/sh
# The embedded SoftHSM2 token (issue 11) and edit's private directory
# (issue 19, point 5):
# - it works whatever SOFTHSM2_CONF the admin's shell exports, and a
#   command that would need two SoftHSM2 configurations says so;
# - a failed init leaves nothing behind (no lock, no half-made token);
# - a token file emptied, cut short or deleted is put back from the
#   verified copy at the next command, which says so;
# - edit removes its private directory with whatever the editor left in
#   it (swap files, backups), also one left by an edit killed before, and
#   points the editor's TMPDIR into it.
. "${top_srcdir:-.}/tests/integration/lib.sh"

for tool in softhsm2-util pkcs11-tool; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (contrib/install-deps)" >&2
		exit 77
	fi
done
unset XDG_RUNTIME_DIR VISUAL
# An ASan build links its runtime first; the shim is preloaded before it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
mkdir -p "$T/tmp" "$T/cfg" "$T/mine/tokens"
export TMPDIR="$T/tmp"
printf 'version = 1\n' >"$T/v1.conf"
printf 'version = 2\n' >"$T/v2.conf"

# --- 1. an exported SOFTHSM2_CONF of the admin's own --------------------
MINE="$T/mine/softhsm2.conf"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' \
	"$T/mine/tokens" >"$MINE"
SOFTHSM2_CONF="$MINE" softhsm2-util --init-token --free --label mine \
	--so-pin 1234 --pin 5678 >/dev/null 2>&1 && ok ||
	fail "softhsm2-util --init-token (mine)"
printf '5678\n' >"$T/mine.pin"
export SOFTHSM2_CONF="$MINE"
export CERTSEAL_PROFILE="$T/admin-env/profile.json"
admin_with_pair "$T/cfg/env.sealed" "$T/v1.conf"
expect 0 "show under an exported SOFTHSM2_CONF" -- "$CERTSEAL_ADMIN" show
same_bytes "$T/out" "$T/v1.conf" "show under an exported SOFTHSM2_CONF"
expect 3 "exported: the client needs the pair" -- "$CERTSEAL" \
	-s "pkcs11:token=mine?module-path=$SOFTHSM_MODULE&pin-source=$T/mine.pin" \
	open "$T/cfg/env.sealed"
expect 2 "export --to a token of the exported configuration" -- \
	"$CERTSEAL_ADMIN" pair export "$P1" \
	--to "pkcs11:token=mine?module-path=$SOFTHSM_MODULE&pin-source=$T/mine.pin"
expect_clean_failure "export --to a token of the exported configuration"
grep -q 'one per process' "$T/err" && ok || fail "two configurations: $(cat "$T/err")"
SOFTHSM2_CONF="$MINE" pkcs11-tool --module "$SOFTHSM_MODULE" \
	--token-label mine --login --pin 5678 --list-objects 2>/dev/null |
	grep -q . && fail "the admin's own token was written" || ok
# The user's own SoftHSM2 keeps working beside it.
SOFTHSM2_CONF="$MINE" softhsm2-util --show-slots 2>/dev/null |
	grep -q 'Label: *mine' && ok || fail "the admin's own token is gone"
unset SOFTHSM2_CONF
# A profile made without it, used with it exported.
export CERTSEAL_PROFILE="$T/admin/profile.json"
admin_with_pair "$T/cfg/app.sealed" "$T/v1.conf"
expect 0 "save with SOFTHSM2_CONF exported afterwards" -- env \
	SOFTHSM2_CONF="$MINE" "$CERTSEAL_ADMIN" save "$T/v1.conf"
expect 0 "show with SOFTHSM2_CONF exported afterwards" -- env \
	SOFTHSM2_CONF="$MINE" "$CERTSEAL_ADMIN" show
same_bytes "$T/out" "$T/v1.conf" "show with SOFTHSM2_CONF exported"

# --- 2. a failed init leaves nothing behind -----------------------------
expect 6 "init --token that is not there" -- env \
	CERTSEAL_PROFILE="$T/fail1/profile.json" "$CERTSEAL_ADMIN" init \
	--token "pkcs11:token=nope?module-path=$SOFTHSM_MODULE"
[ ! -e "$T/fail1" ] && ok || fail "failed init left: $(ls -A "$T/fail1")"
mkdir -p "$T/fail2"
expect 6 "init --token that is not there, directory exists" -- env \
	CERTSEAL_PROFILE="$T/fail2/profile.json" "$CERTSEAL_ADMIN" init \
	--token "pkcs11:token=nope?module-path=$SOFTHSM_MODULE"
[ -z "$(ls -A "$T/fail2")" ] && ok || fail "failed init left: $(ls -A "$T/fail2")"
# A token directory already there is never reused or removed.
mkdir -p "$T/fail3/token"
echo keep >"$T/fail3/token/keep"
expect 1 "init over a token directory" -- env \
	CERTSEAL_PROFILE="$T/fail3/profile.json" "$CERTSEAL_ADMIN" init
[ "$(cat "$T/fail3/token/keep")" = keep ] && [ ! -e "$T/fail3/profile.json" ] &&
	[ ! -e "$T/fail3/profile.json.lock" ] && ok ||
	fail "init over a token directory: $(ls -A "$T/fail3")"
# Every write of the embedded init failing in turn (tests/fault/failwrite.c).
FW="$T/failwrite.so"
if ${FAULT_CC:-cc} -shared -fPIC -O1 -o "$FW" \
    "$top_srcdir/tests/fault/failwrite.c" -ldl 2>"$T/cc.err"; then
	env LD_PRELOAD="$FW" FAILWRITE_AFTER=0 FAILWRITE_LOG="$T/fw.count" \
	    CERTSEAL_PROFILE="$T/count/profile.json" "$CERTSEAL_ADMIN" init \
	    >/dev/null 2>&1
	calls=$(cat "$T/fw.count" 2>/dev/null || echo 0)
	[ "$calls" -gt 3 ] && ok || fail "failwrite counted $calls calls"
	n=1
	while [ "$n" -le "$calls" ]; do
		env LD_PRELOAD="$FW" FAILWRITE_AFTER="$n" \
		    CERTSEAL_PROFILE="$T/f$n/profile.json" "$CERTSEAL_ADMIN" \
		    init >/dev/null 2>"$T/err" </dev/null
		rc=$?
		if [ "$rc" -ne 0 ] && [ -e "$T/f$n" ]; then
			fail "init failing at write $n (exit $rc) left:" \
			    "$(find "$T/f$n" | head -5)"
		else
			ok
		fi
		n=$((n + 1))
	done
	echo "init: $calls write-side calls, each one failed"
else
	echo "failwrite shim not built: $(head -c 200 "$T/cc.err")" >&2
fi

# --- 3. the verified copy of the token ----------------------------------
TOK=$(dirname "$(find "$T/admin/token/tokens" -name token.object)")
BAK="$T/admin/token/backup/$(basename "$TOK")"
[ -d "$BAK" ] && ok || fail "no token backup after pair generate"
for f in "$TOK"/*.object; do
	[ "$(basename "$f")" = token.object ] && continue
	cmp -s "$f" "$BAK/$(basename "$f")" || fail "backup lacks $(basename "$f")"
done
ok
: >"$TOK/token.object"
expect 0 "save with token.object emptied" -- "$CERTSEAL_ADMIN" save \
	"$T/v2.conf"
grep -q 'restored' "$T/err" && ok || fail "restore not said: $(cat "$T/err")"
expect 0 "open after the restore" -- "$CERTSEAL" -s "$S1" open \
	"$T/cfg/app.sealed"
same_bytes "$T/out" "$T/v2.conf" "open after the restore"
head -c 100 "$TOK/token.object" >"$T/cut" && cat "$T/cut" >"$TOK/token.object"
expect 0 "show with token.object cut short" -- "$CERTSEAL_ADMIN" show
grep -q 'token.object cut short' "$T/err" && ok ||
	fail "cut short not said: $(cat "$T/err")"
SIGNOBJ=$(ls "$TOK"/*.object | grep -v token.object | head -n 1)
head -c 100 "$SIGNOBJ" >"$T/cut" && cat "$T/cut" >"$SIGNOBJ"
for f in "$TOK"/*.object; do
	[ "$(basename "$f")" = token.object ] || rm -f "$f"
done
expect 0 "show with every object deleted" -- "$CERTSEAL_ADMIN" show
same_bytes "$T/out" "$T/v2.conf" "show after the restore"
grep -q 'restored' "$T/err" && ok || fail "restore not said: $(cat "$T/err")"
expect 0 "save after the restore" -- "$CERTSEAL_ADMIN" save "$T/v1.conf"
grep -q 'restored' "$T/err" && fail "restored twice: $(cat "$T/err")" || ok
# pair remove updates the copy (else a restore would bring keys back).
expect 0 "generate P2" -- "$CERTSEAL_ADMIN" pair generate --algorithm ec-p256
P2=$(cat "$T/out")
n2=$(ls "$BAK" | wc -l)
expect 0 "retire P2" -- "$CERTSEAL_ADMIN" pair retire "$P2"
expect 0 "remove P2" -- "$CERTSEAL_ADMIN" pair remove "$P2" --yes
[ "$(ls "$BAK" | wc -l)" -lt "$n2" ] && ok || fail "backup kept P2's objects"
expect 0 "show after remove" -- "$CERTSEAL_ADMIN" show
grep -q 'restored' "$T/err" && fail "remove undone: $(cat "$T/err")" || ok

# --- 4. edit's private directory ----------------------------------------
export CERTSEAL_PROFILE="$T/admin-edit/profile.json"
admin_with_pair "$T/cfg/edit.sealed" "$T/v1.conf"
cat >"$T/crash-editor" <<EOF
#!/bin/sh
d=\$(dirname "\$1")
printf 'version = 1\n' >"\$d/.config.swp"
printf 'x' >"\$d/4913"
mkdir "\$d/undo" && printf 'version = 1\n' >"\$d/undo/config.un~"
printf '%s\n' "\$TMPDIR" >"$T/editor-tmpdir"
exit 1
EOF
cat >"$T/kill-editor" <<EOF
#!/bin/sh
printf 'version = 1\n' >"\$(dirname "\$1")/.config.swp"
kill -9 \$PPID
EOF
chmod +x "$T/crash-editor" "$T/kill-editor"
expect 1 "edit, the editor crashes" -- env EDITOR="$T/crash-editor" \
	"$CERTSEAL_ADMIN" edit
[ -z "$(ls -A "$T/tmp")" ] && ok || fail "edit left $(ls -A "$T/tmp")"
case "$(cat "$T/editor-tmpdir")" in
"$T/tmp/certseal-edit-"*) ok ;;
*) fail "the editor's TMPDIR was $(cat "$T/editor-tmpdir")" ;;
esac
env EDITOR="$T/kill-editor" "$CERTSEAL_ADMIN" edit >/dev/null 2>&1
[ -n "$(ls -A "$T/tmp")" ] && ok || fail "the killed edit left nothing?"
expect 0 "the next edit" -- env EDITOR=true "$CERTSEAL_ADMIN" edit
[ -z "$(ls -A "$T/tmp")" ] && ok ||
	fail "a dead edit's directory is still there: $(find "$T/tmp")"

finish
