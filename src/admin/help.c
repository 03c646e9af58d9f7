/*
 * help.c - `certseal-admin COMMAND [VERB] --help`: one entry per command
 * and verb (synopsis, options, an example, the exit codes that matter),
 * printed by cli_help_requested; certseal-admin(8) says it at length.
 */
#include "config.h"

#include "admin.h"

#define CODES_TOKEN "0 ok, 1 error, 2 usage, 5 policy, 6 token"
#define CODES_ALL "0 ok, 1 error, 2 usage, 3 no key, 4 integrity, " \
	"5 policy, 6 token"

const struct cli_help admin_help[] = {
	{ "init", "init [--token PKCS11-URI] [--config PATH] [--name NAME] "
	    "[--reports DIR]",
	    "Creates the profile.  Without --token, a SoftHSM2 token next to "
	    "the\nprofile with a random PIN in a 0600 file.  Without "
	    "--config the\nsealed file is NAME.sealed next to the profile; "
	    "NAME defaults to \"config\".",
	    "--token PKCS11-URI\tthe admin token (pin-source= for its PIN)\n"
	    "--config PATH\twhere save writes the sealed configuration\n"
	    "--name NAME\tthe configuration's name, sealed into the file\n"
	    "--reports DIR\twhere clients write reports and requests",
	    "certseal-admin init --config /etc/app/app.sealed --name app",
	    CODES_TOKEN },
	{ "pair", "pair generate|list|export|activate|retire|remove ...",
	    "Manages certificate pairs: an encryption and a signing key each.",
	    "", "certseal-admin pair list", CODES_TOKEN },
	{ "pair generate", "pair generate [--algorithm ALG] [--label TEXT] "
	    "[--days N] [--no-export]",
	    "Makes a pending pair on the admin token; prints its ID.",
	    "--algorithm ALG\trsa-3072 (default), rsa-4096, ec-p256, "
	    "ec-p384\n"
	    "--label TEXT\tthe keys' label (one line)\n"
	    "--days N\tvalidity, 1 to 36500 (default 730)\n"
	    "--no-export\tthe decryption key never leaves the token",
	    "certseal-admin pair generate --label 'app 2027'", CODES_TOKEN },
	{ "pair list", "pair list [--json]",
	    "Lists the pairs: ID, state, algorithm, expiry, label.",
	    "--json\tone document (schema: certseal-admin(8))",
	    "certseal-admin pair list --json", "0 ok, 1 error, 2 usage" },
	{ "pair export", "pair export ID (-o FILE.p12 [--password-file F] "
	    "[--iterations N] [--legacy] [--force] | --to PKCS11-URI)",
	    "Gives a client the pair's decryption key: a PKCS#12 file, or "
	    "straight\ninto the client's token.",
	    "-o, --output FILE.p12\twrite there (0600); - is standard output,"
	    "\n\tnever a terminal: the file holds a private key\n"
	    "--password-file F\tthe PKCS#12 password (else CERTSEAL_PIN or "
	    "the prompt)\n"
	    "--iterations N\tPBKDF2 iterations (default 100000; 10000 to "
	    "1000000)\n"
	    "--legacy\t3DES and a SHA-1 MAC, for old Windows clients\n"
	    "--force\treplace an existing FILE.p12\n"
	    "--to PKCS11-URI\tunwrap into this token instead",
	    "certseal-admin pair export 3f2a9c0d1e4b -o web1.p12 "
	    "--password-file p12.pass",
	    "0 ok, 1 error (unreadable password file), 2 usage (file exists,"
	    "\nterminal), 5 policy, 6 token" },
	{ "pair activate", "pair activate ID [--expect N] [--hosts FILE] "
	    "[--force]",
	    "Makes a pending (or retired) pair the one saves seal to; the "
	    "active pair\nis retired at once and certifies the new signer "
	    "for enrolled clients.\nRefused while known hosts are not ready "
	    "(rollout status).",
	    "--expect N\tthe fleet has N hosts\n"
	    "--hosts FILE\tthe fleet's host names, one a line\n"
	    "--force\tactivate although hosts are missing or not ready",
	    "certseal-admin pair activate 3f2a9c0d1e4b --hosts hosts.txt",
	    "0 ok, 1 error, 2 usage, 5 hosts not ready or pair expired, "
	    "6 token" },
	{ "pair retire", "pair retire ID [--force]",
	    "Stops sealing to the pair; its keys stay on the token.",
	    "--force\tretire the active pair (nothing can be saved then)",
	    "certseal-admin pair retire 3f2a9c0d1e4b", "0 ok, 1 error, "
	    "2 usage" },
	{ "pair remove", "pair remove ID [--yes]",
	    "Deletes a retired pair's keys from the token: files sealed only "
	    "to it\ncan no longer be opened.  Asks on a terminal.",
	    "-y, --yes\tdo not ask (needed without a terminal)",
	    "certseal-admin pair remove 3f2a9c0d1e4b --yes", CODES_TOKEN },
	{ "save", "save [PLAINFILE|-] [-o SEALED] [--include-pending] "
	    "[--allow-rollback] [--migrate-plaintext] [--der|--pem]",
	    "Seals the configuration to the active pair (and enrolled "
	    "clients),\nsigned with the admin token.",
	    "-o, --output SEALED\twrite there; - is standard output (not a "
	    "terminal)\n"
	    "--include-pending\tseal to pending pairs too\n"
	    "--allow-rollback\tread an own file older than the profile's "
	    "sequence\n"
	    "--migrate-plaintext\tthe configuration path holds plaintext: "
	    "seal it\n"
	    "--der\twrite the sealed file as binary DER (about 26 % smaller)\n"
	    "--pem\twrite it as PEM text (the default for a new file)\n"
	    "\tneither: as the file it replaces is written",
	    "certseal-admin save app.conf", CODES_ALL },
	{ "show", "show [SEALED] [-o OUT] [--allow-rollback]",
	    "Prints the configuration, opened with the admin token.",
	    "-o, --output OUT\twrite there; - is standard output\n"
	    "--allow-rollback\taccept an older sequence",
	    "certseal-admin show", CODES_ALL },
	{ "edit", "edit [SEALED] [--include-pending] [--allow-rollback] "
	    "[--migrate-plaintext] [--der|--pem]",
	    "Opens the configuration in $VISUAL/$EDITOR in a private "
	    "directory\n($XDG_RUNTIME_DIR, else $TMPDIR) and saves it when "
	    "changed.",
	    "--include-pending\tseal to pending pairs too\n"
	    "--allow-rollback\taccept an older sequence\n"
	    "--migrate-plaintext\tthe configuration path holds plaintext\n"
	    "--der\twrite the sealed file as binary DER (about 26 % smaller)\n"
	    "--pem\twrite it as PEM text (the default for a new file)\n"
	    "\tneither: as the file it replaces is written",
	    "EDITOR=vi certseal-admin edit",
	    CODES_ALL ", 130 interrupted" },
	{ "inspect", "inspect [SEALED] [--json]",
	    "Describes the sealed file: recipients, signers, sequence.",
	    "--json\tthe description as JSON (schema: certseal-admin(8))",
	    "certseal-admin inspect --json", "0 ok, 1 error, 2 usage, "
	    "4 integrity, 5 over the size limit" },
	{ "client", "client list|approve|revoke ...",
	    "Enrolled clients: their own keys, certified by the active pair.",
	    "", "certseal-admin client list", CODES_TOKEN },
	{ "client list", "client list [--requests DIR] [--json]",
	    "Lists enrolled clients and pending requests.",
	    "--requests DIR\tthe requests directory (default: the profile's "
	    "reports_dir)\n"
	    "--json\tone document (schema: certseal-admin(8))",
	    "certseal-admin client list --json", "0 ok, 1 error, 2 usage" },
	{ "client approve", "client approve NAME... | --all-pending "
	    "[--requests DIR] [--days N]",
	    "Certifies requests with the active pair and writes "
	    "DIR/NAME.crt;\nsaves then seal to the client.",
	    "--all-pending\tevery pending request\n"
	    "--requests DIR\tthe requests directory\n"
	    "--days N\tcertificate validity (default 3650)",
	    "certseal-admin client approve web1 web2", CODES_TOKEN },
	{ "client revoke", "client revoke NAME",
	    "The next save no longer seals to the client.", "",
	    "certseal-admin client revoke web1", "0 ok, 1 error, 2 usage" },
	{ "rollout", "rollout status [--reports DIR] [--pair ID] "
	    "[--expect N] [--hosts FILE] [--json]",
	    "Counts the clients ready for a pair, from their reports.", "",
	    "certseal-admin rollout status --hosts hosts.txt", CODES_ALL },
	{ "rollout status", "rollout status [--reports DIR] [--pair ID] "
	    "[--expect N] [--hosts FILE] [--json]",
	    "Counts the clients ready for a pair (default: the pending one). "
	    "Known\nhosts: --hosts, enrolled clients, and reporting hosts; "
	    "--expect N says\nhow many there are in all.",
	    "--reports DIR\tthe reports directory (default: the profile's)\n"
	    "--pair ID\tthe pair to count for\n"
	    "--expect N\tthe fleet has N hosts\n"
	    "--hosts FILE\tthe fleet's host names, one a line\n"
	    "--json\tone document (schema: certseal-admin(8))",
	    "certseal-admin rollout status --expect 3 --json",
	    "0 all known hosts ready, 1 error, 2 usage, 5 hosts missing or "
	    "not ready" },
	{ "seal", "seal --recipient CERT [--recipient CERT]... --signer URI "
	    "[--oaep-hash H] [--name NAME] [--sequence N] [--der|--pem] "
	    "[-o OUT] [IN|-]",
	    "Seals a file offline, without a profile.",
	    "-r, --recipient CERT\tone recipient certificate (PEM) per flag\n"
	    "--signer URI\tthe signing key (pkcs11: or file:)\n"
	    "--oaep-hash H\tsha1, sha256 (default), sha384, sha512\n"
	    "--name NAME\tthe configuration's name\n"
	    "--sequence N\tthe sequence number\n"
	    "-o, --output OUT\twrite there; - is standard output (DER: not a "
	    "terminal)\n"
	    "--der\twrite the sealed file as binary DER (about 26 % smaller)\n"
	    "--pem\twrite it as PEM text (the default for a new file)\n"
	    "\tneither: as the file it replaces is written",
	    "certseal-admin seal -r client.pem --signer "
	    "'pkcs11:token=admin;object=sign' -o app.sealed app.conf",
	    CODES_ALL },
	{ "token", "token check [--json] [PKCS11-URI]",
	    "What a token can do for certseal (default: the profile's).", "",
	    "certseal-admin token check", CODES_TOKEN },
	{ "token check", "token check [--json] [PKCS11-URI]",
	    "Lists the token's mechanisms and what they mean for certseal.",
	    "--json\tone document (schema: certseal-admin(8))",
	    "certseal-admin token check 'pkcs11:token=admin' --json",
	    CODES_TOKEN },
};
const size_t admin_help_count = sizeof(admin_help) / sizeof(admin_help[0]);
