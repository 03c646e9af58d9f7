/*
 * rollback.c - anti-rollback state: per configuration name, the highest
 * sequence number a client has accepted (docs/FORMAT.md "Anti-rollback").
 *
 * One small file per name in the state directory, "<encoded name>.seq",
 * holding the decimal sequence and a newline, written atomically 0600.
 * The name comes from a signed attribute, but is still encoded so that no
 * name can reach outside the directory: [A-Za-z0-9_-] and inner dots stay,
 * everything else becomes %XX.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "envelope-internal.h"

#define STATE_FILE_MAX	64

static int
state_path(certseal_ctx *ctx, const char *name, char **out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i, n = strlen(name), o = 0;
	char *enc;
	unsigned char c;
	int r;

	*out = NULL;
	if ((enc = malloc(3 * n + 1)) == NULL)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    (c == '.' && i > 0))
			enc[o++] = (char)c;
		else {
			enc[o++] = '%';
			enc[o++] = digits[c >> 4];
			enc[o++] = digits[c & 0x0f];
		}
	}
	enc[o] = '\0';
	r = asprintf(out, "%s/%s.seq", ctx->state_dir, enc);
	free(enc);
	if (r < 0) {
		*out = NULL;
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	}
	return 0;
}

/* Reads the stored sequence; *have = 0 when there is none yet. */
static int
read_state(certseal_ctx *ctx, const char *path, uint64_t *seqp, int *have)
{
	uint8_t *buf = NULL;
	size_t len = 0, i;
	uint64_t v = 0;
	int r;

	*have = 0;
	*seqp = 0;
	if ((r = cs_read_file(ctx, path, STATE_FILE_MAX, &buf, &len)) != 0) {
		if (r == CERTSEAL_E_NOT_FOUND) {
			cs_error_clear(ctx);
			return 0;
		}
		return r;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(buf[i] - '0')) / 10) {
			len = 0;
			break;
		}
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	free(buf);
	if (len == 0)
		return cs_error(ctx, CERTSEAL_E_IO, "anti-rollback state %s is "
		    "damaged; remove it to accept the current sequence", path);
	*seqp = v;
	*have = 1;
	return 0;
}

int
cs_rollback_check(certseal_ctx *ctx, const char *name, uint64_t sequence,
    int *newerp)
{
	char *path = NULL;
	uint64_t stored = 0;
	int have = 0, r;

	*newerp = 0;
	if (ctx->state_dir == NULL)
		return 0;
	if ((r = state_path(ctx, name, &path)) != 0 ||
	    (r = read_state(ctx, path, &stored, &have)) != 0)
		goto out;
	if (have && sequence < stored &&
	    (ctx->flags & CERTSEAL_FLAG_ALLOW_ROLLBACK) == 0) {
		r = cs_error(ctx, CERTSEAL_E_ROLLBACK, "sequence %llu of '%s' "
		    "is older than %llu, already seen; this is an old file "
		    "(use --allow-rollback to accept it)",
		    (unsigned long long)sequence, name,
		    (unsigned long long)stored);
		goto out;
	}
	*newerp = !have || sequence > stored;
	r = 0; /* success */
 out:
	free(path);
	return r;
}

int
cs_rollback_store(certseal_ctx *ctx, const char *name, uint64_t sequence)
{
	char *path = NULL, buf[32];
	int n, r;

	if (ctx->state_dir == NULL)
		return 0;
	if ((r = state_path(ctx, name, &path)) != 0)
		return r;
	/* The state is private: who may roll back is nobody's business. */
	if ((r = cs_mkdir_p(ctx, ctx->state_dir, 0700)) != 0) {
		cs_error_prefix(ctx, "anti-rollback state");
		free(path);
		return r;
	}
	n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)sequence);
	r = cs_atomic_write(ctx, path, buf, (size_t)n, 0600);
	if (r != 0)
		cs_error_prefix(ctx, "anti-rollback state");
	free(path);
	return r;
}
