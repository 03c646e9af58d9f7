/*
 * help.c - `certseal COMMAND [VERB] --help`: one entry per command and
 * verb (synopsis, options, an example, the exit codes that matter),
 * printed by cli_help_requested; the man page says the same at length.
 */
#include "config.h"

#include "client.h"

#define CODES_OPEN "0 ok, 1 error, 2 usage, 3 no key, 4 integrity, " \
	"5 policy, 6 token"

const struct cli_help client_help[] = {
	{ "open", "open CONFIG [-o OUT [--owner USER[:GROUP]] [--mode MODE]]",
	    "Decrypts and verifies CONFIG with a key from the certificate "
	    "sources and\nprints the plaintext (or writes it to OUT, "
	    "atomically).",
	    "-o, --output OUT\twrite there (mode 0600); - is standard output\n"
	    "--owner USER[:GROUP]\tOUT's owner (root only)\n"
	    "--mode MODE\tOUT's mode (octal, default 0600)",
	    "certseal open /etc/app/app.sealed -o /run/app/app.conf",
	    CODES_OPEN },
	{ "check", "check CONFIG [--json]",
	    "Tells whether this client can open CONFIG, with which source "
	    "and key;\nprints no content.",
	    "--json\tthe answer as JSON (schema: certseal(1))",
	    "certseal check /etc/app/app.sealed --json", CODES_OPEN },
	{ "inspect", "inspect FILE [--json]",
	    "Describes a sealed file: recipients, algorithms, signers, "
	    "sequence.\nNeeds no key.",
	    "--json\tthe description as JSON (schema: certseal(1))",
	    "certseal inspect app.sealed --json",
	    "0 ok, 1 error, 2 usage, 4 integrity, 5 over the size limit" },
	{ "sources", "sources [--check] [--json]",
	    "Lists the keys and trusted signers each certificate source "
	    "offers\n(a table; --json for the document).",
	    "--check\twhat each token can do for certseal\n"
	    "--json\tone document (schema: certseal(1))",
	    "certseal -s 'pkcs11:token=app?pin-source=/etc/app/pin' sources",
	    "0 ok, 1 error, 2 usage, 6 token" },
	{ "report", "report --out DIR [--host NAME] [--json]",
	    "Writes this host's readiness report into DIR (for "
	    "`certseal-admin\nrollout status`).",
	    "-o, --out DIR\tthe reports directory\n"
	    "--host NAME\tthe host name in the report (default: hostname)\n"
	    "--json\talso print the report",
	    "certseal report --out /srv/certseal/reports", CODES_OPEN },
	{ "enroll", "enroll --out DIR [--algorithm ALG] [--name NAME] | "
	    "--finish DIR/NAME.crt [--trust-signer SHA256:FP]...",
	    "Makes this client's own key in the first source and a request "
	    "the admin\napproves; --finish stores the approved certificate.",
	    "-o, --out DIR\twhere the request goes\n"
	    "--algorithm ALG\trsa-3072 (default), rsa-4096, ec-p256, "
	    "ec-p384\n"
	    "--name NAME\tthe client's name (default: hostname)\n"
	    "--finish FILE\tstore the certificate the admin issued\n"
	    "--trust-signer FP\twith --finish: the signer fingerprint the "
	    "admin gave",
	    "certseal -s 'pkcs11:token=app' enroll --out /srv/certseal/requests",
	    CODES_OPEN },
	{ "store", "store import|list|remove ...",
	    "Manages the local certificate store (store:LOCATION/NAME).", "",
	    "certseal store list", "0 ok, 1 error, 2 usage, 4 integrity" },
	{ "store import", "store import FILE.p12 [--store NAME] "
	    "[--password-file F] [--json]",
	    "Imports the key, its certificate and the signer certificate "
	    "from a\nPKCS#12 file exported by `certseal-admin pair export`.",
	    "--store NAME\tLOCATION/NAME (default LocalMachine/My)\n"
	    "--password-file F\tthe PKCS#12 password (else CERTSEAL_PIN or "
	    "the prompt)\n"
	    "--json\tprint what was imported",
	    "certseal store import pair.p12 --password-file /root/p12.pass",
	    "0 ok, 1 error (unreadable password file), 2 usage, 4 integrity,"
	    "\n6 wrong or missing password" },
	{ "store list", "store list [--store NAME] [--json]",
	    "Lists the keys and trusted signers in a store.",
	    "--store NAME\tLOCATION/NAME (default LocalMachine/My)\n"
	    "--json\tone document (schema: certseal(1))",
	    "certseal store list --json", "0 ok, 1 error, 2 usage" },
	{ "store remove", "store remove ID [--store NAME]",
	    "Removes a key or trusted signer by the ID `store list` shows.",
	    "--store NAME\tLOCATION/NAME (default LocalMachine/My)",
	    "certseal store remove 3f2a9c0d1e4b", "0 ok, 1 error, 2 usage" },
};
const size_t client_help_count = sizeof(client_help) /
    sizeof(client_help[0]);
