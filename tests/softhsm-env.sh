# softhsm-env.sh - throw-away SoftHSM2 tokens for tests and scripts.
#
# Source it, then:
#   cs_softhsm_setup            # own SOFTHSM2_CONF + token dir under a mktemp dir
#   cs_softhsm_token LABEL [PIN] [SOPIN]   # init a token (select it by label!)
#   cs_softhsm_cleanup          # remove everything
# Exports CS_SOFTHSM_DIR, SOFTHSM2_CONF and SOFTHSM_MODULE.  Tokens move to
# a random slot on init: always select them by label, never by slot ID.

: "${SOFTHSM_MODULE:=$(sed -n 's/^#define CS_SOFTHSM_MODULE "\(.*\)"$/\1/p' \
	"${top_builddir:-.}/config.h" 2>/dev/null)}"
export SOFTHSM_MODULE

cs_softhsm_setup() {
	CS_SOFTHSM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/certseal-softhsm.XXXXXX") ||
		return 1
	mkdir -p "$CS_SOFTHSM_DIR/tokens" || return 1
	cat >"$CS_SOFTHSM_DIR/softhsm2.conf" <<CONF
directories.tokendir = $CS_SOFTHSM_DIR/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
	SOFTHSM2_CONF="$CS_SOFTHSM_DIR/softhsm2.conf"
	export CS_SOFTHSM_DIR SOFTHSM2_CONF
}

cs_softhsm_token() {
	softhsm2-util --init-token --free --label "$1" \
		--pin "${2:-1234}" --so-pin "${3:-12345678}" >/dev/null
}

cs_softhsm_cleanup() {
	if [ -n "${CS_SOFTHSM_DIR:-}" ] && [ -d "$CS_SOFTHSM_DIR" ]; then
		rm -rf "$CS_SOFTHSM_DIR"
	fi
	unset CS_SOFTHSM_DIR SOFTHSM2_CONF
}
