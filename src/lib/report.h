/*
 * report.h - rollout readiness (DESIGN.md section 1, steps 4-7).
 *
 * Each client writes a readiness report: which sources it uses, with which
 * flags, which decryption keys it holds and which signers it trusts.  The
 * admin collects the reports in one directory and counts who is ready for
 * a certificate pair before activating it.
 *
 * A report is a JSON object (format 1):
 *
 *	{ "format": 1, "host": "web-1", "time": "2026-11-26T15:19:21Z",
 *	  "certseal_version": "0.1.0",
 *	  "sources": [ "store:LocalMachine/My" ],
 *	  "flags": { "accept_encrypted_data_only": false,
 *	             "allow_rollback": false },
 *	  "keys": [ { "key_id", "fingerprint", "subject", "not_after",
 *	              "source" } ],
 *	  "signers": [ { "fingerprint", "subject", "source" } ],
 *	  "errors": [ { "source", "error" } ] }
 *
 * key_id is the certificate's subjectKeyIdentifier and fingerprint the
 * SHA-256 of its DER, both lowercase hex.  Reports come from many machines
 * and are untrusted on the admin side: cs_report_read bounds and checks
 * every member.
 */
#ifndef CS_REPORT_H
#define CS_REPORT_H

#include <time.h>

#include <jansson.h>

#include "internal.h"

#define CS_REPORT_FORMAT	1
#define CS_REPORT_MAX_SIZE	((size_t)1024 * 1024)
#define CS_REPORT_MAX_HOST	255
/*
 * What one report may hold (issue 19.2): a client has a few sources, keys
 * and signers; a store with thousands of certificates is already rare.
 */
#define CS_REPORT_MAX_KEYS	10000
#define CS_REPORT_MAX_SIGNERS	10000
#define CS_REPORT_MAX_SOURCES	256
/* Two errors per source at most (keys, signers), one for the default. */
#define CS_REPORT_MAX_ERRORS	(2 * CS_REPORT_MAX_SOURCES + 1)
/*
 * What one evaluation reads; more is refused, not truncated.  Each
 * (device, inode) is read once however many names it has, and only a
 * verdict per file is kept, so memory is bounded by the number of files
 * (names and a short reason each) and one report being parsed.  A
 * report is typically 0.5-3 KiB: 64 MiB is tens of thousands of hosts,
 * and about 5 s of parsing for reports crafted to be slow (10 000 keys).
 */
#define CS_REPORT_MAX_FILES	100000
#define CS_REPORT_MAX_TOTAL	((unsigned long long)64 * 1024 * 1024)

struct cs_report_key {
	char	*key_id;	/* lowercase hex SKID, may be empty */
	char	*fingerprint;	/* lowercase hex SHA-256 */
	char	*subject;
	char	*not_after;
	char	*source;
};

struct cs_report_signer {
	char	*fingerprint;
	char	*subject;
	char	*source;
};

/* A report as read and validated by cs_report_read. */
struct cs_report {
	char		*host;
	char		*time;		/* as written */
	time_t		 when;		/* time, parsed */
	char		*version;	/* certseal_version, or NULL */
	char		**sources;
	size_t		 nsources;
	int		 encrypted_only;
	int		 allow_rollback;
	struct cs_report_key *keys;
	size_t		 nkeys;
	struct cs_report_signer *signers;
	size_t		 nsigners;
	size_t		 nerrors;	/* source errors the client had */
};

/*
 * Builds this host's report from the context's sources (the default
 * source is added first when the context has none, as opening does).  A
 * source that fails, or cannot list its keys, is recorded under "errors";
 * that is never fatal.  *out is a new reference.
 */
int cs_report_build(certseal_ctx *ctx, json_t **out);

/*
 * Writes report into DIR/<host>.json atomically (mode 0644); DIR is made
 * (0755) when missing, its parent must exist.  The host name is taken from
 * the report and escaped to [A-Za-z0-9._-] (other bytes, and a leading
 * dot, become _XX).  When path_out is not NULL it receives the path.
 */
int cs_report_write(certseal_ctx *ctx, const char *dir, json_t *report,
    char **path_out);

/*
 * Reads and validates a report (a regular file; a symlink is refused).
 * Damage (bad JSON, duplicate members,
 * wrong types, oversized members, bad hex) is CERTSEAL_E_INTEGRITY with a
 * message that names the file and the member; over 1 MiB is
 * CERTSEAL_E_TOO_LARGE.
 */
int cs_report_read(certseal_ctx *ctx, const char *path,
    struct cs_report **out);
/* The same from an open descriptor; path names it in messages. */
int cs_report_read_fd(certseal_ctx *ctx, int fd, const char *path,
    struct cs_report **out);
void cs_report_free(struct cs_report *rep);

/*
 * Reads every report in dir (regular *.json files; dotfiles, temp files,
 * symlinks and other file types are skipped) and decides, per host,
 * whether it is ready for a pair: it holds the key enc_key_id_hex and
 * trusts the signer sign_fingerprint_hex (NULL: no signer required).
 * A report speaks only for the host its file name names: one whose
 * "host" is another is refused (its file's host is not ready, and the
 * claimed host is named); a damaged report makes its host not ready.
 * Over CS_REPORT_MAX_FILES files or CS_REPORT_MAX_TOTAL bytes is
 * CERTSEAL_E_TOO_LARGE.  *out:
 *
 *	{ "pair_key_id", "signer_fingerprint", "hosts": N, "ready": N,
 *	  "not_ready": N, "ready_hosts": [ "web-1" ],
 *	  "not_ready_hosts": [ { "host", "file", "missing": [ "key" ],
 *	                         "claims": "host a refused report claims" } ] }
 *
 * sorted by host.  Errors: CERTSEAL_E_USAGE for bad hex arguments,
 * CERTSEAL_E_NOT_FOUND / CERTSEAL_E_IO when dir cannot be read.
 */
int cs_rollout_evaluate(certseal_ctx *ctx, const char *dir,
    const char *enc_key_id_hex, const char *sign_fingerprint_hex,
    json_t **out);

/* Helpers shared by report.c and report-eval.c. */

/*
 * The report file name of a host ("<escaped host>.json", see
 * cs_report_write); one to one, so a file names exactly one host.
 */
char *cs_report_file_name(const char *host);

/* A JSON string for s; if s is not UTF-8, non-ASCII bytes become '?'. */
json_t *cs_report_jstr(const char *s);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC); 0 or -1. */
int cs_report_parse_time(const char *s, time_t *out);

#endif /* CS_REPORT_H */
