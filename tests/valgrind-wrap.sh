#!/bin/sh
# valgrind-wrap.sh - runs a certseal binary under valgrind memcheck, for
# `make memcheck`.  Installed (by the make target) as symlinks named
# certseal and certseal-admin in a directory of their own; the real binary
# is MEMCHECK_BUILDDIR/<name>.  Each process logs to
# MEMCHECK_LOGDIR/<name>.<pid>.log, so that the tests still see only the
# tool's own stderr; an error or a definite leak makes the tool exit 99.
name=$(basename "$0")
: "${MEMCHECK_BUILDDIR:?}"
: "${MEMCHECK_LOGDIR:?}"
exec valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --track-origins=yes --num-callers=30 \
    --suppressions="${MEMCHECK_SUPP:-$(dirname "$(readlink -f "$0")")/valgrind.supp}" \
    --log-file="$MEMCHECK_LOGDIR/$name.%p.log" \
    "$MEMCHECK_BUILDDIR/$name" "$@"
